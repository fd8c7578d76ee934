//! "Never stuck": CI jobs and containers where nothing can be stored — a read-only HOME,
//! `HOME=/` for an arbitrary uid (as OpenShift runs images), a uid with no passwd entry and no
//! HOME — run as that uid with `setpriv` (CI runs as root; elsewhere these say SKIPPED).

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
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

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use support::users::{OTHER, as_uid, chown_tree, root_or_skip};
use support::*;

const CI: [(&str, Option<&str>); 2] = [
    ("POINTAUTH_USERNAME", Some(DEFAULT_USERNAME)),
    ("POINTAUTH_PASSWORD", Some(DEFAULT_PASSWORD)),
];

#[track_caller]
fn assert_token(output: &Output, env: &TestEnv) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "--- stderr\n{}",
        stderr_of(output)
    );
    let token = stdout_of(output).trim_end().to_owned();
    assert!(env.server.issued_tokens().contains(&token), "{token:?}");
}

#[track_caller]
fn assert_not_cached_warning(output: &Output) {
    let stderr = stderr_of(output);
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("not cached"), "{stderr}");
    assert!(
        warnings[0].contains("XDG_STATE_HOME") && warnings[0].contains("XDG_DATA_HOME"),
        "{stderr}"
    );
}

fn without_xdg<'a>(extra: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, Option<&'a str>)> {
    let mut vars = vec![("XDG_DATA_HOME", None), ("XDG_STATE_HOME", None)];
    vars.extend_from_slice(&CI);
    vars.extend_from_slice(extra);
    vars
}

#[test]
fn a_read_only_home_still_hands_out_tokens_uncached() {
    if !root_or_skip("a read-only HOME") {
        return;
    }
    let env = TestEnv::new();
    chown_tree(env.home(), OTHER);
    fs::set_permissions(env.home(), fs::Permissions::from_mode(0o555)).unwrap();
    for args in [&["token"][..], &["exec", "--", "true"]] {
        let output = as_uid(&env, OTHER, args, &without_xdg(&[]), "");
        if args[0] == "token" {
            assert_token(&output, &env);
        } else {
            assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        }
        assert_not_cached_warning(&output);
    }
    // Each call signs in again (nothing could be kept), and nothing was written.
    assert_eq!(env.server.sign_in_count(), 2);
    assert!(!env.home().join(".local").exists());
}

/// The state directory can be written (the lock works) but the data directory cannot be
/// written (a read-only mount of ~/.local/share, say: the session fails to save) or not
/// even read (so the store is found unusable before the sign-in): a CI job's token is
/// handed out all the same, uncached, with one warning, and the next job signs in again.
#[test]
fn a_data_directory_the_job_cannot_write_or_read_still_hands_out_tokens_uncached() {
    if !root_or_skip("a read-only data directory") {
        return;
    }
    for mode in [0o555, 0o000] {
        let env = TestEnv::new();
        let data = env.home().join("data");
        fs::create_dir_all(&data).unwrap();
        chown_tree(env.home(), OTHER);
        fs::set_permissions(&data, fs::Permissions::from_mode(mode)).unwrap();
        let mut vars = vec![("POINTAUTH_STORE", Some("file"))];
        vars.extend_from_slice(&CI);
        for _ in 0..2 {
            let output = as_uid(&env, OTHER, &["token"], &vars, "");
            assert_token(&output, &env);
            let stderr = stderr_of(&output);
            let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
            assert_eq!(warnings.len(), 1, "mode {mode:o}: {stderr}");
            assert!(
                warnings[0].contains("not cached"),
                "mode {mode:o}: {stderr}"
            );
        }
        assert_eq!(env.server.sign_in_count(), 2, "mode {mode:o}");
        assert!(!data.join("pointauth").exists(), "mode {mode:o}");
    }
}

#[test]
fn home_slash_for_an_arbitrary_uid_still_hands_out_tokens() {
    if !root_or_skip("HOME=/ as an arbitrary uid") {
        return;
    }
    let env = TestEnv::new();
    let output = as_uid(
        &env,
        OTHER,
        &["token"],
        &without_xdg(&[("HOME", Some("/"))]),
        "",
    );
    assert_token(&output, &env);
    assert_not_cached_warning(&output);
}

#[test]
fn no_passwd_entry_and_no_home_but_xdg_directories_cache_as_usual() {
    if !root_or_skip("a uid with no passwd entry") {
        return;
    }
    let env = TestEnv::new();
    chown_tree(env.home(), OTHER);
    // The XDG directories are enough: no HOME, and uid 12345 has no passwd entry.
    let vars = {
        let mut vars = vec![("HOME", None), ("POINTAUTH_STORE", Some("file"))];
        vars.extend_from_slice(&CI);
        vars
    };
    for _ in 0..2 {
        let output = as_uid(&env, OTHER, &["token"], &vars, "");
        assert_token(&output, &env);
        assert!(
            !stderr_of(&output).contains("warning"),
            "{}",
            stderr_of(&output)
        );
    }
    assert_eq!(
        env.server.sign_in_count(),
        1,
        "the second token came from the cache"
    );
    assert!(env.session_path("default").exists());
    // And with neither HOME nor XDG directories: a token all the same, uncached.
    let output = as_uid(&env, OTHER, &["token"], &without_xdg(&[("HOME", None)]), "");
    assert_token(&output, &env);
    assert_not_cached_warning(&output);
}

#[test]
fn without_env_credentials_the_read_only_home_is_named_with_the_way_out() {
    if !root_or_skip("a read-only HOME") {
        return;
    }
    let env = TestEnv::new();
    chown_tree(env.home(), OTHER);
    fs::set_permissions(env.home(), fs::Permissions::from_mode(0o555)).unwrap();
    let vars = [("XDG_DATA_HOME", None), ("XDG_STATE_HOME", None)];
    let output = as_uid(
        &env,
        OTHER,
        &[
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ],
        &vars,
        &format!("{DEFAULT_PASSWORD}\n"),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    // What failed, why (the system's words), and what to check.
    let state = env.home().join(".local/state");
    assert_eq!(
        stderr_of(&output),
        format!(
            "pointauth: cannot create {}\n  caused by: Permission denied (os error 13)\n  \
             hint: check the directory's permissions and free space\n",
            state.display()
        )
    );
    let output = as_uid(&env, OTHER, &["token"], &vars, "");
    assert_eq!(
        output.status.code(),
        Some(3),
        "not logged in: {}",
        stderr_of(&output)
    );
}
