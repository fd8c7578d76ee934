//! The session logic as a table of situations, run in process against a fake clock, store,
//! service and lock: what it hands out, what it stores, and which calls it makes.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::api::{ApiError, Call, Failure, Service};
use crate::error::Kind;
use crate::session::Grant;
use crate::store::{StoreError, StoreResult};
use crate::url::BaseUrl;

const BASE: &str = "https://h.example";

struct FakeClock(Mutex<DateTime<Utc>>);

impl FakeClock {
    fn at(text: &str) -> Self {
        FakeClock(Mutex::new(text.parse().unwrap()))
    }
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        FakeClock::now(self)
    }
}

/// The store: what each read returns (scripted, then the last value again), and what was written.
#[derive(Default)]
struct FakeStore {
    /// Every read fails so (a keychain out of reach), when set.
    unreadable: Cell<bool>,
    /// Every write fails so (nowhere to write), when set.
    unwritable: Cell<bool>,
    reads: RefCell<VecDeque<Option<Session>>>,
    current: RefCell<Option<Session>>,
    replaced: RefCell<Vec<Session>>,
    stored_new: RefCell<Vec<Session>>,
    removed: Cell<usize>,
    loads: Cell<usize>,
    /// A slow store (the OS credential store), beside which quick copies are kept.
    slow: Cell<bool>,
    /// A quick copy of an access token, as a slow store keeps beside its session.
    copy: RefCell<Option<Access>>,
    /// The sessions `keep_copy` was given, and whether the lock was held each time.
    kept: RefCell<Vec<(Session, bool)>>,
    /// Set by the test's locker: how many locks are held now.
    held: Rc<Cell<usize>>,
}

impl FakeStore {
    fn holding(session: Option<Session>) -> Self {
        let store = FakeStore::default();
        *store.current.borrow_mut() = session;
        store
    }
    /// The next reads return these, in order (another process at work), then `current`.
    fn then_reads(self, reads: Vec<Option<Session>>) -> Self {
        *self.reads.borrow_mut() = reads.into();
        self
    }
    /// A quick copy of this access token, beside the session.
    fn with_copy(self, access: Access) -> Self {
        *self.copy.borrow_mut() = Some(access);
        self.slow.set(true);
        self
    }
    /// A slow store with no copy (yet).
    fn slow(self) -> Self {
        self.slow.set(true);
        self
    }
}

impl SessionStore for FakeStore {
    fn load(&self) -> StoreResult<Option<Session>> {
        self.loads.set(self.loads.get() + 1);
        if self.unreadable.get() {
            return Err(StoreError::Unavailable {
                store: "fake keychain",
                reason: "no bus".into(),
            });
        }
        if let Some(next) = self.reads.borrow_mut().pop_front() {
            *self.current.borrow_mut() = next;
        }
        Ok(self.current.borrow().clone())
    }
    fn keeps_copies(&self) -> bool {
        self.slow.get()
    }
    fn load_copy(&self) -> Option<Access> {
        self.copy.borrow().clone()
    }
    fn keep_copy(&self, session: &Session) {
        let locked = self.held.get() > 0;
        self.kept.borrow_mut().push((session.clone(), locked));
    }
    fn replace(&self, session: &Session) -> StoreResult<()> {
        self.replaced.borrow_mut().push(session.clone());
        *self.current.borrow_mut() = Some(session.clone());
        Ok(())
    }
    fn store_new(&self, session: &Session) -> StoreResult<Option<String>> {
        if self.unwritable.get() {
            return Err(read_only());
        }
        self.stored_new.borrow_mut().push(session.clone());
        *self.current.borrow_mut() = Some(session.clone());
        Ok(None)
    }
    fn remove(&self) -> StoreResult<()> {
        self.removed.set(self.removed.get() + 1);
        *self.current.borrow_mut() = None;
        Ok(())
    }
    fn check_usable(&self) -> StoreResult<()> {
        Ok(())
    }
    fn place(&self) -> &'static str {
        "fake"
    }
}

