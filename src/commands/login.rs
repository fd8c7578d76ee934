//! `pointauth login`: sign in and store the session. Never takes a password from argv.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use super::Ctx;
use crate::auth::Credentials;
use crate::error::{Error, Kind, Result};
use crate::output::{local_and_eastern, relative, say, warn};
use crate::secret::Secret;
use crate::terminal::{self, PromptError};

/// The longest password read from standard input.
const MAX_PASSWORD: u64 = 64 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) username: Option<String>,
    pub(crate) password_stdin: bool,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    // A person at a terminal types into standard input; the prompts themselves go to the
    // controlling terminal (`terminal`), whatever stderr is redirected to.
    let interactive = std::io::stdin().is_terminal();
    // A store that cannot be used fails before anything is asked.
    ctx.with_flow(None, |flow| flow.check_store())?;
    let username = username(ctx, &options, interactive)?;
    let password = password(ctx, &options, interactive, &username)?;
    let credentials = Credentials { username, password };
    // Metadata that cannot be read is replaced by this login.
    let (logged_in, place) = ctx.with_flow(ctx.meta_if_readable(), |flow| {
        let logged_in = flow.login(&credentials)?;
        Ok((logged_in, flow.store.place()))
    })?;
    drop(credentials);
    for warning in &logged_in.warnings {
        warn(warning);
    }
    let session = &logged_in.session;
    say!(
        "Logged in to {} as {} (profile `{}`, {} store{}). Session valid until {} ({}).",
        ctx.identity.base_url.authority(),
        session.access.username,
        ctx.profile(),
        place,
        // Said once, where the user sees it: the one store that forgets.
        if place == "kernel" {
            ", in memory until reboot"
        } else {
            ""
        },
        local_and_eastern(session.refresh_expires_at),
        relative(session.refresh_expires_at, ctx.now()),
    );
    Ok(ExitCode::SUCCESS)
}

fn username(ctx: &Ctx, options: &Options, interactive: bool) -> Result<String> {
    let given = options
        .username
        .clone()
        .or_else(|| ctx.identity.username.clone())
        .or_else(|| ctx.meta_if_readable().map(|meta| meta.username));
    let username = match given {
        Some(username) => username,
        None if interactive && !options.password_stdin => {
            terminal::read_line("Username: ").map_err(unanswered)?
        }
        None => {
            return Err(Error::usage("no username given")
                .hint("pass --username USERNAME or set POINTAUTH_USERNAME"));
        }
    };
    let username = username.trim().to_owned();
    if username.is_empty() {
        return Err(Error::usage("the username is empty").hint("pass --username USERNAME"));
    }
    Ok(username)
}

fn password(
    ctx: &Ctx,
    options: &Options,
    interactive: bool,
    username: &str,
) -> Result<Secret<String>> {
    let password = if options.password_stdin {
        if interactive {
            return Err(Error::usage("--password-stdin expects the password on a pipe, not a terminal")
                .hint("printf '%s\\n' \"$PASSWORD\" | pointauth login --password-stdin, or drop --password-stdin to be prompted"));
        }
        read_stdin_password()?
    } else if let Some(password) = &ctx.password {
        password.clone()
    } else if interactive {
        terminal::read_secret(&format!("Password for {username}: ")).map_err(unanswered)?
    } else {
        return Err(
            Error::usage("no password source: standard input is not a terminal")
                .hint("pipe it with --password-stdin, or set POINTAUTH_PASSWORD (for CI)"),
        );
    };
    if password.expose().is_empty() {
        return Err(Error::usage("the password is empty")
            .hint("type the password, or pass it with --password-stdin or POINTAUTH_PASSWORD"));
    }
    Ok(password)
}

/// The whole of stdin, one trailing newline (`\n` or `\r\n`) removed.
fn read_stdin_password() -> Result<Secret<String>> {
    let mut buffer = Vec::new();
    let read = std::io::stdin()
        .take(MAX_PASSWORD + 1)
        .read_to_end(&mut buffer);
    let bytes = Secret::new(buffer);
    read.map_err(|err| {
        Error::internal("cannot read the password from standard input").because(err)
    })?;
    if bytes.expose().len() as u64 > MAX_PASSWORD {
        return Err(
            Error::usage("the password on standard input is longer than 64 KiB")
                .hint("pipe only the password to --password-stdin"),
        );
    }
    let text = std::str::from_utf8(bytes.expose()).map_err(|_| {
        Error::usage("the password on standard input is not UTF-8 text")
            .hint("pass the password as UTF-8 text (check the file's or the pipe's encoding)")
    })?;
    let text = text
        .strip_suffix('\n')
        .map_or(text, |line| line.strip_suffix('\r').unwrap_or(line));
    Ok(Secret::new(text.to_owned()))
}

/// How a prompt that got no answer ends `login`. Nothing has been sent to the service.
fn unanswered(err: PromptError) -> Error {
    match err {
        PromptError::Interrupted => Error::new(Kind::Interrupted, "login interrupted"),
        PromptError::Cancelled => Error::usage("login cancelled").hint(
            "nothing was sent; run `pointauth login` again, or pass the password with --password-stdin or POINTAUTH_PASSWORD",
        ),
        PromptError::NoTerminal(err) => Error::usage("no terminal to prompt on")
            .because(err)
            .hint("pass --username, and the password with --password-stdin or POINTAUTH_PASSWORD"),
        PromptError::NotUtf8 => Error::usage("what was typed is not UTF-8 text")
            .hint("check the terminal's character set (the locale), or use --password-stdin"),
        PromptError::Io(err) => Error::internal("cannot use the terminal").because(err),
    }
}
