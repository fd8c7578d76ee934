//! Where the request goes: PATH below the session's base URL, or a full URL of its origin
//! and no other; and the headers a user may add (never `Authorization`, which is the token's).

use crate::error::{Error, Result};
use crate::url::BaseUrl;

/// The absolute URL of `path` (with `query` appended), at `base`'s origin.
pub(crate) fn url(base: &BaseUrl, path: &str, query: &[(String, String)]) -> Result<String> {
    let path = path.trim();
    let without_fragment = &path[..path.find('#').unwrap_or(path.len())];
    if without_fragment.is_empty() {
        return Err(Error::usage("no path given").hint("pointauth api /some/endpoint"));
    }
    let mut url = if is_absolute(without_fragment) {
        if !base.is_same_origin(without_fragment) {
            return Err(Error::usage(format!(
                "refusing to send the session's token to {}: only {} gets it",
                crate::text::sanitize(origin_of(without_fragment)),
                base.origin()
            ))
            .hint(format!(
                "give a path below {base} (e.g. /some/endpoint), or use a profile signed in there"
            )));
        }
        encode(without_fragment)
    } else if let Some(rest) = without_fragment.strip_prefix('/') {
        base.join(&format!("/{}", encode(rest)))
    } else {
        base.join(&format!("/{}", encode(without_fragment)))
    };
    for (index, (name, value)) in query.iter().enumerate() {
        let joiner = if index == 0 && !url.contains('?') {
            '?'
        } else {
            '&'
        };
        url.push(joiner);
        url.push_str(&form_encode(name));
        url.push('=');
        url.push_str(&form_encode(value));
    }
    Ok(url)
}

/// Whether `text` starts with a scheme (`https://`, RFC 3986 §3.1) or is scheme-relative
/// (`//host`), rather than being a path, whose query may well hold a URL.
fn is_absolute(text: &str) -> bool {
    if text.starts_with("//") {
        return true;
    }
    text.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    })
}

/// `scheme://authority` (or `//authority`) of a URL, for a message.
fn origin_of(url: &str) -> &str {
    let start = match url.find("://") {
        Some(at) => at + 3,
        None => url.len() - url.trim_start_matches('/').len(),
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    &url[..end]
}

/// Percent-encodes what a URL cannot hold (spaces, quotes, non-ASCII...), leaving what it can,
/// escapes already there included.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%[]".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A query key or value: everything but unreserved characters escaped.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Headers pointauth sets itself, and why a user may not.
const RESERVED: &[(&str, &str)] = &[
    (
        "authorization",
        "pointauth sends the session's token itself; use --profile to choose the session",
    ),
    (
        "host",
        "another Host could send the token to another site behind the same address",
    ),
    ("content-length", "pointauth sets it from the body"),
    ("transfer-encoding", "pointauth sets it from the body"),
];

/// `-H 'Name: value'` headers, checked.
pub(crate) fn headers(given: &[String]) -> Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|header| {
            let (name, value) = header.split_once(':').ok_or_else(|| {
                Error::usage(format!("-H {header}: not `Name: value`"))
                    .hint("for example -H 'Accept: application/json'")
            })?;
            let name = name.trim();
            let value = value.trim();
            let token = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(Error::usage(format!(
                    "-H {header}: `{name}` is not a header name"
                )));
            }
            if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                return Err(Error::usage(format!(
                    "-H {name}: the value holds a control character (a line break?)"
                )));
            }
            if let Some((_, why)) = RESERVED
                .iter()
                .find(|(reserved, _)| name.eq_ignore_ascii_case(reserved))
            {
                return Err(Error::usage(format!("-H {name} is refused")).hint(*why));
            }
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseUrl {
        BaseUrl::parse("https://api.example.com/v2").unwrap()
    }

    #[test]
    fn paths_go_below_the_base_url() {
        let at = |path: &str| url(&base(), path, &[]).unwrap();
        assert_eq!(at("/users?x=1"), "https://api.example.com/v2/users?x=1");
        assert_eq!(at("users"), "https://api.example.com/v2/users");
        assert_eq!(at("/a b/ü#frag"), "https://api.example.com/v2/a%20b/%C3%BC");
        assert_eq!(
            at("/already%20encoded"),
            "https://api.example.com/v2/already%20encoded"
        );
        // A URL in the query is the query's business.
        assert_eq!(
            at("/redirect?to=https://evil.example/x"),
            "https://api.example.com/v2/redirect?to=https://evil.example/x"
        );
        assert_eq!(
            at("redirect?to=https://evil.example/x"),
            "https://api.example.com/v2/redirect?to=https://evil.example/x"
        );
        assert_eq!(
            at("1a://x"),
            "https://api.example.com/v2/1a://x",
            "a scheme starts with a letter"
        );
        let with_query = url(
            &base(),
            "/search?page=2",
            &[("q".into(), "a&b c".into()), ("tags[]".into(), "x".into())],
        )
        .unwrap();
        assert_eq!(
            with_query,
            "https://api.example.com/v2/search?page=2&q=a%26b%20c&tags%5B%5D=x"
        );
    }

    #[test]
    fn a_full_url_is_taken_only_at_the_session_origin() {
        assert_eq!(
            url(&base(), "https://API.example.com:443/other?y=1", &[]).unwrap(),
            "https://API.example.com:443/other?y=1"
        );
        for elsewhere in [
            "https://evil.example/v2/users",
            "http://api.example.com/v2",
            "https://api.example.com:8443/v2",
            "https://api.example.com@evil.example/",
            "//evil.example/x",
        ] {
            let err = url(&base(), elsewhere, &[]).unwrap_err();
            assert_eq!(err.kind(), crate::error::Kind::Usage, "{elsewhere}");
            assert!(err.message().contains("refusing"), "{elsewhere}");
        }
        // The message names where the token would have gone, and where it may go.
        for (elsewhere, named) in [
            ("https://evil.example/v2/users?q=1", "https://evil.example"),
            ("https://e.x/a/b", "https://e.x"),
            (
                "https://api.example.com@evil.example/",
                "https://api.example.com@evil.example",
            ),
            ("//evil.example/x", "//evil.example"),
        ] {
            let err = url(&base(), elsewhere, &[]).unwrap_err();
            assert_eq!(
                err.message(),
                format!(
                    "refusing to send the session's token to {named}: only \
                     https://api.example.com gets it"
                ),
                "{elsewhere}"
            );
        }
        assert_eq!(
            url(&base(), "", &[]).unwrap_err().kind(),
            crate::error::Kind::Usage
        );
    }

    #[test]
    fn headers_are_checked_and_the_token_s_own_refused() {
        assert_eq!(
            headers(&["Accept: text/plain".into(), "X-Trace:  a: b ".into()]).unwrap(),
            [
                ("Accept".to_owned(), "text/plain".to_owned()),
                ("X-Trace".to_owned(), "a: b".to_owned())
            ]
        );
        for refused in [
            "Authorization: Bearer x",
            "authorization:x",
            "AUTHORIZATION : x",
            "Host: evil.example",
            "Content-Length: 5",
        ] {
            let err = headers(&[refused.into()]).unwrap_err();
            assert_eq!(err.kind(), crate::error::Kind::Usage, "{refused}");
            assert!(err.message().contains("refused"), "{refused}");
        }
        for bad in [
            "NoColon",
            ": empty name",
            "Bad Name: x",
            "X: a\r\nInjected: y",
        ] {
            assert_eq!(
                headers(&[bad.into()]).unwrap_err().kind(),
                crate::error::Kind::Usage,
                "{bad}"
            );
        }
    }
}
