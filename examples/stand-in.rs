//! `cargo run --example stand-in [-- --port N] [--expires-in SECONDS] [--rotate-refresh-tokens]`
//!
//! Runs the local stand-in of the pointservices auth service until killed, for
//! trying pointauth offline.

#[path = "../tests/support/stand_in/mod.rs"]
mod stand_in;

use std::process::ExitCode;

use stand_in::{DEFAULT_PASSWORD, DEFAULT_USERNAME, StandIn};

const USAGE: &str = "\
usage: cargo run --example stand-in [-- OPTIONS]

options:
  --port N                  listen on 127.0.0.1:N (default: a random free port)
  --expires-in SECONDS      lifetime of issued access tokens (default: 3600)
  --rotate-refresh-tokens   issue a new refresh token on every refresh
  -h, --help                show this help";

struct Args {
    port: u16,
    expires_in: Option<u64>,
    rotate: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        port: 0,
        expires_in: None,
        rotate: false,
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
    println!("(Ctrl-C to stop)");

    loop {
        std::thread::park();
    }
}
