//! `exec --token-file` on a real terminal (`support/pty.rs`: a pty with no shell between it
//! and pointauth, whose driver puts pointauth's process group in the foreground).

use crate::support::pty::Status;
use crate::support::*;
use crate::*;

#[test]
fn the_command_keeps_the_terminal_and_a_typed_ctrl_c_reaches_it_exactly_once() {
    let env = TestEnv::new();
    env.login();
    let runtime = runtime_dir(&env);
    let script = child_script();
    let mut tty = env.on_terminal(&[
        "exec",
        "--token-file",
        "--",
        "python3",
        "-I",
        script.to_str().unwrap(),
        "tty",
    ]);
    tty.expect("foreground=True\r\n");
    tty.expect("ready\r\n");
    tty.send(b"\x03");
    // The child exits with the number of SIGINTs it saw in the second after the first.
    tty.expect("interrupts=1\r\n");
    assert_eq!(tty.wait(), Status::Exited(1), "stderr: {}", tty.stderr());
    assert_eq!(left_in(&runtime), Vec::<String>::new());
}
