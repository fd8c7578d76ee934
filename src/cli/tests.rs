//! The fast path is the full command line, reduced: whatever it takes, the full parser takes
//! the same way; whatever it refuses, the full parser decides.

use std::ffi::OsString;

use clap::FromArgMatches;

use super::*;

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn full(args: &[&str]) -> Option<Cli> {
    let matches = command().try_get_matches_from(os(args)).ok()?;
    Cli::from_arg_matches(&matches).ok()
}

#[test]
fn the_definition_is_consistent() {
    command().debug_assert();
}

#[test]
fn the_token_fast_path_answers_what_the_full_parser_answers() {
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
        &["pointauth", "--timeout", "5", "token"],
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
    ];
    for args in taken {
        let (global, token) = fast::token(&os(args)).unwrap_or_else(|| panic!("{args:?}"));
        let full = full(args).expect("the full parser takes what the fast path takes");
        assert_eq!(
            format!("{global:?}"),
            format!("{:?}", full.global),
            "{args:?}"
        );
        assert_eq!(
            format!("{:?}", Command::Token(token)),
            format!("{:?}", full.command),
            "{args:?}"
        );
    }
    let refused: &[&[&str]] = &[
        &["pointauth"],
        &["pointauth", "tok"],
        &["pointauth", "status"],
        &["pointauth", "help", "token"],
        &["pointauth", "-h", "token"],
        &["pointauth", "token", "--help"],
        &["pointauth", "token", "-h"],
        &["pointauth", "--version", "token"],
        &["pointauth", "token", "-V"],
        &["pointauth", "token", "token"],
        &["pointauth", "token", "--", "x"],
        &["pointauth", "--store", "FILE", "token"],
        &["pointauth", "--profile"],
        &["pointauth", "--timeout", "0", "token"],
        &["pointauth", "token", "--min-ttl", "2d"],
        &["pointauth", "token", "--header", "--json"],
        &["pointauth", "token", "--json=false"],
        &["pointauth", "status", "token"],
    ];
    for args in refused {
        assert!(
            fast::token(&os(args)).is_none(),
            "{args:?} must go to the full parser"
        );
    }
}

#[test]
fn every_option_with_a_variable_names_it_in_its_help() {
    let mut cmd = command();
    cmd.build();
    for (id, variable) in [
        ("profile", "POINTAUTH_PROFILE"),
        ("base_url", "POINTAUTH_BASE_URL"),
        ("store", "POINTAUTH_STORE"),
        ("timeout", "POINTAUTH_TIMEOUT"),
    ] {
        let arg = cmd
            .get_arguments()
            .find(|arg| arg.get_id() == id)
            .unwrap_or_else(|| panic!("--{id}"));
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        assert!(help.contains(variable), "--{id}: {help}");
    }
}

#[test]
fn the_root_help_carries_the_generated_tables() {
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(&command().render_long_help().to_string());
    for row in EXIT_CODES {
        assert!(help.contains(&words(row.meaning)), "{}: {help}", row.code);
    }
    for variable in VARIABLES {
        assert!(help.contains(&words(variable.meaning)), "{}", variable.name);
    }
}
