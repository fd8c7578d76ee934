//! Reading the service's answers, liberally: a success's tokens under any of their
//! Firebase-style names, and an error's code and detail, made fit to show: control and format
//! characters stripped, and any echo of the secret just sent redacted.

use serde_json::{Map, Value};

use crate::secret::Secret;
use crate::session::Grant;
use crate::text::Secrets;

/// What is wrong with a success answer. Says what is missing or odd, never what is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Problem {
    #[error("the body is not UTF-8 text")]
    NotUtf8,
    #[error("an HTML page, not JSON")]
    Html,
    #[error("not JSON")]
    NotJson,
    #[error("not a JSON object")]
    NotObject,
    #[error("no {0}")]
    Missing(&'static str),
    #[error("{0} is not a token")]
    NotAToken(&'static str),
    #[error("expires_in is not a number of seconds between 1 and 86400")]
    ExpiresIn,
    /// A sign-in that needs a second factor: no token, an MFA challenge instead.
    #[error("a second factor is required")]
    SecondFactor,
    #[error("the answer is larger than 1 MiB")]
    TooLarge,
}

/// Whether the answer is to a sign-in or a refresh: only a refresh may omit the refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    SignIn,
    Refresh,
}

/// Reads a success answer, accepting the Firebase-style aliases.
pub(crate) fn parse_grant(expect: Expect, body: &[u8]) -> Result<Grant, Problem> {
    // The parsed answer holds copies of the tokens: zeroed when dropped, whatever happens.
    let mut value = Wiped(serde_json::from_slice(body).map_err(|_| {
        if std::str::from_utf8(body).is_err() {
            Problem::NotUtf8
        } else if body.trim_ascii_start().starts_with(b"<") {
            Problem::Html
        } else {
            Problem::NotJson
        }
    })?);
    let Value::Object(fields) = &mut value.0 else {
        return Err(Problem::NotObject);
    };
    let fields = &*fields;
    let access = token_field(fields, &["access_token", "id_token", "idToken"])?;
    let refresh = token_field(fields, &["refresh_token", "refreshToken"])?;
    let Some(access) = access else {
        if fields.contains_key("mfaPendingCredential") || fields.contains_key("mfaInfo") {
            return Err(Problem::SecondFactor);
        }
        return Err(Problem::Missing("access_token"));
    };
    if expect == Expect::SignIn && refresh.is_none() {
        return Err(Problem::Missing("refresh_token"));
    }
    Ok(Grant {
        access_token: access,
        refresh_token: refresh,
        expires_in: expires_in(fields)?,
    })
}

/// A parsed JSON value whose strings are zeroed when it is dropped.
struct Wiped(Value);

impl Drop for Wiped {
    fn drop(&mut self) {
        fn wipe(value: &mut Value) {
            match value {
                Value::String(text) => zeroize::Zeroize::zeroize(text),
                Value::Array(items) => items.iter_mut().for_each(wipe),
                Value::Object(fields) => fields.values_mut().for_each(wipe),
                _ => {}
            }
        }
        wipe(&mut self.0);
    }
}

/// The first of `names` that holds a token. Null or empty counts as absent (a refresh
/// answer with `"refresh_token": ""` keeps the stored one); anything but printable ASCII is
/// not a token.
fn token_field(
    fields: &Map<String, Value>,
    names: &[&'static str],
) -> Result<Option<Secret<String>>, Problem> {
    for &name in names {
        match fields.get(name) {
            None | Some(Value::Null) => continue,
            Some(Value::String(token)) if token.is_empty() => continue,
            Some(Value::String(token)) if token.bytes().all(|b| b.is_ascii_graphic()) => {
                return Ok(Some(Secret::new(token.clone())));
            }
            Some(_) => return Err(Problem::NotAToken(name)),
        }
    }
    Ok(None)
}

fn expires_in(fields: &Map<String, Value>) -> Result<u32, Problem> {
    let value = fields
        .get("expires_in")
        .or_else(|| fields.get("expiresIn"))
        .ok_or(Problem::Missing("expires_in"))?;
    let seconds = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s @ 1..=86_400) => Ok(s as u32),
        _ => Err(Problem::ExpiresIn),
    }
}

/// What an error answer says: its code (if it has one of the service's `CODE` form) and a
/// sanitised, redacted detail.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    pub(crate) json: bool,
    pub(crate) code: Option<String>,
    pub(crate) detail: Option<String>,
}

