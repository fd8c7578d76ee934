//! `cargo run --example tour`: pointauth's whole job in half a minute, with no account.
//!
//! Starts the stand-in of the service on a free loopback port, and in a throw-away HOME runs
//! `login` (the password on stdin), `token`, an authenticated `api` call, `status` and
//! `logout`, printing each command and what it printed; then stops the stand-in. It runs the
//! `pointauth` on PATH (what `cargo install --path .` put there), or the one named by
//! `POINTAUTH_TOUR_BIN`. Exit status 1 if a step did not do what it should.

// The stand-in's module shares its items with the tests through `pub`.
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
#[path = "../tests/support/stand_in/mod.rs"]
mod stand_in;

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use stand_in::{DEFAULT_PASSWORD, DEFAULT_USERNAME, StandIn};

struct Tour<'a> {
    bin: &'a str,
    home: &'a Path,
    base_url: String,
}

impl Tour<'_> {
    /// Runs `pointauth ARGS` (with `stdin` fed in), shows it, and says whether it exited 0.
    fn step(&self, shown: &str, args: &[&str], stdin: Option<&str>) -> Option<String> {
        println!("$ {shown}");
        let mut cmd = Command::new(self.bin);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            // The tour's session goes to a file in its throw-away HOME, never to your keychain.
            .env("POINTAUTH_STORE", "file")
            .env("POINTAUTH_BASE_URL", &self.base_url)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(err) => {
                eprintln!("tour: cannot run {}: {err}", self.bin);
                eprintln!(
                    "tour: install pointauth first (cargo install --path .), or set POINTAUTH_TOUR_BIN"
                );
                return None;
            }
        };
        if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
            input.write_all(text.as_bytes()).ok()?;
        }
        let output = child.wait_with_output().ok()?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        for line in stdout.lines() {
            println!("{line}");
        }
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            println!("{line}");
        }
        println!();
        output.status.success().then_some(stdout)
    }
}

fn main() -> ExitCode {
    let bin = std::env::var("POINTAUTH_TOUR_BIN").unwrap_or_else(|_| "pointauth".to_owned());
    let home = tempfile::tempdir().expect("a temporary directory");
    let server = StandIn::start();
    let tour = Tour {
        bin: &bin,
        home: home.path(),
        base_url: server.base_url(),
    };
    println!(
        "# The stand-in of the service listens on {}; HOME is {} for this tour.",
        tour.base_url,
        home.path().display()
    );
    println!("# Its user is {DEFAULT_USERNAME}, password `{DEFAULT_PASSWORD}`.\n");

    let ok = (|| {
        println!("# Sign in once (a person would type the password at a hidden prompt):");
        tour.step(
            &format!("echo '{DEFAULT_PASSWORD}' | pointauth login --username {DEFAULT_USERNAME} --password-stdin"),
            &["login", "--username", DEFAULT_USERNAME, "--password-stdin"],
            Some(&format!("{DEFAULT_PASSWORD}\n")),
        )?;
        println!("# A fresh access token, refreshed behind the scenes when it gets old:");
        let token = tour.step("pointauth token", &["token"], None)?;
        if token.trim().split('.').count() != 3 {
            eprintln!("tour: `pointauth token` did not print a JWT");
            return None;
        }
        println!("# An authenticated request; the token never appears on a command line:");
        tour.step("pointauth api /whoami", &["api", "/whoami"], None)?;
        println!("# Who is signed in, and until when (no request, no keychain):");
        tour.step("pointauth status", &["status"], None)?;
        println!("# Done: remove the session.");
        tour.step("pointauth logout", &["logout"], None)?;
        Some(())
    })()
    .is_some();
    let calls = server.request_count();
    drop(server);
    if ok {
        println!(
            "# The stand-in answered {calls} requests and has stopped. That is the whole job."
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("tour: a step failed (shown above)");
        ExitCode::FAILURE
    }
}
