//! Directory handles where there are no `openat`-style calls (Windows): the same interface
//! as `dir.rs`, by path. The per-user profile's ACL protects these directories there; links
//! are still refused.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::store::{StoreError, StoreResult};

#[derive(Debug)]
pub(crate) struct Dir {
    path: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Create,
    Absent,
}

impl Dir {
    pub(crate) fn open(path: &Path, missing: Missing) -> StoreResult<Option<Dir>> {
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_dir() => Ok(Some(Dir {
                path: path.to_owned(),
            })),
            Ok(_) => Err(StoreError::Unsafe {
                path: path.to_owned(),
                problem: "is not a directory of pointauth's own (a link or another file)".into(),
                fix: format!("remove {}", path.display()),
            }),
            Err(err) if err.kind() == ErrorKind::NotFound && missing == Missing::Absent => Ok(None),
            Err(err) if err.kind() == ErrorKind::NotFound => {
                fs::create_dir_all(path).map_err(|err| StoreError::io("create", path, err))?;
                Ok(Some(Dir {
                    path: path.to_owned(),
                }))
            }
            Err(err) => Err(StoreError::io("open", path, err)),
        }
    }

    pub(crate) fn child(&self, name: &str, missing: Missing) -> StoreResult<Option<Dir>> {
        Dir::open(&self.path.join(name), missing)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn read(&self, name: &str, max: u64) -> StoreResult<Option<Vec<u8>>> {
        let path = self.path.join(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if !meta.file_type().is_file() => {
                return Err(StoreError::Unsafe {
                    path,
                    problem: "is not a regular file".into(),
                    fix: "remove it and run `pointauth login`".into(),
                });
            }
            Ok(_) => {}
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(StoreError::io("read", &path, err)),
        }
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|file| file.take(max + 1).read_to_end(&mut bytes))
            .map_err(|err| StoreError::io("read", &path, err))?;
        if bytes.len() as u64 > max {
            return Err(StoreError::Unsafe {
                path,
                problem: "is too large to be a pointauth file".into(),
                fix: "run `pointauth logout` to remove it, then `pointauth login`".into(),
            });
        }
        Ok(Some(bytes))
    }

    pub(crate) fn lock_file(&self, name: &str) -> StoreResult<File> {
        let path = self.path.join(name);
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|err| StoreError::io("open", path, err))
    }

    pub(crate) fn still_names(&self, name: &str, _file: &File) -> bool {
        self.path.join(name).exists()
    }

    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> StoreResult<()> {
        let target = self.path.join(name);
        let temp = self
            .path
            .join(format!(".{name}.tmp-{}", std::process::id()));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temp, &target)
        })();
        written.map_err(|err| {
            let _ = fs::remove_file(&temp);
            StoreError::io("write", target, err)
        })
    }

    pub(crate) fn remove(&self, name: &str) -> StoreResult<bool> {
        let path = self.path.join(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
            Err(err) => Err(StoreError::io("remove", path, err)),
        }
    }

    pub(crate) fn sweep_temps(&self, name: &str) -> StoreResult<usize> {
        let mut removed = 0;
        for entry in self.names()? {
            if is_temp_of(&entry, name) && self.remove(&entry)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub(crate) fn names(&self) -> StoreResult<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(&self.path)
            .map_err(|err| StoreError::io("list", &self.path, err))?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }
}

pub(crate) fn is_temp_of(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(".tmp-"))
        .is_some_and(|suffix| !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_hexdigit()))
}
