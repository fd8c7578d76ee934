//! The keychain store against a real Secret Service: each test gets a private D-Bus session
//! bus and gnome-keyring (tests/support/keyring.rs), and `secret-tool` checks what pointauth
//! stored as an independent client. Without those tools the tests say `SKIPPED` (and fail
//! under `CI=true`).

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
// The house rules (no unwrap, no print, the environment and clock only through settings) are
// for the shipped code in src/; tests and the demo may panic, print and read what they like.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)]

#[path = "../support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;

use support::keyring::{PrivateKeyring, SilentBus, marked_processes};
use support::*;
use support::{kernel, users};

/// The attributes of pointauth's entry whose user name is `user` (`env.keychain_user(..)`).
fn entry(user: &str) -> [(&'static str, &str); 2] {
    [("service", "pointauth"), ("username", user)]
}

/// `pointauth` in the test's HOME, talking to this bus.
fn on_bus(env: &TestEnv, address: &str) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    cmd.env("DBUS_SESSION_BUS_ADDRESS", address);
    cmd
}

fn login_args(store: &str) -> [&str; 6] {
    [
        "--store",
        store,
        "login",
        "--username",
        DEFAULT_USERNAME,
        "--password-stdin",
    ]
}

fn login(env: &TestEnv, address: &str, store: &str) -> std::process::Output {
    on_bus(env, address)
        .args(login_args(store))
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .expect("run pointauth login")
}

/// The session JSON in the keychain entry, read by `secret-tool`.
fn keychain_session(kr: &PrivateKeyring, entry: &[(&str, &str)]) -> Value {
    let text = kr
        .lookup(entry)
        .unwrap_or_else(|| panic!("secret-tool finds no item for {entry:?}"));
    serde_json::from_str(&text).expect("the keychain item is the session JSON")
}

/// `token` in keyring mode on this bus: asserts success and returns the printed token.
fn keyring_token(env: &TestEnv, kr: &PrivateKeyring) -> String {
    let out = on_bus(env, kr.address())
        .args(["--store", "keyring", "token"])
        .output()
        .expect("run pointauth token");
    assert!(out.status.success(), "{}", stderr_of(&out));
    stdout_line(&out)
}

fn stdout_line(output: &std::process::Output) -> String {
    let stdout = stdout_of(output);
    assert!(stdout.ends_with('\n'), "{stdout:?}");
    stdout.trim_end_matches('\n').to_owned()
}

#[test]
fn keyring_mode_login_stores_the_session_where_secret_tool_finds_it() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    let out = login(&env, kr.address(), "keyring");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("keyring store"),
        "{}",
        stderr_of(&out)
    );

    let item = kr.search(&default_entry);
    assert!(item.contains("attribute.service = pointauth"), "{item}");
    assert!(
        item.contains(&format!("attribute.username = {user}")),
        "{item}"
    );
    let session = keychain_session(&kr, &default_entry);
    assert_eq!(session["username"], DEFAULT_USERNAME);
    assert_eq!(session["base_url"], env.server.base_url());
    let issued = env.server.issued_tokens();
    assert!(issued.contains(&session["access_token"].as_str().unwrap().to_owned()));
    assert!(issued.contains(&session["refresh_token"].as_str().unwrap().to_owned()));
    assert!(!env.session_path("default").exists(), "no session file");

    // `token` hands out exactly what the keychain holds, without asking the service.
    assert_eq!(
        keyring_token(&env, &kr),
        session["access_token"].as_str().unwrap()
    );
    assert_eq!(
        env.server.request_count(),
        1,
        "a fresh token needs no request"
    );
}

#[test]
fn keyring_mode_refresh_rewrites_the_keychain_entry_and_token_follows() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    env.server.set_rotate_refresh_tokens(true);
    assert!(login(&env, kr.address(), "keyring").status.success());
    let before = keychain_session(&kr, &default_entry);

    on_bus(&env, kr.address())
        .args(["--store", "keyring", "refresh"])
        .assert()
        .success()
        .stdout("");
    assert_eq!(env.server.refresh_count(), 1);
    let after = keychain_session(&kr, &default_entry);
    assert_ne!(after["access_token"], before["access_token"]);
    assert_ne!(
        after["refresh_token"], before["refresh_token"],
        "the rotated refresh token is stored"
    );
    let issued = env.server.issued_tokens();
    for field in ["access_token", "refresh_token"] {
        assert!(issued.contains(&after[field].as_str().unwrap().to_owned()));
    }

    assert_eq!(
        keyring_token(&env, &kr),
        after["access_token"].as_str().unwrap()
    );
    assert_eq!(
        env.server.refresh_count(),
        1,
        "the refreshed token is fresh"
    );
}

