//! The parts protocol: where the platform caps an entry's size (Windows: 2560 bytes), a
//! session is split into `<profile>#<generation>.<index>` entries and the profile's own
//! entry holds a checksummed manifest that is switched last. Everything read back is bounded.

use super::Backend;
use crate::store::{StoreError, StoreResult};

const MANIFEST_PREFIX: &str = "pointauth-parts:v1:";
/// No session comes near this; a manifest claiming more is damaged.
const MAX_SESSION: usize = 1024 * 1024;

pub(super) fn part_user(user: &str, generation: u32, index: usize) -> String {
    // '#' cannot occur in a profile name, so parts never collide with a profile.
    format!("{user}#{generation}.{index}")
}

/// Whether `name` is a part of `user`'s session (any generation).
pub(super) fn is_part_of(name: &str, user: &str) -> bool {
    name.strip_prefix(user)
        .and_then(|rest| rest.strip_prefix('#'))
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(generation, index)| {
            !generation.is_empty()
                && !index.is_empty()
                && generation.bytes().all(|b| b.is_ascii_digit())
                && index.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Enough to notice parts from different writes; not a security measure.
fn checksum(bytes: &[u8]) -> u64 {
    crate::store::fnv1a(bytes)
}

/// What the profile's own entry holds when its session is split.
#[derive(Debug, PartialEq, Eq)]
struct Manifest {
    generation: u32,
    parts: usize,
    len: usize,
    checksum: u64,
}

/// What the profile's own entry turned out to hold.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    Whole,
    Split(Manifest),
    /// A manifest that does not add up: its parts cannot be trusted or found from it.
    Damaged,
}

impl Manifest {
    /// Reads the profile's entry. Every number is checked against the others and against
    /// `max` (the platform's entry size), so no claim in it can make a reader allocate or
    /// loop more than a real session needs.
    fn parse(bytes: &[u8], max: usize) -> Head {
        let Some(rest) = bytes.strip_prefix(MANIFEST_PREFIX.as_bytes()) else {
            return Head::Whole;
        };
        let parsed = (|| {
            let mut fields = std::str::from_utf8(rest).ok()?.split(':');
            let manifest = Manifest {
                generation: fields.next()?.parse().ok()?,
                parts: fields.next()?.parse().ok()?,
                len: fields.next()?.parse().ok()?,
                checksum: u64::from_str_radix(fields.next()?, 16).ok()?,
            };
            let fits = fields.next().is_none()
                && max > 0
                && manifest.len > max
                && manifest.len <= MAX_SESSION
                && manifest.parts == manifest.len.div_ceil(max);
            fits.then_some(manifest)
        })();
        parsed.map_or(Head::Damaged, Head::Split)
    }

    fn render(&self) -> String {
        format!(
            "{MANIFEST_PREFIX}{}:{}:{}:{:016x}",
            self.generation, self.parts, self.len, self.checksum
        )
    }

    fn delete_parts(&self, backend: &dyn Backend, user: &str) -> StoreResult<()> {
        for index in 1..=self.parts {
            backend.delete(&part_user(user, self.generation, index))?;
        }
        Ok(())
    }
}

fn corrupt(user: &str, backend: &dyn Backend, why: &str) -> StoreError {
    StoreError::Corrupt {
        what: "the keychain entry",
        profile: user.to_owned(),
        location: format!("{} entry (service pointauth, user {user})", backend.name()),
        why: why.to_owned(),
    }
}

fn head(backend: &dyn Backend, user: &str, max: usize) -> StoreResult<Option<Head>> {
    Ok(backend.get(user)?.map(|bytes| Manifest::parse(&bytes, max)))
}

/// Removes every part of `user` but those named in `keep`: after a damaged manifest the
/// parts can only be found by listing the store.
fn sweep_parts(backend: &dyn Backend, user: &str, keep: &[String]) -> StoreResult<()> {
    for name in backend.list()? {
        if is_part_of(&name, user) && !keep.contains(&name) {
            backend.delete(&name)?;
        }
    }
    Ok(())
}

/// Saves `bytes`, split into parts where the platform caps an entry. A new split goes to a
/// new generation of parts and the manifest switches last, so a save that fails half-way
/// leaves the previous session whole, and readers never see parts of two writes.
pub(super) fn save(backend: &dyn Backend, user: &str, bytes: &[u8]) -> StoreResult<()> {
    let Some(max) = backend.max_len() else {
        return backend.set(user, bytes);
    };
    // Whatever is there now is replaced; a damaged entry is no reason to refuse.
    let old = head(backend, user, max)?;
    let mut written = Vec::new();
    if bytes.len() <= max {
        backend.set(user, bytes)?;
    } else {
        let next = match &old {
            Some(Head::Split(manifest)) => manifest.generation.wrapping_add(1),
            _ => 1,
        };
        let chunks: Vec<&[u8]> = bytes.chunks(max).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            let name = part_user(user, next, index + 1);
            backend.set(&name, chunk)?;
            written.push(name);
        }
        let manifest = Manifest {
            generation: next,
            parts: chunks.len(),
            len: bytes.len(),
            checksum: checksum(bytes),
        };
        backend.set(user, manifest.render().as_bytes())?;
    }
    // A new split is always a new generation, so the old parts are never the new ones.
    match old {
        Some(Head::Split(old)) => old.delete_parts(backend, user),
        Some(Head::Damaged) => sweep_parts(backend, user, &written),
        _ => Ok(()),
    }
}

