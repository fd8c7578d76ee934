//! The API routes, every one behind `Authorization: Bearer <live access token>`: the token
//! check, and `/whoami`, `/echo`, `/status/NNN`, `/redirect`, `/large`, `/slow`, `/stall`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::bodies::Stream;
use super::http::{Response, error_body, json_error, json_response};
use super::serve::Action;
use super::service::{TokenCheck, jwt_claims};
use super::{ECHO_PATH, MAX_BODY, Recorded, Shared, WHOAMI_PATH};

/// Longest pause `/slow` accepts between chunks.
const MAX_EVERY_MS: u64 = 60_000;
/// Longest `/redirect/N` chain.
const MAX_CHAIN: u32 = 1000;

enum Route<'a> {
    Whoami,
    Echo,
    Status(&'a str),
    Redirect,
    Chain(&'a str),
    Large,
    Slow,
    Stall,
}

fn route(path: &str) -> Option<Route<'_>> {
    Some(match path {
        WHOAMI_PATH => Route::Whoami,
        "/redirect" => Route::Redirect,
        "/large" => Route::Large,
        "/slow" => Route::Slow,
        "/stall" => Route::Stall,
        _ if path == ECHO_PATH || path.starts_with("/echo/") => Route::Echo,
        _ => {
            if let Some(code) = path.strip_prefix("/status/") {
                Route::Status(code)
            } else if let Some(n) = path.strip_prefix("/redirect/") {
                Route::Chain(n)
            } else {
                return None;
            }
        }
    })
}

/// The answer to a request for any path but the two auth endpoints. An unknown path is 404
/// whatever the token; a known one needs a live token first.
pub(super) fn answer(shared: &Shared, rec: &Recorded, body_hash: u64) -> Action {
    let (path, query) = split_target(&rec.path);
    let Some(route) = route(path) else {
        return Action::Respond(json_error(404, &format!("NOT_FOUND : no such path {path}")));
    };
    let (token, user) = match authenticate(shared, rec) {
        Ok(live) => live,
        Err(resp) => {
            shared.unauthorized.fetch_add(1, Ordering::SeqCst);
            return Action::Respond(resp);
        }
    };
    let result = match route {
        Route::Whoami => Ok(whoami(&token)),
        Route::Echo => Ok(echo(shared, rec, &user, body_hash)),
        Route::Status(code) => status(code, query),
        Route::Redirect => redirect(shared, query, None),
        Route::Chain(n) => redirect(shared, query, Some(n)),
        Route::Large => param(query, "bytes", None).map(|length| Stream::Fast { length }.into()),
        Route::Slow => slow(query),
        Route::Stall => stall(query),
    };
    match result {
        Ok(action) => action,
        Err(message) => Action::Respond(json_error(400, &format!("INVALID_ARGUMENT : {message}"))),
    }
}

impl From<Response> for Action {
    fn from(resp: Response) -> Action {
        Action::Respond(resp)
    }
}

impl From<Stream> for Action {
    fn from(stream: Stream) -> Action {
        Action::Stream(stream)
    }
}

/// The path and the raw query string (None without a `?`).
pub(super) fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// The bearer token and its user when the token is live; else the 401 to answer. No message
/// ever contains the token.
fn authenticate(shared: &Shared, rec: &Recorded) -> Result<(String, String), Response> {
    let unauthenticated = |detail: &str, challenge: &str, note: &str| {
        let mut resp = json_error(401, &format!("UNAUTHENTICATED : {detail}"));
        resp.headers
            .push(("WWW-Authenticate".into(), challenge.into()));
        resp.note = Some(note.into());
        resp
    };
    let Some(value) = rec.header("authorization") else {
        return Err(unauthenticated(
            "a bearer token is required",
            "Bearer",
            "no token",
        ));
    };
    let (scheme, token) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthenticated(
            "the Authorization header must be \"Bearer <access token>\"",
            "Bearer",
            "not a bearer token",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(unauthenticated(
            "a bearer token is required",
            "Bearer",
            "no token",
        ));
    }
    let invalid = "Bearer error=\"invalid_token\"";
    match shared.lock().service.check(token) {
        TokenCheck::Live(user) => Ok((token.to_string(), user)),
        TokenCheck::Unknown => Err(unauthenticated(
            "the bearer token is not an access token issued by this service",
            invalid,
            "unknown token",
        )),
        TokenCheck::Expired => Err(unauthenticated(
            "the access token has expired",
            invalid,
            "expired token",
        )),
        TokenCheck::Revoked => Err(unauthenticated(
            "the access token was revoked",
            invalid,
            "revoked token",
        )),
        TokenCheck::AllRejected => Err(unauthenticated(
            "the service rejects every access token for now",
            invalid,
            "every token rejected",
        )),
    }
}

fn whoami(token: &str) -> Action {
    let claims = jwt_claims(token).unwrap_or_default();
    json_response(
        200,
        &json!({"email": claims["email"], "user_id": claims["user_id"]}),
    )
    .into()
}

