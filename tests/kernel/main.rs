//! The `kernel` store against the real kernel keyring, with `keyctl` (Debian's keyutils) as the
//! independent client: where sessions go, that data directories stay apart, that logout
//! removes them, what a reboot leaves, a kernel that refuses keyring calls (a seccomp filter,
//! as Docker's default profile sets), and a full quota (a real non-root uid, via `setpriv`).
//! Without keyctl these say SKIPPED (and fail under `CI=true`).

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

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use support::kernel::{self, keyctl_or_skip};
use support::users::{self, as_uid, chown_tree, root_or_skip};
use support::*;

/// A uid for the quota test alone: its keyring quota must not be shared with another test,
/// nor with the same test in a second checkout running at once (a mutation run beside a
/// developer's): the kernel counts the quota per uid, machine-wide.
fn quota_uid() -> u32 {
    200_000 + std::process::id() % 100_000
}

fn login(env: &TestEnv, store: &str, profile: &str) -> Output {
    env.cmd()
        .args(["--store", store, "--profile", profile, "login"])
        .args(["--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap()
}

/// The session JSON in the profile's kernel key, as keyctl reads it.
fn kernel_session(env: &TestEnv, profile: &str) -> Value {
    let keys = env.kernel_keys(users::euid());
    let key = keys
        .get(&env.kernel_key(profile))
        .unwrap_or_else(|| panic!("keyctl finds no key for {profile}: {keys:?}"));
    serde_json::from_str(&key.payload).expect("the key holds the session JSON")
}

/// Every file under `root` that holds one of `needles`.
fn files_holding(root: &Path, needles: &[String]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let bytes = std::fs::read(entry.path()).unwrap();
                for needle in needles {
                    if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                        hits.push(entry.path().display().to_string());
                    }
                }
            }
        }
    }
    hits
}

#[test]
fn kernel_store_login_keeps_the_session_where_keyctl_finds_it_and_nothing_on_disk() {
    if !keyctl_or_skip("the kernel store") {
        return;
    }
    let env = TestEnv::new();
    env.server.set_rotate_refresh_tokens(true);
    let out = login(&env, "kernel", "default");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("kernel store, in memory until reboot"),
        "{stderr}"
    );

    let session = kernel_session(&env, "default");
    assert_eq!(session["username"], DEFAULT_USERNAME);
    assert_eq!(session["base_url"], env.server.base_url());
    let issued = env.server.issued_tokens();
    for field in ["access_token", "refresh_token"] {
        assert!(issued.contains(&session[field].as_str().unwrap().to_owned()));
    }
    // A session has no kernel expiry of its own: it lasts until logout or reboot.
    assert_eq!(
        env.kernel_keys(users::euid())[&env.kernel_key("default")].timeout,
        "perm"
    );

    // `token` hands out what the key holds, with no request.
    let out = env
        .cmd()
        .args(["--store", "kernel", "token"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out).trim_end(),
        session["access_token"].as_str().unwrap()
    );
    assert_eq!(env.server.request_count(), 1);

    // `refresh` rewrites the key: a rotated refresh token is kept.
    env.cmd()
        .args(["--store", "kernel", "refresh"])
        .assert()
        .success();
    let after = kernel_session(&env, "default");
    assert_ne!(after["access_token"], session["access_token"]);
    assert_ne!(after["refresh_token"], session["refresh_token"]);
    env.cmd().arg("refresh").assert().success();
    let again = kernel_session(&env, "default");
    assert_ne!(
        again["refresh_token"], after["refresh_token"],
        "auto follows the metadata"
    );

    // The status says where the session is, and that it ends at reboot.
    let out = env.cmd().arg("status").output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains(&format!(
            "kernel, kernel keyring key {}",
            env.kernel_key("default")
        )),
        "{text}"
    );
    assert!(text.contains("ends at reboot"), "{text}");
    let status: Value = serde_json::from_slice(
        &env.cmd()
            .args(["status", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(status["store"], "kernel");

    // No token, refresh token or password anywhere under HOME.
    let mut secrets = env.server.issued_tokens();
    secrets.push(DEFAULT_PASSWORD.to_owned());
    assert_eq!(files_holding(env.home(), &secrets), Vec::<String>::new());
    assert!(
        env.meta_path("default").exists(),
        "the metadata is on disk, and no secret"
    );
}

#[test]
fn auto_without_a_keychain_keeps_the_session_in_the_kernel_keyring_without_a_warning() {
    if !keyctl_or_skip("auto's kernel keyring") {
        return;
    }
    let env = TestEnv::new();
    // env.cmd() points the bus at nothing: no Secret Service answers.
    let out = env
        .cmd()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("kernel store"), "{stderr}");
    assert!(!env.session_path("default").exists(), "no session file");
    assert_eq!(
        kernel_session(&env, "default")["username"],
        DEFAULT_USERNAME
    );

    // A CI job's sign-in from the environment goes there too.
    let ci = TestEnv::new();
    let out = ci
        .cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out).trim_end(),
        kernel_session(&ci, "default")["access_token"]
            .as_str()
            .unwrap()
    );
    assert!(!ci.session_path("default").exists());
}

