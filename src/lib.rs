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

use std::ffi::OsString;
use std::process::ExitCode;

/// Parses the command line, runs the command, reports a failure once, and returns the exit code.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = quick::token(&args, |name| std::env::var_os(name)).unwrap_or_else(cli::parse);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            err.report();
            err.exit_code()
        }
    }
}

/// `pointauth [OPTIONS] token [OPTIONS]` without clap: the call scripts make once per request.
///
/// Building clap's `Command` for the whole CLI costs more than everything else a cached `token`
/// does (about 0.1 ms of a 1 ms run; see bench/README.md). This takes only command lines whose
/// meaning is certain: `token`, the global options before or after it and its own options
/// after it, each at most once, with plain values (not empty, not starting with `-`), and no
/// POINTAUTH_TIMEOUT. Anything else (help, version, another subcommand, a repeated option, a
/// value clap could read differently or reject, an unusual POINTAUTH_* variable) gives `None`
/// and goes through clap, so every other outcome, message and exit code is clap's. The tests
/// check its answers against clap's, and that cli.rs has no option or variable it does not know.
mod quick {
    use std::ffi::OsString;

    use clap::ValueEnum;

    use crate::cli::{Cli, Command, GlobalArgs, StoreChoice, TokenArgs, parse_duration};

    /// `TokenArgs::min_ttl`'s `default_value`.
    pub const DEFAULT_MIN_TTL: &str = "5m";

