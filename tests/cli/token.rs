//! `pointauth token`.

use predicates::prelude::*;
use serde_json::json;

use crate::support::*;

#[test]
fn token_prints_the_cached_token_without_a_request() {
    let env = TestEnv::new();
    env.login();
    let requests = env.server.request_count();
    env.cmd()
        .arg("token")
        .assert()
        .success()
        .stdout(format!("{}\n", env.stored_access_token()))
        .stderr("");
    assert_eq!(env.server.request_count(), requests);
}

#[test]
fn token_header_and_json_forms() {
    let env = TestEnv::new();
    env.login();
    let token = env.stored_access_token();
    env.cmd()
        .args(["token", "--header"])
        .assert()
        .success()
        .stdout(format!("Authorization: Bearer {token}\n"));
    let body = json_stdout(env.cmd().args(["token", "--json"]));
    assert_eq!(
        sorted_keys(&body),
        ["access_token", "expires_at", "expires_in", "token_type"],
        "{body}"
    );
    assert_eq!(body["access_token"], token);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["expires_at"],
        env.session("default")["access_token_expires_at"]
    );
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    env.cmd()
        .args(["token", "--json", "--header"])
        .assert()
        .code(2);
}

#[test]
fn a_stale_token_is_refreshed_first_and_the_new_one_stored() {
    let env = TestEnv::new();
    env.login();
    // A minute left of an hour-long token: under the default 5 minute minimum.
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(60));
    });
    let old = env.stored_access_token();
    let refresh_token = env.stored_refresh_token();
    let refresh_expiry = env.session("default")["refresh_token_expires_at"].clone();
    env.server.set_expires_in(json!("3600"));
    let out = env
        .cmd()
        .arg("token")
        .assert()
        .success()
        .get_output()
        .clone();
    let printed = stdout_of(&out).trim_end().to_owned();
    assert_ne!(printed, old);
    assert_eq!(printed, env.stored_access_token());
    assert_eq!(env.server.refresh_count(), 1);
    let sent = env.server.requests().last().unwrap().body_json().unwrap();
    assert_eq!(sent["refresh_token"], refresh_token);
    // The same refresh token keeps its expiry.
    assert_eq!(
        env.session("default")["refresh_token_expires_at"],
        refresh_expiry
    );
    // Now fresh: no further request.
    env.cmd()
        .arg("token")
        .assert()
        .success()
        .stdout(format!("{printed}\n"));
    assert_eq!(env.server.refresh_count(), 1);
}

#[test]
fn min_ttl_decides_what_counts_as_fresh() {
    let env = TestEnv::new();
    env.server.set_expires_in(json!(600));
    env.login();
    for ttl in ["300", "90s", "5m"] {
        env.cmd()
            .args(["token", "--min-ttl", ttl])
            .assert()
            .success();
    }
    assert_eq!(env.server.refresh_count(), 0);
    env.server.set_expires_in(json!(3600));
    env.cmd()
        .args(["token", "--min-ttl", "15m"])
        .assert()
        .success();
    assert_eq!(env.server.refresh_count(), 1);
    // Longer than the service's tokens live: a clear usage error, not a refresh loop.
    env.cmd()
        .args(["token", "--min-ttl", "2h"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--min-ttl"));
    env.cmd()
        .args(["token", "--min-ttl", "5 minutes"])
        .assert()
        .code(2);
}

#[test]
fn token_without_a_session_exits_3_and_says_how_to_log_in() {
    let env = TestEnv::new();
    env.cmd()
        .arg("token")
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("not logged in"))
        .stderr(predicate::str::contains("pointauth login"));
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn token_signs_in_from_the_environment_once_and_then_reuses_the_session() {
    let env = TestEnv::new();
    for _ in 0..3 {
        env.cmd()
            .args(["--store", "file", "token"])
            .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
            .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
            .assert()
            .success()
            .stdout(
                predicate::str::is_match("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\n$")
                    .unwrap(),
            );
    }
    assert_eq!(env.server.sign_in_count(), 1);
    assert_eq!(env.server.refresh_count(), 0);
}

#[test]
fn a_failed_refresh_hands_out_the_still_valid_cached_token_with_a_warning() {
    let env = TestEnv::new();
    env.login();
    // Two minutes left: stale (under 5 minutes), still valid.
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(120));
    });
    let cached = env.stored_access_token();
    let before = env.session_bytes("default");
    for _ in 0..3 {
        env.server.script(
            Endpoint::Refresh,
            Fault::Status {
                status: 503,
                body: "<html>down</html>".into(),
                headers: vec![],
            },
        );
    }
    env.cmd()
        .args(["--timeout", "2", "token"])
        .assert()
        .success()
        .stdout(format!("{cached}\n"))
        .stderr(predicate::str::contains("warning"))
        .stderr(predicate::str::contains("HTTP 503"));
    assert_eq!(env.server.refresh_count(), 3);
    assert_eq!(env.session_bytes("default"), before);
}

#[test]
fn an_expired_token_and_an_unreachable_service_exit_5() {
    let env = TestEnv::new();
    env.login();
    env.edit_session("default", |s| {
        s["access_token_expires_at"] = json!(from_now(-10))
    });
    let before = env.session_bytes("default");
    for _ in 0..3 {
        env.server.script(Endpoint::Refresh, Fault::Close);
    }
    env.cmd().arg("token").assert().code(5).stdout("");
    assert_eq!(env.session_bytes("default"), before);
}

