//! The per-profile lock that makes refresh and sign-in single-flight across processes, and
//! the failure note it carries for the processes that queued behind a failed call.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::store::dir::{Dir, Missing};
use crate::store::{Paths, StoreError, StoreResult};

/// An exclusive lock on `<state>/locks/<profile>.lock`, released on drop (or process exit,
/// so a crashed holder never leaves a stale lock behind). The lock is on a file of its own,
/// not on the session file, because atomic renames replace the session file's inode.
#[derive(Debug)]
pub(crate) struct ProfileLock {
    file: File,
    dir: Dir,
    name: String,
}

/// A failed sign-in or refresh, as recorded for waiters: structured fields only, never
/// free text from the service, so nothing in it can be shown that pointauth did not write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Note {
    /// When, in milliseconds since the Unix epoch.
    pub(crate) at_ms: u64,
    /// `sign-in` or `refresh`.
    pub(crate) call: String,
    pub(crate) base_url: String,
    pub(crate) username: String,
    /// The exit code the failure meant.
    pub(crate) exit: u8,
    /// The HTTP status, if the service answered.
    pub(crate) status: Option<u16>,
    /// The service's error code (`INVALID_PASSWORD`), if it gave one.
    pub(crate) code: Option<String>,
    /// Tells apart the credential that was sent (the password, or the refresh token) from
    /// another, so a corrected password is tried at once: 16 bits of a hash keyed by `salt`,
    /// too few to learn the credential from, enough to see it changed.
    pub(crate) salt: u64,
    pub(crate) tag: u16,
}

impl Note {
    /// The tag of `secret` under `salt`.
    pub(crate) fn tag_of(salt: u64, secret: &[u8]) -> u16 {
        use std::hash::{Hash, Hasher};
        // SipHash with fixed keys, salted: a hash, not a MAC; only its low 16 bits are kept.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut hasher);
        secret.hash(&mut hasher);
        hasher.finish() as u16
    }
}

/// No note is longer than this; a longer lock file is not ours to read.
const MAX_NOTE: u64 = 4096;

impl ProfileLock {
    /// Waits up to `patience` for the lock. The lock file is opened like every pointauth
    /// file (no link followed, checked on the descriptor).
    pub(crate) fn acquire(
        paths: &Paths,
        profile: &str,
        patience: Duration,
    ) -> StoreResult<ProfileLock> {
        let dir = paths.state_dir("locks", Missing::Create)?.ok_or_else(|| {
            StoreError::io(
                "create",
                paths.state.join("locks"),
                std::io::ErrorKind::NotFound.into(),
            )
        })?;
        let name = format!("{profile}.lock");
        let deadline = Instant::now() + patience;
        let mut pause = Duration::from_millis(2);
        loop {
            let file = dir.lock_file(&name)?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                        std::thread::sleep(pause);
                        pause = (pause * 2).min(Duration::from_millis(50));
                    }
                    Err(TryLockError::WouldBlock) => {
                        return Err(busy(profile, patience, dir.path().join(&name)));
                    }
                    Err(TryLockError::Error(err)) => {
                        return Err(StoreError::io("lock", dir.path().join(&name), err));
                    }
                }
            }
            // `logout` removes the lock file while holding it: a lock on a file that no
            // longer has the name locks nothing another process would see.
            if dir.still_names(&name, &file) {
                return Ok(ProfileLock { file, dir, name });
            }
            // The name went on being removed and made again: patience ends even so.
            if Instant::now() >= deadline {
                return Err(busy(profile, patience, dir.path().join(&name)));
            }
        }
    }

    /// Profiles that have a lock file (only valid profile names).
    pub(crate) fn profiles(paths: &Paths) -> StoreResult<Vec<String>> {
        let Some(dir) = paths.state_dir("locks", Missing::Absent)? else {
            return Ok(Vec::new());
        };
        Ok(dir
            .names()?
            .into_iter()
            .filter_map(|name| name.strip_suffix(".lock").map(str::to_owned))
            .filter(|stem| crate::store::is_valid_profile_name(stem))
            .collect())
    }

    /// Removes the lock file (`logout`): waiters that had it open see it is gone and open
    /// the new one.
    pub(crate) fn remove(self) -> StoreResult<()> {
        self.dir.remove(&self.name).map(drop)
    }

    /// The note another process left, if it is one pointauth wrote.
    pub(crate) fn note(&self) -> Option<Note> {
        let mut text = String::new();
        (&self.file).seek(SeekFrom::Start(0)).ok()?;
        (&self.file).take(MAX_NOTE).read_to_string(&mut text).ok()?;
        let note: Note = serde_json::from_str(&text).ok()?;
        note.is_well_formed().then_some(note)
    }

    /// Records a failure for the processes waiting behind this one. Best effort: without
    /// the note, waiters merely try themselves.
    pub(crate) fn set_note(&self, note: &Note) {
        if let Ok(text) = serde_json::to_string(note) {
            let _ = self.rewrite(text.as_bytes());
        }
    }

    /// Forgets a recorded failure after a success.
    pub(crate) fn clear_note(&self) {
        let _ = self.rewrite(b"");
    }

    fn rewrite(&self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.set_len(0)?;
        (&self.file).seek(SeekFrom::Start(0))?;
        (&self.file).write_all(bytes)
    }
}

