//! "Never race, never hang, never lose a session": the `pointauth` binary against the local
//! stand-in misbehaving in every scripted way, each test in its own temporary HOME.
//!
//! Waits are kept short (Retry-After 1, small --timeout budgets) so the whole binary stays
//! fast; where a wall-clock bound is the point (a hang must end), it has a margin for a loaded
//! machine and says so.

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

mod codes;
mod degradation;
mod hostile;
mod leaks;
mod local;
mod retries;
mod single_flight;
mod tls_proxy;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

/// An answer with this status and a Firebase-style error body carrying `code`.
pub fn status(status: u16, code: &str) -> Fault {
    Fault::Status {
        status,
        body: json!({"error": {"code": status, "message": code}}).to_string(),
        headers: Vec::new(),
    }
}

/// An answer with this status, raw body and extra headers.
pub fn answer(status: u16, body: &str, headers: &[(&str, &str)]) -> Fault {
    Fault::Status {
        status,
        body: body.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// Queues `fault` `times` times for `endpoint`.
pub fn script(env: &TestEnv, endpoint: Endpoint, fault: Fault, times: usize) {
    for _ in 0..times {
        env.server.script(endpoint, fault.clone());
    }
}

/// Logs in, then moves the stored access token's expiry to a minute from now: stale under
/// the default minimum time to live (5 minutes for hour-long tokens), but still valid.
pub fn login_stale(env: &TestEnv) {
    env.login();
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(60));
    });
}

/// Logs in, then moves the stored access token's expiry into the past (the refresh token
/// stays valid): every `token` must refresh, and has no cached token to fall back on.
pub fn login_expired(env: &TestEnv) {
    env.login();
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(-60));
    });
}

/// Runs `pointauth ARGS` and returns its output and how long it took.
pub fn run(env: &TestEnv, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = env.cmd().args(args).output().expect("run pointauth");
    (output, started.elapsed())
}

/// `pointauth login` of the default user over stdin, returning its output and duration.
pub fn run_login(env: &TestEnv, extra: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = env
        .cmd()
        .args(extra)
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
        .expect("run pointauth login");
    (output, started.elapsed())
}

/// Asserts the exit code, showing both streams when it differs, and that nothing panicked.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    let stderr = stderr_of(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit status {:?}\n--- stdout\n{}\n--- stderr\n{stderr}",
        output.status,
        stdout_of(output),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Asserts stderr contains every one of `needles` (case-insensitively).
#[track_caller]
pub fn assert_stderr_has(output: &Output, needles: &[&str]) {
    let stderr = stderr_of(output);
    let lower = stderr.to_lowercase();
    for needle in needles {
        assert!(
            lower.contains(&needle.to_lowercase()),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

/// The newest refresh token the stand-in has issued.
pub fn newest_refresh_token(env: &TestEnv) -> String {
    env.server
        .issued_tokens()
        .into_iter()
        .rev()
        .find(|token| token.starts_with("AMf-v"))
        .expect("a refresh token was issued")
}

/// Opens the profile's lock file and takes the lock, as another pointauth would (private
/// directories, a 0600 file: pointauth refuses anything else).
pub fn hold_lock(env: &TestEnv) -> std::fs::File {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = env.home().join("state/pointauth/locks");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .expect("lock dir");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(dir.join("default.lock"))
        .expect("open lock file");
    file.lock().expect("take the profile lock");
    file
}

/// Asserts the stored session is byte-for-byte `before` (without dumping the bytes).
#[track_caller]
pub fn assert_same_session(env: &TestEnv, before: &[u8]) {
    let now = std::fs::read(env.session_path("default")).unwrap_or_default();
    assert!(
        now == before,
        "the stored session changed:\n--- before\n{}\n--- after\n{}",
        String::from_utf8_lossy(before),
        String::from_utf8_lossy(&now)
    );
}
