//! The OS credential store (Secret Service, macOS Keychain, Windows Credential Manager): one
//! entry per profile (service `pointauth`, user `<profile>@<namespace>`, the namespace telling
//! data directories apart; pointauth 0.1 named it `<profile>`), split into parts where the
//! platform caps an entry's size, and every call bounded in time.

mod bounded;
mod parts;
mod platform;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::secret::Secret;
use crate::store::{SecretStore, StoreError, StoreResult};

use self::bounded::bounded;
use self::platform::Platform;

pub(crate) const SERVICE: &str = "pointauth";
/// A keychain that has not answered by then is locked behind a prompt, or not running.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// Raw access to a credential store, by entry user name (the service is always `pointauth`).
pub(crate) trait Backend: Send + Sync + 'static {
    fn get(&self, user: &str) -> StoreResult<Option<Vec<u8>>>;
    fn set(&self, user: &str, secret: &[u8]) -> StoreResult<()>;
    fn delete(&self, user: &str) -> StoreResult<bool>;
    /// Every entry user name of service `pointauth` (profiles and parts).
    fn list(&self) -> StoreResult<Vec<String>>;
    /// The largest secret one entry may hold, if the platform has a limit.
    fn max_len(&self) -> Option<usize>;
    fn name(&self) -> &'static str;
}

#[derive(Clone)]
pub(crate) struct KeyringStore {
    backend: Arc<dyn Backend>,
    timeout: Duration,
    /// Once the store turned out unusable here (no bus, no answer, locked), every later call
    /// of this process gets that answer at once: a keychain that hung once is not waited on
    /// twice in one command.
    unusable: Arc<Mutex<Option<StoreError>>>,
    /// `@<namespace>`, appended to a profile's name to make its entry's; empty for the names
    /// pointauth 0.1 gave.
    suffix: String,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl KeyringStore {
    /// The platform's store. One connection per process: a Secret Service connection and
    /// its key exchange cost several milliseconds, and a refresh reads then writes.
    pub(crate) fn platform() -> Self {
        static PLATFORM: OnceLock<KeyringStore> = OnceLock::new();
        PLATFORM
            .get_or_init(|| {
                let platform: Arc<dyn Backend> = Arc::new(Platform::default());
                Self::with_backend(platform, CALL_TIMEOUT)
            })
            .clone()
    }

    pub(crate) fn with_backend(backend: Arc<dyn Backend>, timeout: Duration) -> Self {
        KeyringStore {
            backend,
            timeout,
            unusable: Arc::new(Mutex::new(None)),
            suffix: String::new(),
        }
    }

    /// The same store, its entries named for the data directory `namespace`.
    pub(crate) fn namespaced(mut self, namespace: &str) -> Self {
        self.suffix = format!("@{namespace}");
        self
    }

    /// The entry user name of `profile`.
    fn user(&self, profile: &str) -> String {
        format!("{profile}{}", self.suffix)
    }

    fn call<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Backend) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let lock = || {
            self.unusable
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(err) = lock().as_ref().and_then(StoreError::unusable_copy) {
            return Err(err);
        }
        let backend = Arc::clone(&self.backend);
        let result = bounded(self.backend.name(), self.timeout, move || {
            op(backend.as_ref())
        });
        if let Err(err) = &result
            && let Some(copy) = err.unusable_copy()
        {
            *lock() = Some(copy);
        }
        result
    }
}

impl KeyringStore {
    /// Profiles with an entry of their own under this naming (parts are not profiles, nor
    /// are other data directories' entries).
    pub(crate) fn profiles(&self) -> StoreResult<Vec<String>> {
        let suffix = self.suffix.clone();
        let mut names: Vec<String> = self
            .call(|backend| backend.list())?
            .into_iter()
            .filter(|name| !name.contains('#'))
            .filter_map(|name| {
                if suffix.is_empty() {
                    (!name.contains('@')).then_some(name)
                } else {
                    name.strip_suffix(&suffix).map(str::to_owned)
                }
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }
}

impl SecretStore for KeyringStore {
    fn describe(&self, profile: &str) -> String {
        format!(
            "{} entry (service {SERVICE}, user {})",
            self.backend.name(),
            self.user(profile)
        )
    }

    fn load(&self, profile: &str) -> StoreResult<Option<Secret<String>>> {
        let user = self.user(profile);
        let bytes = self
            .call(move |backend| parts::load(backend, &user))
            .map_err(|err| match err {
                // Named by the profile, whose name the recovery hint needs, not the entry's.
                StoreError::Corrupt {
                    what,
                    location,
                    why,
                    ..
                } => StoreError::Corrupt {
                    what,
                    profile: profile.to_owned(),
                    location,
                    why,
                },
                other => other,
            })?;
        bytes
            .map(|bytes| {
                String::from_utf8(bytes).map(Secret::new).map_err(|err| {
                    let _ = Secret::new(err.into_bytes());
                    StoreError::Corrupt {
                        what: "the keychain entry",
                        profile: profile.to_owned(),
                        location: self.describe(profile),
                        why: "it is not text".to_owned(),
                    }
                })
            })
            .transpose()
    }

    fn save(&self, profile: &str, value: &Secret<String>) -> StoreResult<()> {
        let user = self.user(profile);
        let bytes = Secret::new(value.expose().as_bytes().to_vec());
        self.call(move |backend| parts::save(backend, &user, bytes.expose()))
    }

    fn delete(&self, profile: &str) -> StoreResult<bool> {
        let user = self.user(profile);
        self.call(move |backend| parts::delete(backend, &user))
    }

    /// Reads the profile-independent probe entry: `None` and any stored value both mean the
    /// store answers; only a store that cannot be used is an error.
    fn probe(&self) -> StoreResult<()> {
        self.call(|backend| backend.get("#probe").map(drop))
    }
}

#[cfg(test)]
mod tests;
