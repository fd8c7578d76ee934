//! `BaseUrl`: the service's base URL, parsed once by the one parser that both the contract's
//! check (`https://`, or `http://` to loopback) and the HTTP client go by.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A checked base URL: `https://host[:port][/path]`, or `http://` for a loopback host.
/// Its text form (`as_str`) is canonical: lower-case scheme and host, no default port, no
/// trailing `/`, IPv6 in brackets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    text: String,
    scheme: Scheme,
    host: Host,
    port: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Https,
    Http,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    /// Loopback by the contract: 127.0.0.0/8, `::1`, or the name `localhost`.
    pub(crate) fn is_loopback(&self) -> bool {
        match self {
            Host::Name(name) => name == "localhost",
            Host::Ip(IpAddr::V4(v4)) => v4.is_loopback(),
            Host::Ip(IpAddr::V6(v6)) => *v6 == Ipv6Addr::LOCALHOST,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(v4)) => write!(f, "{v4}"),
            Host::Ip(IpAddr::V6(v6)) => write!(f, "[{v6}]"),
        }
    }
}

/// Why a text is not an acceptable base URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UrlError {
    #[error("no scheme")]
    NoScheme,
    #[error("only https:// is supported")]
    Scheme,
    #[error("http:// is only allowed for loopback hosts")]
    PlainHttp,
    #[error("credentials in the URL are not allowed")]
    Credentials,
    #[error("a query or fragment is not allowed")]
    QueryOrFragment,
    #[error("no host")]
    NoHost,
    #[error("the host is not a valid name or address")]
    BadHost,
    #[error("the port is not a number from 1 to 65535")]
    BadPort,
    #[error("the path has characters a URL cannot hold")]
    BadPath,
}

impl BaseUrl {
    pub(crate) fn parse(text: &str) -> Result<BaseUrl, UrlError> {
        let trimmed = text.trim();
        let (scheme, rest) = trimmed.split_once("://").ok_or(UrlError::NoScheme)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(UrlError::Scheme),
        };
        if rest.contains(['?', '#']) {
            return Err(UrlError::QueryOrFragment);
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(UrlError::Credentials);
        }
        let (host, port) = parse_authority(authority)?;
        if scheme == Scheme::Http && !host.is_loopback() {
            return Err(UrlError::PlainHttp);
        }
        let path = path.trim_end_matches('/');
        if !path.bytes().all(is_path_byte) {
            return Err(UrlError::BadPath);
        }
        let default_port = match scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        };
        let port = port.filter(|port| *port != default_port);
        let scheme_text = match scheme {
            Scheme::Https => "https",
            Scheme::Http => "http",
        };
        let mut text = format!("{scheme_text}://{host}");
        if let Some(port) = port {
            text.push_str(&format!(":{port}"));
        }
        text.push_str(path);
        Ok(BaseUrl {
            text,
            scheme,
            host,
            port,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub(crate) fn host(&self) -> &Host {
        &self.host
    }

    /// The port requests go to: the given one, else the scheme's.
    pub(crate) fn port(&self) -> u16 {
        self.port.unwrap_or(match self.scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        })
    }

    /// `host[:port]`, for messages.
    pub(crate) fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.to_string(),
        }
    }

    /// The URL of `path` (which starts with `/`) below this base.
    pub(crate) fn join(&self, path: &str) -> String {
        format!("{}{path}", self.text)
    }

    /// `scheme://host[:port]`: where every request of a session goes, and nowhere else.
    pub(crate) fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Https => "https",
            Scheme::Http => "http",
        };
        format!("{scheme}://{}", self.authority())
    }

    /// Whether the absolute `url` has this base's origin: the same scheme, host and port
    /// (host case-insensitive, a default port spelled out or not). A URL with credentials in
    /// it, or one that cannot be read, never has.
    pub(crate) fn is_same_origin(&self, url: &str) -> bool {
        let Some((scheme, rest)) = url.split_once("://") else {
            return false;
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return false,
        };
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if authority.contains('@') {
            return false;
        }
        let Ok((host, port)) = parse_authority(authority) else {
            return false;
        };
        let default_port = match scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        };
        scheme == self.scheme
            && host == self.host
            && port.filter(|p| *p != default_port) == self.port
    }
}

