//! The command line, declared with clap derive. Doc comments here are the `--help` text.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  pointauth login                                   sign in once (prompts for the password)
  curl -H \"Authorization: Bearer $(pointauth token)\" https://api.pointservices.com/...
  curl -H @<(pointauth token --header) https://...  the token never shows in `ps`
  pointauth exec -- ./deploy.sh                     run a command with POINTAUTH_ACCESS_TOKEN set
  POINTAUTH_USERNAME=ci@example.com POINTAUTH_PASSWORD=\"$SECRET\" pointauth token   in CI, no login step

Exit status: 0 ok, 1 unexpected failure, 2 usage error, 3 not logged in or session ended,
4 credentials rejected, 5 service unreachable or answered badly.";

/// Sign in to pointservices once; hand fresh access tokens to people, scripts and CI.
///
/// pointauth keeps a session (access and refresh token) per profile in the OS credential
/// store, or in a private file, and refreshes the access token behind the scenes.
#[derive(Debug, Parser)]
#[command(name = "pointauth", version, after_long_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Named session to use (accounts, environments)
    #[arg(long, global = true, env = "POINTAUTH_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Service base URL [default: the profile's remembered URL, else https://api.pointservices.com]
    ///
    /// Must be https://; http:// is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost).
    #[arg(long, global = true, env = "POINTAUTH_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Where secrets live: the OS credential store, a private file, or the first that works
    #[arg(
        long,
        global = true,
        env = "POINTAUTH_STORE",
        value_enum,
        value_name = "STORE"
    )]
    pub store: Option<StoreChoice>,

    /// Time limit for each HTTP attempt, in seconds [default: 30]
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
/// terminal. There is no password option: a password never appears in the process list.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth login
  pointauth login --username alice@example.com
  printf '%s\\n' \"$PASSWORD\" | pointauth login --username alice@example.com --password-stdin
  pointauth --profile staging --base-url https://staging.pointservices.com login")]
pub struct LoginArgs {
    /// Account to sign in as
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,

    /// Read the password from standard input (one trailing newline is removed)
    #[arg(long)]
    pub password_stdin: bool,
}

/// Print a fresh access token
///
/// Prints the token and a newline on stdout, and nothing else. A token that expires within
/// --min-ttl is refreshed first; only one process refreshes when many ask at once. With no
/// usable session but POINTAUTH_USERNAME and POINTAUTH_PASSWORD set, it signs in with them.
/// It never prompts.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  curl -H \"Authorization: Bearer $(pointauth token)\" https://api.pointservices.com/...
  curl -H @<(pointauth token --header) https://api.pointservices.com/...
  pointauth token --min-ttl 30m --json

In CI (no login step; the session is cached for the next call):
  POINTAUTH_USERNAME=ci-bot@example.com POINTAUTH_PASSWORD=\"$SECRET\" pointauth token")]
pub struct TokenArgs {
    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub min_ttl: Duration,

    /// Print `Authorization: Bearer <token>` instead of the bare token
    #[arg(long, conflicts_with = "json")]
    pub header: bool,

    /// Print {"access_token", "token_type", "expires_at", "expires_in"}
    #[arg(long)]
    pub json: bool,
}

/// Refresh the access token now, even if it is fresh
///
/// Prints nothing on stdout; the new expiry on stderr.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth refresh
  pointauth --profile staging refresh")]
pub struct RefreshArgs {}

/// Show who is signed in and until when, without contacting the service
///
/// Exits 0 while the session is usable (the access token or the refresh token is still
/// valid), 3 otherwise. Never prints a token.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth status
  pointauth status --all
  pointauth status --json | jq -r .refresh_token_expires_at
  pointauth status >/dev/null || pointauth login")]
pub struct StatusArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,

    /// Show every profile
    #[arg(long)]
    pub all: bool,
}

/// Remove the stored session and remembered settings
///
/// Idempotent: exits 0 when there was nothing to remove. The service has no revocation
/// endpoint, so tokens already handed out stay valid until they expire.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth logout
  pointauth logout --all")]
pub struct LogoutArgs {
    /// Remove every profile
    #[arg(long)]
    pub all: bool,
}

/// Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token
///
/// Exits with the command's exit status (128+N if it was killed by signal N). If no token can
/// be had, the command is not run.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth exec -- sh -c 'curl -H \"Authorization: Bearer $POINTAUTH_ACCESS_TOKEN\" https://...'
  pointauth exec --min-ttl 30m -- ./long-running-job.sh")]
pub struct ExecArgs {
    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub min_ttl: Duration,

    /// The command to run, and its arguments
    #[arg(required = true, trailing_var_arg = true, value_name = "CMD", num_args = 1..)]
    pub command: Vec<OsString>,
}

/// Print a shell completion script
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth completions bash > ~/.local/share/bash-completion/completions/pointauth
  pointauth completions zsh > \"${fpath[1]}/_pointauth\"
  pointauth completions fish > ~/.config/fish/completions/pointauth.fish")]
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
