//! One module per subcommand, each `run(ctx, args) -> Result<ExitCode>`, and the dispatch.

pub mod completions;
mod exec;
mod login;
mod logout;
mod refresh;
mod status;
mod token;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::settings::Ctx;

pub fn run(cli: Cli) -> Result<ExitCode> {
    // Completions need no profile, home directory or store.
    if let Command::Completions(args) = &cli.command {
        return completions::run(args);
    }
    let ctx = Ctx::resolve(cli.global)?;
    match cli.command {
        Command::Login(args) => login::run(&ctx, args),
        Command::Token(args) => token::run(&ctx, args),
        Command::Refresh(args) => refresh::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Logout(args) => logout::run(&ctx, args),
        Command::Exec(args) => exec::run(&ctx, args),
        Command::Completions(args) => completions::run(&args),
    }
}
