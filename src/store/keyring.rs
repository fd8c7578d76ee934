//! The OS credential store (Secret Service, macOS Keychain, Windows Credential Manager):
//! one entry per profile (service `pointauth`, user = profile name), split into parts where
//! the platform caps an entry's size, and every call bounded in time.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use keyring_core::api::CredentialStore;
use keyring_core::{Entry, Error as KeyringError};

use crate::error::{Error, Result, recovery_hint};
use crate::secret::Secret;
use crate::store::SecretStore;

pub const SERVICE: &str = "pointauth";
/// A keychain that has not answered by then is locked behind a prompt, or not running.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const MANIFEST_PREFIX: &str = "pointauth-parts:v1:";

/// Raw access to a credential store, by entry user name.
pub trait Backend: Send + Sync + 'static {
    fn get(&self, user: &str) -> Result<Option<Vec<u8>>>;
    fn set(&self, user: &str, secret: &[u8]) -> Result<()>;
    fn delete(&self, user: &str) -> Result<bool>;
    /// The largest secret one entry may hold, if the platform has a limit.
    fn max_len(&self) -> Option<usize>;
    fn name(&self) -> &'static str;
}

pub struct KeyringStore {
    backend: Arc<dyn Backend>,
    timeout: Duration,
}

impl KeyringStore {
    /// The platform's store. One connection per process: a Secret Service connection and
    /// its key exchange cost several milliseconds, and a refresh reads then writes.
    pub fn platform() -> Self {
        static PLATFORM: OnceLock<Arc<Platform>> = OnceLock::new();
        let platform = PLATFORM.get_or_init(|| Arc::new(Platform::default()));
        Self::with_backend(Arc::clone(platform) as Arc<dyn Backend>, CALL_TIMEOUT)
    }

    pub fn with_backend(backend: Arc<dyn Backend>, timeout: Duration) -> Self {
        KeyringStore { backend, timeout }
    }

    /// Runs `op` on a worker thread and gives up after the timeout: a keychain waiting for
    /// an unlock prompt, or a D-Bus activation that stalls, must never hang pointauth.
    fn bounded<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn Backend) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let backend = Arc::clone(&self.backend);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(op(backend.as_ref()));
        });
        rx.recv_timeout(self.timeout).unwrap_or_else(|err| match err {
            mpsc::RecvTimeoutError::Timeout => Err(Error::internal(format!(
                "the OS credential store ({}) did not answer within {} s",
                self.backend.name(),
                self.timeout.as_secs()
            ))
            .hint("unlock your keyring (it may be waiting for a password prompt), or use --store file")),
            // The worker ended without an answer: the keychain library panicked.
            mpsc::RecvTimeoutError::Disconnected => Err(Error::internal(format!(
                "the OS credential store ({}) failed unexpectedly",
                self.backend.name()
            ))
            .hint("use --store file")),
        })
    }
}

impl SecretStore for KeyringStore {
    fn describe(&self, profile: &str) -> String {
        format!(
            "{} entry (service {SERVICE}, user {profile})",
            self.backend.name()
        )
    }

    fn load(&self, profile: &str) -> Result<Option<Secret<String>>> {
        let user = profile.to_owned();
        let bytes = self.bounded(move |backend| load_parts(backend, &user))?;
        bytes
            .map(|bytes| {
                String::from_utf8(bytes).map(Secret::new).map_err(|_| {
                    Error::internal(format!(
                        "the keychain entry for profile `{profile}` is not text"
                    ))
                    .hint(recovery_hint(profile))
                })
            })
            .transpose()
    }

    fn save(&self, profile: &str, value: &Secret<String>) -> Result<()> {
        let user = profile.to_owned();
        let bytes = value.expose().as_bytes().to_vec();
        self.bounded(move |backend| save_parts(backend, &user, &bytes))
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        let user = profile.to_owned();
        self.bounded(move |backend| delete_parts(backend, &user))
    }
}

fn part_user(user: &str, generation: u32, index: usize) -> String {
    // '#' cannot occur in a profile name, so parts never collide with a profile.
    format!("{user}#{generation}.{index}")
}

/// FNV-1a: enough to notice parts from different writes; not a security measure.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the profile's own entry holds when its session is split: which generation of
/// parts, how many, and how to check their sum.
struct Manifest {
    generation: u32,
    parts: usize,
    len: usize,
    checksum: u64,
}

impl Manifest {
    /// `Some(None)`: a whole session, not a manifest. `None`: a damaged manifest.
    fn parse(bytes: &[u8]) -> Option<Option<Manifest>> {
        let Some(rest) = bytes.strip_prefix(MANIFEST_PREFIX.as_bytes()) else {
            return Some(None);
        };
        let text = std::str::from_utf8(rest).ok()?;
        let mut fields = text.split(':');
        let manifest = Manifest {
            generation: fields.next()?.parse().ok()?,
            parts: fields.next()?.parse().ok()?,
            len: fields.next()?.parse().ok()?,
            checksum: u64::from_str_radix(fields.next()?, 16).ok()?,
        };
        Some(Some(manifest))
    }

