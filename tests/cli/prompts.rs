//! `pointauth login`'s prompts on a real terminal: a pty with no shell between it and
//! pointauth (`support/pty.rs`). The pty shows only what pointauth writes to /dev/tty; its
//! stdout and stderr are files.

use crate::support::pty::{Modes, Status, Terminal};
use crate::support::*;

/// A new pty's modes, which pointauth must leave as it found them.
const AS_FOUND: Modes = Modes {
    echo: true,
    icanon: true,
    isig: true,
};

fn password_prompt(username: &str) -> String {
    format!("Password for {username}: ")
}

/// `login --username` at its password prompt.
fn at_the_password_prompt(env: &TestEnv) -> Terminal {
    let mut tty = env.on_terminal(&["--store", "file", "login", "--username", DEFAULT_USERNAME]);
    tty.expect(&password_prompt(DEFAULT_USERNAME));
    tty
}

/// No part of the password on the terminal.
fn assert_never_shown(tty: &mut Terminal, password: &str) {
    let shown = tty.transcript();
    for word in password.split(' ') {
        assert!(!shown.contains(word), "{word:?} was shown: {shown:?}");
    }
}

#[test]
fn a_login_at_the_terminal_prompts_there_for_both_and_never_shows_the_password() {
    let env = TestEnv::new();
    // No --username, no POINTAUTH_USERNAME, nothing remembered: the username is asked.
    let mut tty = env.on_terminal(&["--store", "file", "login"]);
    tty.expect("Username: ");
    tty.send(format!("{DEFAULT_USERNAME}\r").as_bytes());
    tty.expect(&format!("{DEFAULT_USERNAME}\r\n")); // echoed as typed
    tty.expect(&password_prompt(DEFAULT_USERNAME));
    assert!(!tty.modes().echo, "echo is off at the password prompt");
    tty.send(format!("{DEFAULT_PASSWORD}\r").as_bytes());
    assert_eq!(tty.wait(), Status::Exited(0), "stderr: {}", tty.stderr());

    assert_never_shown(&mut tty, DEFAULT_PASSWORD);
    assert_eq!(tty.modes(), AS_FOUND);
    assert_eq!(tty.stdout(), "");
    let stderr = tty.stderr();
    assert!(stderr.contains("Logged in to 127.0.0.1"), "{stderr}");
    assert!(
        !stderr.contains("Username") && !stderr.contains("Password"),
        "the prompts go to the terminal, not to stderr: {stderr}"
    );
    assert_eq!(env.server.sign_in_count(), 1);
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["username"], DEFAULT_USERNAME);
    assert_eq!(body["password"], DEFAULT_PASSWORD);
    assert_eq!(env.session("default")["username"], DEFAULT_USERNAME);
}

#[test]
fn ctrl_c_at_the_password_prompt_exits_130_with_the_terminal_restored_and_nothing_sent() {
    let env = TestEnv::new();
    let mut tty = at_the_password_prompt(&env);
    tty.send(b"correct\x03");
    let ended = (tty.wait(), tty.modes());
    assert_eq!(ended, (Status::Exited(130), AS_FOUND), "{}", tty.stderr());
    assert_eq!(
        tty.transcript(),
        format!("{}\r\n", password_prompt(DEFAULT_USERNAME))
    );
    assert!(tty.stderr().contains("interrupted"), "{}", tty.stderr());
    assert_eq!(env.server.request_count(), 0);
    assert!(!env.session_path("default").exists());
}

