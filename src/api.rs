//! The two service calls over one ureq agent: requests, retries, tolerant answer parsing and
//! the mapping of every failure to something a user can act on.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

use crate::error::{Error, Kind};
use crate::secret::Secret;
use crate::session::Grant;
use crate::settings::Ctx;

pub const SIGN_IN_PATH: &str = "/user-management-services-ws/oauth2/002/signInWithPassword";
pub const REFRESH_PATH: &str = "/user-management-services-ws/oauth2/002/refreshIdToken";

/// Answers larger than this are refused: a token answer is a few kilobytes.
const MAX_BODY: u64 = 1024 * 1024;
const MAX_ATTEMPTS: u32 = 3;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Server text shown to the user is cut to about this many characters.
const MAX_SERVER_TEXT: usize = 200;

/// Codes that mean the username or password is wrong, or the account cannot sign in.
const CREDENTIAL_CODES: &[&str] = &[
    "INVALID_PASSWORD",
    "EMAIL_NOT_FOUND",
    "INVALID_LOGIN_CREDENTIALS",
    "INVALID_EMAIL",
    "USER_DISABLED",
    "USER_NOT_FOUND",
    "MISSING_PASSWORD",
    "MISSING_EMAIL",
    "INVALID_GRANT",
];
/// Codes that mean a refresh token is no longer accepted: the session has ended.
const SESSION_ENDED_CODES: &[&str] = &[
    "TOKEN_EXPIRED",
    "INVALID_REFRESH_TOKEN",
    "USER_NOT_FOUND",
    "USER_DISABLED",
    "PROJECT_NUMBER_MISMATCH",
    "CREDENTIAL_MISMATCH",
    "INVALID_GRANT",
];
/// Codes that mean "slow down": never retried on a 400, since retries prolong a lockout.
const RATE_LIMIT_CODES: &[&str] = &[
    "TOO_MANY_ATTEMPTS_TRY_LATER",
    "QUOTA_EXCEEDED",
    "RESOURCE_EXHAUSTED",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
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

    fn name(self) -> &'static str {
        match self {
            Call::SignIn => "sign-in",
            Call::Refresh => "refresh",
        }
    }
}

/// Why a call failed, as far as callers decide on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Network, timeout, 5xx, 429: worth another try later; a cached token may still be used.
    Transient,
    /// The service says the credentials are wrong or the account cannot sign in.
    Credentials,
    /// The service no longer accepts the refresh token.
    SessionEnded,
    /// The service answered something we cannot use, or refused the request for another reason.
    Unusable,
}

#[derive(Debug)]
pub struct ApiError {
    pub failure: Failure,
    error: Error,
}

impl ApiError {
    fn new(failure: Failure, kind: Kind, message: String) -> Self {
        ApiError {
            failure,
            error: Error::new(kind, message),
        }
    }

    fn hint(mut self, hint: &str) -> Self {
        self.error = self.error.hint(hint);
        self
    }

    fn transient(message: String) -> Self {
        Self::new(Failure::Transient, Kind::Service, message)
            .hint("retry later; check your network, proxy (HTTPS_PROXY) or the service's status")
    }

    pub fn message(&self) -> &str {
        self.error.message()
    }
}

impl From<ApiError> for Error {
    fn from(err: ApiError) -> Self {
        err.error
    }
}

pub struct Client {
    agent: Agent,
    base_url: String,
    host: String,
    timeout: Duration,
    verbose: bool,
    /// A proxy setting that cannot be used: reported by the first call, before any request.
    proxy_error: Option<Error>,
}

