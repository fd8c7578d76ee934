//! The per-profile lock that makes refresh and sign-in single-flight across processes.

use std::fs::{File, OpenOptions, TryLockError};
use std::time::{Duration, Instant};

use crate::error::{Error, Result, io_error};
use crate::settings::Paths;
use crate::store::file::ensure_private_dir;

/// An exclusive lock on `<state>/locks/<profile>.lock`, released on drop (or process exit,
/// so a crashed holder never leaves a stale lock behind).
#[derive(Debug)]
pub struct ProfileLock {
    _file: File,
}

impl ProfileLock {
    /// Waits up to `patience` for the lock. The lock is on its own file, not on the session
    /// file, because atomic renames replace the session file's inode.
    pub fn acquire(paths: &Paths, profile: &str, patience: Duration) -> Result<ProfileLock> {
        let dir = paths.state.join("locks");
        ensure_private_dir(&dir)?;
        let path = dir.join(format!("{profile}.lock"));
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|err| io_error(format!("cannot open lock file {}", path.display()), err))?;
        let deadline = Instant::now() + patience;
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(ProfileLock { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::internal(format!(
                        "another pointauth process has held the lock for profile `{profile}` for over {} s",
                        patience.as_secs()
                    ))
                    .hint(format!(
                        "wait for it to finish, or find it with `fuser {}`",
                        path.display()
                    )));
                }
                Err(TryLockError::Error(err)) => {
                    return Err(io_error(format!("cannot lock {}", path.display()), err));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_gives_up() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths {
            data: home.path().join("data"),
            state: home.path().join("state"),
        };
        let first = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        let second = ProfileLock::acquire(&paths, "p", Duration::from_millis(200));
        assert!(second.is_err());
        assert!(started.elapsed() >= Duration::from_millis(200));
        // Another profile is independent.
        ProfileLock::acquire(&paths, "q", Duration::from_millis(10)).unwrap();
        drop(first);
        ProfileLock::acquire(&paths, "p", Duration::from_millis(10)).unwrap();
    }
}
