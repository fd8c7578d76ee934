//! The kernel's keyring (Linux keyutils): the sessions of the `kernel` store, and the quick
//! copies of access tokens kept for a store that is slow to read (the Secret Service).
//!
//! Everything lives in the user's persistent keyring (persistent-keyring(7)), the way Kerberos
//! keeps ticket caches: in kernel memory, never on disk, readable only by processes of the
//! user that link it, gone at reboot. pointauth links it into its own process keyring, never
//! into the login session's, so it changes nothing a user's other processes see.
//!
//! Keys are `user` keys named `pointauth:<namespace>:<profile>` (a session) and
//! `pointauth:<namespace>:<profile>:access` (a copy); the namespace (`Paths::namespace`) keeps
//! data directories apart. A key is written to the process keyring first, given its expiry
//! there, and only then linked into the persistent keyring, where it displaces the old key
//! of that name in one step: no reader sees a half-written key, or a copy without its expiry.

use std::sync::OnceLock;
use std::time::Duration;

use linux_keyutils::{Key, KeyError, KeyRing, KeyRingIdentifier};
use zeroize::Zeroizing;

use crate::secret::Secret;
use crate::store::{SecretStore, StoreError, StoreResult};

pub(crate) const STORE: &str = "kernel keyring";
/// The largest payload the kernel accepts for a `user` key.
const MAX_PAYLOAD: usize = 32_767;
const PREFIX: &str = "pointauth:";
const ACCESS_SUFFIX: &str = ":access";

/// The persistent keyring, linked into this process's keyring; found once per process.
fn persistent() -> StoreResult<KeyRing> {
    static RING: OnceLock<Result<KeyRing, KeyError>> = OnceLock::new();
    let ring = RING.get_or_init(|| {
        // Creates the process keyring if there is none yet: the link's destination.
        KeyRing::from_special_id(KeyRingIdentifier::Process, true)?;
        KeyRing::get_persistent(KeyRingIdentifier::Process)
    });
    ring.as_ref().copied().map_err(|err| refused(*err))
}

fn process() -> StoreResult<KeyRing> {
    KeyRing::from_special_id(KeyRingIdentifier::Process, true).map_err(refused)
}

/// Sorts the kernel's answer into what callers decide on.
fn refused(err: KeyError) -> StoreError {
    let reason = match err {
        KeyError::QuotaExceeded => {
            return StoreError::Full {
                store: STORE,
                reason: "the kernel's key quota for this user is used up".to_owned(),
            };
        }
        // What a seccomp policy answers (Docker's default profile blocks add_key and keyctl),
        // or a kernel built without keys.
        KeyError::PermissionDenied | KeyError::OperationNotSupported => {
            "the kernel refuses keyring calls here (a container's seccomp profile blocks them)"
                .to_owned()
        }
        KeyError::Unknown(errno) if errno == rustix::io::Errno::NOSYS.raw_os_error() => {
            "this kernel has no keyring calls".to_owned()
        }
        // The system's words for an error the keyutils crate has no name for.
        KeyError::Unknown(errno) => format!(
            "the kernel answered: {}",
            std::io::Error::from_raw_os_error(errno)
        ),
        KeyError::AccessDenied => "the kernel denied access to the user's keyring".to_owned(),
        KeyError::OutOfMemory => "the kernel is out of memory for keys".to_owned(),
        other => format!("the kernel answered {other:?}"),
    };
    StoreError::Unavailable {
        store: STORE,
        reason,
    }
}

/// The key of that name, if there is one (an expired or revoked key is none).
fn find(ring: KeyRing, name: &str) -> StoreResult<Option<Key>> {
    match ring.search(name) {
        Ok(key) => Ok(Some(key)),
        Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => Ok(None),
        Err(err) => Err(refused(err)),
    }
}

/// The payload of the key of that name.
fn read(name: &str) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
    let ring = persistent()?;
    let Some(key) = find(ring, name)? else {
        return Ok(None);
    };
    // One read into a buffer as large as any key can be: the kernel answers the payload's
    // size, and copies what fits.
    let mut buffer = Zeroizing::new(vec![0_u8; MAX_PAYLOAD]);
    let len = match key.read(&mut *buffer) {
        Ok(len) => len,
        // Removed or expired between the search and the read.
        Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
            return Ok(None);
        }
        Err(err) => return Err(refused(err)),
    };
    if len > MAX_PAYLOAD {
        return Err(StoreError::Unavailable {
            store: STORE,
            reason: format!("key {name} holds more than a user key can"),
        });
    }
    buffer.truncate(len);
    Ok(Some(buffer))
}

/// Writes the key of that name, replacing the one there in one step; with `expires`, the
/// kernel removes it by then at the latest.
fn write(name: &str, payload: &[u8], expires: Option<Duration>) -> StoreResult<()> {
    if payload.len() > MAX_PAYLOAD {
        return Err(StoreError::TooLarge {
            store: STORE,
            len: payload.len(),
            max: MAX_PAYLOAD,
        });
    }
    let ring = persistent()?;
    let staging = process()?;
    let key = staging.add_key(name, payload).map_err(refused)?;
    let linked = (|| {
        if let Some(expires) = expires {
            let seconds = usize::try_from(expires.as_secs()).unwrap_or(usize::MAX);
            key.set_timeout(seconds)?;
        }
        ring.link_key(key)
    })();
    // The staging link goes either way; on failure the key goes with it.
    let _ = staging.unlink_key(key);
    if linked.is_err() {
        let _ = key.invalidate();
    }
    linked.map_err(refused)
}

