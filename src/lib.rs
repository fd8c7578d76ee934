//! pointauth as a library: the binary's `main` is a thin shell over [`main`], and tests and
//! the doc generator reach the clap definition through [`cli`].

pub mod api;
pub mod broker;
pub mod cli;
pub mod commands;
pub mod docs;
pub mod error;
pub mod jwt;
pub mod output;
pub mod secret;
pub mod session;
pub mod settings;
pub mod store;

use std::process::ExitCode;

/// Parses the command line, runs the command, reports a failure once, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            err.report();
            err.exit_code()
        }
    }
}
