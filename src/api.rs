//! The two service calls over one ureq agent: requests, retries, tolerant answer parsing and
//! the mapping of every failure to something a user can act on.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig};

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
}

impl Client {
    pub fn new(ctx: &Ctx) -> Client {
        let config = Agent::config_builder()
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
        }
    }

    pub fn sign_in(&self, username: &str, password: &Secret<String>) -> Result<Grant, ApiError> {
        let body = json!({"username": username, "password": password.expose()});
        let answer = self.call(Call::SignIn, body)?;
        parse_grant(Call::SignIn, &answer)
            .map_err(|problem| self.malformed(Call::SignIn, 200, problem))
    }

    pub fn refresh(&self, refresh_token: &Secret<String>) -> Result<Grant, ApiError> {
        let body = json!({"refresh_token": refresh_token.expose()});
        let answer = self.call(Call::Refresh, body)?;
        parse_grant(Call::Refresh, &answer)
            .map_err(|problem| self.malformed(Call::Refresh, 200, problem))
    }

    /// Posts `body`, retrying passing failures, and returns a successful answer's bytes.
    fn call(&self, call: Call, body: Value) -> Result<Vec<u8>, ApiError> {
        let url = format!("{}{}", self.base_url, call.path());
        let payload = Secret::new(body.to_string());
        let started = Instant::now();
        // An overall bound: every attempt's timeout plus the longest waits between them.
        let deadline = started + self.timeout * MAX_ATTEMPTS + MAX_RETRY_AFTER * 2;
        let mut attempt = 1;
        loop {
            let (error, retry_after) = match self.attempt(call, &url, &payload) {
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
                eprintln!(
                    "pointauth: {} attempt {attempt} failed; retrying in {} ms",
                    call.name(),
                    wait.as_millis()
                );
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn attempt(&self, call: Call, url: &str, payload: &Secret<String>) -> Result<Vec<u8>, Attempt> {
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
            .and_then(parse_retry_after);
        let location = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .map(|value| host_of(value).to_owned());
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
        Err(self.status_error(call, status, &body, retry_after))
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
    ) -> Attempt {
        let what = call.name();
        let host = &self.host;
        let parsed = parse_error_body(body);
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

/// `Retry-After` as delta-seconds. (HTTP dates are rare from token services; they count as absent.)
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
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
fn parse_error_body(body: &[u8]) -> ErrorBody {
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
                if is_code(head.trim()) {
                    code = Some(head.trim().to_owned());
                    detail = tail.map(sanitize);
                } else {
                    detail = Some(sanitize(message));
                }
            }
            if code.is_none() {
                code = error
                    .get("status")
                    .and_then(Value::as_str)
                    .filter(|s| is_code(s))
                    .map(str::to_owned);
            }
        }
        Some(Value::String(error)) => {
            let upper = error.trim().to_ascii_uppercase().replace(['-', ' '], "_");
            if is_code(&upper) {
                code = Some(upper);
            }
            detail = fields
                .get("error_description")
                .and_then(Value::as_str)
                .map(sanitize);
        }
        _ => {}
    }
    ErrorBody {
        json: true,
        code: code.map(|c| sanitize(&c)),
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
        let parsed = parse_error_body(body);
        assert_eq!(parsed.code.as_deref(), Some("TOO_MANY_ATTEMPTS_TRY_LATER"));
        assert_eq!(parsed.detail.as_deref(), Some("Access disabled"));

        let parsed = parse_error_body(br#"{"error":{"code":400,"message":"INVALID_PASSWORD"}}"#);
        assert_eq!(parsed.code.as_deref(), Some("INVALID_PASSWORD"));

        let parsed = parse_error_body(
            br#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}"#,
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(parsed.detail.as_deref(), Some("API key not valid."));

        let parsed =
            parse_error_body(br#"{"error":"invalid_grant","error_description":"expired"}"#);
        assert_eq!(parsed.code.as_deref(), Some("INVALID_GRANT"));

        let parsed = parse_error_body(b"<html>Bad gateway</html>");
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
    fn host_of_ignores_scheme_userinfo_and_path() {
        assert_eq!(
            host_of("https://api.pointservices.com/x"),
            "api.pointservices.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(host_of("https://u:p@h.example/"), "h.example");
    }
}
