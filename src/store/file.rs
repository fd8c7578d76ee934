//! The file store: one JSON file per profile, mode 0600 in pointauth's 0700 data directory,
//! written atomically, read and written only through a verified directory handle.

use std::path::{Path, PathBuf};

use crate::secret::Secret;
use crate::store::dir::{Dir, Missing};
use crate::store::{SecretStore, StoreError, StoreResult, is_valid_profile_name};

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
        self.dir.join(file_name(profile))
    }

    fn open(&self, missing: Missing) -> StoreResult<Option<Dir>> {
        Dir::open(&self.dir, missing)
    }

    /// Profiles that have a session file (only names that are valid profile names).
    pub(crate) fn profiles(&self) -> StoreResult<Vec<String>> {
        Ok(match self.open(Missing::Absent)? {
            Some(dir) => profiles_in(&dir)?,
            None => Vec::new(),
        })
    }
}

/// `<profile>.json`.
pub(crate) fn file_name(profile: &str) -> String {
    format!("{profile}.json")
}

/// The profiles that have a `<profile>.json` in `dir`.
pub(crate) fn profiles_in(dir: &Dir) -> StoreResult<Vec<String>> {
    Ok(dir
        .names()?
        .into_iter()
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .filter(|stem| is_valid_profile_name(stem))
        .collect())
}

impl SecretStore for FileStore {
    fn describe(&self, profile: &str) -> String {
        self.path(profile).display().to_string()
    }

    fn load(&self, profile: &str) -> StoreResult<Option<Secret<String>>> {
        let Some(dir) = self.open(Missing::Absent)? else {
            return Ok(None);
        };
        dir.read(&file_name(profile), MAX_FILE)?
            .map(|bytes| text_of(bytes, "the stored session", profile, &self.path(profile)))
            .transpose()
    }

    fn save(&self, profile: &str, value: &Secret<String>) -> StoreResult<()> {
        let Some(dir) = self.open(Missing::Create)? else {
            return Err(StoreError::io(
                "create",
                &self.dir,
                std::io::ErrorKind::NotFound.into(),
            ));
        };
        // Callers hold the profile lock: any temp file of this name was left by a writer
        // that was killed mid-write.
        dir.sweep_temps(&file_name(profile))?;
        dir.write_atomic(&file_name(profile), value.expose().as_bytes())
    }

    fn delete(&self, profile: &str) -> StoreResult<bool> {
        let Some(dir) = self.open(Missing::Absent)? else {
            return Ok(false);
        };
        let swept = dir.sweep_temps(&file_name(profile))?;
        Ok(dir.remove(&file_name(profile))? || swept > 0)
    }

    /// The data directory, if there is one yet, passes the checks.
    fn probe(&self) -> StoreResult<()> {
        self.open(Missing::Absent).map(drop)
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// The process's umask (read by setting and restoring it).
    fn umask() -> u32 {
        let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
        rustix::process::umask(old);
        old.bits()
    }

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

    #[test]
    fn reading_makes_no_directory() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().join("never/pointauth"));
        assert!(store.load("p").unwrap().is_none());
        assert!(!store.delete("p").unwrap());
        assert_eq!(store.profiles().unwrap(), Vec::<String>::new());
        assert!(!home.path().join("never").exists());
    }

    #[test]
    fn refuses_a_file_others_can_read_and_leaves_it_alone() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().join("pointauth"));
        store.save("p", &Secret::new("secret".into())).unwrap();
        fs::set_permissions(store.path("p"), fs::Permissions::from_mode(0o644)).unwrap();
        let err = crate::error::Error::from(store.load("p").unwrap_err());
        assert!(err.report_text().contains("chmod 600"), "{err:?}");
        assert_eq!(fs::read_to_string(store.path("p")).unwrap(), "secret");
    }

    #[test]
    fn refuses_a_symlink() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().join("pointauth"));
        store.save("q", &Secret::new("x".into())).unwrap();
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
        let store = FileStore::new(home.path().join("pointauth"));
        store.save("p", &Secret::new("x".into())).unwrap();
        fs::write(store.path("p"), b"\xff\xfe{}").unwrap();
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
        let store = FileStore::new(home.path().join("pointauth"));
        let big = " ".repeat(MAX_FILE as usize + 1);
        store.save("p", &Secret::new(big)).unwrap();
        assert!(matches!(store.load("p"), Err(StoreError::Unsafe { .. })));
        let fits = " ".repeat(MAX_FILE as usize);
        store.save("p", &Secret::new(fits.clone())).unwrap();
        assert_eq!(store.load("p").unwrap().unwrap().expose().len(), fits.len());
    }

    #[test]
    fn a_temp_file_left_by_a_killed_writer_is_swept_on_the_next_write_and_by_delete() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pointauth");
        let store = FileStore::new(dir.clone());
        store.save("q", &Secret::new("{}".into())).unwrap();
        let leftover = dir.join(".p.json.tmp-999999");
        fs::write(&leftover, "half a session").unwrap();
        let random = dir.join(".p.json.tmp-0123456789abcdef");
        fs::write(&random, "half a session").unwrap();
        let other = dir.join(".q.json.tmp-999999");
        fs::write(&other, "another profile's").unwrap();
        // Profile `p.json.tmp-x` is another profile whose temp name starts the same way.
        let lookalike = dir.join(".p.json.tmp-x.json.tmp-999999");
        fs::write(&lookalike, "yet another profile's").unwrap();
        store.save("p", &Secret::new("{}".into())).unwrap();
        assert!(!leftover.exists() && !random.exists());
        assert!(other.exists(), "only this file's leftovers are swept");
        assert!(lookalike.exists());
        assert!(store.delete("q").unwrap());
        assert!(!other.exists(), "delete sweeps the profile's leftovers");
        let only_trace = dir.join(".r.json.tmp-999999");
        fs::write(&only_trace, "half of r's first session").unwrap();
        assert!(
            store.delete("r").unwrap(),
            "a leftover is something removed"
        );
        assert!(!only_trace.exists());
    }

    #[test]
    fn delete_is_idempotent_and_a_directory_in_the_files_place_is_an_error() {
        let home = tempfile::tempdir().unwrap();
        let store = FileStore::new(home.path().join("pointauth"));
        assert!(!store.delete("p").unwrap());
        store.save("p", &Secret::new("x".into())).unwrap();
        assert!(store.delete("p").unwrap());
        assert!(store.load("p").unwrap().is_none());
        fs::create_dir(store.path("p")).unwrap();
        assert!(store.delete("p").is_err(), "a secret may still be there");
    }

    #[test]
    fn only_valid_profile_names_are_listed() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("pointauth");
        let store = FileStore::new(dir.clone());
        store.save("good", &Secret::new("x".into())).unwrap();
        fs::write(dir.join("\u{1b}[31mevil.json"), "x").unwrap();
        fs::write(dir.join(".hidden.json"), "x").unwrap();
        fs::write(dir.join("notes.txt"), "x").unwrap();
        assert_eq!(store.profiles().unwrap(), ["good"]);
    }
}
