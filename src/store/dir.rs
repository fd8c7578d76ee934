//! Verified directory handles: a directory pointauth uses is opened once, without following
//! a link, checked on the descriptor (owned by the effective user, not writable by group or
//! others), and everything below it is reached through that descriptor (`openat`-style), so
//! nobody can swap a path between the check and the use.
//!
//! Files are opened with `O_NOFOLLOW` and checked on the descriptor too: a regular file,
//! owned by the user, no group or other permission bits, one link. Temp files are created
//! exclusive under unpredictable names. Root gets no exception.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::store::{StoreError, StoreResult};

/// A directory that passed the checks, and its path (for messages only).
#[derive(Debug)]
pub(crate) struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// Whether a missing directory is made (by a command that writes) or means "nothing here"
/// (one that only reads, which must not create anything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Create,
    Absent,
}

/// How a file in a directory is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    Read,
    /// Read and write, created 0600 if missing (lock files).
    ReadWriteCreate,
}

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;
/// Temp files are `.<name>.tmp-<this many hex digits of randomness>`.
const TEMP_RANDOM_HEX: usize = 16;

impl Dir {
    /// Opens pointauth's directory at `path`. With `Missing::Create`, a missing one is made
    /// 0700, and its missing parents as `mkdir -p` makes them.
    pub(crate) fn open(path: &Path, missing: Missing) -> StoreResult<Option<Dir>> {
        match open_dir(rustix::fs::CWD, path, path) {
            Ok(dir) => return dir.checked().map(Some),
            Err(Errno::NOENT) => {}
            Err(err) => return Err(dir_error(path, err)),
        }
        if missing == Missing::Absent {
            return Ok(None);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|err| StoreError::io("create", parent, err))?;
        }
        match rustix::fs::mkdir(path, Mode::from_raw_mode(DIR_MODE)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(err) => return Err(StoreError::io("create", path, err.into())),
        }
        let dir = open_dir(rustix::fs::CWD, path, path).map_err(|err| dir_error(path, err))?;
        dir.checked().map(Some)
    }

    /// The subdirectory `name`, checked like its parent.
    pub(crate) fn child(&self, name: &str, missing: Missing) -> StoreResult<Option<Dir>> {
        let path = self.path.join(name);
        match open_dir(&self.fd, Path::new(name), &path) {
            Ok(dir) => return dir.checked().map(Some),
            Err(Errno::NOENT) => {}
            Err(err) => return Err(dir_error(&path, err)),
        }
        if missing == Missing::Absent {
            return Ok(None);
        }
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(DIR_MODE)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(err) => return Err(StoreError::io("create", &path, err.into())),
        }
        let dir =
            open_dir(&self.fd, Path::new(name), &path).map_err(|err| dir_error(&path, err))?;
        dir.checked().map(Some)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A new private subdirectory under an unpredictable name starting with `prefix`:
    /// created exclusively (never one that already exists, so never one planted in advance),
    /// opened without following a link, and checked to be the user's own with no permission
    /// bits for group or others. Its name and handle.
    pub(crate) fn create_private_child(&self, prefix: &str) -> StoreResult<(String, Dir)> {
        for _ in 0..8 {
            let name = format!("{prefix}{}", random_hex());
            let path = self.path.join(&name);
            match rustix::fs::mkdirat(&self.fd, name.as_str(), Mode::from_raw_mode(DIR_MODE)) {
                Ok(()) => {}
                Err(Errno::EXIST) => continue,
                Err(err) => return Err(StoreError::io("create", &path, err.into())),
            }
            let dir = open_dir(&self.fd, Path::new(&name), &path)
                .map_err(|err| dir_error(&path, err))
                .and_then(Dir::checked)
                .and_then(Dir::private);
            return match dir {
                Ok(dir) => Ok((name, dir)),
                Err(err) => {
                    let _ = rustix::fs::unlinkat(&self.fd, name.as_str(), AtFlags::REMOVEDIR);
                    Err(err)
                }
            };
        }
        Err(StoreError::io(
            "create a directory in",
            &self.path,
            ErrorKind::AlreadyExists.into(),
        ))
    }

    /// Removes the empty subdirectory `name`; `false` when there was none.
    pub(crate) fn remove_child(&self, name: &str) -> StoreResult<bool> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(err) => Err(StoreError::io("remove", self.path.join(name), err.into())),
        }
    }

    /// The file `name`, at most `max` bytes; `None` if there is none.
    pub(crate) fn read(&self, name: &str, max: u64) -> StoreResult<Option<Vec<u8>>> {
        let Some((file, len)) = self.open_file(name, Open::Read)? else {
            return Ok(None);
        };
        let path = self.path.join(name);
        if len > max {
            return Err(StoreError::Unsafe {
                path,
                problem: "is too large to be a pointauth file".to_owned(),
                fix: "run `pointauth logout` to remove it, then `pointauth login`".to_owned(),
            });
        }
        // Sized from the descriptor's stat: one read, not a doubling series of them; and
        // never more than `max` bytes, should the file have grown since.
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
        file.take(max)
            .read_to_end(&mut bytes)
            .map_err(|err| StoreError::io("read", &path, err))?;
        Ok(Some(bytes))
    }

    /// The lock file `name`, opened read-write and created 0600 if missing.
    pub(crate) fn lock_file(&self, name: &str) -> StoreResult<File> {
        // Not found even so: this directory was removed while we held it.
        self.open_file(name, Open::ReadWriteCreate)?
            .map(|(file, _)| file)
            .ok_or_else(|| StoreError::io("open", self.path.join(name), Errno::NOENT.into()))
    }

    /// Whether `file` is still the one `name` names (a lock file may have been removed and
    /// made again by `logout` while this process waited for it).
    pub(crate) fn still_names(&self, name: &str, file: &File) -> bool {
        let (Ok(held), Ok(now)) = (
            rustix::fs::fstat(file),
            rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW),
        ) else {
            return false;
        };
        (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)
    }

    /// Replaces `name` atomically: a new temp file (exclusive, unpredictable name, 0600),
    /// written and synced, renamed over `name`, and the directory synced. On failure `name`
    /// is untouched and the temp file removed.
    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> StoreResult<()> {
        let target = self.path.join(name);
        let (temp, file) = self.create_temp(name)?;
        let written = (|| {
            let mut file = file;
            file.write_all(bytes)?;
            file.sync_all()?;
            rustix::fs::renameat(&self.fd, temp.as_str(), &self.fd, name)?;
            rustix::fs::fsync(&self.fd)?;
            Ok(())
        })();
        written.map_err(|err: std::io::Error| {
            let _ = rustix::fs::unlinkat(&self.fd, temp.as_str(), AtFlags::empty());
            StoreError::io("write", target, err)
        })
    }

    /// Removes the file `name`; `false` when there was none. A directory in its place is an
    /// error, not "nothing there".
    pub(crate) fn remove(&self, name: &str) -> StoreResult<bool> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(err) => Err(StoreError::io("remove", self.path.join(name), err.into())),
        }
    }

    /// Removes the temp files a writer of `name` left when it was killed mid-write. The
    /// caller holds the profile lock, so no writer of `name` is at work.
    pub(crate) fn sweep_temps(&self, name: &str) -> StoreResult<usize> {
        let mut removed = 0;
        for entry in self.names()? {
            if is_temp_of(&entry, name) && self.remove(&entry)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The names in the directory that are UTF-8 (others are not pointauth's).
    pub(crate) fn names(&self) -> StoreResult<Vec<String>> {
        let listing = rustix::fs::Dir::read_from(&self.fd)
            .map_err(|err| StoreError::io("list", &self.path, err.into()))?;
        let mut names = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|err| StoreError::io("list", &self.path, err.into()))?;
            if let Ok(name) = entry.file_name().to_str()
                && name != "."
                && name != ".."
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The file `name` and its size, checked on the descriptor; `None` if there is none.
    fn open_file(&self, name: &str, how: Open) -> StoreResult<Option<(File, u64)>> {
        let path = self.path.join(name);
        let flags = OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NOCTTY
            | match how {
                Open::Read => OFlags::RDONLY | OFlags::NONBLOCK,
                Open::ReadWriteCreate => OFlags::RDWR | OFlags::CREATE,
            };
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(FILE_MODE)) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => return Err(not_regular(&path)),
            Err(err) => return Err(StoreError::io("open", &path, err.into())),
        };
        let len = check_file(&fd, &path)?;
        Ok(Some((File::from(fd), len)))
    }

    fn create_temp(&self, name: &str) -> StoreResult<(String, File)> {
        // Exclusive and unpredictable: a name planted in advance (a link to somewhere else,
        // a hard link to a file someone else can read) is never opened.
        for _ in 0..8 {
            let temp = format!(".{name}.tmp-{}", random_hex());
            let flags = OFlags::WRONLY
                | OFlags::CREATE
                | OFlags::EXCL
                | OFlags::NOFOLLOW
                | OFlags::CLOEXEC
                | OFlags::NOCTTY;
            match rustix::fs::openat(
                &self.fd,
                temp.as_str(),
                flags,
                Mode::from_raw_mode(FILE_MODE),
            ) {
                Ok(fd) => return Ok((temp, File::from(fd))),
                Err(Errno::EXIST) => continue,
                Err(err) => {
                    return Err(StoreError::io("create", self.path.join(&temp), err.into()));
                }
            }
        }
        Err(StoreError::io(
            "create a temp file in",
            &self.path,
            ErrorKind::AlreadyExists.into(),
        ))
    }

    /// The checks every directory pointauth uses passes.
    fn checked(self) -> StoreResult<Dir> {
        let stat = rustix::fs::fstat(&self.fd)
            .map_err(|err| StoreError::io("check", &self.path, err.into()))?;
        let mode = stat.st_mode & 0o7777;
        let owner = stat.st_uid;
        let me = euid();
        if owner != me {
            return Err(StoreError::Unsafe {
                problem: format!("is owned by another user (uid {owner}, not {me})"),
                fix: format!(
                    "pointauth only uses directories of its own: remove {} if you did not make it, \
                     or point XDG_DATA_HOME/XDG_STATE_HOME elsewhere",
                    self.path.display()
                ),
                path: self.path,
            });
        }
        if mode & 0o022 != 0 {
            return Err(StoreError::Unsafe {
                problem: format!("can be written by other users (mode {mode:03o})"),
                fix: format!("run `chmod 700 {}`", self.path.display()),
                path: self.path,
            });
        }
        Ok(self)
    }
}