impl Client {
    pub fn new(ctx: &Ctx) -> Client {
        let (proxy, proxy_error) = match proxy_for(&ctx.base_url, |name| std::env::var(name).ok()) {
            Ok(proxy) => (proxy, None),
            Err(err) => (None, Some(err)),
        };
        let config = Agent::config_builder()
            // Chosen here, not by ureq: see `proxy_for`.
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(ctx.timeout))
            .user_agent(concat!("pointauth/", env!("CARGO_PKG_VERSION")))
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        Client {
            agent: config.new_agent(),
            base_url: ctx.base_url.clone(),
            host: host_of(&ctx.base_url).to_owned(),
            timeout: ctx.timeout,
            verbose: ctx.verbose,
            proxy_error,
        }
    }

    pub fn sign_in(&self, username: &str, password: &Secret<String>) -> Result<Grant, ApiError> {
        let body = json!({"username": username, "password": password.expose()});
        let answer = self.call(Call::SignIn, body, password)?;
        parse_grant(Call::SignIn, &answer)
            .map_err(|problem| self.malformed(Call::SignIn, 200, problem))
    }

    pub fn refresh(&self, refresh_token: &Secret<String>) -> Result<Grant, ApiError> {
        let body = json!({"refresh_token": refresh_token.expose()});
        let answer = self.call(Call::Refresh, body, refresh_token)?;
        parse_grant(Call::Refresh, &answer)
            .map_err(|problem| self.malformed(Call::Refresh, 200, problem))
    }

    /// Posts `body`, retrying passing failures, and returns a successful answer's bytes.
    /// `secret` is the credential the body carries: server text that echoes it is redacted.
    fn call(&self, call: Call, body: Value, secret: &Secret<String>) -> Result<Vec<u8>, ApiError> {
        if let Some(error) = &self.proxy_error {
            return Err(ApiError {
                failure: Failure::Unusable,
                error: error.clone(),
            });
        }
        let url = format!("{}{}", self.base_url, call.path());
        let payload = Secret::new(body.to_string());
        let started = Instant::now();
        // An overall bound: every attempt's timeout plus the longest waits between them.
        let deadline = started + self.timeout * MAX_ATTEMPTS + MAX_RETRY_AFTER * 2;
        let mut attempt = 1;
        loop {
            let (error, retry_after) = match self.attempt(call, &url, &payload, secret) {
                Ok(bytes) => return Ok(bytes),
                Err(Attempt::Final(error)) => return Err(error),
                Err(Attempt::Retry(error, retry_after)) => (error, retry_after),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(error);
            }
            let wait = match retry_after {
                Some(asked) if asked > MAX_RETRY_AFTER => {
                    return Err(error.hint(&format!(
                        "the service asks to wait {} s; try again then",
                        asked.as_secs()
                    )));
                }
                Some(asked) => asked,
                None => backoff(attempt),
            };
            if Instant::now() + wait >= deadline {
                return Err(error);
            }
            if self.verbose {
                crate::say!(
                    "pointauth: {} attempt {attempt} failed; retrying in {} ms",
                    call.name(),
                    wait.as_millis()
                );
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn attempt(
        &self,
        call: Call,
        url: &str,
        payload: &Secret<String>,
        secret: &Secret<String>,
    ) -> Result<Vec<u8>, Attempt> {
        let started = Instant::now();
        let result = self
            .agent
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send(payload.expose().as_bytes());
        let mut response = match result {
            Ok(response) => response,
            Err(err) => {
                self.log(url, "failed", started);
                return Err(self.transport_error(call, err));
            }
        };
        let status = response.status().as_u16();
        self.log(url, &status.to_string(), started);
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, Utc::now()));
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                // `//host/path` names another host; a relative `/path` stays on this one.
                let target = match value.strip_prefix("//") {
                    Some(rest) => host_of(rest),
                    None if value.contains("://") => host_of(value),
                    None => "",
                };
                if target.is_empty() {
                    format!("another path on {}", self.host)
                } else {
                    sanitize(target)
                }
            });
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
        let body = match body {
            Ok(body) => body,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(Attempt::Final(self.malformed(
                    call,
                    status,
                    "the answer is larger than 1 MiB".into(),
                )));
            }
            Err(err) => return Err(self.transport_error(call, err)),
        };
        if (200..300).contains(&status) {
            return Ok(body);
        }
        if (300..400).contains(&status) {
            let target = location.unwrap_or_else(|| "elsewhere".into());
            return Err(Attempt::Final(
                ApiError::new(
                    Failure::Unusable,
                    Kind::Service,
                    format!(
                        "{} failed: HTTP {status} from {}: redirected to {target}, which pointauth does not follow",
                        call.name(),
                        self.host
                    ),
                )
                .hint("check --base-url: credentials are only ever sent to the host you name"),
            ));
        }
        Err(self.status_error(call, status, &body, retry_after, secret))
    }

    fn log(&self, url: &str, outcome: &str, started: Instant) {
        if self.verbose {
            let _ = writeln!(
                std::io::stderr(),
                "pointauth: POST {url} -> {outcome} ({} ms)",
                started.elapsed().as_millis()
            );
        }
    }

    fn transport_error(&self, call: Call, err: ureq::Error) -> Attempt {
        let what = call.name();
        let host = &self.host;
        match err {
            ureq::Error::Timeout(_) => Attempt::Retry(
                ApiError::transient(format!(
                    "{what} failed: {host} did not answer within {} s",
                    self.timeout.as_secs()
                )),
                None,
            ),
            ureq::Error::HostNotFound => Attempt::Retry(
                ApiError::transient(format!("{what} failed: cannot resolve {host}")),
                None,
            ),
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
                Attempt::Final(ApiError::new(
                    Failure::Unusable,
                    Kind::Service,
                    format!("{what} failed: TLS certificate problem with {host}: {err}"),
                ).hint(
                    "if a corporate proxy or private CA signs this host, point SSL_CERT_FILE at its CA bundle \
                     or add the CA to the system trust store",
                ))
            }
            ureq::Error::Io(io) if is_certificate_error(&io) => Attempt::Final(
                ApiError::new(
                    Failure::Unusable,
                    Kind::Service,
                    format!("{what} failed: TLS certificate problem with {host}: {io}"),
                )
                .hint(
                    "if a corporate proxy or private CA signs this host, point SSL_CERT_FILE at its CA bundle \
                     or add the CA to the system trust store",
                ),
            ),
            ureq::Error::ConnectProxyFailed(reason) => Attempt::Retry(
                ApiError::transient(format!(
                    "{what} failed: the proxy refused to connect to {host}: {}",
                    sanitize(&reason)
                )),
                None,
            ),
            ureq::Error::InvalidProxyUrl => Attempt::Final(
                ApiError::new(
                    Failure::Unusable,
                    Kind::Usage,
                    format!("{what} failed: the proxy URL in HTTPS_PROXY/ALL_PROXY is not valid"),
                )
                .hint("fix or unset HTTPS_PROXY, HTTP_PROXY and ALL_PROXY"),
            ),
            other => Attempt::Retry(
                ApiError::transient(format!("{what} failed: connection to {host}: {}", describe(&other))),
                None,
            ),
        }
    }

    fn status_error(
        &self,
        call: Call,
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        secret: &Secret<String>,
    ) -> Attempt {
        let what = call.name();
        let host = &self.host;
        let parsed = parse_error_body(body, secret.expose());
        let code = parsed.code.as_deref();
        let mut message = format!("{what} failed: HTTP {status} from {host}");
        match (&parsed.code, &parsed.detail) {
            (Some(code), Some(detail)) => write!(message, ": {code} ({detail})"),
            (Some(code), None) => write!(message, ": {code}"),
            (None, Some(detail)) => write!(message, ": {detail}"),
            (None, None) if parsed.json => Ok(()),
            (None, None) => write!(message, " (not JSON)"),
        }
        .ok();

        let is = |codes: &[&str]| code.is_some_and(|code| codes.contains(&code));
        // Decide on the service's code first, the HTTP status second.
        if is(RATE_LIMIT_CODES) {
            let error = ApiError::new(Failure::Transient, Kind::Service, message).hint(
                "the service is rate-limiting or has locked the account for now; try again later",
            );
            return if status == 429 {
                Attempt::Retry(error, retry_after)
            } else {
                Attempt::Final(error)
            };
        }
        match call {
            Call::Refresh if is(SESSION_ENDED_CODES) => {
                return Attempt::Final(
                    ApiError::new(Failure::SessionEnded, Kind::Session, message)
                        .hint("the session has ended; run `pointauth login`"),
                );
            }
            Call::SignIn if is(CREDENTIAL_CODES) => {
                return Attempt::Final(
                    ApiError::new(Failure::Credentials, Kind::Credentials, message).hint(
                        "check the username and password (POINTAUTH_USERNAME, POINTAUTH_PASSWORD)",
                    ),
                );
            }
            _ => {}
        }
        match status {
            408 | 429 | 500..=599 => Attempt::Retry(ApiError::transient(message), retry_after),
            _ => Attempt::Final(
                ApiError::new(Failure::Unusable, Kind::Service, message)
                    .hint("the service refused the request; if this persists, run `pointauth login` or contact the service owner"),
            ),
        }
    }

    fn malformed(&self, call: Call, status: u16, problem: String) -> ApiError {
        if problem == MFA_REQUIRED {
            return ApiError::new(
                Failure::Credentials,
                Kind::Credentials,
                format!("{} failed: this account requires a second factor, which pointauth cannot complete", call.name()),
            )
            .hint("use an account without multi-factor sign-in for scripts and CI");
        }
        ApiError::new(
            Failure::Unusable,
            Kind::Service,
            format!(
                "{} failed: HTTP {status} from {}: malformed answer: {problem}",
                call.name(),
                self.host
            ),
        )
        .hint("check --base-url points at the pointservices API; retry later")
    }
}