/// The request as received, with every token this server issued replaced by `[token]` and
/// the Authorization header by a description of its (live) token.
fn echo(shared: &Shared, rec: &Recorded, user: &str, body_hash: u64) -> Action {
    let tokens = shared.lock().service.issued.clone();
    let scrub = |bytes: &[u8]| scrub_tokens(bytes, &tokens);
    let text = |s: &str| String::from_utf8_lossy(&scrub(s.as_bytes())).into_owned();
    let (path, query) = split_target(&rec.path);
    let mut headers = Map::new();
    for (name, value) in &rec.headers {
        let name = name.to_ascii_lowercase();
        let value = if name == "authorization" {
            format!("Bearer [live token of {user}]")
        } else {
            text(value)
        };
        let joined = match headers.remove(&name) {
            Some(Value::String(earlier)) => format!("{earlier}, {value}"),
            _ => value,
        };
        headers.insert(name, Value::String(joined));
    }
    let body = scrub(&rec.body);
    let truncated = rec.body_len > rec.body.len() as u64;
    let json_body = if truncated {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    let body = match String::from_utf8(body) {
        Ok(s) => Value::String(s),
        Err(e) => json!({"base64": STANDARD.encode(e.as_bytes())}),
    };
    json_response(
        200,
        &json!({
            "method": rec.method,
            "path": text(path),
            "query": query.map(text),
            "headers": headers,
            "body": body,
            "json": json_body,
            "body_len": rec.body_len,
            "body_truncated": truncated,
            "body_fnv1a": format!("{body_hash:016x}"),
        }),
    )
    .into()
}

/// `bytes` with every occurrence of one of `tokens` replaced by `[token]`.
fn scrub_tokens(bytes: &[u8], tokens: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Access tokens start "eyJ" (a JWT), refresh tokens "AMf-v": test only there.
        if matches!(bytes[i], b'e' | b'A')
            && let Some(token) = tokens.iter().find(|t| bytes[i..].starts_with(t.as_bytes()))
        {
            out.extend_from_slice(b"[token]");
            i += token.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn status(code: &str, query: Option<&str>) -> Result<Action, String> {
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|s| (200..=599).contains(s))
        .ok_or_else(|| format!("the status must be a number from 200 to 599, not {code:?}"))?;
    let mut body = if (200..300).contains(&status) {
        json!({"status": status})
    } else {
        error_body(status, &format!("STATUS_{status} : chosen by the client"))
    };
    // `pad=N`: N spaces of a `_pad` member, which sorts (and is written) first.
    if let Some(pad) = query_param(query, "pad") {
        let pad: usize = pad
            .parse()
            .map_err(|_| format!("pad must be a number, not {pad:?}"))?;
        body["_pad"] = json!(" ".repeat(pad));
    }
    let mut resp = json_response(status, &body);
    if let Some(wait) = query_param(query, "retry_after") {
        resp.headers
            .push(("Retry-After".into(), header_value(wait, "retry_after")?));
    }
    Ok(resp.into())
}

/// `/redirect?to=TARGET` (`chain` None) or one hop of `/redirect/N`; `status=` picks the
/// redirect status (default 302), and a chain passes its query on to every hop.
fn redirect(shared: &Shared, query: Option<&str>, chain: Option<&str>) -> Result<Action, String> {
    let status = match query_param(query, "status") {
        None => 302,
        Some(s) => s
            .parse::<u16>()
            .ok()
            .filter(|s| matches!(s, 301 | 302 | 303 | 307 | 308))
            .ok_or_else(|| format!("status must be 301, 302, 303, 307 or 308, not {s:?}"))?,
    };
    let target = match chain {
        None => query_param(query, "to").ok_or("to=TARGET is required")?,
        Some(n) => {
            let n = n
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_CHAIN)
                .ok_or_else(|| format!("the chain length must be 0 to {MAX_CHAIN}, not {n:?}"))?;
            let next = match n {
                0 => ECHO_PATH.to_string(),
                n => format!("/redirect/{}", n - 1),
            };
            match query {
                Some(q) => format!("{next}?{q}"),
                None => next,
            }
        }
    };
    let target = header_value(target, "the redirect target")?;
    shared.redirects.fetch_add(1, Ordering::SeqCst);
    let mut resp = json_response(status, &json!({"location": target}));
    resp.headers.push(("Location".into(), target));
    Ok(resp.into())
}

fn slow(query: Option<&str>) -> Result<Action, String> {
    let length = param(query, "bytes", None)?;
    let every_ms = param(query, "every_ms", Some(100))?;
    if every_ms > MAX_EVERY_MS {
        return Err(format!("every_ms must be at most {MAX_EVERY_MS}"));
    }
    let chunk = param(query, "chunk", Some(16))?.max(1);
    Ok(Stream::Paced {
        length,
        every: Duration::from_millis(every_ms),
        chunk,
    }
    .into())
}

fn stall(query: Option<&str>) -> Result<Action, String> {
    let after = param(query, "after", Some(0))?;
    let length = param(query, "length", Some(after.saturating_add(MAX_BODY as u64)))?;
    if length <= after {
        return Err("length must be larger than after".into());
    }
    Ok(Stream::Stall { length, after }.into())
}

/// A numeric query parameter; `default` None makes it required.
fn param(query: Option<&str>, name: &str, default: Option<u64>) -> Result<u64, String> {
    match (query_param(query, name), default) {
        (Some(v), _) => v
            .parse()
            .map_err(|_| format!("{name} must be a whole number, not {v:?}")),
        (None, Some(d)) => Ok(d),
        (None, None) => Err(format!("{name}=N is required")),
    }
}

/// The first value of `name` in a query string, percent-decoded (`+` is a space).
pub(super) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A value fit for a header line: no control characters (no CR/LF smuggling).
fn header_value(value: String, what: &str) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        Err(format!("{what} must not contain control characters"))
    } else {
        Ok(value)
    }
}
