//! `pointauth refresh`.

use predicates::prelude::*;
use serde_json::json;

use crate::support::*;

#[test]
fn refresh_asks_the_service_even_when_the_token_is_fresh() {
    let env = TestEnv::new();
    env.login();
    let old = env.stored_access_token();
    env.cmd()
        .arg("refresh")
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("valid until"));
    assert_eq!(env.server.refresh_count(), 1);
    assert_ne!(env.stored_access_token(), old);
}

#[test]
fn a_rotated_refresh_token_is_stored_with_a_new_expiry() {
    let env = TestEnv::new();
    env.server.set_rotate_refresh_tokens(true);
    env.login();
    let first = env.stored_refresh_token();
    env.cmd().arg("refresh").assert().success();
    let second = env.stored_refresh_token();
    assert_ne!(first, second);
    env.cmd().arg("refresh").assert().success();
    assert_eq!(env.server.refresh_count(), 2);
}

#[test]
fn refresh_without_a_session_exits_3() {
    let env = TestEnv::new();
    env.cmd().arg("refresh").assert().code(3).stdout("");
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn refresh_keeps_the_fallbacks_of_token() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    for _ in 0..3 {
        env.server.script(
            Endpoint::Refresh,
            Fault::Status {
                status: 500,
                body: "{}".into(),
                headers: vec![],
            },
        );
    }
    // The cached token is still valid: warn, keep it, exit 0.
    env.cmd()
        .arg("refresh")
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("warning"));
    assert_eq!(env.session_bytes("default"), before);
}

#[test]
fn a_malformed_refresh_answer_is_exit_5_and_changes_nothing() {
    // (In its own HOME: a passing failure noted in the lock file within the timeout would be
    // reused by the next call, which is what waiters are meant to do.)
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    // A malformed answer is not a passing failure: exit 5, nothing stored changes.
    env.server.script(
        Endpoint::Refresh,
        Fault::Patch(json!({"expires_in": "soon"})),
    );
    env.cmd()
        .arg("refresh")
        .assert()
        .code(5)
        .stderr(predicate::str::contains("malformed"));
    assert_eq!(env.session_bytes("default"), before);
}
