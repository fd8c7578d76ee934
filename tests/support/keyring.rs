//! A private Secret Service for one test: its own D-Bus session bus and its own gnome-keyring,
//! in a temporary directory of their own (outside the test's pointauth HOME), torn down on drop.
//! Nothing here reads the developer's `DBUS_SESSION_BUS_ADDRESS`, HOME or keyring.
//!
//! ```ignore
//! let Some(kr) = PrivateKeyring::unlocked() else { return };
//! env.cmd().env("DBUS_SESSION_BUS_ADDRESS", kr.address())...
//! kr.lookup(&[("service", "pointauth"), ("username", "default")])
//! ```
//!
//! When the tools are missing the fixture prints `SKIPPED: ...` and the test returns; with
//! `CI=true` it panics instead, because CI must run these tests.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Set on every daemon the fixture starts (D-Bus passes it on to activated services), so
/// teardown finds each one by this exact value: this fixture's directory.
const MARKER: &str = "POINTAUTH_TEST_KEYRING";
const KEYRING_PASSWORD: &str = "private-test-keyring";
const TOOLS: &[&str] = &[
    "dbus-daemon",
    "dbus-send",
    "gnome-keyring-daemon",
    "secret-tool",
];
const INSTALL: &str = "apt-get install gnome-keyring dbus-x11 libsecret-tools";
const READY_WITHIN: Duration = Duration::from_secs(10);

/// What answers for `org.freedesktop.secrets` on the private bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Provider {
    /// gnome-keyring, started and unlocked with a login keyring: a working keychain.
    Unlocked,
    /// Nothing running; the bus starts gnome-keyring on first use, as a desktop session does.
    /// It then has no login keyring (no default collection) and nobody ever unlocks it.
    Activatable,
    /// The bus "starts" a provider that never claims the name: every call waits for it.
    Stalled,
}

pub struct PrivateKeyring {
    dir: TempDir,
    address: String,
    bus: Child,
    keyring: Option<Child>,
}

impl PrivateKeyring {
    /// A working, unlocked keychain (its start-up includes a `secret-tool` store/lookup probe).
    pub fn unlocked() -> Option<PrivateKeyring> {
        or_skip(Self::start(Provider::Unlocked))
    }

    /// gnome-keyring activated on demand with a fresh HOME: no default collection, locked.
    pub fn activatable() -> Option<PrivateKeyring> {
        or_skip(Self::start(Provider::Activatable))
    }

    /// A bus whose Secret Service activation never completes.
    pub fn stalled() -> Option<PrivateKeyring> {
        or_skip(Self::start(Provider::Stalled))
    }

