//! pointauth on a real pseudo-terminal with no shell between them: `pty.py` (Python's
//! standard library; python3 is on every machine and in CI) owns the pty and is pointauth's
//! job-control parent, and this is the test's handle on it. The pty shows only what
//! pointauth writes to /dev/tty: its stdout and stderr go to files.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::{TestEnv, bin};

/// The longest any one wait lasts. Each waited-for event (a prompt shown, an exit, a stop)
/// takes well under a second on a debug build; this is many times that, for a loaded CI
/// machine, and only a failing test ever waits it out.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// How pointauth stands, as `waitpid` told the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
    Stopped(i32),
}

/// The pty's local modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modes {
    pub echo: bool,
    pub icanon: bool,
    pub isig: bool,
}

pub struct Terminal {
    driver: Child,
    commands: Option<ChildStdin>,
    replies: BufReader<ChildStdout>,
    output: PathBuf,
}

impl TestEnv {
    /// Starts `pointauth ARGS` on a new pty, with this environment.
    pub fn on_terminal(&self, args: &[&str]) -> Terminal {
        self.on_terminal_reading(None, args)
    }

    /// As `on_terminal`, but with standard input read from `stdin` (a file), as in
    /// `pointauth ARGS <FILE` typed at a terminal: the pty is still the controlling terminal.
    pub fn on_terminal_reading(&self, stdin: Option<&Path>, args: &[&str]) -> Terminal {
        let output = self.home().join("pty-output");
        std::fs::create_dir_all(&output).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pty.py");
        let mut driver = std::process::Command::new("python3");
        // -I: Python ignores PYTHON* variables and user site packages.
        driver.arg("-I").arg(script);
        if let Some(stdin) = stdin {
            driver.arg("--stdin").arg(stdin);
        }
        driver
            .arg(output.join("stdout"))
            .arg(output.join("stderr"))
            .arg(bin())
            .args(args);
        for (name, value) in self.cmd().get_envs() {
            match value {
                Some(value) => driver.env(name, value),
                None => driver.env_remove(name),
            };
        }
        let mut driver = driver
            .current_dir(self.home())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start python3 tests/support/pty.py");
        Terminal {
            commands: driver.stdin.take(),
            replies: BufReader::new(driver.stdout.take().unwrap()),
            driver,
            output,
        }
    }
}

impl Terminal {
    /// Waits until the terminal shows `text` (after what earlier calls matched), and returns
    /// what it showed before it.
    pub fn expect(&mut self, text: &str) -> String {
        let reply = self.ask(json!({
            "op": "expect",
            "text": hex(text.as_bytes()),
            "timeout": TIMEOUT.as_secs_f64(),
        }));
        if reply["ok"] != true {
            panic!(
                "the terminal never showed {text:?}; it showed {:?}\nstderr: {}",
                unhex(&reply["seen"]),
                self.stderr()
            );
        }
        unhex(&reply["before"])
    }

    /// Types `keys`.
    pub fn send(&mut self, keys: &[u8]) {
        self.ask(json!({"op": "send", "bytes": hex(keys)}));
    }

    /// Waits until pointauth exits, is killed or stops.
    pub fn wait(&mut self) -> Status {
        let reply = self.ask(json!({"op": "wait", "timeout": TIMEOUT.as_secs_f64()}));
        let number = |key: &str| reply[key].as_i64().map(|n| n as i32);
        if let Some(code) = number("exited") {
            Status::Exited(code)
        } else if let Some(signal) = number("signaled") {
            Status::Signaled(signal)
        } else if let Some(signal) = number("stopped") {
            Status::Stopped(signal)
        } else {
            panic!(
                "pointauth neither exited nor stopped within {TIMEOUT:?}; the terminal showed \
                 {:?}\nstderr: {}",
                self.transcript(),
                self.stderr()
            );
        }
    }

    /// Hangs the terminal up (needs root), as the end of a login session does: its reads
    /// see the end of file.
    pub fn hang_up(&mut self) {
        let reply = self.ask(json!({"op": "hangup"}));
        assert_eq!(reply["ok"], true, "vhangup: {reply}");
    }

    /// Closes the pty, as a terminal emulator that dies does; only `wait` and the output
    /// files are left to ask.
    pub fn close(&mut self) {
        self.ask(json!({"op": "close"}));
    }

    /// Continues pointauth's process group, as a shell's `fg` does.
    pub fn resume(&mut self) {
        self.ask(json!({"op": "resume"}));
    }

    pub fn modes(&mut self) -> Modes {
        let reply = self.ask(json!({"op": "modes"}));
        Modes {
            echo: reply["echo"] == true,
            icanon: reply["icanon"] == true,
            isig: reply["isig"] == true,
        }
    }

    /// Everything the terminal has shown.
    pub fn transcript(&mut self) -> String {
        let reply = self.ask(json!({"op": "transcript"}));
        unhex(&reply["shown"])
    }

    /// What pointauth wrote to stdout (a file, not the terminal).
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.output.join("stdout")).unwrap_or_default()
    }

    /// What pointauth wrote to stderr (a file, not the terminal).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.output.join("stderr")).unwrap_or_default()
    }

    fn ask(&mut self, command: Value) -> Value {
        let commands = self.commands.as_mut().expect("the driver is running");
        let sent = writeln!(commands, "{command}").and_then(|()| commands.flush());
        let mut reply = String::new();
        let read = sent.and_then(|()| self.replies.read_line(&mut reply));
        if !matches!(read, Ok(n) if n > 0) {
            let mut errors = String::new();
            if let Some(stderr) = self.driver.stderr.as_mut() {
                let _ = stderr.read_to_string(&mut errors);
            }
            panic!("pty.py failed ({read:?}) on {command}:\n{errors}");
        }
        let reply: Value = serde_json::from_str(&reply).expect("pty.py answers JSON");
        if reply.get("error").is_some() {
            panic!("pty.py refused {command}: {reply}");
        }
        reply
    }
}

impl Drop for Terminal {
    /// The end of the commands: the driver kills pointauth if it still runs, and exits.
    fn drop(&mut self) {
        drop(self.commands.take());
        let _ = self.driver.wait();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(value: &Value) -> String {
    let text = value.as_str().unwrap_or_default();
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
