//! Which proxy a request to the service goes through, by curl's rules, from the variables
//! settings read (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY` and their lower-case forms).
//!
//! ureq's own `Proxy::try_from_env` is not used: it takes the first of ALL_PROXY, HTTPS_PROXY
//! and HTTP_PROXY for every target, so an `http://127.0.0.1` base URL went through the proxy
//! (which reaches its own loopback, not ours, and sees the password in clear text), it matched
//! NO_PROXY entries only verbatim (`a, b` or `host:port` never matched), and a `socks5://`
//! proxy was silently skipped. Here, like curl:
//! - `https://` targets use `https_proxy`/`HTTPS_PROXY`, else `all_proxy`/`ALL_PROXY`;
//! - `http://` targets (loopback only, by the contract) never use a proxy;
//! - `NO_PROXY`/`no_proxy`: comma-separated names, `*` for all; `example.com` and
//!   `.example.com` cover the name and its subdomains; a `:port` suffix is ignored;
//! - only `http://` and `https://` (CONNECT) proxies; anything else is a usage error.

use std::fmt;

use crate::error::Error;
use crate::url::{BaseUrl, Scheme};

/// The variables that may name a proxy for an `https://` target, most specific first.
pub(crate) const PROXY_VARIABLES: [&str; 4] =
    ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
pub(crate) const NO_PROXY_VARIABLES: [&str; 2] = ["no_proxy", "NO_PROXY"];

/// The proxy to use, and the variable that named it (for messages: the URL may hold
/// credentials and is never shown).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProxySetting {
    pub(crate) variable: &'static str,
    pub(crate) url: String,
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySetting")
            .field("variable", &self.variable)
            .field("url", &"[redacted]")
            .finish()
    }
}

/// The proxy for requests to `base`; `var` reads a variable (already checked to be text).
/// Errors name the variable, never its value.
pub(crate) fn choose(
    base: &BaseUrl,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<ProxySetting>, Error> {
    if base.scheme() != Scheme::Https {
        return Ok(None);
    }
    let set = |name: &&str| var(name).filter(|value| !value.trim().is_empty());
    let Some((variable, url)) = PROXY_VARIABLES
        .iter()
        .find_map(|name| set(name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    let no_proxy = NO_PROXY_VARIABLES
        .iter()
        .find_map(|name| var(name))
        .unwrap_or_default();
    if bypasses_proxy(&base.host().to_string(), &no_proxy) {
        return Ok(None);
    }
    let url = url.trim().to_owned();
    let bad = |why: &str| {
        Error::usage(format!("the proxy in {variable} {why}")).hint(format!(
            "fix or unset {variable}, or list the host in NO_PROXY"
        ))
    };
    let scheme = url
        .split_once("://")
        .map_or("http", |(scheme, _)| scheme)
        .to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad(
            "is not an http:// or https:// proxy (pointauth supports CONNECT proxies only)",
        ));
    }
    if ureq::Proxy::new(&url).is_err() {
        return Err(bad("is not a valid proxy URL"));
    }
    Ok(Some(ProxySetting { variable, url }))
}

/// Whether `host` (as `BaseUrl` shows it: IPv6 in brackets) is covered by a NO_PROXY list.
fn bypasses_proxy(host: &str, no_proxy: &str) -> bool {
    let host = unbracket(host).trim_end_matches('.').to_ascii_lowercase();
    no_proxy.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.strip_prefix('*').unwrap_or(entry);
        let entry = entry.strip_prefix('.').unwrap_or(entry);
        let entry = host_of_entry(entry)
            .trim_end_matches('.')
            .to_ascii_lowercase();
        !entry.is_empty()
            && (host == entry
                || host
                    .strip_suffix(&entry)
                    .is_some_and(|rest| rest.ends_with('.')))
    })
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host)
}

/// The host of a NO_PROXY entry: `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
fn host_of_entry(entry: &str) -> &str {
    if let Some(v6) = entry.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    match entry.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => entry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn proxy(base_url: &str, vars: &[(&str, &str)]) -> Result<Option<String>, Error> {
        let base = BaseUrl::parse(base_url).unwrap();
        choose(&base, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .map(|proxy| proxy.map(|p| p.url))
    }

    #[test]
    fn proxies_come_from_the_environment_like_curl() {
        let https = "https://api.pointservices.com";
        assert_eq!(proxy(https, &[]).unwrap(), None);
        let via = |vars: &[(&str, &str)]| proxy(https, vars).unwrap();
        assert_eq!(
            via(&[("HTTPS_PROXY", "http://proxy:3128")]).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(
            via(&[("https_proxy", "proxy:8080")]).as_deref(),
            Some("proxy:8080")
        );
        // The specific variable beats ALL_PROXY; HTTP_PROXY is for http:// targets only.
        assert_eq!(
            via(&[("ALL_PROXY", "http://all:1"), ("HTTPS_PROXY", "http://s:2")]).as_deref(),
            Some("http://s:2")
        );
        assert_eq!(
            via(&[("ALL_PROXY", "http://all:1")]).as_deref(),
            Some("http://all:1")
        );
        assert_eq!(via(&[("HTTP_PROXY", "http://plain:1")]), None);
        // http:// (loopback) targets never go through a proxy.
        assert_eq!(
            proxy(
                "http://127.0.0.1:8080",
                &[("HTTPS_PROXY", "http://p:1"), ("ALL_PROXY", "http://p:1")]
            )
            .unwrap(),
            None
        );
    }

    #[test]
    fn no_proxy_matches_names_suffixes_and_ignores_spaces_and_ports() {
        let p = ("HTTPS_PROXY", "http://proxy:3128");
        let direct = |base: &str, no_proxy: &str| {
            proxy(base, &[p, ("NO_PROXY", no_proxy)]).unwrap().is_none()
        };
        assert!(direct("https://api.pointservices.com", "pointservices.com"));
        assert!(direct(
            "https://api.pointservices.com",
            ".pointservices.com"
        ));
        assert!(direct(
            "https://api.pointservices.com",
            "*.pointservices.com"
        ));
        assert!(direct(
            "https://api.pointservices.com:8443",
            "other, api.pointservices.com"
        ));
        assert!(direct(
            "https://api.pointservices.com",
            "API.pointservices.com:443"
        ));
        assert!(direct("https://localhost:8443", "localhost"));
        assert!(direct("https://[::1]:8443", "::1"));
        assert!(direct("https://[::1]:8443", "[::1]:8443"));
        assert!(direct("https://x.example", "*"));
        assert!(!direct("https://api.pointservices.com", "services.com"));
        assert!(!direct("https://api.pointservices.com", "other.example,,"));
        assert!(!direct("https://localhost:8443", "127.0.0.1"));
    }

    #[test]
    fn an_unusable_proxy_is_a_usage_error_that_hides_the_value() {
        let https = "https://api.pointservices.com";
        let err = proxy(https, &[("HTTPS_PROXY", "socks5://user:s3cret@proxy:1080")]).unwrap_err();
        assert_eq!(err.kind(), Kind::Usage);
        assert!(err.message().contains("HTTPS_PROXY"), "{err}");
        assert!(!err.report_text().contains("s3cret"), "{err}");
        let err = proxy(https, &[("ALL_PROXY", "http://bad host:1")]).unwrap_err();
        assert!(err.message().contains("ALL_PROXY"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_proxy_credentials() {
        let setting = ProxySetting {
            variable: "HTTPS_PROXY",
            url: "http://user:s3cret@proxy:1".into(),
        };
        assert!(!format!("{setting:?}").contains("s3cret"));
    }
}
