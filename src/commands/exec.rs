//! `pointauth exec -- CMD`: run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use super::{Ctx, show_warnings};
use crate::auth::{MinTtl, Want};
use crate::error::{Error, Result};
use crate::output::report;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) min_ttl: MinTtl,
    /// The program and its arguments; clap makes sure there is a program.
    pub(crate) command: Vec<OsString>,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let (program, rest) = options
        .command
        .split_first()
        .ok_or_else(|| Error::usage("no command given").hint("pointauth exec -- CMD [ARGS...]"))?;
    let obtained = ctx.obtain(Want::Fresh(options.min_ttl))?;
    show_warnings(ctx, &obtained);
    let mut command = Command::new(program);
    // The command gets the token, never the password pointauth may have signed in with.
    command
        .args(rest)
        .env_remove("POINTAUTH_PASSWORD")
        .env("POINTAUTH_ACCESS_TOKEN", obtained.access.token.expose());
    let err = replace_process(&mut command);
    // Like env(1) and sudo: 127 when the command does not exist, 126 when it cannot run.
    let (code, what) = if err.kind() == std::io::ErrorKind::NotFound {
        (127, "not found")
    } else {
        (126, "could not be started")
    };
    report(
        &Error::internal(format!("command `{}` {what}", program.to_string_lossy())).because(err),
    );
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
