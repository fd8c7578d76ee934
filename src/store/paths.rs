//! Where pointauth keeps its files, worked out from values settings hands over (never from
//! the environment directly), and the table of those files for the docs.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::store::StoreResult;
use crate::store::dir::{Dir, Missing};

/// pointauth's two directories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Paths {
    /// The file store's secrets: one 0600 file per profile.
    pub(crate) data: PathBuf,
    /// Non-secret metadata and the per-profile locks.
    pub(crate) state: PathBuf,
}

/// What the directories are derived from, as settings read it.
#[derive(Clone, Debug, Default)]
pub(crate) struct DirSources {
    pub(crate) xdg_data_home: Option<PathBuf>,
    pub(crate) xdg_state_home: Option<PathBuf>,
    /// `$HOME`, or the passwd entry's home directory.
    pub(crate) home: Option<PathBuf>,
}

/// A file pointauth keeps, for the docs.
#[derive(Clone, Copy, Debug)]
pub struct File {
    pub path: &'static str,
    pub meaning: &'static str,
}

/// The files pointauth keeps: README, `--help` and the man pages show this table.
pub const FILES: &[File] = &[
    File {
        path: "$XDG_DATA_HOME/pointauth/<profile>.json",
        meaning: "The session of a profile in the file store: the access token, the refresh token \
                  and their expiries. Mode 0600 in a 0700 directory, replaced atomically; refused \
                  when group or others can access it. $XDG_DATA_HOME defaults to ~/.local/share. \
                  pointauth makes its own directories 0700, and missing parents such as \
                  ~/.local/share as `mkdir -p` does.",
    },
    File {
        path: "$XDG_STATE_HOME/pointauth/profiles/<profile>.json",
        meaning: "The profile's metadata, which is not secret: the remembered base URL and \
                  username, and which store holds the session. $XDG_STATE_HOME defaults to \
                  ~/.local/state.",
    },
    File {
        path: "$XDG_STATE_HOME/pointauth/locks/<profile>.lock",
        meaning: "Held while a process refreshes or signs in, so that only one does at a time.",
    },
    File {
        path: "$XDG_RUNTIME_DIR/pointauth/exec-<random>/token",
        meaning: "The token file of exec --token-file while its command runs: the access token \
                  alone, mode 0600 in a 0700 directory made for it under an unpredictable name, \
                  replaced atomically, removed with its directory when the command ends. Under \
                  $XDG_STATE_HOME/pointauth/ where XDG_RUNTIME_DIR is not set.",
    },
];

/// Where the keyring and kernel stores keep a session, for the docs.
pub const STORE_ENTRIES: &str = "Stores shared by all of a user's data directories name entries \
    with NS, 16 hex digits derived from the data directory's path, so that two HOMEs never \
    share a session (status shows the full name). In the keyring store, the session is the OS \
    credential store's entry with service pointauth and user PROFILE@NS (pointauth 0.1 used \
    PROFILE alone; such an entry moves at its next refresh). Where the platform caps an \
    entry's size (as Windows does, at 2560 bytes), the session is split into entries named \
    PROFILE@NS#G.1, PROFILE@NS#G.2 and so on (G counting the writes), and the entry PROFILE@NS \
    holds their checksummed list. Beside it, on Linux, the kernel keyring keeps a copy of the \
    access token alone, key pointauth:NS:PROFILE:access, which the kernel drops when the token \
    expires. In the kernel store, the session is the key pointauth:NS:PROFILE in the user's \
    persistent kernel keyring: in memory only, so it ends at reboot. The password is never \
    stored.";

/// Where the files are on the other platforms, for the docs.
pub const OTHER_PLATFORMS: &str = "On macOS all three files are under ~/Library/Application \
    Support/pointauth/, on Windows under %APPDATA%\\pointauth\\data\\.";

const APP: &str = "pointauth";

impl Paths {
    /// Linux and other Unix: `$XDG_DATA_HOME/pointauth` and `$XDG_STATE_HOME/pointauth` when
    /// set to absolute paths, else under `~/.local/share` and `~/.local/state`. An XDG
    /// variable is enough on its own: no HOME or passwd entry is needed for what it names.
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    pub(crate) fn discover(sources: &DirSources) -> Result<Paths> {
        let absolute = |path: &Option<PathBuf>| path.clone().filter(|p| p.is_absolute());
        let home = absolute(&sources.home);
        let under_home = |rest: &str| home.as_ref().map(|home| home.join(rest));
        let data = absolute(&sources.xdg_data_home).or_else(|| under_home(".local/share"));
        let state = absolute(&sources.xdg_state_home).or_else(|| under_home(".local/state"));
        match (data, state) {
            (Some(data), Some(state)) => Ok(Paths {
                data: data.join(APP),
                state: state.join(APP),
            }),
            _ => Err(no_home()),
        }
    }

