//! The verified handles against what an audit planted: foreign owners, shared modes, links,
//! hard links, names chosen in advance.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::Duration;

use super::*;

const OTHER_UID: u32 = 12345;

fn as_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

fn mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_missing_directory_is_made_private_and_reads_make_nothing() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("a/b/pointauth");
    assert!(Dir::open(&path, Missing::Absent).unwrap().is_none());
    assert!(!home.path().join("a").exists(), "a read makes nothing");
    let dir = Dir::open(&path, Missing::Create).unwrap().unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let child = dir.child("locks", Missing::Create).unwrap().unwrap();
    assert_eq!(
        fs::metadata(child.path()).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn a_directory_others_may_write_is_refused_and_named() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("pointauth");
    fs::create_dir(&path).unwrap();
    for shared in [0o777, 0o770, 0o702, 0o1777] {
        mode(&path, shared);
        let err = Dir::open(&path, Missing::Create).unwrap_err();
        let shown = crate::error::Error::from(err).report_text();
        assert!(shown.contains(&path.display().to_string()), "{shown}");
        assert!(shown.contains("chmod 700"), "{shown}");
    }
    // Readable is not writable: 0755 is the user's to choose.
    mode(&path, 0o755);
    assert!(Dir::open(&path, Missing::Absent).unwrap().is_some());
}

#[test]
fn a_directory_of_another_user_is_refused_even_for_root() {
    if !as_root() {
        eprintln!("SKIPPED: needs root to chown");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("pointauth");
    fs::create_dir(&path).unwrap();
    mode(&path, 0o700);
    chown(&path, OTHER_UID);
    let err = Dir::open(&path, Missing::Create).unwrap_err();
    assert!(err.to_string().contains("owned by another user"), "{err}");
    // Below a trusted directory, a foreign subdirectory is refused the same way.
    let own = home.path().join("own");
    let dir = Dir::open(&own, Missing::Create).unwrap().unwrap();
    fs::create_dir(own.join("locks")).unwrap();
    chown(&own.join("locks"), OTHER_UID);
    assert!(dir.child("locks", Missing::Create).is_err());
}

#[test]
fn a_symlinked_directory_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let target = home.path().join("project");
    fs::create_dir(&target).unwrap();
    mode(&target, 0o700);
    let path = home.path().join("pointauth");
    symlink(&target, &path).unwrap();
    let err = Dir::open(&path, Missing::Create).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn files_are_checked_on_the_descriptor() {
    let home = tempfile::tempdir().unwrap();
    let dir = Dir::open(&home.path().join("pointauth"), Missing::Create)
        .unwrap()
        .unwrap();
    dir.write_atomic("s.json", b"{}").unwrap();
    assert_eq!(dir.read("s.json", 100).unwrap().unwrap(), b"{}");
    let file = dir.path().join("s.json");
    // A second name for the file: refused.
    fs::hard_link(&file, home.path().join("second-name")).unwrap();
    let err = dir.read("s.json", 100).unwrap_err();
    assert!(err.to_string().contains("2 links"), "{err}");
    fs::remove_file(home.path().join("second-name")).unwrap();
    // A symbolic link, a directory, a FIFO: not regular files.
    symlink(&file, dir.path().join("link.json")).unwrap();
    assert!(dir.read("link.json", 100).is_err());
    fs::create_dir(dir.path().join("d.json")).unwrap();
    assert!(dir.read("d.json", 100).is_err());
    rustix::fs::mknodat(
        rustix::fs::CWD,
        dir.path().join("fifo.json"),
        rustix::fs::FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    // Opened without O_NONBLOCK, a FIFO waits for a writer forever; refusing it takes well
    // under a millisecond, and 10 s is the margin for a loaded machine.
    let path = dir.path().to_owned();
    let refused = crate::testing::ends_within(Duration::from_secs(10), move || {
        let dir = Dir::open(&path, Missing::Absent).unwrap().unwrap();
        dir.read("fifo.json", 100).is_err()
    });
    assert!(refused, "never blocks on a FIFO");
    if as_root() {
        chown(&file, OTHER_UID);
        let err = dir.read("s.json", 100).unwrap_err();
        assert!(err.to_string().contains("owned by another user"), "{err}");
    }
}

#[test]
fn a_planted_temp_name_or_link_never_receives_the_secret() {
    let home = tempfile::tempdir().unwrap();
    let dir = Dir::open(&home.path().join("pointauth"), Missing::Create)
        .unwrap()
        .unwrap();
    // Links planted for predictable names (v1's `.<name>.tmp-<pid>`) are never written.
    let stolen = home.path().join("stolen");
    fs::write(&stolen, "").unwrap();
    for pid in std::process::id()..std::process::id() + 20 {
        fs::hard_link(&stolen, dir.path().join(format!(".s.json.tmp-{pid}"))).unwrap();
    }
    dir.write_atomic("s.json", b"the secret").unwrap();
    assert_eq!(fs::read(&stolen).unwrap(), b"");
    assert_eq!(dir.read("s.json", 100).unwrap().unwrap(), b"the secret");
    // The names are unpredictable: two writes use different ones.
    let names: std::collections::BTreeSet<String> = (0..20).map(|_| random_hex()).collect();
    assert_eq!(names.len(), 20);
    assert!(names.iter().all(|n| n.len() == TEMP_RANDOM_HEX));
}

#[test]
fn a_lock_file_that_is_a_link_is_refused_and_its_target_untouched() {
    let home = tempfile::tempdir().unwrap();
    let dir = Dir::open(&home.path().join("pointauth"), Missing::Create)
        .unwrap()
        .unwrap();
    let notes = home.path().join("notes.txt");
    fs::write(&notes, "precious").unwrap();
    symlink(&notes, dir.path().join("p.lock")).unwrap();
    assert!(dir.lock_file("p.lock").is_err());
    assert_eq!(fs::read_to_string(&notes).unwrap(), "precious");
}

#[test]
fn temp_names_are_recognised_exactly() {
    assert!(is_temp_of(".p.json.tmp-12345", "p.json"));
    assert!(is_temp_of(".p.json.tmp-0123456789abcdef", "p.json"));
    assert!(!is_temp_of(".p.json.tmp-", "p.json"));
    assert!(!is_temp_of(".p.json.tmp-x.json.tmp-1", "p.json"));
    assert!(!is_temp_of("p.json.tmp-1", "p.json"));
    assert!(!is_temp_of(".q.json.tmp-1", "p.json"));
}
