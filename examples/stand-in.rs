//! `cargo run --example stand-in [-- --port N] [--expires-in SECONDS] [--rotate-refresh-tokens]
//! [--quiet]`
//!
//! Runs the local stand-in of the pointservices service until killed, for trying pointauth
//! offline, and prints one line per request on stdout (see `--help`).

// The stand-in's module shares its items with the tests through `pub`.
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
#[path = "../tests/support/stand_in/mod.rs"]
mod stand_in;

use std::io::Write;
use std::process::ExitCode;

use stand_in::{DEFAULT_PASSWORD, DEFAULT_USERNAME, StandIn};

const USAGE: &str = "\
usage: cargo run --example stand-in [-- OPTIONS]

A local stand-in of the pointservices service, for trying pointauth offline.

options:
  --port N                  listen on 127.0.0.1:N (default: a random free port)
  --expires-in SECONDS      lifetime of issued access tokens (default: 3600)
  --rotate-refresh-tokens   issue a new refresh token on every refresh
  -q, --quiet               do not log requests
  -h, --help                show this help

Each request is logged as one line on stdout, after the start-up lines, once it is answered:
its number, method, path (never the query string, a token or a password), the status or what
happened instead, and the running counters, e.g.
  #12 POST …/signInWithPassword -> 200 (sign-ins 1, refreshes 3, api 8)
  #13 GET /echo -> 401, expired token (sign-ins 1, refreshes 3, api 9)

auth endpoints (POST, JSON):
  /user-management-services-ws/oauth2/002/signInWithPassword   {\"username\", \"password\"}
  /user-management-services-ws/oauth2/002/refreshIdToken       {\"refresh_token\"}

API routes (any method; all need Authorization: Bearer <live access token>, else 401):
  /whoami                        who the token belongs to
  /echo, /echo/...               the request as JSON (method, path, query, headers, body);
                                 the token is described, never echoed
  /status/NNN[?retry_after=S]    answers status NNN (with Retry-After: S)
  /redirect?to=URL[&status=302]  redirects to URL (relative or absolute)
  /redirect/N                    a chain of N redirects, then /echo
  /large?bytes=N                 N bytes of a fixed pattern, as fast as they are read
  /slow?bytes=N&every_ms=M&chunk=K   N bytes, K at a time every M ms
  /stall?after=N                 N bytes of a longer body, then silence";

struct Args {
    port: u16,
    expires_in: Option<u64>,
    rotate: bool,
    quiet: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        port: 0,
        expires_in: None,
        rotate: false,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value("a port number")?;
                args.port = v
                    .parse()
                    .map_err(|_| format!("--port: not a port number: {v}"))?;
            }
            "--expires-in" => {
                let v = value("a number of seconds")?;
                args.expires_in = Some(
                    v.parse()
                        .map_err(|_| format!("--expires-in: not a number of seconds: {v}"))?,
                );
            }
            "--rotate-refresh-tokens" => args.rotate = true,
            "-q" | "--quiet" => args.quiet = true,
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("stand-in: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match StandIn::start_on(args.port) {
        Ok(server) => server,
        Err(err) => {
            eprintln!("stand-in: cannot listen on 127.0.0.1:{}: {err}", args.port);
            return ExitCode::FAILURE;
        }
    };
    if let Some(secs) = args.expires_in {
        server.set_expires_in(serde_json::json!(secs));
    }
    server.set_rotate_refresh_tokens(args.rotate);

    let url = server.base_url();
    println!("pointauth stand-in listening on {url}");
    println!("user: {DEFAULT_USERNAME}   password: {DEFAULT_PASSWORD}");
    if let Some(secs) = args.expires_in {
        println!("access tokens expire after {secs} s");
    }
    if args.rotate {
        println!("refresh tokens rotate on every refresh");
    }
    println!("try:  export POINTAUTH_BASE_URL={url}");
    println!(
        "      echo '{DEFAULT_PASSWORD}' | pointauth login --username {DEFAULT_USERNAME} --password-stdin"
    );
    println!("      pointauth token");
    println!("      curl -H \"Authorization: Bearer $(pointauth token)\" {url}/whoami");
    if args.quiet {
        println!("(requests are not logged; Ctrl-C to stop)");
    } else {
        println!("(one line per request below; Ctrl-C to stop)");
        // A closed stdout must not make the handlers panic: the line is just lost.
        server.on_request(|entry| {
            let _ = writeln!(std::io::stdout().lock(), "{entry}");
        });
    }

    loop {
        std::thread::park();
    }
}
