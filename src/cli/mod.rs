//! The command line: the clap definition (doc comments here are the `--help` text), the
//! fast path for `token`, and the dispatch from parsed arguments to a command.
//!
//! House rules for options: long names only, except `-v` and `api`'s (`-X`, `-f`, `-F`, `-H`,
//! `-i`: gh api's and curl's, which its users already type); an upper-case `value_name`; every
//! option that has a variable names it in its help; the defaults settings applies are shown
//! as `[default: ...]` in the help text, since clap does not apply them.

mod args;
mod complete;
mod fast;
mod reference;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use self::args::Cli;
use self::args::{Command, GlobalArgs};
pub use self::reference::{
    EXIT_CODES, ExitCode as ExitCodeRow, FILES, File, OTHER_PLATFORMS, STORE_ENTRIES,
};
pub use crate::settings::{VARIABLES, Variable};

use crate::auth::MinTtl;
use crate::commands::{self, api, doctor, exec, login, logout, status, token};
use crate::error::Result;
use crate::output::{print_stdout, report, say_line};
use crate::settings::{self, Env, Flags};

/// The whole command line as clap sees it, with the generated tables in the root's help.
pub fn command() -> clap::Command {
    Cli::command().after_long_help(reference::root_after_help())
}

pub use self::complete::completion_script;

/// Parses `args`, runs the command, reports a failure once, and returns the exit code.
pub(crate) fn run(args: Vec<OsString>, env: &Env) -> ExitCode {
    let (global, command, fields) = match fast::token(&args) {
        Some((global, token)) => (global, Command::Token(token), Vec::new()),
        None => {
            let parsed = command().try_get_matches_from(args).and_then(|matches| {
                let cli = Cli::from_arg_matches(&matches)?;
                Ok((cli, fields_in_order(&matches)))
            });
            match parsed {
                Ok((cli, fields)) => (cli.global, cli.command, fields),
                Err(err) => return usage_error(&err),
            }
        }
    };
    match dispatch(global, command, fields, env) {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            err.exit_code()
        }
    }
}

/// `api`'s -f and -F in the order given: clap keeps each option's values apart, and an array
/// built from both (`-f 'a[]=x' -F 'a[]=1'`) must keep their order.
fn fields_in_order(matches: &clap::ArgMatches) -> Vec<api::FieldArg> {
    let Some(("api", matches)) = matches.subcommand() else {
        return Vec::new();
    };
    let mut fields: Vec<(usize, api::FieldArg)> = Vec::new();
    for (id, make) in [
        (
            "raw_fields",
            api::FieldArg::Raw as fn(String) -> api::FieldArg,
        ),
        ("fields", api::FieldArg::Typed),
    ] {
        if let (Some(values), Some(indices)) =
            (matches.get_many::<String>(id), matches.indices_of(id))
        {
            fields.extend(indices.zip(values.cloned().map(make)));
        }
    }
    fields.sort_by_key(|(index, _)| *index);
    fields.into_iter().map(|(_, field)| field).collect()
}

fn dispatch(
    global: GlobalArgs,
    command: Command,
    fields: Vec<api::FieldArg>,
    env: &Env,
) -> Result<ExitCode> {
    // Settings are resolved by the commands that need them: completions need no profile,
    // home directory or store.
    let resolve = move || settings::resolve(flags(global), env);
    match command {
        Command::Completions(args) => match args.shell {
            Some(shell) => {
                print_stdout(&completion_script(shell))?;
                Ok(ExitCode::SUCCESS)
            }
            None => commands::logout::list_profiles(&resolve()?),
        },
        Command::Login(args) => login::run(
            &resolve()?,
            login::Options {
                username: args.username,
                password_stdin: args.password_stdin,
            },
        ),
        Command::Token(args) => token::run(
            &resolve()?,
            token::Options {
                min_ttl: min_ttl(args.min_ttl),
                format: match (args.header, args.json) {
                    (true, _) => token::Format::Header,
                    (_, true) => token::Format::Json,
                    _ => token::Format::Bare,
                },
            },
        ),
        Command::Refresh(_) => commands::refresh::run(&resolve()?),
        Command::Status(args) => status::run(
            &resolve()?,
            status::Options {
                json: args.json,
                all: args.all,
            },
        ),
        Command::Logout(args) => logout::run(&resolve()?, logout::Options { all: args.all }),
        Command::Api(args) => api::run(
            &resolve()?,
            api::Options {
                path: args.path,
                method: args.method,
                fields,
                input: args.input,
                headers: args.headers,
                include: args.include,
                min_ttl: min_ttl(args.min_ttl),
            },
        ),
        Command::Doctor(args) => doctor::run(
            &resolve()?,
            doctor::Options {
                json: args.json,
                offline: args.offline,
            },
        ),
        Command::Exec(args) => exec::run(
            &resolve()?,
            exec::Options {
                min_ttl: min_ttl(args.min_ttl),
                token_file: args.token_file,
                command: args.command,
            },
        ),
    }
}

/// What clap had to say: help and version on stdout (exit 0); a usage error on stderr,
/// prefixed like every other pointauth error (exit 2).
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            match print_stdout(&err.render().to_string()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    report(&err);
                    err.exit_code()
                }
            }
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            say_line(format_args!("{}", err.render().to_string().trim_end()));
            ExitCode::from(2)
        }
        _ => {
            let text = err.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            say_line(format_args!("pointauth: {}", text.trim_end()));
            ExitCode::from(2)
        }
    }
}

fn flags(global: GlobalArgs) -> Flags {
    Flags {
        profile: global.profile,
        base_url: global.base_url,
        store: global.store,
        timeout: global.timeout,
        verbose: global.verbose,
    }
}

fn min_ttl(given: Option<std::time::Duration>) -> MinTtl {
    given.map_or(MinTtl::Default, MinTtl::Explicit)
}

#[cfg(test)]
mod tests;
