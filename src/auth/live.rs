//! The real parts the session logic runs on: the profile's session in the stores, the lock
//! file, and an HTTP client built only when a request is made.

use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use super::{Held, Locker, SessionStore};
use crate::api::{ApiConfig, ApiError, Client, Service};
use crate::jwt;
use crate::secret::Secret;
use crate::session::{Access, Clock, Grant, Session};
use crate::store::lock::{Note, ProfileLock};
use crate::store::meta::{META_VERSION, ProfileMeta, Summary};
use crate::store::{Naming, StoreChoice, StoreKind, StoreResult, Stores, load_session};

/// One profile's session in the stores, found through its metadata; beside a session in the
/// OS credential store, a quick copy of its access token in the kernel keyring.
#[derive(Debug)]
pub(crate) struct ProfileStore<'a> {
    stores: &'a Stores,
    profile: &'a str,
    choice: StoreChoice,
    clock: &'a dyn Clock,
    /// The metadata as settings read it; taken by the first read, later reads go to the file.
    initial: RefCell<Option<Option<ProfileMeta>>>,
    /// Where the last read found the session: a refresh writes it back there.
    loaded_from: Cell<Option<Place>>,
}

/// Where a session is: a store, and how its entry there is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    kind: StoreKind,
    naming: Naming,
}

impl Place {
    /// Where `choice` and the metadata say the session is. Metadata of format 0 (pointauth
    /// 0.1) means a keychain entry named after the profile alone.
    fn of(choice: StoreChoice, meta: Option<&ProfileMeta>) -> Place {
        let kind = Stores::kind_for_reading(choice, meta.map(|meta| meta.store));
        let legacy = meta
            .is_some_and(|meta| meta.store == StoreKind::Keyring && meta.version < META_VERSION);
        let naming = if kind == StoreKind::Keyring && legacy {
            Naming::Legacy
        } else {
            Naming::Namespaced
        };
        Place { kind, naming }
    }

    const fn new(kind: StoreKind) -> Place {
        Place {
            kind,
            naming: Naming::Namespaced,
        }
    }
}

impl<'a> ProfileStore<'a> {
    pub(crate) fn new(
        stores: &'a Stores,
        profile: &'a str,
        choice: StoreChoice,
        clock: &'a dyn Clock,
        meta: Option<ProfileMeta>,
    ) -> Self {
        ProfileStore {
            stores,
            profile,
            choice,
            clock,
            initial: RefCell::new(Some(meta)),
            loaded_from: Cell::new(None),
        }
    }

    fn meta(&self) -> StoreResult<Option<ProfileMeta>> {
        match self.initial.borrow_mut().take() {
            Some(meta) => Ok(meta),
            None => ProfileMeta::load(self.stores.paths()?, self.profile),
        }
    }

    fn location(&self) -> StoreResult<Place> {
        Ok(Place::of(self.choice, self.meta()?.as_ref()))
    }

    /// Where the session is, judged by the metadata settings read, without taking it (the
    /// first `load` still does): `None` when that metadata could not be read.
    fn where_now(&self) -> Option<Place> {
        match &*self.initial.borrow() {
            Some(meta) => Some(Place::of(self.choice, meta.as_ref())),
            None => self.loaded_from.get(),
        }
    }

    fn open(&self, place: Place) -> Box<dyn crate::store::SecretStore> {
        self.stores.open_named(place.kind, place.naming)
    }

    fn load_at(&self, place: Place) -> StoreResult<Option<Session>> {
        self.loaded_from.set(Some(place));
        load_session(&*self.open(place), self.profile)
    }

    /// Where the session was read, or else where it is.
    fn current(&self) -> StoreResult<Place> {
        match self.loaded_from.get() {
            Some(place) => Ok(place),
            None => self.location(),
        }
    }

    /// Keeps the access token of a session in the OS credential store as a quick copy, for
    /// no longer than it lives; a copy that cannot be kept is only slower.
    fn copy_access(&self, place: Place, session: &Session) {
        let Some(copies) = self.stores.copies() else {
            return;
        };
        if place.kind != StoreKind::Keyring {
            return;
        }
        // The clock is truncated to whole seconds and the kernel's timer starts after it was
        // read: one second less keeps the kernel's expiry no later than the token's.
        let left = (session.access.expires_at - self.clock.now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(std::time::Duration::from_secs(1));
        let _ = copies.save(self.profile, &session.access.to_json(), left);
    }

    fn drop_copy(&self) {
        if let Some(copies) = self.stores.copies() {
            let _ = copies.remove(self.profile);
        }
    }

    /// Writes the metadata: where the session is, and what `status` shows of it.
    fn remember(&self, kind: StoreKind, session: Option<&Session>) -> StoreResult<()> {
        let paths = self.stores.paths()?;
        let previous = ProfileMeta::load(paths, self.profile).ok().flatten();
        let (base_url, username) = match (session, &previous) {
            (Some(session), _) => (
                session.access.base_url.clone(),
                session.access.username.clone(),
            ),
            (None, Some(meta)) => (meta.base_url.clone(), meta.username.clone()),
            (None, None) => return Ok(()),
        };
        let meta = ProfileMeta {
            version: META_VERSION,
            base_url,
            username,
            store: kind,
            session: session.map(|session| {
                let identity = jwt::identity(session.access.token.expose());
                Summary {
                    access_token_expires_at: session.access.expires_at,
                    refresh_token_expires_at: session.refresh_expires_at,
                    email: identity.email,
                    user_id: identity.user_id,
                }
            }),
        };
        if previous.as_ref() != Some(&meta) {
            meta.save(paths, self.profile)?;
        }
        Ok(())
    }
}

impl SessionStore for ProfileStore<'_> {
    fn load(&self) -> StoreResult<Option<Session>> {
        let place = self.location()?;
        self.load_at(place)
    }

