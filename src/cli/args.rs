//! The clap definitions: global options, one `Args` struct per subcommand. Doc comments are
//! the `--help` text (first line the short help, the rest the long help).

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::settings::{parse_duration, parse_timeout};
use crate::store::StoreChoice;

pub(super) const EXAMPLES: &str = "\
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
  pointauth token";

/// Sign in to pointservices once; hand fresh access tokens to people, scripts and CI
///
/// pointauth signs in with a username and password, keeps the session (an access token and
/// a refresh token) per profile in the OS credential store, the Linux kernel keyring or a
/// private file, and refreshes the access token behind the scenes. The password is never
/// stored.
///
/// An access token lives for the time the service grants (usually an hour) from the moment it
/// arrives. A session lasts 24 hours from sign-in, rounded up to the next midnight US Eastern
/// time; after that, sign in again (or let `token` do it from POINTAUTH_USERNAME and
/// POINTAUTH_PASSWORD).
#[derive(Debug, Parser)]
#[command(
    name = "pointauth",
    version,
    subcommand_help_heading = "Commands",
    subcommand_value_name = "COMMAND"
)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Named session to use: one per account or environment [env: POINTAUTH_PROFILE] [default: default]
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) profile: Option<String>,

    /// Service base URL [env: POINTAUTH_BASE_URL] [default: the profile's remembered URL, else https://api.pointservices.com]
    ///
    /// Must be https://; http:// is accepted only for loopback hosts (127.0.0.0/8, ::1,
    /// localhost). A session is used only with the base URL it was signed in with.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,

    /// Where secrets live: the OS credential store, the kernel keyring, a private file, or the first that works [env: POINTAUTH_STORE] [default: auto]
    #[arg(long, global = true, value_enum, value_name = "STORE")]
    pub(crate) store: Option<StoreChoice>,

    /// The longest the command spends on the network in all, in seconds (or 90s, 2m) [env: POINTAUTH_TIMEOUT] [default: 30]
    ///
    /// Attempts, backoff and Retry-After waits share it; no attempt waits more than a third of
    /// it for an answer.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_timeout)]
    pub(crate) timeout: Option<Duration>,

    /// Log each request (method, URL, status, time) to stderr; secrets are never logged
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    Login(LoginArgs),
    Token(TokenArgs),
    Refresh(RefreshArgs),
    Status(StatusArgs),
    Logout(LogoutArgs),
    Exec(ExecArgs),
    Api(ApiArgs),
    Doctor(DoctorArgs),
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
/// answers, else (Linux) to the kernel keyring, which keeps it in memory until reboot, else
/// to a private file (with a warning). The profile remembers the base URL and username for
/// later commands; the password is never stored. Prints nothing on stdout and a confirmation
/// on stderr.
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
pub(crate) struct LoginArgs {
    /// Account to sign in as [default: POINTAUTH_USERNAME, else the remembered one, else a prompt]
    #[arg(long, value_name = "USERNAME")]
    pub(crate) username: Option<String>,

    /// Read the password from standard input, a pipe or a file (one trailing newline is removed)
    #[arg(long)]
    pub(crate) password_stdin: bool,
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
pub(crate) struct TokenArgs {
    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service's token lifetime if shorter]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) min_ttl: Option<Duration>,

    /// Print `Authorization: Bearer <token>` instead of the bare token
    #[arg(long, conflicts_with = "json")]
    pub(crate) header: bool,

    /// Print {"access_token", "token_type", "expires_at", "expires_in"} as JSON
    #[arg(long)]
    pub(crate) json: bool,
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
pub(crate) struct RefreshArgs {}

/// Show who is signed in and until when, without contacting the service
///
/// Shows the profile, base URL, user (username, and the email and user id from the token's
/// claims), the store, and when the access token and the session expire, in local and US
/// Eastern time. Never prints a token and makes no request.
///
/// Exits 0 while the session is usable (the access token or the refresh token is still
/// valid), 3 otherwise. With --all, 0 only if every profile is usable, and 1 if any profile,
/// or a place where profiles are kept, cannot be read.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth status
  pointauth status --all

