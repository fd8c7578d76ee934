//! One resolved configuration: flags > POINTAUTH_* environment > the profile's remembered
//! values > defaults. Commands read settings, credentials and the clock only from here.

use std::net::{IpAddr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};

use crate::cli::{GlobalArgs, StoreChoice};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::store::profile::ProfileMeta;

pub const DEFAULT_BASE_URL: &str = "https://api.pointservices.com";
pub const DEFAULT_PROFILE: &str = "default";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where pointauth keeps its files.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The file store's secrets: one 0600 file per profile.
    pub data: PathBuf,
    /// Non-secret metadata and the per-profile locks.
    pub state: PathBuf,
}

impl Paths {
    pub fn discover() -> Result<Paths> {
        let dirs = directories::ProjectDirs::from("", "", "pointauth").ok_or_else(|| {
            Error::internal("cannot find your home directory")
                .hint("set HOME to a directory pointauth may write to")
        })?;
        let data = dirs.data_dir().to_path_buf();
        let state = dirs
            .state_dir()
            .map_or_else(|| data.clone(), |state| state.to_path_buf());
        Ok(Paths { data, state })
    }
}

/// Credentials for non-interactive use, from the environment.
#[derive(Debug, Default)]
pub struct EnvCredentials {
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
}

impl EnvCredentials {
    fn from_env() -> Self {
        let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        EnvCredentials {
            // Usernames are trimmed as `login` trims them; passwords are taken verbatim.
            username: non_empty("POINTAUTH_USERNAME")
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty()),
            password: non_empty("POINTAUTH_PASSWORD").map(Secret::new),
        }
    }
}

/// Everything a command needs to know about its surroundings.
#[derive(Debug)]
pub struct Ctx {
    pub profile: String,
    /// The resolved base URL, without a trailing slash.
    pub base_url: String,
    pub store: StoreChoice,
    pub timeout: Duration,
    pub verbose: bool,
    pub credentials: EnvCredentials,
    pub paths: Paths,
    /// What the profile remembers from its last login, if anything.
    pub meta: Option<ProfileMeta>,
    /// Why the profile's metadata could not be read. `login` and `logout` repair that;
    /// every other command reports it.
    pub meta_error: Option<Error>,
}

impl Ctx {
    pub fn resolve(global: GlobalArgs) -> Result<Ctx> {
        let profile = global.profile.unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
        validate_profile(&profile)?;
        let paths = Paths::discover()?;
        // A remembered URL is checked like a given one: the metadata file is plain text.
        let checked = ProfileMeta::load(&paths, &profile).and_then(|meta| match meta {
            Some(meta) => normalize_base_url(&meta.base_url)
                .map(|_| Some(meta))
                .map_err(|err| {
                    err.hint(format!(
                        "the profile's remembered base URL is not valid; run `pointauth --profile {profile} logout`"
                    ))
                }),
            None => Ok(None),
        });
        let (meta, meta_error) = match checked {
            Ok(meta) => (meta, None),
            Err(err) => (None, Some(err)),
        };
        let base_url = match global.base_url {
            Some(url) => normalize_base_url(&url)?,
            None => meta
                .as_ref()
                .map_or_else(|| DEFAULT_BASE_URL.to_owned(), |meta| meta.base_url.clone()),
        };
        Ok(Ctx {
            profile,
            base_url,
            store: global.store.unwrap_or(StoreChoice::Auto),
            timeout: global.timeout.unwrap_or(DEFAULT_TIMEOUT),
            verbose: global.verbose,
            credentials: EnvCredentials::from_env(),
            paths,
            meta,
            meta_error,
        })
    }

    /// The same surroundings for another profile, with that profile's remembered values.
    pub fn for_profile(&self, profile: &str, meta: Option<ProfileMeta>) -> Ctx {
        Ctx {
            profile: profile.to_owned(),
            base_url: meta
                .as_ref()
                .map_or_else(|| DEFAULT_BASE_URL.to_owned(), |meta| meta.base_url.clone()),
            store: self.store,
            timeout: self.timeout,
            verbose: self.verbose,
            credentials: EnvCredentials::default(),
            paths: self.paths.clone(),
            meta,
            meta_error: None,
        }
    }

