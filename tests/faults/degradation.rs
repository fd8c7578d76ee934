//! When the refresh fails for a passing reason, a cached token that has not expired is still
//! handed out (with a warning); an expired one is not. The server's "session ended" is final.

use std::time::Duration;

use crate::support::*;
use crate::*;

fn degrades(fault: Fault, times: usize, extra: &[&str]) {
    let env = TestEnv::new();
    login_stale(&env);
    let cached = env.stored_access_token();
    let before = env.session_bytes("default");
    script(&env, Endpoint::Refresh, fault.clone(), times);
    let mut args = extra.to_vec();
    args.push("token");
    let (output, _) = run(&env, &args);
    assert_exit(&output, 0);
    assert_eq!(stdout_of(&output), format!("{cached}\n"), "{fault:?}");
    assert_stderr_has(&output, &["warning", "cached token"]);
    assert_same_session(&env, &before);
}

#[test]
fn a_stale_token_is_served_when_the_service_answers_503() {
    degrades(status(503, "UNAVAILABLE"), 3, &[]);
}

#[test]
fn a_stale_token_is_served_when_the_service_rate_limits() {
    degrades(status(429, "QUOTA_EXCEEDED"), 3, &[]);
}

#[test]
fn a_stale_token_is_served_when_the_network_fails() {
    degrades(Fault::Close, 3, &[]);
    degrades(Fault::Hang(Duration::from_secs(20)), 3, &["--timeout", "1"]);
}

#[test]
fn exec_and_token_json_degrade_the_same_way() {
    let env = TestEnv::new();
    login_stale(&env);
    let cached = env.stored_access_token();
    script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 3);
    let (output, _) = run(&env, &["token", "--json"]);
    assert_exit(&output, 0);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["access_token"], cached.as_str());
    script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 3);
    let (output, _) = run(
        &env,
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "test \"$POINTAUTH_ACCESS_TOKEN\" = \"$1\"",
            "sh",
            &cached,
        ],
    );
    assert_exit(&output, 0);
}

#[test]
fn an_expired_token_is_not_served_when_the_refresh_fails() {
    for fault in [status(503, "UNAVAILABLE"), Fault::Close] {
        let env = TestEnv::new();
        login_expired(&env);
        let before = env.session_bytes("default");
        script(&env, Endpoint::Refresh, fault, 3);
        let (output, _) = run(&env, &["token"]);
        assert_exit(&output, 5);
        assert_eq!(stdout_of(&output), "");
        assert_same_session(&env, &before);
    }
}

#[test]
fn exec_does_not_run_the_command_without_a_token() {
    let env = TestEnv::new();
    login_expired(&env);
    script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 3);
    let marker = env.home().join("ran");
    let touch = format!("touch {}", marker.display());
    let (output, _) = run(&env, &["exec", "--", "sh", "-c", &touch]);
    assert_exit(&output, 5);
    assert!(!marker.exists(), "the command must not run");
}

#[test]
fn a_malformed_refresh_answer_is_not_papered_over() {
    // Not a passing failure: the user hears about it even though a cached token exists.
    let env = TestEnv::new();
    login_stale(&env);
    let before = env.session_bytes("default");
    env.server
        .script(Endpoint::Refresh, answer(200, "nonsense", &[]));
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 5);
    assert_same_session(&env, &before);
}

#[test]
fn a_revoked_session_ends_with_exit_3() {
    let env = TestEnv::new();
    login_stale(&env);
    env.server.revoke_all_refresh_tokens();
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 3);
    assert_stderr_has(&output, &["TOKEN_EXPIRED", "pointauth login"]);
    assert_eq!(env.server.refresh_count(), 1, "a rejection is not retried");
    // The server has the last word: status now says the session is gone.
    let (output, _) = run(&env, &["status"]);
    assert_exit(&output, 3);
}

#[test]
fn a_revoked_session_signs_in_again_from_the_environment() {
    let env = TestEnv::new();
    login_stale(&env);
    env.server.revoke_all_refresh_tokens();
    let output = env
        .cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(env.server.sign_in_count(), 2);
    assert_eq!(
        stdout_of(&output),
        format!("{}\n", env.stored_access_token())
    );
}

#[test]
fn a_rejected_refresh_with_a_fresh_cached_token_does_not_end_the_session() {
    // `refresh` forces a refresh; an unknown 4xx keeps the session for a later try.
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    env.server
        .script(Endpoint::Refresh, status(400, "SOMETHING_NEW : unexpected"));
    let (output, _) = run(&env, &["refresh"]);
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["SOMETHING_NEW"]);
    assert_same_session(&env, &before);
}
