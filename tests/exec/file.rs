//! The token file: what the command is given, a file that always holds one whole live token
//! while it is refreshed, refresh outages and an ended session.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::*;
use crate::*;

/// A 503 for the next refresh.
fn outage() -> Fault {
    Fault::Status {
        status: 503,
        body: r#"{"error": {"code": 503, "message": "UNAVAILABLE"}}"#.to_owned(),
        headers: Vec::new(),
    }
}

/// Signs in with tokens that live `seconds`.
fn logged_in_with_tokens_of(seconds: u64) -> TestEnv {
    let env = TestEnv::new();
    env.server.set_expires_in(json!(seconds));
    env.login();
    env
}

fn reads(log: &std::path::Path) -> Vec<String> {
    lines(log)
}

#[test]
fn the_command_gets_a_private_file_named_by_both_variables_and_the_token_with_its_expiry() {
    let env = TestEnv::new();
    let runtime = runtime_dir(&env);
    let log = env.home().join("env.json");
    let mut cmd = command(&env, &[], &["env", log.to_str().unwrap()]);
    cmd.env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .env("BEARER_TOKEN", "another service's token");
    let mut running = start_command(&env, cmd);
    assert!(running.wait().success(), "{}", running.stderr());
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let token = env.stored_access_token();
    let path = seen["POINTAUTH_TOKEN_FILE"].as_str().unwrap();
    assert!(
        path.starts_with(runtime.join("pointauth/exec-").to_str().unwrap()),
        "{path}"
    );
    assert_eq!(seen["BEARER_TOKEN_FILE"], path);
    assert_eq!(
        seen["BEARER_TOKEN"],
        Value::Null,
        "it would hide the file from WLCG readers"
    );
    assert_eq!(
        seen["contents"],
        token.as_str(),
        "the token alone, no newline"
    );
    assert_eq!(seen["POINTAUTH_ACCESS_TOKEN"], token.as_str());
    assert_eq!(seen["file_mode"], 0o600);
    assert_eq!(seen["dir_mode"], 0o700);
    assert_eq!(seen["POINTAUTH_PASSWORD"], Value::Null);
    assert_eq!(seen["POINTAUTH_USERNAME"], DEFAULT_USERNAME);
    let expires_at = seen["POINTAUTH_ACCESS_TOKEN_EXPIRES_AT"].as_str().unwrap();
    assert_eq!(
        expires_at,
        env.session("default")["access_token_expires_at"]
            .as_str()
            .unwrap()
    );
    assert!(
        expires_at.len() == 20 && expires_at.ends_with('Z') && expires_at.as_bytes()[10] == b'T',
        "RFC 3339 in UTC, whole seconds: {expires_at}"
    );
    assert!(!std::path::Path::new(path).exists());
    assert_eq!(left_in(&runtime), Vec::<String>::new());
}

