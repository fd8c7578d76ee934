//! The generated documentation: shell completion scripts, man pages and the README's
//! reference tables, built from the clap definition and the tables in `pointauth::cli`.
//! `completions/`, `man/` and the README's marked sections hold this module's output;
//! `tests/generated.rs` fails when they are stale and rewrites them when run with
//! `POINTAUTH_REGENERATE=1`. It is test code: the shipped binary carries no man-page generator.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use clap_complete::{Generator, Shell};
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};
use pointauth::cli;

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
        contents: cli::completion_script(shell).into_bytes(),
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
    let mut root = cli::command().disable_help_subcommand(true);
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
    let codes: Vec<(String, String)> = match subcommand {
        Some("completions") => COMPLETIONS_EXIT_CODES
            .iter()
            .map(|(code, meaning)| ((*code).to_owned(), (*meaning).to_owned()))
            .collect(),
        _ => cli::EXIT_CODES
            .iter()
            .map(|row| (row.code.to_string(), sentence(row.meaning, row.typical_fix)))
            .collect(),
    };
    for (code, meaning) in codes {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
}

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
    for variable in cli::VARIABLES {
        roff.control("TP", []);
        roff.text(join(variable.name.split(", ").map(bold), 1, ", "));
        roff.text([roman(variable.meaning)]);
    }
}

fn files_section(roff: &mut Roff, subcommand: Option<&str>) {
    roff.control("SH", ["FILES"]);
    if subcommand == Some("completions") {
        roff.text([roman(
            "completions reads and writes no files; it prints the script on standard output.",
        )]);
        return;
    }
    for file in cli::FILES {
        roff.control("TP", []);
        roff.text([italic(file.path)]);
        roff.text([roman(file.meaning)]);
    }
    roff.control("PP", []);
    roff.text([roman(cli::STORE_ENTRIES)]);
    roff.control("PP", []);
    roff.text([roman(cli::OTHER_PLATFORMS)]);
}

/// "Meaning; fix." as a sentence for the man page.
fn sentence(meaning: &str, fix: &str) -> String {
    let mut text = capitalised(meaning);
    if !fix.is_empty() {
        text.push_str(&format!(". Typical fix: {fix}"));
    }
    text.push('.');
    text
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
        .filter(|(heading, _)| !matches!(*heading, "Exit status:" | "Environment:"))
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

/// The README's generated sections: (name, Markdown). Each sits between
/// `<!-- generated: NAME -->` and `<!-- end: NAME -->`.
pub fn readme_sections() -> Vec<(&'static str, String)> {
    let mut exit_codes = String::from("| code | meaning | typical fix |\n| --- | --- | --- |\n");
    for row in cli::EXIT_CODES {
        exit_codes.push_str(&format!(
            "| {} | {} | {} |\n",
            row.code, row.meaning, row.typical_fix
        ));
    }
    let mut environment = String::from("| variable | meaning |\n| --- | --- |\n");
    for variable in cli::VARIABLES {
        let names: Vec<String> = variable
            .name
            .split(", ")
            .map(|n| format!("`{n}`"))
            .collect();
        environment.push_str(&format!(
            "| {} | {} |\n",
            names.join(", "),
            variable.meaning
        ));
    }
    let mut files = String::from("| file | what it holds |\n| --- | --- |\n");
    for file in cli::FILES {
        files.push_str(&format!("| `{}` | {} |\n", file.path, file.meaning));
    }
    files.push_str(&format!(
        "\n{}\n\n{}\n",
        cli::STORE_ENTRIES,
        cli::OTHER_PLATFORMS
    ));
    vec![
        ("exit-codes", exit_codes),
        ("environment", environment),
        ("files", files),
    ]
}

/// `readme` with every generated section replaced by what the code says now; `Err` names a
/// section whose markers are missing.
pub fn update_readme(readme: &str) -> Result<String, String> {
    let mut text = readme.to_owned();
    for (name, body) in readme_sections() {
        let begin = format!("<!-- generated: {name} (tests/generated.rs) -->\n");
        let end = format!("<!-- end: {name} -->");
        let start = text
            .find(&begin)
            .ok_or_else(|| format!("README.md has no `{}` marker", begin.trim()))?
            + begin.len();
        let stop = text[start..]
            .find(&end)
            .ok_or_else(|| format!("README.md has no `{end}` marker"))?
            + start;
        text.replace_range(start..stop, &body);
    }
    Ok(text)
}