    fn keeps_copies(&self) -> bool {
        self.stores.copies().is_some()
            && self
                .where_now()
                .is_some_and(|place| place.kind == StoreKind::Keyring)
    }

    fn load_copy(&self) -> Option<Access> {
        if !self.keeps_copies() {
            return None;
        }
        let text = self.stores.copies()?.load(self.profile).ok()??;
        Access::from_json(text.expose()).ok()
    }

    fn keep_copy(&self, session: &Session) {
        if let Some(place) = self.loaded_from.get() {
            self.copy_access(place, session);
        }
    }

    fn replace(&self, session: &Session) -> StoreResult<()> {
        let place = self.current()?;
        // A pointauth 0.1 keychain entry moves to its namespaced name on its first refresh.
        let target = Place::new(place.kind);
        self.open(target).save(self.profile, &session.to_json())?;
        self.loaded_from.set(Some(target));
        self.remember(target.kind, Some(session))?;
        if place != target {
            let _ = self.open(place).delete(self.profile);
        }
        self.copy_access(target, session);
        Ok(())
    }

    fn store_new(&self, session: &Session) -> StoreResult<Option<String>> {
        let remembered = ProfileMeta::load(self.stores.paths()?, self.profile)
            .ok()
            .flatten();
        let previous = remembered
            .as_ref()
            .map(|meta| Place::of(StoreChoice::Auto, Some(meta)));
        // The copy of the previous session goes first: it may be another user's.
        self.drop_copy();
        let (kind, fallback) =
            self.stores
                .save_new(self.choice, self.profile, &session.to_json())?;
        let place = Place::new(kind);
        // A session lives in one place: drop a copy an earlier login left elsewhere.
        if let Some(previous) = previous
            && previous != place
        {
            let _ = self.open(previous).delete(self.profile);
        }
        self.remember(kind, Some(session))?;
        self.loaded_from.set(Some(place));
        self.copy_access(place, session);
        // Once per profile: a profile already in the file store is not warned about again.
        let warned_before = previous.is_some_and(|previous| previous.kind == StoreKind::File);
        Ok(fallback.filter(|_| !warned_before).map(|why| {
            format!(
                "{}; session saved to {} (mode 0600); --store file skips this warning",
                why.reason(),
                self.stores.open(StoreKind::File).describe(self.profile)
            )
        }))
    }

    fn check_usable(&self) -> StoreResult<()> {
        self.stores.probe(self.choice)
    }

    fn place(&self) -> &'static str {
        self.loaded_from
            .get()
            .map_or("file", |place| place.kind.name())
    }

    fn remove(&self) -> StoreResult<()> {
        let place = self.current()?;
        self.drop_copy();
        self.open(place).delete(self.profile)?;
        // The profile still remembers where and as whom it signed in, for the next login.
        self.remember(place.kind, None)
    }
}

/// The profile's lock file.
#[derive(Debug)]
pub(crate) struct LockFile<'a> {
    pub(crate) stores: &'a Stores,
    pub(crate) profile: &'a str,
    pub(crate) patience: Duration,
}

impl Locker for LockFile<'_> {
    fn lock(&self) -> StoreResult<Box<dyn Held>> {
        let lock = ProfileLock::acquire(self.stores.paths()?, self.profile, self.patience)?;
        Ok(Box::new(lock))
    }

    fn try_lock(&self) -> Option<Box<dyn Held>> {
        let paths = self.stores.paths().ok()?;
        let lock = ProfileLock::acquire(paths, self.profile, Duration::ZERO).ok()?;
        Some(Box::new(lock))
    }
}

impl Held for ProfileLock {
    fn note(&self) -> Option<Note> {
        ProfileLock::note(self)
    }

    fn set_note(&self, note: &Note) {
        ProfileLock::set_note(self, note);
    }

    fn clear_note(&self) {
        ProfileLock::clear_note(self);
    }
}

/// The HTTP client, built on the first request: the cached `token` path never pays for it.
pub(crate) struct LazyClient<'a> {
    config: &'a ApiConfig,
    clock: Arc<dyn Clock>,
    client: OnceCell<Client>,
}

impl std::fmt::Debug for LazyClient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient").finish_non_exhaustive()
    }
}

impl<'a> LazyClient<'a> {
    pub(crate) fn new(config: &'a ApiConfig, clock: Arc<dyn Clock>) -> Self {
        LazyClient {
            config,
            clock,
            client: OnceCell::new(),
        }
    }

    /// The client, built now if no request was made yet.
    pub(crate) fn client(&self) -> &Client {
        self.client
            .get_or_init(|| Client::new(self.config, Arc::clone(&self.clock)))
    }
}

impl Service for LazyClient<'_> {
    fn sign_in(&self, username: &str, password: &Secret<String>) -> Result<Grant, ApiError> {
        self.client().sign_in(username, password)
    }

    fn refresh(&self, refresh_token: &Secret<String>) -> Result<Grant, ApiError> {
        self.client().refresh(refresh_token)
    }
}
