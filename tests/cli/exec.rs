//! `pointauth exec`.

use predicates::prelude::*;

use crate::support::*;

#[test]
fn exec_runs_the_command_with_a_fresh_token_in_its_environment() {
    let env = TestEnv::new();
    env.login();
    env.cmd()
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$POINTAUTH_ACCESS_TOKEN\"",
        ])
        .assert()
        .success()
        .stdout(env.stored_access_token());
}

#[test]
fn exec_exits_with_the_commands_status() {
    let env = TestEnv::new();
    env.login();
    env.cmd()
        .args(["exec", "--", "sh", "-c", "exit 7"])
        .assert()
        .code(7);
    // Killed by a signal: the caller's shell sees 128 + N, as for the command itself.
    let bin = bin();
    env.cmd_shell(&format!(
        "'{}' exec -- sh -c 'kill -TERM $$'; echo \"status=$?\"",
        bin.display()
    ))
    .assert()
    .stdout(predicate::str::contains("status=143"));
}

#[test]
fn exec_does_not_run_the_command_without_a_token() {
    let env = TestEnv::new();
    let marker = env.home().join("ran");
    env.cmd()
        .args(["exec", "--", "touch"])
        .arg(&marker)
        .assert()
        .code(3);
    assert!(!marker.exists());
}

#[test]
fn exec_reports_a_missing_command_with_127() {
    let env = TestEnv::new();
    env.login();
    env.cmd()
        .args(["exec", "--", "no-such-command-pointauth-test"])
        .assert()
        .code(127)
        .stderr(predicate::str::contains("not found"));
    env.cmd().arg("exec").assert().code(2);
}

#[test]
fn exec_hands_the_command_the_token_but_never_the_password() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "printf '%s|%s' \"${POINTAUTH_PASSWORD-unset}\" \"$POINTAUTH_USERNAME\"",
        ])
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .assert()
        .success()
        .stdout(format!("unset|{DEFAULT_USERNAME}"));
}

#[test]
fn exec_gives_the_command_the_tokens_expiry_in_utc() {
    let env = TestEnv::new();
    env.login();
    let expires_at = env.session("default")["access_token_expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        expires_at.ends_with('Z') && expires_at.len() == 20,
        "{expires_at}"
    );
    env.cmd()
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$POINTAUTH_ACCESS_TOKEN_EXPIRES_AT\"",
        ])
        .assert()
        .success()
        .stdout(expires_at);
}

/// The command inherits no descriptor of pointauth's: a lock file left open would hold the
/// profile's lock for as long as the command runs, a session file would hand it the secrets.
/// (A CI job's first `exec`: the sign-in, the lock and the session write all happen first.)
#[test]
fn exec_hands_the_command_no_descriptor_of_pointauths_own() {
    let env = TestEnv::new();
    let listing = "import os\n\
        for fd in os.listdir('/proc/self/fd'):\n\
        \x20   try: print(os.readlink('/proc/self/fd/' + fd))\n\
        \x20   except OSError: pass\n";
    let out = env
        .cmd()
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .args(["exec", "--", "python3", "-c", listing])
        .assert()
        .success()
        .get_output()
        .clone();
    let open = stdout_of(&out);
    let home = env.home().display().to_string();
    assert!(!open.contains(&home), "the command has open:\n{open}");
    assert_eq!(env.server.sign_in_count(), 1);
}