/// The service: scripted answers in order; records the calls made.
#[derive(Default)]
struct FakeService {
    answers: RefCell<VecDeque<std::result::Result<Grant, ApiError>>>,
    calls: RefCell<Vec<Call>>,
}

impl FakeService {
    fn answering(answers: Vec<std::result::Result<Grant, ApiError>>) -> Self {
        FakeService {
            answers: RefCell::new(answers.into()),
            calls: RefCell::default(),
        }
    }
    fn next(&self, call: Call) -> std::result::Result<Grant, ApiError> {
        self.calls.borrow_mut().push(call);
        self.answers
            .borrow_mut()
            .pop_front()
            .expect("an unexpected call to the service")
    }
}

impl Service for FakeService {
    fn sign_in(&self, _: &str, _: &Secret<String>) -> std::result::Result<Grant, ApiError> {
        self.next(Call::SignIn)
    }
    fn refresh(&self, _: &Secret<String>) -> std::result::Result<Grant, ApiError> {
        self.next(Call::Refresh)
    }
}

#[derive(Default)]
struct FakeLocker {
    note: Rc<RefCell<Option<Note>>>,
    taken: Cell<usize>,
    /// How many locks are held now (shared with the store, to check `keep_copy`).
    held: Rc<Cell<usize>>,
    /// Another process holds the lock: `try_lock` gets nothing (`lock` would wait, and get it).
    busy: Cell<bool>,
    tried: Cell<usize>,
    /// The lock file cannot be made (a read-only state directory), when set.
    unwritable: Cell<bool>,
}

fn read_only() -> StoreError {
    StoreError::io(
        "create",
        "/home/ro/.local/state/pointauth",
        std::io::ErrorKind::ReadOnlyFilesystem.into(),
    )
}

struct FakeHeld(Rc<RefCell<Option<Note>>>, Rc<Cell<usize>>);

impl Held for FakeHeld {
    fn note(&self) -> Option<Note> {
        self.0.borrow().clone()
    }
    fn set_note(&self, note: &Note) {
        *self.0.borrow_mut() = Some(note.clone());
    }
    fn clear_note(&self) {
        *self.0.borrow_mut() = None;
    }
}

impl Drop for FakeHeld {
    fn drop(&mut self) {
        self.1.set(self.1.get() - 1);
    }
}

impl Locker for FakeLocker {
    fn lock(&self) -> StoreResult<Box<dyn Held>> {
        if self.unwritable.get() {
            return Err(read_only());
        }
        assert_eq!(
            self.held.get(),
            0,
            "a lock waited for while holding one deadlocks"
        );
        self.taken.set(self.taken.get() + 1);
        self.held.set(self.held.get() + 1);
        Ok(Box::new(FakeHeld(
            Rc::clone(&self.note),
            Rc::clone(&self.held),
        )))
    }
    fn try_lock(&self) -> Option<Box<dyn Held>> {
        self.tried.set(self.tried.get() + 1);
        if self.busy.get() || self.held.get() > 0 {
            return None;
        }
        self.held.set(self.held.get() + 1);
        Some(Box::new(FakeHeld(
            Rc::clone(&self.note),
            Rc::clone(&self.held),
        )))
    }
}

fn grant(access: &str, refresh: Option<&str>, expires_in: u32) -> Grant {
    Grant {
        access_token: Secret::new(access.into()),
        refresh_token: refresh.map(|r| Secret::new(r.into())),
        expires_in,
    }
}

/// A session signed in `age` ago whose access token lives `lifetime` seconds.
fn session(clock: &FakeClock, access: &str, refresh: &str, age: i64, lifetime: u32) -> Session {
    let signed_in = clock.now() - TimeDelta::seconds(age);
    Session::signed_in(
        BASE,
        "alice",
        grant(access, Some(refresh), lifetime),
        signed_in,
    )
    .unwrap()
}

fn failure(failure: Failure, kind: Kind) -> std::result::Result<Grant, ApiError> {
    Err(ApiError::scripted(failure, kind, Some(503), None))
}

struct World {
    /// Each world is another process: notes it wrote are its own.
    salt: u64,
    clock: FakeClock,
    store: FakeStore,
    service: FakeService,
    locker: FakeLocker,
    identity: Identity,
    credentials: Option<Credentials>,
}