  # When does the session end?
  pointauth status --json | jq -r .refresh_token_expires_at

  # Sign in only when needed
  pointauth status >/dev/null || pointauth login")]
pub(crate) struct StatusArgs {
    /// Print JSON instead of text (with --all, an array)
    #[arg(long)]
    pub(crate) json: bool,

    /// Show every profile
    #[arg(long)]
    pub(crate) all: bool,
}

/// Remove the stored session and remembered settings
///
/// Removes the profile's secrets (credential store entry, kernel keyring keys or file) and its
/// metadata.
/// Idempotent: exits 0 when there was nothing to remove. The service has no revocation
/// endpoint, so tokens already handed out stay valid until they expire.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth logout
  pointauth --profile staging logout
  pointauth logout --all")]
pub(crate) struct LogoutArgs {
    /// Remove every profile
    #[arg(long)]
    pub(crate) all: bool,
}

/// Run a command with POINTAUTH_ACCESS_TOKEN set to a fresh token
///
/// Gets a token as `token` does and runs CMD with POINTAUTH_ACCESS_TOKEN set to it and
/// POINTAUTH_ACCESS_TOKEN_EXPIRES_AT to its expiry (RFC 3339, UTC); POINTAUTH_PASSWORD is not
/// passed on. If no token can be had, CMD is not run and pointauth exits with its own status.
/// Exits 127 when CMD is not found and 126 when it cannot be started.
///
/// Without --token-file, pointauth becomes CMD (Unix exec), so CMD's exit status and signals
/// reach the caller directly, and the token is not refreshed while CMD runs: ask for a
/// --min-ttl that covers CMD's run time.
///
/// With --token-file, for commands that outlive a token (Unix only), pointauth stays as CMD's
/// parent and keeps the token in a private file (0600, in a 0700 directory of its own under
/// $XDG_RUNTIME_DIR/pointauth, else pointauth's state directory) named by
/// POINTAUTH_TOKEN_FILE and BEARER_TOKEN_FILE (the WLCG convention). The file holds the
/// token alone, with no newline. Shortly before the token's remaining life falls below
/// --min-ttl, the file is replaced in one step with a fresh token, for as long as CMD runs:
/// read it afresh for each request. A refresh that fails for a passing reason is retried with
/// a warning; when the session ends, the file is removed as its token expires and CMD keeps
/// running. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to pointauth
/// are passed on to CMD (the terminal's own reach CMD directly); pointauth exits with CMD's
/// status (128+N when signal N killed it) and removes the file and its directory.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth exec -- ./deploy.sh
  pointauth exec --min-ttl 30m -- make integration-test

  # Expand the variable in the child's shell, not in yours
  pointauth exec -- sh -c 'curl -H \"Authorization: Bearer $POINTAUTH_ACCESS_TOKEN\" \\
      https://api.pointservices.com/...'

  # A job that runs for hours: read the file for each request
  pointauth exec --token-file -- sh -c 'while sleep 60; do
      curl -H \"Authorization: Bearer $(cat \"$POINTAUTH_TOKEN_FILE\")\" \\
          https://api.pointservices.com/...; done'")]
pub(crate) struct ExecArgs {
    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service's token lifetime if shorter]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) min_ttl: Option<Duration>,

    /// Keep a fresh token in a file for as long as CMD runs (Unix), named by POINTAUTH_TOKEN_FILE
    #[arg(long)]
    pub(crate) token_file: bool,

    /// The command to run, and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "CMD",
        num_args = 1..,
        value_hint = clap::ValueHint::CommandWithArguments
    )]
    pub(crate) command: Vec<OsString>,
}

