//! `pointauth logout`.

use predicates::prelude::*;

use crate::support::*;

#[test]
fn logout_removes_the_session_and_the_profile_memory_and_is_idempotent() {
    let env = TestEnv::new();
    env.login();
    env.cmd()
        .arg("logout")
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("Logged out"));
    assert!(!env.session_path("default").exists());
    assert!(!env.meta_path("default").exists());
    env.cmd()
        .arg("logout")
        .assert()
        .success()
        .stderr(predicate::str::contains("nothing to remove"));
    env.cmd().arg("token").assert().code(3);
    assert_eq!(env.server.request_count(), 1, "logout makes no request");
}

#[test]
fn logout_all_removes_every_profile_and_one_profile_leaves_the_others() {
    let env = TestEnv::new();
    env.login();
    env.login_profile("staging");
    env.login_profile("prod");
    env.cmd()
        .args(["--profile", "prod", "logout"])
        .assert()
        .success();
    assert!(!env.session_path("prod").exists());
    assert!(env.session_path("staging").exists());
    // One line per profile removed, and nothing else.
    env.cmd()
        .args(["logout", "--all"])
        .assert()
        .success()
        .stderr("Logged out of profile `default`.\nLogged out of profile `staging`.\n");
    for profile in ["default", "staging"] {
        assert!(!env.session_path(profile).exists());
        assert!(!env.meta_path(profile).exists());
    }
    env.cmd()
        .args(["logout", "--all"])
        .assert()
        .success()
        .stderr("No profiles; nothing to remove.\n");
    env.cmd()
        .args(["--profile", "prod", "logout"])
        .assert()
        .success()
        .stderr("Profile `prod` was not logged in; nothing to remove.\n");
}

#[test]
fn logout_clears_a_corrupted_session() {
    let env = TestEnv::new();
    env.login();
    std::fs::write(env.session_path("default"), "garbage").unwrap();
    std::fs::write(env.meta_path("default"), "garbage").unwrap();
    env.cmd()
        .arg("status")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("corrupted"));
    env.cmd().arg("logout").assert().success();
    assert!(!env.session_path("default").exists());
    env.login();
}

#[test]
fn logout_all_with_the_file_store_never_asks_a_keychain() {
    // No keychain answers here (the bus address leads nowhere): asking one would be an error
    // with --store file, which is told to stay away from keychains.
    let env = TestEnv::new();
    env.cmd()
        .args(["--store", "file", "login", "--username", DEFAULT_USERNAME])
        .arg("--password-stdin")
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .assert()
        .success();
    env.cmd()
        .args(["--store", "file", "logout", "--all"])
        .assert()
        .success()
        .stderr("Logged out of profile `default`.\n");
}

#[test]
fn logout_all_with_the_keyring_store_says_when_no_keychain_can_be_searched() {
    // Told to look in the keychain, and none answers: not "nothing to remove".
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["--store", "keyring", "logout", "--all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("could not remove pointauth's entries in the OS credential store"),
        "{stderr}"
    );
    assert!(stderr.contains("pointauth logout --all"), "{stderr}");
    assert!(!stderr.contains("nothing to remove"), "{stderr}");
}