/// Removes the key of that name everywhere it is linked; `false` when there was none.
fn remove(name: &str) -> StoreResult<bool> {
    let ring = persistent()?;
    let Some(key) = find(ring, name)? else {
        return Ok(false);
    };
    match key.invalidate() {
        Ok(()) => Ok(true),
        Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => Ok(false),
        Err(err) => Err(refused(err)),
    }
}

/// The names of the keys in the persistent keyring that start with `prefix`.
fn names_with(prefix: &str) -> StoreResult<Vec<String>> {
    let ring = persistent()?;
    // The kernel allows 200 keys per user by default; room for far more.
    let links = ring.get_links(4096).map_err(refused)?;
    Ok(links
        .iter()
        .filter_map(|node| node.as_key())
        .filter_map(|key| key.metadata().ok())
        .map(|metadata| metadata.get_description().to_owned())
        .filter(|name| name.starts_with(prefix))
        .collect())
}

/// The sessions of the `kernel` store, one key per profile.
#[derive(Clone, Debug)]
pub(crate) struct KernelStore {
    namespace: String,
}

impl KernelStore {
    pub(crate) fn new(namespace: String) -> Self {
        KernelStore { namespace }
    }

    fn name(&self, profile: &str) -> String {
        format!("{PREFIX}{}:{profile}", self.namespace)
    }

    /// Whether the profile's session is there, without reading it (for `status`).
    pub(crate) fn holds(&self, profile: &str) -> StoreResult<bool> {
        Ok(find(persistent()?, &self.name(profile))?.is_some())
    }

    /// The profiles of this data directory with a session or a quick copy here.
    pub(crate) fn profiles(&self) -> StoreResult<Vec<String>> {
        let prefix = format!("{PREFIX}{}:", self.namespace);
        let mut profiles: Vec<String> = names_with(&prefix)?
            .iter()
            .filter_map(|name| name.strip_prefix(&prefix))
            .map(|rest| rest.strip_suffix(ACCESS_SUFFIX).unwrap_or(rest).to_owned())
            .collect();
        profiles.sort();
        profiles.dedup();
        Ok(profiles)
    }

    /// The quick copies kept beside sessions in slower stores, in the same namespace.
    pub(crate) fn copies(&self) -> AccessCopies {
        AccessCopies {
            namespace: self.namespace.clone(),
        }
    }
}

impl SecretStore for KernelStore {
    fn describe(&self, profile: &str) -> String {
        format!("{STORE} key {}", self.name(profile))
    }

    fn load(&self, profile: &str) -> StoreResult<Option<Secret<String>>> {
        let Some(bytes) = read(&self.name(profile))? else {
            return Ok(None);
        };
        text(bytes).map(Some).ok_or_else(|| StoreError::Corrupt {
            what: "the kernel keyring key",
            profile: profile.to_owned(),
            location: self.describe(profile),
            why: "it is not text".to_owned(),
        })
    }

    fn save(&self, profile: &str, value: &Secret<String>) -> StoreResult<()> {
        write(&self.name(profile), value.expose().as_bytes(), None)
    }

    fn delete(&self, profile: &str) -> StoreResult<bool> {
        remove(&self.name(profile))
    }

    fn probe(&self) -> StoreResult<()> {
        persistent().map(drop)
    }
}

/// Quick copies of access tokens (never a refresh token), each with a kernel expiry no later
/// than its token's: `token` reads one in microseconds where the session's own store takes
/// milliseconds. A copy is only ever a cache; the session's store has the last word.
#[derive(Clone, Debug)]
pub(crate) struct AccessCopies {
    namespace: String,
}

impl AccessCopies {
    fn name(&self, profile: &str) -> String {
        format!("{PREFIX}{}:{profile}{ACCESS_SUFFIX}", self.namespace)
    }

    pub(crate) fn load(&self, profile: &str) -> StoreResult<Option<Secret<String>>> {
        Ok(read(&self.name(profile))?.and_then(text))
    }

    /// Keeps `value` for at most `lifetime` (whole seconds, rounded down); nothing when that
    /// is under a second.
    pub(crate) fn save(
        &self,
        profile: &str,
        value: &Secret<String>,
        lifetime: Duration,
    ) -> StoreResult<()> {
        if lifetime.as_secs() == 0 {
            return self.remove(profile).map(drop);
        }
        let lifetime = Duration::from_secs(lifetime.as_secs());
        write(
            &self.name(profile),
            value.expose().as_bytes(),
            Some(lifetime),
        )
    }

    pub(crate) fn remove(&self, profile: &str) -> StoreResult<bool> {
        remove(&self.name(profile))
    }
}

/// The payload as text; the buffer it came in is zeroed either way.
fn text(bytes: Zeroizing<Vec<u8>>) -> Option<Secret<String>> {
    std::str::from_utf8(&bytes)
        .ok()
        .map(|text| Secret::new(text.to_owned()))
}
