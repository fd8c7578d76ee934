//! Entry point: parse the command line, run the command, report the error once, exit.

mod api;
mod broker;
mod cli;
mod commands;
mod error;
mod jwt;
mod output;
mod secret;
mod session;
mod settings;
mod store;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            err.report();
            err.exit_code()
        }
    }
}
