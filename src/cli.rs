//! The command line, declared with clap derive. Doc comments here are the `--help` text.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  # Sign in once (prompts for the username and a hidden password)
  pointauth login

  # Call an API with a fresh token
  curl -H \"Authorization: Bearer $(pointauth token)\" \\
      https://api.pointservices.com/...

  # The same, but the token never shows in the process list (bash, zsh)
  curl -H @<(pointauth token --header) https://api.pointservices.com/...

  # Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token
  pointauth exec -- ./deploy.sh

  # In CI: no login step; the credentials come from the CI's secrets
  export POINTAUTH_USERNAME=ci-bot@example.com
  export POINTAUTH_PASSWORD=\"$CI_SECRET\"
  pointauth token

Exit status:
  0 success; 1 unexpected failure; 2 usage error; 3 not logged in, or the
  session ended; 4 credentials rejected; 5 service unreachable or answered badly";

/// Sign in to pointservices once; hand fresh access tokens to people, scripts and CI
///
/// pointauth signs in with a username and password, keeps the session (an access token and
/// a refresh token) per profile in the OS credential store or in a private file, and
/// refreshes the access token behind the scenes. The password is never stored.
///
/// An access token lives for the time the service grants (usually an hour) from the moment it
/// arrives. A session lasts 24 hours from sign-in, rounded up to the next midnight US Eastern
/// time; after that, sign in again (or let `token` do it from POINTAUTH_USERNAME and
/// POINTAUTH_PASSWORD).
#[derive(Debug, Parser)]
#[command(
    name = "pointauth",
    version,
    after_long_help = EXAMPLES,
    propagate_version = true,
    subcommand_help_heading = "Commands",
    subcommand_value_name = "COMMAND"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Named session to use: one per account or environment [default: default]
    #[arg(long, global = true, env = "POINTAUTH_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Service base URL [default: the profile's remembered URL, else https://api.pointservices.com]
    ///
    /// Must be https://; http:// is accepted only for loopback hosts (127.0.0.0/8, ::1,
    /// localhost). A session is used only with the base URL it was signed in with.
    #[arg(long, global = true, env = "POINTAUTH_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Where secrets live: the OS credential store, a private file, or the first that works [default: auto]
    #[arg(
        long,
        global = true,
        env = "POINTAUTH_STORE",
        value_enum,
        value_name = "STORE"
    )]
    pub store: Option<StoreChoice>,

    /// Time limit for each HTTP attempt, in seconds (or 90s, 2m) [default: 30]
    #[arg(long, global = true, env = "POINTAUTH_TIMEOUT", value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,

    /// Log each request (method, URL, status, time) to stderr; secrets are never logged
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// The OS credential store if it answers, else the file store (with a warning at login)
    Auto,
    /// The OS credential store: Secret Service, macOS Keychain, Windows Credential Manager
    Keyring,
    /// A JSON file, mode 0600 in a 0700 directory under the user's data dir
    File,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Login(LoginArgs),
    Token(TokenArgs),
    Refresh(RefreshArgs),
    Status(StatusArgs),
    Logout(LogoutArgs),
    Exec(ExecArgs),
    Completions(CompletionsArgs),
}

/// Sign in and store the session
///
/// Username: --username, else POINTAUTH_USERNAME, else the profile's remembered one, else a
/// prompt. Password: --password-stdin, else POINTAUTH_PASSWORD, else a hidden prompt on the
/// terminal. There is no password option, so a password never shows in the process list;
/// without a terminal and without a password source, login fails at once (exit 2).
///
/// The session goes to the store --store names; with auto, to the OS credential store if it
/// answers, else to a private file (with a warning). The profile remembers the base URL and
/// username for later commands; the password is never stored. Prints nothing on stdout and a
/// confirmation on stderr.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  # Prompt for the username and password
  pointauth login

  # Sign in as a given user; prompts for the password only
  pointauth login --username alice@example.com

  # Non-interactive: the password on standard input
  printf '%s\\n' \"$PASSWORD\" |
      pointauth login --username alice@example.com --password-stdin

  # A second, independent session for another environment
  pointauth --profile staging \\
      --base-url https://staging.pointservices.com login")]
pub struct LoginArgs {
    /// Account to sign in as [default: POINTAUTH_USERNAME, else the remembered one, else a prompt]
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,

    /// Read the password from standard input, a pipe or a file (one trailing newline is removed)
    #[arg(long)]
    pub password_stdin: bool,
}

/// Print a fresh access token
///
/// Prints the token and a newline on stdout, and nothing else. A token that expires within
/// --min-ttl is refreshed first; when many processes ask at once, only one of them refreshes
/// and the others use its result. It never prompts.
///
/// With no usable session but POINTAUTH_USERNAME and POINTAUTH_PASSWORD set, it signs in with
/// them and stores the session for the next call, so CI needs no login step. A stored session
/// is never handed out for another identity: if it was signed in to another base URL, or
/// POINTAUTH_USERNAME names another user, it signs in afresh from the environment, or exits 3
/// saying which identity the profile holds.
///
/// If the refresh fails for a passing reason (network, timeout, HTTP 5xx or 429) while the
/// cached token is still valid, it prints the cached token, warns on stderr and exits 0.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  # Call an API with a fresh token
  curl -H \"Authorization: Bearer $(pointauth token)\" \\
      https://api.pointservices.com/...

  # The token never shows in the process list (bash, zsh)
  curl -H @<(pointauth token --header) https://api.pointservices.com/...

  # A token valid for at least 30 minutes, with its expiry, as JSON
  pointauth token --min-ttl 30m --json

  # In CI: no login step; the session is cached for the next call
  export POINTAUTH_USERNAME=ci-bot@example.com
  export POINTAUTH_PASSWORD=\"$CI_SECRET\"
  pointauth token")]
