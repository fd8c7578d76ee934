//! The `api` command's request: one authenticated request to the session's own origin, tried
//! again only as its method allows, same-origin redirects followed, and the answer's body
//! streamed with every pause in it bounded.
//!
//! Retries: a request that cannot have reached the service (no connection could be made) is
//! tried again whatever its method; a timeout, a dropped connection after sending, 5xx and 429
//! only for GET, HEAD, OPTIONS, PUT and DELETE, which the service may receive twice. POST and
//! PATCH, once sent, are never sent again.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use ureq::http;

use super::retry::{MAX_ATTEMPTS, parse_retry_after};
use super::{ApiError, Client, Failure};
use crate::error::{Error, Kind};
use crate::output::say;
use crate::secret::Secret;
use crate::text::sanitize;
use crate::url::resolve_location;

/// Redirects followed at most, within the session's origin.
pub(crate) const MAX_REDIRECTS: usize = 5;
/// How much of the body is read at a time.
const CHUNK: usize = 64 * 1024;

/// One request, as the `api` command built it.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// An HTTP method, upper-case.
    pub(crate) method: &'a str,
    /// The absolute URL, already checked to be of the session's origin.
    pub(crate) url: String,
    /// Headers to add; never `Authorization`, which is the token's.
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: Option<&'a [u8]>,
}

/// The answer, its body still to be read.
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// `HTTP/1.1 200 OK`, as `--include` shows it.
    pub(crate) status_line: String,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    /// The URL that answered, after the redirects followed.
    pub(crate) url: String,
    /// A redirect that was not followed: where it points, or why not.
    pub(crate) unfollowed: Option<String>,
    body: ureq::Body,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a body could not be read to its end.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The service stopped sending for longer than `--timeout`.
    Paused { received: u64 },
    /// The connection failed, or the body was cut short.
    Broken {
        received: u64,
        source: std::io::Error,
    },
    /// The output could not be written (a closed pipe).
    Output(std::io::Error),
}

/// Methods the service may receive twice without harm (RFC 9110 §9.2.2, idempotent).
fn may_repeat(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE")
}

/// What one attempt ended with, and whether another may be made.
enum Outcome {
    Answered(http::Response<ureq::Body>),
    /// The request cannot have reached the service: no connection was made.
    NotSent(ureq::Error),
    /// The request may have reached the service.
    Lost(ureq::Error),
    /// The request could not even be built.
    Refused(ureq::Error),
}

impl Client {
    /// Sends `request` with `token`, tried again as its method allows, and returns the
    /// answer, whatever its status; an error only when no answer came at all.
    pub(crate) fn send(
        &self,
        request: &Request<'_>,
        token: &Secret<String>,
    ) -> Result<Answer, ApiError> {
        if let Some(error) = &self.proxy_error {
            return Err(ApiError::new(Failure::Unusable, error.clone()));
        }
        let mut method = request.method.to_owned();
        let mut body = request.body;
        let mut url = request.url.clone();
        let mut hops = 0;
        loop {
            let response = self.send_once(&method, &url, request.headers, body, token)?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
            let Some(location) = location.filter(|_| redirect) else {
                return Ok(answer(response, url, None));
            };
            let target = resolve_location(&url, &location);
            let same_origin = target
                .as_deref()
                .is_some_and(|target| self.base_url.is_same_origin(target));
            let why_not = match &target {
                _ if !same_origin => Some(format!(
                    "it points to {}, another origin, where the token is never sent",
                    shown_target(target.as_deref().unwrap_or(&location))
                )),
                _ if hops >= MAX_REDIRECTS => Some(format!(
                    "more than {MAX_REDIRECTS} redirects in a row (the last to {})",
                    shown_target(target.as_deref().unwrap_or(&location))
                )),
                _ => None,
            };
            let Some(target) = target.filter(|_| why_not.is_none()) else {
                return Ok(answer(response, url, why_not));
            };
            // 301, 302 and 303 turn into a GET without a body, as browsers and curl do for
            // POST; 307 and 308 repeat the request as it was.
            if matches!(status, 301..=303)
                && method != "HEAD"
                && (status == 303 || method == "POST")
            {
                method = "GET".to_owned();
                body = None;
            }
            hops += 1;
            url = target;
        }
    }

