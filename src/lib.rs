//! pointauth: sign in to the pointservices token service once; hand fresh access tokens to
//! people, scripts and CI. The binary's `main` is [`main`]; ARCHITECTURE.md is the map.
//!
//! The library exists for the binary and its tests: [`cli`] gives the clap definition and
//! the reference tables the generated docs are made from; nothing else is public.

mod api;
mod auth;
pub mod cli;
mod commands;
mod error;
#[cfg(test)]
mod freed;
mod jwt;
mod output;
#[cfg(test)]
mod properties;
mod secret;
pub mod session;
mod settings;
mod store;
mod terminal;
#[cfg(test)]
mod testing;
mod text;
mod url;

/// Reads the command line and the environment once, runs the command, and returns its exit code.
pub fn main() -> std::process::ExitCode {
    // No secret reaches a core dump, and no other process of the user can read this one's
    // memory (ptrace, /proc/PID/mem): from the first instruction that could hold one.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    #[allow(clippy::disallowed_methods)] // the process's own arguments, read once, here
    let args = std::env::args_os().collect();
    cli::run(args, &settings::Env::from_process())
}
