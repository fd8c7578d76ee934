//! `pointauth completions SHELL`: the completion script, generated from the clap definition.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;
use crate::output::print_stdout;

pub fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    print_stdout(&script(args.shell))?;
    Ok(ExitCode::SUCCESS)
}

/// The script for `shell`, byte for byte what `completions/` holds.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "pointauth", &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}