    fn render(&self) -> String {
        format!(
            "{MANIFEST_PREFIX}{}:{}:{}:{:016x}",
            self.generation, self.parts, self.len, self.checksum
        )
    }

    fn delete_parts(&self, backend: &dyn Backend, user: &str) -> Result<()> {
        for index in 1..=self.parts {
            backend.delete(&part_user(user, self.generation, index))?;
        }
        Ok(())
    }
}

fn corrupt(profile: &str) -> Error {
    Error::internal(format!(
        "the keychain entry for profile `{profile}` is corrupted"
    ))
    .hint(recovery_hint(profile))
}

/// The manifest the entry holds now, if the session is split.
fn current_manifest(backend: &dyn Backend, user: &str) -> Result<Option<Manifest>> {
    Ok(backend
        .get(user)?
        .and_then(|bytes| Manifest::parse(&bytes).flatten()))
}

/// Saves `bytes`, split into parts where the platform caps an entry. A new split goes to a
/// new generation of parts and the manifest switches last, so a save that fails half-way
/// leaves the previous session whole, and readers never see parts of two writes.
pub fn save_parts(backend: &dyn Backend, user: &str, bytes: &[u8]) -> Result<()> {
    let Some(max) = backend.max_len() else {
        return backend.set(user, bytes);
    };
    let old = current_manifest(backend, user)?;
    if bytes.len() <= max {
        backend.set(user, bytes)?;
    } else {
        let generation = old.as_ref().map_or(1, |m| m.generation.wrapping_add(1));
        let chunks: Vec<&[u8]> = bytes.chunks(max).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            backend.set(&part_user(user, generation, index + 1), chunk)?;
        }
        let manifest = Manifest {
            generation,
            parts: chunks.len(),
            len: bytes.len(),
            checksum: checksum(bytes),
        };
        backend.set(user, manifest.render().as_bytes())?;
    }
    match old {
        Some(old) => old.delete_parts(backend, user),
        None => Ok(()),
    }
}

