//! The research's a.4 table of service error codes, as the contract maps them: credentials
//! rejected (4), session ended (3, and the session removed), anything else the service
//! refuses (5, session kept), and never a retry for a 4xx.

use crate::support::*;
use crate::*;

#[test]
fn sign_in_codes_map_to_the_contract_exit_codes() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    let cases: &[(&str, u16, &str, i32)] = &[
        ("S1", 400, "INVALID_LOGIN_CREDENTIALS", 4),
        ("S2", 400, "EMAIL_NOT_FOUND", 4),
        ("S3", 400, "INVALID_PASSWORD", 4),
        ("S4", 400, "INVALID_EMAIL", 4),
        ("S5", 400, "MISSING_PASSWORD", 4),
        (
            "S6",
            400,
            "USER_DISABLED : The user account has been disabled",
            4,
        ),
        (
            "S7",
            400,
            "TOO_MANY_ATTEMPTS_TRY_LATER : Try again later.",
            5,
        ),
        (
            "S8",
            400,
            "PASSWORD_DOES_NOT_MEET_REQUIREMENTS : Missing upper case",
            5,
        ),
        ("S9", 400, "MISSING_RECAPTCHA_TOKEN", 5),
        ("S9", 400, "CAPTCHA_CHECK_FAILED", 5),
        (
            "S11",
            400,
            "OPERATION_NOT_ALLOWED : Password sign-in is disabled",
            5,
        ),
        ("S11", 400, "PASSWORD_LOGIN_DISABLED", 5),
        ("S12", 400, "INVALID_TENANT_ID", 5),
        (
            "S13",
            400,
            "API key not valid. Please pass a valid API key.",
            5,
        ),
        ("S13", 403, "PERMISSION_DENIED", 5),
        ("R8", 400, "SOMETHING_NEW_AND_STRANGE", 5),
    ];
    let mut attempts = env.server.sign_in_count();
    for &(row, http, message, exit) in cases {
        // One scripted answer: a retry would reach the normal sign-in and succeed.
        env.server.script(Endpoint::SignIn, status(http, message));
        let (output, _) = run_login(&env, &[]);
        assert_exit(&output, exit);
        let code = message.split(" : ").next().unwrap();
        let shown = if code.contains(' ') { "HTTP 400" } else { code };
        assert_stderr_has(&output, &["sign-in failed", shown]);
        attempts += 1;
        assert_eq!(
            env.server.sign_in_count(),
            attempts,
            "{row} {message}: one attempt"
        );
        assert_same_session(&env, &before);
    }
}

#[test]
fn refresh_rejections_that_end_the_session() {
    let cases: &[(&str, &str)] = &[
        ("R1", "TOKEN_EXPIRED"),
        ("R2", "INVALID_REFRESH_TOKEN"),
        ("R3", "USER_NOT_FOUND"),
        ("R4", "PROJECT_NUMBER_MISMATCH"),
        ("R4", "CREDENTIAL_MISMATCH"),
        ("S6", "USER_DISABLED"),
    ];
    for &(row, code) in cases {
        let env = TestEnv::new();
        login_expired(&env);
        env.server.script(Endpoint::Refresh, status(400, code));
        let (output, _) = run(&env, &["token"]);
        assert_exit(&output, 3);
        assert_stderr_has(&output, &[code, "pointauth login"]);
        assert_eq!(env.server.refresh_count(), 1, "{row}: not retried");
        assert!(
            !env.session_path("default").exists(),
            "{row}: session ended"
        );
        // The username is remembered for the next login.
        let output = env
            .cmd()
            .args(["login", "--password-stdin"])
            .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
            .output()
            .unwrap();
        assert_exit(&output, 0);
        assert_stderr_has(&output, &[DEFAULT_USERNAME]);
    }
    // OAuth style, too.
    let env = TestEnv::new();
    login_expired(&env);
    env.server.script(
        Endpoint::Refresh,
        answer(
            400,
            r#"{"error":"invalid_grant","error_description":"refresh token revoked"}"#,
            &[],
        ),
    );
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 3);
}

