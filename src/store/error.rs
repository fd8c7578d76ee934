//! The store boundary's typed errors: what went wrong, in words a user can act on, with the
//! hint that says what to do, so callers decide on the variant and never on the text.

use std::path::PathBuf;
use std::time::Duration;

use super::kernel;
use crate::error::{Error, recovery_hint};

/// Why a store could not do what was asked. Callers decide on the variant: the first five
/// mean "not usable here" (the only errors the keychain and the kernel keyring answer a
/// save or a probe with, so `auto` tries the next store), `login` replaces a `Corrupt`
/// entry, `logout` removes it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// Not reachable or not usable here: no D-Bus session, no Secret Service, no platform
    /// store; a kernel that refuses keyring calls.
    #[error("{} is not available: {reason}", place(store))]
    Unavailable { store: &'static str, reason: String },
    /// Asked, but no answer in time: a keyring waiting for an unlock prompt, a stalled service.
    #[error("{} did not answer within {} s", place(store), .after.as_secs())]
    TimedOut {
        store: &'static str,
        after: Duration,
    },
    /// It answered and refused: locked, or access denied.
    #[error("{} refused access: {reason}", place(store))]
    Locked { store: &'static str, reason: String },
    /// No room for the session: the kernel's key quota is used up.
    #[error("{} is full: {reason}", place(store))]
    Full { store: &'static str, reason: String },
    /// The session is larger than one entry of the store can ever be, however empty it is.
    #[error(
        "{} cannot hold this session: it is {len} bytes, and one entry holds at most {max}",
        place(store)
    )]
    TooLarge {
        store: &'static str,
        len: usize,
        max: usize,
    },
    /// Something is stored but it is not what pointauth wrote.
    #[error("{what} for profile `{profile}` is corrupted: {why}")]
    Corrupt {
        /// "the stored session", "the keychain entry", "the remembered settings".
        what: &'static str,
        profile: String,
        /// Where: a path or the keychain entry's name.
        location: String,
        why: String,
    },
    /// A file operation failed.
    #[error("cannot {action} {}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// There is no directory for pointauth's files at all (no HOME, no XDG directories).
    #[error("there is no place for pointauth's files: {why}")]
    NoPlace { why: String },
    /// Another pointauth process holds the profile's lock, and held it too long.
    #[error("another pointauth process has held the lock for profile `{profile}` for over {} s", .waited.as_secs())]
    Busy {
        profile: String,
        waited: Duration,
        path: PathBuf,
    },
    /// A file or directory pointauth will not trust (a link, shared, not a regular file).
    #[error("{} {problem}; refusing to use it", .path.display())]
    Unsafe {
        path: PathBuf,
        problem: String,
        fix: String,
    },
}

/// How messages name a store: "the OS credential store (Secret Service)", "the kernel keyring".
fn place(store: &str) -> String {
    if store == kernel::STORE {
        format!("the {store}")
    } else {
        format!("the OS credential store ({store})")
    }
}

impl StoreError {
    /// The store cannot be used here, as opposed to a fault in what it holds.
    pub(crate) fn is_unusable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. }
                | StoreError::TimedOut { .. }
                | StoreError::Locked { .. }
                | StoreError::Full { .. }
                | StoreError::TooLarge { .. }
        )
    }

    /// Nothing can be written here (a read-only HOME, no home at all, a full disk): a command
    /// that can sign in from the environment may still hand out a token, uncached.
    pub(crate) fn is_unwritable(&self) -> bool {
        use std::io::ErrorKind;
        match self {
            StoreError::NoPlace { .. } => true,
            StoreError::Io { source, .. } => matches!(
                source.kind(),
                ErrorKind::PermissionDenied
                    | ErrorKind::ReadOnlyFilesystem
                    | ErrorKind::StorageFull
                    | ErrorKind::QuotaExceeded
                    | ErrorKind::NotFound
            ),
            _ => false,
        }
    }

    /// A copy of an "unusable here" error, to answer later calls with at once.
    pub(crate) fn unusable_copy(&self) -> Option<StoreError> {
        match self {
            StoreError::Unavailable { store, reason } => Some(StoreError::Unavailable {
                store,
                reason: reason.clone(),
            }),
            StoreError::TimedOut { store, after } => Some(StoreError::TimedOut {
                store,
                after: *after,
            }),
            StoreError::Locked { store, reason } => Some(StoreError::Locked {
                store,
                reason: reason.clone(),
            }),
            StoreError::Full { store, reason } => Some(StoreError::Full {
                store,
                reason: reason.clone(),
            }),
            _ => None,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        let hint = match &err {
            StoreError::Unavailable { store, .. } if *store == kernel::STORE => {
                "use --store file, or run pointauth where the kernel allows keyring calls (in a \
                 container: a seccomp profile that allows add_key and keyctl)"
                    .to_owned()
            }
            StoreError::Full { .. } => {
                "log out of profiles you no longer use (`pointauth status --all` lists them), \
                 raise /proc/sys/kernel/keys/maxbytes (as root), or use --store file"
                    .to_owned()
            }
            StoreError::TooLarge { .. } => {
                "use --store file, which holds a session of any size (this one has a long refresh token)"
                    .to_owned()
            }
            StoreError::Unavailable { .. } => {
                "use --store file, or start a keyring (headless Linux: see the README's troubleshooting section)".to_owned()
            }
            StoreError::TimedOut { .. } => {
                "unlock your keyring (it may be waiting for a password prompt), or use --store file".to_owned()
            }
            StoreError::Locked { .. } => {
                "unlock your keyring or create its default (login) keyring, e.g. log in to the desktop, or headless: \
                 `gnome-keyring-daemon --replace --unlock` with the password on stdin; or use --store file"
                    .to_owned()
            }
            StoreError::Corrupt { profile, .. } => recovery_hint(profile),
            StoreError::Io { .. } => "check the directory's permissions and free space".to_owned(),
            StoreError::Unsafe { fix, .. } => fix.clone(),
            StoreError::NoPlace { .. } => {
                "set XDG_STATE_HOME and XDG_DATA_HOME (or HOME) to directories pointauth may write to"
                    .to_owned()
            }
            StoreError::Busy { path, .. } => format!(
                "wait for it to finish, or find it with `fuser {}`",
                path.display()
            ),
        };
        let message = err.to_string();
        match err {
            StoreError::Corrupt { location, .. } => Error::internal(message)
                .because(Location(location))
                .hint(hint),
            StoreError::Io { source, .. } => Error::internal(message).because(source).hint(hint),
            _ => Error::internal(message).hint(hint),
        }
    }
}

/// "in <where>", as the cause of a corruption report.
#[derive(Debug)]
struct Location(String);

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "in {}", self.0)
    }
}

impl std::error::Error for Location {}

pub(crate) type StoreResult<T> = Result<T, StoreError>;
