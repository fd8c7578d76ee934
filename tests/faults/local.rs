//! The fault matrix's local rows: bad input before any request, damaged or unsafe session
//! files (refused, named, never replaced on read), a process killed mid-refresh, stdout closed
//! early.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;
use crate::*;

fn login_with_stdin(env: &TestEnv, stdin: &[u8]) -> std::process::Output {
    env.cmd()
        .args([
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap()
}

#[test]
fn empty_or_non_utf8_passwords_fail_before_any_request() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    for stdin in [&b""[..], b"\n", b"\r\n", b"\xff\xfepass\n"] {
        let output = login_with_stdin(&env, stdin);
        assert_exit(&output, 2);
        // Every refusal says what to do.
        assert_stderr_has(&output, &["hint:"]);
        assert_eq!(env.server.sign_in_count(), 1, "{stdin:?}: no request");
        assert_same_session(&env, &before);
    }
    // No password source at all, and no terminal: exit 2 at once, with the way to pass one.
    let output = env
        .cmd()
        .args(["login", "--username", DEFAULT_USERNAME])
        .output()
        .unwrap();
    assert_exit(&output, 2);
    assert_stderr_has(&output, &["--password-stdin", "POINTAUTH_PASSWORD"]);
    assert_eq!(env.server.sign_in_count(), 1);
}

#[test]
fn a_password_is_sent_verbatim_but_for_one_trailing_newline() {
    let env = TestEnv::new();
    let password = "  pässwörd with spaces\t ";
    env.server.add_user(DEFAULT_USERNAME, password);
    let output = login_with_stdin(&env, format!("{password}\r\n").as_bytes());
    assert_exit(&output, 0);
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["password"], password);
}

#[test]
fn a_plain_http_base_url_off_loopback_is_refused() {
    let env = TestEnv::new();
    for url in [
        "http://api.pointservices.com",
        "ftp://127.0.0.1",
        "not a url",
    ] {
        let (output, _) = run_login(&env, &["--base-url", url]);
        assert_exit(&output, 2);
        assert_stderr_has(&output, &["base URL"]);
    }
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn token_without_a_session_says_not_logged_in() {
    let env = TestEnv::new();
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 3);
    assert_stderr_has(&output, &["not logged in", "pointauth login"]);
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn a_session_file_others_can_read_is_refused_and_left_alone() {
    let env = TestEnv::new();
    env.login();
    let path = env.session_path("default");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = env.session_bytes("default");
    // (`status` reads no credential store, only the metadata: it is not asked here.)
    for args in [&["token"][..], &["refresh"]] {
        let (output, _) = run(&env, args);
        assert_exit(&output, 1);
        assert_stderr_has(&output, &["chmod 600", &path.display().to_string()]);
    }
    assert_same_session(&env, &before);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "left as it was for the user to inspect");
    assert_eq!(env.server.request_count(), 1);
}