#[test]
fn keyring_mode_status_names_the_keyring_store() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    assert!(login(&env, kr.address(), "keyring").status.success());
    on_bus(&env, kr.address())
        .args(["--store", "keyring", "status"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "keyring, Secret Service entry (service pointauth, user {user})"
        )));
    let out = on_bus(&env, kr.address())
        .args(["--store", "keyring", "status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["store"], "keyring");
    assert_eq!(status["logged_in"], true);
    assert_eq!(status["username"], DEFAULT_USERNAME);
    let token = keychain_session(&kr, &default_entry)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !stdout_of(&out).contains(&token),
        "status never prints a token"
    );
}

#[test]
fn keyring_mode_logout_removes_the_entry_and_is_idempotent() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    assert!(login(&env, kr.address(), "keyring").status.success());
    assert!(kr.lookup(&default_entry).is_some());

    on_bus(&env, kr.address())
        .args(["--store", "keyring", "logout"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Logged out"));
    assert_eq!(kr.lookup(&default_entry), None, "secret-tool finds nothing");
    assert_eq!(kr.search(&[("service", "pointauth")]).trim(), "");
    assert!(!env.meta_path("default").exists());

    on_bus(&env, kr.address())
        .args(["--store", "keyring", "logout"])
        .assert()
        .success()
        .stderr(predicate::str::contains("nothing to remove"));
    on_bus(&env, kr.address())
        .args(["--store", "keyring", "status"])
        .assert()
        .code(3);
    on_bus(&env, kr.address())
        .args(["--store", "keyring", "token"])
        .assert()
        .code(3)
        .stdout("");
}

#[test]
fn each_profile_is_its_own_keychain_entry() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    assert!(login(&env, kr.address(), "keyring").status.success());
    on_bus(&env, kr.address())
        .args(["--profile", "work"])
        .args(login_args("keyring"))
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .success();
    let work_user = env.keychain_user("work");
    let work = entry(&work_user);
    let work_session = keychain_session(&kr, &work);
    assert_ne!(
        work_session["access_token"],
        keychain_session(&kr, &default_entry)["access_token"]
    );

    on_bus(&env, kr.address())
        .args(["--store", "keyring", "--profile", "work", "logout"])
        .assert()
        .success();
    assert_eq!(kr.lookup(&work), None);
    assert!(
        kr.lookup(&default_entry).is_some(),
        "the other profile stays"
    );
}

/// Every regular file under `root` whose bytes contain one of `needles`, with the needle.
fn files_containing(root: &Path, needles: &[String]) -> (usize, Vec<String>) {
    let mut seen = 0;
    let mut hits = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                seen += 1;
                let bytes = std::fs::read(entry.path()).unwrap();
                for needle in needles {
                    if bytes
                        .windows(needle.len())
                        .any(|window| window == needle.as_bytes())
                    {
                        hits.push(format!("{} holds {needle:.12}…", entry.path().display()));
                    }
                }
            }
        }
    }
    (seen, hits)
}

#[test]
fn keyring_mode_writes_no_secret_to_disk() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    env.server.set_rotate_refresh_tokens(true);
    assert!(login(&env, kr.address(), "keyring").status.success());
    for command in ["token", "refresh", "status"] {
        on_bus(&env, kr.address())
            .args(["--store", "keyring", command])
            .assert()
            .success();
    }
    assert!(kr.lookup(&default_entry).is_some());
    let issued = env.server.issued_tokens();
    assert_eq!(
        issued.len(),
        4,
        "two access and two refresh tokens: {issued:?}"
    );
    let mut secrets = issued.clone();
    secrets.push(DEFAULT_PASSWORD.to_owned());

    // gnome-keyring's own files live in the fixture's directory, outside this HOME, so the
    // whole HOME is searched with no exception.
    assert!(!kr.data_dir().starts_with(env.home()));
    let (seen, hits) = files_containing(env.home(), &secrets);
    assert!(hits.is_empty(), "secrets on disk: {hits:?}");
    // The search reads what pointauth wrote: the metadata file names the user.
    assert!(seen >= 1);
    let (_, named) = files_containing(env.home(), &[DEFAULT_USERNAME.to_owned()]);
    assert!(!named.is_empty(), "the walk found pointauth's metadata");

    // And the keyring's own file holds them encrypted, not in plain text.
    let (keyring_files, hits) = files_containing(&kr.data_dir(), &secrets);
    assert!(keyring_files >= 1, "gnome-keyring wrote its login keyring");
    assert!(
        hits.is_empty(),
        "plain-text secrets in the keyring: {hits:?}"
    );
}

