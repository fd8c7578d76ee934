//! Where sessions live: the store boundary (one secret blob per profile), its typed errors,
//! the stores behind it, the choice between them, and the paths of pointauth's files.

#[cfg_attr(not(unix), path = "dir_portable.rs")]
mod dir;
mod file;
mod keyring;
pub(crate) mod lock;
pub(crate) mod meta;
mod paths;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, recovery_hint};
use crate::secret::Secret;
use crate::session::Session;

pub(crate) use self::file::FileStore;
pub(crate) use self::keyring::KeyringStore;
pub(crate) use self::paths::{DirSources, Paths};
pub use self::paths::{FILES, File, KEYRING_ENTRY, OTHER_PLATFORMS};

/// The profile used when none is named.
pub(crate) const DEFAULT_PROFILE: &str = "default";

/// Profile names become file names and keychain entry names: keep them plain.
pub(crate) fn is_valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The store that holds a session (recorded in the profile's metadata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StoreKind {
    File,
    Keyring,
}

impl StoreKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            StoreKind::File => "file",
            StoreKind::Keyring => "keyring",
        }
    }
}

/// The `--store` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StoreChoice {
    /// The OS credential store if it answers, else the file store (with a warning at login)
    Auto,
    /// The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager
    Keyring,
    /// A JSON file, mode 0600 in a 0700 directory under the user's data dir
    File,
}

/// Why a store could not do what was asked. Callers decide on the variant: `auto` falls
/// back on the first three, `login` replaces a `Corrupt` entry, `logout` removes it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// Not reachable or not usable here: no D-Bus session, no Secret Service, no platform store.
    #[error("the OS credential store ({store}) is not available: {reason}")]
    Unavailable { store: &'static str, reason: String },
    /// Asked, but no answer in time: a keyring waiting for an unlock prompt, a stalled service.
    #[error("the OS credential store ({store}) did not answer within {} s", .after.as_secs())]
    TimedOut {
        store: &'static str,
        after: Duration,
    },
    /// It answered and refused: locked, or access denied.
    #[error("the OS credential store ({store}) refused access: {reason}")]
    Locked { store: &'static str, reason: String },
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

impl StoreError {
    /// The keychain cannot be used here, as opposed to a fault in what it holds.
    pub(crate) fn is_unusable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. }
                | StoreError::TimedOut { .. }
                | StoreError::Locked { .. }
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

/// A place that holds one secret blob per profile. "Nothing stored" is `Ok(None)`.
pub(crate) trait SecretStore {
    /// Where exactly, for messages: a path, or the keychain entry's name.
    fn describe(&self, profile: &str) -> String;
    fn load(&self, profile: &str) -> StoreResult<Option<Secret<String>>>;
    fn save(&self, profile: &str, value: &Secret<String>) -> StoreResult<()>;
    /// Removes the profile's secret; `false` when there was none.
    fn delete(&self, profile: &str) -> StoreResult<bool>;
    /// Whether the store can be used here at all; what it holds does not matter.
    fn probe(&self) -> StoreResult<()>;
}

/// Opens the stores below one set of paths.
#[derive(Clone, Debug)]
pub(crate) struct Stores {
    /// pointauth's directories, or why there are none (no HOME and no XDG directories).
    paths: Result<Paths, String>,
}

impl Stores {
    pub(crate) fn new(paths: Paths) -> Self {
        Stores { paths: Ok(paths) }
    }

    /// Stores with no place for files: nothing is stored, every write says why.
    pub(crate) fn nowhere(why: String) -> Self {
        Stores { paths: Err(why) }
    }

    pub(crate) fn paths(&self) -> StoreResult<&Paths> {
        self.paths
            .as_ref()
            .map_err(|why| StoreError::NoPlace { why: why.clone() })
    }

    pub(crate) fn open(&self, kind: StoreKind) -> Box<dyn SecretStore> {
        match (kind, &self.paths) {
            (StoreKind::File, Ok(paths)) => Box::new(FileStore::new(paths.data.clone())),
            (StoreKind::File, Err(why)) => Box::new(Nowhere { why: why.clone() }),
            (StoreKind::Keyring, _) => Box::new(KeyringStore::platform()),
        }
    }

    /// The store that holds the profile's current session. Never probes: in `auto` mode
    /// the profile's metadata says where its session went at login.
    pub(crate) fn kind_for_reading(
        choice: StoreChoice,
        remembered: Option<StoreKind>,
    ) -> StoreKind {
        match choice {
            StoreChoice::File => StoreKind::File,
            StoreChoice::Keyring => StoreKind::Keyring,
            StoreChoice::Auto => remembered.unwrap_or(StoreKind::File),
        }
    }

    /// Saves a brand-new session where `choice` says. In `auto` mode a keychain that cannot
    /// be used here means the file store; the reason comes back for the caller to warn about.
    pub(crate) fn save_new(
        &self,
        choice: StoreChoice,
        profile: &str,
        value: &Secret<String>,
    ) -> StoreResult<(StoreKind, Option<StoreError>)> {
        let kind = match choice {
            StoreChoice::File => StoreKind::File,
            StoreChoice::Keyring => StoreKind::Keyring,
            StoreChoice::Auto => match self.open(StoreKind::Keyring).save(profile, value) {
                Ok(()) => return Ok((StoreKind::Keyring, None)),
                Err(err) if err.is_unusable() => {
                    self.open(StoreKind::File).save(profile, value)?;
                    return Ok((StoreKind::File, Some(err)));
                }
                Err(err) => return Err(err),
            },
        };
        self.open(kind).save(profile, value)?;
        Ok((kind, None))
    }
}

/// The file store where there is no place for files: it holds nothing and keeps nothing.
#[derive(Debug)]
struct Nowhere {
    why: String,
}

impl SecretStore for Nowhere {
    fn describe(&self, _profile: &str) -> String {
        "no file (there is no place for pointauth's files)".to_owned()
    }

    fn load(&self, _profile: &str) -> StoreResult<Option<Secret<String>>> {
        Ok(None)
    }

    fn save(&self, _profile: &str, _value: &Secret<String>) -> StoreResult<()> {
        Err(StoreError::NoPlace {
            why: self.why.clone(),
        })
    }

    fn delete(&self, _profile: &str) -> StoreResult<bool> {
        Ok(false)
    }

    fn probe(&self) -> StoreResult<()> {
        Err(StoreError::NoPlace {
            why: self.why.clone(),
        })
    }
}

/// The profile's session from `store`, parsed. Stored text that is not a session is `Corrupt`.
pub(crate) fn load_session(store: &dyn SecretStore, profile: &str) -> StoreResult<Option<Session>> {
    let Some(text) = store.load(profile)? else {
        return Ok(None);
    };
    Session::from_json(text.expose())
        .map(Some)
        .map_err(|why| StoreError::Corrupt {
            what: "the stored session",
            profile: profile.to_owned(),
            location: store.describe(profile),
            why: why.to_string(),
        })
}