/// Reads Firebase-style `{"error": {"message": "CODE : detail"}}`, OAuth-style
/// `{"error": "...", "error_description": "..."}`, or anything else.
///
/// `secret` is what the request sent (the password or refresh token); every piece of the
/// answer that is shown goes through `Secrets::show`. `known` tells a code pointauth acts on.
/// A code is read before redacting (a password such as `PASS` must not turn
/// `INVALID_PASSWORD` into something else), but a code that is not known and echoes the
/// secret (a fragment of 8 characters or more, in any case) is no code: it is treated as text
/// and shown redacted.
pub(crate) fn parse_error_body(
    body: &[u8],
    secret: &str,
    known: impl Fn(&str) -> bool,
) -> ErrorBody {
    let secrets = Secrets::new(&[secret]);
    let shown = |text: &str| secrets.show(text);
    let as_code = |text: &str| {
        let text = text.trim();
        (is_code(text) && (known(text) || !secrets.echoed_in(text))).then(|| text.to_owned())
    };
    // An answer may echo the secret sent: its parsed copy is zeroed when dropped.
    let Ok(value) = serde_json::from_slice::<Value>(body).map(Wiped) else {
        return ErrorBody::default();
    };
    let Value::Object(fields) = &value.0 else {
        return ErrorBody::default();
    };
    let mut parsed = ErrorBody {
        json: true,
        ..ErrorBody::default()
    };
    match fields.get("error") {
        Some(Value::Object(error)) => {
            if let Some(message) = error.get("message").and_then(Value::as_str) {
                let (head, tail) = message
                    .split_once(" : ")
                    .map_or((message, None), |(h, t)| (h, Some(t)));
                parsed.code = as_code(head);
                parsed.detail = match parsed.code {
                    Some(_) => tail.map(shown),
                    None => Some(shown(message)),
                };
            }
            if parsed.code.is_none() {
                parsed.code = error
                    .get("status")
                    .and_then(Value::as_str)
                    .and_then(as_code);
            }
        }
        Some(Value::String(error)) => {
            let candidate = error.trim().to_ascii_uppercase().replace(['-', ' '], "_");
            parsed.code =
                as_code(&candidate).filter(|code| known(code) || !secrets.echoed_in(error));
            parsed.detail = fields
                .get("error_description")
                .and_then(Value::as_str)
                .map(shown);
        }
        _ => {}
    }
    parsed
}

