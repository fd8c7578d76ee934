//! Integration tests of the `pointauth` binary against the local stand-in, one module per
//! command. Each test runs in its own temporary HOME (see `tests/support`).

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
// The house rules (no unwrap, no print, the environment and clock only through settings) are
// for the shipped code in src/; tests and the demo may panic, print and read what they like.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)]

#[path = "../support/mod.rs"]
mod support;

mod completions;
mod doctor;
mod exec;
mod globals;
mod login;
mod logout;
mod prompts;
mod refresh;
mod status;
mod token;
mod tour;