impl World {
    fn new(store: FakeStore, service: FakeService) -> Self {
        let locker = FakeLocker::default();
        let store = FakeStore {
            held: Rc::clone(&locker.held),
            ..store
        };
        static PROCESSES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        World {
            salt: PROCESSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            clock: FakeClock::at("2026-11-30T15:00:00Z"),
            store,
            service,
            locker,
            identity: Identity {
                profile: "default".into(),
                base_url: BaseUrl::parse(BASE).unwrap(),
                username: None,
            },
            credentials: None,
        }
    }

    fn with_credentials(mut self) -> Self {
        self.credentials = Some(Credentials {
            username: "alice".into(),
            password: Secret::new("hunter22".into()),
        });
        self
    }

    fn obtain(&self, want: Want) -> Result<Obtained> {
        Flow {
            clock: &self.clock,
            store: &self.store,
            service: &self.service,
            locker: &self.locker,
            identity: &self.identity,
            credentials: self.credentials.as_ref(),
            note_max_age: Duration::from_secs(30),
            salt: self.salt,
            verbose: false,
        }
        .obtain(want)
    }

    fn calls(&self) -> Vec<Call> {
        self.service.calls.borrow().clone()
    }
}

const FRESH: Want = Want::Fresh(MinTtl::Default);

#[test]
fn a_fresh_token_is_handed_out_without_the_lock_or_a_request() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))),
        FakeService::default(),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::Cached);
    assert_eq!(obtained.access.token.expose(), "a1");
    assert_eq!(world.locker.taken.get(), 0);
    assert!(world.calls().is_empty());
}

#[test]
fn a_fresh_quick_copy_is_handed_out_without_reading_the_store() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let stored = session(&clock, "a1", "r1", 60, 3600);
    let world = World::new(
        FakeStore::holding(Some(stored.clone())).with_copy(stored.access),
        FakeService::default(),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::Cached);
    assert_eq!(obtained.access.token.expose(), "a1");
    assert_eq!(world.store.loads.get(), 0, "the slow store is not read");
    assert_eq!(world.locker.taken.get(), 0);
    assert!(world.store.kept.borrow().is_empty());
}

#[test]
fn a_copy_that_is_not_fresh_or_not_for_this_identity_is_passed_over() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    // The copy's token is about to expire, but another process refreshed the session.
    let old = session(&clock, "a1", "r1", 3400, 3600);
    let refreshed = session(&clock, "a2", "r1", 60, 3600);
    let world = World::new(
        FakeStore::holding(Some(refreshed)).with_copy(old.access.clone()),
        FakeService::default(),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.access.token.expose(), "a2");
    assert!(world.calls().is_empty());
    // The copy is renewed from the session read under the lock, and only there.
    let kept = world.store.kept.borrow();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].0.access.token.expose(), "a2");
    assert!(kept[0].1, "a copy is kept only with the lock held");

    // A copy of another user's token is never handed out.
    let mut world = World::new(
        FakeStore::holding(Some(session(&clock, "a3", "r3", 60, 3600))),
        FakeService::default(),
    );
    let mut other = old.access;
    other.username = "mallory".into();
    other.expires_at = clock.now() + TimeDelta::hours(1);
    world.store = world.store.with_copy(other);
    world.identity.username = Some("alice".into());
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.access.token.expose(), "a3");
}

#[test]
fn a_missing_copy_is_made_from_a_read_under_the_lock_only_if_the_lock_is_free() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    // Free: the read is made under it, and a copy kept; the lock is released afterwards.
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))).slow(),
        FakeService::default(),
    );
    assert_eq!(world.obtain(FRESH).unwrap().access.token.expose(), "a1");
    let kept = world.store.kept.borrow();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].1, "kept with the lock held");
    assert_eq!(world.locker.held.get(), 0, "and released");
    assert_eq!(world.store.loads.get(), 1, "one read of the slow store");

    // Held by another process (a long refresh): no waiting, and no copy from a read that a
    // logout could overtake.
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))).slow(),
        FakeService::default(),
    );
    world.locker.busy.set(true);
    assert_eq!(world.obtain(FRESH).unwrap().access.token.expose(), "a1");
    assert!(world.store.kept.borrow().is_empty());
    assert_eq!(world.locker.taken.get(), 0, "never waited for the lock");
}

