//! The isolated-run builder every integration test uses: a private temporary HOME, every
//! `POINTAUTH_*` variable cleared, no proxy, no D-Bus (so no keychain) unless a test adds one,
//! and a fresh stand-in of the service.

#![allow(dead_code)]

pub mod kernel;
pub mod keyring;
pub mod proxy;
pub mod pty;
pub mod stand_in;
pub mod tls;
pub mod users;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

#[allow(unused_imports)]
pub use stand_in::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, Endpoint, Fault, StandIn, fnv1a, large_body_checksum,
};

/// Variables a developer's shell may carry that would change what pointauth does.
const SCRUBBED: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "TZ",
];

/// The binary under test: this build's, or the one `POINTAUTH_TEST_BIN` names, so a new test
/// can be run against an older pointauth to see it fail before a fix.
pub fn bin() -> PathBuf {
    match std::env::var_os("POINTAUTH_TEST_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => assert_cmd::cargo::cargo_bin!("pointauth").to_path_buf(),
    }
}

pub struct TestEnv {
    pub dir: TempDir,
    pub server: StandIn,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temporary HOME"),
            server: StandIn::start(),
        }
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `pointauth` with the isolated environment, pointed at the stand-in.
    pub fn cmd(&self) -> Command {
        self.isolated(Command::new(bin()))
    }

    /// `pointauth` as `cmd()` gives it, run where the kernel refuses keyring calls (as in a
    /// container under Docker's default seccomp profile); `None` (SKIPPED) without the tools.
    pub fn cmd_without_keyring(&self, test: &str) -> Option<Command> {
        self.cmd_with_keyring_calls_failing("EPERM", test)
    }

    /// As `cmd_without_keyring`, the calls failing with `errno` (a name: `ENOSYS` is what a
    /// kernel built without keys answers).
    pub fn cmd_with_keyring_calls_failing(&self, errno: &str, test: &str) -> Option<Command> {
        let [python, script] = kernel::no_keyring_or_skip(test)?;
        let mut cmd = Command::new(python);
        cmd.arg(script).args(["--errno", errno]).arg(bin());
        Some(self.isolated(cmd))
    }

    /// The namespace of this test's data directory in shared stores (the kernel keyring, the
    /// OS credential store), worked out independently of pointauth.
    pub fn namespace(&self) -> String {
        kernel::namespace_of(&self.home().join("data/pointauth"))
    }

    /// The name of the profile's kernel keyring key (`:access` appended: its quick copy).
    pub fn kernel_key(&self, profile: &str) -> String {
        format!("pointauth:{}:{profile}", self.namespace())
    }

    /// The user name of the profile's OS credential store entry.
    pub fn keychain_user(&self, profile: &str) -> String {
        format!("{profile}@{}", self.namespace())
    }

    /// This test's keys in `uid`'s kernel keyring, as `keyctl` sees them.
    pub fn kernel_keys(&self, uid: u32) -> std::collections::BTreeMap<String, kernel::SeenKey> {
        kernel::keys(uid, &format!("pointauth:{}:", self.namespace()))
    }

    fn isolated(&self, mut cmd: Command) -> Command {
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("POINTAUTH_") {
                cmd.env_remove(&name);
            }
        }
        for name in SCRUBBED {
            cmd.env_remove(name);
        }
        let home = self.home();
        cmd.current_dir(home)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_RUNTIME_DIR", home.join("runtime"))
            // A bus address where nothing listens: the keychain answers "unavailable" at once,
            // and the developer's own keychain is never touched.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}/no-bus", home.display()),
            )
            .env("POINTAUTH_BASE_URL", self.server.base_url())
            .env("TZ", "America/New_York")
            .timeout(std::time::Duration::from_secs(120));
        cmd
    }

    /// `sh -c SCRIPT` with the same isolated environment.
    pub fn cmd_shell(&self, script: &str) -> Command {
        let cmd = self.cmd();
        let mut shell = Command::new("sh");
        shell.arg("-c").arg(script);
        // Copy the isolated environment onto the shell.
        for (name, value) in cmd.get_envs() {
            match value {
                Some(value) => shell.env(name, value),
                None => shell.env_remove(name),
            };
        }
        shell.current_dir(self.home());
        shell
    }

    /// Signs in the default user with the file store and asserts it worked.
    pub fn login(&self) {
        self.cmd()
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
            .success();
    }

    /// `login` for a named profile.
    pub fn login_profile(&self, profile: &str) {
        self.cmd()
            .args([
                "--store",
                "file",
                "--profile",
                profile,
                "login",
                "--username",
                DEFAULT_USERNAME,
                "--password-stdin",
            ])
            .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
            .assert()
            .success();
    }

    pub fn session_path(&self, profile: &str) -> PathBuf {
        self.home()
            .join("data/pointauth")
            .join(format!("{profile}.json"))
    }

    pub fn meta_path(&self, profile: &str) -> PathBuf {
        self.home()
            .join("state/pointauth/profiles")
            .join(format!("{profile}.json"))
    }

    pub fn lock_path(&self, profile: &str) -> PathBuf {
        self.home()
            .join("state/pointauth/locks")
            .join(format!("{profile}.lock"))
    }

    /// Forgets the failure a previous command noted for its waiters, as if the time limit
    /// (after which a note is ignored) had passed: the next command tries for itself.
    pub fn forget_noted_failures(&self, profile: &str) {
        match std::fs::remove_file(self.lock_path(profile)) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => panic!("remove the lock file: {err}"),
        }
    }

    pub fn session_bytes(&self, profile: &str) -> Vec<u8> {
        std::fs::read(self.session_path(profile)).expect("session file")
    }

    /// The profile's stored session, from its file or, where `auto` put it there, from its
    /// kernel keyring key (read with `keyctl`).
    pub fn session(&self, profile: &str) -> Value {
        if !self.session_path(profile).exists()
            && let Some(key) = self
                .kernel_keys(users::euid())
                .remove(&self.kernel_key(profile))
        {
            return serde_json::from_str(&key.payload).expect("session JSON in the kernel key");
        }
        serde_json::from_slice(&self.session_bytes(profile)).expect("session JSON")
    }

    /// Rewrites fields of the stored session (e.g. to move an expiry into the past).
    pub fn edit_session(&self, profile: &str, edit: impl FnOnce(&mut Value)) {
        let mut session = self.session(profile);
        edit(&mut session);
        std::fs::write(self.session_path(profile), session.to_string()).expect("write session");
    }

    pub fn meta(&self, profile: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.meta_path(profile)).expect("metadata file"))
            .expect("metadata JSON")
    }

    /// Rewrites fields of the profile's metadata (what `status` reads), keeping it private.
    pub fn edit_meta(&self, profile: &str, edit: impl FnOnce(&mut Value)) {
        let mut meta = self.meta(profile);
        edit(&mut meta);
        std::fs::write(self.meta_path(profile), meta.to_string()).expect("write metadata");
    }

    pub fn stored_access_token(&self) -> String {
        self.session("default")["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn stored_refresh_token(&self) -> String {
        self.session("default")["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Drop for TestEnv {
    /// Tests share their uid's kernel keyring: this one's keys go with it (root's, and those
    /// of the other test user that pointauth ran as).
    fn drop(&mut self) {
        if kernel::keyctl_available() {
            let prefix = format!("pointauth:{}:", self.namespace());
            kernel::purge(users::euid(), &prefix);
            if users::euid() == 0 {
                kernel::purge(users::OTHER, &prefix);
            }
        }
    }
}

/// The std `Command` equivalent of `env.cmd()` (same program, arguments, environment and
/// directory), for tests that need the child's pid or their own stdio.
pub fn std_cmd(cmd: &assert_cmd::Command) -> std::process::Command {
    let mut std = std::process::Command::new(cmd.get_program());
    std.args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => std.env(key, value),
            None => std.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        std.current_dir(dir);
    }
    std
}

/// A loopback port nothing listens on: bound, read, and released at once, so a connection
/// to it is refused.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a port");
    listener.local_addr().expect("its address").port()
}

/// An RFC 3339 instant `seconds` from now (negative: in the past).
pub fn from_now(seconds: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    rfc3339(now + seconds)
}

/// Formats unix seconds as RFC 3339 UTC (civil-from-days, Howard Hinnant's algorithm).
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Runs `cmd`, asserts it succeeded, and parses its stdout as JSON.
pub fn json_stdout(cmd: &mut Command) -> Value {
    let out = cmd.assert().success().get_output().clone();
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// The keys of a JSON object, sorted.
pub fn sorted_keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
