//! Where sessions live: the store boundary (one secret blob per profile), its typed errors,
//! the stores behind it, the choice between them, and the paths of pointauth's files.

#[cfg_attr(not(unix), path = "dir_portable.rs")]
mod dir;
mod error;
mod file;
#[cfg_attr(not(target_os = "linux"), path = "kernel_portable.rs")]
mod kernel;
mod keyring;
pub(crate) mod lock;
pub(crate) mod meta;
mod paths;
#[cfg(unix)]
pub(crate) mod token_file;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::session::Session;

pub(crate) use self::error::{StoreError, StoreResult};
pub(crate) use self::file::FileStore;
pub(crate) use self::kernel::{AccessCopies, KernelStore};
pub(crate) use self::keyring::KeyringStore;
pub(crate) use self::paths::{DirSources, Paths};
pub use self::paths::{FILES, File, OTHER_PLATFORMS, STORE_ENTRIES};

/// FNV-1a (64 bit): a stable, dependency-free hash for names and checksums, never for secrets.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

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
    Kernel,
}

impl StoreKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            StoreKind::File => "file",
            StoreKind::Keyring => "keyring",
            StoreKind::Kernel => "kernel",
        }
    }
}

/// The `--store` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StoreChoice {
    /// The OS credential store if it answers, else (Linux) the kernel keyring, else the file
    /// store (with a warning at sign-in)
    Auto,
    /// The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager
    Keyring,
    /// Linux: the kernel's persistent keyring, in memory only (a session ends at reboot)
    Kernel,
    /// A JSON file, mode 0600 in a 0700 directory under the user's data dir
    File,
}

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

    /// The store of that kind, its entries named as this version names them.
    pub(crate) fn open(&self, kind: StoreKind) -> Box<dyn SecretStore> {
        self.open_named(kind, Naming::Namespaced)
    }

    /// The store of that kind. Without a place for files nothing can be found in any store
    /// (no metadata says where), and nothing is kept.
    pub(crate) fn open_named(&self, kind: StoreKind, naming: Naming) -> Box<dyn SecretStore> {
        let paths = match &self.paths {
            Ok(paths) => paths,
            Err(why) => return Box::new(Nowhere { why: why.clone() }),
        };
        match (kind, naming) {
            (StoreKind::File, _) => Box::new(FileStore::new(paths.data.clone())),
            (StoreKind::Keyring, Naming::Namespaced) => {
                Box::new(KeyringStore::platform().namespaced(&paths.namespace()))
            }
            (StoreKind::Keyring, Naming::Legacy) => Box::new(KeyringStore::platform()),
            (StoreKind::Kernel, _) => Box::new(KernelStore::new(paths.namespace())),
        }
    }

    /// The OS credential store with this data directory's entry names.
    pub(crate) fn keyring(&self) -> StoreResult<KeyringStore> {
        Ok(KeyringStore::platform().namespaced(&self.paths()?.namespace()))
    }

    /// The kernel keyring's sessions of this data directory.
    pub(crate) fn kernel(&self) -> StoreResult<KernelStore> {
        Ok(KernelStore::new(self.paths()?.namespace()))
    }

    /// Where quick copies of access tokens go: Linux's kernel keyring.
    pub(crate) fn copies(&self) -> Option<AccessCopies> {
        let kernel = self.kernel().ok()?;
        cfg!(target_os = "linux").then(|| kernel.copies())
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
            StoreChoice::Kernel => StoreKind::Kernel,
            StoreChoice::Auto => remembered.unwrap_or(StoreKind::File),
        }
    }

    /// Saves a brand-new session where `choice` says. `auto` tries the OS credential store,
    /// then (Linux) the kernel keyring, then the file store; when it comes to the file, what
    /// the others answered comes back for the caller to warn about.
    pub(crate) fn save_new(
        &self,
        choice: StoreChoice,
        profile: &str,
        value: &Secret<String>,
    ) -> StoreResult<(StoreKind, Option<Fallback>)> {
        let kind = match choice {
            StoreChoice::File => StoreKind::File,
            StoreChoice::Keyring => StoreKind::Keyring,
            StoreChoice::Kernel => StoreKind::Kernel,
            // The keychain and the kernel keyring fail only as "not usable here"
            // (`is_unusable`): whatever they answer, the next store is tried.
            StoreChoice::Auto => {
                let Err(keychain) = self.open(StoreKind::Keyring).save(profile, value) else {
                    return Ok((StoreKind::Keyring, None));
                };
                let Err(kernel) = self.open(StoreKind::Kernel).save(profile, value) else {
                    return Ok((StoreKind::Kernel, None));
                };
                self.open(StoreKind::File).save(profile, value)?;
                let kernel = cfg!(target_os = "linux").then_some(kernel);
                return Ok((StoreKind::File, Some(Fallback { keychain, kernel })));
            }
        };
        self.open(kind).save(profile, value)?;
        Ok((kind, None))
    }

    /// Whether `choice` can keep a session here (for `auto`: any store in its order).
    pub(crate) fn probe(&self, choice: StoreChoice) -> StoreResult<()> {
        let probe = |kind| self.open(kind).probe();
        match choice {
            StoreChoice::Keyring => probe(StoreKind::Keyring),
            StoreChoice::Kernel => probe(StoreKind::Kernel),
            StoreChoice::File => probe(StoreKind::File),
            // As in `save_new`: a failing keychain or kernel keyring is one not usable here.
            StoreChoice::Auto => probe(StoreKind::Keyring)
                .or_else(|_| probe(StoreKind::Kernel))
                .or_else(|_| probe(StoreKind::File)),
        }
    }
}

/// How a keychain entry is named: `<profile>@<namespace>` since pointauth 0.2, the profile's
/// name alone before (metadata of format 0). The kernel keyring and files have one naming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Naming {
    Namespaced,
    Legacy,
}

/// Why `auto` put a session in the file store: what each better store answered.
#[derive(Debug)]
pub(crate) struct Fallback {
    pub(crate) keychain: StoreError,
    /// `None` where there is no kernel keyring (other systems than Linux).
    pub(crate) kernel: Option<StoreError>,
}

impl Fallback {
    /// The reason, in plain words: no library text, which says nothing to most users.
    pub(crate) fn reason(&self) -> String {
        let keychain = match self.keychain {
            StoreError::TimedOut { .. } => "the OS credential store did not answer",
            StoreError::Locked { .. } => "the OS credential store is locked",
            _ => "no OS credential store is running here",
        };
        match &self.kernel {
            None => keychain.to_owned(),
            Some(StoreError::Full { .. }) => format!("{keychain} and the kernel keyring is full"),
            Some(StoreError::TooLarge { .. }) => {
                format!("{keychain} and the session is too large for the kernel keyring")
            }
            Some(_) => format!("{keychain} and the kernel keyring is blocked"),
        }
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