/// Send an authenticated request to the service and print the answer
///
/// Sends one request to PATH below the session's base URL with a fresh access token (as
/// `token` gets it) and writes the answer's body to stdout byte for byte, whatever its status,
/// so a script can read an error's JSON too. When stdout is a terminal and the answer is
/// JSON, it is indented. The token goes to no other origin (a full URL is accepted only at
/// the session's scheme, host and port), never appears in any process's command line, and
/// -H Authorization is refused.
///
/// Fields (-f, -F) make a JSON object body and POST the default method; with -X GET they go
/// into the query string. `key[sub]=value` nests objects, `key[]=value` appends to an array.
/// --input sends a file's bytes (or standard input's) as the body instead.
///
/// A 401 makes pointauth refresh the token once (one refresh for all processes refused at
/// once) and send the request again. A request that never reached the service is tried again;
/// a timeout, 5xx or 429 only for GET, HEAD, OPTIONS, PUT and DELETE, never for POST or PATCH.
/// Redirects are followed within the session's origin only, at most 5.
///
/// Exits 0 for 2xx; 3 with no usable session, or a second 401; 5 when the service cannot be
/// reached or answers 5xx or 429 after the retries; 6 for any other status (4xx, or a
/// redirect not followed), with a one-line summary on stderr.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  # GET, the answer's JSON on stdout
  pointauth api /echo?x=1

  # POST a JSON body: {\"name\": \"ann\", \"age\": 40, \"tags\": [\"a\", \"b\"]}
  pointauth api /echo -f name=ann -F age=40 -f 'tags[]=a' -f 'tags[]=b'

  # Fields as query parameters
  pointauth api -X GET /search -f q='two words' -F page=2

  # A body from a file, or from standard input, as it is
  pointauth api -X PUT /echo --input payload.json
  jq -n '{x: 1}' | pointauth api /echo --input -

  # Status line and headers too; fail the script on an error status
  pointauth api -i /status/404 || echo \"exit $?\"")]
pub(crate) struct ApiArgs {
    /// The path below the base URL (/some/endpoint?x=1), or a full URL of the session's origin
    #[arg(value_name = "PATH")]
    pub(crate) path: String,

    /// The HTTP method [default: GET, or POST with fields or --input]
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub(crate) method: Option<String>,

    /// A string field: key=value, key[sub]=value, key[]=value (repeatable)
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub(crate) raw_fields: Vec<String>,

    /// A typed field: true, false, null and numbers as JSON; @FILE or @- a file's or standard input's text (repeatable)
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub(crate) fields: Vec<String>,

    /// Send FILE's bytes as the body, as they are (- for standard input; JSON content type unless -H sets one)
    #[arg(long, value_name = "FILE")]
    pub(crate) input: Option<OsString>,

    /// Add a request header, 'Name: value' (repeatable; Authorization is refused)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,

    /// Print the status line and the headers before the body
    #[arg(short = 'i', long)]
    pub(crate) include: bool,

    /// Minimum time the token must stay valid: 300, 90s, 5m, 1h [default: 5m, or half the service's token lifetime if shorter]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) min_ttl: Option<Duration>,
}

/// Check everything pointauth depends on, and say what to fix
///
/// One line per check, ok, warn or fail, with a hint for each warn and fail: pointauth's
/// directories (owner and modes), each store (the OS credential store answering or locked,
/// the kernel keyring, the file store), the profile's session (as status shows it), the
/// settings in effect and where each came from, and, unless --offline, the network path: one
/// HEAD of the base URL that carries no credential, showing the proxy in use, the TLS
/// certificate's issuer and the local clock's offset from the service's Date header. Never
/// prints a secret; proxy credentials are redacted.
///
/// Exits 0 when no check failed, 1 otherwise.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  pointauth doctor
  pointauth --profile staging doctor --offline

  # The failed checks alone
  pointauth doctor --json | jq '.[] | select(.status == \"fail\")'")]
pub(crate) struct DoctorArgs {
    /// Print a JSON array of {check, status, detail, hint}
    #[arg(long)]
    pub(crate) json: bool,

    /// Skip the network check: no request at all
    #[arg(long)]
    pub(crate) offline: bool,
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
pub(crate) struct CompletionsArgs {
    /// The shell to generate the script for
    #[arg(value_enum, required_unless_present = "list_profiles")]
    pub(crate) shell: Option<clap_complete::Shell>,

    /// The profiles that exist, one per line (what the scripts offer after --profile)
    #[arg(long, hide = true, conflicts_with = "shell")]
    pub(crate) list_profiles: bool,
}