#[test]
fn ctrl_c_at_the_username_prompt_exits_130_with_the_terminal_restored() {
    let env = TestEnv::new();
    let mut tty = env.on_terminal(&["--store", "file", "login"]);
    tty.expect("Username: ");
    tty.send(b"ali\x03");
    let ended = (tty.wait(), tty.modes());
    assert_eq!(ended, (Status::Exited(130), AS_FOUND), "{}", tty.stderr());
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn ctrl_d_at_the_password_prompt_cancels_with_exit_2_and_nothing_sent() {
    // On an empty line, and after some of the password: Ctrl-D cancels either way.
    for keys in [&b"\x04"[..], b"correct\x04"] {
        let env = TestEnv::new();
        let mut tty = at_the_password_prompt(&env);
        tty.send(keys);
        let ended = (tty.wait(), tty.modes());
        assert_eq!(ended, (Status::Exited(2), AS_FOUND), "{}", tty.stderr());
        let stderr = tty.stderr();
        assert!(stderr.contains("login cancelled"), "{stderr}");
        assert!(stderr.contains("hint:"), "{stderr}");
        assert_eq!(env.server.request_count(), 0);
        assert!(!env.session_path("default").exists());
    }
}

#[test]
fn ctrl_d_at_the_username_prompt_cancels_with_exit_2() {
    let env = TestEnv::new();
    let mut tty = env.on_terminal(&["--store", "file", "login"]);
    tty.expect("Username: ");
    tty.send(b"ali\x04");
    let ended = (tty.wait(), tty.modes());
    assert_eq!(ended, (Status::Exited(2), AS_FOUND), "{}", tty.stderr());
    assert!(tty.stderr().contains("login cancelled"), "{}", tty.stderr());
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn with_stdin_redirected_the_username_is_never_asked_even_at_a_terminal() {
    // `pointauth login <file` typed at a terminal: nobody is typing into stdin, so a missing
    // username is an error with its hint, not a question on the terminal.
    let env = TestEnv::new();
    let stdin = env.home().join("password");
    std::fs::write(&stdin, format!("{DEFAULT_PASSWORD}\n")).unwrap();
    for args in [&["login"][..], &["login", "--password-stdin"]] {
        let mut tty = env.on_terminal_reading(Some(&stdin), args);
        assert_eq!(tty.wait(), Status::Exited(2), "{args:?}: {}", tty.stderr());
        let stderr = tty.stderr();
        assert!(stderr.contains("no username given"), "{stderr}");
        assert!(stderr.contains("--username"), "{stderr}");
        assert_eq!(tty.transcript(), "", "nothing shown on the terminal");
    }
    assert_eq!(env.server.request_count(), 0);
}

#[test]
fn ctrl_z_at_the_password_prompt_stops_with_echo_on_and_fg_returns_to_it_with_echo_off() {
    let env = TestEnv::new();
    let mut tty = at_the_password_prompt(&env);
    let (typed, rest) = DEFAULT_PASSWORD.split_at(8);
    tty.send(typed.as_bytes());
    tty.send(b"\x1a");
    assert_eq!(
        tty.wait(),
        Status::Stopped(libc::SIGTSTP),
        "stderr: {}",
        tty.stderr()
    );
    assert_eq!(
        tty.modes(),
        AS_FOUND,
        "the shell gets its terminal back while stopped"
    );

    tty.resume();
    tty.expect(&password_prompt(DEFAULT_USERNAME)); // shown again
    assert!(!tty.modes().echo, "echo is off again after fg");
    tty.send(format!("{rest}\r").as_bytes());
    assert_eq!(tty.wait(), Status::Exited(0), "stderr: {}", tty.stderr());

    // What was typed before the stop was kept: the service got the whole password.
    assert_eq!(env.server.sign_in_count(), 1);
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["password"], DEFAULT_PASSWORD);
    assert_never_shown(&mut tty, DEFAULT_PASSWORD);
    assert_eq!(tty.modes(), AS_FOUND);
}

#[test]
fn a_terminal_that_goes_away_at_the_password_prompt_ends_the_login_and_sends_nothing() {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    let login = ["--store", "file", "login", "--username", DEFAULT_USERNAME];
    let at_prompt = |tty: &mut Terminal| tty.expect(&password_prompt(DEFAULT_USERNAME));
    let cancelled = |tty: &mut Terminal| {
        assert_eq!(tty.wait(), Status::Exited(2), "stderr: {}", tty.stderr());
        assert!(
            tty.stderr().starts_with("pointauth: login cancelled\n"),
            "{}",
            tty.stderr()
        );
    };
    // A terminal emulator that dies: reads answer EIO.
    let mut tty = env.on_terminal(&login);
    at_prompt(&mut tty);
    tty.close();
    cancelled(&mut tty);
    // A terminal hung up, as at the end of a login session: reads see the end of file.
    // (The SIGHUP that a shell then sends its jobs is the shell's; the driver sends none.)
    if users::root_or_skip("a terminal hung up (vhangup)") {
        let mut tty = env.on_terminal(&login);
        at_prompt(&mut tty);
        tty.hang_up();
        cancelled(&mut tty);
    }
    assert_eq!(
        env.server.sign_in_count(),
        1,
        "only the first login signed in"
    );
    assert_eq!(env.session_bytes("default"), before);
}

#[test]
fn backspace_and_ctrl_u_edit_the_password_before_it_is_sent() {
    let env = TestEnv::new();
    let (username, password) = ("bob@example.com", "pässwörd");
    env.server.add_user(username, password);
    let mut tty = env.on_terminal(&["--store", "file", "login", "--username", username]);
    tty.expect(&password_prompt(username));
    // Ctrl-U drops "garbage"; DEL takes back the whole two-byte "ö", not one byte of it.
    tty.send("garbage\x15pässwörö\x7fd\r".as_bytes());
    assert_eq!(tty.wait(), Status::Exited(0), "stderr: {}", tty.stderr());
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["password"], password);
    assert_never_shown(&mut tty, "garbage pässwör");
    // Nothing is rubbed out on a hidden line either: the screen says nothing of its length.
    let shown = tty.transcript();
    assert!(!shown.contains('\x08'), "{shown:?}");
}

#[test]
fn backspace_edits_the_username_on_the_screen_and_in_what_is_sent() {
    let env = TestEnv::new();
    let mut tty = env.on_terminal(&["--store", "file", "login"]);
    tty.expect("Username: ");
    // A Backspace with nothing typed yet leaves the prompt alone; Ctrl-U rubs out the line.
    tty.send(format!("\x7fjunk\x15{DEFAULT_USERNAME}x\x7f\r").as_bytes());
    // Rubbed out on the screen: back, blank, back.
    tty.expect(&format!("{DEFAULT_USERNAME}x\x08 \x08\r\n"));
    tty.expect(&password_prompt(DEFAULT_USERNAME));
    tty.send(format!("{DEFAULT_PASSWORD}\r").as_bytes());
    assert_eq!(tty.wait(), Status::Exited(0), "stderr: {}", tty.stderr());
    let shown = tty.transcript();
    assert!(
        shown.contains(&format!(
            "Username: junk{}{DEFAULT_USERNAME}x\x08 \x08\r\n",
            "\x08 \x08".repeat(4)
        )),
        "{shown:?}"
    );
    let body = env.server.requests()[0].body_json().unwrap();
    assert_eq!(body["username"], DEFAULT_USERNAME);
}
