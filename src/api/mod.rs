//! The service's two auth calls over one ureq agent, given a plain [`ApiConfig`]: requests,
//! retries, and the mapping of every failure to something a user can act on.

pub(crate) mod answer;
mod codes;
mod failure;
mod loopback;
pub(crate) mod probe;
pub(crate) mod proxy;
pub(crate) mod request;
mod retry;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig};

use crate::error::{Error, Kind};
use crate::output::say;
use crate::secret::Secret;
use crate::session::{Clock, Grant};
use crate::text::sanitize;
use crate::url::BaseUrl;

use self::answer::{Expect, Problem, parse_grant};
use self::codes::TRANSIENT_HINT;
use self::failure::Attempt;
pub(crate) use self::failure::shared_failure;
pub(crate) use self::proxy::ProxySetting;
use self::retry::{Backoff, Budget, MAX_ATTEMPTS, parse_retry_after};

pub(crate) const SIGN_IN_PATH: &str = "/user-management-services-ws/oauth2/002/signInWithPassword";
pub(crate) const REFRESH_PATH: &str = "/user-management-services-ws/oauth2/002/refreshIdToken";

/// Answers larger than this are refused: a token answer is a few kilobytes.
const MAX_BODY: u64 = 1024 * 1024;

/// Everything the client needs, resolved by settings.
#[derive(Clone, Debug)]
pub(crate) struct ApiConfig {
    pub(crate) base_url: BaseUrl,
    /// The budget for all of a command's network work (`--timeout`).
    pub(crate) timeout: Duration,
    pub(crate) verbose: bool,
    /// The proxy, or why the proxy variables cannot be used (reported by the first call,
    /// so that commands that make no request are not stopped by it).
    pub(crate) proxy: Result<Option<ProxySetting>, Error>,
    /// Seeds the retry jitter; settings draws one per process.
    pub(crate) jitter_seed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    SignIn,
    Refresh,
}

impl Call {
    fn path(self) -> &'static str {
        match self {
            Call::SignIn => SIGN_IN_PATH,
            Call::Refresh => REFRESH_PATH,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Call::SignIn => "sign-in",
            Call::Refresh => "refresh",
        }
    }

    fn expect(self) -> Expect {
        match self {
            Call::SignIn => Expect::SignIn,
            Call::Refresh => Expect::Refresh,
        }
    }
}

/// Why a call failed, as far as callers decide on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Network, timeout, 5xx, 429: worth another try later; a cached token may still be used.
    Transient,
    /// The service says the credentials are wrong or the account cannot sign in.
    Credentials,
    /// The service no longer accepts the refresh token.
    SessionEnded,
    /// The service answered something we cannot use, or refused the request for another reason.
    Unusable,
}

/// A failed call: what callers decide on (`failure`), what a waiter may be told about it
/// (`status`, `code`), and the error to show.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) failure: Failure,
    pub(crate) status: Option<u16>,
    pub(crate) code: Option<String>,
    error: Error,
}

impl ApiError {
    fn new(failure: Failure, error: Error) -> Self {
        ApiError {
            failure,
            status: None,
            code: None,
            error,
        }
    }

    fn answered(mut self, status: u16, code: Option<String>) -> Self {
        self.status = Some(status);
        self.code = code;
        self
    }

    fn transient(message: String) -> Self {
        Self::new(
            Failure::Transient,
            Error::new(Kind::Service, message).hint(TRANSIENT_HINT),
        )
    }

    pub(crate) fn error(&self) -> &Error {
        &self.error
    }
}

impl From<ApiError> for Error {
    fn from(err: ApiError) -> Self {
        err.error
    }
}

/// The service calls the session logic makes. The one implementation talks HTTP; the
/// session logic's tests pass their own.
pub(crate) trait Service {
    fn sign_in(&self, username: &str, password: &Secret<String>) -> Result<Grant, ApiError>;
    fn refresh(&self, refresh_token: &Secret<String>) -> Result<Grant, ApiError>;
}