#[test]
fn auto_uses_the_keychain_when_it_answers() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    let out = login(&env, kr.address(), "auto");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    assert!(!env.session_path("default").exists(), "no session file");
    let session = keychain_session(&kr, &default_entry);

    let out = on_bus(&env, kr.address())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["store"], "keyring");
    let out = on_bus(&env, kr.address()).arg("token").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_line(&out), session["access_token"].as_str().unwrap());
}

#[test]
fn auto_falls_back_to_a_file_with_one_warning_when_no_store_in_memory_answers() {
    let env = TestEnv::new();
    // env.cmd()'s bus address points at a socket that does not exist, and the kernel
    // refuses keyring calls.
    let Some(mut cmd) = env.cmd_without_keyring("auto falls back to a file") else {
        return;
    };
    let out = cmd
        .args(login_args("auto"))
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one warning, one confirmation: {stderr}");
    assert!(lines[0].starts_with("pointauth: warning: "), "{stderr}");
    assert!(lines[0].contains("credential store"), "{stderr}");
    assert!(lines[1].starts_with("Logged in"), "{stderr}");
    assert!(lines[1].contains("file store"), "{stderr}");
    assert!(env.session_path("default").exists());
    assert!(
        env.server
            .issued_tokens()
            .contains(&env.stored_access_token())
    );
    let out = env.cmd().args(["status", "--json"]).output().unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["store"], "file");
}

#[test]
fn store_keyring_without_a_keychain_fails_fast_and_writes_no_file() {
    let env = TestEnv::new();
    let started = Instant::now();
    let out = env
        .cmd()
        .args(login_args("keyring"))
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.starts_with("pointauth: "), "{stderr}");
    assert!(
        stderr.contains("--store file"),
        "the hint names the way out: {stderr}"
    );
    // Fast because nothing is waited on: the bus socket does not exist, so the keychain is
    // "unavailable" at once. A wait for an answer (libdbus's 2 s, our 3 s watchdog) would say
    // "did not answer" instead.
    assert!(!stderr.contains("did not answer"), "{stderr}");
    // Expected ~0.1 s. The bound is only against a hang (a wait for an answer is caught just
    // above), and 10 s is a wide margin for a loaded machine.
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(!env.session_path("default").exists());
    assert!(!env.meta_path("default").exists());
    for secret in env.server.issued_tokens() {
        assert!(!stderr.contains(&secret));
    }

    // The same for `token`, and within the same bound.
    let started = Instant::now();
    env.cmd()
        .args(["--store", "keyring", "token"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("--store file"))
        .stderr(predicate::str::contains("did not answer").not());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_keychain_that_never_answers_is_abandoned_with_a_clear_error() {
    let bus = SilentBus::start();
    let env = TestEnv::new();
    let started = Instant::now();
    let out = login(&env, &bus.address(), "keyring");
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("did not answer"), "{stderr}");
    // Expected one wait for our 3 s watchdog, which is wall-clock time a loaded machine
    // does not stretch, plus ~0.1 s of work; 5 s leaves twenty times that work for a loaded
    // machine, and still fails a second wait (6 s) or one for libdbus's own 25 s timeout.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(!env.session_path("default").exists());
}

#[test]
fn auto_turns_to_the_kernel_keyring_when_the_keychain_never_answers() {
    let bus = SilentBus::start();
    let env = TestEnv::new();
    // One bounded attempt, then the kernel keyring: in memory, so no warning.
    let started = Instant::now();
    let out = login(&env, &bus.address(), "auto");
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("kernel store"),
        "{}",
        stderr_of(&out)
    );
    // Expected one wait for our 3 s watchdog, which is wall-clock time a loaded machine
    // does not stretch, plus ~0.1 s of work; 5 s leaves twenty times that work for a loaded
    // machine, and still fails a second wait (6 s) or one for libdbus's own 25 s timeout.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(!env.session_path("default").exists());
    if kernel::keyctl_or_skip("auto turns to the kernel keyring") {
        assert!(
            env.kernel_keys(users::euid())
                .contains_key(&env.kernel_key("default"))
        );
    }
}