enum Attempt {
    Retry(ApiError, Option<Duration>),
    Final(ApiError),
}

fn describe(err: &ureq::Error) -> String {
    match err {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        other => sanitize(&other.to_string()),
    }
}

fn is_certificate_error(io: &std::io::Error) -> bool {
    let text = io.to_string().to_ascii_lowercase();
    text.contains("certificate") || text.contains("unknownissuer")
}

/// Exponential backoff with full jitter: a random wait below 0.5 s · 2^(attempt-1), at most 8 s.
fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = (500u64 << (attempt - 1).min(4)).min(8_000);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0) as u64
        ^ u64::from(std::process::id()).rotate_left(17);
    // A splitmix step is plenty of randomness for spreading retries apart.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // Keep at least a tenth of the ceiling so retries never arrive all at once.
    Duration::from_millis(ceiling_ms / 10 + z % (ceiling_ms - ceiling_ms / 10 + 1))
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), measured from `now`; a
/// date already past means "now". Anything else counts as absent.
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The proxy for requests to `base_url`, from the environment (`var` reads a variable).
///
/// ureq's own `Proxy::try_from_env` is not used: it takes the first of ALL_PROXY, HTTPS_PROXY
/// and HTTP_PROXY for every target, so an `http://127.0.0.1` base URL went through the proxy
/// (which reaches its own loopback, not ours, and sees the password in clear text), it matched
/// NO_PROXY entries only verbatim (`a, b` or `host:port` never matched), and a `socks5://`
/// proxy was silently skipped. Here, like curl:
/// - `https://` targets use `https_proxy`/`HTTPS_PROXY`, else `all_proxy`/`ALL_PROXY`;
/// - `http://` targets (loopback only, by the contract) never use a proxy;
/// - `NO_PROXY`/`no_proxy`: comma-separated names, `*` for all; `example.com` and
///   `.example.com` cover the name and its subdomains; a `:port` suffix is ignored;
/// - only `http://` and `https://` (CONNECT) proxies; anything else is a usage error.
///
/// Errors name the variable, never its value (it may hold credentials).
fn proxy_for(base_url: &str, var: impl Fn(&str) -> Option<String>) -> Result<Option<Proxy>, Error> {
    let (scheme, _) = base_url.split_once("://").unwrap_or(("https", base_url));
    if !scheme.eq_ignore_ascii_case("https") {
        return Ok(None);
    }
    let set = |name: &&str| var(name).filter(|value| !value.trim().is_empty());
    let Some((name, url)) = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
        .iter()
        .find_map(|name| set(name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    let no_proxy = ["no_proxy", "NO_PROXY"]
        .iter()
        .find_map(|name| var(name))
        .unwrap_or_default();
    if bypasses_proxy(host_name(host_of(base_url)), &no_proxy) {
        return Ok(None);
    }
    let url = url.trim();
    let bad = |why: &str| {
        Error::usage(format!("the proxy in {name} {why}"))
            .hint(format!("fix or unset {name}, or list the host in NO_PROXY"))
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
    Proxy::new(url)
        .map(Some)
        .map_err(|_| bad("is not a valid proxy URL"))
}

/// Whether `host` is covered by a NO_PROXY list.
fn bypasses_proxy(host: &str, no_proxy: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    no_proxy.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.strip_prefix('*').unwrap_or(entry);
        let entry = entry.strip_prefix('.').unwrap_or(entry);
        let entry = host_name(entry).trim_end_matches('.').to_ascii_lowercase();
        !entry.is_empty()
            && (host == entry
                || host
                    .strip_suffix(&entry)
                    .is_some_and(|rest| rest.ends_with('.')))
    })
}

/// The host of `host[:port]` or `[v6]:port`, without brackets or port.
fn host_name(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    match authority.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => authority,
    }
}

pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

const MFA_REQUIRED: &str = "second factor required";

/// Reads a success answer, accepting the Firebase-style aliases.
pub fn parse_grant(call: Call, body: &[u8]) -> Result<Grant, String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        if std::str::from_utf8(body).is_err() {
            "the body is not UTF-8 text".to_string()
        } else if body.trim_ascii_start().starts_with(b"<") {
            "an HTML page, not JSON".to_string()
        } else {
            "not JSON".to_string()
        }
    })?;
    let Value::Object(fields) = value else {
        return Err("not a JSON object".into());
    };
    let access = token_field(&fields, &["access_token", "id_token", "idToken"])?;
    let refresh = token_field(&fields, &["refresh_token", "refreshToken"])?;
    let Some(access) = access else {
        if fields.contains_key("mfaPendingCredential") || fields.contains_key("mfaInfo") {
            return Err(MFA_REQUIRED.into());
        }
        return Err("no access_token".into());
    };
    if call == Call::SignIn && refresh.is_none() {
        return Err("no refresh_token".into());
    }
    let expires_in = expires_in(&fields)?;
    Ok(Grant {
        access_token: Secret::new(access),
        refresh_token: refresh.map(Secret::new),
        expires_in,
    })
}

fn token_field(fields: &Map<String, Value>, names: &[&str]) -> Result<Option<String>, String> {
    for name in names {
        match fields.get(*name) {
            None | Some(Value::Null) => continue,
            Some(Value::String(token)) if token.is_empty() => continue,
            Some(Value::String(token)) if token.bytes().all(|b| b.is_ascii_graphic()) => {
                return Ok(Some(token.clone()));
            }
            Some(_) => return Err(format!("{name} is not a token")),
        }
    }
    Ok(None)
}

