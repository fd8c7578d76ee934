//! Signals passed on to the command, exit statuses, and what is left after each way of
//! ending: no file, no directory, no zombie.

use std::path::{Path, PathBuf};

use libc::{SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

use crate::support::*;
use crate::*;

const FORWARDED: [(i32, &str); 7] = [
    (SIGINT, "SIGINT"),
    (SIGTERM, "SIGTERM"),
    (SIGHUP, "SIGHUP"),
    (SIGQUIT, "SIGQUIT"),
    (SIGUSR1, "SIGUSR1"),
    (SIGUSR2, "SIGUSR2"),
    (SIGWINCH, "SIGWINCH"),
];

/// pointauth running `child.py signals`, its handlers in; the command's pid.
fn with_signal_recorder(env: &TestEnv, log: &Path) -> (Running, i32) {
    let mut running = start(env, &[], &["signals", log.to_str().unwrap()]);
    let ready = PathBuf::from(format!("{}.ready", log.display()));
    running.wait_until("the command's handlers", || ready.exists());
    let pid = std::fs::read_to_string(&ready).unwrap().parse().unwrap();
    (running, pid)
}

fn logged_in() -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    env.login();
    let runtime = runtime_dir(&env);
    (env, runtime)
}

/// Nothing left: no file or directory, and the command reaped (by pointauth: this process
/// adopts orphans, so an unreaped one would stay here as a zombie).
fn assert_all_gone(runtime: &Path, command: i32) {
    assert_eq!(left_in(runtime), Vec::<String>::new());
    assert!(is_gone(command), "the command {command} is a zombie");
}

#[test]
fn every_signal_sent_to_pointauth_reaches_the_command_exactly_once() {
    adopt_orphans();
    let (env, runtime) = logged_in();
    let log = env.home().join("signals");
    let (mut running, command) = with_signal_recorder(&env, &log);
    let mut expected = Vec::new();
    for (signal, name) in FORWARDED {
        running.signal(signal);
        expected.push(name.to_owned());
        // One at a time: two of a kind pending at once may merge, by Unix rules.
        running.wait_until(name, || lines(&log).len() >= expected.len());
    }
    // A second delivery of any would come at once; give it ample time.
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::fs::write(format!("{}.stop", log.display()), "").unwrap();
    let status = running.wait();
    assert_eq!(lines(&log), expected, "{}", running.stderr());
    assert_eq!(status.code(), Some(0), "{}", running.stderr());
    assert_all_gone(&runtime, command);
}

#[test]
fn pointauth_exits_with_the_commands_status_or_128_plus_its_signal() {
    adopt_orphans();
    let (env, runtime) = logged_in();
    let run = |script: &str| {
        let mut cmd = std::process::Command::new(bin());
        for (name, value) in env.cmd().get_envs() {
            match value {
                Some(value) => cmd.env(name, value),
                None => cmd.env_remove(name),
            };
        }
        cmd.args(["exec", "--token-file", "--", "sh", "-c", script]);
        let mut running = start_command(&env, cmd);
        running.wait()
    };
    assert_eq!(run("exit 7").code(), Some(7));
    assert_eq!(run("exit 0").code(), Some(0));
    assert_eq!(run("kill -TERM $$").code(), Some(128 + SIGTERM));
    assert_eq!(run("kill -KILL $$").code(), Some(128 + SIGKILL));
    assert_eq!(left_in(&runtime), Vec::<String>::new());
}

#[test]
fn a_command_killed_from_outside_leaves_no_file_directory_or_zombie() {
    adopt_orphans();
    let (env, runtime) = logged_in();
    let log = env.home().join("signals");
    let (mut running, command) = with_signal_recorder(&env, &log);
    assert_eq!(left_in(&runtime).len(), 1, "the directory while it runs");
    send(command, SIGKILL);
    assert_eq!(running.wait().code(), Some(128 + SIGKILL));
    assert_all_gone(&runtime, command);
}

#[test]
fn a_sigterm_to_pointauth_ends_the_command_and_pointauth_with_everything_removed() {
    adopt_orphans();
    let (env, runtime) = logged_in();
    // A command that does not catch SIGTERM: it dies of it, and pointauth mirrors that.
    let ready = env.home().join("ready");
    let mut cmd = std::process::Command::new(bin());
    for (name, value) in env.cmd().get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.args(["exec", "--token-file", "--", "sh", "-c"])
        .arg(format!(
            "echo $$ > '{}.tmp'; mv '{0}.tmp' '{0}'; exec sleep 60",
            ready.display()
        ));
    let mut running = start_command(&env, cmd);
    running.wait_until("the command", || ready.exists());
    let command: i32 = std::fs::read_to_string(&ready)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    running.signal(SIGTERM);
    assert_eq!(
        running.wait().code(),
        Some(128 + SIGTERM),
        "{}",
        running.stderr()
    );
    assert_all_gone(&runtime, command);
}

#[test]
fn a_signal_pointauth_was_started_ignoring_stays_ignored_for_the_command() {
    let (env, _runtime) = logged_in();
    let log = env.home().join("env.json");
    // As `nohup` starts it: SIGHUP ignored, which exec(2) keeps; SIGTERM too (signal 15: a
    // bit of the mask other than the first).
    let mut cmd = std::process::Command::new("sh");
    for (name, value) in env.cmd().get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    cmd.arg("-c")
        .arg("trap '' HUP TERM; exec \"$@\"")
        .arg("sh")
        .arg(bin())
        .args(["exec", "--token-file", "--", "python3", "-I"])
        .arg(child_script())
        .args(["env", log.to_str().unwrap()]);
    let mut running = start_command(&env, cmd);
    assert!(running.wait().success(), "{}", running.stderr());
    let seen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(seen["sighup_ignored"], true);
    assert_eq!(seen["sigterm_ignored"], true);
    assert_eq!(seen["sigusr1_ignored"], false, "only those");
}