#[test]
fn logout_removes_the_key_and_logout_all_also_finds_keys_no_metadata_names() {
    if !keyctl_or_skip("kernel logout") {
        return;
    }
    let env = TestEnv::new();
    for profile in ["default", "work", "spare"] {
        assert!(login(&env, "kernel", profile).status.success());
    }
    assert_eq!(env.kernel_keys(users::euid()).len(), 3);

    env.cmd()
        .args(["--profile", "work", "logout"])
        .assert()
        .success()
        .stderr(predicates::str::contains("Logged out of profile `work`"));
    let keys = env.kernel_keys(users::euid());
    assert!(!keys.contains_key(&env.kernel_key("work")), "{keys:?}");
    assert_eq!(keys.len(), 2, "the other profiles stay: {keys:?}");
    env.cmd()
        .args(["--profile", "work", "logout"])
        .assert()
        .success()
        .stderr(predicates::str::contains("nothing to remove"));
    env.cmd()
        .args(["--profile", "work", "status"])
        .assert()
        .code(3);

    // A key whose metadata is gone is still pointauth's, and `logout --all` finds it.
    std::fs::remove_file(env.meta_path("spare")).unwrap();
    env.cmd()
        .args(["logout", "--all"])
        .assert()
        .success()
        .stderr("Logged out of profile `default`.\nLogged out of profile `spare`.\n");
    assert_eq!(env.kernel_keys(users::euid()).len(), 0);
}

#[test]
fn two_homes_of_one_user_never_share_a_session() {
    if !keyctl_or_skip("namespaced kernel keys") {
        return;
    }
    let first = TestEnv::new();
    let second = TestEnv::new();
    second.server.add_user("bob@example.com", "bobs password");
    assert!(login(&first, "kernel", "default").status.success());
    second
        .cmd()
        .args([
            "--store",
            "kernel",
            "login",
            "--username",
            "bob@example.com",
        ])
        .arg("--password-stdin")
        .write_stdin("bobs password\n")
        .assert()
        .success();
    assert_ne!(first.namespace(), second.namespace());
    assert_eq!(
        kernel_session(&first, "default")["username"],
        DEFAULT_USERNAME
    );
    assert_eq!(
        kernel_session(&second, "default")["username"],
        "bob@example.com"
    );

    // Each HOME's token is its own session's.
    for env in [&first, &second] {
        let out = env.cmd().arg("token").output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert_eq!(
            stdout_of(&out).trim_end(),
            kernel_session(env, "default")["access_token"]
                .as_str()
                .unwrap()
        );
    }
    // Logging out of one leaves the other.
    first.cmd().args(["logout", "--all"]).assert().success();
    assert!(first.kernel_keys(users::euid()).is_empty());
    assert_eq!(
        kernel_session(&second, "default")["username"],
        "bob@example.com"
    );
}