pub(super) fn load(backend: &dyn Backend, user: &str) -> StoreResult<Option<Vec<u8>>> {
    let max = backend.max_len().unwrap_or(0);
    // A lock-free reader can race a writer that switches generations and then deletes the
    // old parts: a vanished part means "read the manifest again", once.
    for attempt in 0..2 {
        let Some(bytes) = backend.get(user)? else {
            return Ok(None);
        };
        let manifest = match Manifest::parse(&bytes, max) {
            Head::Whole => return Ok(Some(bytes)),
            Head::Split(manifest) => manifest,
            Head::Damaged => return Err(corrupt(user, backend, "its manifest is damaged")),
        };
        let mut joined = Vec::with_capacity(manifest.len);
        let mut complete = true;
        for index in 1..=manifest.parts {
            match backend.get(&part_user(user, manifest.generation, index))? {
                Some(part) if part.len() <= max => joined.extend_from_slice(&part),
                Some(_) => return Err(corrupt(user, backend, "a part is larger than an entry")),
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if !complete && attempt == 0 {
            continue;
        }
        if !complete {
            return Err(corrupt(user, backend, "a part is missing"));
        }
        if joined.len() != manifest.len || checksum(&joined) != manifest.checksum {
            return Err(corrupt(user, backend, "its parts do not add up"));
        }
        return Ok(Some(joined));
    }
    Err(corrupt(user, backend, "a part is missing"))
}

pub(super) fn delete(backend: &dyn Backend, user: &str) -> StoreResult<bool> {
    if let Some(max) = backend.max_len() {
        match head(backend, user, max)? {
            Some(Head::Split(manifest)) => manifest.delete_parts(backend, user)?,
            Some(Head::Damaged) => sweep_parts(backend, user, &[])?,
            _ => {}
        }
    }
    backend.delete(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_is_only_believed_when_its_numbers_add_up() {
        let max = 100;
        let good = Manifest {
            generation: 3,
            parts: 3,
            len: 250,
            checksum: 0xabc,
        };
        assert_eq!(
            Manifest::parse(good.render().as_bytes(), max),
            Head::Split(good)
        );
        assert_eq!(Manifest::parse(b"{\"version\":1}", max), Head::Whole);
        for damaged in [
            // More parts than the length needs, or fewer.
            "pointauth-parts:v1:1:4:250:0",
            "pointauth-parts:v1:1:2:250:0",
            // A length that would make a reader allocate terabytes.
            "pointauth-parts:v1:1:99999999999:9999999999900:0",
            // A length that fits one entry is not split.
            "pointauth-parts:v1:1:1:50:0",
            "pointauth-parts:v1:1:1:100:0",
            "pointauth-parts:v1:1:3:250",
            "pointauth-parts:v1:1:3:250:0:extra",
            "pointauth-parts:v1:x:3:250:0",
        ] {
            assert_eq!(
                Manifest::parse(damaged.as_bytes(), max),
                Head::Damaged,
                "{damaged}"
            );
        }
        assert_eq!(
            Manifest::parse(b"pointauth-parts:v1:\xff", max),
            Head::Damaged
        );
        // Where entries have no cap nothing is split: a manifest there is damage, whatever
        // its numbers say.
        assert_eq!(
            Manifest::parse(b"pointauth-parts:v1:1:1:10:0", 0),
            Head::Damaged
        );
    }

    #[test]
    fn part_names_are_recognised_exactly() {
        assert!(is_part_of("p#1.2", "p"));
        assert!(is_part_of("p#10.30", "p"));
        assert!(!is_part_of("p", "p"));
        assert!(!is_part_of("p#1", "p"));
        assert!(!is_part_of("pq#1.2", "p"));
        assert!(!is_part_of("p#x.2", "p"));
        assert!(!is_part_of("q#1.2", "p"));
    }
}