#[test]
fn a_secret_service_activation_that_stalls_is_bounded() {
    let Some(kr) = PrivateKeyring::stalled() else {
        return;
    };
    let env = TestEnv::new();
    let started = Instant::now();
    let out = login(&env, kr.address(), "keyring");
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("did not answer"), "{stderr}");
    // Expected ~2 s (libdbus gives up on the activation first); 10 s is five times that, and
    // still fails a wait for the bus's 25 s activation timeout or the 60 s stalled service.
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(!env.session_path("default").exists());
}

#[test]
fn logout_removes_both_the_keychain_entry_and_a_fallback_file() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    // A file session from a login without a keychain...
    let out = login(&env, "unix:path=/nonexistent/bus", "file");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let fallback = env.session_bytes("default");
    // ...then a login that reached the keychain, and the old file put back, as a crash
    // between the two writes, or an older pointauth, could leave it.
    assert!(login(&env, kr.address(), "auto").status.success());
    assert!(kr.lookup(&default_entry).is_some());
    assert!(
        !env.session_path("default").exists(),
        "login moved the session"
    );
    std::fs::write(env.session_path("default"), fallback).unwrap();

    on_bus(&env, kr.address())
        .arg("logout")
        .assert()
        .success()
        .stderr(predicate::str::contains("Logged out"));
    assert_eq!(kr.lookup(&default_entry), None);
    assert!(!env.session_path("default").exists());
    assert!(!env.meta_path("default").exists());
    on_bus(&env, kr.address()).arg("logout").assert().success();
}

#[test]
fn a_keyring_with_no_default_collection_refuses_login_and_auto_falls_back() {
    // gnome-keyring started on demand by the bus with a fresh HOME: no login keyring, so
    // reads find nothing and writes are refused.
    let Some(kr) = PrivateKeyring::activatable() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    on_bus(&env, kr.address())
        .args(["--store", "keyring", "token"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not logged in"));

    let out = login(&env, kr.address(), "keyring");
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("pointauth: the OS credential store (Secret Service) refused access"),
        "{stderr}"
    );
    assert!(stderr.contains("--replace --unlock"), "{stderr}");
    assert!(stderr.contains("--store file"), "{stderr}");
    assert!(!env.session_path("default").exists());
    assert!(!env.meta_path("default").exists());

    // `auto` turns to the kernel keyring, without a warning: nothing went to disk.
    let out = login(&env, kr.address(), "auto");
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("kernel store"), "{stderr}");
    assert!(!env.session_path("default").exists());
    assert_eq!(kr.lookup(&default_entry), None);
}

/// Runs one keychain call against the fixture, so the bus activates what it would.
fn touch(kr: &PrivateKeyring) {
    let env = TestEnv::new();
    let _ = on_bus(&env, kr.address())
        .args(["--store", "keyring", "token"])
        .output()
        .unwrap();
}

#[test]
fn the_private_keyring_leaves_no_process_behind() {
    let fixtures = [
        (PrivateKeyring::unlocked(), "gnome-keyring-d"),
        (PrivateKeyring::activatable(), "gnome-keyring-d"),
        (PrivateKeyring::stalled(), "sleep"),
    ];
    for (fixture, provider) in fixtures {
        let Some(kr) = fixture else {
            return;
        };
        touch(&kr);
        let marker = kr.marker();
        let running = kr.processes();
        let names: Vec<String> = running
            .iter()
            .map(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            })
            .collect();
        assert!(names.iter().any(|n| n == "dbus-daemon"), "{names:?}");
        assert!(names.iter().any(|n| n == provider), "{names:?}");
        drop(kr);
        assert_eq!(
            marked_processes(&marker),
            Vec::<u32>::new(),
            "{names:?} left running"
        );
    }
}