#[test]
fn without_a_runtime_directory_the_file_is_in_the_state_directory() {
    let env = TestEnv::new();
    env.login();
    let log = env.home().join("env.json");
    // The environment names $HOME/runtime, which does not exist: pointauth does not make it.
    let mut running = start(&env, &[], &["env", log.to_str().unwrap()]);
    assert!(running.wait().success(), "{}", running.stderr());
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let path = seen["POINTAUTH_TOKEN_FILE"].as_str().unwrap();
    let state = env.home().join("state/pointauth");
    assert!(
        path.starts_with(state.join("exec-").to_str().unwrap()),
        "{path}"
    );
    assert_eq!(seen["contents"], env.stored_access_token().as_str());
    assert!(!env.home().join("runtime").exists());
    let left: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("exec-"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

#[test]
fn every_read_of_the_file_is_one_whole_token_the_service_takes_while_it_is_refreshed() {
    // Tokens of 4 s with --min-ttl 2s: the file is replaced about every second or two, each
    // time with 3 s left, over 20 s of reads every 100 ms.
    let env = logged_in_with_tokens_of(4);
    let runtime = runtime_dir(&env);
    let log = env.home().join("reads");
    let before = env.server.refresh_count();
    let mut running = start(
        &env,
        &["--min-ttl", "2s"],
        &["read", log.to_str().unwrap(), "20", "0.1"],
    );
    assert!(running.wait().success(), "{}", running.stderr());
    let reads = reads(&log);
    // 200 reads when unloaded; a loaded machine still makes dozens.
    assert!(reads.len() >= 20, "{reads:?}");
    let bad: Vec<_> = reads.iter().filter(|r| !r.starts_with("200 ")).collect();
    assert!(
        bad.is_empty(),
        "reads the service refused or that were not one token: {bad:?}"
    );
    let tokens: BTreeSet<_> = reads.iter().collect();
    let refreshes = env.server.refresh_count() - before;
    // About a dozen at that pace; several is the point.
    assert!(refreshes >= 4, "{refreshes} refreshes");
    assert!(tokens.len() >= 4, "{} different tokens read", tokens.len());
    assert_eq!(env.server.unauthorized_count(), 0);
    assert!(
        !running.stderr().contains("warning"),
        "{}",
        running.stderr()
    );
    assert_eq!(left_in(&runtime), Vec::<String>::new());
}

#[test]
fn a_refresh_outage_is_retried_with_warnings_while_the_file_keeps_its_valid_token() {
    // Tokens of 20 s with --min-ttl 10s: the first refresh is due after 5 s, and the outage
    // (six 503s: two attempts of three tries) is over well within the 15 s the token has left.
    let env = logged_in_with_tokens_of(20);
    let log = env.home().join("reads");
    for _ in 0..6 {
        env.server.script(Endpoint::Refresh, outage());
    }
    let mut running = start(
        &env,
        &["--min-ttl", "10s"],
        &["read", log.to_str().unwrap(), "120", "0.2"],
    );
    running.wait_for_stderr("fresh token again");
    let first_token = lines(&log)[0].clone();
    running.wait_until("a read of the new token", || {
        lines(&log).last().is_some_and(|last| *last != first_token)
    });
    std::fs::write(log.with_extension("stop"), "").unwrap();
    assert!(running.wait().success(), "{}", running.stderr());

    let stderr = running.stderr();
    let warnings: Vec<_> = stderr
        .lines()
        .filter(|line| line.contains("cannot refresh the command's token"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].contains("trying again in 1 s"), "{stderr}");
    assert!(warnings[1].contains("trying again in 2 s"), "{stderr}");
    assert!(
        warnings
            .iter()
            .all(|w| w.contains("HTTP 503") && w.contains("still valid")),
        "{stderr}"
    );
    let reads = reads(&log);
    assert!(reads.iter().all(|r| r.starts_with("200 ")), "{reads:?}");
    assert_eq!(
        env.server.refresh_count(),
        7,
        "six refused, then one answered"
    );
}

#[test]
fn when_the_session_ends_the_file_goes_as_its_token_expires_and_the_command_runs_on() {
    // Tokens of 8 s, --min-ttl 3s: the refresh is due 3.5 s after sign-in, and refused.
    let env = logged_in_with_tokens_of(8);
    let runtime = runtime_dir(&env);
    env.server.revoke_all_refresh_tokens();
    let log = env.home().join("reads");
    let mut running = start(
        &env,
        &["--min-ttl", "3s"],
        &["read", log.to_str().unwrap(), "120", "0.2"],
    );
    running.wait_until("the file to go", || {
        lines(&log).iter().filter(|r| *r == "missing").count() >= 3
    });
    assert_eq!(running.child.try_wait().unwrap(), None, "pointauth runs on");
    std::fs::write(log.with_extension("stop"), "").unwrap();
    let status = running.wait();
    assert!(
        status.success(),
        "the command ran on and ended well: {status:?}"
    );

    let stderr = running.stderr();
    let ended: Vec<_> = stderr
        .lines()
        .filter(|line| line.contains("keeps running"))
        .collect();
    assert_eq!(ended.len(), 1, "said once: {stderr}");
    assert!(
        ended[0].contains("removed when its token expires"),
        "{stderr}"
    );
    assert!(stderr.contains("pointauth login"), "{stderr}");
    assert!(
        stderr.contains("has expired: the file is removed"),
        "{stderr}"
    );
    let reads = reads(&log);
    let first_missing = reads.iter().position(|r| r == "missing").unwrap();
    // The contract counts a token's life from the answer's arrival; the stand-in counts from
    // before it sent the answer, and the child presents a token some time after reading it.
    // So a read in the token's last moments may meet a 401: on a loaded machine, more than
    // one. Those are the same token as the good reads before them, and only at the end.
    let live = &reads[..first_missing];
    let good = live.iter().take_while(|r| r.starts_with("200 ")).count();
    assert!(good > 0, "{reads:?}");
    let last_good = live[good - 1].split(' ').nth(1).unwrap();
    assert!(
        live[good..]
            .iter()
            .all(|r| *r == format!("401 {last_good}")),
        "the token was good until the file went, but for its last moments: {reads:?}"
    );
    assert!(
        reads[first_missing..].iter().all(|r| r == "missing"),
        "{reads:?}"
    );
    assert_eq!(env.server.unauthorized_count(), live.len() - good);
    assert_eq!(left_in(&runtime), Vec::<String>::new());
}

#[test]
fn an_ended_session_is_replaced_by_a_sign_in_from_the_environment() {
    let env = logged_in_with_tokens_of(8);
    env.server.revoke_all_refresh_tokens();
    let log = env.home().join("reads");
    let mut cmd = command(
        &env,
        &["--min-ttl", "3s"],
        &["read", log.to_str().unwrap(), "120", "0.2"],
    );
    cmd.env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD);
    let mut running = start_command(&env, cmd);
    running.wait_until("a sign-in", || env.server.sign_in_count() >= 2);
    let signed_in = env.stored_access_token();
    running.wait_until("a read of the new token", || {
        lines(&log)
            .last()
            .is_some_and(|last| *last == format!("200 {}", &signed_in[signed_in.len() - 12..]))
    });
    std::fs::write(log.with_extension("stop"), "").unwrap();
    assert!(running.wait().success(), "{}", running.stderr());
    assert!(lines(&log).iter().all(|r| r.starts_with("200 ")));
    assert!(
        !running.stderr().contains("warning"),
        "{}",
        running.stderr()
    );
}

#[test]
fn a_missing_command_is_127_one_that_cannot_start_126_and_neither_leaves_a_file() {
    let env = TestEnv::new();
    env.login();
    let runtime = runtime_dir(&env);
    env.cmd()
        .args([
            "exec",
            "--token-file",
            "--",
            "no-such-command-pointauth-test",
        ])
        .assert()
        .code(127)
        .stderr(predicates::str::contains("not found"));
    let script = env.home().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    env.cmd()
        .args(["exec", "--token-file", "--"])
        .arg(&script)
        .assert()
        .code(126)
        .stderr(predicates::str::contains("could not be started"));
    assert_eq!(left_in(&runtime), Vec::<String>::new());
}

#[test]
fn without_a_token_the_command_is_not_run_and_no_file_is_made() {
    let env = TestEnv::new();
    let runtime = runtime_dir(&env);
    let marker = env.home().join("ran");
    env.cmd()
        .args(["exec", "--token-file", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(3);
    assert!(!marker.exists());
    assert!(!runtime.join("pointauth").exists());
}
