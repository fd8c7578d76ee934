//! One module per subcommand, each `run(ctx, options) -> Result<ExitCode>`, and the context
//! they are all given. Commands never read the environment or the clock: `Ctx` has both.

pub(crate) mod api;
pub(crate) mod doctor;
pub(crate) mod exec;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod refresh;
pub(crate) mod status;
pub(crate) mod token;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::api::{ApiConfig, Service};
use crate::auth::{
    Credentials, Flow, How, Identity, LazyClient, LockFile, Obtained, ProfileStore, Want,
    lock_patience,
};
use crate::error::Result;
use crate::output::{say, warn};
use crate::secret::Secret;
use crate::session::Clock;
use crate::store::meta::ProfileMeta;
use crate::store::{StoreChoice, Stores};

/// Everything a command needs to know about its surroundings, resolved by settings.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The profile, and the base URL and username asked for.
    pub(crate) identity: Identity,
    pub(crate) store: StoreChoice,
    pub(crate) stores: Stores,
    pub(crate) api: ApiConfig,
    /// POINTAUTH_USERNAME and POINTAUTH_PASSWORD, when both are set.
    pub(crate) credentials: Option<Credentials>,
    /// POINTAUTH_PASSWORD alone: `login` takes it with a username from elsewhere.
    pub(crate) password: Option<Secret<String>>,
    /// What the profile remembers, or why that cannot be read: `login` and `logout` repair
    /// it, every other command reports it.
    pub(crate) meta: Result<Option<ProfileMeta>>,
    /// `$XDG_RUNTIME_DIR`, when set to an absolute path: where `exec --token-file` puts its
    /// file.
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) runtime_dir: Option<PathBuf>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where each global setting came from, for `doctor`.
    pub(crate) origins: Origins,
}

/// Where a setting's value came from: the command line, the environment, what the profile
/// remembers, or the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Origin {
    Flag(&'static str),
    Env(&'static str),
    Remembered,
    #[default]
    Default,
}

impl Origin {
    pub(crate) fn describe(self) -> String {
        match self {
            Origin::Flag(flag) => format!("from {flag}"),
            Origin::Env(name) => format!("from {name}"),
            Origin::Remembered => "remembered by the profile".to_owned(),
            Origin::Default => "default".to_owned(),
        }
    }
}

/// The origins of the global settings settings resolves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Origins {
    pub(crate) profile: Origin,
    pub(crate) base_url: Origin,
    pub(crate) store: Origin,
    pub(crate) timeout: Origin,
}

impl Ctx {
    pub(crate) fn profile(&self) -> &str {
        &self.identity.profile
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The profile's metadata; an unreadable one is an error here.
    pub(crate) fn meta(&self) -> Result<Option<&ProfileMeta>> {
        self.meta.as_ref().map(Option::as_ref).map_err(Clone::clone)
    }

    /// The remembered metadata, or nothing when it cannot be read.
    pub(crate) fn meta_if_readable(&self) -> Option<ProfileMeta> {
        self.meta.as_ref().ok().cloned().flatten()
    }

    /// Runs the session logic on the real store, lock and service.
    pub(crate) fn obtain(&self, want: Want) -> Result<Obtained> {
        let meta = self.meta()?.cloned();
        self.with_flow(meta, |flow| flow.obtain(want))
    }

    /// `obtain` again later in a long-running command: with the profile's metadata as it is
    /// now, not as settings read it at the start (a sign-in since may have moved the session).
    #[cfg_attr(not(unix), allow(dead_code))]
    pub(crate) fn obtain_now(&self, want: Want) -> Result<Obtained> {
        let meta = match self.stores.paths() {
            Ok(paths) => ProfileMeta::load(paths, self.profile())?,
            Err(_) => self.meta()?.cloned(),
        };
        self.with_flow(meta, |flow| flow.obtain(want))
    }

    /// Runs `f` with the session logic wired to the real parts.
    pub(crate) fn with_flow<T>(
        &self,
        meta: Option<ProfileMeta>,
        f: impl FnOnce(&Flow<'_>) -> Result<T>,
    ) -> Result<T> {
        let service = LazyClient::new(&self.api, Arc::clone(&self.clock));
        self.with_flow_on(meta, &service, f)
    }

    /// `with_flow`, with the service given: a command that makes requests of its own shares
    /// one client (and one --timeout budget) with the session logic.
    pub(crate) fn with_flow_on<T>(
        &self,
        meta: Option<ProfileMeta>,
        service: &dyn Service,
        f: impl FnOnce(&Flow<'_>) -> Result<T>,
    ) -> Result<T> {
        let store = ProfileStore::new(
            &self.stores,
            self.profile(),
            self.store,
            self.clock.as_ref(),
            meta,
        );
        let locker = LockFile {
            stores: &self.stores,
            profile: self.profile(),
            patience: lock_patience(self.api.timeout),
        };
        let flow = Flow {
            clock: self.clock.as_ref(),
            store: &store,
            service,
            locker: &locker,
            identity: &self.identity,
            credentials: self.credentials.as_ref(),
            note_max_age: self.api.timeout,
            salt: self.api.jitter_seed.rotate_left(32),
            verbose: self.api.verbose,
        };
        f(&flow)
    }
}

/// Prints what the session logic said the user should know, and with `-v` where the
/// token came from.
pub(crate) fn show_warnings(ctx: &Ctx, obtained: &Obtained) {
    for warning in &obtained.warnings {
        warn(warning);
    }
    if ctx.api.verbose {
        let how = match obtained.how {
            How::Cached => "the cached token, still fresh",
            How::Refreshed => "a token refreshed just now",
            How::SignedIn => "a token from a sign-in just now",
            How::Degraded => "the cached token, as the refresh failed",
        };
        say!("pointauth: using {how}");
    }
}
