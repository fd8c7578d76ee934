//! One resolved configuration: flags > POINTAUTH_* environment > the profile's remembered
//! values > defaults, worked out once before any command runs. Settings is the only reader
//! of the environment and the owner of the clock; everything below is handed what it needs.

mod duration;
mod env;

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use self::duration::{parse_duration, parse_timeout};
pub(crate) use self::env::Env;
pub use self::env::{VARIABLES, Variable};

use crate::api::{ApiConfig, proxy};
use crate::auth::{Credentials, Identity};
use crate::commands::{Ctx, Origin, Origins};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::session::SystemClock;
use crate::store::meta::ProfileMeta;
use crate::store::{
    DEFAULT_PROFILE, DirSources, Paths, StoreChoice, Stores, is_valid_profile_name,
};
use crate::text::{redact_userinfo, sanitize};
use crate::url::BaseUrl;

pub(crate) const DEFAULT_BASE_URL: &str = "https://api.pointservices.com";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The global options as the command line gave them (`None`: not given).
#[derive(Clone, Debug, Default)]
pub(crate) struct Flags {
    pub(crate) profile: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) store: Option<StoreChoice>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) verbose: bool,
}

/// Resolves the flags and the environment into what a command is given.
pub(crate) fn resolve(flags: Flags, env: &Env) -> Result<Ctx> {
    let mut origins = Origins::default();
    let profile = match flags.profile {
        Some(profile) => {
            origins.profile = Origin::Flag("--profile");
            profile
        }
        None => match env.text("POINTAUTH_PROFILE")? {
            Some(profile) => {
                origins.profile = Origin::Env("POINTAUTH_PROFILE");
                profile
            }
            None => DEFAULT_PROFILE.to_owned(),
        },
    };
    check_profile(&profile)?;
    let store = match flags.store {
        Some(store) => {
            origins.store = Origin::Flag("--store");
            store
        }
        None => match env.text("POINTAUTH_STORE")? {
            Some(value) => {
                origins.store = Origin::Env("POINTAUTH_STORE");
                parse_store(&value).map_err(|err| err.in_variable("POINTAUTH_STORE"))?
            }
            None => StoreChoice::Auto,
        },
    };
    let timeout = match flags.timeout {
        Some(timeout) => {
            origins.timeout = Origin::Flag("--timeout");
            timeout
        }
        None => match env.text("POINTAUTH_TIMEOUT")? {
            Some(value) => parse_timeout(&value)
                .inspect(|_| {
                    origins.timeout = Origin::Env("POINTAUTH_TIMEOUT");
                })
                .map_err(|why| {
                    Error::usage(format!(
                        "invalid POINTAUTH_TIMEOUT `{}`: {why}",
                        sanitize(&value)
                    ))
                    .hint("set POINTAUTH_TIMEOUT to a number of seconds, e.g. 30, or unset it")
                })?,
            None => DEFAULT_TIMEOUT,
        },
    };
    // No place for files is no reason to fail yet: `token` can still sign in from the
    // environment, uncached; whatever needs a file says why it has none.
    let stores = match Paths::discover(&DirSources {
        xdg_data_home: env.dir("XDG_DATA_HOME"),
        xdg_state_home: env.dir("XDG_STATE_HOME"),
        home: env.home(),
    }) {
        Ok(paths) => Stores::new(paths),
        Err(err) => Stores::nowhere(err.message().to_owned()),
    };
    let meta = match stores.paths() {
        Ok(paths) => remembered(paths, &profile),
        Err(_) => Ok(None),
    };
    let given_url = match flags.base_url {
        Some(url) => Some((url, Origin::Flag("--base-url"))),
        None => env
            .text("POINTAUTH_BASE_URL")?
            .map(|url| (url, Origin::Env("POINTAUTH_BASE_URL"))),
    };
    let base_url = match given_url {
        Some((url, origin)) => {
            origins.base_url = origin;
            parse_base_url(&url)?
        }
        None => match &meta {
            Ok(Some(meta)) => {
                origins.base_url = Origin::Remembered;
                parse_base_url(&meta.base_url)?
            }
            _ => parse_base_url(DEFAULT_BASE_URL)?,
        },
    };
    let username = env
        .text("POINTAUTH_USERNAME")?
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    // Passwords are taken verbatim; only an empty one counts as unset.
    let password = env.text("POINTAUTH_PASSWORD")?.map(Secret::new);
    let credentials = match (&username, &password) {
        (Some(username), Some(password)) => Some(Credentials {
            username: username.clone(),
            password: password.clone(),
        }),
        _ => None,
    };
    let proxy = proxy_setting(&base_url, env);
    Ok(Ctx {
        identity: Identity {
            profile,
            base_url: base_url.clone(),
            username,
        },
        store,
        stores,
        api: ApiConfig {
            base_url,
            timeout,
            verbose: flags.verbose,
            proxy,
            jitter_seed: std::collections::hash_map::RandomState::new().hash_one(0u8),
        },
        credentials,
        password,
        meta,
        runtime_dir: env.dir("XDG_RUNTIME_DIR"),
        clock: Arc::new(SystemClock),
        origins,
    })
}