pub(crate) struct Client {
    agent: Agent,
    base_url: BaseUrl,
    budget: Budget,
    verbose: bool,
    proxy_error: Option<Error>,
    /// The variable that named the proxy in use, for messages.
    proxy_variable: Option<&'static str>,
    backoff: RefCell<Backoff>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(config: &ApiConfig, clock: Arc<dyn Clock>) -> Client {
        let (proxy, proxy_error) = match &config.proxy {
            Ok(proxy) => (
                proxy
                    .as_ref()
                    .and_then(|proxy| ureq::Proxy::new(&proxy.url).ok()),
                None,
            ),
            Err(err) => (None, Some(err.clone())),
        };
        let agent_config = Agent::config_builder()
            // Chosen by `proxy::choose`, not by ureq.
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("pointauth/", env!("CARGO_PKG_VERSION")))
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        let agent = Agent::with_parts(
            agent_config,
            ureq::unversioned::transport::DefaultConnector::default(),
            loopback::LoopbackLocalhost::default(),
        );
        Client {
            agent,
            base_url: config.base_url.clone(),
            budget: Budget::new(config.timeout),
            verbose: config.verbose,
            proxy_error,
            proxy_variable: config
                .proxy
                .as_ref()
                .ok()
                .and_then(|proxy| proxy.as_ref().map(|proxy| proxy.variable)),
            backoff: RefCell::new(Backoff::new(config.jitter_seed)),
            clock,
        }
    }

    fn host(&self) -> String {
        self.base_url.authority()
    }

    /// Posts `payload`, retrying passing failures, and parses a successful answer.
    /// `secret` is the credential the payload carries: server text echoing it is redacted.
    fn call(
        &self,
        call: Call,
        payload: &Secret<String>,
        secret: &Secret<String>,
    ) -> Result<Grant, ApiError> {
        if let Some(error) = &self.proxy_error {
            return Err(ApiError::new(Failure::Unusable, error.clone()));
        }
        let url = self.base_url.join(call.path());
        let mut attempt = 1;
        let mut last: Option<ApiError> = None;
        loop {
            let Some(limit) = self.budget.next_attempt() else {
                // The budget was spent before this call (by an earlier one) or by waits.
                return Err(last.unwrap_or_else(|| self.out_of_time(call)));
            };
            let (error, retry_after) = match self.attempt(call, &url, payload, secret, limit) {
                Ok((status, body)) => {
                    return parse_grant(call.expect(), body.expose())
                        .map_err(|problem| self.malformed(call, status, problem));
                }
                Err(Attempt::Final(error)) => return Err(error),
                Err(Attempt::Retry(error, retry_after)) => (error, retry_after),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(error);
            }
            let wait = match retry_after {
                // Honoured only when it fits in what is left of --timeout; else say so now.
                Some(asked) if !self.budget.allows_wait(asked) => {
                    let hint = format!(
                        "the service asks to wait {} s, more than is left of --timeout ({} s); \
                         try again then",
                        asked.as_secs_f64().ceil(),
                        self.budget.total().as_secs()
                    );
                    return Err(ApiError {
                        error: error.error.hint(hint),
                        ..error
                    });
                }
                Some(asked) => asked,
                None => self.backoff.borrow_mut().wait(attempt),
            };
            if !self.budget.allows_wait(wait) {
                return Err(error);
            }
            if self.verbose {
                say!(
                    "pointauth: {} attempt {attempt} failed; retrying in {} ms",
                    call.name(),
                    wait.as_millis()
                );
            }
            std::thread::sleep(wait);
            attempt += 1;
            last = Some(error);
        }
    }

    fn attempt(
        &self,
        call: Call,
        url: &str,
        payload: &Secret<String>,
        secret: &Secret<String>,
        limit: Duration,
    ) -> Result<(u16, Secret<Vec<u8>>), Attempt> {
        let started = Instant::now();
        let result = self
            .agent
            .post(url)
            .config()
            .timeout_global(Some(limit))
            .build()
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(payload.expose().as_bytes());
        let mut response = match result {
            Ok(response) => response,
            Err(err) => {
                self.log(url, "failed", started);
                return Err(self.transport_error(call.name(), err, limit));
            }
        };
        let status = response.status().as_u16();
        self.log(url, &status.to_string(), started);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after =
            header("retry-after").and_then(|value| parse_retry_after(&value, self.clock.now()));
        let location = header("location").map(|value| self.describe_location(&value));
        let too_long = response
            .body()
            .content_length()
            .is_some_and(|len| len > MAX_BODY);
        let body = if too_long {
            Err(ureq::Error::BodyExceedsLimit(MAX_BODY))
        } else {
            response
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .read_to_vec()
        };
        // The answer holds tokens (or echoes of what was sent): zeroed when dropped.
        let body = match body {
            Ok(body) => Secret::new(body),
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(Attempt::Final(self.malformed(
                    call,
                    status,
                    Problem::TooLarge,
                )));
            }
            Err(err) => return Err(self.transport_error(call.name(), err, limit)),
        };
        if (200..300).contains(&status) {
            return Ok((status, body));
        }
        if (300..400).contains(&status) {
            let target = location.unwrap_or_else(|| "elsewhere".into());
            let error = Error::new(
                Kind::Service,
                format!(
                    "{} failed: HTTP {status} from {}: redirected to {target}, which pointauth does not follow",
                    call.name(),
                    self.host()
                ),
            )
            .hint("check --base-url: credentials are only ever sent to the host you name");
            return Err(Attempt::Final(
                ApiError::new(Failure::Unusable, error).answered(status, None),
            ));
        }
        Err(self.status_error(call, status, body.expose(), retry_after, secret))
    }

    /// A redirect target, for the message: another host by name, or "another path".
    fn describe_location(&self, value: &str) -> String {
        let rest = value
            .strip_prefix("//")
            .or_else(|| value.split_once("://").map(|(_, rest)| rest));
        let target = rest.map(|rest| {
            let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
            authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host)
        });
        match target {
            Some(host) if !host.is_empty() => sanitize(host),
            _ => format!("another path on {}", self.host()),
        }
    }

    fn log(&self, url: &str, outcome: &str, started: Instant) {
        if self.verbose {
            say!(
                "pointauth: POST {url} -> {outcome} ({} ms)",
                started.elapsed().as_millis()
            );
        }
    }
}

