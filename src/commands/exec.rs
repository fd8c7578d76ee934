//! `pointauth exec -- CMD`: run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token.

use std::process::{Command, ExitCode};

use crate::broker::{self, Want};
use crate::cli::ExecArgs;
use crate::error::{Error, Result};
use crate::settings::Ctx;

pub fn run(ctx: &Ctx, args: ExecArgs) -> Result<ExitCode> {
    let session = broker::obtain(ctx, Want::MinTtl(args.min_ttl))?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::usage("no command given").hint("pointauth exec -- CMD [ARGS...]"))?;
    let mut command = Command::new(program);
    // The command gets the token, never the password pointauth may have signed in with.
    command
        .args(rest)
        .env_remove("POINTAUTH_PASSWORD")
        .env("POINTAUTH_ACCESS_TOKEN", session.access_token.expose());
    let err = replace_process(&mut command);
    // Like env(1) and sudo: 127 when the command does not exist, 126 when it cannot run.
    let (code, what) = if err.kind() == std::io::ErrorKind::NotFound {
        (127, "not found")
    } else {
        (126, "could not be started")
    };
    Error::internal(format!("command `{}` {what}", program.to_string_lossy()))
        .cause(err)
        .report();
    Ok(ExitCode::from(code))
}

/// Becomes the command (Unix `exec`): its exit status, or the signal that killed it, is
/// what the caller sees, and signals reach it directly. Returns only on failure.
#[cfg(unix)]
fn replace_process(command: &mut Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    command.exec()
}

/// Elsewhere: runs the command and exits with its status.
#[cfg(not(unix))]
fn replace_process(command: &mut Command) -> std::io::Error {
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(err) => err,
    }
}
