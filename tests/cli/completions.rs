//! The checked-in completion scripts, run in the real shells: `--profile <TAB>` offers the
//! profiles that exist, `--store <TAB>` the store names, `exec -- <TAB>` commands. bash is
//! driven through its completion function (`COMP_WORDS`/`COMP_CWORD`), fish through
//! `complete -C`, zsh through a pseudo-terminal (`zpty`) running the real completion system.
//! A missing shell is SKIPPED, and a failure under CI=true (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// Two profiles besides none at all: what completion must offer.
fn env_with_profiles() -> TestEnv {
    let env = TestEnv::new();
    env.login_profile("staging");
    env.login_profile("prod-eu");
    env
}

/// A directory holding `pointauth` (a link to the binary under test), for PATH.
fn bin_dir(env: &TestEnv) -> PathBuf {
    let dir = env.home().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("pointauth");
    if !link.exists() {
        std::os::unix::fs::symlink(bin(), &link).unwrap();
    }
    dir
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name)
}

/// The shell, or None (SKIPPED; a failure under CI=true).
fn shell_or_skip(shell: &str, test: &str) -> Option<()> {
    let found = Command::new(shell)
        .args(["-c", "exit 0"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci != "true"),
            "{test} needs {shell} in CI (apt-get install {shell})"
        );
        eprintln!("SKIPPED: {test} needs {shell} (apt-get install {shell})");
        return None;
    }
    Some(())
}

/// `shell -c script` in the test's isolated environment, with `pointauth` on PATH.
fn run_shell(env: &TestEnv, shell: &str, args: &[&str]) -> Vec<String> {
    let isolated = env.cmd();
    let mut cmd = Command::new(shell);
    cmd.args(args);
    for (name, value) in isolated.get_envs() {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    let path = format!(
        "{}:{}",
        bin_dir(env).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path).current_dir(env.home());
    let output = cmd.output().unwrap();
    assert!(output.status.success(), "{shell}: {}", stderr_of(&output));
    stdout_of(&output)
        .lines()
        .map(|line| line.split('\t').next().unwrap_or("").trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

fn bash_complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _pointauth_v2 pointauth '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script("pointauth.bash").display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    run_shell(env, "bash", &["-c", &program])
}

#[test]
fn bash_offers_profiles_store_names_and_commands() {
    if shell_or_skip("bash", "bash_offers_profiles_store_names_and_commands").is_none() {
        return;
    }
    let env = env_with_profiles();
    assert_eq!(
        bash_complete(&env, &["pointauth", "--profile", ""]),
        ["prod-eu", "staging"]
    );
    assert_eq!(
        bash_complete(&env, &["pointauth", "status", "--profile", "st"]),
        ["staging"]
    );
    let stores = bash_complete(&env, &["pointauth", "--store", ""]);
    for store in ["auto", "keyring", "kernel", "file"] {
        assert!(stores.contains(&store.to_owned()), "{stores:?}");
    }
    // bash splits `--profile=st` into `--profile`, `=`, `st`.
    assert_eq!(
        bash_complete(&env, &["pointauth", "--profile", "=", "st"]),
        ["staging"]
    );
    let commands = bash_complete(&env, &["pointauth", "exec", "--", "ba"]);
    assert!(commands.contains(&"bash".to_owned()), "{commands:?}");
    let commands = bash_complete(&env, &["pointauth", "exec", "--min-ttl", "5m", "--", "ba"]);
    assert!(commands.contains(&"bash".to_owned()), "{commands:?}");
    // After the command, its arguments are file names, spaces and all.
    std::fs::write(env.home().join("a file.txt"), "").unwrap();
    let files = bash_complete(&env, &["pointauth", "exec", "--", "cat", "a"]);
    assert_eq!(files, ["a file.txt"], "{files:?}");
    // The hidden listing is not offered.
    let options = bash_complete(&env, &["pointauth", "completions", "--"]);
    assert!(!options.iter().any(|o| o.contains("list")), "{options:?}");
    // Subcommands still come from clap's function.
    let subcommands = bash_complete(&env, &["pointauth", "st"]);
    assert!(
        subcommands.contains(&"status".to_owned()),
        "{subcommands:?}"
    );
}

#[test]
fn fish_offers_profiles_store_names_and_commands() {
    if shell_or_skip("fish", "fish_offers_profiles_store_names_and_commands").is_none() {
        return;
    }
    let env = env_with_profiles();
    let complete = |line: &str| {
        let program = format!(
            "source '{}'; complete -C '{line}'",
            script("pointauth.fish").display()
        );
        run_shell(&env, "fish", &["--no-config", "-c", &program])
    };
    assert_eq!(complete("pointauth --profile "), ["prod-eu", "staging"]);
    assert_eq!(complete("pointauth token --profile pr"), ["prod-eu"]);
    let stores = complete("pointauth --store ");
    for store in ["auto", "keyring", "kernel", "file"] {
        assert!(stores.contains(&store.to_owned()), "{stores:?}");
    }
    let commands = complete("pointauth exec -- ba");
    assert!(commands.contains(&"bash".to_owned()), "{commands:?}");
}

/// zsh's completion system in a pseudo-terminal: `zpty` runs an interactive zsh that loads
/// the script, the test types the line and a TAB, and a `compadd` wrapper prints what was
/// offered.
fn zsh_complete(env: &TestEnv, line: &str) -> Vec<String> {
    let completions = script("_pointauth");
    let dir = completions.parent().unwrap().display().to_string();
    let program = format!(
        r#"
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1=""; fpath=({dir} $fpath); autoload -Uz compinit; compinit -u -D'
zpty -w z 'compadd() {{ builtin compadd "$@"; local -a got; builtin compadd -O got "$@"; print -rl -- "<<$got>>" >> $HOME/offered }}'
zpty -w z 'zstyle ":completion:*" list-prompt ""; zstyle ":completion:*" menu no'
zpty -w -n z '{line}'$'\t'
sleep 2
zpty -d z
cat $HOME/offered 2>/dev/null
"#
    );
    let _ = std::fs::remove_file(env.home().join("offered"));
    let lines = run_shell(env, "zsh", &["-f", "-c", &program]);
    lines
        .iter()
        .filter_map(|line| line.strip_prefix("<<")?.strip_suffix(">>"))
        .flat_map(|got| got.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .filter(|word| !word.is_empty())
        .collect()
}

#[test]
fn zsh_offers_the_profiles() {
    if shell_or_skip("zsh", "zsh_offers_the_profiles").is_none() {
        return;
    }
    let env = env_with_profiles();
    let offered = zsh_complete(&env, "pointauth --profile ");
    assert!(
        offered.contains(&"staging".to_owned()) && offered.contains(&"prod-eu".to_owned()),
        "{offered:?}"
    );
    assert!(
        !offered.contains(&"bin".to_owned()),
        "file names offered: {offered:?}"
    );
}

#[test]
fn the_hidden_listing_prints_only_profile_names() {
    let env = env_with_profiles();
    let output = env
        .cmd()
        .args(["completions", "--list-profiles"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(stdout_of(&output), "prod-eu\nstaging\n");
    assert_eq!(stderr_of(&output), "");
}