/// The proxy for requests to `base`, from the proxy variables; a variable that is not text
/// is an error like any unusable proxy setting.
fn proxy_setting(base: &BaseUrl, env: &Env) -> Result<Option<proxy::ProxySetting>> {
    for name in proxy::PROXY_VARIABLES
        .iter()
        .chain(&proxy::NO_PROXY_VARIABLES)
    {
        env.text(name)?;
    }
    proxy::choose(base, |name| env.text(name).ok().flatten())
}

/// What the profile remembers. A remembered base URL is checked like a given one: the
/// metadata file is plain text.
fn remembered(paths: &Paths, profile: &str) -> Result<Option<ProfileMeta>> {
    let meta = ProfileMeta::load(paths, profile)?;
    if let Some(meta) = &meta {
        parse_base_url(&meta.base_url).map_err(|err| {
            err.hint(format!(
                "the profile's remembered base URL is not valid; run `pointauth --profile {profile} logout`"
            ))
        })?;
    }
    Ok(meta)
}

/// Profile names become file names and keychain entry names: keep them plain.
pub(crate) fn check_profile(name: &str) -> Result<()> {
    if is_valid_profile_name(name) {
        Ok(())
    } else {
        Err(
            Error::usage(format!("invalid profile name `{}`", sanitize(name))).hint(
                "use up to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'",
            ),
        )
    }
}

/// Checks a base URL against the contract (https, or http to loopback).
pub(crate) fn parse_base_url(url: &str) -> Result<BaseUrl> {
    BaseUrl::parse(url).map_err(|why| {
        Error::usage(format!("invalid base URL `{}`: {why}", redact_userinfo(url))).hint(
            "use https://HOST[:PORT][/PATH]; http:// is accepted only for 127.0.0.1, ::1 and localhost",
        )
    })
}

fn parse_store(value: &str) -> Result<StoreChoice> {
    <StoreChoice as clap::ValueEnum>::from_str(value, false).map_err(|_| {
        Error::usage(format!("invalid store `{}`", sanitize(value)))
            .hint("use auto, keyring, kernel or file")
    })
}

trait InVariable {
    fn in_variable(self, name: &str) -> Self;
}

impl InVariable for Error {
    /// "invalid store `x`" → "invalid store `x` in POINTAUTH_STORE".
    fn in_variable(self, name: &str) -> Self {
        let hint = self.hint_text().map(str::to_owned);
        let err = Error::new(self.kind(), format!("{} in {name}", self.message()));
        match hint {
            Some(hint) => err.hint(format!("{hint}, or unset {name}")),
            None => err,
        }
    }
}

#[cfg(test)]
mod tests;