#[test]
fn auto_logout_clears_a_keychain_entry_whose_metadata_is_gone() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    assert!(login(&env, kr.address(), "auto").status.success());
    assert!(kr.lookup(&default_entry).is_some());
    std::fs::remove_file(env.meta_path("default")).unwrap();

    on_bus(&env, kr.address())
        .arg("logout")
        .assert()
        .success()
        .stderr(predicate::str::contains("Logged out"));
    assert_eq!(kr.lookup(&default_entry), None);
}

#[test]
fn logout_with_store_file_never_touches_the_keychain_and_names_what_is_left() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    assert!(login(&env, kr.address(), "keyring").status.success());
    // The keychain is not asked: the bus could be gone, and nothing waits on it.
    let out = on_bus(&env, kr.address())
        .args(["--store", "file", "logout"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("left"), "{stderr}");
    assert!(stderr.contains("pointauth logout"), "{stderr}");
    assert!(
        kr.lookup(&default_entry).is_some(),
        "the keychain entry is untouched"
    );
    assert!(!env.meta_path("default").exists(), "the files are gone");
    // A logout that may use the keychain then finds the entry no metadata names, and says
    // it removed it.
    on_bus(&env, kr.address())
        .args(["logout", "--all"])
        .assert()
        .success()
        .stderr("Logged out of profile `default`.\n");
    assert_eq!(kr.lookup(&default_entry), None);
}

/// Puts `secret` into pointauth's entry for profile `default` with `secret-tool`, as a damaged
/// or foreign writer would.
fn plant_entry(kr: &PrivateKeyring, user: &str, secret: &[u8]) {
    use std::io::Write as _;
    let mut child = kr
        .secret_tool()
        .args([
            "store",
            "--label=planted",
            "service",
            "pointauth",
            "username",
            user,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("run secret-tool store");
    child.stdin.take().unwrap().write_all(secret).unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store failed");
}

#[test]
fn login_and_logout_work_on_a_corrupted_keychain_entry() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    for damaged in [
        &b"pointauth-parts:v1:1:3:99999999999:0"[..],
        b"{\"version\":1,\"access_token\":",
        b"\xff\xfe not text \xff",
    ] {
        plant_entry(&kr, &user, damaged);
        // Reading it is an error that names it and the way out...
        let output = on_bus(&env, kr.address())
            .args(["--store", "keyring", "token"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
        assert!(
            stderr_of(&output).contains("corrupted"),
            "{}",
            stderr_of(&output)
        );
        assert!(
            stderr_of(&output).contains("logout"),
            "{}",
            stderr_of(&output)
        );
        // ...and `login` replaces it.
        let output = login(&env, kr.address(), "keyring");
        assert!(
            output.status.success(),
            "{damaged:?}: {}",
            stderr_of(&output)
        );
        let session = keychain_session(&kr, &default_entry);
        assert_eq!(session["username"], DEFAULT_USERNAME);
        keyring_token(&env, &kr);

        // Damaged again: `logout` removes it.
        plant_entry(&kr, &user, damaged);
        on_bus(&env, kr.address())
            .args(["--store", "keyring", "logout"])
            .assert()
            .success();
        assert_eq!(
            kr.search(&[("service", "pointauth")]).trim(),
            "",
            "{damaged:?}"
        );
    }
}

/// A profile signed in to the keychain, later used where the keychain cannot be reached (an
/// SSH session without the desktop's bus, cron): status still answers from the metadata,
/// logout removes everything else and names what is left, and a CI job signs in afresh.
#[test]
fn a_keychain_profile_where_the_keychain_is_out_of_reach() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    let default_entry = entry(&user);
    assert!(login(&env, kr.address(), "keyring").status.success());
    let gone = format!("unix:path={}/no-bus-here", env.home().display());
    for args in [&["status"][..], &["status", "--json"], &["status", "--all"]] {
        let started = Instant::now();
        let out = on_bus(&env, &gone).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        assert!(stdout_of(&out).contains("keyring"), "{}", stdout_of(&out));
        // Expected ~0.1 s: the bus socket is gone, so nothing here can answer late and a
        // keychain call fails at once. 10 s is a wide margin for a loaded machine, and still
        // fails a status that waited for the keychain to come back.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no keychain wait"
        );
    }
    // A CI job with credentials signs in, where it can keep the session (the kernel
    // keyring), once the quick copy of the access token is gone (it would be served).
    kernel::purge(
        users::euid(),
        &format!("{}:access", env.kernel_key("default")),
    );
    let out = on_bus(&env, &gone)
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // Back to the keychain for the logout cases.
    assert!(login(&env, kr.address(), "keyring").status.success());
    for args in [
        &["logout"][..],
        &["--store", "file", "logout"],
        &["logout", "--all"],
    ] {
        let out = on_bus(&env, &gone).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr_of(&out));
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains("where the keychain can be reached"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("Logged out"), "{args:?}: {stderr}");
        assert!(
            !env.meta_path("default").exists(),
            "{args:?}: the rest is removed"
        );
        assert!(
            kr.lookup(&default_entry).is_some(),
            "out of reach, so still there"
        );
        assert!(login(&env, kr.address(), "keyring").status.success());
    }
}