#[test]
fn a_session_the_kernel_no_longer_holds_is_reported_as_ended_at_reboot() {
    if !keyctl_or_skip("a reboot") {
        return;
    }
    let env = TestEnv::new();
    assert!(login(&env, "kernel", "default").status.success());
    // What a reboot does: the kernel keyring is empty, the metadata on disk remains.
    kernel::purge(users::euid(), &env.kernel_key("default"));

    let out = env.cmd().arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("not logged in"), "{text}");
    assert!(text.contains("emptied at reboot"), "{text}");
    assert!(text.contains("pointauth login"), "{text}");
    let status: Value = serde_json::from_slice(
        &env.cmd()
            .args(["status", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(status["logged_in"], false);
    assert!(
        status["reason"].as_str().unwrap().contains("reboot"),
        "{status}"
    );
    // So the README's `status >/dev/null || pointauth login` logs in again.
    env.cmd()
        .arg("token")
        .assert()
        .code(3)
        .stderr(predicates::str::contains("not logged in"));
    let out = env
        .cmd()
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    env.cmd().arg("status").assert().success();
}

#[test]
fn a_session_as_large_as_a_kernel_key_can_be_is_written_and_read_whole() {
    if !keyctl_or_skip("the largest kernel key") {
        return;
    }
    // The kernel's ceiling for a `user` key is 32767 bytes: a session that long (a long
    // refresh token) is kept. The token's length is found by trial, from below: the rest of
    // the session (expiry instants, the access token) may vary by a byte or two per login.
    let env = TestEnv::new();
    let stored = |env: &TestEnv| {
        env.kernel_keys(users::euid())[&env.kernel_key("default")]
            .payload
            .len()
    };
    assert!(login(&env, "kernel", "default").status.success());
    let session = kernel_session(&env, "default");
    let mut size = stored(&env);
    let mut len = session["refresh_token"].as_str().unwrap().len() + 32_767 - size - 16;
    for _ in 0..5 {
        env.server.script(
            Endpoint::SignIn,
            Fault::Patch(serde_json::json!({ "refresh_token": "r".repeat(len) })),
        );
        let out = login(&env, "kernel", "default");
        assert!(out.status.success(), "{size} bytes: {}", stderr_of(&out));
        size = stored(&env);
        if size == 32_767 {
            break;
        }
        len = len + 32_767 - size;
    }
    assert_eq!(size, 32_767);
    let session = kernel_session(&env, "default");
    let out = env
        .cmd()
        .args(["--store", "kernel", "token"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out),
        format!("{}\n", session["access_token"].as_str().unwrap())
    );
}

#[test]
fn a_session_larger_than_a_kernel_key_can_be_is_refused_by_name() {
    if !keyctl_or_skip("a session too large for a kernel key") {
        return;
    }
    let env = TestEnv::new();
    answer_the_next_sign_in_with_a_session_too_large_for_a_key(&env);
    let out = login(&env, "kernel", "default");
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_too_large(&stderr_of(&out));
    assert!(env.kernel_keys(users::euid()).is_empty());

    // `auto` without a keychain keeps it in the file store, and says why.
    answer_the_next_sign_in_with_a_session_too_large_for_a_key(&env);
    let out = login(&env, "auto", "default");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("the session is too large for the kernel keyring"),
        "{}",
        stderr_of(&out)
    );
    assert!(env.session_path("default").exists());
    assert!(env.kernel_keys(users::euid()).is_empty());
}

fn answer_the_next_sign_in_with_a_session_too_large_for_a_key(env: &TestEnv) {
    env.server.script(
        Endpoint::SignIn,
        Fault::Patch(serde_json::json!({ "refresh_token": "r".repeat(40_000) })),
    );
}

/// The message for a session no kernel key can hold: its size, the kernel's limit, and the
/// store that can hold it (not the quota steps of a full keyring, which would not help).
fn assert_too_large(stderr: &str) {
    let first = stderr.lines().next().unwrap_or_default();
    let size = first
        .strip_prefix("pointauth: the kernel keyring cannot hold this session: it is ")
        .and_then(|rest| rest.strip_suffix(" bytes, and one entry holds at most 32767"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(size.parse::<usize>().unwrap() > 40_000, "{stderr}");
    assert!(
        stderr.contains("use --store file, which holds a session of any size"),
        "{stderr}"
    );
    assert!(!stderr.contains("maxbytes"), "{stderr}");
}

/// The same for a CI job's sign-in: the token is not handed out from a session the chosen
/// store refused. (Only a store that can keep nothing here at all, read-only or absent,
/// lets `token` go on uncached, with a warning.)
#[test]
fn a_ci_sign_in_too_large_for_a_kernel_key_is_refused_by_name() {
    if !keyctl_or_skip("a CI session too large for a kernel key") {
        return;
    }
    let env = TestEnv::new();
    answer_the_next_sign_in_with_a_session_too_large_for_a_key(&env);
    let out = env
        .cmd()
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .args(["--store", "kernel", "token"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_too_large(&stderr_of(&out));
    assert_eq!(stdout_of(&out), "", "no token from a session nothing holds");
    assert_eq!(env.server.sign_in_count(), 1);
    assert!(env.kernel_keys(users::euid()).is_empty());
}

#[test]
fn a_kernel_that_refuses_keyring_calls_or_lacks_them_says_which() {
    let test = "a kernel that refuses keyring calls";
    for (errno, reason) in [
        // Docker's default seccomp profile.
        (
            "EPERM",
            "the kernel refuses keyring calls here (a container's seccomp profile blocks them)",
        ),
        ("ENOSYS", "this kernel has no keyring calls"),
        // An error without a name in the keyutils crate: in the system's words.
        (
            "EIO",
            "the kernel answered: Input/output error (os error 5)",
        ),
    ] {
        let env = TestEnv::new();
        let Some(mut cmd) = env.cmd_with_keyring_calls_failing(errno, test) else {
            return;
        };
        let out = cmd
            .args(["--store", "kernel", "login", "--username", DEFAULT_USERNAME])
            .arg("--password-stdin")
            .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        let stderr = stderr_of(&out);
        assert!(
            stderr.starts_with(&format!(
                "pointauth: the kernel keyring is not available: {reason}\n"
            )),
            "{errno}: {stderr}"
        );
        // The hint: what the container's profile must allow, not how to start a keychain.
        assert!(stderr.contains("allows add_key and keyctl"), "{stderr}");
        assert!(!stderr.contains("troubleshooting"), "{stderr}");
        assert!(stderr.contains("--store file"), "{stderr}");
        assert_eq!(env.server.request_count(), 0, "nothing sent");
    }
}

#[test]
fn where_the_kernel_refuses_keyring_calls_kernel_fails_clearly_and_auto_uses_the_file() {
    let env = TestEnv::new();
    let test = "a kernel that refuses keyring calls";
    if env.cmd_without_keyring(test).is_none() {
        return;
    }
    // --store kernel: exit 1 before anything is asked or sent (the login's refusal, with
    // its hint, is `a_kernel_that_refuses_keyring_calls_or_lacks_them_says_which`).
    let out = env
        .cmd_without_keyring(test)
        .unwrap()
        .args(["--store", "kernel", "token"])
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "");
    assert_eq!(
        env.server.request_count(),
        0,
        "no credentials sent for a session it cannot keep"
    );

    // auto: the file store, with the warning that says why.
    let out = env
        .cmd_without_keyring(test)
        .unwrap()
        .arg("token")
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the kernel keyring is blocked"), "{stderr}");
    assert!(env.session_path("default").exists());
    // status and logout work there too; logout of the file session succeeds.
    env.cmd_without_keyring(test)
        .unwrap()
        .arg("status")
        .assert()
        .success();
    env.cmd_without_keyring(test)
        .unwrap()
        .arg("logout")
        .assert()
        .success();
    assert!(!env.session_path("default").exists());

    // logout --all: auto passes over a kernel that refuses keyring calls (nothing can be in
    // it); --store kernel names the refusal, since that is where it was told to look.
    env.cmd_without_keyring(test)
        .unwrap()
        .args(["login", "--username", DEFAULT_USERNAME, "--password-stdin"])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .success();
    env.cmd_without_keyring(test)
        .unwrap()
        .args(["logout", "--all"])
        .assert()
        .success()
        .stderr("Logged out of profile `default`.\n");
    assert!(!env.session_path("default").exists());
    let out = env
        .cmd_without_keyring(test)
        .unwrap()
        .args(["--store", "kernel", "logout", "--all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("kernel refuses keyring calls"), "{stderr}");
}

/// Empties `uid`'s persistent keyring of pointauth's keys when dropped.
struct Purge(u32);

impl Drop for Purge {
    fn drop(&mut self) {
        kernel::purge(self.0, "pointauth:");
    }
}

#[test]
fn a_kernel_session_logout_cannot_reach_is_named_and_kept_not_reported_gone() {
    // Logged in to the kernel keyring; then logout runs where keyring calls are refused (a
    // sandbox). The session is still there, so logout must say so, not "logged out".
    let env = TestEnv::new();
    let test = "logout of a kernel session where keyring calls are refused";
    if !keyctl_or_skip(test) || env.cmd_without_keyring(test).is_none() {
        return;
    }
    assert!(login(&env, "kernel", "default").status.success());
    let out = env
        .cmd_without_keyring(test)
        .unwrap()
        .arg("logout")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("kernel refuses keyring calls"), "{stderr}");
    assert!(!stderr.contains("Logged out"), "{stderr}");
    assert_eq!(
        kernel_session(&env, "default")["username"],
        DEFAULT_USERNAME
    );
    // Where the kernel answers, logout removes it.
    env.cmd().arg("logout").assert().success();
    assert_eq!(env.kernel_keys(users::euid()).len(), 0);
}

#[test]
fn a_full_key_quota_is_a_clear_error_and_auto_falls_back_to_the_file() {
    if !root_or_skip("a full key quota") || !keyctl_or_skip("a full key quota") {
        return;
    }
    let uid = quota_uid();
    let env = TestEnv::new();
    chown_tree(env.home(), uid);
    let _purge = Purge(uid);
    kernel::purge(uid, "pointauth:");
    let login_as = |store: &str, profile: &str| {
        as_uid(
            &env,
            uid,
            &[
                "--store",
                store,
                "--profile",
                profile,
                "login",
                "--username",
                DEFAULT_USERNAME,
                "--password-stdin",
            ],
            &[],
            &format!("{DEFAULT_PASSWORD}\n"),
        )
    };
    // A non-root user may hold 20000 bytes of keys by default: about a dozen sessions.
    let mut stored = 0;
    let refusal = loop {
        let out = login_as("kernel", &format!("p{stored}"));
        if !out.status.success() {
            break out;
        }
        stored += 1;
        assert!(stored < 100, "the quota never filled");
    };
    assert!(stored >= 3, "only {stored} sessions fit");
    assert_eq!(refusal.status.code(), Some(1), "{}", stderr_of(&refusal));
    let stderr = stderr_of(&refusal);
    assert!(stderr.contains("the kernel keyring is full"), "{stderr}");
    assert!(
        stderr.contains("maxbytes") && stderr.contains("log out"),
        "{stderr}"
    );
    eprintln!("{stored} sessions fitted in the quota");

    // auto puts the one that does not fit in the file store, and says why.
    let out = login_as("auto", "overflow");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("the kernel keyring is full"),
        "{}",
        stderr_of(&out)
    );
    assert!(env.session_path("overflow").exists());
    // Nothing stored before was lost.
    for profile in 0..stored {
        let out = as_uid(
            &env,
            uid,
            &["--profile", &format!("p{profile}"), "token"],
            &[],
            "",
        );
        assert!(out.status.success(), "p{profile}: {}", stderr_of(&out));
    }
}

#[test]
fn pointauth_links_nothing_into_the_login_session_keyring() {
    if !keyctl_or_skip("the session keyring") {
        return;
    }
    let env = TestEnv::new();
    assert!(login(&env, "kernel", "default").status.success());
    // Inside a login session keyring (as PAM gives one), `token` finds the session through
    // its own process keyring and leaves the session keyring as it was: empty.
    let out = env
        .cmd_shell(&format!(
            "keyctl session - sh -c '{} --store kernel token >/dev/null && keyctl rlist @s'",
            bin().display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out).trim(),
        "",
        "the session keyring holds: {}",
        stdout_of(&out)
    );
}
