//! `pointauth api PATH`: one authenticated request to the service (step 2 of its guide), the
//! answer's body on stdout byte for byte, whatever its status. The token goes only to the
//! session's origin, in a header pointauth writes itself, never into any argv.
//!
//! Everything the user gave (method, path, headers, fields, input) is checked before a token
//! is asked for. A 401 makes the session logic replace the token once (single-flight, as for
//! `token`) and the request is sent once more.

mod fields;
mod pretty;
mod target;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use super::{Ctx, show_warnings};
use crate::api::ApiError;
use crate::api::answer::parse_error_body;
use crate::api::request::{Answer, BodyError, Request};
use crate::auth::{LazyClient, MinTtl, Want};
use crate::error::{Error, Kind, Result};
use crate::secret::Secret;

pub(crate) use self::fields::FieldArg;

/// How much of an error answer is kept to find the service's error code in.
const KEEP_FOR_SUMMARY: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) path: String,
    pub(crate) method: Option<String>,
    /// `-f` and `-F`, in the order given.
    pub(crate) fields: Vec<FieldArg>,
    pub(crate) input: Option<OsString>,
    pub(crate) headers: Vec<String>,
    pub(crate) include: bool,
    pub(crate) min_ttl: MinTtl,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let mut headers = target::headers(&options.headers)?;
    let mut stdin = fields::Stdin::default();
    let fields = fields::parse(&options.fields, &mut stdin)?;
    let input = match &options.input {
        Some(path) if path == "-" => Some(stdin.read("--input -")?),
        Some(path) => Some(std::fs::read(path).map_err(|err| {
            Error::usage(format!(
                "--input {}: cannot read it",
                path.to_string_lossy()
            ))
            .because(err)
        })?),
        None => None,
    };
    let method = match &options.method {
        Some(method) => checked_method(method)?,
        None if input.is_some() || !fields.is_empty() => "POST".to_owned(),
        None => "GET".to_owned(),
    };
    // Fields make the body, unless --input is the body or the method takes none; then they go
    // into the query string.
    let fields_in_query = input.is_some() || matches!(method.as_str(), "GET" | "HEAD");
    let body = match input {
        Some(bytes) => Some(bytes),
        None if !fields.is_empty() && !fields_in_query => {
            Some(fields::object(&fields)?.to_string().into_bytes())
        }
        None => None,
    };
    let query = if fields_in_query {
        fields::query(&fields)
    } else {
        Vec::new()
    };
    let url = target::url(&ctx.identity.base_url, &options.path, &query)?;
    let has = |name: &str| {
        headers
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(name))
    };
    if body.is_some() && !has("content-type") {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    let request = Request {
        method: &method,
        url,
        headers: &headers,
        body: body.as_deref(),
    };

    // One client for the token and the request: one --timeout budget for the network.
    let service = LazyClient::new(&ctx.api, Arc::clone(&ctx.clock));
    let meta = ctx.meta()?.cloned();
    let obtained = ctx.with_flow_on(meta.clone(), &service, |flow| {
        flow.obtain(Want::Fresh(options.min_ttl))
    })?;
    show_warnings(ctx, &obtained);
    let answer = send(&service, &request, &obtained.access.token)?;
    if answer.status != 401 {
        return output(answer, options.include, &obtained.access.token);
    }
    // The service refused the token before its time (revoked, or a clock apart): one
    // replacement, shared with any other process that was refused it too, and one more try.
    drop(answer);
    let rejected = obtained.access.fingerprint();
    let replaced = ctx.with_flow_on(meta, &service, |flow| {
        flow.obtain(Want::Replacing(rejected))
    })?;
    show_warnings(ctx, &replaced);
    let answer = send(&service, &request, &replaced.access.token)?;
    if answer.status != 401 {
        return output(answer, options.include, &replaced.access.token);
    }
    let host = ctx.identity.base_url.authority();
    let _ = write_answer(answer, options.include)?;
    Err(Error::session(format!(
        "HTTP 401 from {host}: the service refused a token it had just issued"
    ))
    .hint(crate::auth::login_hint(ctx.profile())))
}

