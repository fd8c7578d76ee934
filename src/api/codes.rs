//! What an error answer means: the service's code decides first, the HTTP status second
//! (a 400 is not retryable). One table of the codes the service is known to send (the
//! research notes' a.4 table), each with its own words and hint, used for live answers and
//! for failures that another process recorded, so both end the same way.

use super::{Call, Failure};
use crate::error::Kind;

/// The verdict on one error answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) failure: Failure,
    pub(crate) kind: Kind,
    /// What a known code means, in plain words; `None` for an unknown one.
    pub(crate) meaning: Option<&'static str>,
    pub(crate) hint: &'static str,
    /// Worth another attempt within this call.
    pub(crate) retry: bool,
}

/// Which call a code is known for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    SignIn,
    Refresh,
    Both,
}

struct Known {
    codes: &'static [&'static str],
    on: On,
    failure: Failure,
    kind: Kind,
    meaning: &'static str,
    hint: &'static str,
}

const CHECK_CREDENTIALS: &str =
    "check the username and password (POINTAUTH_USERNAME, POINTAUTH_PASSWORD)";
const LOGIN_AGAIN: &str =
    "run `pointauth login` (or let `token` sign in from POINTAUTH_USERNAME/POINTAUTH_PASSWORD)";
const OWNER: &str = "nothing to fix on your side: contact the service's owner";

/// Every code pointauth acts on. Order matters only where a code is listed for both calls
/// and for one of them: the first match wins.
const KNOWN: &[Known] = &[
    Known {
        codes: &[
            "INVALID_LOGIN_CREDENTIALS",
            "INVALID_PASSWORD",
            "EMAIL_NOT_FOUND",
            "USER_NOT_FOUND",
            "INVALID_GRANT",
        ],
        on: On::SignIn,
        failure: Failure::Credentials,
        kind: Kind::Credentials,
        // One message for all: which part was wrong is not told.
        meaning: "the username or password is incorrect",
        hint: CHECK_CREDENTIALS,
    },
    Known {
        codes: &["INVALID_EMAIL"],
        on: On::SignIn,
        failure: Failure::Credentials,
        kind: Kind::Credentials,
        meaning: "the username is not an account name the service knows how to read",
        hint: "check the username (POINTAUTH_USERNAME, --username); it is usually an email address",
    },
    Known {
        codes: &["MISSING_EMAIL", "MISSING_PASSWORD"],
        on: On::SignIn,
        failure: Failure::Credentials,
        kind: Kind::Credentials,
        meaning: "the service saw an empty username or password",
        hint: CHECK_CREDENTIALS,
    },
    Known {
        codes: &["USER_DISABLED"],
        on: On::SignIn,
        failure: Failure::Credentials,
        kind: Kind::Credentials,
        meaning: "this account has been disabled",
        hint: "ask an administrator of the service to enable it; the password is not the problem",
    },
    Known {
        codes: &["PASSWORD_DOES_NOT_MEET_REQUIREMENTS"],
        on: On::SignIn,
        failure: Failure::Unusable,
        kind: Kind::Service,
        meaning: "the password no longer meets the service's password policy",
        hint: "change the password as the service asks, then sign in again",
    },
    Known {
        codes: &[
            "MISSING_RECAPTCHA_TOKEN",
            "INVALID_RECAPTCHA_TOKEN",
            "INVALID_RECAPTCHA_ACTION",
            "INVALID_RECAPTCHA_SCORE",
            "INVALID_RECAPTCHA_VERSION",
            "CAPTCHA_CHECK_FAILED",
        ],
        on: On::SignIn,
        failure: Failure::Unusable,
        kind: Kind::Service,
        meaning: "the service asks for a browser CAPTCHA, which pointauth cannot complete",
        hint: "ask the service's owner to exempt this account (e.g. a CI account) from CAPTCHA checks",
    },
    Known {
        codes: &[
            "OPERATION_NOT_ALLOWED",
            "PASSWORD_LOGIN_DISABLED",
            "ADMIN_ONLY_OPERATION",
        ],
        on: On::SignIn,
        failure: Failure::Unusable,
        kind: Kind::Service,
        meaning: "password sign-in is turned off for this service",
        hint: OWNER,
    },
    Known {
        codes: &["TOKEN_EXPIRED", "INVALID_REFRESH_TOKEN", "INVALID_GRANT"],
        on: On::Refresh,
        failure: Failure::SessionEnded,
        kind: Kind::Session,
        meaning: "the session has ended (it expired, or was revoked, e.g. by a password change)",
        hint: LOGIN_AGAIN,
    },
    Known {
        codes: &["USER_NOT_FOUND"],
        on: On::Refresh,
        failure: Failure::SessionEnded,
        kind: Kind::Session,
        meaning: "the account of this session no longer exists",
        hint: LOGIN_AGAIN,
    },
    Known {
        codes: &["USER_DISABLED"],
        on: On::Refresh,
        failure: Failure::SessionEnded,
        kind: Kind::Session,
        meaning: "the account of this session has been disabled",
        hint: "ask an administrator of the service to enable it, then run `pointauth login`",
    },
    Known {
        codes: &["PROJECT_NUMBER_MISMATCH", "CREDENTIAL_MISMATCH"],
        on: On::Refresh,
        failure: Failure::SessionEnded,
        kind: Kind::Session,
        meaning: "the session belongs to another environment of the service",
        hint: LOGIN_AGAIN,
    },
    Known {
        codes: &["INVALID_GRANT_TYPE", "MISSING_REFRESH_TOKEN"],
        on: On::Refresh,
        failure: Failure::Unusable,
        kind: Kind::Service,
        meaning: "the service refused pointauth's refresh request as malformed",
        hint: "this is a bug in pointauth or the service; please report it. The session is kept",
    },
    Known {
        codes: &[
            "INVALID_TENANT_ID",
            "TENANT_ID_MISMATCH",
            "UNSUPPORTED_TENANT_OPERATION",
        ],
        on: On::Both,
        failure: Failure::Unusable,
        kind: Kind::Service,
        meaning: "the service's tenant set-up is wrong",
        hint: OWNER,
    },
    Known {
        codes: &[
            "API_KEY_SERVICE_BLOCKED",
            "API_KEY_INVALID",
            "PERMISSION_DENIED",
        ],
        on: On::Both,
        failure: Failure::Unusable,
        kind: Kind::Service,
        meaning: "the service rejected its own configuration",
        hint: OWNER,
    },
];