#[test]
fn a_revoked_session_exits_3_and_is_removed_but_the_profile_remembered() {
    let env = TestEnv::new();
    env.login();
    env.edit_session("default", |s| {
        s["access_token_expires_at"] = json!(from_now(-10))
    });
    env.server.revoke_all_refresh_tokens();
    env.cmd()
        .arg("token")
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("TOKEN_EXPIRED"))
        .stderr(predicate::str::contains("pointauth login"));
    assert!(!env.session_path("default").exists());
    assert!(env.meta_path("default").exists());
}

#[test]
fn a_revoked_session_signs_in_again_when_credentials_are_in_the_environment() {
    let env = TestEnv::new();
    env.login();
    env.edit_session("default", |s| {
        s["access_token_expires_at"] = json!(from_now(-10))
    });
    env.server.revoke_all_refresh_tokens();
    env.cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .assert()
        .success();
    assert_eq!(env.server.sign_in_count(), 2);
    assert_eq!(env.server.refresh_count(), 1);
}

#[test]
fn a_session_past_its_computed_end_is_not_refreshed() {
    let env = TestEnv::new();
    env.login();
    env.edit_session("default", |s| {
        s["access_token_expires_at"] = json!(from_now(-10));
        s["refresh_token_expires_at"] = json!(from_now(-5));
    });
    env.cmd()
        .arg("token")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("ended"));
    assert_eq!(env.server.refresh_count(), 0);
}

#[test]
fn a_session_is_never_handed_out_for_another_base_url_or_user() {
    let env = TestEnv::new();
    env.login();
    let other = StandIn::start();
    env.cmd()
        .arg("token")
        .env("POINTAUTH_BASE_URL", other.base_url())
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains(DEFAULT_USERNAME));
    env.cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", "bob@example.com")
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("not for bob@example.com"));
    assert_eq!(other.request_count(), 0);

    // With a password source, the other identity signs in afresh instead.
    env.server.add_user("bob@example.com", "bobs password");
    let out = env
        .cmd()
        .args(["--store", "file", "token"])
        .env("POINTAUTH_USERNAME", "bob@example.com")
        .env("POINTAUTH_PASSWORD", "bobs password")
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(env.server.sign_in_count(), 2);
    assert_eq!(env.session("default")["username"], "bob@example.com");
    assert_eq!(stdout_of(&out).trim_end(), env.stored_access_token());
}

#[test]
fn a_corrupted_session_file_is_reported_and_left_alone() {
    let env = TestEnv::new();
    env.login();
    std::fs::write(env.session_path("default"), b"{\"version\":1,\"access_tok").unwrap();
    env.cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("corrupted"))
        .stderr(predicate::str::contains("default.json"))
        .stderr(predicate::str::contains(
            "pointauth --profile default logout",
        ));
    assert_eq!(env.session_bytes("default"), b"{\"version\":1,\"access_tok");
    assert_eq!(env.server.sign_in_count(), 1);
}

#[test]
fn a_session_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.login();
    let path = env.session_path("default");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.cmd()
        .arg("token")
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("chmod 600"));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

#[test]
fn the_username_from_the_environment_is_trimmed_like_logins() {
    let env = TestEnv::new();
    env.login();
    env.cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", format!(" {DEFAULT_USERNAME}\n"))
        .assert()
        .success();
}

#[test]
fn a_service_issuing_60_second_tokens_just_works() {
    let env = TestEnv::new();
    env.server.set_expires_in(serde_json::json!(60));
    env.login();
    // The default minimum time to live is half the token's life here: no refresh for a
    // token signed in just now, and no usage error.
    for args in [
        &["token"][..],
        &["token", "--json"],
        &["exec", "--", "true"],
    ] {
        env.cmd().args(args).assert().success();
    }
    assert_eq!(
        env.server.refresh_count(),
        0,
        "a fresh 60 s token is not refreshed"
    );
    // Once under half its life, it is refreshed, once.
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = serde_json::json!(from_now(20));
    });
    env.cmd().arg("token").assert().success();
    env.cmd().arg("token").assert().success();
    assert_eq!(env.server.refresh_count(), 1);
    // An explicit minimum the tokens cannot meet is a usage error.
    env.cmd()
        .args(["token", "--min-ttl", "5m"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--min-ttl 300 s is longer"));
}

#[test]
fn a_session_file_of_exactly_1_mib_is_read_and_a_larger_one_is_refused_by_name() {
    // Tokens of many claims make long session files; 1 MiB is the ceiling on what is read.
    let env = TestEnv::new();
    env.login();
    let session = env.session("default");
    let short = session["access_token"].as_str().unwrap().len();
    let pad = 1024 * 1024 - session.to_string().len();
    let long = format!(
        "{}{}",
        session["access_token"].as_str().unwrap(),
        "x".repeat(pad)
    );
    env.edit_session("default", |session| session["access_token"] = json!(long));
    let size = std::fs::metadata(env.session_path("default"))
        .unwrap()
        .len();
    assert_eq!(size, 1024 * 1024);
    let out = env
        .cmd()
        .args(["--store", "file", "token"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).trim_end().len(), short + pad);

    env.edit_session("default", |session| {
        session["access_token"] = json!(long.clone() + "x")
    });
    let out = env
        .cmd()
        .args(["--store", "file", "token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("is too large to be a pointauth file"),
        "{stderr}"
    );
    assert!(stderr.contains("pointauth logout"), "{stderr}");
    assert_eq!(
        std::fs::metadata(env.session_path("default"))
            .unwrap()
            .len(),
        size + 1
    );
}