    /// macOS and Windows: the platform's per-user application directory.
    #[cfg(any(target_os = "macos", target_os = "windows"))]
    pub(crate) fn discover(_sources: &DirSources) -> Result<Paths> {
        let dirs = directories::ProjectDirs::from("", "", APP).ok_or_else(no_home)?;
        let data = dirs.data_dir().to_path_buf();
        let state = dirs
            .state_dir()
            .map_or_else(|| data.clone(), std::path::Path::to_path_buf);
        Ok(Paths { data, state })
    }

    /// The tag of this data directory in stores every data directory of a user shares (the
    /// OS credential store, the kernel keyring), so two HOMEs never share a session: 16 hex
    /// digits of FNV-1a over the directory's path, with `//` and a trailing `/` normalised.
    /// Not a secret and not a defence: the same user can read both anyway.
    pub(crate) fn namespace(&self) -> String {
        let mut bytes = Vec::new();
        for component in self.data.components() {
            bytes.extend_from_slice(component.as_os_str().as_encoded_bytes());
            bytes.push(b'/');
        }
        format!("{:016x}", super::fnv1a(&bytes))
    }

    /// Each of pointauth's directories, checked as every command checks it but never
    /// created: `Ok(true)` it is there and may be used, `Ok(false)` it is not made yet, or
    /// why it would be refused.
    pub(crate) fn verify(&self) -> Vec<(PathBuf, StoreResult<bool>)> {
        let mut checked = Vec::new();
        for top in [&self.data, &self.state] {
            if checked.iter().any(|(path, _)| path == top) {
                continue; // macOS and Windows may keep both in one
            }
            let opened = Dir::open(top, Missing::Absent);
            let below = match &opened {
                Ok(Some(dir)) if top == &self.state => vec!["profiles", "locks"]
                    .into_iter()
                    .map(|sub| {
                        (
                            top.join(sub),
                            dir.child(sub, Missing::Absent).map(|d| d.is_some()),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            checked.push((top.clone(), opened.map(|dir| dir.is_some())));
            checked.extend(below);
        }
        checked
    }

    /// `state/<sub>` (`profiles`, `locks`), through verified handles.
    pub(crate) fn state_dir(&self, sub: &str, missing: Missing) -> StoreResult<Option<Dir>> {
        match Dir::open(&self.state, missing)? {
            Some(state) => state.child(sub, missing),
            None => Ok(None),
        }
    }
}

fn no_home() -> Error {
    Error::internal("cannot find a directory for pointauth's files: HOME is not set").hint(
        "set HOME, or XDG_DATA_HOME and XDG_STATE_HOME, to directories pointauth may write to",
    )
}

#[cfg(all(test, not(any(target_os = "macos", target_os = "windows"))))]
mod tests {
    use super::*;

    fn sources(data: Option<&str>, state: Option<&str>, home: Option<&str>) -> DirSources {
        DirSources {
            xdg_data_home: data.map(PathBuf::from),
            xdg_state_home: state.map(PathBuf::from),
            home: home.map(PathBuf::from),
        }
    }

    #[test]
    fn xdg_directories_win_and_need_no_home() {
        let paths = Paths::discover(&sources(Some("/d"), Some("/s"), None)).unwrap();
        assert_eq!(paths.data, PathBuf::from("/d/pointauth"));
        assert_eq!(paths.state, PathBuf::from("/s/pointauth"));
    }

    #[test]
    fn home_gives_the_xdg_defaults_and_relative_xdg_values_are_ignored() {
        let paths = Paths::discover(&sources(Some("rel"), None, Some("/h"))).unwrap();
        assert_eq!(paths.data, PathBuf::from("/h/.local/share/pointauth"));
        assert_eq!(paths.state, PathBuf::from("/h/.local/state/pointauth"));
    }

    #[test]
    fn each_data_directory_has_its_own_namespace() {
        let at = |data: &str| {
            Paths::discover(&sources(Some(data), Some("/s"), None))
                .unwrap()
                .namespace()
        };
        assert_eq!(at("/h/data"), at("/h//data/"));
        assert_ne!(at("/h/data"), at("/g/data"));
        assert_eq!(at("/h/data").len(), 16);
        // The value is part of every entry's name: it must never change between versions.
        assert_eq!(at("/h/data"), "b80d91d72e55bc2a");
    }

    #[test]
    fn without_home_or_xdg_there_is_no_place_and_the_hint_names_the_variables() {
        let err = Paths::discover(&sources(Some("/d"), None, None)).unwrap_err();
        assert!(
            err.hint_text().unwrap().contains("XDG_STATE_HOME"),
            "{err:?}"
        );
    }
}
