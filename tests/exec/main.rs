//! `pointauth exec --token-file` against the local stand-in: the token file kept fresh while
//! the command runs (`file.rs`), signals, exit statuses and the end (`signals.rs`), and the
//! terminal (`terminal.rs`). The command is `child.py` (python3, standard library).
//!
//! Some of these run for many seconds of wall-clock time (tokens that live seconds, refreshed
//! under a reading child): they wait on events, not on the clock, and run in parallel with
//! the rest.

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

mod file;
mod signals;
mod terminal;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::{TestEnv, bin};

/// The longest any one wait lasts; only a failing test waits it out. Each awaited event
/// takes well under a second on a debug build; this is many times that, for a loaded machine.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub fn child_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exec/child.py")
}

/// `pointauth exec --token-file [EXTRA...] -- python3 child.py CHILD...`, started with the
/// test's environment, stdout and stderr to files in its HOME.
pub struct Running {
    pub child: Child,
    pub stderr: PathBuf,
}

impl Running {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for pointauth to end, within `TIMEOUT`.
    pub fn wait(&mut self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > TIMEOUT {
                let _ = self.child.kill();
                panic!("pointauth did not end; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits until `ready` holds while pointauth runs, within `TIMEOUT`.
    pub fn wait_until(&mut self, what: &str, mut ready: impl FnMut() -> bool) {
        let started = Instant::now();
        while !ready() {
            if started.elapsed() > TIMEOUT || self.child.try_wait().unwrap().is_some() {
                let _ = self.child.kill();
                panic!("no {what} while pointauth ran; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until pointauth has said `text` on stderr.
    pub fn wait_for_stderr(&mut self, text: &str) {
        let stderr = self.stderr.clone();
        self.wait_until(&format!("{text:?} on stderr"), || {
            std::fs::read_to_string(&stderr)
                .unwrap_or_default()
                .contains(text)
        });
    }

    pub fn signal(&self, signal: i32) {
        send(self.pid(), signal);
    }
}

pub fn send(pid: i32, signal: i32) {
    let pid = rustix::process::Pid::from_raw(pid).unwrap();
    let signal = rustix::process::Signal::from_named_raw(signal).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
}

pub fn command(env: &TestEnv, extra: &[&str], child: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    for (name, value) in env.cmd().get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.current_dir(env.home())
        .args(["exec", "--token-file"])
        .args(extra)
        .args(["--", "python3", "-I"])
        .arg(child_script())
        .args(child);
    cmd
}

pub fn start(env: &TestEnv, extra: &[&str], child: &[&str]) -> Running {
    start_command(env, command(env, extra, child))
}

pub fn start_command(env: &TestEnv, mut cmd: Command) -> Running {
    let stderr = env.home().join("pointauth.stderr");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("start pointauth");
    Running { child, stderr }
}

/// The lines of a child's log.
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The runtime directory the test environment names, made as a login would make it.
pub fn runtime_dir(env: &TestEnv) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = env.home().join("runtime");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// What pointauth keeps under the runtime directory: nothing once it has ended.
pub fn left_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir.join("pointauth")) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Makes this test process the reaper of orphans below it (Linux): a command pointauth left
/// unreaped would become this process's zombie, visible in /proc, instead of being reaped by
/// init out of sight.
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).unwrap();
}

/// Whether `pid` is gone (not even a zombie).
pub fn is_gone(pid: i32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}
