//! The per-profile lock that makes refresh and sign-in single-flight across processes.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Kind, Result, io_error};
use crate::settings::Paths;
use crate::store::file::ensure_private_dir;

/// An exclusive lock on `<state>/locks/<profile>.lock`, released on drop (or process exit,
/// so a crashed holder never leaves a stale lock behind).
///
/// The lock file also carries the outcome of the last refresh that failed for a passing
/// reason, so processes that queued behind it reuse that result instead of each retrying.
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
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
                Ok(()) => return Ok(ProfileLock { file }),
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

impl ProfileLock {
    /// Records that a call just failed. `scope` names the call and the identity it was
    /// for (e.g. `sign-in https://host alice`): only a waiter making the very same call
    /// reuses the answer, never one signing in as someone else. Nothing here is secret.
    pub fn note_failure(&self, scope: &str, error: &Error) {
        let note = format!(
            "failed {} {}\n{}\n{}",
            millis(SystemTime::now()),
            error.kind().code(),
            scope.replace('\n', " "),
            error.message()
        );
        // Best effort: without the note, waiters merely retry themselves.
        let _ = self.rewrite(note.as_bytes());
    }

    /// Forgets a recorded failure after a success.
    pub fn clear_failure(&self) {
        let _ = self.rewrite(b"");
    }

    /// The failure another process recorded for `scope` at or after `since`, if any.
    pub fn failure_since(&self, since: SystemTime, scope: &str) -> Option<Error> {
        let mut text = String::new();
        (&self.file).seek(SeekFrom::Start(0)).ok()?;
        (&self.file).take(4096).read_to_string(&mut text).ok()?;
        let (head, rest) = text.split_once('\n')?;
        let (noted_scope, message) = rest.split_once('\n')?;
        if noted_scope != scope.replace('\n', " ") {
            return None;
        }
        let (at, code) = head.strip_prefix("failed ")?.split_once(' ')?;
        let at: u128 = at.parse().ok()?;
        let kind = Kind::from_code(code.parse().ok()?)?;
        (at >= millis(since)).then(|| {
            Error::new(kind, message)
                .hint("another pointauth process just tried and got this answer; retry later")
        })
    }

    fn rewrite(&self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.set_len(0)?;
        (&self.file).seek(SeekFrom::Start(0))?;
        (&self.file).write_all(bytes)
    }
}

fn millis(at: SystemTime) -> u128 {
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
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

    #[test]
    fn a_recorded_failure_is_seen_only_by_those_who_waited_for_it() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths {
            data: home.path().join("data"),
            state: home.path().join("state"),
        };
        let before = SystemTime::now();
        let lock = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        let scope = "sign-in https://h alice";
        lock.note_failure(
            scope,
            &Error::new(Kind::Credentials, "sign-in failed: HTTP 400"),
        );
        drop(lock);
        let lock = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        let seen = lock
            .failure_since(before, scope)
            .expect("the recorded failure");
        assert_eq!(seen.message(), "sign-in failed: HTTP 400");
        assert_eq!(seen.kind(), Kind::Credentials);
        assert!(
            lock.failure_since(before, "sign-in https://h bob")
                .is_none()
        );
        assert!(
            lock.failure_since(before, "refresh https://h alice")
                .is_none()
        );
        let later = SystemTime::now() + Duration::from_millis(5);
        assert!(lock.failure_since(later, scope).is_none());
        lock.clear_failure();
        assert!(lock.failure_since(before, scope).is_none());
    }
}