fn send(service: &LazyClient<'_>, request: &Request<'_>, token: &Secret<String>) -> Result<Answer> {
    service
        .client()
        .send(request, token)
        .map_err(|err: ApiError| Error::from(err))
}

/// An HTTP method as a token, upper-cased (`-X post` is POST).
fn checked_method(method: &str) -> Result<String> {
    let valid = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return Err(Error::usage(format!("-X {method}: not an HTTP method"))
            .hint("for example -X GET, -X POST, -X PATCH, -X DELETE"));
    }
    let method = method.to_ascii_uppercase();
    if method == "CONNECT" {
        return Err(Error::usage(
            "-X CONNECT is for proxies, not for the service's API",
        ));
    }
    Ok(method)
}

/// Writes the answer and turns its status into the exit code.
fn output(answer: Answer, include: bool, token: &Secret<String>) -> Result<ExitCode> {
    let status = answer.status;
    let host_and_path = shown_request(&answer.url);
    let unfollowed = answer.unfollowed.clone();
    let kept = write_answer(answer, include)?;
    if (200..300).contains(&status) {
        return Ok(ExitCode::SUCCESS);
    }
    let kind = if status >= 500 || status == 429 {
        Kind::Service
    } else {
        Kind::Answered
    };
    let parsed = parse_error_body(&kept, token.expose(), |_| false);
    let mut summary = format!("HTTP {status} from {host_and_path}");
    if let Some(why) = unfollowed {
        summary.push_str(&format!(": redirect not followed: {why}"));
    } else if let Some(code) = &parsed.code {
        summary.push_str(&format!(": {code}"));
    }
    Err(Error::new(kind, summary))
}

/// Writes `--include`'s status line and headers, then the body: indented when it is JSON and
/// stdout is a terminal, else byte for byte as it arrives. Returns the body's first bytes.
fn write_answer(answer: Answer, include: bool) -> Result<Vec<u8>> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    let broken =
        |err: std::io::Error| Error::internal("cannot write to standard output").because(err);
    if include {
        let mut head = Vec::new();
        head.extend_from_slice(answer.status_line.as_bytes());
        head.extend_from_slice(b"\r\n");
        for (name, value) in &answer.headers {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        out.write_all(&head).map_err(broken)?;
    }
    let json = answer.header("content-type").is_some_and(|kind| {
        let kind = kind
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        kind == "application/json" || kind.ends_with("+json")
    });
    let shown = shown_request(&answer.url);
    let body_error = |err: BodyError| match err {
        BodyError::Paused { received } => Error::new(
            Kind::Service,
            format!("the answer from {shown} stopped arriving after {received} bytes"),
        )
        .hint("retry later; --timeout is how long a pause in an answer may last"),
        BodyError::Broken { received, source } => Error::new(
            Kind::Service,
            format!("the answer from {shown} was cut short after {received} bytes"),
        )
        .because(source)
        .hint("retry later"),
        BodyError::Output(err) => broken(err),
    };
    if terminal && json {
        let mut body = Vec::new();
        let (_, _) = answer.copy_body(&mut body, 0).map_err(body_error)?;
        let indented = pretty::indent(&body);
        out.write_all(indented.as_deref().unwrap_or(&body))
            .and_then(|()| out.flush())
            .map_err(broken)?;
        body.truncate(KEEP_FOR_SUMMARY);
        return Ok(body);
    }
    let (_, kept) = answer
        .copy_body(&mut out, KEEP_FOR_SUMMARY)
        .map_err(body_error)?;
    Ok(kept)
}

/// `host/path` of a URL, for messages (no query: it may hold what its writer did not mean to
/// show).
fn shown_request(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    crate::text::sanitize(&rest[..rest.find(['?', '#']).unwrap_or(rest.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_tokens_upper_cased() {
        assert_eq!(checked_method("post").unwrap(), "POST");
        assert_eq!(checked_method("PURGE").unwrap(), "PURGE");
        for bad in ["", "GET /", "G\nET", "CONNECT"] {
            assert_eq!(
                checked_method(bad).unwrap_err().kind(),
                Kind::Usage,
                "{bad:?}"
            );
        }
    }
}
