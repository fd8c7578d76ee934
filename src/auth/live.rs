//! The real parts the session logic runs on: the profile's session in the stores, the lock
//! file, and an HTTP client built only when a request is made.

use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use super::{Held, Locker, SessionStore};
use crate::api::{ApiConfig, ApiError, Client, Service};
use crate::jwt;
use crate::secret::Secret;
use crate::session::{Clock, Grant, Session};
use crate::store::StoreResult;
use crate::store::lock::{Note, ProfileLock};
use crate::store::meta::{META_VERSION, ProfileMeta, Summary};
use crate::store::{StoreChoice, StoreError, StoreKind, Stores, load_session};

/// One profile's session in the stores, found through its metadata.
#[derive(Debug)]
pub(crate) struct ProfileStore<'a> {
    stores: &'a Stores,
    profile: &'a str,
    choice: StoreChoice,
    /// The metadata as settings read it; taken by the first read, later reads go to the file.
    initial: RefCell<Option<Option<ProfileMeta>>>,
    /// Where the last read found the session: a refresh writes it back there.
    loaded_from: Cell<Option<StoreKind>>,
}

impl<'a> ProfileStore<'a> {
    pub(crate) fn new(
        stores: &'a Stores,
        profile: &'a str,
        choice: StoreChoice,
        meta: Option<ProfileMeta>,
    ) -> Self {
        ProfileStore {
            stores,
            profile,
            choice,
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

    fn kind(&self) -> StoreResult<StoreKind> {
        let remembered = self.meta()?.map(|meta| meta.store);
        Ok(Stores::kind_for_reading(self.choice, remembered))
    }
}

impl ProfileStore<'_> {
    /// Writes the metadata: where the session is, and what `status` shows of it.
    fn remember(&self, kind: StoreKind, session: Option<&Session>) -> StoreResult<()> {
        let paths = self.stores.paths()?;
        let previous = ProfileMeta::load(paths, self.profile).ok().flatten();
        let (base_url, username) = match (session, &previous) {
            (Some(session), _) => (session.base_url.clone(), session.username.clone()),
            (None, Some(meta)) => (meta.base_url.clone(), meta.username.clone()),
            (None, None) => return Ok(()),
        };
        let meta = ProfileMeta {
            version: META_VERSION,
            base_url,
            username,
            store: kind,
            session: session.map(|session| {
                let identity = jwt::identity(session.access_token.expose());
                Summary {
                    access_token_expires_at: session.access_expires_at,
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
        let kind = self.kind()?;
        self.loaded_from.set(Some(kind));
        load_session(&*self.stores.open(kind), self.profile)
    }

    fn replace(&self, session: &Session) -> StoreResult<()> {
        let kind = match self.loaded_from.get() {
            Some(kind) => kind,
            None => self.kind()?,
        };
        self.stores
            .open(kind)
            .save(self.profile, &session.to_json())?;
        self.remember(kind, Some(session))
    }

    fn store_new(&self, session: &Session) -> StoreResult<Option<String>> {
        let previous = ProfileMeta::load(self.stores.paths()?, self.profile)
            .ok()
            .flatten()
            .map(|meta| meta.store);
        let (kind, fallback) =
            self.stores
                .save_new(self.choice, self.profile, &session.to_json())?;
        // A session lives in one place: drop a copy an earlier login left in the other store.
        if let Some(previous) = previous
            && previous != kind
        {
            let _ = self.stores.open(previous).delete(self.profile);
        }
        self.remember(kind, Some(session))?;
        self.loaded_from.set(Some(kind));
        // Once per profile: a profile already in the file store is not warned about again.
        let warned_before = previous == Some(StoreKind::File);
        Ok(fallback.filter(|_| !warned_before).map(|why| {
            let reason = match why {
                StoreError::TimedOut { .. } => "the OS credential store did not answer",
                StoreError::Locked { .. } => "the OS credential store is locked",
                _ => "no OS credential store is running here",
            };
            format!(
                "{reason}; session saved to {} (mode 0600) instead; --store file chooses that \
                 without this warning",
                self.stores.open(StoreKind::File).describe(self.profile)
            )
        }))
    }

    fn check_usable(&self) -> StoreResult<()> {
        let probe = |kind| self.stores.open(kind).probe();
        match self.choice {
            StoreChoice::Keyring => probe(StoreKind::Keyring)?,
            StoreChoice::File => probe(StoreKind::File)?,
            // The keychain if it can be used here, else the file store must be.
            StoreChoice::Auto => match probe(StoreKind::Keyring) {
                Ok(()) => {}
                Err(err) if err.is_unusable() => probe(StoreKind::File)?,
                Err(err) => return Err(err),
            },
        }
        Ok(())
    }

    fn place(&self) -> &'static str {
        self.loaded_from.get().map_or("file", StoreKind::name)
    }

    fn remove(&self) -> StoreResult<()> {
        let kind = match self.loaded_from.get() {
            Some(kind) => kind,
            None => self.kind()?,
        };
        self.stores.open(kind).delete(self.profile)?;
        // The profile still remembers where and as whom it signed in, for the next login.
        self.remember(kind, None)
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

    fn client(&self) -> &Client {
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