#[test]
fn a_store_that_keeps_no_copies_never_touches_the_lock_for_a_fresh_token() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))),
        FakeService::default(),
    );
    world.obtain(FRESH).unwrap();
    assert_eq!(world.locker.tried.get() + world.locker.taken.get(), 0);
    assert!(world.store.kept.borrow().is_empty());
}

#[test]
fn a_stale_token_is_refreshed_under_the_lock_and_stored_before_it_is_handed_out() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3400, 3600))),
        FakeService::answering(vec![Ok(grant("a2", Some("r2"), 3600))]),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::Refreshed);
    assert_eq!(obtained.access.token.expose(), "a2");
    assert_eq!(world.locker.taken.get(), 1);
    assert_eq!(world.calls(), [Call::Refresh]);
    let replaced = world.store.replaced.borrow();
    assert_eq!(replaced.len(), 1);
    assert_eq!(
        replaced[0].refresh_token.expose(),
        "r2",
        "the rotated token is kept"
    );
}

#[test]
fn a_token_another_process_refreshed_while_we_waited_is_used_as_it_is() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let stale = session(&clock, "a1", "r1", 3400, 3600);
    let theirs = session(&clock, "a2", "r2", 10, 3600);
    let world = World::new(
        FakeStore::holding(None).then_reads(vec![Some(stale), Some(theirs)]),
        FakeService::default(),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::Cached);
    assert_eq!(obtained.access.token.expose(), "a2");
    assert!(world.calls().is_empty(), "no second refresh");
}

#[test]
fn a_session_ended_while_another_process_rotated_it_is_not_deleted() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let stale = session(&clock, "a1", "r1", 3400, 3600);
    let theirs = session(&clock, "a2", "r2", 5, 3600);
    let world = World::new(
        // fast path, under the lock, then the re-read after the rejection, then READ again.
        FakeStore::holding(None).then_reads(vec![
            Some(stale.clone()),
            Some(stale),
            Some(theirs.clone()),
            Some(theirs),
        ]),
        FakeService::answering(vec![failure(Failure::SessionEnded, Kind::Session)]),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.access.token.expose(), "a2");
    assert_eq!(obtained.how, How::Cached);
    assert_eq!(
        world.store.removed.get(),
        0,
        "the winner's session survives"
    );
}

#[test]
fn a_session_the_service_ended_is_removed_and_reported() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3400, 3600))),
        FakeService::answering(vec![failure(Failure::SessionEnded, Kind::Session)]),
    );
    let err = world.obtain(FRESH).unwrap_err();
    assert_eq!(err.kind(), Kind::Session);
    assert_eq!(world.store.removed.get(), 1);
}

#[test]
fn a_passing_failure_hands_out_the_cached_token_with_a_warning_and_notes_it() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3400, 3600))),
        FakeService::answering(vec![failure(Failure::Transient, Kind::Service)]),
    );
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::Degraded);
    assert_eq!(obtained.access.token.expose(), "a1");
    assert_eq!(obtained.warnings.len(), 1);
    assert!(
        obtained.warnings[0].contains("cached token"),
        "{:?}",
        obtained.warnings
    );
    let note = world
        .locker
        .note
        .borrow()
        .clone()
        .expect("a note for waiters");
    assert_eq!((note.call.as_str(), note.exit), ("refresh", 5));
    // A waiter right behind it uses the note instead of asking again.
    let waiter = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3400, 3600))),
        FakeService::default(),
    );
    *waiter.locker.note.borrow_mut() = Some(note);
    assert_eq!(waiter.obtain(FRESH).unwrap().how, How::Degraded);
    assert!(waiter.calls().is_empty());
}

