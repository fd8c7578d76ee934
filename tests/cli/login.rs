//! `pointauth login`.

use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;

use crate::support::*;

#[test]
fn login_with_password_stdin_stores_a_private_session() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
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

#[test]
fn login_from_environment_credentials_needs_no_prompt() {
    let env = TestEnv::new();
    env.cmd()
        .args(["--store", "file", "login"])
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .assert()
        .success()
        .stdout("");
    assert_eq!(env.server.sign_in_count(), 1);
    assert_eq!(env.session("default")["username"], DEFAULT_USERNAME);
}

#[test]
fn login_without_terminal_or_password_source_fails_at_once_with_exit_2() {
    let env = TestEnv::new();
    env.cmd()
        .args(["login", "--username", DEFAULT_USERNAME])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("--password-stdin"))
        .stderr(predicate::str::contains("POINTAUTH_PASSWORD"));
    assert_eq!(env.server.request_count(), 0);
    assert!(!env.session_path("default").exists());
}

#[test]
fn login_without_any_username_fails_with_exit_2() {
    let env = TestEnv::new();
    env.cmd()
        .args(["login", "--password-stdin"])
        .write_stdin("pw\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--username"));
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn login_remembers_the_username_and_base_url_of_the_profile() {
    let env = TestEnv::new();
    env.login();
    // No --username and no POINTAUTH_BASE_URL: both come from the profile's memory.
    env.cmd()
        .env_remove("POINTAUTH_BASE_URL")
        .args(["--store", "file", "login", "--password-stdin"])
        .write_stdin(DEFAULT_PASSWORD)
        .assert()
        .success();
    assert_eq!(env.server.sign_in_count(), 2);
    assert_eq!(
        env.server.requests()[1].body_json().unwrap()["username"],
        DEFAULT_USERNAME
    );
}

#[test]
fn password_stdin_removes_exactly_one_trailing_newline() {
    let env = TestEnv::new();
    let password = "  spaced pässword \n";
    env.server.add_user("bob@example.com", password);
    env.cmd()
        .args([
            "--store",
            "file",
            "login",
            "--username",
            "bob@example.com",
            "--password-stdin",
        ])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
    assert_eq!(
        env.server.requests()[0].body_json().unwrap()["password"],
        password
    );
    env.cmd()
        .args([
            "--store",
            "file",
            "login",
            "--username",
            "bob@example.com",
            "--password-stdin",
        ])
        .write_stdin(format!("{}\r\n", password.trim_end_matches('\n')))
        .assert()
        .code(4);
}

#[test]
fn password_stdin_rejects_empty_and_non_utf8_input_before_any_request() {
    let env = TestEnv::new();
    for input in [&b"\n"[..], &b""[..], &b"\xff\xfepw\n"[..]] {
        env.cmd()
            .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
            .write_stdin(input)
            .assert()
            .code(2);
    }
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn wrong_password_exits_4_and_keeps_the_old_session() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    env.cmd()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin("wrong\n")
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("INVALID_PASSWORD"))
        .stderr(predicate::str::contains("HTTP 400"))
        .stderr(predicate::str::contains("wrong").not());
    assert_eq!(env.session_bytes("default"), before);
    assert_eq!(
        env.server.sign_in_count(),
        2,
        "a rejected password is not retried"
    );
}

#[test]
fn unknown_and_disabled_users_exit_4() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "login",
            "--username",
            "nobody@example.com",
            "--password-stdin",
        ])
        .write_stdin("pw\n")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("EMAIL_NOT_FOUND"));
    env.server.disable_user(DEFAULT_USERNAME);
    env.cmd()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("USER_DISABLED"));
    assert_eq!(env.server.sign_in_count(), 2);
}

#[test]
fn auto_store_without_a_keychain_or_kernel_keyring_falls_back_to_the_file_with_one_warning() {
    let env = TestEnv::new();
    // No keychain, and a kernel that refuses keyring calls (a container's seccomp policy).
    let Some(mut cmd) = env.cmd_without_keyring("auto falls back to the file") else {
        return;
    };
    let out = cmd
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = stderr_of(&out);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("OS credential store"), "{stderr}");
    assert!(
        warnings[0].contains("kernel keyring is blocked"),
        "{stderr}"
    );
    assert!(warnings[0].contains("session saved to"), "{stderr}");
    // Plain words, one short line: what happened, where the session went, how to choose.
    assert!(warnings[0].contains("--store file"), "{stderr}");
    let path = env.session_path("default").display().to_string();
    let words = warnings[0].replace(&path, "PATH").chars().count();
    assert!(words <= 160, "{words} characters besides the path");
    for jargon in ["DBus", "D-Bus", "X11", "autolaunch", "Platform failure"] {
        assert!(!warnings[0].contains(jargon), "{jargon}: {stderr}");
    }
    assert!(env.session_path("default").exists());
    // Once per profile: a profile already in the file store is not warned about again.
    let out = env
        .cmd_without_keyring("auto falls back to the file")
        .unwrap()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
}

#[test]
fn keyring_store_without_a_keychain_fails_with_exit_1_and_a_hint() {
    let env = TestEnv::new();
    env.cmd()
        .args([
            "--store",
            "keyring",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--store file"))
        // The way to start a keychain, not the kernel keyring's advice.
        .stderr(predicate::str::contains("README's troubleshooting section"))
        .stderr(predicate::str::contains("seccomp").not());
    assert!(!env.session_path("default").exists());
    assert_eq!(
        env.server.request_count(),
        0,
        "no credentials sent for a session that cannot be kept"
    );
}

#[test]
fn a_password_of_64_kib_on_stdin_is_used_and_a_longer_one_is_a_usage_error() {
    // Exactly 64 KiB on stdin (no newline): that password signs in.
    let env = TestEnv::new();
    let long = "p".repeat(64 * 1024);
    env.server.add_user("long@example.com", &long);
    env.cmd()
        .args(["--store", "file", "login", "--username", "long@example.com"])
        .arg("--password-stdin")
        .write_stdin(long.clone())
        .assert()
        .success();
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["password"], long);
    // One byte more is refused before anything is sent.
    let env = TestEnv::new();
    env.cmd()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin("x".repeat(64 * 1024 + 1))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("64 KiB"));
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn a_store_that_cannot_be_used_fails_before_anything_is_asked() {
    let env = TestEnv::new();
    // No keychain here (the bus address leads nowhere) and no password source: the store's
    // failure comes first, not a question about the password.
    let out = env
        .cmd()
        .args([
            "--store",
            "keyring",
            "login",
            "--username",
            DEFAULT_USERNAME,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("OS credential store"), "{stderr}");
    assert!(!stderr.contains("password"), "{stderr}");
    assert_eq!(env.server.request_count(), 0);
}
