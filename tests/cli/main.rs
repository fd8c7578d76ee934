//! Integration tests of the `pointauth` binary against the local stand-in, one module per
//! command. Each test runs in its own temporary HOME (see `tests/support`).

#[path = "../support/mod.rs"]
mod support;

mod exec;
mod globals;
mod login;
mod logout;
mod refresh;
mod status;
mod token;
