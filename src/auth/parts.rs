//! What the session logic runs on (its store, lock, the identity asked for, credentials) and
//! what it is asked and hands back: the traits and plain types around `Flow`.

use std::time::Duration;

use crate::secret::Secret;
use crate::session::{Access, Session};
use crate::store::StoreResult;
use crate::store::lock::Note;
use crate::url::BaseUrl;

/// What the session logic stores and reads: one profile's session, wherever it lives.
pub(crate) trait SessionStore {
    /// The profile's session. Reads after the first go by the metadata as it is now, so a
    /// session another process just stored elsewhere is found.
    fn load(&self) -> StoreResult<Option<Session>>;
    /// Whether the session is in a store slow to read (the OS credential store) and a quick
    /// copy of its access token can be kept beside it (the kernel keyring).
    fn keeps_copies(&self) -> bool;
    /// The quick copy of the access token, if the store keeps one and it is there.
    fn load_copy(&self) -> Option<Access>;
    /// Keeps a quick copy of the session's access token, when `keeps_copies`. Called only
    /// with the lock held, on a session read under it: a copy made without the lock could
    /// outlive a logout or a login that overtook the read. Failing to keep one is no error.
    fn keep_copy(&self, session: &Session);
    /// Replaces the session in the store it came from (after a refresh).
    fn replace(&self, session: &Session) -> StoreResult<()>;
    /// Stores a new session (after a sign-in) where the store choice says; returns a warning
    /// when it had to go somewhere else.
    fn store_new(&self, session: &Session) -> StoreResult<Option<String>>;
    /// Removes an ended session.
    fn remove(&self) -> StoreResult<()>;
    /// Fails when the chosen store cannot be used here: checked before credentials are sent
    /// for a session that could not be kept.
    fn check_usable(&self) -> StoreResult<()>;
    /// The name of the store the session was last read from or written to.
    fn place(&self) -> &'static str;
}

/// The profile lock: held while refreshing or signing in, so only one process does.
pub(crate) trait Locker {
    fn lock(&self) -> StoreResult<Box<dyn Held>>;
    /// The lock if it is free this instant; never waits.
    fn try_lock(&self) -> Option<Box<dyn Held>>;
}

/// A held lock and the failure note it carries for the processes queued behind it.
pub(crate) trait Held {
    fn note(&self) -> Option<Note>;
    fn set_note(&self, note: &Note);
    fn clear_note(&self);
}

/// The identity a token is asked for.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) profile: String,
    pub(crate) base_url: BaseUrl,
    /// A username given for this call (`--username`, `POINTAUTH_USERNAME`).
    pub(crate) username: Option<String>,
}

/// POINTAUTH_USERNAME and POINTAUTH_PASSWORD, for signing in without a person.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: Secret<String>,
}

/// How long the token must stay valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MinTtl {
    /// No `--min-ttl` given.
    Default,
    Explicit(Duration),
}

/// The default minimum time to live.
const DEFAULT_MIN_TTL: Duration = Duration::from_secs(300);

impl MinTtl {
    /// The minimum time to live for `session`: an explicit one as given; the default is
    /// 5 minutes, or half the lifetime of the service's last token when that is shorter, so a
    /// service issuing 60-second tokens still works and a just-refreshed token is never
    /// refreshed again at once.
    pub(crate) fn for_access(self, access: &Access) -> Duration {
        match self {
            MinTtl::Explicit(duration) => duration,
            MinTtl::Default => access.lifetime.map_or(DEFAULT_MIN_TTL, |lifetime| {
                DEFAULT_MIN_TTL.min(Duration::from_secs(u64::from(lifetime) / 2))
            }),
        }
    }
}

/// What the caller needs from the access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// Valid for at least the minimum time to live; refreshed only when it is not.
    Fresh(MinTtl),
    /// A refresh now, whatever the token's age (`pointauth refresh`).
    New,
    /// Any token but the one the service just rejected (its `Access::fingerprint`): the one
    /// another process got since, if it has, else a refresh now. Never the rejected one again,
    /// so no stale token is handed out as a fallback either.
    Replacing(u64),
}

/// How the session handed out was had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum How {
    Cached,
    Refreshed,
    SignedIn,
    /// The refresh failed for a passing reason; the cached token is still valid.
    Degraded,
}

/// An access token fit to hand out, and what the user should be told about getting it.
#[derive(Debug)]
pub(crate) struct Obtained {
    pub(crate) access: Access,
    pub(crate) how: How,
    pub(crate) warnings: Vec<String>,
}

/// What `login` stored, and what the user should be told about where.
#[derive(Debug)]
pub(crate) struct LoggedIn {
    pub(crate) session: Session,
    pub(crate) warnings: Vec<String>,
}