/// With the keyring locked, status never raises an unlock prompt: it does not ask the
/// keychain at all.
#[test]
fn status_never_asks_a_locked_keyring() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    assert!(login(&env, kr.address(), "keyring").status.success());
    kr.lock_login_collection();
    // Locked indeed: a token that reads the keychain (no quick copy) is refused at once.
    kernel::purge(
        users::euid(),
        &format!("{}:access", env.kernel_key("default")),
    );
    let out = on_bus(&env, kr.address())
        .args(["--store", "keyring", "token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let before = kr.processes().len();
    for args in [&["status"][..], &["status", "--json"]] {
        let out = on_bus(&env, kr.address()).args(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    assert_eq!(kr.processes().len(), before, "no prompter was started");
}

/// The quick copy of the default profile's access token in the kernel keyring, if any.
fn quick_copy(env: &TestEnv) -> Option<kernel::SeenKey> {
    env.kernel_keys(users::euid())
        .remove(&format!("{}:access", env.kernel_key("default")))
}

#[test]
fn a_keychain_session_keeps_a_quick_copy_of_its_access_token_alone() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    if !kernel::keyctl_or_skip("the quick copy") {
        return;
    }
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    assert!(login(&env, kr.address(), "keyring").status.success());
    let session = keychain_session(&kr, &entry(&user));
    let copy = quick_copy(&env).expect("login keeps a quick copy");
    let held: Value = serde_json::from_str(&copy.payload).unwrap();
    assert_eq!(held["access_token"], session["access_token"]);
    assert_eq!(held["username"], DEFAULT_USERNAME);
    // The refresh token stays in the keychain alone.
    let refresh = session["refresh_token"].as_str().unwrap();
    assert!(!copy.payload.contains(refresh), "{}", copy.payload);
    assert!(!copy.payload.contains("refresh"), "{}", copy.payload);
    // The kernel drops it no later than the token expires (the stand-in's live an hour).
    assert!(
        copy.timeout.ends_with('m')
            && copy.timeout.trim_end_matches('m').parse::<u32>().unwrap() < 60,
        "kernel expiry {:?}",
        copy.timeout
    );
    // And no session key: the keychain holds the session.
    assert!(
        !env.kernel_keys(users::euid())
            .contains_key(&env.kernel_key("default"))
    );
}

#[test]
fn token_is_served_from_the_quick_copy_without_the_keychain() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    if !kernel::keyctl_or_skip("the quick copy") {
        return;
    }
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    assert!(login(&env, kr.address(), "keyring").status.success());
    let session = keychain_session(&kr, &entry(&user));
    // No bus at all: only the copy can answer.
    let gone = format!("unix:path={}/no-bus-here", env.home().display());
    for store in ["keyring", "auto"] {
        let out = on_bus(&env, &gone)
            .args(["--store", store, "token"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{store}: {}", stderr_of(&out));
        assert_eq!(stdout_line(&out), session["access_token"].as_str().unwrap());
    }
    // A token the copy cannot promise for long enough is asked of the keychain.
    let out = on_bus(&env, &gone)
        .args(["--store", "keyring", "token", "--min-ttl", "3601"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("OS credential store"),
        "{}",
        stderr_of(&out)
    );
    // With `--store file` the profile's keychain session (and its copy) is not there.
    on_bus(&env, &gone)
        .args(["--store", "file", "token"])
        .assert()
        .code(3);
    assert_eq!(env.server.request_count(), 1, "no request but the login");
}

#[test]
fn refresh_login_and_logout_replace_or_remove_the_quick_copy() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    if !kernel::keyctl_or_skip("the quick copy") {
        return;
    }
    let env = TestEnv::new();
    let user = env.keychain_user("default");
    assert!(login(&env, kr.address(), "keyring").status.success());
    let first = quick_copy(&env).unwrap();

    on_bus(&env, kr.address()).arg("refresh").assert().success();
    let refreshed = keychain_session(&kr, &entry(&user));
    let copy = quick_copy(&env).unwrap();
    let held: Value = serde_json::from_str(&copy.payload).unwrap();
    assert_eq!(held["access_token"], refreshed["access_token"]);
    assert_ne!(copy.payload, first.payload);

    // Gone (an expiry, a reboot): a `token` that reads the keychain, under the lock, makes it again.
    kernel::purge(
        users::euid(),
        &format!("{}:access", env.kernel_key("default")),
    );
    assert_eq!(
        keyring_token(&env, &kr),
        refreshed["access_token"].as_str().unwrap()
    );
    assert!(quick_copy(&env).is_some(), "the copy is back");

    // A login elsewhere (another user, the file store) drops it: it is another session's.
    env.server.add_user("bob@example.com", "bobs password");
    on_bus(&env, kr.address())
        .args(["--store", "file", "login", "--username", "bob@example.com"])
        .arg("--password-stdin")
        .write_stdin("bobs password\n")
        .assert()
        .success();
    assert_eq!(quick_copy(&env), None);
    let out = on_bus(&env, kr.address()).arg("token").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        stdout_line(&out),
        env.stored_access_token(),
        "bob's token, not alice's"
    );

    // Back in the keychain, then logout: the copy goes with the session.
    assert!(login(&env, kr.address(), "keyring").status.success());
    assert!(quick_copy(&env).is_some());
    on_bus(&env, kr.address()).arg("logout").assert().success();
    assert_eq!(quick_copy(&env), None);
    assert!(env.kernel_keys(users::euid()).is_empty());
    // Even `--store file logout`, which leaves the keychain alone, removes the copy.
    assert!(login(&env, kr.address(), "keyring").status.success());
    let out = on_bus(&env, kr.address())
        .args(["--store", "file", "logout"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the keychain entry is named as left"
    );
    assert_eq!(quick_copy(&env), None);
}

#[test]
fn a_quick_copy_never_outlives_its_token_and_a_stale_one_is_never_handed_out() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    if !kernel::keyctl_or_skip("the quick copy") {
        return;
    }
    let env = TestEnv::new();
    // Tokens of 10 s: long enough that the copy is still there when keyctl looks, right
    // after a login on a loaded CI machine (3 s was not: the copy had already gone).
    env.server.set_expires_in(serde_json::json!(10));
    assert!(login(&env, kr.address(), "keyring").status.success());
    // The token was issued before login returned: it has expired 10 s after this.
    let logged_in = Instant::now();
    let copy = quick_copy(&env).expect("a quick copy right after login");
    let seconds: u32 = copy
        .timeout
        .trim_end_matches('s')
        .parse()
        .unwrap_or(u32::MAX);
    assert!(
        seconds <= 10,
        "kernel expiry {:?} for a 10 s token",
        copy.timeout
    );
    std::thread::sleep(Duration::from_millis(10_500).saturating_sub(logged_in.elapsed()));
    assert_eq!(
        quick_copy(&env),
        None,
        "the kernel dropped it with its token"
    );

    // A copy planted without an expiry, for a token that has expired: never handed out.
    env.server.set_expires_in(serde_json::json!(3600));
    let stale = serde_json::json!({
        "version": 1,
        "base_url": env.server.base_url(),
        "username": DEFAULT_USERNAME,
        "access_token": "stale-token",
        "access_token_expires_at": from_now(-60),
    });
    let name = format!("{}:access", env.kernel_key("default"));
    kernel::plant(users::euid(), &name, &stale.to_string());
    let token = keyring_token(&env, &kr);
    assert_ne!(token, "stale-token");
    assert!(env.server.issued_tokens().contains(&token));
    // Nor one for another user, however fresh.
    let foreign = serde_json::json!({
        "version": 1,
        "base_url": env.server.base_url(),
        "username": "mallory@example.com",
        "access_token": "foreign-token",
        "access_token_expires_at": from_now(3000),
    });
    kernel::plant(users::euid(), &name, &foreign.to_string());
    let out = on_bus(&env, kr.address())
        .args(["--store", "keyring", "token"])
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_ne!(stdout_line(&out), "foreign-token");
}

#[test]
fn a_keychain_entry_of_pointauth_0_1_is_still_read_and_moves_to_its_namespaced_name() {
    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    let env = TestEnv::new();
    // What pointauth 0.1 left: the entry named after the profile alone, metadata of format 0
    // (no version, no summary). Made here from a session signed in to the file store.
    env.login();
    let session = std::fs::read(env.session_path("default")).unwrap();
    std::fs::remove_file(env.session_path("default")).unwrap();
    plant_entry(&kr, "default", &session);
    let meta = serde_json::json!({
        "base_url": env.server.base_url(),
        "username": DEFAULT_USERNAME,
        "store": "keyring",
    });
    std::fs::write(env.meta_path("default"), meta.to_string()).unwrap();
    let legacy = entry("default");
    let user = env.keychain_user("default");

    // Read where 0.1 put it.
    let held: Value = serde_json::from_slice(&session).unwrap();
    assert_eq!(
        keyring_token(&env, &kr),
        held["access_token"].as_str().unwrap()
    );
    // The first refresh moves it: the new name holds the refreshed session, the old is gone.
    on_bus(&env, kr.address()).arg("refresh").assert().success();
    assert_eq!(kr.lookup(&legacy), None, "the 0.1 entry is removed");
    let moved = keychain_session(&kr, &entry(&user));
    assert_ne!(moved["access_token"], held["access_token"]);
    assert_eq!(moved["refresh_token"], held["refresh_token"]);
    assert_eq!(env.meta("default")["version"], 2);
    assert_eq!(
        keyring_token(&env, &kr),
        moved["access_token"].as_str().unwrap()
    );

    // A 0.1 profile's logout removes its old entry too.
    plant_entry(&kr, "default", &session);
    std::fs::write(env.meta_path("default"), meta.to_string()).unwrap();
    on_bus(&env, kr.address()).arg("logout").assert().success();
    assert_eq!(kr.lookup(&legacy), None);
    assert_eq!(kr.lookup(&entry(&user)), None);
    // And another HOME's 0.1 entry is not this one's to remove.
    plant_entry(&kr, "default", &session);
    on_bus(&env, kr.address())
        .args(["logout", "--all"])
        .assert()
        .success();
    assert!(kr.lookup(&legacy).is_some(), "no metadata here names it");
    // Nor is it when this HOME's profile was logged in to since: its metadata is current and
    // names the namespaced entry, and the old name may be another HOME's.
    assert!(login(&env, kr.address(), "keyring").status.success());
    assert!(kr.lookup(&entry(&user)).is_some());
    on_bus(&env, kr.address()).arg("logout").assert().success();
    assert_eq!(kr.lookup(&entry(&user)), None);
    assert!(
        kr.lookup(&legacy).is_some(),
        "another HOME's 0.1 entry stays"
    );
}

/// `auto` with no store but the file: the one warning says what each better store answered.
fn fallback_warning(env: &TestEnv, address: &str, test: &str) -> Option<String> {
    let mut cmd = env.cmd_without_keyring(test)?;
    let out = cmd
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .args(login_args("auto"))
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(env.session_path("default").exists());
    let stderr = stderr_of(&out);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    Some(warnings[0].to_owned())
}

#[test]
fn the_file_fallback_says_whether_the_keychain_was_missing_silent_or_locked() {
    let test = "the fallback's reason";
    let env = TestEnv::new();
    let Some(warning) = fallback_warning(&env, "unix:path=/nonexistent/bus", test) else {
        return;
    };
    assert!(
        warning
            .contains("no OS credential store is running here and the kernel keyring is blocked"),
        "{warning}"
    );

    let bus = SilentBus::start();
    let env = TestEnv::new();
    let warning = fallback_warning(&env, &bus.address(), test).unwrap();
    assert!(
        warning
            .contains("the OS credential store did not answer and the kernel keyring is blocked"),
        "{warning}"
    );

    let Some(kr) = PrivateKeyring::unlocked() else {
        return;
    };
    kr.lock_login_collection();
    let env = TestEnv::new();
    let warning = fallback_warning(&env, kr.address(), test).unwrap();
    assert!(
        warning.contains("the OS credential store is locked and the kernel keyring is blocked"),
        "{warning}"
    );
}