#[test]
fn a_passing_failure_with_an_expired_token_is_the_failure() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3700, 3600))),
        FakeService::answering(vec![failure(Failure::Transient, Kind::Service)]),
    );
    assert_eq!(world.obtain(FRESH).unwrap_err().kind(), Kind::Service);
}

#[test]
fn with_nothing_stored_env_credentials_sign_in_and_the_session_is_stored() {
    let world = World::new(
        FakeStore::holding(None),
        FakeService::answering(vec![Ok(grant("a1", Some("r1"), 3600))]),
    )
    .with_credentials();
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::SignedIn);
    assert_eq!(world.calls(), [Call::SignIn]);
    assert_eq!(world.store.stored_new.borrow().len(), 1);
    // And without credentials: not logged in.
    let world = World::new(FakeStore::holding(None), FakeService::default());
    let err = world.obtain(FRESH).unwrap_err();
    assert_eq!(err.kind(), Kind::Session);
    assert!(err.message().contains("not logged in"), "{err}");
}

#[test]
fn a_session_for_another_identity_is_never_handed_out() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let mut world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))),
        FakeService::default(),
    );
    world.identity.base_url = BaseUrl::parse("https://other.example").unwrap();
    let err = world.obtain(FRESH).unwrap_err();
    assert_eq!(err.kind(), Kind::Session);
    assert!(err.message().contains("alice at h.example"), "{err}");
    // Another username, with a password: a sign-in as that user.
    let mut world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))),
        FakeService::answering(vec![Ok(grant("b1", Some("rb"), 3600))]),
    )
    .with_credentials();
    world.identity.username = Some("bob".into());
    world.credentials.as_mut().unwrap().username = "bob".into();
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.access.username, "bob");
    assert_eq!(world.calls(), [Call::SignIn]);
}

#[test]
fn every_way_to_a_new_token_applies_an_explicit_min_ttl() {
    let two_hours = Want::Fresh(MinTtl::Explicit(Duration::from_secs(7200)));
    // After a sign-in...
    let world = World::new(
        FakeStore::holding(None),
        FakeService::answering(vec![Ok(grant("a1", Some("r1"), 3600))]),
    )
    .with_credentials();
    let err = world.obtain(two_hours).unwrap_err();
    assert_eq!(err.kind(), Kind::Usage);
    assert!(err.message().contains("--min-ttl 7200 s"), "{err}");
    // ...and after a refresh.
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))),
        FakeService::answering(vec![Ok(grant("a2", None, 3600))]),
    );
    assert_eq!(world.obtain(two_hours).unwrap_err().kind(), Kind::Usage);
    assert_eq!(world.calls(), [Call::Refresh], "at most one refresh");
}

#[test]
fn a_rejected_token_is_replaced_once_and_never_handed_out_again() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let stored = session(&clock, "a1", "r1", 60, 3600);
    let rejected = Want::Replacing(stored.access.fingerprint());
    // The store still holds the rejected token: a refresh, under the lock.
    let world = World::new(
        FakeStore::holding(Some(stored.clone())),
        FakeService::answering(vec![Ok(grant("a2", None, 3600))]),
    );
    let obtained = world.obtain(rejected).unwrap();
    assert_eq!(obtained.access.token.expose(), "a2");
    assert_eq!(world.calls(), [Call::Refresh]);
    assert_eq!(world.locker.taken.get(), 1, "never the fast path");

    // Another process already replaced it: its token, and no request (single flight).
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a3", "r1", 5, 3600))),
        FakeService::default(),
    );
    assert_eq!(world.obtain(rejected).unwrap().access.token.expose(), "a3");
    assert!(world.calls().is_empty());

    // A refresh that fails for a passing reason gives no fallback: the cached token is the
    // very one the service refused.
    let world = World::new(
        FakeStore::holding(Some(stored)),
        FakeService::answering(vec![failure(Failure::Transient, Kind::Service)]),
    );
    assert_eq!(world.obtain(rejected).unwrap_err().kind(), Kind::Service);
}