fn expires_in(fields: &Map<String, Value>) -> Result<u32, String> {
    let value = fields
        .get("expires_in")
        .or_else(|| fields.get("expiresIn"))
        .ok_or("no expires_in")?;
    let seconds = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s @ 1..=86_400) => Ok(s as u32),
        _ => Err("expires_in is not a number of seconds between 1 and 86400".into()),
    }
}

struct ErrorBody {
    json: bool,
    code: Option<String>,
    detail: Option<String>,
}

/// Reads Firebase-style `{"error": {"message": "CODE : detail"}}`, OAuth-style
/// `{"error": "...", "error_description": "..."}`, or anything else.
///
/// Server text that echoes `secret` (the password or refresh token just sent) has it redacted
/// before it is cut, so a chatty service cannot put a credential into a CI log. The code is
/// read before redacting (a password such as `PASS` must not turn `INVALID_PASSWORD` into
/// something else); a code that is not one pointauth knows and contains the secret is treated
/// as text and redacted.
fn parse_error_body(body: &[u8], secret: &str) -> ErrorBody {
    let echoes = |text: &str| !secret.is_empty() && text.contains(secret);
    let redact = |text: &str| -> String {
        if echoes(text) {
            text.replace(secret, "[redacted]")
        } else {
            text.to_owned()
        }
    };
    let sanitize = |text: &str| sanitize(&redact(text));
    let as_code = |text: &str| {
        let text = text.trim();
        let known = [CREDENTIAL_CODES, SESSION_ENDED_CODES, RATE_LIMIT_CODES]
            .iter()
            .any(|codes| codes.contains(&text));
        (is_code(text) && (known || !echoes(text))).then(|| text.to_owned())
    };
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody {
            json: false,
            code: None,
            detail: None,
        };
    };
    let mut code = None;
    let mut detail = None;
    match fields.get("error") {
        Some(Value::Object(error)) => {
            if let Some(message) = error.get("message").and_then(Value::as_str) {
                let (head, tail) = message
                    .split_once(" : ")
                    .map_or((message, None), |(h, t)| (h, Some(t)));
                code = as_code(head);
                detail = match code {
                    Some(_) => tail.map(sanitize),
                    None => Some(sanitize(message)),
                };
            }
            if code.is_none() {
                code = error
                    .get("status")
                    .and_then(Value::as_str)
                    .and_then(as_code);
            }
        }
        Some(Value::String(error)) => {
            code = as_code(&error.trim().to_ascii_uppercase().replace(['-', ' '], "_"));
            detail = fields
                .get("error_description")
                .and_then(Value::as_str)
                .map(sanitize);
        }
        _ => {}
    }
    ErrorBody {
        json: true,
        code,
        detail,
    }
}

fn is_code(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && text.len() <= 64
}