#[test]
fn a_symlinked_session_file_is_refused() {
    let env = TestEnv::new();
    env.login();
    let path = env.session_path("default");
    let elsewhere = env.home().join("elsewhere.json");
    std::fs::rename(&path, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 1);
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// The metadata directory (`state/pointauth/profiles`) replaced by a link is refused by
/// the commands that only read, as by those that write: not taken for "nothing here".
#[test]
fn a_linked_metadata_directory_is_refused_by_commands_that_only_read() {
    let env = TestEnv::new();
    env.login();
    let profiles = env.home().join("state/pointauth/profiles");
    let elsewhere = env.home().join("elsewhere");
    std::fs::rename(&profiles, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &profiles).unwrap();
    for args in [&["token"][..], &["status"], &["status", "--all"]] {
        let (output, _) = run(&env, args);
        assert_exit(&output, 1);
        assert_stderr_has(&output, &["profiles", "symbolic link"]);
    }
    assert!(elsewhere.join("default.json").exists());
    assert_eq!(env.server.request_count(), 1, "only the login");
}

/// A regular file where one of pointauth's directories belongs is refused as not its
/// own, before anything inside it is looked for. (`status` reads only the metadata, so
/// only the metadata directory concerns it.)
#[test]
fn a_file_in_place_of_a_directory_is_refused_and_named() {
    let sessions: &[&[&str]] = &[&["token"], &["refresh"]];
    let metadata: &[&[&str]] = &[&["token"], &["status"]];
    for (dir, commands) in [
        ("data/pointauth", sessions),
        ("state/pointauth/profiles", metadata),
    ] {
        let env = TestEnv::new();
        env.login();
        let path = env.home().join(dir);
        std::fs::remove_dir_all(&path).unwrap();
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        for args in commands {
            let (output, _) = run(&env, args);
            assert_exit(&output, 1);
            assert_stderr_has(
                &output,
                &[
                    &path.display().to_string(),
                    "is not a directory of pointauth's own",
                ],
            );
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"{}", "{dir} left alone");
    }
}

/// `status` before any login makes no directory: a command that only reads leaves no
/// trace, here with pointauth's state directory made but nothing in it. (`token` is not
/// one: it takes the profile's lock, where a sign-in could happen.)
#[test]
fn commands_that_only_read_create_no_directory() {
    let env = TestEnv::new();
    let state = env.home().join("state/pointauth");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    for args in [&["status"][..], &["status", "--all"]] {
        let (output, _) = run(&env, args);
        assert_exit(&output, 3);
        let made: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
        assert!(made.is_empty(), "{args:?} made {made:?}");
        assert!(
            !env.home().join("data").exists(),
            "{args:?} made the data directory"
        );
    }
}

#[test]
fn a_corrupted_session_is_named_never_replaced_on_read() {
    let env = TestEnv::new();
    env.login();
    let good = String::from_utf8(env.session_bytes("default")).unwrap();
    let damaged = [
        good[..good.len() / 2].to_owned(),
        "not json at all".to_owned(),
        good.replace("\"version\":1", "\"version\":7"),
        good.replace(
            "\"access_token_expires_at\":\"",
            "\"access_token_expires_at\":\"x",
        ),
        json!({"version": 1}).to_string(),
    ];
    for text in &damaged {
        std::fs::write(env.session_path("default"), text).unwrap();
        for args in [&["token"][..], &["refresh"]] {
            let (output, _) = run(&env, args);
            assert_exit(&output, 1);
            assert_stderr_has(&output, &["corrupted", "default.json", "logout", "login"]);
            assert_eq!(
                env.session_bytes("default"),
                text.as_bytes(),
                "never replaced on read"
            );
        }
        // Even with CI credentials at hand, the damaged entry is reported, not overwritten.
        for command in ["token", "refresh"] {
            let output = env
                .cmd()
                .arg(command)
                .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
                .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
                .output()
                .unwrap();
            assert_exit(&output, 1);
            assert_stderr_has(&output, &["corrupted"]);
            assert_eq!(env.session_bytes("default"), text.as_bytes());
        }
    }
    assert_eq!(env.server.request_count(), 1, "only the first login");
    // `login` is the way out, and it replaces the file atomically.
    env.login();
    assert_exit(&run(&env, &["token"]).0, 0);
}

/// A damaged session is reported at once, even while another command holds the profile's
/// lock: finding it damaged needs no lock, so nothing waits for one (a waiter would give
/// up after its patience, --timeout + 10 s, saying the profile is busy).
#[test]
fn a_corrupted_session_is_reported_without_waiting_for_the_lock() {
    let env = TestEnv::new();
    env.login();
    std::fs::write(env.session_path("default"), "not json at all").unwrap();
    let _held = hold_lock(&env);
    let (output, _) = run(&env, &["--timeout", "1", "token"]);
    assert_exit(&output, 1);
    assert_stderr_has(&output, &["corrupted", "default.json"]);
}

#[test]
fn a_wrong_password_at_login_keeps_the_old_session() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    let output = login_with_stdin(&env, b"not the password\n");
    assert_exit(&output, 4);
    assert_stderr_has(&output, &["INVALID_PASSWORD"]);
    assert_same_session(&env, &before);
    assert_eq!(env.server.sign_in_count(), 2, "not retried");
}

#[test]
fn an_expired_session_is_not_refreshed_and_not_deleted() {
    let env = TestEnv::new();
    env.login();
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(-7200));
        session["refresh_token_expires_at"] = json!(from_now(-60));
    });
    let before = env.session_bytes("default");
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 3);
    assert_stderr_has(&output, &["session", "ended", "pointauth login"]);
    assert_eq!(env.server.refresh_count(), 0);
    assert_same_session(&env, &before);
}

#[allow(unsafe_code)] // a libc call std does not wrap
fn kill(pid: u32, signal: i32) {
    // SAFETY: kill(2) on a child we started and have not yet waited for.
    let rc = unsafe { libc::kill(pid as libc::pid_t, signal) };
    assert_eq!(rc, 0, "kill {pid}");
}

/// A child that dies of SIGINT as a user's Ctrl-C would kill it. A shell that starts the
/// tests in the background without job control (cargo-mutants under `nohup`, a CI step
/// ending in `&`) hands them SIGINT ignored, and every child inherits that.
#[allow(unsafe_code)] // a libc call std does not wrap
fn with_default_sigint(cmd: &mut std::process::Command) -> &mut std::process::Command {
    // SAFETY: signal(2) is async-signal-safe, so it may run between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        })
    }
}