#[test]
fn a_refresh_is_made_on_request_even_for_a_fresh_token() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 60, 3600))),
        FakeService::answering(vec![Ok(grant("a2", None, 3600))]),
    );
    let obtained = world.obtain(Want::New).unwrap();
    assert_eq!(obtained.how, How::Refreshed);
    assert_eq!(
        world.store.replaced.borrow()[0].refresh_token.expose(),
        "r1",
        "the same refresh token stays"
    );
}

#[test]
fn waiters_share_a_recent_failed_sign_in_with_its_exit_code_and_hint() {
    let failed = World::new(
        FakeStore::holding(None),
        FakeService::answering(vec![Err(ApiError::scripted(
            Failure::Credentials,
            Kind::Credentials,
            Some(400),
            Some("INVALID_PASSWORD"),
        ))]),
    )
    .with_credentials();
    let first = failed.obtain(FRESH).unwrap_err();
    let note = failed.locker.note.borrow().clone().unwrap();
    assert_eq!(note.code.as_deref(), Some("INVALID_PASSWORD"));

    let waiter = |note: Note, clock_shift: i64| {
        let world = World::new(
            FakeStore::holding(None),
            FakeService::answering(vec![Ok(grant("a1", Some("r1"), 3600))]),
        )
        .with_credentials();
        *world.clock.0.lock().unwrap() += TimeDelta::seconds(clock_shift);
        *world.locker.note.borrow_mut() = Some(note);
        (world.obtain(FRESH), world.calls())
    };
    let (shared, calls) = waiter(note.clone(), 5);
    let shared = shared.unwrap_err();
    assert!(calls.is_empty(), "no second sign-in");
    assert_eq!(shared.kind(), first.kind());
    assert_eq!(shared.kind(), Kind::Credentials);
    assert!(
        shared.hint_text().unwrap().contains("check the username"),
        "{shared:?}"
    );

    // A note older than the time limit, from the future, or for someone else is ignored.
    let stale = waiter(note.clone(), 31);
    assert_eq!(stale.1, [Call::SignIn]);
    let future = waiter(note.clone(), -5);
    assert_eq!(future.1, [Call::SignIn]);
    let other = waiter(
        Note {
            username: "bob".into(),
            ..note.clone()
        },
        1,
    );
    assert_eq!(other.1, [Call::SignIn]);
    // Another password (a corrected one) is tried at once.
    let corrected = waiter(
        Note {
            tag: Note::tag_of(note.salt, b"the corrected password"),
            ..note
        },
        1,
    );
    assert_eq!(corrected.1, [Call::SignIn]);
}

#[test]
fn a_process_that_asks_again_after_its_own_failure_tries_again() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3400, 3600))),
        FakeService::answering(vec![
            failure(Failure::Transient, Kind::Service),
            Ok(grant("a2", None, 3600)),
        ]),
    );
    let first = world.obtain(Want::Replacing(0)).unwrap_err();
    assert_eq!(first.kind(), Kind::Service);
    assert!(world.locker.note.borrow().is_some(), "noted for waiters");
    // The same process a moment later (exec --token-file's retry): its own note is no
    // answer, so it refreshes, where another process would have shared the failure.
    let again = world.obtain(Want::Replacing(0)).unwrap();
    assert_eq!(again.how, How::Refreshed);
    assert_eq!(again.access.token.expose(), "a2");
    assert_eq!(world.calls(), [Call::Refresh, Call::Refresh]);
}

#[test]
fn the_default_min_ttl_adapts_to_short_lived_tokens() {
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    // A service issuing 60 s tokens: one signed in 10 s ago is fresh for the default.
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 10, 60))),
        FakeService::default(),
    );
    assert_eq!(world.obtain(FRESH).unwrap().how, How::Cached);
    // 35 s old: under half its life left, refreshed, and the new one is handed out.
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 35, 60))),
        FakeService::answering(vec![Ok(grant("a2", None, 60))]),
    );
    assert_eq!(world.obtain(FRESH).unwrap().how, How::Refreshed);
    // An explicit 5 minutes cannot be met by 60 s tokens: a usage error after one refresh.
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 10, 60))),
        FakeService::answering(vec![Ok(grant("a2", None, 60))]),
    );
    let err = world
        .obtain(Want::Fresh(MinTtl::Explicit(Duration::from_secs(300))))
        .unwrap_err();
    assert_eq!(err.kind(), Kind::Usage);
    assert_eq!(world.calls(), [Call::Refresh]);
}

