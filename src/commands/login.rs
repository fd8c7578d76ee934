//! `pointauth login`: sign in and store the session. Never takes a password from argv.

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use crate::api::{Client, host_of};
use crate::broker::{lock_patience, require_chosen_store, store_signed_in};
use crate::cli::LoginArgs;
use crate::error::{Error, Result};
use crate::output::{local_and_eastern, relative};
use crate::secret::Secret;
use crate::settings::Ctx;
use crate::store::lock::ProfileLock;

pub fn run(ctx: &Ctx, args: LoginArgs) -> Result<ExitCode> {
    let interactive = std::io::stdin().is_terminal();
    let username = username(ctx, &args, interactive)?;
    let password = password(ctx, &args, interactive, &username)?;

    require_chosen_store(ctx)?;
    // Sign in before taking the lock: a slow prompt or service must not block other processes.
    let grant = Client::new(ctx).sign_in(&username, &password)?;
    drop(password);
    let lock = ProfileLock::acquire(&ctx.paths, &ctx.profile, lock_patience(ctx))?;
    let (session, store) = store_signed_in(ctx, &username, grant, &lock)?;
    crate::say!(
        "Logged in to {} as {} (profile `{}`, {} store). Session valid until {} ({}).",
        host_of(&ctx.base_url),
        username,
        ctx.profile,
        store.name(),
        local_and_eastern(session.refresh_expires_at),
        relative(session.refresh_expires_at, ctx.now()),
    );
    Ok(ExitCode::SUCCESS)
}

fn username(ctx: &Ctx, args: &LoginArgs, interactive: bool) -> Result<String> {
    let given = args
        .username
        .clone()
        .or_else(|| ctx.credentials.username.clone())
        .or_else(|| ctx.remembered_username().map(str::to_owned));
    let username = match given {
        Some(username) => username,
        None if interactive && !args.password_stdin => prompt_line("Username: ")?,
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
    args: &LoginArgs,
    interactive: bool,
    username: &str,
) -> Result<Secret<String>> {
    let password = if args.password_stdin {
        if interactive {
            return Err(Error::usage("--password-stdin expects the password on a pipe, not a terminal")
                .hint("printf '%s\\n' \"$PASSWORD\" | pointauth login --password-stdin, or drop --password-stdin to be prompted"));
        }
        read_stdin_password()?
    } else if let Some(password) = &ctx.credentials.password {
        password.clone()
    } else if interactive {
        let answer =
            rpassword::prompt_password(format!("Password for {username}: ")).map_err(|err| {
                Error::internal("cannot read the password from the terminal").cause(err)
            })?;
        Secret::new(answer)
    } else {
        return Err(
            Error::usage("no password source: standard input is not a terminal")
                .hint("pipe it with --password-stdin, or set POINTAUTH_PASSWORD (for CI)"),
        );
    };
    if password.expose().is_empty() {
        return Err(Error::usage("the password is empty"));
    }
    Ok(password)
}

/// The whole of stdin, one trailing newline (`\n` or `\r\n`) removed.
fn read_stdin_password() -> Result<Secret<String>> {
    const LIMIT: u64 = 64 * 1024;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| {
            Error::internal("cannot read the password from standard input").cause(err)
        })?;
    if bytes.len() as u64 > LIMIT {
        return Err(Error::usage(
            "the password on standard input is longer than 64 KiB",
        ));
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| Error::usage("the password on standard input is not UTF-8 text"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(Secret::new(text))
}

fn prompt_line(prompt: &str) -> Result<String> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|err| Error::internal("cannot read from the terminal").cause(err))?;
    Ok(line)
}