    /// The private bus, for `DBUS_SESSION_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Where gnome-keyring keeps its files (`keyrings/login.keyring`); outside the test's HOME.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("home/.local/share")
    }

    /// `secret-tool` as an independent client of this keychain, with nothing from the
    /// developer's environment.
    pub fn secret_tool(&self) -> Command {
        let mut cmd = Command::new("secret-tool");
        self.isolate(&mut cmd);
        cmd.env_remove(MARKER).stdin(Stdio::null());
        cmd
    }

    /// Locks the login collection, as a screen lock does (`secret-tool lock` hangs on this
    /// libsecret, so the Secret Service's own Lock method is called with dbus-send).
    pub fn lock_login_collection(&self) {
        let mut cmd = Command::new("dbus-send");
        self.isolate(&mut cmd);
        let output = cmd
            .env_remove(MARKER)
            .stdin(Stdio::null())
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .output()
            .expect("run dbus-send");
        assert!(
            output.status.success(),
            "lock: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The secret stored under these attributes, or `None` when there is none.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> Option<String> {
        let output = self
            .secret_tool()
            .arg("lookup")
            .args(attributes.iter().flat_map(|(k, v)| [*k, *v]))
            .output()
            .expect("run secret-tool lookup");
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).expect("secret is UTF-8"))
    }

    /// `secret-tool search --all` output (labels and attributes of every matching item).
    pub fn search(&self, attributes: &[(&str, &str)]) -> String {
        let output = self
            .secret_tool()
            .args(["search", "--all"])
            .args(attributes.iter().flat_map(|(k, v)| [*k, *v]))
            .output()
            .expect("run secret-tool search");
        // secret-tool prints the attributes on stderr and the rest on stdout.
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    /// Live processes this fixture started (bus, keyring, anything the bus activated).
    pub fn processes(&self) -> Vec<u32> {
        marked_processes(&self.marker())
    }

    /// The environment entry that marks this fixture's processes (see `marked_processes`).
    pub fn marker(&self) -> String {
        format!("{MARKER}={}", self.dir.path().display())
    }

    fn isolate(&self, cmd: &mut Command) {
        isolate(cmd, self.dir.path(), &self.address);
    }

    fn start(provider: Provider) -> Result<PrivateKeyring, String> {
        if let Some(missing) = TOOLS.iter().find(|tool| find_on_path(tool).is_none()) {
            return Err(format!("`{missing}` is not installed (`{INSTALL}`)"));
        }
        let dir = tempfile::Builder::new()
            .prefix("pa-kr")
            .tempdir()
            .map_err(|err| format!("temporary directory: {err}"))?;
        let root = dir.path();
        let services = root.join("services");
        for sub in ["home/.local/share", "runtime", "services"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|err| format!("{sub}: {err}"))?;
        }
        set_mode(&root.join("runtime"), 0o700)?;
        let socket = root.join("bus");
        let address = format!("unix:path={}", socket.display());
        write_file(&root.join("bus.conf"), &bus_config(&address, &services))?;
        let exec = match provider {
            Provider::Unlocked => None,
            Provider::Activatable => Some(format!(
                "{} --start --foreground --components=secrets",
                find_on_path("gnome-keyring-daemon")
                    .unwrap_or_default()
                    .display()
            )),
            Provider::Stalled => Some(format!(
                "{} 60",
                find_on_path("sleep")
                    .ok_or("`sleep` is not installed")?
                    .display()
            )),
        };
        if let Some(exec) = exec {
            write_file(
                &services.join("org.freedesktop.secrets.service"),
                &format!("[D-BUS Service]\nName=org.freedesktop.secrets\nExec={exec}\n"),
            )?;
        }

        let mut bus_cmd = Command::new("dbus-daemon");
        isolate(&mut bus_cmd, root, &address);
        let bus = bus_cmd
            .arg(format!("--config-file={}", root.join("bus.conf").display()))
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file(&root.join("bus.log"))?)
            .spawn()
            .map_err(|err| format!("cannot start dbus-daemon: {err}"))?;
        // From here on, Drop tears down whatever was started, also on an early return.
        let mut fixture = PrivateKeyring {
            dir,
            address,
            bus,
            keyring: None,
        };
        let root = fixture.dir.path().to_owned();
        let stdout = fixture.bus.stdout.take().expect("piped stdout");
        let mut ready = String::new();
        // dbus-daemon prints its address once it listens, or exits (closing stdout) if it cannot.
        let _ = BufReader::new(stdout).read_line(&mut ready);
        if !ready.starts_with("unix:") {
            return Err(format!(
                "dbus-daemon did not start: {}",
                read_log(&root.join("bus.log"))
            ));
        }
        if provider == Provider::Unlocked {
            fixture.start_unlocked_keyring()?;
        }
        Ok(fixture)
    }

    fn start_unlocked_keyring(&mut self) -> Result<(), String> {
        let root = self.dir.path().to_owned();
        let mut cmd = Command::new("gnome-keyring-daemon");
        self.isolate(&mut cmd);
        // --replace --unlock: a fresh login keyring with this password, unlocked; --foreground
        // keeps it our child, so its PID is known and it is reaped.
        let mut child = cmd
            .args([
                "--replace",
                "--unlock",
                "--foreground",
                "--components=secrets",
            ])
            .stdin(Stdio::piped())
            .stdout(log_file(&root.join("keyring.log"))?)
            .stderr(log_file(&root.join("keyring.err"))?)
            .spawn()
            .map_err(|err| format!("cannot start gnome-keyring-daemon: {err}"))?;
        let written = child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(KEYRING_PASSWORD.as_bytes());
        let pid = child.id();
        self.keyring = Some(child);
        written.map_err(|err| format!("gnome-keyring-daemon stdin: {err}"))?;

        // No client may call before the daemon owns the name: there is no activatable
        // provider on this bus, so an early call just fails and is retried.
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            match self.name_owner_pid("org.freedesktop.secrets") {
                Some(owner) if owner == pid => break,
                Some(owner) => {
                    return Err(format!(
                        "org.freedesktop.secrets is owned by PID {owner}, not by our gnome-keyring-daemon ({pid})"
                    ));
                }
                None if Instant::now() > deadline => {
                    return Err(format!(
                        "gnome-keyring-daemon did not claim org.freedesktop.secrets: {}",
                        read_log(&root.join("keyring.err"))
                    ));
                }
                None => thread::sleep(Duration::from_millis(10)),
            }
        }
        // `--unlock` reports success even when it failed: only a real write and read tells.
        let probe = [("pointauth-test", "probe")];
        loop {
            let stored = self
                .secret_tool()
                .args(["store", "--label=probe", "pointauth-test", "probe"])
                .stdin(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .and_then(|mut store| {
                    store.stdin.take().expect("piped").write_all(b"probe")?;
                    store.wait()
                })
                .is_ok_and(|status| status.success());
            if stored && self.lookup(&probe).as_deref() == Some("probe") {
                break;
            }
            if Instant::now() > deadline {
                return Err(
                    "the private keyring does not store secrets (secret-tool probe failed)".into(),
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        let cleared = self
            .secret_tool()
            .args(["clear", "pointauth-test", "probe"])
            .status();
        if !cleared.is_ok_and(|status| status.success()) || self.lookup(&probe).is_some() {
            return Err("the private keyring did not delete its probe item".into());
        }
        Ok(())
    }

    /// The PID of the connection that owns `name` on the private bus, if any.
    fn name_owner_pid(&self, name: &str) -> Option<u32> {
        let mut cmd = Command::new("dbus-send");
        self.isolate(&mut cmd);
        let output = cmd
            .env_remove(MARKER)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                &format!("string:{name}"),
            ])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        // "   uint32 12345" on the last line of a successful reply.
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .skip_while(|word| *word != "uint32")
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(keyring) = self.keyring.as_mut() {
            let _ = keyring.kill();
            let _ = keyring.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        // Whatever the bus activated (a gnome-keyring, a stalled stand-in) is not our child:
        // find it by the marker and kill it by PID.
        let marker = self.marker();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = marked_processes(&marker);
            if left.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                eprintln!("pointauth test keyring: could not stop processes {left:?}");
                break;
            }
            for pid in left {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A bus address where something accepts connections and never says a word: every D-Bus
/// client waits on it until its own timeout (libdbus: 25 s).
pub struct SilentBus {
    dir: TempDir,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl SilentBus {
    pub fn start() -> SilentBus {
        let dir = tempfile::Builder::new()
            .prefix("pa-silent")
            .tempdir()
            .expect("temporary directory");
        let listener = UnixListener::bind(dir.path().join("bus")).expect("bind a unix socket");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let accept = thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                // Kept open and never read or written until the bus is dropped.
                held.extend(stream.ok());
            }
        });
        SilentBus {
            dir,
            stop,
            accept: Some(accept),
        }
    }

    pub fn address(&self) -> String {
        format!("unix:path={}", self.dir.path().join("bus").display())
    }
}

impl Drop for SilentBus {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if UnixStream::connect(self.dir.path().join("bus")).is_ok()
            && let Some(accept) = self.accept.take()
        {
            let _ = accept.join();
        }
    }
}