/// The service's codes: capitals, digits and `_`, starting with a capital.
pub(crate) fn is_code(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && text.len() <= 64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(expect: Expect, body: &str) -> Result<Grant, Problem> {
        parse_grant(expect, body.as_bytes())
    }

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn no_copy_of_a_token_is_freed_unzeroed_whatever_the_answer_holds() {
        use crate::freed::freed_holding;
        // The tokens, and the same secret wherever else an answer might echo it: in a
        // nested object, in an array, in a field pointauth does not read.
        let body = r#"{"access_token":"a.SECRET-ACCESS.c","refresh_token":"SECRET-REFRESH",
            "expires_in":3600,"echo":"SECRET-ECHO","user":{"providerUserInfo":[{"rawId":
            "SECRET-NESTED"}]}}"#;
        for marker in [
            &b"SECRET-ACCESS"[..],
            b"SECRET-REFRESH",
            b"SECRET-ECHO",
            b"SECRET-NESTED",
        ] {
            let freed = freed_holding(marker, || {
                let grant = grant(Expect::SignIn, body).unwrap();
                assert_eq!(grant.access_token.expose(), "a.SECRET-ACCESS.c");
            });
            assert_eq!(freed, 0, "{}", String::from_utf8_lossy(marker));
        }
        // And on the way out with an error: the parsed answer is wiped all the same.
        let refused = r#"{"access_token":"a.SECRET-ACCESS.c","refresh_token":"SECRET-REFRESH"}"#;
        let freed = freed_holding(b"SECRET-REFRESH", || {
            assert_eq!(
                grant(Expect::SignIn, refused).unwrap_err(),
                Problem::Missing("expires_in")
            );
        });
        assert_eq!(freed, 0);
    }

    #[test]
    fn accepts_the_documented_answer() {
        let g = grant(
            Expect::SignIn,
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
            Expect::SignIn,
            r#"{"idToken":"a.b.c","refreshToken":"r","expiresIn":"3600","localId":"x"}"#,
        )
        .unwrap();
        assert_eq!(g.access_token.expose(), "a.b.c");
        assert_eq!(g.expires_in, 3600);
        let g = grant(
            Expect::Refresh,
            r#"{"id_token":"a.b.c","refresh_token":"r","expires_in":" 60 ","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(g.expires_in, 60);
    }

    #[test]
    fn a_refresh_answer_may_omit_the_refresh_token_but_a_sign_in_may_not() {
        let body = r#"{"access_token":"a","expires_in":3600}"#;
        assert!(
            grant(Expect::Refresh, body)
                .unwrap()
                .refresh_token
                .is_none()
        );
        let empty = r#"{"access_token":"a","refresh_token":"","expires_in":3600}"#;
        assert!(
            grant(Expect::Refresh, empty)
                .unwrap()
                .refresh_token
                .is_none()
        );
        assert_eq!(
            grant(Expect::SignIn, body).unwrap_err(),
            Problem::Missing("refresh_token")
        );
    }

    #[test]
    fn rejects_expires_in_out_of_range_or_not_a_number() {
        for bad in ["0", "-5", "86401", "\"abc\"", "1e9", "3600.5", "null", "[]"] {
            let body = format!(r#"{{"access_token":"a","refresh_token":"r","expires_in":{bad}}}"#);
            assert_eq!(
                grant(Expect::SignIn, &body).unwrap_err(),
                Problem::ExpiresIn,
                "{bad}"
            );
        }
        let body = r#"{"access_token":"a","refresh_token":"r","expires_in":86400}"#;
        assert_eq!(grant(Expect::SignIn, body).unwrap().expires_in, 86_400);
        let body = r#"{"access_token":"a","refresh_token":"r","expires_in":1}"#;
        assert_eq!(grant(Expect::SignIn, body).unwrap().expires_in, 1);
    }

    #[test]
    fn names_what_is_wrong_with_a_bad_answer() {
        assert_eq!(
            grant(Expect::SignIn, "<html>oops</html>").unwrap_err(),
            Problem::Html
        );
        assert_eq!(
            grant(Expect::SignIn, "{\"acc").unwrap_err(),
            Problem::NotJson
        );
        assert_eq!(
            parse_grant(Expect::SignIn, b"\xff\xfe{}").unwrap_err(),
            Problem::NotUtf8
        );
        assert_eq!(
            grant(Expect::SignIn, "[1]").unwrap_err(),
            Problem::NotObject
        );
        assert_eq!(
            grant(Expect::SignIn, "{}").unwrap_err(),
            Problem::Missing("access_token")
        );
        assert_eq!(
            grant(
                Expect::SignIn,
                r#"{"access_token":"a b","refresh_token":"r","expires_in":1}"#
            )
            .unwrap_err(),
            Problem::NotAToken("access_token")
        );
        assert_eq!(
            Problem::NotAToken("access_token").to_string(),
            "access_token is not a token"
        );
    }

    #[test]
    fn recognises_a_second_factor_request() {
        let body = r#"{"mfaPendingCredential":"xyz","mfaInfo":[{"phoneInfo":"+1***"}]}"#;
        assert_eq!(
            grant(Expect::SignIn, body).unwrap_err(),
            Problem::SecondFactor
        );
    }

    #[test]
    fn error_codes_come_before_the_detail() {
        let body =
            br#"{"error":{"code":400,"message":"TOO_MANY_ATTEMPTS_TRY_LATER : Access disabled"}}"#;
        let parsed = parse_error_body(body, "", none);
        assert_eq!(parsed.code.as_deref(), Some("TOO_MANY_ATTEMPTS_TRY_LATER"));
        assert_eq!(parsed.detail.as_deref(), Some("Access disabled"));

        let parsed = parse_error_body(
            br#"{"error":{"code":400,"message":"INVALID_PASSWORD"}}"#,
            "",
            none,
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_PASSWORD"));

        let parsed = parse_error_body(
            br#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}"#,
            "",
            none,
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(parsed.detail.as_deref(), Some("API key not valid."));

        let parsed = parse_error_body(
            br#"{"error":"invalid_grant","error_description":"expired"}"#,
            "",
            none,
        );
        assert_eq!(parsed.code.as_deref(), Some("INVALID_GRANT"));

        let parsed = parse_error_body(b"<html>Bad gateway</html>", "", none);
        assert!(!parsed.json);
    }

    #[test]
    fn an_error_answer_that_echoes_the_secret_leaves_no_copy_of_it_behind() {
        for body in [
            r#"{"error":"invalid_grant","error_description":"bad password hunter22"}"#,
            r#"{"error":{"code":400,"message":"INVALID_PASSWORD : hunter22 is wrong"}}"#,
            r#"{"error":{"code":400,"message":"WRONG_hunter22"},"echo":["hunter22"]}"#,
        ] {
            let freed = crate::freed::freed_holding(b"hunter22", || {
                let parsed = parse_error_body(body.as_bytes(), "hunter22", none);
                assert!(parsed.detail.unwrap().contains("[redacted]"));
            });
            assert_eq!(freed, 0, "{body}");
        }
    }

    #[test]
    fn server_text_that_echoes_the_secret_is_redacted() {
        let secret = "AMf-v".to_owned() + &"x".repeat(250);
        let body = format!(
            r#"{{"error":{{"code":400,"message":"INVALID_REFRESH_TOKEN : token {secret} is unknown"}}}}"#
        );
        let parsed = parse_error_body(body.as_bytes(), &secret, |c| c == "INVALID_REFRESH_TOKEN");
        assert_eq!(parsed.code.as_deref(), Some("INVALID_REFRESH_TOKEN"));
        let detail = parsed.detail.unwrap();
        assert!(!detail.contains("AMf-v"), "{detail}");
        assert!(detail.contains("[redacted]"), "{detail}");
        let body = r#"{"error":"invalid_grant","error_description":"bad password hunter22"}"#;
        let parsed = parse_error_body(body.as_bytes(), "hunter22", none);
        assert_eq!(parsed.detail.as_deref(), Some("bad password [redacted]"));
        // A password that is part of a known code leaves the code alone...
        let body = br#"{"error":{"code":400,"message":"INVALID_PASSWORD"}}"#;
        let parsed = parse_error_body(body, "PASS", |c| c == "INVALID_PASSWORD");
        assert_eq!(parsed.code.as_deref(), Some("INVALID_PASSWORD"));
        // ...but an unknown code that carries it is only shown redacted.
        let body = br#"{"error":{"code":400,"message":"WRONG_S3CRETPASS : try again"}}"#;
        let parsed = parse_error_body(body, "S3CRETPASS", none);
        assert_eq!(parsed.code, None);
        assert_eq!(
            parsed.detail.as_deref(),
            Some("WRONG_[redacted] : try again")
        );
    }

    #[test]
    fn a_code_that_echoes_a_fragment_of_the_secret_in_any_case_is_no_code() {
        let secret = "s3cretPassword";
        for message in [
            "WRONG_S3CRETPASSWOR : try again",
            "S3CRETPA_X : try again",
            "X_3CRETPASSWORD",
        ] {
            let body = serde_json::json!({"error": {"code": 400, "message": message}});
            let parsed = parse_error_body(body.to_string().as_bytes(), secret, none);
            assert_eq!(parsed.code, None, "{message}");
            let detail = parsed.detail.unwrap();
            assert!(detail.contains("[redacted]"), "{detail}");
            assert!(!detail.to_lowercase().contains("3cretpa"), "{detail}");
        }
        let body = br#"{"error":{"code":400,"message":"odd","status":"S3CRETPASSWORD_X"}}"#;
        assert_eq!(parse_error_body(body, secret, none).code, None);
        let body = br#"{"error":"s3cretpasswor","error_description":"no"}"#;
        assert_eq!(parse_error_body(body, secret, none).code, None);
        // Seven characters of it are no echo: the code stands.
        let body = br#"{"error":{"code":400,"message":"S3CRETP_OK : fine"}}"#;
        let parsed = parse_error_body(body, secret, none);
        assert_eq!(parsed.code.as_deref(), Some("S3CRETP_OK"));
    }

    #[test]
    fn details_are_stripped_then_redacted_in_every_echoed_form() {
        let secret = "pa\"ss\\w\u{f6}rd-1234";
        let escaped = serde_json::to_string(secret).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        for echo in [
            secret.to_owned(),
            escaped.to_owned(),
            escaped.replace('\u{f6}', "\\u00f6"),
            secret.to_uppercase(),
            "pa\"ss\\w\u{f6}\u{1}rd-1234".to_owned(),
            secret[1..].to_owned(),
        ] {
            let message = format!("INVALID_PASSWORD : wrong {echo}\u{202e}\u{200b}!");
            let body = serde_json::json!({"error": {"code": 400, "message": message}});
            let known = |code: &str| code == "INVALID_PASSWORD";
            let parsed = parse_error_body(body.to_string().as_bytes(), secret, known);
            assert_eq!(parsed.code.as_deref(), Some("INVALID_PASSWORD"), "{echo}");
            assert_eq!(
                parsed.detail.as_deref(),
                Some("wrong [redacted]!"),
                "{echo}"
            );
        }
    }

    #[test]
    fn an_oauth_error_that_is_the_password_is_never_taken_for_a_code() {
        // The OAuth `error` is upper-cased into a code: a password in it must not pass.
        for echoed in ["hunter22", "HUNTER22", "Hunter22", "wrong hunter22"] {
            let body = format!(r#"{{"error":"{echoed}","error_description":"no"}}"#);
            let parsed = parse_error_body(body.as_bytes(), "hunter22", none);
            assert_eq!(parsed.code, None, "{echoed}");
        }
        let body = r#"{"error":"invalid_grant"}"#;
        let parsed = parse_error_body(body.as_bytes(), "hunter22", none);
        assert_eq!(parsed.code.as_deref(), Some("INVALID_GRANT"));
    }
}