    /// Fails when the profile's metadata is unreadable.
    pub fn check_meta(&self) -> Result<()> {
        self.meta_error.clone().map_or(Ok(()), Err)
    }

    /// The current instant, in whole seconds: expiries computed from it err early, never late.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(0)
    }

    /// The remembered username of this profile.
    pub fn remembered_username(&self) -> Option<&str> {
        self.meta.as_ref().map(|meta| meta.username.as_str())
    }
}

/// Profile names become file names and keychain entry names: keep them plain.
pub fn validate_profile(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "invalid profile name `{}`",
            crate::api::sanitize(name)
        ))
        .hint("use up to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"))
    }
}

/// Checks a base URL against the contract (https, or http to loopback) and drops a trailing `/`.
pub fn normalize_base_url(url: &str) -> Result<String> {
    let shown = crate::api::sanitize(url);
    let bad = |why: &str| {
        Error::usage(format!("invalid base URL `{shown}`: {why}"))
            .hint("use https://HOST[:PORT][/PATH]; http:// is accepted only for 127.0.0.1, ::1 and localhost")
    };
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| bad("no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(bad("only https:// is supported"));
    }
    if rest.contains(['?', '#']) {
        return Err(bad("a query or fragment is not allowed"));
    }
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    if authority.contains('@') {
        return Err(bad("credentials in the URL are not allowed"));
    }
    let host = host_name(authority).ok_or_else(|| bad("no host"))?;
    if scheme == "http" && !is_loopback(host) {
        return Err(bad("http:// is only allowed for loopback hosts"));
    }
    let normalized = format!("{scheme}://{rest}");
    ureq::http::Uri::try_from(normalized.as_str()).map_err(|_| bad("not a valid URL"))?;
    Ok(normalized)
}

/// The host part of `host[:port]` or `[v6]:port`.
fn host_name(authority: &str) -> Option<&str> {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        &v6[..v6.find(']')?]
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _port)| host)
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6 == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_follow_the_contract() {
        let ok = |url: &str| normalize_base_url(url).unwrap();
        assert_eq!(
            ok("https://api.pointservices.com/"),
            "https://api.pointservices.com"
        );
        assert_eq!(
            ok("https://h.example:8443/prefix"),
            "https://h.example:8443/prefix"
        );
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://127.9.9.9"), "http://127.9.9.9");
        assert_eq!(ok("http://[::1]:9000"), "http://[::1]:9000");
        assert_eq!(ok("http://localhost:1"), "http://localhost:1");
        for bad in [
            "api.pointservices.com",
            "ftp://h.example",
            "http://h.example",
            "http://10.0.0.1",
            "http://128.0.0.1",
            "http://[::2]",
            "http://localhost.evil.example",
            "https://user:pw@h.example",
            "https://h.example/?x=1",
            "https://",
            "https://bad host",
        ] {
            let err = normalize_base_url(bad).expect_err(bad);
            assert_eq!(err.kind(), crate::error::Kind::Usage, "{bad}");
        }
    }

    #[test]
    fn debug_output_of_the_context_never_shows_the_password() {
        let credentials = EnvCredentials {
            username: Some("alice".into()),
            password: Some(Secret::new("hunter2-password".into())),
        };
        let shown = format!("{credentials:?}");
        assert!(
            shown.contains("alice") && !shown.contains("hunter2-password"),
            "{shown}"
        );
    }

    #[test]
    fn profile_names_are_plain() {
        for good in ["default", "staging", "ci-bot_2", "a.b"] {
            assert!(validate_profile(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "a b",
            "x#1",
            "é",
            &"x".repeat(65),
        ] {
            assert!(validate_profile(bad).is_err(), "{bad}");
        }
    }
}