impl Dir {
    /// Refuses a directory that group or others may read or enter.
    fn private(self) -> StoreResult<Dir> {
        let stat = rustix::fs::fstat(&self.fd)
            .map_err(|err| StoreError::io("check", &self.path, err.into()))?;
        let mode = stat.st_mode & 0o7777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Unsafe {
                problem: format!("is accessible by other users (mode {mode:03o})"),
                fix: format!("remove {}", self.path.display()),
                path: self.path,
            });
        }
        Ok(self)
    }
}

/// Opens a directory without following a link in its last component.
fn open_dir(at: impl std::os::fd::AsFd, name: &Path, path: &Path) -> Result<Dir, Errno> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(at, name, flags, Mode::empty())?;
    Ok(Dir {
        fd,
        path: path.to_owned(),
    })
}

fn dir_error(path: &Path, err: Errno) -> StoreError {
    match err {
        // O_NOFOLLOW on a link, O_DIRECTORY on something else.
        Errno::LOOP | Errno::NOTDIR => StoreError::Unsafe {
            path: path.to_owned(),
            problem: "is not a directory of pointauth's own (a symbolic link or another file)"
                .to_owned(),
            fix: format!(
                "pointauth never follows links for its files: remove {}, or point \
                 XDG_DATA_HOME/XDG_STATE_HOME elsewhere",
                path.display()
            ),
        },
        err => StoreError::io("open", path, err.into()),
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

/// The checks every file pointauth reads or locks passes; its size.
fn check_file(fd: &OwnedFd, path: &Path) -> StoreResult<u64> {
    let stat = rustix::fs::fstat(fd).map_err(|err| StoreError::io("check", path, err.into()))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(not_regular(path));
    }
    let owner = stat.st_uid;
    let me = euid();
    if owner != me {
        return Err(StoreError::Unsafe {
            path: path.to_owned(),
            problem: format!("is owned by another user (uid {owner}, not {me})"),
            fix: format!(
                "remove {} if you did not make it, then `pointauth login`",
                path.display()
            ),
        });
    }
    let mode = stat.st_mode & 0o7777;
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
    if stat.st_nlink != 1 {
        return Err(StoreError::Unsafe {
            path: path.to_owned(),
            problem: format!(
                "has {} links; another name could read or change it",
                stat.st_nlink
            ),
            fix: format!(
                "remove {} and its other names, then `pointauth login`",
                path.display()
            ),
        });
    }
    Ok(u64::try_from(stat.st_size).unwrap_or(u64::MAX))
}

/// Whether `entry` is a temp file of a writer of `name`: `.<name>.tmp-` then hex digits
/// (this version's random names) or decimal digits (a process id, as v1 named them).
pub(crate) fn is_temp_of(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .and_then(|rest| rest.strip_prefix(".tmp-"))
        .is_some_and(|suffix| !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The effective user, asked once per process.
fn euid() -> u32 {
    static EUID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *EUID.get_or_init(|| rustix::process::geteuid().as_raw())
}

fn random_hex() -> String {
    let mut bytes = [0u8; TEMP_RANDOM_HEX / 2];
    if rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty()).is_err() {
        // No getrandom(2) (an old kernel, a filter): std's hasher keys come from the OS's
        // randomness too. Exclusive creation refuses a planted name either way.
        use std::hash::BuildHasher;
        let random = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        bytes = random.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