    /// One request and its retries, until an answer arrives.
    fn send_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        token: &Secret<String>,
    ) -> Result<http::Response<ureq::Body>, ApiError> {
        let mut attempt = 1;
        loop {
            let Some(limit) = self.budget.next_attempt() else {
                return Err(self.no_answer(method, url, None));
            };
            let (problem, retry_after) =
                match self.api_attempt(method, url, headers, body, token, limit) {
                    Outcome::Answered(response) => {
                        let status = response.status().as_u16();
                        let passing = status >= 500 || status == 429;
                        if !(passing && may_repeat(method)) || attempt >= MAX_ATTEMPTS {
                            return Ok(response);
                        }
                        let retry_after = response
                            .headers()
                            .get("retry-after")
                            .and_then(|value| value.to_str().ok())
                            .and_then(|value| parse_retry_after(value, self.clock.now()));
                        // This answer is given up for another try: the caller never sees it.
                        match retry_after {
                            Some(asked) if !self.budget.allows_wait(asked) => return Ok(response),
                            _ => (None, retry_after),
                        }
                    }
                    Outcome::NotSent(err) => (Some(err), None),
                    Outcome::Lost(err) if may_repeat(method) => (Some(err), None),
                    Outcome::Lost(err) | Outcome::Refused(err) => {
                        return Err(self.no_answer(method, url, Some(err)));
                    }
                };
            if attempt >= MAX_ATTEMPTS {
                return Err(self.no_answer(method, url, problem));
            }
            let wait = retry_after.unwrap_or_else(|| self.backoff.borrow_mut().wait(attempt));
            if !self.budget.allows_wait(wait) {
                return Err(self.no_answer(method, url, problem));
            }
            if self.verbose {
                say!(
                    "pointauth: {method} attempt {attempt} failed; retrying in {} ms",
                    wait.as_millis()
                );
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn api_attempt(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        token: &Secret<String>,
        limit: Duration,
    ) -> Outcome {
        let started = Instant::now();
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let authorization = Secret::new(format!("Bearer {}", token.expose()));
        builder = builder.header("Authorization", authorization.expose().as_str());
        // No body at all, rather than an empty one, when there is none (no Content-Length: 0
        // on a GET).
        let result = match body {
            Some(body) => builder.body(body).map(|request| self.run(request, limit)),
            None => builder.body(()).map(|request| self.run(request, limit)),
        };
        drop(authorization);
        let result = match result {
            Ok(result) => result,
            // The command checked the method, URL and headers: nothing is left to refuse.
            Err(err) => return Outcome::Refused(ureq::Error::Http(err)),
        };
        match result {
            Ok(response) => {
                self.log_call(
                    method,
                    url,
                    &response.status().as_u16().to_string(),
                    started,
                );
                Outcome::Answered(response)
            }
            Err(err) => {
                self.log_call(method, url, "failed", started);
                if not_sent(&err) {
                    Outcome::NotSent(err)
                } else {
                    Outcome::Lost(err)
                }
            }
        }
    }

    /// Runs one request. Every wait until the answer's headers is bounded by this attempt's
    /// share of --timeout; the body has no total limit (a large download takes what it
    /// takes), only each pause in it: every read from the connection gets all of --timeout.
    fn run<S: ureq::AsSendBody>(
        &self,
        request: http::Request<S>,
        limit: Duration,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let request = self
            .agent
            .configure_request(request)
            .allow_non_standard_methods(true)
            .timeout_global(None)
            .timeout_resolve(Some(limit))
            .timeout_connect(Some(limit))
            .timeout_send_request(Some(limit))
            .timeout_recv_response(Some(limit))
            .timeout_recv_body(None)
            .timeout_per_read(Some(self.budget.total()))
            .build();
        self.agent.run(request)
    }

    /// The error when no answer came: the last attempt's reason, as the auth calls tell it.
    fn no_answer(&self, method: &str, url: &str, err: Option<ureq::Error>) -> ApiError {
        let what = format!("{method} {}", shown_target(url));
        let error = match err {
            None => Error::new(
                Kind::Service,
                format!(
                    "{what} failed: no time was left of --timeout ({} s)",
                    self.budget.total().as_secs()
                ),
            ),
            Some(err) => match self.transport_error(&what, err, self.budget.total()) {
                super::failure::Attempt::Final(error)
                | super::failure::Attempt::Retry(error, _) => error.error,
            },
        };
        ApiError::new(Failure::Transient, error)
    }

    fn log_call(&self, method: &str, url: &str, outcome: &str, started: Instant) {
        if self.verbose {
            say!(
                "pointauth: {method} {} -> {outcome} ({} ms)",
                shown_target(url),
                started.elapsed().as_millis()
            );
        }
    }
}

/// A read that waited longer than allowed: ureq hands its own timeout over wrapped in an
/// I/O error.
fn is_timeout(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::TimedOut
        || err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(_)))
}

