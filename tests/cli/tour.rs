//! `cargo run --example tour`, the README's first command: every step runs and says so.

use std::path::PathBuf;
use std::process::Command;

use crate::support::*;

/// The example as `cargo test` built it, beside the test binaries.
fn tour_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap();
    target.join("examples").join("tour")
}

#[test]
fn the_tour_runs_login_token_api_status_and_logout_against_the_stand_in() {
    let output = Command::new(tour_bin())
        .env("POINTAUTH_TOUR_BIN", bin())
        .env_remove("POINTAUTH_BASE_URL")
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "{}: {err}; `cargo test` builds the examples",
                tour_bin().display()
            )
        });
    let stdout = stdout_of(&output);
    assert!(output.status.success(), "{stdout}\n{}", stderr_of(&output));
    for step in [
        "$ echo 'correct horse battery staple' | pointauth login",
        "$ pointauth token",
        "$ pointauth api /whoami",
        "$ pointauth status",
        "$ pointauth logout",
    ] {
        assert!(stdout.contains(step), "no step {step}:\n{stdout}");
    }
    assert!(
        stdout.contains(&format!("\"email\":\"{DEFAULT_USERNAME}\"")),
        "{stdout}"
    );
    assert!(stdout.contains("status:        usable"), "{stdout}");
    assert!(
        stdout.contains("Logged out of profile `default`."),
        "{stdout}"
    );
    // One sign-in and one API call: the token came from the cache in between.
    assert!(stdout.contains("answered 2 requests"), "{stdout}");
}

#[test]
fn the_tour_fails_when_pointauth_cannot_be_run() {
    let output = Command::new(tour_bin())
        .env("POINTAUTH_TOUR_BIN", "/nonexistent/pointauth")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("cargo install --path ."));
}