    pub fn token(args: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Option<Cli> {
        let mut global = GlobalArgs {
            profile: None,
            base_url: None,
            store: None,
            timeout: None,
            verbose: false,
        };
        let (mut min_ttl, mut header, mut json, mut subcommand) = (None, false, false, false);
        let mut rest = args.iter().skip(1);
        while let Some(arg) = rest.next() {
            let arg = arg.to_str()?;
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value)),
                _ => (arg, None),
            };
            let mut value = || {
                plain(match inline {
                    Some(value) => value,
                    None => rest.next()?.to_str()?,
                })
            };
            match name {
                "token" if !subcommand => subcommand = true,
                "--profile" => once(&mut global.profile, value()?.to_owned())?,
                "--base-url" => once(&mut global.base_url, value()?.to_owned())?,
                "--store" => once(&mut global.store, store(value()?)?)?,
                "-v" | "--verbose" if inline.is_none() && !global.verbose => global.verbose = true,
                "--min-ttl" if subcommand => once(&mut min_ttl, parse_duration(value()?).ok()?)?,
                "--header" if subcommand && inline.is_none() && !header => header = true,
                "--json" if subcommand && inline.is_none() && !json => json = true,
                _ => return None,
            }
        }
        if !subcommand || (header && json) || env("POINTAUTH_TIMEOUT").is_some() {
            return None;
        }
        from_env(&mut global.profile, &env, "POINTAUTH_PROFILE", |v| {
            Some(v.to_owned())
        })?;
        from_env(&mut global.base_url, &env, "POINTAUTH_BASE_URL", |v| {
            Some(v.to_owned())
        })?;
        from_env(&mut global.store, &env, "POINTAUTH_STORE", store)?;
        let min_ttl = match min_ttl {
            Some(min_ttl) => min_ttl,
            None => parse_duration(DEFAULT_MIN_TTL).ok()?,
        };
        Some(Cli {
            global,
            command: Command::Token(TokenArgs {
                min_ttl,
                header,
                json,
            }),
        })
    }

    /// A value clap takes as it is: not empty, and not one that could be read as an option.
    fn plain(value: &str) -> Option<&str> {
        (!value.is_empty() && !value.starts_with('-')).then_some(value)
    }

    /// `--store`'s value, matched as clap's value parser matches it (exact, case-sensitive).
    fn store(value: &str) -> Option<StoreChoice> {
        <StoreChoice as ValueEnum>::from_str(value, false).ok()
    }

    /// Sets an option the first time; a second time is clap's to report.
    fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
        slot.is_none().then(|| *slot = Some(value))
    }

    /// An option not on the command line takes its variable's value, as clap does; a variable
    /// that is not a plain value is clap's to read (or reject).
    fn from_env<T>(
        slot: &mut Option<T>,
        env: &impl Fn(&str) -> Option<OsString>,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<()> {
        if slot.is_none()
            && let Some(value) = env(name)
        {
            *slot = Some(parse(plain(value.to_str()?)?)?);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use clap::{CommandFactory, Parser};

    use crate::cli::{Cli, StoreChoice};
    use crate::quick;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_token_fast_path_answers_what_clap_answers() {
        // clap reads the process environment; so does the fast path here.
        let env = |name: &str| std::env::var_os(name);
        let clean = ["PROFILE", "BASE_URL", "STORE", "TIMEOUT"]
            .iter()
            .all(|name| env(&format!("POINTAUTH_{name}")).is_none());
        let taken: &[&[&str]] = &[
            &["pointauth", "token"],
            &["pointauth", "--store", "file", "token"],
            &["pointauth", "token", "--store=keyring"],
            &["pointauth", "token", "--header"],
            &[
                "pointauth",
                "token",
                "--json",
                "--min-ttl=1h",
                "--store",
                "auto",
            ],
            &["pointauth", "-v", "token", "--min-ttl", "0"],
            &["pointauth", "token", "--verbose", "--min-ttl", "300"],
            &["pointauth", "--profile", "token", "token"],
            &["pointauth", "--profile=a=b", "token"],
            &[
                "pointauth",
                "--profile",
                "ci",
                "--base-url",
                "http://127.0.0.1:8080",
                "token",
                "--min-ttl",
                "90s",
                "--header",
            ],
            &["pointauth", "--base-url=https://h.example/p?q=1", "token"],
        ];
        for args in taken {
            let fast = quick::token(&os(args), env);
            if clean {
                assert!(fast.is_some(), "{args:?} should take the fast path");
            }
            if let Some(fast) = fast {
                let clap = Cli::try_parse_from(*args).expect("clap takes what the fast path takes");
                assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{args:?}");
            }
        }
        let refused: &[&[&str]] = &[
            &["pointauth"],
            &["pointauth", "tok"],
            &["pointauth", "status"],
            &["pointauth", "help", "token"],
            &["pointauth", "-h", "token"],
            &["pointauth", "token", "--help"],
            &["pointauth", "--version", "token"],
            &["pointauth", "token", "-V"],
            &["pointauth", "token", "token"],
            &["pointauth", "token", "--", "x"],
            &["pointauth", "--store", "FILE", "token"],
            &["pointauth", "--store", "file", "token", "--store", "file"],
            &["pointauth", "--profile"],
            &["pointauth", "--profile", "-x", "token"],
            &["pointauth", "--profile=", "token"],
            &["pointauth", "--profile=-x", "token"],
            &["pointauth", "--timeout", "5", "token"],
            &["pointauth", "-v", "token", "-v"],
            &["pointauth", "-vv", "token"],
            &["pointauth", "--verbose=true", "token"],
            &["pointauth", "--min-ttl", "5m", "token"],
            &["pointauth", "token", "--min-ttl", "2d"],
            &["pointauth", "token", "--min-ttl", "1m", "--min-ttl", "2m"],
            &["pointauth", "token", "--header", "--json"],
            &["pointauth", "token", "--json=false"],
            &["pointauth", "token", "--header", "--header"],
        ];
        for args in refused {
            assert!(
                quick::token(&os(args), env).is_none(),
                "{args:?} must go to clap"
            );
        }
    }

    #[test]
    fn the_fast_path_reads_the_environment_as_clap_does() {
        // On the command line, the variable is not looked at, whatever it holds.
        let cli = quick::token(
            &os(&["pointauth", "--store", "file", "token"]),
            env_of(&[("POINTAUTH_STORE", "bogus")]),
        )
        .unwrap();
        assert_eq!(cli.global.store, Some(StoreChoice::File));
        // Not on the command line: the variable's value.
        let cli = quick::token(
            &os(&["pointauth", "token"]),
            env_of(&[
                ("POINTAUTH_STORE", "keyring"),
                ("POINTAUTH_PROFILE", "ci"),
                ("POINTAUTH_BASE_URL", "https://h.example"),
            ]),
        )
        .unwrap();
        assert_eq!(cli.global.store, Some(StoreChoice::Keyring));
        assert_eq!(cli.global.profile.as_deref(), Some("ci"));
        assert_eq!(cli.global.base_url.as_deref(), Some("https://h.example"));
        // Anything unusual is clap's to read or reject.
        for pairs in [
            &[("POINTAUTH_STORE", "bogus")][..],
            &[("POINTAUTH_STORE", "")],
            &[("POINTAUTH_PROFILE", "")],
            &[("POINTAUTH_BASE_URL", "-x")],
            &[("POINTAUTH_TIMEOUT", "30")],
        ] {
            assert!(
                quick::token(&os(&["pointauth", "token"]), env_of(pairs)).is_none(),
                "{pairs:?}"
            );
        }
    }

    /// A new option or variable for `token` in cli.rs fails here until `quick` handles it.
    #[test]
    fn the_fast_path_knows_every_option_and_variable_of_token() {
        let mut cmd = Cli::command();
        cmd.build();
        let token = cmd.find_subcommand("token").expect("token subcommand");
        let mut options: Vec<String> = token
            .get_arguments()
            .map(|arg| {
                format!(
                    "{} {:?} {:?} global={} env={:?}",
                    arg.get_id(),
                    arg.get_long(),
                    arg.get_short(),
                    arg.is_global_set(),
                    arg.get_env()
                )
            })
            .collect();
        options.sort();
        assert_eq!(
            options,
            [
                r#"base_url Some("base-url") None global=true env=Some("POINTAUTH_BASE_URL")"#,
                r#"header Some("header") None global=false env=None"#,
                r#"help Some("help") Some('h') global=false env=None"#,
                r#"json Some("json") None global=false env=None"#,
                r#"min_ttl Some("min-ttl") None global=false env=None"#,
                r#"profile Some("profile") None global=true env=Some("POINTAUTH_PROFILE")"#,
                r#"store Some("store") None global=true env=Some("POINTAUTH_STORE")"#,
                r#"timeout Some("timeout") None global=true env=Some("POINTAUTH_TIMEOUT")"#,
                r#"verbose Some("verbose") Some('v') global=true env=None"#,
                r#"version Some("version") Some('V') global=false env=None"#,
            ]
        );
        let min_ttl = token
            .get_arguments()
            .find(|arg| arg.get_id() == "min_ttl")
            .expect("--min-ttl");
        assert_eq!(min_ttl.get_default_values(), [quick::DEFAULT_MIN_TTL]);
    }
}