/// No connection was made, so the request cannot have reached the service.
fn not_sent(err: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match err {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Timeout(timeout) => {
            matches!(timeout, ureq::Timeout::Resolve | ureq::Timeout::Connect)
        }
        ureq::Error::Io(io) => io.kind() == ErrorKind::ConnectionRefused,
        _ => false,
    }
}

fn answer(response: http::Response<ureq::Body>, url: String, unfollowed: Option<String>) -> Answer {
    let status = response.status();
    // ureq speaks HTTP/1.x only.
    let version = match response.version() {
        http::Version::HTTP_10 => "HTTP/1.0",
        _ => "HTTP/1.1",
    };
    let status_line = format!(
        "{version} {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let (_, body) = response.into_parts();
    Answer {
        status: status.as_u16(),
        status_line: status_line.trim_end().to_owned(),
        headers,
        url,
        unfollowed,
        body,
    }
}

/// A URL for messages: its scheme, host and path, cut and stripped of control characters;
/// the query is left out (it may hold what its writer did not mean to show).
fn shown_target(url: &str) -> String {
    let without_query = &url[..url.find(['?', '#']).unwrap_or(url.len())];
    sanitize(without_query)
}

impl Answer {
    /// The value of header `name`, if it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    /// Copies the body to `out` as it arrives, and keeps its first `keep` bytes (for the
    /// error summary). Every read from the connection may wait all of `--timeout`, no
    /// longer: a slow but steady body is fine, one that stops is not. Returns the bytes
    /// copied and those kept.
    pub(crate) fn copy_body(
        self,
        out: &mut dyn Write,
        keep: usize,
    ) -> Result<(u64, Vec<u8>), BodyError> {
        let mut reader = self.body.into_reader();
        let mut buffer = vec![0_u8; CHUNK];
        let mut received = 0_u64;
        let mut kept = Vec::new();
        loop {
            let len = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(len) => len,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) if is_timeout(&err) => return Err(BodyError::Paused { received }),
                Err(source) => return Err(BodyError::Broken { received, source }),
            };
            let piece = &buffer[..len];
            keep_prefix(&mut kept, piece, keep);
            received += len as u64;
            out.write_all(piece).map_err(BodyError::Output)?;
        }
        out.flush().map_err(BodyError::Output)?;
        Ok((received, kept))
    }
}

/// Adds to `kept` what of `piece` belongs to the body's first `keep` bytes.
fn keep_prefix(kept: &mut Vec<u8>, piece: &[u8], keep: usize) {
    let room = keep.saturating_sub(kept.len());
    kept.extend_from_slice(&piece[..piece.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_are_kept_however_the_body_arrives() {
        let body: Vec<u8> = (0..200_u8).collect();
        for sizes in [
            &[200][..],
            &[1; 200],
            &[70, 30, 100],
            &[99, 1, 100],
            &[150, 50],
        ] {
            let mut kept = Vec::new();
            let mut at = 0;
            for size in sizes {
                keep_prefix(&mut kept, &body[at..at + size], 100);
                at += size;
            }
            assert_eq!(kept, body[..100], "pieces of {sizes:?}");
        }
        let mut kept = Vec::new();
        keep_prefix(&mut kept, &body, 0);
        assert!(kept.is_empty());
    }

    #[test]
    fn only_requests_the_service_may_receive_twice_are_repeated() {
        for method in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"] {
            assert!(may_repeat(method), "{method}");
        }
        for method in ["POST", "PATCH", "CONNECT", "TRACE", "PURGE"] {
            assert!(!may_repeat(method), "{method}");
        }
    }

    #[test]
    fn only_a_connection_never_made_counts_as_not_sent() {
        use std::io::{Error as IoError, ErrorKind};
        assert!(not_sent(&ureq::Error::ConnectionFailed));
        assert!(not_sent(&ureq::Error::HostNotFound));
        assert!(not_sent(&ureq::Error::Io(IoError::from(
            ErrorKind::ConnectionRefused
        ))));
        assert!(not_sent(&ureq::Error::Timeout(ureq::Timeout::Connect)));
        // Once a connection was made, the service may have the request.
        assert!(!not_sent(&ureq::Error::Io(IoError::from(
            ErrorKind::ConnectionReset
        ))));
        assert!(!not_sent(&ureq::Error::Timeout(
            ureq::Timeout::RecvResponse
        )));
        assert!(!not_sent(&ureq::Error::Timeout(ureq::Timeout::SendBody)));
    }

    #[test]
    fn targets_in_messages_leave_out_the_query() {
        assert_eq!(
            shown_target("https://h.example/a/b?api_key=s3cret#x"),
            "https://h.example/a/b"
        );
        assert_eq!(
            shown_target("https://h.example/\u{1b}[31m"),
            "https://h.example/[31m"
        );
    }
}