pub struct TokenArgs {
    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub min_ttl: Duration,

    /// Print `Authorization: Bearer <token>` instead of the bare token
    #[arg(long, conflicts_with = "json")]
    pub header: bool,

    /// Print {"access_token", "token_type", "expires_at", "expires_in"} as JSON
    #[arg(long)]
    pub json: bool,
}

/// Refresh the access token now, even if it is fresh
///
/// Prints nothing on stdout and the new expiry on stderr. The same fallbacks as `token`: with
/// no usable session it signs in from POINTAUTH_USERNAME and POINTAUTH_PASSWORD when both are
/// set; if the service cannot be reached while the cached token is still valid, it warns and
/// exits 0.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth refresh
  pointauth --profile staging refresh")]
pub struct RefreshArgs {}

/// Show who is signed in and until when, without contacting the service
///
/// Shows the profile, base URL, user (username, and the email and user id from the token's
/// claims), the store, and when the access token and the session expire, in local and US
/// Eastern time. Never prints a token and makes no request.
///
/// Exits 0 while the session is usable (the access token or the refresh token is still
/// valid), 3 otherwise. With --all, 0 only if every profile is usable.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth status
  pointauth status --all

  # When does the session end?
  pointauth status --json | jq -r .refresh_token_expires_at

  # Sign in only when needed
  pointauth status >/dev/null || pointauth login")]
pub struct StatusArgs {
    /// Print JSON instead of text (with --all, an array)
    #[arg(long)]
    pub json: bool,

    /// Show every profile
    #[arg(long)]
    pub all: bool,
}

/// Remove the stored session and remembered settings
///
/// Removes the profile's secrets (credential store entry or file) and its metadata.
/// Idempotent: exits 0 when there was nothing to remove. The service has no revocation
/// endpoint, so tokens already handed out stay valid until they expire.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth logout
  pointauth --profile staging logout
  pointauth logout --all")]
pub struct LogoutArgs {
    /// Remove every profile
    #[arg(long)]
    pub all: bool,
}

/// Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token
///
/// Gets a token as `token` does, then runs CMD in its place (Unix exec), so CMD's exit status
/// and signals reach the caller directly: a shell reports 128+N when CMD is killed by signal
/// N. Exits 127 when CMD is not found and 126 when it cannot be started. If no token can be
/// had, CMD is not run and pointauth exits with its own status.
///
/// The token is not refreshed while CMD runs: ask for a --min-ttl that covers CMD's run time.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth exec -- ./deploy.sh
  pointauth exec --min-ttl 30m -- make integration-test

  # Expand the variable in the child's shell, not in yours
  pointauth exec -- sh -c 'curl -H \"Authorization: Bearer $POINTAUTH_ACCESS_TOKEN\" \\
      https://api.pointservices.com/...'")]
pub struct ExecArgs {
    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub min_ttl: Duration,

    /// The command to run, and its arguments
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD", num_args = 1..)]
    pub command: Vec<OsString>,
}

/// Print a shell completion script
///
/// Prints the completion script for SHELL on stdout. The same scripts are in the source tree
/// under completions/.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  # bash
  mkdir -p ~/.local/share/bash-completion/completions
  pointauth completions bash > ~/.local/share/bash-completion/completions/pointauth

  # zsh (then add `fpath=(~/.zfunc $fpath)` before `compinit` in ~/.zshrc)
  mkdir -p ~/.zfunc && pointauth completions zsh > ~/.zfunc/_pointauth

  # fish
  pointauth completions fish > ~/.config/fish/completions/pointauth.fish

  # PowerShell (add to $PROFILE)
  pointauth completions powershell | Out-String | Invoke-Expression

  # elvish (add to rc.elv)
  eval (pointauth completions elvish | slurp)")]
pub struct CompletionsArgs {
    /// The shell to generate the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn parse() -> Cli {
    Cli::parse()
}

/// Parses the contract's DURATION: `300`, `90s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "`{text}` is not a duration; use e.g. 300, 90s, 5m or 1h"
            ));
        }
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; use e.g. 300, 90s, 5m or 1h"))?;
    let seconds = value
        .checked_mul(scale)
        .filter(|s| *s <= 86_400)
        .ok_or_else(|| format!("`{text}` is longer than a day, the longest a token can live"))?;
    Ok(Duration::from_secs(seconds))
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err("the timeout must be at least one second".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_accept_the_contract_forms() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn durations_reject_everything_else() {
        for bad in [
            "",
            "m",
            "5 m",
            "-5",
            "1.5h",
            "5d",
            "5min",
            "25h",
            "99999999999999999999",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
