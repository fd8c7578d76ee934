//! The file store: one JSON file per profile, mode 0600 in a 0700 directory, written
//! atomically; and the private-read, atomic-write and listing helpers the metadata uses too.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::secret::Secret;
use crate::store::{SecretStore, StoreError, StoreResult};

/// Nothing pointauth writes comes near this; a larger file is not ours.
pub(crate) const MAX_FILE: u64 = 1024 * 1024;

#[derive(Debug)]
pub(crate) struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub(crate) fn new(dir: PathBuf) -> Self {
        FileStore { dir }
    }

    pub(crate) fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{profile}.json"))
    }

    /// Profiles that have a session file.
    pub(crate) fn profiles(&self) -> Vec<String> {
        list_json_stems(&self.dir)
    }
}

impl SecretStore for FileStore {
    fn describe(&self, profile: &str) -> String {
        self.path(profile).display().to_string()
    }

    fn load(&self, profile: &str) -> StoreResult<Option<Secret<String>>> {
        let path = self.path(profile);
        read_private(&path)?
            .map(|bytes| text_of(bytes, "the stored session", profile, &path))
            .transpose()
    }

    fn save(&self, profile: &str, value: &Secret<String>) -> StoreResult<()> {
        write_atomic(
            &self.dir,
            &self.dir,
            &format!("{profile}.json"),
            value.expose().as_bytes(),
        )
    }

    fn delete(&self, profile: &str) -> StoreResult<bool> {
        remove(&self.path(profile))
    }

    fn probe(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// A stored file's bytes as text; anything else is corruption (the bytes are zeroed).
pub(crate) fn text_of(
    bytes: Vec<u8>,
    what: &'static str,
    profile: &str,
    path: &Path,
) -> StoreResult<Secret<String>> {
    String::from_utf8(bytes).map(Secret::new).map_err(|err| {
        let _ = Secret::new(err.into_bytes());
        StoreError::Corrupt {
            what,
            profile: profile.to_owned(),
            location: path.display().to_string(),
            why: "it is not UTF-8 text".to_owned(),
        }
    })
}

/// Reads a file that must be private to its owner; `None` if it does not exist. The checks
/// are made on the opened descriptor (the path is opened once, without following a link),
/// and the read is capped at [`MAX_FILE`].
pub(crate) fn read_private(path: &Path) -> StoreResult<Option<Vec<u8>>> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NOFOLLOW.bits() as i32,
    );
    let file = match options.open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) if is_symlink_refusal(&err) => return Err(not_regular(path)),
        Err(err) => return Err(StoreError::io("read", path, err)),
    };
    let meta = file
        .metadata()
        .map_err(|err| StoreError::io("read", path, err))?;
    if !meta.file_type().is_file() {
        return Err(not_regular(path));
    }
    check_private(path, &meta)?;
    if meta.len() > MAX_FILE {
        return Err(StoreError::Unsafe {
            path: path.to_owned(),
            problem: "is too large to be a pointauth file".to_owned(),
            fix: "run `pointauth logout` to remove it, then `pointauth login`".to_owned(),
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| StoreError::io("read", path, err))?;
    Ok(Some(bytes))
}

/// `open(O_NOFOLLOW)` on a symbolic link fails with ELOOP.
fn is_symlink_refusal(err: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        err.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = err;
        false
    }
}

fn not_regular(path: &Path) -> StoreError {
    StoreError::Unsafe {
        path: path.to_owned(),
        problem: "is not a regular file".to_owned(),
        fix: "pointauth never follows links for secrets; remove it and run `pointauth login`"
            .to_owned(),
    }
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &fs::Metadata) -> StoreResult<()> {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::Unsafe {
            path: path.to_owned(),
            problem: format!("is accessible by other users (mode {mode:03o})"),
            fix: format!(
                "run `chmod 600 {}` if you trust its contents, or `pointauth logout` and log in again",
                path.display()
            ),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &fs::Metadata) -> StoreResult<()> {
    // On Windows the per-user profile's ACL protects the data directory.
    Ok(())
}

/// Creates `dir` when missing: pointauth's own directories (`root`, pointauth's data or state
/// directory, and everything from it down to `dir`) with mode 0700; missing parents of
/// `root` (such as `~/.local/state`) as `mkdir -p` would, with the umask's mode.
pub(crate) fn ensure_private_dir(root: &Path, dir: &Path) -> StoreResult<()> {
    if let Some(parent) = root.parent() {
        fs::create_dir_all(parent).map_err(|err| StoreError::io("create", parent, err))?;
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|err| StoreError::io("create", dir, err))
}

/// Replaces `dir/name` atomically: a 0600 temp file in the same directory, fsync, rename,
/// fsync the directory. On failure the old file is untouched and the temp file removed.
///
/// Callers hold the profile lock, so any other temp file for `name` was left by a writer
/// that died mid-write: it is swept away first.
pub(crate) fn write_atomic(root: &Path, dir: &Path, name: &str, bytes: &[u8]) -> StoreResult<()> {
    ensure_private_dir(root, dir)?;
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
        StoreError::io("write", target, err)
    })
}

/// Removes a file; `false` when there was none.
pub(crate) fn remove(path: &Path) -> StoreResult<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
        Err(err) => Err(StoreError::io("remove", path, err)),
    }
}

/// The stems of `*.json` files in `dir`, sorted.
pub(crate) fn list_json_stems(dir: &Path) -> Vec<String> {
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
        // The parents it had to make are made as `mkdir -p` makes them.
        assert_eq!(mode(&home.path().join("a")), 0o777 & !umask());
        assert_eq!(mode(&store.path("default")), 0o600);
        assert_eq!(store.load("default").unwrap().unwrap().expose(), "{}");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    /// The process's umask (read by setting and restoring it).
    fn umask() -> u32 {
        let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
        rustix::process::umask(old);
        old.bits()
    }

    #[test]
    fn refuses_a_file_others_can_read_and_leaves_it_alone() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        store.save("p", &Secret::new("secret".into())).unwrap();
        fs::set_permissions(store.path("p"), fs::Permissions::from_mode(0o644)).unwrap();
        let err = crate::error::Error::from(store.load("p").unwrap_err());
        assert!(err.report_text().contains("chmod 600"), "{err:?}");
        assert_eq!(fs::read_to_string(store.path("p")).unwrap(), "secret");
    }

    #[test]
    fn refuses_a_symlink() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        let elsewhere = home.path().join("elsewhere");
        fs::write(&elsewhere, "x").unwrap();
        fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, store.path("p")).unwrap();
        assert!(matches!(
            store.load("p"),
            Err(StoreError::Unsafe { problem, .. }) if problem.contains("not a regular file")
        ));
    }

    #[test]
    fn a_file_that_is_not_text_is_corrupt_with_the_way_out() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        write_atomic(home.path(), home.path(), "p.json", b"\xff\xfe{}").unwrap();
        let err = store.load("p").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        let err = crate::error::Error::from(err);
        assert!(
            err.report_text().contains("logout"),
            "{}",
            err.report_text()
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().to_path_buf());
        let big = vec![b' '; MAX_FILE as usize + 1];
        write_atomic(home.path(), home.path(), "p.json", &big).unwrap();
        assert!(matches!(store.load("p"), Err(StoreError::Unsafe { .. })));
        let fits = vec![b' '; MAX_FILE as usize];
        write_atomic(home.path(), home.path(), "p.json", &fits).unwrap();
        assert_eq!(store.load("p").unwrap().unwrap().expose().len(), fits.len());
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
