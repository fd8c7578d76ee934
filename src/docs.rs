//! The generated documentation: shell completion scripts and man pages, built from the clap
//! definition in [`crate::cli`]. `completions/` and `man/` in the source tree hold this
//! module's output; `tests/generated.rs` fails when they are stale and rewrites them when run
//! with `POINTAUTH_REGENERATE=1`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, ValueEnum};
use clap_complete::{Generator, Shell};
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use crate::cli::Cli;
use crate::commands::completions;

const NAME: &str = "pointauth";
/// The date on the man pages: that of the release they describe. Bump it with the version.
const MAN_DATE: &str = "2026-11-30";

/// The directories [`files`] fills, relative to the crate root. Everything in them is generated.
pub const DIRS: [&str; 2] = ["completions", "man"];

/// One generated file: where it goes (relative to the crate root) and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Every generated file: one completion script per shell, one man page per command.
pub fn files() -> Vec<GeneratedFile> {
    let scripts = Shell::value_variants().iter().map(|&shell| GeneratedFile {
        path: Path::new("completions").join(completion_file_name(shell)),
        contents: completions::script(shell).into_bytes(),
    });
    let pages = man_pages()
        .into_iter()
        .map(|(name, contents)| GeneratedFile {
            path: Path::new("man").join(name),
            contents,
        });
    scripts.chain(pages).collect()
}

/// Writes every generated file under `root` (the crate root).
pub fn write_all(root: &Path) -> io::Result<()> {
    for file in files() {
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, file.contents)?;
    }
    Ok(())
}

/// `pointauth.bash`, `_pointauth`, `pointauth.fish`, `_pointauth.ps1`, `pointauth.elv`: the
/// names each shell's completion loader looks for.
pub fn completion_file_name(shell: Shell) -> String {
    shell.file_name(NAME)
}

/// `(file name, roff source)` for `pointauth.1` and one `pointauth-COMMAND.1` per subcommand.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    // Building the root first gives each subcommand its `pointauth-login` display name (the
    // page's title and file name), its `pointauth login` bin name (the synopsis) and the
    // global options. `help` is clap's, not a command with a page of its own.
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = vec![man_page(&root, None)];
    for sub in root.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        pages.push(man_page(sub, Some(sub.get_name())));
    }
    pages
}

fn man_page(cmd: &clap::Command, subcommand: Option<&str>) -> (String, Vec<u8>) {
    let man = Man::new(cmd.clone())
        .title(page_name(subcommand).to_uppercase())
        .date(MAN_DATE)
        // clap_mangen would say `login 0.1.0` on a subcommand's page.
        .source(format!("{NAME} {}", cmd.get_version().unwrap_or_default()))
        .manual("User Commands");
    let mut roff = Roff::new();
    synopsis(&mut roff, cmd, subcommand.is_none());

    let mut page = String::new();
    page.push_str(&body(|w| man.render_title(w)));
    // No hyphenation and a ragged right margin: paths and URLs stay whole.
    page.push_str(".nh\n.ad l\n");
    page.push_str(&body(|w| man.render_name_section(w)));
    page.push_str(&body(|w| roff.to_writer(w)).replace(NBSP, "\\ "));
    page.push_str(&body(|w| man.render_description_section(w)));
    page.push_str(&body(|w| man.render_options_section(w)));

    let mut roff = Roff::new();
    if subcommand.is_none() {
        commands(&mut roff, cmd);
    }
    exit_status(&mut roff, subcommand);
    environment(&mut roff, subcommand);
    files_section(&mut roff, subcommand);
    if let Some(text) = cmd.get_after_long_help() {
        examples(&mut roff, &text.to_string());
    }
    see_also(&mut roff, cmd, subcommand);
    page.push_str(&body(|w| roff.to_writer(w)));
    (
        format!("{}.1", page_name(subcommand)),
        tidy(&page).into_bytes(),
    )
}

