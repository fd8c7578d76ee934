//! How each way a call can fail is told to the user: transport errors, error statuses, and
//! malformed answers, each with the exit code and hint it means; and the same for a failure
//! another process recorded for its waiters.

use std::time::Duration;

use super::answer::{Problem, parse_error_body};
use super::codes::{TRANSIENT_HINT, classify, is_known};
use super::{ApiError, Call, Client, Failure};
use crate::error::{Error, Kind};
use crate::secret::Secret;
use crate::text::sanitize;
use crate::url::BaseUrl;

impl Client {
    /// The call could not be made at all: the budget was spent before it.
    pub(super) fn out_of_time(&self, call: Call) -> ApiError {
        ApiError::transient(format!(
            "{} failed: no time was left of --timeout ({} s) to reach {}",
            call.name(),
            self.budget.total().as_secs(),
            self.host()
        ))
    }

    pub(super) fn transport_error(&self, what: &str, err: ureq::Error, limit: Duration) -> Attempt {
        let host = self.host();
        let tls = |detail: String| {
            let error = Error::new(
                Kind::Service,
                format!("{what} failed: TLS certificate problem with {host}: {detail}"),
            )
            .hint(
                "if a corporate proxy or private CA signs this host, point SSL_CERT_FILE at its CA bundle \
                 or add the CA to the system trust store",
            );
            Attempt::Final(ApiError::new(Failure::Unusable, error))
        };
        match err {
            ureq::Error::Timeout(_) => Attempt::Retry(
                ApiError::transient(format!(
                    "{what} failed: {host} did not answer within the {} of --timeout \
                     (at most {} an attempt)",
                    seconds(self.budget.total()),
                    seconds(limit.max(self.budget.total() / super::retry::MAX_ATTEMPTS))
                )),
                None,
            ),
            ureq::Error::HostNotFound => Attempt::Retry(
                ApiError::transient(format!("{what} failed: cannot resolve {host}")),
                None,
            ),
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
                tls(err.to_string())
            }
            ureq::Error::Io(io) if is_certificate_error(&io) => tls(io.to_string()),
            // A proxy that wants credentials it did not get (or refused the ones given) is a
            // setup error: retrying cannot help, and the variable is what to fix.
            ureq::Error::ConnectProxyFailed(reason) if reason.contains("407") => Attempt::Final(
                ApiError::new(
                    Failure::Unusable,
                    Error::usage(format!(
                        "{what} failed: the proxy refused its credentials (HTTP 407 Proxy \
                         Authentication Required)"
                    ))
                    .hint(format!(
                        "set the proxy's user and password in {}, as http://USER:PASSWORD@HOST:PORT",
                        self.proxy_variable.unwrap_or("HTTPS_PROXY")
                    )),
                ),
            ),
            ureq::Error::ConnectProxyFailed(reason) => Attempt::Retry(
                ApiError::transient(format!(
                    "{what} failed: the proxy refused to connect to {host}: {}",
                    sanitize(&reason)
                )),
                None,
            ),
            ureq::Error::InvalidProxyUrl => Attempt::Final(ApiError::new(
                Failure::Unusable,
                Error::usage(format!(
                    "{what} failed: the proxy URL in HTTPS_PROXY/ALL_PROXY is not valid"
                ))
                .hint("fix or unset HTTPS_PROXY, HTTP_PROXY and ALL_PROXY"),
            )),
            other => Attempt::Retry(
                ApiError::transient(format!(
                    "{what} failed: connection to {host}: {}",
                    describe(&other)
                )),
                None,
            ),
        }
    }

    pub(super) fn status_error(
        &self,
        call: Call,
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        secret: &Secret<String>,
    ) -> Attempt {
        let parsed = parse_error_body(body, secret.expose(), is_known);
        let verdict = classify(call, status, parsed.code.as_deref());
        let answered = format!("HTTP {status} from {}", self.host());
        let message = match (verdict.meaning, &parsed.code, &parsed.detail) {
            // A known code: what it means, then what the service said.
            (Some(meaning), Some(code), Some(detail)) => {
                format!(
                    "{} failed: {meaning} ({answered}: {code}: {detail})",
                    call.name()
                )
            }
            (Some(meaning), Some(code), None) => {
                format!("{} failed: {meaning} ({answered}: {code})", call.name())
            }
            (_, Some(code), Some(detail)) => {
                format!("{} failed: {answered}: {code} ({detail})", call.name())
            }
            (_, Some(code), None) => format!("{} failed: {answered}: {code}", call.name()),
            (_, None, Some(detail)) => format!("{} failed: {answered}: {detail}", call.name()),
            (_, None, None) if parsed.json => format!("{} failed: {answered}", call.name()),
            (_, None, None) => format!("{} failed: {answered} (not JSON)", call.name()),
        };
        let error = ApiError::new(
            verdict.failure,
            Error::new(verdict.kind, message).hint(verdict.hint),
        )
        .answered(status, parsed.code);
        if verdict.retry {
            Attempt::Retry(error, retry_after)
        } else {
            Attempt::Final(error)
        }
    }

    pub(super) fn malformed(&self, call: Call, status: u16, problem: Problem) -> ApiError {
        let (failure, error) = match problem {
            Problem::SecondFactor => (
                Failure::Credentials,
                Error::new(
                    Kind::Credentials,
                    format!(
                        "{} failed: this account requires a second factor, which pointauth cannot complete",
                        call.name()
                    ),
                )
                .hint("use an account without multi-factor sign-in for scripts and CI"),
            ),
            problem => (
                Failure::Unusable,
                Error::new(
                    Kind::Service,
                    format!(
                        "{} failed: HTTP {status} from {}: malformed answer: {problem}",
                        call.name(),
                        self.host()
                    ),
                )
                .hint("check --base-url points at the pointservices API; retry later"),
            ),
        };
        ApiError::new(failure, error).answered(status, None)
    }
}

