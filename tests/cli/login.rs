//! `pointauth login`.

use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;

use crate::support::*;

#[test]
fn login_with_password_stdin_stores_a_private_session() {
    let env = TestEnv::new();
    env.cmd()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("Logged in to 127.0.0.1"))
        .stderr(predicate::str::contains(DEFAULT_USERNAME));
    assert_eq!(env.server.sign_in_count(), 1);
    assert_eq!(env.server.request_count(), 1);
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["username"], DEFAULT_USERNAME);
    assert_eq!(body["password"], DEFAULT_PASSWORD);

    let file = env.session_path("default");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let session = env.session("default");
    assert_eq!(session["username"], DEFAULT_USERNAME);
    assert_eq!(session["base_url"], env.server.base_url());
    assert!(
        env.server
            .issued_tokens()
            .contains(&env.stored_access_token())
    );
    let meta = std::fs::read_to_string(env.meta_path("default")).unwrap();
    assert!(meta.contains(DEFAULT_USERNAME) && meta.contains(&env.server.base_url()));
    assert!(meta.contains("\"file\""));
}