/// What `render` writes. Every rendering starts with the same apostrophe preamble; the page
/// keeps only the first.
fn body(render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut buffer = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render(&mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Stands for roff's unbreakable space (`\ `), which the roff crate would escape: a bracketed
/// item of the synopsis is never split across lines.
const NBSP: char = '\u{a0}';

/// `pointauth login [--username USERNAME] [--password-stdin] [GLOBAL OPTIONS]`: the command's
/// own options with their values (clap_mangen's synopsis drops the values), the global
/// options spelled out only on the main page.
fn synopsis(roff: &mut Roff, cmd: &clap::Command, main_page: bool) {
    roff.control("SH", ["SYNOPSIS"]);
    let mut line = vec![bold(cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()))];
    let shown = |arg: &&clap::Arg| {
        !arg.is_hide_set() && !matches!(arg.get_id().as_str(), "help" | "version")
    };
    let value = |arg: &clap::Arg| {
        arg.get_value_names()
            .and_then(|names| names.first())
            .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string)
    };
    let (options, positionals): (Vec<_>, Vec<_>) = cmd
        .get_arguments()
        .filter(shown)
        .partition(|arg| !arg.is_positional());
    let (globals, options): (Vec<_>, Vec<_>) = options
        .into_iter()
        .partition(|arg| arg.is_global_set() && !main_page);
    for arg in options {
        line.push(roman(" ["));
        if let Some(short) = arg.get_short() {
            line.push(bold(format!("-{short}")));
            if arg.get_long().is_some() {
                line.push(roman("|"));
            }
        }
        if let Some(long) = arg.get_long() {
            line.push(bold(format!("--{long}")));
        }
        if arg.get_action().takes_values() {
            line.extend([roman(NBSP.to_string()), italic(value(arg))]);
        }
        line.push(roman("]"));
    }
    // Before the positionals: after a trailing CMD..., every word is CMD's.
    if !globals.is_empty() {
        line.extend([
            roman(" ["),
            italic(format!("GLOBAL{NBSP}OPTIONS")),
            roman("]"),
        ]);
    }
    for arg in positionals {
        line.push(roman(" "));
        if arg.is_trailing_var_arg_set() {
            line.extend([roman("["), bold("--"), roman("] ")]);
        }
        let repeated = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let dots = if repeated { "..." } else { "" };
        match arg.is_required_set() {
            true => line.extend([italic(value(arg)), roman(dots)]),
            false => line.extend([roman("["), italic(value(arg)), roman(format!("{dots}]"))]),
        }
    }
    if cmd.has_subcommands() {
        line.extend([
            roman(" "),
            italic("COMMAND"),
            roman(" ["),
            italic("ARGS"),
            roman("]"),
        ]);
    }
    roff.text(line);
}

fn commands(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["COMMANDS"]);
    for sub in cmd.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        roff.control("TP", []);
        roff.text([bold(page_name(Some(sub.get_name()))), roman("(1)")]);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
    }
}

