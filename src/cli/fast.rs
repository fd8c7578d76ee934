//! `pointauth [OPTIONS] token [OPTIONS]` through a reduced clap command: the call scripts
//! make once per request, so it must cost little more than starting a process.
//!
//! Building clap's `Command` for the whole CLI costs more than everything else a cached
//! `token` does. This command has the same `GlobalArgs` and `TokenArgs` (one grammar, not a
//! second parser) and nothing else: no other subcommand, no help, no version. Anything it
//! does not take (help, another command, a bad value) falls through to the full command,
//! so every message and exit code is the full command's.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use super::args::{GlobalArgs, TokenArgs};

#[derive(Debug, Parser)]
#[command(
    name = "pointauth",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
struct TokenOnly {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Only,
}

#[derive(Debug, Subcommand)]
enum Only {
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Token(TokenArgs),
}

/// The global options and `token`'s, if `args` is a `token` command line the reduced
/// command takes.
pub(super) fn token(args: &[OsString]) -> Option<(GlobalArgs, TokenArgs)> {
    if !args.iter().any(|arg| arg == "token") {
        return None;
    }
    let matches = TokenOnly::command().try_get_matches_from(args).ok()?;
    let TokenOnly { global, command } = TokenOnly::from_arg_matches(&matches).ok()?;
    let Only::Token(token) = command;
    Some((global, token))
}
