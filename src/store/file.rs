//! The file store: one JSON file per profile, mode 0600 in a 0700 directory, written atomically.
//! Also the atomic-write and private-read helpers the metadata file uses.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, io_error};
use crate::secret::Secret;
use crate::store::SecretStore;

/// Nothing pointauth writes comes near this; a larger file is not ours.
const MAX_FILE: u64 = 1024 * 1024;

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: PathBuf) -> Self {
        FileStore { dir }
    }

    pub fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{profile}.json"))
    }

    /// Profiles that have a session file.
    pub fn profiles(&self) -> Vec<String> {
        list_json_stems(&self.dir)
    }
}

impl SecretStore for FileStore {
    fn describe(&self, profile: &str) -> String {
        self.path(profile).display().to_string()
    }

    fn load(&self, profile: &str) -> Result<Option<Secret<String>>> {
        read_private(&self.path(profile)).map(|text| text.map(Secret::new))
    }

    fn save(&self, profile: &str, value: &Secret<String>) -> Result<()> {
        write_atomic(
            &self.dir,
            &format!("{profile}.json"),
            value.expose().as_bytes(),
        )
    }

    fn delete(&self, profile: &str) -> Result<bool> {
        remove(&self.path(profile))
    }
}

/// Reads a file that must be private to its owner. `None` if it does not exist.
pub fn read_private(path: &Path) -> Result<Option<String>> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(format!("cannot read {}", path.display()), err)),
    };
    if !meta.file_type().is_file() {
        return Err(
            Error::internal(format!("{} is not a regular file", path.display())).hint(
                "pointauth never follows links for secrets; remove it and run `pointauth login`",
            ),
        );
    }
    check_private(path, &meta)?;
    if meta.len() > MAX_FILE {
        return Err(Error::internal(format!(
            "{} is too large to be a pointauth file",
            path.display()
        ))
        .hint("run `pointauth logout` to remove it, then `pointauth login`"));
    }
    let mut text = String::new();
    File::open(path)
        .and_then(|mut file| file.read_to_string(&mut text))
        .map_err(|err| io_error(format!("cannot read {}", path.display()), err))?;
    Ok(Some(text))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::internal(format!(
            "{} is accessible by other users (mode {mode:03o}); refusing to use it",
            path.display()
        ))
        .hint(format!(
            "run `chmod 600 {}` if you trust its contents, or `pointauth logout` and log in again",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> Result<()> {
    // On Windows the per-user profile's ACL protects the data directory.
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700 when missing.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|err| io_error(format!("cannot create {}", dir.display()), err))
}

/// Replaces `dir/name` atomically: a 0600 temp file in the same directory, fsync, rename,
/// fsync the directory. On failure the old file is untouched and the temp file removed.
///
/// Callers hold the profile lock, so any other temp file for `name` was left by a writer
/// that died mid-write: it is swept away first.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    ensure_private_dir(dir)?;
    let target = dir.join(name);
    let prefix = format!(".{name}.tmp-");
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let leftover = file_name
                .to_string_lossy()
                .strip_prefix(&prefix)
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
            if leftover {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    let temp = dir.join(format!("{prefix}{}", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, &target)?;
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    result.map_err(|err: std::io::Error| {
        let _ = fs::remove_file(&temp);
        io_error(format!("cannot write {}", target.display()), err)
    })
}

/// Removes a file; `false` when there was none.
pub fn remove(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
        Err(err) => Err(io_error(format!("cannot remove {}", path.display()), err)),
    }
}

/// The stems of `*.json` files in `dir`, sorted.
pub fn list_json_stems(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_private_files_in_a_private_directory() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("a/pointauth");
        let store = FileStore::new(dir.clone());
        store.save("default", &Secret::new("{}".into())).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&store.path("default")), 0o600);
        assert_eq!(store.load("default").unwrap().unwrap().expose(), "{}");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn refuses_a_file_others_can_read_and_leaves_it_alone() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        store.save("p", &Secret::new("secret".into())).unwrap();
        fs::set_permissions(store.path("p"), fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load("p").unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert_eq!(fs::read_to_string(store.path("p")).unwrap(), "secret");
    }

    #[test]
    fn refuses_a_symlink() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        let elsewhere = home.path().join("elsewhere");
        fs::write(&elsewhere, "x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, store.path("p")).unwrap();
        assert!(store.load("p").is_err());
    }

    #[test]
    fn a_temp_file_left_by_a_killed_writer_is_swept_on_the_next_write() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        let leftover = home.path().join(".p.json.tmp-999999");
        fs::write(&leftover, "half a session").unwrap();
        let other = home.path().join(".q.json.tmp-999999");
        fs::write(&other, "another profile's").unwrap();
        // Profile `p.json.tmp-x` is another profile whose temp name starts the same way.
        let lookalike = home.path().join(".p.json.tmp-x.json.tmp-999999");
        fs::write(&lookalike, "yet another profile's").unwrap();
        store.save("p", &Secret::new("{}".into())).unwrap();
        assert!(!leftover.exists());
        assert!(other.exists(), "only this file's leftovers are swept");
        assert!(lookalike.exists());
    }

    #[test]
    fn delete_is_idempotent() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        assert!(!store.delete("p").unwrap());
        store.save("p", &Secret::new("x".into())).unwrap();
        assert!(store.delete("p").unwrap());
        assert!(store.load("p").unwrap().is_none());
    }
}
