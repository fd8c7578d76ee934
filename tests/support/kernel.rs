//! The kernel keyring seen from outside, through `keyctl` (Debian's keyutils): what
//! pointauth's kernel store and quick copies hold, which keys exist, their kernel expiry. And
//! `no_keyring.py`, which runs a command with keyring calls refused, as Docker's seccomp does.
//!
//! Tests run in parallel as root, so every test's keys share root's persistent keyring: each
//! `TestEnv` has its own data directory, hence its own namespace in key names, and removes
//! its keys when dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;

const INSTALL_KEYCTL: &str = "apt-get install keyutils";
const INSTALL_SECCOMP: &str = "apt-get install python3-seccomp";
/// Debian's python, which has python3-seccomp (a pyenv python on PATH may not).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// One key of pointauth's, as `keyctl` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenKey {
    pub id: u32,
    pub payload: String,
    /// `/proc/keys`'s timeout column: `perm`, or a rounded remainder such as `59m` or `18s`.
    pub timeout: String,
}

pub fn keyctl_available() -> bool {
    Command::new("keyctl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether `keyctl` is there; without it the test says SKIPPED (and fails under CI=true).
pub fn keyctl_or_skip(test: &str) -> bool {
    if keyctl_available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none_or(|ci| ci != "true"),
        "{test} needs keyctl in CI ({INSTALL_KEYCTL})"
    );
    eprintln!("SKIPPED: {test} needs keyctl ({INSTALL_KEYCTL})");
    false
}

/// `sh -c SCRIPT` in a session keyring of its own, so the `keyctl` calls in it share the link
/// to the persistent keyring they look through.
fn in_session(script: &str) -> std::process::Output {
    Command::new("keyctl")
        .args(["session", "-", "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("run keyctl")
}

/// Every key in `uid`'s persistent keyring whose name starts with `prefix`, by name.
pub fn keys(uid: u32, prefix: &str) -> BTreeMap<String, SeenKey> {
    let script = format!(
        r#"p=$(keyctl get_persistent @s {uid}) || exit 3
for k in $(keyctl rlist "$p"); do
  d=$(keyctl rdescribe "$k" 2>/dev/null) || continue
  name=${{d#*;*;*;*;}}
  case "$name" in
    '{prefix}'*) printf '%s\t%s\t%s\n' "$k" "$name" "$(keyctl pipe "$k" | base64 -w0)" ;;
  esac
done"#
    );
    let output = in_session(&script);
    assert!(
        output.status.success(),
        "keyctl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let timeouts = proc_keys_timeouts();
    String::from_utf8(output.stdout)
        .expect("keyctl output is text")
        .lines()
        .map(|line| {
            let mut fields = line.splitn(3, '\t');
            let id: u32 = fields.next().unwrap().parse().unwrap();
            let name = fields.next().unwrap().to_owned();
            let payload = base64::engine::general_purpose::STANDARD
                .decode(fields.next().unwrap_or_default())
                .expect("base64 from keyctl pipe");
            let key = SeenKey {
                id,
                payload: String::from_utf8(payload).expect("a text payload"),
                timeout: timeouts.get(&id).cloned().unwrap_or_default(),
            };
            (name, key)
        })
        .collect()
}

/// `/proc/keys`: key id → its timeout column.
fn proc_keys_timeouts() -> BTreeMap<u32, String> {
    std::fs::read_to_string("/proc/keys")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let id = u32::from_str_radix(fields.next()?, 16).ok()?;
            let timeout = fields.nth(2)?.to_owned();
            Some((id, timeout))
        })
        .collect()
}

/// Adds a key to `uid`'s persistent keyring, as something other than pointauth would.
pub fn plant(uid: u32, name: &str, payload: &str) {
    let script = format!(
        "p=$(keyctl get_persistent @s {uid}) && printf %s '{payload}' | keyctl padd user '{name}' \"$p\" >/dev/null"
    );
    let output = in_session(&script);
    assert!(
        output.status.success(),
        "keyctl padd: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Removes every key of `uid`'s persistent keyring whose name starts with `prefix`.
pub fn purge(uid: u32, prefix: &str) {
    let script = format!(
        r#"p=$(keyctl get_persistent @s {uid}) || exit 0
for k in $(keyctl rlist "$p"); do
  d=$(keyctl rdescribe "$k" 2>/dev/null) || continue
  case "${{d#*;*;*;*;}}" in '{prefix}'*) keyctl invalidate "$k" ;; esac
done"#
    );
    let _ = in_session(&script);
}

/// The namespace pointauth gives a data directory in shared stores, worked out here
/// independently: 16 hex digits of FNV-1a over its path's components, each followed by `/`.
pub fn namespace_of(data_dir: &Path) -> String {
    let mut bytes = Vec::new();
    for component in data_dir.components() {
        bytes.extend_from_slice(component.as_os_str().as_encoded_bytes());
        bytes.push(b'/');
    }
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The script that runs a command with keyring calls refused, if this machine can run it.
pub fn no_keyring_wrapper() -> Option<[PathBuf; 2]> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/no_keyring.py");
    let works = Command::new(SYSTEM_PYTHON)
        .arg(&script)
        .arg("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    works.then(|| [PathBuf::from(SYSTEM_PYTHON), script])
}

/// The wrapper, or SKIPPED (a failure under CI=true).
pub fn no_keyring_or_skip(test: &str) -> Option<[PathBuf; 2]> {
    let wrapper = no_keyring_wrapper();
    if wrapper.is_none() {
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci != "true"),
            "{test} needs python3-seccomp in CI ({INSTALL_SECCOMP})"
        );
        eprintln!("SKIPPED: {test} needs python3-seccomp ({INSTALL_SECCOMP})");
    }
    wrapper
}