/// Where a redirect's `location` points from `current` (an absolute URL): an absolute URL,
/// whether `location` is absolute, scheme-relative (`//host/...`), an absolute path or a
/// relative one (RFC 3986 §5.2, without dot-segment removal: the server sees what it sent).
/// The fragment, which is never sent, is dropped.
pub(crate) fn resolve_location(current: &str, location: &str) -> Option<String> {
    let location = location.trim();
    let location = &location[..location.find('#').unwrap_or(location.len())];
    let (scheme, rest) = current.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    let path = &rest[authority_end..];
    let path = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    if location.contains("://") {
        return Some(location.to_owned());
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{origin}{location}"));
    }
    if location.is_empty() {
        return Some(current[..current.find('#').unwrap_or(current.len())].to_owned());
    }
    if location.starts_with('?') {
        return Some(format!("{origin}{path}{location}"));
    }
    let directory = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
    let directory = if directory.is_empty() { "/" } else { directory };
    Some(format!("{origin}{directory}{location}"))
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_authority(authority: &str) -> Result<(Host, Option<u16>), UrlError> {
    if authority.is_empty() {
        return Err(UrlError::NoHost);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (address, after) = v6.split_once(']').ok_or(UrlError::BadHost)?;
        let address: Ipv6Addr = address.parse().map_err(|_| UrlError::BadHost)?;
        // Only a port may follow the brackets: `[::1]evil.com` is no host at all.
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::BadHost)?),
        };
        (Host::Ip(IpAddr::V6(address)), port)
    } else {
        let (name, port) = match authority.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        (parse_host(name)?, port)
    };
    let port = match port {
        None => None,
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => Some(
            port.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or(UrlError::BadPort)?,
        ),
        Some(_) => return Err(UrlError::BadPort),
    };
    Ok((host, port))
}

fn parse_host(name: &str) -> Result<Host, UrlError> {
    if name.is_empty() {
        return Err(UrlError::NoHost);
    }
    if let Ok(v4) = name.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(v4)));
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // A name whose last label is all digits would be read as an IPv4 address by some parsers.
    let numeric_tail = name
        .rsplit('.')
        .next()
        .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()));
    if name.len() > 253 || !name.split('.').all(label_ok) || numeric_tail {
        return Err(UrlError::BadHost);
    }
    Ok(Host::Name(name))
}