/// Server text shown to a user: control characters removed, cut to ~200 characters.
pub fn sanitize(text: &str) -> String {
    let mut clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_SERVER_TEXT + 1)
        .collect();
    if clean.chars().count() > MAX_SERVER_TEXT {
        clean = clean.chars().take(MAX_SERVER_TEXT).collect();
        clean.push('…');
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(call: Call, body: &str) -> Result<Grant, String> {
        parse_grant(call, body.as_bytes())
    }

    #[test]
    fn accepts_the_documented_answer() {
        let g = grant(
            Call::SignIn,
            r#"{"access_token":"a.b.c","refresh_token":"AMf-v1","expires_in":3600}"#,
        )
        .unwrap();
        assert_eq!(g.access_token.expose(), "a.b.c");
        assert_eq!(g.refresh_token.unwrap().expose(), "AMf-v1");
        assert_eq!(g.expires_in, 3600);
    }

    #[test]
    fn accepts_firebase_aliases_and_numeric_strings() {
        let g = grant(
            Call::SignIn,
            r#"{"idToken":"a.b.c","refreshToken":"r","expiresIn":"3600","localId":"x"}"#,
        )
        .unwrap();
        assert_eq!(g.access_token.expose(), "a.b.c");
        assert_eq!(g.expires_in, 3600);
        let g = grant(
            Call::Refresh,
            r#"{"id_token":"a.b.c","refresh_token":"r","expires_in":" 60 ","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(g.expires_in, 60);
    }

    #[test]
    fn a_refresh_answer_may_omit_the_refresh_token_but_a_sign_in_may_not() {
        let body = r#"{"access_token":"a","expires_in":3600}"#;
        assert!(grant(Call::Refresh, body).unwrap().refresh_token.is_none());
        assert_eq!(grant(Call::SignIn, body).unwrap_err(), "no refresh_token");
    }

    #[test]
    fn rejects_expires_in_out_of_range_or_not_a_number() {
        for bad in ["0", "-5", "86401", "\"abc\"", "1e9", "3600.5", "null", "[]"] {
            let body = format!(r#"{{"access_token":"a","refresh_token":"r","expires_in":{bad}}}"#);
            assert!(grant(Call::SignIn, &body).is_err(), "{bad}");
        }
        let body = r#"{"access_token":"a","refresh_token":"r","expires_in":86400}"#;
        assert_eq!(grant(Call::SignIn, body).unwrap().expires_in, 86_400);
    }

    #[test]
    fn names_what_is_wrong_with_a_bad_answer() {
        assert_eq!(
            grant(Call::SignIn, "<html>oops</html>").unwrap_err(),
            "an HTML page, not JSON"
        );
        assert_eq!(grant(Call::SignIn, "{\"acc").unwrap_err(), "not JSON");
        assert_eq!(
            parse_grant(Call::SignIn, b"\xff\xfe{}").unwrap_err(),
            "the body is not UTF-8 text"
        );
        assert_eq!(grant(Call::SignIn, "[1]").unwrap_err(), "not a JSON object");
        assert_eq!(grant(Call::SignIn, "{}").unwrap_err(), "no access_token");
        assert_eq!(
            grant(
                Call::SignIn,
                r#"{"access_token":"a b","refresh_token":"r","expires_in":1}"#
            )
            .unwrap_err(),
            "access_token is not a token"
        );
    }

    #[test]
    fn recognises_a_second_factor_request() {
        let body = r#"{"mfaPendingCredential":"xyz","mfaInfo":[{"phoneInfo":"+1***"}]}"#;
        assert_eq!(grant(Call::SignIn, body).unwrap_err(), MFA_REQUIRED);
    }

    #[test]
    fn error_codes_come_before_the_detail() {
        let body =
            br#"{"error":{"code":400,"message":"TOO_MANY_ATTEMPTS_TRY_LATER : Access disabled"}}"#;
        let parsed = parse_error_body(body, "");
        assert_eq!(parsed.code.as_deref(), Some("TOO_MANY_ATTEMPTS_TRY_LATER"));
        assert_eq!(parsed.detail.as_deref(), Some("Access disabled"));

        let parsed = parse_error_body(
            br#"{"error":{"code":400,"message":"INVALID_PASSWORD"}}"#,
            "",
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_PASSWORD"));

        let parsed = parse_error_body(
            br#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}"#,
            "",
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(parsed.detail.as_deref(), Some("API key not valid."));

        let parsed = parse_error_body(
            br#"{"error":"invalid_grant","error_description":"expired"}"#,
            "",
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_GRANT"));

        let parsed = parse_error_body(b"<html>Bad gateway</html>", "");
        assert!(!parsed.json);
    }

    #[test]
    fn server_text_is_stripped_of_control_characters_and_cut() {
        assert_eq!(sanitize("a\u{1b}[31mb\nc"), "a[31mbc");
        let long = "x".repeat(10_000);
        assert_eq!(sanitize(&long).chars().count(), MAX_SERVER_TEXT + 1);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..10 {
            let wait = backoff(attempt);
            let ceiling = (500u64 << (attempt - 1).min(4)).min(8_000);
            assert!(wait.as_millis() as u64 <= ceiling, "{attempt}: {wait:?}");
            assert!(
                wait.as_millis() as u64 >= ceiling / 10,
                "{attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn server_text_that_echoes_the_secret_is_redacted() {
        let secret = "AMf-v".to_owned() + &"x".repeat(250);
        let body = format!(
            r#"{{"error":{{"code":400,"message":"INVALID_REFRESH_TOKEN : token {secret} is unknown"}}}}"#
        );
        let parsed = parse_error_body(body.as_bytes(), &secret);
        assert_eq!(parsed.code.as_deref(), Some("INVALID_REFRESH_TOKEN"));
        let detail = parsed.detail.unwrap();
        assert!(!detail.contains("AMf-v"), "{detail}");
        assert!(detail.contains("[redacted]"), "{detail}");
        let body = r#"{"error":"invalid_grant","error_description":"bad password hunter22"}"#;
        let parsed = parse_error_body(body.as_bytes(), "hunter22");
        assert_eq!(parsed.detail.as_deref(), Some("bad password [redacted]"));
        // A password that is part of a known code leaves the code alone...
        let body = br#"{"error":{"code":400,"message":"INVALID_PASSWORD"}}"#;
        let parsed = parse_error_body(body, "PASS");
        assert_eq!(parsed.code.as_deref(), Some("INVALID_PASSWORD"));
        // ...but an unknown code that carries it is only shown redacted.
        let body = br#"{"error":{"code":400,"message":"WRONG_S3CRETPASS : try again"}}"#;
        let parsed = parse_error_body(body, "S3CRETPASS");
        assert_eq!(parsed.code, None);
        assert_eq!(
            parsed.detail.as_deref(),
            Some("WRONG_[redacted] : try again")
        );
    }

    fn proxy(base_url: &str, vars: &[(&str, &str)]) -> Result<Option<String>, Error> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        proxy_for(base_url, |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .map(|proxy| proxy.map(|p| format!("{}:{}", p.host(), p.port())))
    }

    #[test]
    fn proxies_come_from_the_environment_like_curl() {
        let https = "https://api.pointservices.com";
        assert_eq!(proxy(https, &[]).unwrap(), None);
        let via = |vars: &[(&str, &str)]| proxy(https, vars).unwrap();
        assert_eq!(
            via(&[("HTTPS_PROXY", "http://proxy:3128")]).as_deref(),
            Some("proxy:3128")
        );
        assert_eq!(
            via(&[("https_proxy", "proxy:8080")]).as_deref(),
            Some("proxy:8080")
        );
        // The specific variable beats ALL_PROXY; HTTP_PROXY is for http:// targets only.
        assert_eq!(
            via(&[("ALL_PROXY", "http://all:1"), ("HTTPS_PROXY", "http://s:2")]).as_deref(),
            Some("s:2")
        );
        assert_eq!(
            via(&[("ALL_PROXY", "http://all:1")]).as_deref(),
            Some("all:1")
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
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = proxy(https, &[("ALL_PROXY", "http://bad host:1")]).unwrap_err();
        assert!(err.message().contains("ALL_PROXY"), "{err}");
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let parse = |value: &str| parse_retry_after(value, now);
        assert_eq!(parse("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse("Mon, 30 Nov 2026 15:00:20 GMT"),
            Some(Duration::from_secs(20))
        );
        assert_eq!(parse("Mon, 30 Nov 2026 14:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse("soon"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn host_of_ignores_scheme_userinfo_and_path() {
        assert_eq!(
            host_of("https://api.pointservices.com/x"),
            "api.pointservices.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(host_of("https://u:p@h.example/"), "h.example");
    }
}