/// Makes the page lint-clean (`mandoc -Tlint`, `groff -ww`) without changing what it renders
/// to: the apostrophe preamble once, no trailing blanks, no `.br` around a blank line (as
/// clap_mangen writes before possible values), text lines of at most 80 bytes (filled text
/// may break at a single space).
fn tidy(page: &str) -> String {
    let preamble = Roff::new().render();
    let page = preamble.clone()
        + &page
            .replace(&preamble, "")
            .replace("\n.br\n\n.br\n", "\n.sp\n");
    let mut out = String::with_capacity(page.len());
    let mut verbatim = false;
    for line in page.lines().map(str::trim_end) {
        match line {
            ".nf" => verbatim = true,
            ".fi" => verbatim = false,
            _ => {}
        }
        if verbatim || line.starts_with('.') || line.len() <= 80 {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut rest = line;
        while rest.len() > 80 {
            let bytes = rest.as_bytes();
            let breakable = |i: usize| {
                // Not after a sentence's end, where roff would widen the space.
                bytes[i] == b' '
                    && i > 0
                    && !matches!(bytes[i - 1], b' ' | b'\\' | b'.' | b'!' | b'?')
                    && bytes.get(i + 1).is_some_and(|next| *next != b' ')
            };
            let Some(at) = (1..=80)
                .rev()
                .find(|&i| breakable(i))
                .or_else(|| (81..bytes.len()).find(|&i| breakable(i)))
            else {
                break;
            };
            out.push_str(&rest[..at]);
            out.push('\n');
            rest = &rest[at + 1..];
            if rest.starts_with(['.', '\'']) {
                out.push_str("\\&");
            }
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

fn page_name(subcommand: Option<&str>) -> String {
    match subcommand {
        Some(sub) => format!("{NAME}-{sub}"),
        None => NAME.to_owned(),
    }
}

/// The contract's exit codes.
const EXIT_CODES: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "Unexpected failure: the credential store is unusable, an I/O error, a bug. Read the message.",
    ),
    (
        "2",
        "Usage error: a bad option or environment variable, or no source for a credential. Fix the command.",
    ),
    (
        "3",
        "Not logged in, or the session expired or was revoked. Run pointauth login.",
    ),
    (
        "4",
        "The service rejected the credentials: wrong password, unknown or disabled user. Check them.",
    ),
    (
        "5",
        "The service could not be reached or answered badly: network, timeout, HTTP 5xx, 429 after \
         retries, a malformed answer, or an account locked after too many attempts. Retry later.",
    ),
];

/// What `completions` can answer: it touches no session, store or service.
const COMPLETIONS_EXIT_CODES: &[(&str, &str)] = &[
    ("0", "Success."),
    ("1", "The script could not be written to standard output."),
    ("2", "Usage error, e.g. an unknown shell."),
];

fn exit_status(roff: &mut Roff, subcommand: Option<&str>) {
    roff.control("SH", ["EXIT STATUS"]);
    let note = match subcommand {
        None => Some(
            "pointauth exec exits with the status of the command it runs; see pointauth-exec(1).",
        ),
        Some("status") => Some(
            "status exits 0 while the session is usable (the access token or the refresh token is \
             still valid) and 3 otherwise; with --all, 0 only if every profile is usable.",
        ),
        Some("logout") => Some("logout exits 0 also when there was nothing to remove."),
        Some("exec") => Some(
            "Once the command runs, pointauth has replaced itself with it (Unix exec): the exit \
             status is the command's own, and a shell reports 128+N when it was killed by signal \
             N. 127 means the command was not found, 126 that it could not be started. Before \
             that, when no token can be had, the command is not run and the codes are these:",
        ),
        Some(_) => None,
    };
    if let Some(note) = note {
        roff.text([roman(note)]);
    }
    let codes = match subcommand {
        Some("completions") => COMPLETIONS_EXIT_CODES,
        _ => EXIT_CODES,
    };
    for (code, meaning) in codes {
        roff.control("TP", []);
        roff.text([bold(*code)]);
        roff.text([roman(*meaning)]);
    }
}

const ENVIRONMENT: &[(&str, &str)] = &[
    ("POINTAUTH_PROFILE", "The profile, as --profile."),
    (
        "POINTAUTH_BASE_URL",
        "The service's base URL, as --base-url.",
    ),
    (
        "POINTAUTH_STORE",
        "Where secrets live, as --store: auto, keyring or file.",
    ),
    (
        "POINTAUTH_TIMEOUT",
        "The time limit for each HTTP attempt, as --timeout.",
    ),
    (
        "POINTAUTH_USERNAME",
        "The username for login, and for signing in without a prompt when token, refresh or exec \
         find no usable session. A stored session for another user is not used.",
    ),
    (
        "POINTAUTH_PASSWORD",
        "The password for signing in without a prompt: login without a terminal, and token, \
         refresh or exec when they find no usable session. It is never stored.",
    ),
    (
        "POINTAUTH_ACCESS_TOKEN",
        "Set by exec, for the command it runs, to a fresh access token.",
    ),
    (
        "HTTPS_PROXY, ALL_PROXY, NO_PROXY",
        "The proxy for requests to the service: HTTPS_PROXY or ALL_PROXY (the lowercase names \
         work too). NO_PROXY lists the hosts reached directly.",
    ),
    (
        "SSL_CERT_FILE, SSL_CERT_DIR",
        "On Linux, the CA certificates to trust instead of the system's, e.g. a corporate CA \
         bundle. macOS and Windows use the system trust store.",
    ),
    (
        "XDG_DATA_HOME, XDG_STATE_HOME",
        "Where the files live on Linux; see FILES.",
    ),
    (
        "DBUS_SESSION_BUS_ADDRESS",
        "On Linux, the session bus on which the Secret Service (e.g. gnome-keyring) is found. \
         Without one, --store auto falls back to the file store.",
    ),
];

fn environment(roff: &mut Roff, subcommand: Option<&str>) {
    roff.control("SH", ["ENVIRONMENT"]);
    if subcommand == Some("completions") {
        roff.text([
            roman(
                "completions reads no environment variables; for those of the other commands, see ",
            ),
            bold(NAME),
            roman("(1)."),
        ]);
        return;
    }
    for (names, meaning) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text(join(names.split(", ").map(bold), 1, ", "));
        roff.text([roman(*meaning)]);
    }
}

const FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/pointauth/<profile>.json",
        "The session of a profile in the file store: the access token, the refresh token and \
         their expiries. Mode 0600 in a 0700 directory, replaced atomically; refused when group \
         or others can access it. $XDG_DATA_HOME defaults to ~/.local/share.",
    ),
    (
        "$XDG_STATE_HOME/pointauth/profiles/<profile>.json",
        "The profile's metadata, which is not secret: the remembered base URL and username, and \
         which store holds the session. $XDG_STATE_HOME defaults to ~/.local/state.",
    ),
    (
        "$XDG_STATE_HOME/pointauth/locks/<profile>.lock",
        "Held while a process refreshes or signs in, so that only one does at a time.",
    ),
];