/// Codes that mean "slow down": never retried on a 400, since retries prolong a lockout.
const RATE_LIMIT: Known = Known {
    codes: &[
        "TOO_MANY_ATTEMPTS_TRY_LATER",
        "QUOTA_EXCEEDED",
        "RESOURCE_EXHAUSTED",
    ],
    on: On::Both,
    failure: Failure::Transient,
    kind: Kind::Service,
    meaning: "too many attempts: the service is blocking requests for now",
    hint: "wait and try again later (retrying now prolongs a lockout), or reset the password",
};

pub(crate) const TRANSIENT_HINT: &str =
    "retry later; check your network, proxy (HTTPS_PROXY) or the service's status";

fn applies(on: On, call: Call) -> bool {
    matches!(
        (on, call),
        (On::Both, _) | (On::SignIn, Call::SignIn) | (On::Refresh, Call::Refresh)
    )
}

/// Whether pointauth acts on `code` (it is then never taken for an echoed secret).
pub(crate) fn is_known(code: &str) -> bool {
    RATE_LIMIT.codes.contains(&code) || KNOWN.iter().any(|known| known.codes.contains(&code))
}

/// The verdict on an answer with `status` and the service's `code`, to `call`.
pub(crate) fn classify(call: Call, status: u16, code: Option<&str>) -> Verdict {
    let found = code.and_then(|code| {
        std::iter::once(&RATE_LIMIT)
            .chain(KNOWN)
            .find(|known| applies(known.on, call) && known.codes.contains(&code))
    });
    if let Some(known) = found {
        return Verdict {
            failure: known.failure,
            kind: known.kind,
            meaning: Some(known.meaning),
            hint: known.hint,
            // A rate limit on a 429 may be waited out; on a 400 it is a lockout.
            retry: known.failure == Failure::Transient && status == 429,
        };
    }
    let verdict = |failure, hint, retry| Verdict {
        failure,
        kind: Kind::Service,
        meaning: None,
        hint,
        retry,
    };
    match status {
        408 | 429 | 500..=599 => verdict(Failure::Transient, TRANSIENT_HINT, true),
        _ => verdict(
            Failure::Unusable,
            "the service refused the request; if this persists, run `pointauth login` or contact the service's owner",
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
    fn a_disabled_account_says_so_and_not_check_the_password() {
        let disabled = classify(Call::SignIn, 400, Some("USER_DISABLED"));
        assert_eq!(disabled.meaning, Some("this account has been disabled"));
        assert!(disabled.hint.contains("administrator"), "{}", disabled.hint);
        assert!(!disabled.hint.contains("check the username"));
    }

    #[test]
    fn every_known_code_has_its_own_words_and_hint() {
        for known in std::iter::once(&RATE_LIMIT).chain(KNOWN) {
            assert!(!known.meaning.is_empty() && !known.hint.is_empty());
            for code in known.codes {
                assert!(super::super::answer::is_code(code), "{code}");
                for call in [Call::SignIn, Call::Refresh] {
                    if applies(known.on, call) {
                        let verdict = classify(call, 400, Some(code));
                        assert!(verdict.meaning.is_some(), "{code} on {call:?}");
                    }
                }
            }
        }
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
            assert_eq!(v.meaning, None);
        }
    }
}