pub fn load_parts(backend: &dyn Backend, user: &str) -> Result<Option<Vec<u8>>> {
    // A lock-free reader can race a writer that switches generations and then deletes the
    // old parts: a vanished part means "read the manifest again", once.
    for attempt in 0..2 {
        let Some(head) = backend.get(user)? else {
            return Ok(None);
        };
        let manifest = match Manifest::parse(&head) {
            Some(Some(manifest)) => manifest,
            Some(None) => return Ok(Some(head)),
            None => return Err(corrupt(user)),
        };
        let mut joined = Vec::with_capacity(manifest.len);
        let mut complete = true;
        for index in 1..=manifest.parts {
            match backend.get(&part_user(user, manifest.generation, index))? {
                Some(part) => joined.extend_from_slice(&part),
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if !complete && attempt == 0 {
            continue;
        }
        if !complete || joined.len() != manifest.len || checksum(&joined) != manifest.checksum {
            return Err(corrupt(user));
        }
        return Ok(Some(joined));
    }
    Err(corrupt(user))
}

pub fn delete_parts(backend: &dyn Backend, user: &str) -> Result<bool> {
    if let Some(manifest) = current_manifest(backend, user)? {
        manifest.delete_parts(backend, user)?;
    }
    backend.delete(user)
}

/// The platform's own credential store, connected on first use (on the worker thread).
#[derive(Default)]
struct Platform {
    store: Mutex<Option<Arc<CredentialStore>>>,
}

impl Platform {
    fn entry(&self, user: &str) -> Result<Entry> {
        let mut slot = self
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let store = match slot.as_ref() {
            Some(store) => Arc::clone(store),
            None => {
                let store = platform_store().map_err(|err| unavailable(self.name(), &err))?;
                *slot = Some(Arc::clone(&store));
                store
            }
        };
        Entry::new_in_store(&store, SERVICE, user).map_err(|err| unavailable(self.name(), &err))
    }
}

impl Backend for Platform {
    fn get(&self, user: &str) -> Result<Option<Vec<u8>>> {
        match self.entry(user)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(err) => Err(unavailable(self.name(), &err)),
        }
    }

    fn set(&self, user: &str, secret: &[u8]) -> Result<()> {
        self.entry(user)?
            .set_secret(secret)
            .map_err(|err| unavailable(self.name(), &err))
    }

    fn delete(&self, user: &str) -> Result<bool> {
        match self.entry(user)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(err) => Err(unavailable(self.name(), &err)),
        }
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

/// Maps a keychain error to one the user can act on. keyring-core's messages carry the
/// platform's reason (a D-Bus error, an OS status) and never the secret itself.
fn unavailable(name: &str, err: &KeyringError) -> Error {
    match err {
        // libdbus gives up on a call after its own timeout (2 s in the Secret Service client),
        // before our watchdog: a provider that is being started and never comes up (a
        // stalled D-Bus activation) or a service that hangs. Say so, as the watchdog would.
        KeyringError::PlatformFailure(_) if did_not_answer(err) => {
            Error::internal(format!("the OS credential store ({name}) did not answer"))
                .cause(err)
                .hint("check that your keyring daemon runs and is unlocked, or use --store file")
        }
        // Also what a gnome-keyring started on demand answers when it has no login keyring
        // yet (no default collection): then a plain `--unlock` would start a second daemon
        // that does not own the bus name, hence `--replace`.
        KeyringError::NoStorageAccess(_) => {
            Error::internal(format!("the OS credential store ({name}) refused access: {err}"))
                .hint("unlock your keyring or create its default (login) keyring, e.g. log in to the desktop, or headless: `gnome-keyring-daemon --replace --unlock` with the password on stdin; or use --store file")
        }
        KeyringError::PlatformFailure(_) | KeyringError::NoDefaultStore => {
            Error::internal(format!("the OS credential store ({name}) is not available: {err}"))
                .hint("use --store file, or start a keyring (headless Linux: see the README's troubleshooting section)")
        }
        _ => Error::internal(format!("the OS credential store ({name}) failed: {err}"))
            .hint("use --store file, or run `pointauth logout` and log in again"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// An in-memory store that refuses secrets over `cap` bytes, as Windows does at 2560.
    struct Capped {
        cap: usize,
        entries: Mutex<BTreeMap<String, Vec<u8>>>,
    }

    impl Capped {
        fn new(cap: usize) -> Arc<Self> {
            Arc::new(Capped {
                cap,
                entries: Mutex::new(BTreeMap::new()),
            })
        }

        fn users(&self) -> Vec<String> {
            self.entries.lock().unwrap().keys().cloned().collect()
        }
    }

    impl Backend for Capped {
        fn get(&self, user: &str) -> Result<Option<Vec<u8>>> {
            Ok(self.entries.lock().unwrap().get(user).cloned())
        }
        fn set(&self, user: &str, secret: &[u8]) -> Result<()> {
            if secret.len() > self.cap {
                return Err(Error::internal("too long for the platform"));
            }
            self.entries
                .lock()
                .unwrap()
                .insert(user.into(), secret.into());
            Ok(())
        }
        fn delete(&self, user: &str) -> Result<bool> {
            Ok(self.entries.lock().unwrap().remove(user).is_some())
        }
        fn max_len(&self) -> Option<usize> {
            Some(self.cap)
        }
        fn name(&self) -> &'static str {
            "capped test store"
        }
    }

    fn session_like(len: usize) -> Secret<String> {
        Secret::new((0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect())
    }

    #[test]
    fn a_session_larger_than_one_entry_is_split_and_joined() {
        let backend = Capped::new(2560);
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        let big = session_like(6000);
        store.save("default", &big).unwrap();
        assert_eq!(
            backend.users(),
            ["default", "default#1.1", "default#1.2", "default#1.3"]
        );
        assert_eq!(store.load("default").unwrap().unwrap(), big);
    }

    #[test]
    fn a_small_session_is_one_entry_and_stale_parts_are_removed() {
        let backend = Capped::new(100);
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        store.save("p", &session_like(450)).unwrap();
        assert_eq!(backend.users().len(), 6);
        store.save("p", &session_like(150)).unwrap();
        assert_eq!(backend.users(), ["p", "p#2.1", "p#2.2"]);
        store.save("p", &session_like(80)).unwrap();
        assert_eq!(backend.users(), ["p"]);
        assert_eq!(store.load("p").unwrap().unwrap(), session_like(80));
    }

    #[test]
    fn delete_removes_every_part_and_is_idempotent() {
        let backend = Capped::new(100);
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        store.save("p", &session_like(350)).unwrap();
        store.save("q", &session_like(10)).unwrap();
        assert!(store.delete("p").unwrap());
        assert_eq!(backend.users(), ["q"]);
        assert!(!store.delete("p").unwrap());
        assert!(store.load("p").unwrap().is_none());
    }

    #[test]
    fn a_missing_or_altered_part_is_reported_as_corruption() {
        let backend = Capped::new(100);
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        store.save("p", &session_like(250)).unwrap();
        backend.set("p#1.2", b"tampered").unwrap();
        let err = store.load("p").unwrap_err();
        assert!(err.message().contains("corrupted"), "{err}");
        backend.delete("p#1.2").unwrap();
        assert!(store.load("p").is_err());
    }

    /// Fails every `set` after the first `allowed` ones, like a keychain that stops answering.
    struct Failing {
        inner: Arc<Capped>,
        allowed: std::sync::atomic::AtomicUsize,
    }

    impl Backend for Failing {
        fn get(&self, user: &str) -> Result<Option<Vec<u8>>> {
            self.inner.get(user)
        }
        fn set(&self, user: &str, secret: &[u8]) -> Result<()> {
            use std::sync::atomic::Ordering;
            if self.allowed.fetch_sub(1, Ordering::SeqCst) == 0 {
                return Err(Error::internal("the keychain stopped answering"));
            }
            self.inner.set(user, secret)
        }
        fn delete(&self, user: &str) -> Result<bool> {
            self.inner.delete(user)
        }
        fn max_len(&self) -> Option<usize> {
            self.inner.max_len()
        }
        fn name(&self) -> &'static str {
            "failing test store"
        }
    }

    #[test]
    fn a_split_save_that_fails_half_way_leaves_the_previous_session_whole() {
        let backend = Capped::new(100);
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        store.save("p", &session_like(250)).unwrap();
        let failing = Arc::new(Failing {
            inner: backend.clone(),
            allowed: std::sync::atomic::AtomicUsize::new(2),
        });
        let store_failing = KeyringStore::with_backend(failing, Duration::from_secs(5));
        let other: Secret<String> = Secret::new("z".repeat(260));
        assert!(store_failing.save("p", &other).is_err());
        assert_eq!(store.load("p").unwrap().unwrap(), session_like(250));
    }

    /// Answers the first read of the profile's own entry with an outdated manifest, as a
    /// lock-free reader sees it when a writer switches generations right after that read.
    struct StaleOnce {
        inner: Arc<Capped>,
        stale: Mutex<Option<Vec<u8>>>,
    }

    impl Backend for StaleOnce {
        fn get(&self, user: &str) -> Result<Option<Vec<u8>>> {
            if user == "p"
                && let Some(stale) = self.stale.lock().unwrap().take()
            {
                return Ok(Some(stale));
            }
            self.inner.get(user)
        }
        fn set(&self, user: &str, secret: &[u8]) -> Result<()> {
            self.inner.set(user, secret)
        }
        fn delete(&self, user: &str) -> Result<bool> {
            self.inner.delete(user)
        }
        fn max_len(&self) -> Option<usize> {
            self.inner.max_len()
        }
        fn name(&self) -> &'static str {
            "stale-once test store"
        }
    }

    #[test]
    fn a_reader_racing_a_generation_switch_reads_the_new_session() {
        let backend = Capped::new(100);
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        store.save("p", &session_like(250)).unwrap();
        let outdated = backend.get("p").unwrap();
        let new: Secret<String> = Secret::new("n".repeat(250));
        store.save("p", &new).unwrap();
        assert!(
            backend
                .users()
                .iter()
                .all(|u| u == "p" || u.starts_with("p#2."))
        );
        let racing = KeyringStore::with_backend(
            Arc::new(StaleOnce {
                inner: backend,
                stale: Mutex::new(outdated),
            }),
            Duration::from_secs(5),
        );
        assert_eq!(racing.load("p").unwrap().unwrap(), new);
    }

    struct Hanging;
    impl Backend for Hanging {
        fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(None)
        }
        fn set(&self, _: &str, _: &[u8]) -> Result<()> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<bool> {
            std::thread::sleep(Duration::from_secs(60));
            Ok(false)
        }
        fn max_len(&self) -> Option<usize> {
            None
        }
        fn name(&self) -> &'static str {
            "hanging test store"
        }
    }

    #[test]
    fn a_keychain_that_never_answers_is_abandoned_in_time() {
        let store = KeyringStore::with_backend(Arc::new(Hanging), Duration::from_millis(100));
        let started = std::time::Instant::now();
        let err = store.load("p").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(err.message().contains("did not answer"), "{err}");
    }

    struct Panicking;
    impl Backend for Panicking {
        fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            panic!("the keychain library panicked");
        }
        fn set(&self, _: &str, _: &[u8]) -> Result<()> {
            panic!("the keychain library panicked");
        }
        fn delete(&self, _: &str) -> Result<bool> {
            panic!("the keychain library panicked");
        }
        fn max_len(&self) -> Option<usize> {
            None
        }
        fn name(&self) -> &'static str {
            "panicking test store"
        }
    }

    #[test]
    fn a_keychain_call_that_panics_is_an_error_not_a_timeout() {
        let store = KeyringStore::with_backend(Arc::new(Panicking), Duration::from_secs(30));
        let started = std::time::Instant::now();
        let err = store.load("p").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.message().contains("failed unexpectedly"), "{err}");
    }
}