#[test]
fn refresh_rejections_that_keep_the_session() {
    let cases: &[(&str, u16, &str)] = &[
        ("R5", 400, "INVALID_GRANT_TYPE"),
        ("R5", 400, "MISSING_REFRESH_TOKEN"),
        ("R5", 400, "Invalid JSON payload received. Unknown name"),
        ("R9", 400, "SOMETHING_NEW_AND_STRANGE"),
        ("R9", 401, "UNAUTHENTICATED"),
        ("R9", 403, "PERMISSION_DENIED"),
        ("S12", 400, "TENANT_ID_MISMATCH"),
        ("S13", 400, "API_KEY_SERVICE_BLOCKED"),
    ];
    for &(row, http, code) in cases {
        let env = TestEnv::new();
        login_expired(&env);
        let before = env.session_bytes("default");
        script(&env, Endpoint::Refresh, status(http, code), 3);
        let (output, _) = run(&env, &["token"]);
        assert_exit(&output, 5);
        assert_stderr_has(&output, &["refresh failed", &format!("HTTP {http}")]);
        assert_eq!(env.server.refresh_count(), 1, "{row} {code}: not retried");
        assert_same_session(&env, &before);
    }
}

#[test]
fn passing_failures_on_refresh_are_retried_and_keep_the_session() {
    // R6 (429) and R7 (408, 5xx).
    for (row, http, code) in [
        ("R6", 429, "RESOURCE_EXHAUSTED"),
        ("R7", 408, "REQUEST_TIMEOUT"),
        ("R7", 500, "INTERNAL"),
        ("R7", 503, "UNAVAILABLE"),
    ] {
        let env = TestEnv::new();
        login_expired(&env);
        let before = env.session_bytes("default");
        script(&env, Endpoint::Refresh, status(http, code), 3);
        let (output, _) = run(&env, &["token"]);
        assert_exit(&output, 5);
        assert_eq!(env.server.refresh_count(), 3, "{row} {http}: retried");
        assert_same_session(&env, &before);
    }
}

#[test]
fn every_known_code_gets_its_own_message_and_hint() {
    // (code, call, words in the message, words in the hint, words that must not appear)
    let sign_in: &[(&str, &str, &str, &str)] = &[
        (
            "INVALID_PASSWORD",
            "incorrect",
            "check the username and password",
            "disabled",
        ),
        (
            "EMAIL_NOT_FOUND",
            "incorrect",
            "check the username and password",
            "not found",
        ),
        (
            "USER_DISABLED",
            "disabled",
            "administrator",
            "check the username",
        ),
        (
            "INVALID_EMAIL",
            "account name",
            "check the username",
            "password is",
        ),
        (
            "TOO_MANY_ATTEMPTS_TRY_LATER",
            "too many attempts",
            "try again later",
            "check the",
        ),
        (
            "PASSWORD_DOES_NOT_MEET_REQUIREMENTS",
            "policy",
            "change the password",
            "check the",
        ),
        ("CAPTCHA_CHECK_FAILED", "CAPTCHA", "exempt", "check the"),
        ("OPERATION_NOT_ALLOWED", "turned off", "owner", "check the"),
        ("INVALID_TENANT_ID", "tenant", "owner", "check the"),
        (
            "API_KEY_SERVICE_BLOCKED",
            "configuration",
            "owner",
            "check the",
        ),
    ];
    let env = TestEnv::new();
    for &(code, says, hint, never) in sign_in {
        env.server.script(Endpoint::SignIn, status(400, code));
        let (output, _) = run_login(&env, &[]);
        let stderr = stderr_of(&output);
        let (message, hint_line) = stderr
            .split_once("\n  hint: ")
            .unwrap_or_else(|| panic!("{code}: no hint:\n{stderr}"));
        assert!(
            message.contains(says) && message.contains(code),
            "{code}: {message}"
        );
        assert!(hint_line.contains(hint), "{code}: {hint_line}");
        assert!(!stderr.contains(never), "{code}: {stderr}");
    }
    let refresh: &[(&str, &str, &str)] = &[
        ("TOKEN_EXPIRED", "ended", "pointauth login"),
        ("USER_NOT_FOUND", "no longer exists", "pointauth login"),
        ("USER_DISABLED", "disabled", "administrator"),
        (
            "CREDENTIAL_MISMATCH",
            "another environment",
            "pointauth login",
        ),
        ("MISSING_REFRESH_TOKEN", "malformed", "report"),
    ];
    for &(code, says, hint) in refresh {
        let env = TestEnv::new();
        login_expired(&env);
        env.server.script(Endpoint::Refresh, status(400, code));
        let (output, _) = run(&env, &["token"]);
        let stderr = stderr_of(&output);
        let (message, hint_line) = stderr.split_once("\n  hint: ").unwrap();
        assert!(
            message.contains(says) && message.contains(code),
            "{code}: {message}"
        );
        assert!(hint_line.contains(hint), "{code}: {hint_line}");
    }
}
