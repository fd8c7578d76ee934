//! The checked-in completion scripts (`completions/`), man pages (`man/`) and the README's
//! reference tables are generated from the code by `support/docs.rs`. These tests fail when
//! they are stale; run `POINTAUTH_REGENERATE=1 cargo test --test generated` to rewrite them.

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
// The house rules (no unwrap, no print, the environment and clock only through settings) are
// for the shipped code in src/; tests and the demo may panic, print and read what they like.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)]

#[path = "support/docs.rs"]
mod docs;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use assert_cmd::Command;
use clap::ValueEnum;
use clap_complete::Shell;

const REGENERATE: &str = "POINTAUTH_REGENERATE";

/// Held while a test reads or rewrites the checked-in files, so a regeneration run never lets
/// one test read a file another is writing.
static CHECKED_IN: Mutex<()> = Mutex::new(());

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn regenerating() -> bool {
    std::env::var_os(REGENERATE).is_some_and(|value| !value.is_empty() && value != "0")
}

/// Files in the generated directories that `docs::files()` does not produce.
fn leftovers(expected: &BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in docs::DIRS {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = Path::new(dir).join(entry.file_name());
            if !expected.contains(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn checked_in_completions_and_man_pages_are_up_to_date() {
    let _guard = CHECKED_IN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let files = docs::files();
    let expected: BTreeSet<PathBuf> = files.iter().map(|file| file.path.clone()).collect();

    if regenerating() {
        docs::write_all(root()).expect("write the generated files");
        for extra in leftovers(&expected) {
            std::fs::remove_file(root().join(&extra)).expect("remove a file no longer generated");
            eprintln!("removed {}", extra.display());
        }
        eprintln!(
            "regenerated {} files under {}",
            files.len(),
            docs::DIRS.join("/ and ")
        );
        return;
    }

    let mut problems = Vec::new();
    for file in &files {
        match std::fs::read(root().join(&file.path)) {
            Ok(bytes) if bytes == file.contents => {}
            Ok(_) => problems.push(format!("{} is stale", file.path.display())),
            Err(_) => problems.push(format!("{} is missing", file.path.display())),
        }
    }
    for extra in leftovers(&expected) {
        problems.push(format!("{} is no longer generated", extra.display()));
    }
    assert!(
        problems.is_empty(),
        "the generated docs do not match the CLI:\n  {}\n\n\
         Regenerate them with\n    {REGENERATE}=1 cargo test --test generated\n\
         then review and commit completions/ and man/.",
        problems.join("\n  ")
    );
}

#[test]
fn completions_command_prints_the_checked_in_script_for_every_shell() {
    let _guard = CHECKED_IN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for &shell in Shell::value_variants() {
        let path = Path::new("completions").join(docs::completion_file_name(shell));
        let checked_in = if regenerating() {
            // The other test is (or was) rewriting the file: compare with what it writes.
            pointauth::cli::completion_script(shell).into_bytes()
        } else {
            std::fs::read(root().join(&path)).unwrap_or_else(|err| {
                panic!(
                    "cannot read {}: {err}; run {REGENERATE}=1 cargo test --test generated",
                    path.display()
                )
            })
        };
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("pointauth"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("POINTAUTH_") {
                cmd.env_remove(&name);
            }
        }
        let output = cmd
            .args(["completions", &shell.to_string()])
            .output()
            .expect("run pointauth");
        assert!(
            output.status.success(),
            "pointauth completions {shell} failed"
        );
        assert!(
            output.stderr.is_empty(),
            "pointauth completions {shell} wrote to stderr"
        );
        assert!(
            output.stdout == checked_in,
            "`pointauth completions {shell}` differs from {}; \
             run {REGENERATE}=1 cargo test --test generated",
            path.display()
        );
    }
}

#[test]
fn every_command_has_a_man_page_with_the_promised_sections() {
    let pages = docs::man_pages();
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    let mut expected = vec!["pointauth.1".to_owned()];
    expected.extend(
        pointauth::cli::command()
            .get_subcommands()
            .map(|sub| format!("pointauth-{}.1", sub.get_name())),
    );
    assert_eq!(
        names, expected,
        "one page per command, named pointauth-COMMAND.1"
    );
    for (name, bytes) in &pages {
        let text = String::from_utf8(bytes.clone()).expect("man pages are UTF-8");
        let page = name.trim_end_matches(".1");
        let title = format!(".TH {} 1", page.to_uppercase());
        assert!(text.contains(&title), "{name} lacks `{title}`");
        // The synopsis names the command as it is typed: `pointauth login`, not `login`.
        let typed = page.replacen('-', " ", 1).replace('-', "\\-");
        assert!(
            text.contains(&format!(".SH SYNOPSIS\n\\fB{typed}\\fR")),
            "{name}'s synopsis does not start with `{typed}`"
        );
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "\"EXIT STATUS\"",
            "ENVIRONMENT",
            "FILES",
            "\"SEE ALSO\"",
        ] {
            assert!(
                text.contains(&format!("\n.SH {section}\n")),
                "{name} lacks the {section} section"
            );
        }
        assert_eq!(
            text.matches(".ds Aq").count(),
            2,
            "{name} should define the apostrophe string once (.ie/.el)"
        );
    }
}

#[test]
fn man_pages_name_the_real_files_and_environment() {
    let pages = docs::man_pages();
    let (_, root_page) = &pages[0];
    let text = String::from_utf8_lossy(root_page);
    for needle in [
        "$XDG_DATA_HOME/pointauth/<profile>.json",
        "$XDG_STATE_HOME/pointauth/profiles/<profile>.json",
        "$XDG_STATE_HOME/pointauth/locks/<profile>.lock",
    ] {
        let roff = needle.replace('-', "\\-");
        assert!(text.contains(&roff), "pointauth.1 does not name {needle}");
    }
    for variable in [
        "POINTAUTH_PROFILE",
        "POINTAUTH_BASE_URL",
        "POINTAUTH_STORE",
        "POINTAUTH_TIMEOUT",
        "POINTAUTH_USERNAME",
        "POINTAUTH_PASSWORD",
        "POINTAUTH_ACCESS_TOKEN",
        "HTTPS_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
    ] {
        assert!(
            text.contains(&format!("\\fB{variable}\\fR")),
            "pointauth.1 does not describe {variable}"
        );
    }
}

#[test]
fn the_readme_tables_are_generated_from_the_code() {
    let _guard = CHECKED_IN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let updated = docs::update_readme(&readme).unwrap_or_else(|why| panic!("{why}"));
    if regenerating() {
        std::fs::write(&path, updated).expect("rewrite README.md");
        return;
    }
    assert!(
        updated == readme,
        "README.md's exit-code, environment or files table differs from the code; \
         run {REGENERATE}=1 cargo test --test generated"
    );
}