fn files_section(roff: &mut Roff, subcommand: Option<&str>) {
    roff.control("SH", ["FILES"]);
    if subcommand == Some("completions") {
        roff.text([roman(
            "completions reads and writes no files; it prints the script on standard output.",
        )]);
        return;
    }
    for (path, meaning) in FILES {
        roff.control("TP", []);
        roff.text([italic(*path)]);
        roff.text([roman(*meaning)]);
    }
    roff.control("PP", []);
    roff.text([roman(
        "In the keyring store, the session is the OS credential store's entry with service \
         pointauth and user <profile> (split into <profile>#1, <profile>#2 and so on where the \
         platform caps an entry's size, as Windows does). The password is never stored.",
    )]);
    roff.control("PP", []);
    roff.text([roman(
        "On macOS all three files are under ~/Library/Application Support/pointauth/, on Windows \
         under %APPDATA%\\pointauth\\data\\.",
    )]);
}

/// Renders `after_long_help`: headed blocks of two-space-indented lines. `Examples:` is the
/// section's own title; the `Exit status:` summary is left out, as EXIT STATUS says it in full.
/// In a group of lines, leading `# comment` lines become prose and the rest stays verbatim.
fn examples(roff: &mut Roff, text: &str) {
    let mut blocks: Vec<(&str, Vec<Vec<&str>>)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if let Some((_, groups)) = blocks.last_mut() {
                groups.push(Vec::new());
            }
        } else if let Some(indented) = line.strip_prefix("  ") {
            match blocks.last_mut() {
                Some((_, groups)) => match groups.last_mut() {
                    Some(group) => group.push(indented),
                    None => groups.push(vec![indented]),
                },
                None => blocks.push(("", vec![vec![indented]])),
            }
        } else {
            blocks.push((line.trim_end(), vec![Vec::new()]));
        }
    }
    let blocks: Vec<_> = blocks
        .into_iter()
        .filter(|(heading, _)| *heading != "Exit status:")
        .collect();
    if blocks.is_empty() {
        return;
    }
    roff.control("SH", ["EXAMPLES"]);
    // A paragraph break right after the section heading is one too many.
    let mut first = true;
    let mut paragraph = |roff: &mut Roff| {
        if !std::mem::take(&mut first) {
            roff.control("PP", []);
        }
    };
    for (heading, groups) in blocks {
        if !heading.is_empty() && heading != "Examples:" {
            paragraph(roff);
            roff.text([roman(heading)]);
        }
        for group in groups.iter().filter(|group| !group.is_empty()) {
            let prose = group
                .iter()
                .take_while(|line| line.starts_with("# "))
                .count();
            paragraph(roff);
            for line in &group[..prose] {
                roff.text([roman(&line[2..])]);
            }
            if prose < group.len() {
                roff.control("RS", ["4"]);
                roff.control("nf", []);
                for line in &group[prose..] {
                    roff.text([roman(*line)]);
                }
                roff.control("fi", []);
                roff.control("RE", []);
            }
        }
    }
}

fn see_also(roff: &mut Roff, cmd: &clap::Command, subcommand: Option<&str>) {
    roff.control("SH", ["SEE ALSO"]);
    let pages: Vec<String> = match subcommand {
        None => cmd
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .map(|sub| page_name(Some(sub.get_name())))
            .collect(),
        Some(_) => vec![NAME.to_owned()],
    };
    roff.text(join(
        pages
            .into_iter()
            .flat_map(|page| [bold(page), roman("(1)")]),
        2,
        ", ",
    ));
}

/// `items` with `separator` between every `every` of them.
fn join(items: impl Iterator<Item = Inline>, every: usize, separator: &str) -> Vec<Inline> {
    let mut line = Vec::new();
    for (i, item) in items.enumerate() {
        if i > 0 && i % every == 0 {
            line.push(roman(separator));
        }
        line.push(item);
    }
    line
}