impl Service for Client {
    fn sign_in(&self, username: &str, password: &Secret<String>) -> Result<Grant, ApiError> {
        let payload = json_object(&[("username", username), ("password", password.expose())]);
        self.call(Call::SignIn, &payload, password)
    }

    fn refresh(&self, refresh_token: &Secret<String>) -> Result<Grant, ApiError> {
        let payload = json_object(&[("refresh_token", refresh_token.expose())]);
        self.call(Call::Refresh, &payload, refresh_token)
    }
}

/// `{"k": "v", ...}`, written where no copy of a value is left behind (`Secret::json`).
fn json_object(fields: &[(&str, &str)]) -> Secret<String> {
    struct Object<'a>(&'a [(&'a str, &'a str)]);
    impl serde::Serialize for Object<'_> {
        fn serialize<S: serde::Serializer>(
            &self,
            serializer: S,
        ) -> std::result::Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().copied())
        }
    }
    Secret::json(&Object(fields))
}

#[cfg(test)]
impl ApiError {
    /// A failure as the session logic's tests script it.
    pub(crate) fn scripted(
        failure: Failure,
        kind: Kind,
        status: Option<u16>,
        code: Option<&str>,
    ) -> Self {
        ApiError {
            failure,
            status,
            code: code.map(str::to_owned),
            error: Error::new(kind, format!("scripted {failure:?}")).hint("a scripted hint"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_are_json_with_every_character_escaped() {
        let body = json_object(&[("username", "a\"b"), ("password", "p\\w\n")]);
        let value: serde_json::Value = serde_json::from_str(body.expose()).unwrap();
        assert_eq!(value["username"], "a\"b");
        assert_eq!(value["password"], "p\\w\n");
    }

    #[test]
    fn a_sign_in_body_leaves_no_copy_of_the_password_behind() {
        // Passwords run to 64 KiB; a long one makes the body grow as it is written.
        let password = format!("{}tiger-lily", "correct horse ".repeat(300));
        let freed = crate::freed::freed_holding(b"tiger-lily", || {
            let body = json_object(&[("username", "u@example.com"), ("password", &password)]);
            assert!(body.expose().ends_with(r#"tiger-lily"}"#));
        });
        assert_eq!(freed, 0);
    }
}