/// The error another process recorded for a call, as this process would have shown it had
/// it made the call itself: the same verdict, kind and hint, from structured fields only.
pub(crate) fn shared_failure(
    call: Call,
    base_url: &BaseUrl,
    kind: Kind,
    status: Option<u16>,
    code: Option<&str>,
) -> Error {
    let host = base_url.authority();
    let what = call.name();
    let (message, hint) = match (status, code) {
        (Some(status), code) if !(200..300).contains(&status) => {
            let verdict = classify(call, status, code);
            let message = match (verdict.meaning, code) {
                (Some(meaning), Some(code)) => {
                    format!("{what} failed: {meaning} (HTTP {status} from {host}: {code})")
                }
                (_, Some(code)) => format!("{what} failed: HTTP {status} from {host}: {code}"),
                (_, None) => format!("{what} failed: HTTP {status} from {host}"),
            };
            (message, verdict.hint)
        }
        (Some(status), _) => (
            format!("{what} failed: HTTP {status} from {host}: an answer pointauth cannot use"),
            "check --base-url points at the pointservices API; retry later",
        ),
        (None, _) => (
            format!("{what} failed: {host} could not be reached"),
            TRANSIENT_HINT,
        ),
    };
    Error::new(
        kind,
        format!("{message} (another pointauth process got this answer moments ago)"),
    )
    .hint(hint)
}

pub(super) enum Attempt {
    Retry(ApiError, Option<Duration>),
    Final(ApiError),
}

/// "1 s", "0.5 s": a time limit as a person reads it.
fn seconds(limit: Duration) -> String {
    let tenths = (limit.as_millis() + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{} s", tenths / 10)
    } else {
        format!("{}.{} s", tenths / 10, tenths % 10)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_failure_keeps_the_original_hint_and_exit_code() {
        let base = BaseUrl::parse("https://h.example").unwrap();
        let err = shared_failure(
            Call::SignIn,
            &base,
            Kind::Credentials,
            Some(400),
            Some("INVALID_PASSWORD"),
        );
        assert_eq!(err.kind(), Kind::Credentials);
        assert_eq!(
            err.hint_text(),
            Some(classify(Call::SignIn, 400, Some("INVALID_PASSWORD")).hint)
        );
        assert!(err.message().contains("INVALID_PASSWORD"), "{err}");
        let err = shared_failure(Call::Refresh, &base, Kind::Service, None, None);
        assert_eq!(err.hint_text(), Some(TRANSIENT_HINT));
        assert_eq!(err.kind(), Kind::Service);
    }
}