impl Note {
    /// Only what pointauth itself writes: a known call, a contract exit code, an HTTP
    /// status, a service code of capitals, digits and `_`.
    fn is_well_formed(&self) -> bool {
        let code_ok = self.code.as_deref().is_none_or(|code| {
            let mut chars = code.chars();
            code.len() <= 64
                && chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        matches!(self.call.as_str(), "sign-in" | "refresh")
            && (1..=5).contains(&self.exit)
            && self
                .status
                .is_none_or(|status| (100..=599).contains(&status))
            && code_ok
    }
}

fn busy(profile: &str, patience: Duration, path: PathBuf) -> StoreError {
    StoreError::Busy {
        profile: profile.to_owned(),
        waited: patience,
        path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ends_within;

    fn paths(home: &tempfile::TempDir) -> Paths {
        Paths {
            data: home.path().join("data/pointauth"),
            state: home.path().join("state/pointauth"),
        }
    }

    fn note() -> Note {
        Note {
            at_ms: 1_700_000_000_000,
            call: "sign-in".into(),
            base_url: "https://h.example".into(),
            username: "alice".into(),
            exit: 4,
            status: Some(400),
            code: Some("INVALID_PASSWORD".into()),
            salt: 7,
            tag: Note::tag_of(7, b"hunter22"),
        }
    }

    #[test]
    fn a_tag_tells_another_credential_apart_and_shows_little_of_it() {
        assert_eq!(Note::tag_of(7, b"hunter22"), Note::tag_of(7, b"hunter22"));
        let differing = (0..64u64)
            .filter(|salt| Note::tag_of(*salt, b"hunter22") != Note::tag_of(*salt, b"hunter23"))
            .count();
        assert!(differing >= 62, "{differing}");
        let distinct: std::collections::BTreeSet<u16> = (0..64u64)
            .map(|salt| Note::tag_of(salt, b"hunter22"))
            .collect();
        assert!(distinct.len() >= 60, "the salt changes the tag");
    }

    #[test]
    fn a_second_holder_waits_then_gives_up() {
        let home = tempfile::tempdir().unwrap();
        let paths = paths(&home);
        let first = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        let waiter = paths.clone();
        // 100 times the patience: the margin for a loaded machine.
        let gave_up = ends_within(Duration::from_secs(20), move || {
            ProfileLock::acquire(&waiter, "p", Duration::from_millis(200)).is_err()
        });
        assert!(gave_up);
        assert!(started.elapsed() >= Duration::from_millis(200));
        // Another profile is independent.
        ProfileLock::acquire(&paths, "q", Duration::from_millis(10)).unwrap();
        drop(first);
        ProfileLock::acquire(&paths, "p", Duration::from_millis(10)).unwrap();
    }

    /// This thread's CPU time so far, in clock ticks (user + system, /proc/thread-self/stat).
    #[cfg(target_os = "linux")]
    fn thread_cpu_ticks() -> u64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_waiter_sleeps_between_tries_instead_of_spinning() {
        let home = tempfile::tempdir().unwrap();
        let paths = paths(&home);
        let _held = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        let (gave_up, spent) = ends_within(Duration::from_secs(30), move || {
            let before = thread_cpu_ticks();
            let gave_up = ProfileLock::acquire(&paths, "p", Duration::from_millis(1500)).is_err();
            (gave_up, thread_cpu_ticks() - before)
        });
        assert!(gave_up);
        // Polling every 50 ms at most costs well under a tick; a loop that stops sleeping
        // burns the whole 1.5 s (150 ticks), or a third of it on a loaded two-core machine.
        assert!(spent < 15, "{spent} ticks of CPU while waiting 1.5 s");
    }

    #[test]
    fn a_note_is_read_back_by_the_next_holder_and_cleared() {
        let home = tempfile::tempdir().unwrap();
        let paths = paths(&home);
        let lock = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        assert_eq!(lock.note(), None);
        lock.set_note(&note());
        drop(lock);
        let lock = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        assert_eq!(lock.note(), Some(note()));
        lock.clear_note();
        assert_eq!(lock.note(), None);
    }

    #[test]
    fn a_note_pointauth_did_not_write_is_ignored() {
        let home = tempfile::tempdir().unwrap();
        let paths = paths(&home);
        let lock = ProfileLock::acquire(&paths, "p", Duration::from_secs(1)).unwrap();
        let forged = [
            Note {
                code: Some("\u{1b}[31mcurl evil | sh".into()),
                ..note()
            },
            Note { exit: 0, ..note() },
            Note {
                call: "anything".into(),
                ..note()
            },
            Note {
                status: Some(1000),
                ..note()
            },
            // Codes are the service's form only: capitals first, at most 64 characters.
            Note {
                code: Some("invalid_password".into()),
                ..note()
            },
            Note {
                code: Some("A".repeat(65)),
                ..note()
            },
        ];
        for note in forged {
            lock.set_note(&note);
            assert_eq!(lock.note(), None, "{note:?}");
        }
        lock.rewrite(b"failed 1 4\nsign-in https://h alice\nfree text")
            .unwrap();
        assert_eq!(lock.note(), None);
    }
}
