//! The keychain store against in-memory backends: the parts protocol, damage, and bounds.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
/// An in-memory store that refuses secrets over `cap` bytes, as Windows does at 2560, and
/// counts the reads it is asked for.
struct Capped {
    cap: usize,
    entries: Mutex<BTreeMap<String, Vec<u8>>>,
    gets: std::sync::atomic::AtomicUsize,
}

impl Capped {
    fn new(cap: usize) -> Arc<Self> {
        Arc::new(Capped {
            cap,
            entries: Mutex::new(BTreeMap::new()),
            gets: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn users(&self) -> Vec<String> {
        self.entries.lock().unwrap().keys().cloned().collect()
    }
}

impl Backend for Capped {
    fn get(&self, user: &str) -> StoreResult<Option<Vec<u8>>> {
        self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.entries.lock().unwrap().get(user).cloned())
    }
    fn set(&self, user: &str, secret: &[u8]) -> StoreResult<()> {
        if secret.len() > self.cap {
            return Err(StoreError::Unavailable {
                store: "capped",
                reason: "too long for the platform".into(),
            });
        }
        self.entries
            .lock()
            .unwrap()
            .insert(user.into(), secret.into());
        Ok(())
    }
    fn delete(&self, user: &str) -> StoreResult<bool> {
        Ok(self.entries.lock().unwrap().remove(user).is_some())
    }
    fn list(&self) -> StoreResult<Vec<String>> {
        Ok(self.users())
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
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    backend.delete("p#1.2").unwrap();
    assert!(store.load("p").is_err());

    // Altered without a change of length: the checksum tells.
    store.save("q", &session_like(250)).unwrap();
    let mut part = backend.get("q#1.2").unwrap().unwrap();
    part.reverse();
    backend.set("q#1.2", &part).unwrap();
    let err = store.load("q").unwrap_err();
    assert!(err.to_string().contains("do not add up"), "{err}");

    // Bytes moved from one part to another: the same session, but a part larger than an
    // entry is never read as one.
    store.save("r", &session_like(250)).unwrap();
    let first = backend.get("r#1.1").unwrap().unwrap();
    let second = backend.get("r#1.2").unwrap().unwrap();
    let moved: Vec<u8> = first.iter().chain(&second[..10]).copied().collect();
    backend
        .entries
        .lock()
        .unwrap()
        .insert("r#1.1".into(), moved);
    backend.set("r#1.2", &second[10..]).unwrap();
    let err = store.load("r").unwrap_err();
    assert!(err.to_string().contains("larger than an entry"), "{err}");
}

#[test]
fn a_split_session_is_read_with_one_read_per_entry() {
    // Each keychain read can cost milliseconds (or a prompt): the manifest and each part once.
    let backend = Capped::new(100);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
    store.save("p", &session_like(250)).unwrap();
    backend.gets.store(0, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(store.load("p").unwrap().unwrap(), session_like(250));
    assert_eq!(backend.gets.load(std::sync::atomic::Ordering::SeqCst), 4);
}

/// Fails every `set` after the first `allowed` ones, like a keychain that stops answering.
struct Failing {
    inner: Arc<Capped>,
    allowed: std::sync::atomic::AtomicUsize,
}

impl Backend for Failing {
    fn get(&self, user: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.get(user)
    }
    fn set(&self, user: &str, secret: &[u8]) -> StoreResult<()> {
        use std::sync::atomic::Ordering;
        if self.allowed.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(StoreError::Unavailable {
                store: "failing",
                reason: "stopped answering".into(),
            });
        }
        self.inner.set(user, secret)
    }
    fn delete(&self, user: &str) -> StoreResult<bool> {
        self.inner.delete(user)
    }
    fn list(&self) -> StoreResult<Vec<String>> {
        self.inner.list()
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
    fn get(&self, user: &str) -> StoreResult<Option<Vec<u8>>> {
        if user == "p"
            && let Some(stale) = self.stale.lock().unwrap().take()
        {
            return Ok(Some(stale));
        }
        self.inner.get(user)
    }
    fn set(&self, user: &str, secret: &[u8]) -> StoreResult<()> {
        self.inner.set(user, secret)
    }
    fn delete(&self, user: &str) -> StoreResult<bool> {
        self.inner.delete(user)
    }
    fn list(&self) -> StoreResult<Vec<String>> {
        self.inner.list()
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
    fn get(&self, _: &str) -> StoreResult<Option<Vec<u8>>> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(None)
    }
    fn set(&self, _: &str, _: &[u8]) -> StoreResult<()> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(())
    }
    fn delete(&self, _: &str) -> StoreResult<bool> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(false)
    }
    fn list(&self) -> StoreResult<Vec<String>> {
        std::thread::sleep(Duration::from_secs(60));
        Ok(Vec::new())
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
    // The point is that it ends, long before the call would (60 s): expected ~0.1 s (the
    // timeout), and 10 s is a hundred times that for a loaded machine.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(err, StoreError::TimedOut { .. }), "{err:?}");
}

struct Panicking;
impl Backend for Panicking {
    fn get(&self, _: &str) -> StoreResult<Option<Vec<u8>>> {
        panic!("the keychain library panicked");
    }
    fn set(&self, _: &str, _: &[u8]) -> StoreResult<()> {
        panic!("the keychain library panicked");
    }
    fn delete(&self, _: &str) -> StoreResult<bool> {
        panic!("the keychain library panicked");
    }
    fn list(&self) -> StoreResult<Vec<String>> {
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
    // Expected at once; 10 s is a wide margin for a loaded machine, and a third of the 30 s
    // timeout a missed panic waits.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(err.to_string().contains("failed unexpectedly"), "{err}");
}

#[test]
fn a_damaged_manifest_is_replaced_by_the_next_save_and_its_parts_swept() {
    let backend = Capped::new(100);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
    store.save("p", &session_like(250)).unwrap();
    store.save("q", &session_like(250)).unwrap();
    // The manifest is damaged: its parts can no longer be found from it.
    backend.set("p", b"pointauth-parts:v1:1:9:250:0").unwrap();
    assert!(matches!(store.load("p"), Err(StoreError::Corrupt { .. })));
    // The store still answers, so `--store keyring login` may go ahead and replace it.
    store.probe().unwrap();
    store.save("p", &session_like(150)).unwrap();
    assert_eq!(store.load("p").unwrap().unwrap(), session_like(150));
    let mut users = backend.users();
    users.retain(|u| u.starts_with("p"));
    assert_eq!(users, ["p", "p#1.1", "p#1.2"], "the old parts are gone");
    // Another profile's parts are untouched.
    assert_eq!(store.load("q").unwrap().unwrap(), session_like(250));
}

#[test]
fn deleting_a_damaged_entry_removes_every_part() {
    let backend = Capped::new(100);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
    store.save("p", &session_like(350)).unwrap();
    store.save("q", &session_like(10)).unwrap();
    backend
        .set("p", "not a manifest, not a session \u{1}".as_bytes())
        .unwrap();
    backend.set("p", b"pointauth-parts:v1:garbage").unwrap();
    assert!(store.delete("p").unwrap());
    assert_eq!(backend.users(), ["q"], "no token chunk is left behind");
}

#[test]
fn a_manifest_claiming_a_huge_session_is_corrupt_not_an_abort() {
    let backend = Capped::new(100);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
    backend
        .set(
            "p",
            b"pointauth-parts:v1:1:184467440737095516:18446744073709551615:0",
        )
        .unwrap();
    // Corrupt, and no wall-clock bound needed: a load that allocated for the claim would
    // abort the process or panic (Unavailable, not Corrupt), and one that hung would be cut
    // off by the store's 5 s timeout (TimedOut).
    assert!(matches!(store.load("p"), Err(StoreError::Corrupt { .. })));
}

#[test]
fn an_entry_that_is_not_text_is_corrupt_and_can_be_replaced() {
    let backend = Capped::new(100);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
    backend.set("p", b"\xff\xfe\xfd").unwrap();
    let err = store.load("p").unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { what, .. } if *what == "the keychain entry"),
        "{err:?}"
    );
    store.save("p", &session_like(20)).unwrap();
    assert_eq!(store.load("p").unwrap().unwrap(), session_like(20));
}

#[test]
fn profiles_are_entries_of_their_own_not_parts() {
    let backend = Capped::new(100);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
    store.save("b", &session_like(250)).unwrap();
    store.save("a", &session_like(20)).unwrap();
    assert_eq!(store.profiles().unwrap(), ["a", "b"]);
}

/// Counts the calls that reach the backend it wraps.
struct Counted<B> {
    inner: B,
    calls: std::sync::atomic::AtomicUsize,
}

impl<B> Counted<B> {
    fn new(inner: B) -> Arc<Self> {
        Arc::new(Counted {
            inner,
            calls: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn count(&self) {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl<B: Backend> Backend for Counted<B> {
    fn get(&self, user: &str) -> StoreResult<Option<Vec<u8>>> {
        self.count();
        self.inner.get(user)
    }
    fn set(&self, user: &str, secret: &[u8]) -> StoreResult<()> {
        self.count();
        self.inner.set(user, secret)
    }
    fn delete(&self, user: &str) -> StoreResult<bool> {
        self.count();
        self.inner.delete(user)
    }
    fn list(&self) -> StoreResult<Vec<String>> {
        self.count();
        self.inner.list()
    }
    fn max_len(&self) -> Option<usize> {
        self.inner.max_len()
    }
    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

#[test]
fn a_keychain_that_hung_once_is_not_waited_on_again_by_the_same_process() {
    let backend = Counted::new(Hanging);
    let store = KeyringStore::with_backend(backend.clone(), Duration::from_millis(200));
    assert!(matches!(store.load("p"), Err(StoreError::TimedOut { .. })));
    // The first call reached the keychain on its worker thread, which a loaded machine may
    // start late; the deadline only ends the wait if it never does.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while backend.calls() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(backend.calls(), 1);
    assert!(matches!(
        store.save("p", &session_like(5)),
        Err(StoreError::TimedOut { .. })
    ));
    assert!(matches!(store.probe(), Err(StoreError::TimedOut { .. })));
    // Counted, not timed: answered from the first failure, without asking the keychain
    // again. A call that did ask would wait out its 200 ms timeout on a worker whose first
    // act is to count.
    assert_eq!(backend.calls(), 1, "the keychain was asked again");
}

/// A keychain that answers every call with the error its function makes.
struct Refusing(fn() -> StoreError);
impl Backend for Refusing {
    fn get(&self, _: &str) -> StoreResult<Option<Vec<u8>>> {
        Err((self.0)())
    }
    fn set(&self, _: &str, _: &[u8]) -> StoreResult<()> {
        Err((self.0)())
    }
    fn delete(&self, _: &str) -> StoreResult<bool> {
        Err((self.0)())
    }
    fn list(&self) -> StoreResult<Vec<String>> {
        Err((self.0)())
    }
    fn max_len(&self) -> Option<usize> {
        None
    }
    fn name(&self) -> &'static str {
        "refusing test store"
    }
}

#[test]
fn a_keychain_that_refused_once_is_not_asked_again_by_the_same_process() {
    // Each of these means "not usable here": asking again would only repeat an unlock
    // prompt or a D-Bus round trip per profile (`logout --all`, `status --all`).
    let refusals: [fn() -> StoreError; 3] = [
        || StoreError::Unavailable {
            store: "refusing test store",
            reason: "no D-Bus session".to_owned(),
        },
        || StoreError::Locked {
            store: "refusing test store",
            reason: "the collection is locked".to_owned(),
        },
        || StoreError::Full {
            store: "refusing test store",
            reason: "no room".to_owned(),
        },
    ];
    for refusal in refusals {
        let backend = Counted::new(Refusing(refusal));
        let store = KeyringStore::with_backend(backend.clone(), Duration::from_secs(5));
        let first = store.load("p").unwrap_err();
        assert_eq!(backend.calls(), 1);
        let later = [
            store.save("p", &session_like(5)).unwrap_err(),
            store.delete("p").unwrap_err(),
            store.profiles().unwrap_err(),
        ];
        for err in later {
            assert_eq!(
                err.to_string(),
                first.to_string(),
                "the first answer, again"
            );
        }
        assert_eq!(backend.calls(), 1, "the keychain was asked again: {first}");
    }
}
