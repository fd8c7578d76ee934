//! `pointauth exec -- CMD`: run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token;
//! with `--token-file`, stay as its parent and keep a file with a fresh token for it
//! (`supervise.rs`, on the refresh plan of `schedule.rs` and the signals of `signals.rs`).

#[cfg(unix)]
mod schedule;
#[cfg(unix)]
mod signals;
#[cfg(unix)]
mod supervise;

use std::ffi::{OsStr, OsString};
use std::process::{Command, ExitCode};

use super::{Ctx, show_warnings};
use crate::auth::{MinTtl, Want};
use crate::error::{Error, Result};
use crate::output::{report, rfc3339};
use crate::session::Access;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) min_ttl: MinTtl,
    /// Stay as the command's parent and keep a token file fresh for it.
    pub(crate) token_file: bool,
    /// The program and its arguments; clap makes sure there is a program.
    pub(crate) command: Vec<OsString>,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let (program, rest) = options
        .command
        .split_first()
        .ok_or_else(|| Error::usage("no command given").hint("pointauth exec -- CMD [ARGS...]"))?;
    if options.token_file && !cfg!(unix) {
        return Err(Error::usage("--token-file is available on Unix only")
            .hint("run the command without --token-file, with a --min-ttl that covers its run"));
    }
    let obtained = ctx.obtain(Want::Fresh(options.min_ttl))?;
    show_warnings(ctx, &obtained);
    let mut command = command_for(program, rest, &obtained.access);
    #[cfg(unix)]
    if options.token_file {
        return supervise::run(ctx, options.min_ttl, command, program, obtained.access);
    }
    let err = replace_process(&mut command);
    Ok(not_started(program, err))
}

/// CMD with the token and its expiry in its environment, never the password pointauth may
/// have signed in with.
fn command_for(program: &OsStr, rest: &[OsString], access: &Access) -> Command {
    let mut command = Command::new(program);
    command
        .args(rest)
        .env_remove("POINTAUTH_PASSWORD")
        .env("POINTAUTH_ACCESS_TOKEN", access.token.expose())
        .env(
            "POINTAUTH_ACCESS_TOKEN_EXPIRES_AT",
            rfc3339(access.expires_at),
        );
    command
}

/// Like env(1) and sudo: 127 when the command does not exist, 126 when it cannot run.
fn not_started(program: &OsStr, err: std::io::Error) -> ExitCode {
    let (code, what) = if err.kind() == std::io::ErrorKind::NotFound {
        (127, "not found")
    } else {
        (126, "could not be started")
    };
    report(
        &Error::internal(format!("command `{}` {what}", program.to_string_lossy())).because(err),
    );
    ExitCode::from(code)
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