#[test]
fn where_nothing_can_be_stored_env_credentials_still_hand_out_a_token_uncached() {
    // The lock cannot even be made: a read-only HOME.
    let world = World::new(
        FakeStore::holding(None),
        FakeService::answering(vec![Ok(grant("a1", Some("r1"), 3600))]),
    )
    .with_credentials();
    world.locker.unwritable.set(true);
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::SignedIn);
    assert_eq!(obtained.warnings.len(), 1);
    assert!(
        obtained.warnings[0].contains("not cached"),
        "{:?}",
        obtained.warnings
    );
    assert!(
        obtained.warnings[0].contains("XDG_STATE_HOME"),
        "{:?}",
        obtained.warnings
    );
    // The lock works but the session cannot be written.
    let world = World::new(
        FakeStore::holding(None),
        FakeService::answering(vec![Ok(grant("a1", Some("r1"), 3600))]),
    )
    .with_credentials();
    world.store.unwritable.set(true);
    let obtained = world.obtain(FRESH).unwrap();
    assert!(
        obtained.warnings[0].contains("not cached"),
        "{:?}",
        obtained.warnings
    );
    // Without credentials and with nothing stored: not logged in, whatever else is wrong.
    let world = World::new(FakeStore::holding(None), FakeService::default());
    world.locker.unwritable.set(true);
    assert_eq!(world.obtain(FRESH).unwrap_err().kind(), Kind::Session);
    // With a stale session that cannot be refreshed under a lock: the reason.
    let clock = FakeClock::at("2026-11-30T15:00:00Z");
    let world = World::new(
        FakeStore::holding(Some(session(&clock, "a1", "r1", 3400, 3600))),
        FakeService::default(),
    );
    world.locker.unwritable.set(true);
    let err = world.obtain(FRESH).unwrap_err();
    assert_eq!(err.kind(), Kind::Internal);
    assert!(err.message().contains("cannot create"), "{err}");
}

#[test]
fn a_store_out_of_reach_is_replaced_by_a_sign_in_from_the_environment() {
    let world = World::new(
        FakeStore::holding(None),
        FakeService::answering(vec![Ok(grant("a1", Some("r1"), 3600))]),
    )
    .with_credentials();
    world.store.unreadable.set(true);
    let obtained = world.obtain(FRESH).unwrap();
    assert_eq!(obtained.how, How::SignedIn);
    assert_eq!(world.calls(), [Call::SignIn]);
    // Without credentials, the store's error is the answer.
    let world = World::new(FakeStore::holding(None), FakeService::default());
    world.store.unreadable.set(true);
    let err = world.obtain(FRESH).unwrap_err();
    assert!(err.message().contains("fake keychain"), "{err}");
}

#[test]
fn a_session_ends_at_the_instant_its_refresh_token_expires() {
    // Signed in 2026-11-30T15:00Z: the refresh token lasts until 2026-12-02T05:00Z.
    let signed_in = FakeClock::at("2026-11-30T15:00:00Z");
    let stored = || Some(session(&signed_in, "a1", "r1", 0, 3600));
    let mut world = World::new(
        FakeStore::holding(stored()),
        FakeService::answering(vec![Ok(grant("a2", Some("r1"), 3600))]),
    );
    world.clock = FakeClock::at("2026-12-02T04:59:59Z");
    assert_eq!(world.obtain(FRESH).unwrap().how, How::Refreshed);
    assert_eq!(world.calls(), [Call::Refresh]);

    let mut world = World::new(FakeStore::holding(stored()), FakeService::default());
    world.clock = FakeClock::at("2026-12-02T05:00:00Z");
    let err = world.obtain(FRESH).unwrap_err();
    assert_eq!(err.kind(), Kind::Session);
    assert!(
        err.message().contains("the session for alice ended"),
        "{err}"
    );
    assert_eq!(world.calls(), [], "an ended refresh token is never sent");
}
