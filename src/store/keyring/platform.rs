//! The glue to keyring-core and the platform's store crate, and the mapping of their errors
//! onto `StoreError`, so callers decide on a kind of failure, not on text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Error as KeyringError};

use super::{Backend, SERVICE};
use crate::store::{StoreError, StoreResult};

/// How long libdbus waits for a Secret Service reply before it gives up by itself
/// (dbus-secret-service's proxy timeout), shorter than our own watchdog.
const LIBDBUS_TIMEOUT: Duration = Duration::from_secs(2);

/// The platform's own credential store, connected on first use (on the worker thread).
#[derive(Default)]
pub(super) struct Platform {
    store: Mutex<Option<Arc<CredentialStore>>>,
}

impl Platform {
    fn store(&self) -> StoreResult<Arc<CredentialStore>> {
        let mut slot = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some(store) => Ok(Arc::clone(store)),
            None => {
                let store = platform_store().map_err(|err| store_error(self.name(), &err))?;
                *slot = Some(Arc::clone(&store));
                Ok(store)
            }
        }
    }

    fn entry(&self, user: &str) -> StoreResult<Entry> {
        Entry::new_in_store(&self.store()?, SERVICE, user)
            .map_err(|err| store_error(self.name(), &err))
    }
}

impl Backend for Platform {
    fn get(&self, user: &str) -> StoreResult<Option<Vec<u8>>> {
        match self.entry(user)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(err) => Err(store_error(self.name(), &err)),
        }
    }

    fn set(&self, user: &str, secret: &[u8]) -> StoreResult<()> {
        self.entry(user)?
            .set_secret(secret)
            .map_err(|err| store_error(self.name(), &err))
    }

    fn delete(&self, user: &str) -> StoreResult<bool> {
        match self.entry(user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(err) => Err(store_error(self.name(), &err)),
        }
    }

    fn list(&self) -> StoreResult<Vec<String>> {
        let spec = HashMap::from([("service", SERVICE)]);
        let entries = match self.store()?.search(&spec) {
            Ok(entries) => entries,
            // A store that cannot search has nothing pointauth could find this way.
            Err(KeyringError::NotSupportedByStore(_)) => return Ok(Vec::new()),
            Err(err) => return Err(store_error(self.name(), &err)),
        };
        let mut users = Vec::new();
        for entry in entries {
            let user = match entry.get_specifiers() {
                Some((_, user)) => Some(user),
                None => entry
                    .get_attributes()
                    .ok()
                    .and_then(|mut attributes| attributes.remove("username")),
            };
            users.extend(user);
        }
        Ok(users)
    }

    fn max_len(&self) -> Option<usize> {
        // Windows Credential Manager caps a credential blob at 2560 bytes.
        cfg!(target_os = "windows").then_some(2560)
    }

    fn name(&self) -> &'static str {
        if cfg!(target_os = "macos") {
            "macOS Keychain"
        } else if cfg!(target_os = "windows") {
            "Windows Credential Manager"
        } else {
            "Secret Service"
        }
    }
}

/// Sorts a keychain error into what the caller decides on. keyring-core's messages carry
/// the platform's reason (a D-Bus error, an OS status), never the secret itself.
fn store_error(store: &'static str, err: &KeyringError) -> StoreError {
    match err {
        // libdbus gives up on a call after its own timeout, before our watchdog: a provider
        // that is being started and never comes up (a stalled D-Bus activation) or a
        // service that hangs.
        KeyringError::PlatformFailure(_) if did_not_answer(err) => StoreError::TimedOut {
            store,
            after: LIBDBUS_TIMEOUT,
        },
        // Also what a gnome-keyring started on demand answers when it has no login keyring
        // yet (no default collection): then a plain `--unlock` would start a second daemon
        // that does not own the bus name, hence `--replace` in the hint.
        KeyringError::NoStorageAccess(_) => StoreError::Locked {
            store,
            reason: err.to_string(),
        },
        _ => StoreError::Unavailable {
            store,
            reason: err.to_string(),
        },
    }
}

/// A D-Bus call that timed out: libdbus's NoReply text, or the bus's activation timeout.
/// keyring-core keeps only the message, not the D-Bus error name, so the text is all there is.
fn did_not_answer(err: &KeyringError) -> bool {
    let text = err.to_string();
    [
        "Did not receive a reply",
        "NoReply",
        "TimedOut",
        "timed out",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(dbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(KeyringError::NotSupportedByStore(
        "no OS credential store is supported on this platform".into(),
    ))
}