#[test]
fn a_process_killed_mid_refresh_loses_nothing_and_leaves_no_lock() {
    for signal in [libc::SIGKILL, libc::SIGINT, libc::SIGTERM] {
        let env = TestEnv::new();
        login_expired(&env);
        let before = env.session_bytes("default");
        env.server
            .script(Endpoint::Refresh, Fault::Hang(Duration::from_secs(20)));
        let mut cmd = env.cmd();
        cmd.arg("token");
        let mut child = with_default_sigint(&mut std_cmd(&cmd))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The refresh starts well under a second after the spawn; the 10 s deadline only
        // ends the wait if it never does, and the count assertion then fails the test.
        let started = Instant::now();
        while env.server.refresh_count() == 0 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(env.server.refresh_count(), 1, "the refresh is under way");
        kill(child.id(), signal);
        let status = child.wait().unwrap();
        assert!(!status.success());
        assert_same_session(&env, &before);
        let leftovers: Vec<_> = std::fs::read_dir(env.session_path("default").parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["default.json"], "no temp files");
        // The lock died with the process: the next call refreshes without waiting. A lock
        // left behind would make it wait the whole lock patience (--timeout + 10 s = 40 s)
        // and fail; exit 0 and the second refresh say it did not. The wall-clock bound only
        // catches a wait cut short of that: 30 s, over a hundred times what the call takes,
        // so a loaded machine cannot trip it.
        let started = Instant::now();
        let (output, _) = run(&env, &["token"]);
        assert_exit(&output, 0);
        assert_eq!(env.server.refresh_count(), 2);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    for args in [&["token"][..], &["status"], &["token", "--json"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = env.cmd();
        cmd.args(args);
        let output = std_cmd(&cmd)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_ne!(output.status.code(), Some(101), "{args:?} panicked");
        assert!(
            output.status.code().is_some(),
            "{args:?}: killed by a signal"
        );
        let stderr = stderr_of(&output);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_same_session(&env, &before);
}

#[test]
fn status_is_offline() {
    let env = TestEnv::new();
    login_stale(&env);
    let requests = env.server.request_count();
    for args in [&["status"][..], &["status", "--json"], &["status", "--all"]] {
        let (output, _) = run(&env, args);
        assert_exit(&output, 0);
    }
    env.edit_meta("default", |meta| {
        meta["session"]["access_token_expires_at"] = json!(from_now(-7200));
        meta["session"]["refresh_token_expires_at"] = json!(from_now(-60));
    });
    let (output, _) = run(&env, &["status", "--json"]);
    assert_exit(&output, 3);
    assert_eq!(env.server.request_count(), requests, "no request");
}

#[test]
fn a_session_or_metadata_file_that_is_not_text_names_the_way_out() {
    let env = TestEnv::new();
    env.login();
    for path in [env.session_path("default"), env.meta_path("default")] {
        let before = std::fs::read(&path).unwrap();
        std::fs::write(&path, b"\xff\xfe not text").unwrap();
        let (output, _) = run(&env, &["token"]);
        assert_exit(&output, 1);
        assert_stderr_has(&output, &["corrupted", "logout", "login"]);
        std::fs::write(&path, before).unwrap();
    }
    // And `login` replaces an unreadable session.
    std::fs::write(env.session_path("default"), b"\xff\xfe").unwrap();
    let (output, _) = run_login(&env, &[]);
    assert_exit(&output, 0);
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 0);
}

#[test]
fn an_explicit_min_ttl_holds_after_a_sign_in_too() {
    let env = TestEnv::new();
    let ci = |cmd: &mut assert_cmd::Command| {
        cmd.env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
            .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD);
    };
    // Tokens live an hour: a two-hour minimum cannot be met, on the first call as on the next.
    for attempt in 1..=2 {
        let mut cmd = env.cmd();
        ci(&mut cmd);
        let output = cmd.args(["token", "--min-ttl", "2h"]).output().unwrap();
        assert_exit(&output, 2);
        assert_stderr_has(&output, &["--min-ttl 7200 s is longer"]);
        assert!(
            output.stdout.is_empty(),
            "attempt {attempt} printed a token"
        );
    }
}

#[test]
fn credentials_that_are_not_utf8_are_a_usage_error_not_unset() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let raw = std::ffi::OsStr::from_bytes(b"bad\xffbytes");
    for (name, other, value) in [
        ("POINTAUTH_PASSWORD", "POINTAUTH_USERNAME", DEFAULT_USERNAME),
        ("POINTAUTH_USERNAME", "POINTAUTH_PASSWORD", DEFAULT_PASSWORD),
    ] {
        let output = env
            .cmd()
            .env(name, raw)
            .env(other, value)
            .arg("token")
            .output()
            .unwrap();
        assert_exit(&output, 2);
        assert_stderr_has(&output, &[name, "UTF-8"]);
    }
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn missing_parents_are_made_as_mkdir_p_does_and_pointauth_dirs_private() {
    let env = TestEnv::new();
    let home = env.home();
    // As a user without ~/.local yet, with the usual umask.
    let mut cmd = env.cmd();
    cmd.env_remove("XDG_DATA_HOME").env_remove("XDG_STATE_HOME");
    let output = cmd
        .args([
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert_exit(&output, 0);
    let mode = |rel: &str| {
        std::fs::metadata(home.join(rel))
            .unwrap_or_else(|err| panic!("{rel}: {err}"))
            .permissions()
            .mode()
            & 0o777
    };
    // The test process's umask is the children's; CI runs with 022.
    let umask = {
        let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
        rustix::process::umask(old);
        old.bits()
    };
    for parent in [".local", ".local/share", ".local/state"] {
        assert_eq!(mode(parent), 0o777 & !umask, "{parent}");
    }
    for own in [
        ".local/share/pointauth",
        ".local/state/pointauth",
        ".local/state/pointauth/profiles",
        ".local/state/pointauth/locks",
    ] {
        assert_eq!(mode(own), 0o700, "{own}");
    }
}
