//! What an error answer means: the service's code decides first, the HTTP status second
//! (a 400 is not retryable). One table, used for live answers and for failures that another
//! process recorded, so both end the same way with the same hint.

use super::{Call, Failure};
use crate::error::Kind;

/// The verdict on one error answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) failure: Failure,
    pub(crate) kind: Kind,
    pub(crate) hint: &'static str,
    /// Worth another attempt within this call.
    pub(crate) retry: bool,
}

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

pub(crate) const TRANSIENT_HINT: &str =
    "retry later; check your network, proxy (HTTPS_PROXY) or the service's status";

/// Whether pointauth acts on `code` (it is then never taken for an echoed secret).
pub(crate) fn is_known(code: &str) -> bool {
    [CREDENTIAL_CODES, SESSION_ENDED_CODES, RATE_LIMIT_CODES]
        .iter()
        .any(|codes| codes.contains(&code))
}

/// The verdict on an answer with `status` and the service's `code`, to `call`.
pub(crate) fn classify(call: Call, status: u16, code: Option<&str>) -> Verdict {
    let is = |codes: &[&str]| code.is_some_and(|code| codes.contains(&code));
    let verdict = |failure, kind, hint, retry| Verdict {
        failure,
        kind,
        hint,
        retry,
    };
    if is(RATE_LIMIT_CODES) {
        return verdict(
            Failure::Transient,
            Kind::Service,
            "the service is rate-limiting or has locked the account for now; try again later",
            status == 429,
        );
    }
    match call {
        Call::Refresh if is(SESSION_ENDED_CODES) => {
            return verdict(
                Failure::SessionEnded,
                Kind::Session,
                "the session has ended; run `pointauth login`",
                false,
            );
        }
        Call::SignIn if is(CREDENTIAL_CODES) => {
            return verdict(
                Failure::Credentials,
                Kind::Credentials,
                "check the username and password (POINTAUTH_USERNAME, POINTAUTH_PASSWORD)",
                false,
            );
        }
        _ => {}
    }
    match status {
        408 | 429 | 500..=599 => verdict(Failure::Transient, Kind::Service, TRANSIENT_HINT, true),
        _ => verdict(
            Failure::Unusable,
            Kind::Service,
            "the service refused the request; if this persists, run `pointauth login` or contact the service owner",
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_decides_before_the_status() {
        // A lockout on a 400 is reported at once; the same code on a 429 may be retried.
        let lockout = classify(Call::SignIn, 400, Some("TOO_MANY_ATTEMPTS_TRY_LATER"));
        assert_eq!(
            (lockout.failure, lockout.retry),
            (Failure::Transient, false)
        );
        assert!(classify(Call::SignIn, 429, Some("QUOTA_EXCEEDED")).retry);
        // A credentials code on a 500 is still a credentials failure.
        let wrong = classify(Call::SignIn, 500, Some("INVALID_PASSWORD"));
        assert_eq!(
            (wrong.failure, wrong.kind),
            (Failure::Credentials, Kind::Credentials)
        );
        // The same code means something else on the other call.
        let ended = classify(Call::Refresh, 400, Some("USER_DISABLED"));
        assert_eq!(ended.failure, Failure::SessionEnded);
        let disabled = classify(Call::SignIn, 400, Some("USER_DISABLED"));
        assert_eq!(disabled.failure, Failure::Credentials);
    }

    #[test]
    fn without_a_known_code_the_status_decides() {
        for status in [408, 429, 500, 502, 503, 599] {
            let v = classify(Call::Refresh, status, None);
            assert_eq!((v.failure, v.retry), (Failure::Transient, true), "{status}");
        }
        for status in [400, 401, 403, 404, 418] {
            let v = classify(Call::Refresh, status, Some("SOMETHING_ELSE"));
            assert_eq!((v.failure, v.retry), (Failure::Unusable, false), "{status}");
            assert_eq!(v.kind, Kind::Service);
        }
    }
}
