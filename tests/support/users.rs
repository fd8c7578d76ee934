//! Another local user, for the tests that need one: root plants files owned by that uid
//! (`lchown`), and runs pointauth as it with `setpriv`. Without root the tests say SKIPPED
//! (and fail under CI=true, since CI runs as root).

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::{TestEnv, bin};

/// A uid that is nobody on the machine (no passwd entry).
pub const OTHER: u32 = 12345;

pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether the test can act as root; without root it says so (and fails under CI=true).
pub fn root_or_skip(test: &str) -> bool {
    if euid() == 0 {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none_or(|ci| ci != "true"),
        "{test} needs root in CI"
    );
    eprintln!("SKIPPED: {test} needs root (to act as another user)");
    false
}

pub fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

pub fn chown_tree(path: &Path, uid: u32) {
    chown(path, uid);
    if path.is_dir() && !path.is_symlink() {
        for entry in fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid);
        }
    }
}

/// The environment `env.cmd()` would give pointauth.
pub fn isolated_env(env: &TestEnv) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
    env.cmd()
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
        .collect()
}

/// `pointauth ARGS` as `uid` (`setpriv`), with the test's environment, `vars` on top (a
/// `None` value removes the variable) and `stdin` as its input.
pub fn as_uid(
    env: &TestEnv,
    uid: u32,
    args: &[&str],
    vars: &[(&str, Option<&str>)],
    stdin: &str,
) -> Output {
    use std::io::Write as _;
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid",
        &uid.to_string(),
        "--regid",
        &uid.to_string(),
        "--clear-groups",
    ])
    .arg(bin())
    .args(args)
    .env_clear()
    .envs(isolated_env(env))
    .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in vars {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // pointauth may exit before it reads its input (a refusal comes first): a broken pipe
    // here is its answer, not a failure of the test.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}