/// RFC 3986 `pchar`s and `/`: unreserved, sub-delims, `:`, `@`, and `%` escapes.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_base_urls_are_made_canonical() {
        let ok = |url: &str| BaseUrl::parse(url).unwrap().as_str().to_owned();
        assert_eq!(
            ok("https://api.pointservices.com/"),
            "https://api.pointservices.com"
        );
        assert_eq!(
            ok("HTTPS://API.PointServices.com"),
            "https://api.pointservices.com"
        );
        assert_eq!(
            ok("https://h.example:8443/prefix/"),
            "https://h.example:8443/prefix"
        );
        assert_eq!(ok("https://h.example:443"), "https://h.example");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://127.9.9.9"), "http://127.9.9.9");
        assert_eq!(ok("http://[::1]:9000"), "http://[::1]:9000");
        assert_eq!(ok("http://localhost:1"), "http://localhost:1");
        assert_eq!(ok("  https://h.example  "), "https://h.example");
    }

    #[test]
    fn an_origin_is_scheme_host_and_port_and_nothing_else() {
        let base = BaseUrl::parse("https://API.example.com/prefix").unwrap();
        assert_eq!(base.origin(), "https://api.example.com");
        for same in [
            "https://api.example.com/x",
            "HTTPS://api.EXAMPLE.com:443/other/path?q=1",
            "https://api.example.com",
            "https://api.example.com?x",
        ] {
            assert!(base.is_same_origin(same), "{same}");
        }
        for other in [
            "http://api.example.com/x",
            "https://api.example.com:8443/x",
            "https://api.example.com.evil.example/x",
            "https://evil.example/api.example.com",
            "https://api.example.com@evil.example/x",
            "https://user@api.example.com/x",
            "//api.example.com/x",
            "/x",
            "ftp://api.example.com/x",
        ] {
            assert!(!base.is_same_origin(other), "{other}");
        }
        let local = BaseUrl::parse("http://127.0.0.1:8080").unwrap();
        assert!(local.is_same_origin("http://127.0.0.1:8080/echo"));
        assert!(!local.is_same_origin("http://127.0.0.1:8081/echo"));
        assert!(!local.is_same_origin("http://localhost:8080/echo"));
    }

    #[test]
    fn redirect_targets_are_resolved_against_the_current_url() {
        let at = "https://h.example:8443/a/b/c?q=1#f";
        let to = |location: &str| resolve_location(at, location).unwrap();
        assert_eq!(to("https://other.example/x"), "https://other.example/x");
        assert_eq!(to("//other.example/x"), "https://other.example/x");
        assert_eq!(to("/x?y=2"), "https://h.example:8443/x?y=2");
        assert_eq!(to("d"), "https://h.example:8443/a/b/d");
        assert_eq!(to("?z=3"), "https://h.example:8443/a/b/c?z=3");
        assert_eq!(to("/x#frag"), "https://h.example:8443/x");
        assert_eq!(
            resolve_location("https://h.example", "d").unwrap(),
            "https://h.example/d"
        );
    }

    #[test]
    fn bad_base_urls_say_why() {
        let why = |url: &str| BaseUrl::parse(url).unwrap_err();
        assert_eq!(why("api.pointservices.com"), UrlError::NoScheme);
        assert_eq!(why("ftp://h.example"), UrlError::Scheme);
        assert_eq!(why("http://h.example"), UrlError::PlainHttp);
        assert_eq!(why("http://10.0.0.1"), UrlError::PlainHttp);
        assert_eq!(why("http://128.0.0.1"), UrlError::PlainHttp);
        assert_eq!(why("http://[::2]"), UrlError::PlainHttp);
        assert_eq!(why("http://localhost.evil.example"), UrlError::PlainHttp);
        assert_eq!(why("https://user:pw@h.example"), UrlError::Credentials);
        assert_eq!(why("https://h.example/?x=1"), UrlError::QueryOrFragment);
        assert_eq!(why("https://"), UrlError::NoHost);
        assert_eq!(why("https://bad host"), UrlError::BadHost);
        assert_eq!(why("https://h.example:99999"), UrlError::BadPort);
        assert_eq!(why("https://h.example:0"), UrlError::BadPort);
        assert_eq!(why("https://h.example:x"), UrlError::BadPort);
        // Rust's u16 parser takes a sign; a port is digits only.
        assert_eq!(why("https://h.example:+443"), UrlError::BadPort);
        assert_eq!(why("https://h.example:"), UrlError::BadPort);
        assert_eq!(why("https://h.example/a b"), UrlError::BadPath);
    }

    #[test]
    fn host_names_take_hyphens_and_underscores_and_at_most_253_characters() {
        let ok = |url: &str| BaseUrl::parse(url).map(|base| base.as_str().to_owned());
        assert_eq!(
            ok("https://my-api.under_score.example"),
            Ok("https://my-api.under_score.example".to_owned())
        );
        // Four labels of 63 letters and dots: 255 characters; trimmed to 253 and 254.
        let label = "a".repeat(63);
        let long = [label.as_str(); 4].join(".");
        let name = |len: usize| format!("{}.example", &long[long.len() - (len - 8)..]);
        assert_eq!(name(253).len(), 253);
        assert_eq!(
            ok(&format!("https://{}", name(253))),
            Ok(format!("https://{}", name(253)))
        );
        assert_eq!(
            ok(&format!("https://{}", name(254))),
            Err(UrlError::BadHost)
        );
    }

    #[test]
    fn only_a_port_may_follow_a_bracketed_address() {
        // One parser for the check and the client: these must not pass as loopback.
        for url in [
            "http://[::1]evil.com",
            "http://[::1].evil.com:80",
            "http://[::1",
            "http://[evil.com]",
        ] {
            assert!(BaseUrl::parse(url).is_err(), "{url}");
        }
        for url in ["http://127.0.0.1.evil.com", "http://127.1", "https://1.2.3"] {
            assert!(
                BaseUrl::parse(url).is_err() || !BaseUrl::parse(url).unwrap().host().is_loopback(),
                "{url}"
            );
        }
    }

    #[test]
    fn parts_for_messages_and_requests() {
        let url = BaseUrl::parse("https://h.example:8443/prefix").unwrap();
        assert_eq!(url.authority(), "h.example:8443");
        assert_eq!(url.join("/x"), "https://h.example:8443/prefix/x");
        assert_eq!(url.scheme(), Scheme::Https);
        let v6 = BaseUrl::parse("http://[::1]:1").unwrap();
        assert_eq!(v6.authority(), "[::1]:1");
        assert!(v6.host().is_loopback());
    }
}
