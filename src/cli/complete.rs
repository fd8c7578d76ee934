//! The completion scripts: clap_complete's static scripts, with profile names offered after
//! `--profile` and commands after `exec --` in bash, zsh and fish. The names come from
//! `pointauth completions --list-profiles` (hidden), which lists what `status --all` would, from the files and
//! the kernel keyring only: it never waits on a keychain.

/// The completion script for `shell`, byte for byte what `completions/` holds.
pub fn completion_script(shell: clap_complete::Shell) -> String {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut super::command(), "pointauth", &mut buffer);
    let script = without_hidden(&String::from_utf8_lossy(&buffer));
    match shell {
        clap_complete::Shell::Bash => bash(&script),
        clap_complete::Shell::Zsh => zsh(&script),
        clap_complete::Shell::Fish => fish(&script),
        _ => script,
    }
}

/// clap_complete offers hidden options in some shells: `--list-profiles` is for the scripts.
fn without_hidden(script: &str) -> String {
    let kept: Vec<&str> = script
        .lines()
        .filter(|line| !line.contains("list-profiles"))
        .collect();
    let mut text = kept.join("\n").replace(" --list-profiles", "");
    text.push('\n');
    text
}

/// bash: a wrapper around clap's function answers `--profile` and what follows `exec --`,
/// and hands every other word to it.
fn bash(script: &str) -> String {
    let wrapper = r#"
# Added by pointauth: profile names after --profile, commands after `exec --`.
_pointauth_v2() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" i dashes=0 exec=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            exec) exec=1 ;;
            --) [[ $exec == 1 ]] && { dashes=$i; break; } ;;
        esac
    done
    if ((dashes)); then
        if ((COMP_CWORD == dashes + 1)); then
            mapfile -t COMPREPLY < <(compgen -c -- "${cur}")
        else
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "${cur}")
        fi
        return 0
    fi
    # `--profile NAME` and `--profile=NAME` (bash splits the word at `=`).
    if [[ ${prev} == = && ${COMP_WORDS[COMP_CWORD-2]} == --profile ]]; then
        prev=--profile
    fi
    if [[ ${prev} == --profile ]]; then
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" completions --list-profiles 2>/dev/null)" -- "${cur}"))
        return 0
    fi
    _pointauth "$@"
}
"#;
    let script = script.replace("complete -F _pointauth ", "complete -F _pointauth_v2 ");
    format!("{script}{wrapper}")
}

/// zsh: `--profile`'s argument is completed by a function that asks pointauth.
fn zsh(script: &str) -> String {
    let function = r#"# Added by pointauth: the profiles that exist, for --profile.
(( $+functions[_pointauth_profiles] )) ||
_pointauth_profiles() {
    local -a profiles
    profiles=(${(f)"$(${words[1]} completions --list-profiles 2>/dev/null)"})
    compadd -a profiles
}

_pointauth() {"#;
    let lines: Vec<String> = script
        .replacen("_pointauth() {", function, 1)
        .lines()
        .map(|line| {
            if line.starts_with("'--profile=[") {
                line.replace(":_default'", ":_pointauth_profiles'")
            } else {
                line.to_owned()
            }
        })
        .collect();
    format!("{}\n", lines.join("\n"))
}

/// fish: `--profile` takes the names pointauth lists (and no file names).
fn fish(script: &str) -> String {
    let function = "# Added by pointauth: the profiles that exist, for --profile.\n\
                    function __fish_pointauth_profiles\n    \
                    set -l cmd (commandline -opc)[1]\n    \
                    $cmd completions --list-profiles 2>/dev/null\n\
                    end\n\n\
                    # clap's conditions do not hold while an option waits for its value at the\n\
                    # top level (`pointauth --profile <TAB>`): these rules hold until `--`.\n\
                    function __fish_pointauth_before_dashes\n    \
                    not contains -- -- (commandline -opc)\n\
                    end\n\
                    complete -c pointauth -n __fish_pointauth_before_dashes -l profile -r -f -a \"(__fish_pointauth_profiles)\"\n\
                    # `exec -- <TAB>`: a command.\n\
                    function __fish_pointauth_exec_wants_command\n    \
                    set -l words (commandline -opc)\n    \
                    contains -- exec $words; and test \"$words[-1]\" = --\n\
                    end\n\
                    complete -c pointauth -n __fish_pointauth_exec_wants_command -f -a \"(__fish_complete_command)\"\n";
    let stores: Vec<String> = <crate::store::StoreChoice as clap::ValueEnum>::value_variants()
        .iter()
        .filter_map(|store| {
            Some(
                clap::ValueEnum::to_possible_value(store)?
                    .get_name()
                    .to_owned(),
            )
        })
        .collect();
    let store = format!(
        "complete -c pointauth -n __fish_pointauth_before_dashes -l store -r -f -a \"{}\"\n",
        stores.join(" ")
    );
    let lines: Vec<String> = script
        .lines()
        .map(|line| {
            if line.contains(" -l profile ") && line.ends_with(" -r") {
                format!("{line} -f -a \"(__fish_pointauth_profiles)\"")
            } else {
                line.to_owned()
            }
        })
        .collect();
    format!("{function}{store}\n{}\n", lines.join("\n"))
}
