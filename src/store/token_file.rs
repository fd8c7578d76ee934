//! The token file of `exec --token-file`: one access token in a 0600 file, in a 0700
//! directory of its own with an unpredictable name, under `$XDG_RUNTIME_DIR/pointauth` (or
//! pointauth's state directory), replaced atomically and removed with its directory at the end.

use std::path::{Path, PathBuf};

use crate::secret::Secret;
use crate::store::dir::{Dir, Missing};
use crate::store::{Paths, StoreError, StoreResult};

/// The file's name inside its directory.
const FILE: &str = "token";
/// The directory is `exec-` and 16 random hex digits.
const PREFIX: &str = "exec-";

/// A token file and the private directory that holds it.
#[derive(Debug)]
pub(crate) struct TokenFile {
    /// The verified directory the private one was made in.
    parent: Dir,
    name: String,
    dir: Dir,
}

impl TokenFile {
    /// Makes the private directory: under `$XDG_RUNTIME_DIR/pointauth` when the runtime
    /// directory is set and exists (it is the user's, and in memory on most systems), else
    /// under pointauth's state directory. Nothing is written yet.
    pub(crate) fn create(runtime: Option<&Path>, paths: StoreResult<&Paths>) -> StoreResult<Self> {
        let runtime = match runtime {
            // The runtime directory is the system's to make (XDG): a missing one is not made.
            Some(runtime) => Dir::open(runtime, Missing::Absent)?,
            None => None,
        };
        let parent = match runtime {
            Some(runtime) => runtime.child("pointauth", Missing::Create)?,
            None => Dir::open(&paths?.state, Missing::Create)?,
        };
        let parent = parent.ok_or_else(|| {
            StoreError::io(
                "create a directory for the token file in",
                Path::new("the state directory"),
                std::io::ErrorKind::NotFound.into(),
            )
        })?;
        let (name, dir) = parent.create_private_child(PREFIX)?;
        Ok(TokenFile { parent, name, dir })
    }

    /// Where readers find the token.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.path().join(FILE)
    }

    /// Puts `token` in the file, alone and without a newline, replacing what was there in one
    /// step: a new temp file, synced, renamed over the old one, so a reader always reads one
    /// whole token.
    pub(crate) fn write(&self, token: &Secret<String>) -> StoreResult<()> {
        self.dir.write_atomic(FILE, token.expose().as_bytes())
    }

    /// Removes the file (its token expired); the directory stays for the next one.
    pub(crate) fn clear(&self) -> StoreResult<()> {
        self.dir.sweep_temps(FILE)?;
        self.dir.remove(FILE).map(drop)
    }

    /// Removes the file, any temp file beside it, and the directory.
    pub(crate) fn remove(self) -> StoreResult<()> {
        self.clear()?;
        self.parent.remove_child(&self.name).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn the_file_is_private_in_a_private_directory_and_goes_with_it() {
        let home = tempfile::tempdir().unwrap();
        let runtime = home.path().join("run");
        std::fs::create_dir(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        let file = TokenFile::create(
            Some(&runtime),
            Err(StoreError::NoPlace { why: "none".into() }),
        )
        .unwrap();
        let path = file.path();
        assert!(path.starts_with(runtime.join("pointauth")), "{path:?}");
        file.write(&Secret::new("first".to_owned())).unwrap();
        file.write(&Secret::new("second".to_owned())).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(mode(&path), 0o600);
        let dir = path.parent().unwrap().to_owned();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left"
        );
        let name = dir.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(PREFIX) && name.len() == PREFIX.len() + 16,
            "{name}"
        );
        file.remove().unwrap();
        assert!(!dir.exists());
    }

    #[test]
    fn without_a_runtime_directory_it_goes_under_the_state_directory() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths {
            data: home.path().join("data/pointauth"),
            state: home.path().join("state/pointauth"),
        };
        let missing = home.path().join("no-such-runtime-dir");
        let file = TokenFile::create(Some(&missing), Ok(&paths)).unwrap();
        assert!(file.path().starts_with(&paths.state), "{:?}", file.path());
        assert!(
            !missing.exists(),
            "the runtime directory is not pointauth's to make"
        );
        file.remove().unwrap();
    }
}
