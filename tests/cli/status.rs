//! `pointauth status`: offline, never prints a token.

use predicates::prelude::*;
use serde_json::{Value, json};

use crate::support::*;

const FIELDS: [&str; 11] = [
    "profile",
    "logged_in",
    "base_url",
    "username",
    "email",
    "user_id",
    "store",
    "access_token_expires_at",
    "access_token_valid",
    "refresh_token_expires_at",
    "refresh_token_valid",
];

#[test]
fn status_without_a_session_exits_3() {
    let env = TestEnv::new();
    env.cmd()
        .arg("status")
        .assert()
        .code(3)
        .stdout(predicate::str::contains("not logged in"));
    env.cmd()
        .args(["status", "--json"])
        .assert()
        .code(3)
        .stdout(predicate::function(|out: &str| {
            serde_json::from_str::<Value>(out).unwrap()
                == json!({"profile": "default", "logged_in": false})
        }));
}

#[test]
fn status_shows_who_where_and_until_when_without_a_request_or_a_token() {
    let env = TestEnv::new();
    env.login();
    let requests = env.server.request_count();
    let out = env
        .cmd()
        .arg("status")
        .assert()
        .success()
        .get_output()
        .clone();
    let text = stdout_of(&out);
    let token = env.stored_access_token();
    let claims = claims_of(&token);
    for expected in [
        "default",
        DEFAULT_USERNAME,
        claims["user_id"].as_str().unwrap(),
        "file",
        &env.server.base_url(),
        " EST)",
        "expires in ",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    assert!(!text.contains(&token) && !text.contains(&env.stored_refresh_token()));

    let body = json_stdout(env.cmd().args(["status", "--json"]));
    let mut expected = FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(sorted_keys(&body), expected);
    assert_eq!(body["logged_in"], true);
    assert_eq!(body["username"], DEFAULT_USERNAME);
    assert_eq!(body["email"], DEFAULT_USERNAME);
    assert_eq!(body["user_id"], claims["user_id"]);
    assert_eq!(body["store"], "file");
    assert_eq!(body["access_token_valid"], true);
    assert_eq!(body["refresh_token_valid"], true);
    assert_eq!(
        body["refresh_token_expires_at"],
        env.session("default")["refresh_token_expires_at"]
    );
    assert!(
        body["access_token_expires_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(env.server.request_count(), requests);
}

#[test]
fn status_exit_code_follows_the_session_not_the_access_token() {
    let env = TestEnv::new();
    env.login();
    // What status reads: the expiries pointauth recorded in the profile's metadata.
    env.edit_meta("default", |m| {
        m["session"]["access_token_expires_at"] = json!(from_now(-60))
    });
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("expired"));
    env.edit_meta("default", |m| {
        m["session"]["refresh_token_expires_at"] = json!(from_now(-1))
    });
    let out = env
        .cmd()
        .args(["status", "--json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["logged_in"], true);
    assert_eq!(body["access_token_valid"], false);
    assert_eq!(body["refresh_token_valid"], false);
}

#[test]
fn status_all_lists_every_profile() {
    let env = TestEnv::new();
    env.login();
    env.login_profile("staging");
    let out = env
        .cmd()
        .args(["status", "--all", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profiles: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(profiles, ["default", "staging"]);
    env.cmd()
        .args(["status", "--all"])
        .assert()
        .success()
        .stdout(predicate::str::contains("staging").and(predicate::str::contains("default")));
    assert_eq!(env.server.refresh_count(), 0);
}

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn status_all_reports_a_broken_profile_and_still_shows_the_others() {
    let env = TestEnv::new();
    env.login();
    env.login_profile("broken");
    env.login_profile("zeta");
    std::fs::write(env.meta_path("broken"), "{not json").unwrap();
    let out = env
        .cmd()
        .args(["status", "--all"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("corrupted"))
        .get_output()
        .clone();
    let stdout = stdout_of(&out);
    // Listed with its error, between the others, which are shown in full.
    assert!(
        stdout.contains("profile:       broken\n  error:"),
        "{stdout}"
    );
    assert!(stdout.contains("profile:       zeta"), "{stdout}");
    assert_eq!(stdout.matches(DEFAULT_USERNAME).count(), 2, "{stdout}");
    let body = json_of_status(&env, &["status", "--all", "--json"], 1);
    let entries = body.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(sorted_keys(&entries[0]), ["error", "profile"]);
    assert_eq!(entries[0]["profile"], "broken");
    assert_eq!(entries[1]["profile"], "default");
    assert_eq!(
        sorted_keys(&entries[1]).len(),
        FIELDS.len(),
        "default in full"
    );
    assert_eq!(entries[2]["profile"], "zeta");
}

fn json_of_status(env: &TestEnv, args: &[&str], code: i32) -> Value {
    let out = env
        .cmd()
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn status_applies_the_identity_rule_so_it_agrees_with_token() {
    let env = TestEnv::new();
    env.login();
    // Another base URL asked for: not usable for it, and status says who the profile holds.
    let other = "https://other.example";
    let out = env
        .cmd()
        .args(["--base-url", other, "status"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stdout = stdout_of(&out);
    assert!(stdout.contains("not usable here"), "{stdout}");
    assert!(stdout.contains(DEFAULT_USERNAME), "{stdout}");
    assert!(stdout.contains(other), "{stdout}");
    env.cmd()
        .args(["--base-url", other, "token"])
        .assert()
        .code(3);
    // Another username asked for (without a password to sign in with): the same.
    env.cmd()
        .env("POINTAUTH_USERNAME", "bob@example.com")
        .arg("status")
        .assert()
        .code(3)
        .stdout(predicate::str::contains("bob@example.com"));
    env.cmd()
        .env("POINTAUTH_USERNAME", "bob@example.com")
        .arg("token")
        .assert()
        .code(3);
    // The identity it holds: usable.
    env.cmd()
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .arg("status")
        .assert()
        .success();
}

#[test]
fn status_reads_no_store_at_all() {
    let env = TestEnv::new();
    env.login();
    // The session file is unreadable: status does not care, it never opens it.
    let session = env.session_path("default");
    std::fs::write(&session, "{not json").unwrap();
    env.cmd().arg("status").assert().success();
    std::fs::remove_file(&session).unwrap();
    env.cmd().args(["status", "--json"]).assert().success();
}

/// The contract's rule — usable while either token is — also when the access token
/// outlives the refresh token (an `expires_in` longer than the session).
#[test]
fn status_counts_a_session_usable_while_only_its_access_token_is_good() {
    let env = TestEnv::new();
    env.login();
    env.edit_meta("default", |m| {
        m["session"]["access_token_expires_at"] = json!(from_now(3600));
        m["session"]["refresh_token_expires_at"] = json!(from_now(-60));
    });
    let body = json_of_status(&env, &["status", "--json"], 0);
    assert_eq!(body["access_token_valid"], true);
    assert_eq!(body["refresh_token_valid"], false);
    env.cmd()
        .arg("status")
        .assert()
        .success()
        .stdout(predicate::str::contains("status:        usable"));
}

/// Metadata pointauth 0.1 wrote has no `version` and no summary of the session: for a
/// file session, status reads the session file once and shows it, writing nothing.
#[test]
fn status_shows_a_session_whose_metadata_pointauth_0_1_wrote() {
    let env = TestEnv::new();
    env.login();
    env.edit_meta("default", |m| {
        let m = m.as_object_mut().unwrap();
        m.remove("version");
        m.remove("session");
    });
    let meta = std::fs::read(env.meta_path("default")).unwrap();
    let body = json_of_status(&env, &["status", "--json"], 0);
    assert_eq!(body["logged_in"], true);
    assert_eq!(body["store"], "file");
    assert_eq!(body["email"], DEFAULT_USERNAME);
    assert_eq!(
        body["refresh_token_expires_at"],
        env.session("default")["refresh_token_expires_at"]
    );
    assert_eq!(std::fs::read(env.meta_path("default")).unwrap(), meta);
    assert_eq!(env.server.request_count(), 1, "only the login");
}

/// A place `status --all` cannot list may hold profiles it cannot show, so it cannot
/// say every profile is usable: the error is listed with the profiles it found, and it
/// exits 1.
#[test]
fn status_all_exits_1_when_a_place_cannot_be_listed() {
    let env = TestEnv::new();
    env.login();
    let locks = env.home().join("state/pointauth/locks");
    let elsewhere = env.home().join("elsewhere");
    std::fs::rename(&locks, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &locks).unwrap();
    let out = env
        .cmd()
        .args(["status", "--all"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = stdout_of(&out);
    assert!(stdout.contains("status:        usable"), "{stdout}");
    assert!(
        stdout.contains("profiles:      not all can be listed\n  error:"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("symbolic link").count(), 1, "{stderr}");
    let body = json_of_status(&env, &["status", "--all", "--json"], 1);
    let entries = body.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{body:#}");
    assert_eq!(entries[0]["profile"], "default");
    assert_eq!(entries[0]["logged_in"], true);
    assert_eq!(entries[1]["profile"], "");
    assert!(
        entries[1]["error"]
            .as_str()
            .unwrap()
            .contains("symbolic link")
    );
}