/// The environment every process of a fixture gets: its own HOME, data, runtime dir and bus,
/// and no display (so nothing waits for a prompt on a screen).
fn isolate(cmd: &mut Command, root: &Path, address: &str) {
    let home = root.join("home");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_RUNTIME_DIR", root.join("runtime"))
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .env(MARKER, root);
}

/// `Some(fixture)`, or `None` after a loud `SKIPPED` line; under `CI=true` a panic instead.
fn or_skip(started: Result<PrivateKeyring, String>) -> Option<PrivateKeyring> {
    match started {
        Ok(fixture) => Some(fixture),
        Err(why) => {
            let test = thread::current().name().unwrap_or("?").to_owned();
            let ci = std::env::var("CI")
                .is_ok_and(|value| value.eq_ignore_ascii_case("true") || value == "1");
            if ci {
                panic!("private keyring unavailable in CI ({why}); a skip is a failure here");
            }
            eprintln!("SKIPPED: {test}: no private keyring: {why}");
            None
        }
    }
}

/// PIDs of live (not zombie) processes whose environment holds exactly `marker`.
pub fn marked_processes(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // "pid (comm) S ...": the state follows the last ')'.
                    let after = &stat[stat.rfind(')')? + 1..];
                    after.split_whitespace().next().map(|state| state != "Z")
                })
                .unwrap_or(false);
            alive
                && std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                    environ
                        .split(|byte| *byte == 0)
                        .any(|var| var == marker.as_bytes())
                })
        })
        .collect()
}

fn bus_config(address: &str, services: &Path) -> String {
    // Our own config rather than the system's session.conf: the only activatable services
    // are the ones this fixture writes, never the system's gnome-keyring.
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>{address}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        services.display()
    )
}

fn find_on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|err| format!("{}: {err}", path.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|err| format!("{}: {err}", path.display()))
}

fn log_file(path: &Path) -> Result<std::fs::File, String> {
    std::fs::File::create(path).map_err(|err| format!("{}: {err}", path.display()))
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_owned()
}
