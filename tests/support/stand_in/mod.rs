//! Local stand-in of the pointservices auth service — the public `StandIn` handle: starting and
//! stopping the server, the controls tests turn, its counters and the recording of requests.
//!
//! A tiny HTTP/1.1 server on std that imitates `signInWithPassword` and `refreshIdToken`,
//! issues realistic (unsigned, random-signature) Firebase-style JWTs and opaque refresh tokens,
//! records every request, and can be scripted to misbehave (error statuses, raw garbage, hangs,
//! dropped connections, huge bodies, patched answers). Used by `cargo run --example stand-in`
//! for trying pointauth offline and by the integration tests.
//!
//! Only std, serde_json and base64. Each connection gets one request and one answer
//! (`Connection: close`), on its own thread. The parts:
//!
//! - `faults`: `Fault`, `Endpoint` and the scripted queues;
//! - `http`: HTTP/1.1 framing (reading requests, writing answers);
//! - `service`: users, grants, JWT issuing, sign-in and refresh;
//! - `serve`: the accept loop and the per-connection handler that ties them together.
#![allow(dead_code)]

mod faults;
mod http;
mod serve;
mod service;

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

// Not every crate that includes this module uses every re-export.
#[allow(unused_imports)]
pub use faults::{Endpoint, Fault};
#[allow(unused_imports)]
pub use service::{b64url, make_jwt};

pub const SIGN_IN_PATH: &str = "/user-management-services-ws/oauth2/002/signInWithPassword";
pub const REFRESH_PATH: &str = "/user-management-services-ws/oauth2/002/refreshIdToken";
/// A protected demo resource: answers who the bearer token belongs to, or 401.
pub const WHOAMI_PATH: &str = "/whoami";
pub const DEFAULT_USERNAME: &str = "alice@example.com";
pub const DEFAULT_PASSWORD: &str = "correct horse battery staple";

/// Firebase project id the stand-in's tokens claim to come from.
pub const PROJECT_ID: &str = "pointservices-standin";
/// Largest request body accepted; bigger ones get 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// The longest Drop waits for connection handlers to finish after shutting their sockets.
const JOIN_TIMEOUT: Duration = Duration::from_secs(5);

/// One request as the stand-in saw it. `path` is the request target as sent
/// (including any query string). Requests cut off mid-headers or mid-body are
/// recorded with what was read.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Everything the handlers share behind one lock.
struct State {
    service: service::Service,
    faults: faults::FaultQueues,
    delay: Duration,
    requests: Vec<Recorded>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    total: AtomicUsize,
    sign_ins: AtomicUsize,
    refreshes: AtomicUsize,
    /// Test-only: the next request's handler panics (see `panic_on_next_request`).
    panic_next: AtomicBool,
    /// What every panicked handler was doing, and its message; Drop reports them.
    panics: Mutex<Vec<String>>,
    /// A copy of every open connection's socket, by connection number.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// Handler threads not yet joined.
    handlers: Mutex<Vec<JoinHandle<()>>>,
}

/// A lock that a panicked holder did not leave unusable: the panic itself is reported on
/// drop, and the data behind the lock is still good for the rest of the test.
fn relock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        relock(&self.state)
    }

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        relock(&self.conns)
    }

    fn record_panic(&self, what: String) {
        relock(&self.panics).push(what);
    }

    /// Keep a handler's thread for Drop to join, reaping (and checking) those already done.
    fn track(&self, handle: JoinHandle<()>) {
        let mut handlers = relock(&self.handlers);
        let (done, running): (Vec<_>, Vec<_>) =
            handlers.drain(..).partition(JoinHandle::is_finished);
        *handlers = running;
        handlers.push(handle);
        drop(handlers);
        for handle in done {
            self.join(handle, "a connection handler");
        }
    }

    /// Join a thread, recording a panic that escaped it.
    fn join(&self, handle: JoinHandle<()>, what: &str) {
        if let Err(payload) = handle.join() {
            let message = serve::panic_message(payload.as_ref());
            self.record_panic(format!("{what}: {message}"));
        }
    }
}

/// The running server. Dropping it stops it: no new connections, every open one shut down and
/// its handler joined (hangs, stalls and slow bodies are cut short). If any handler panicked,
/// the drop then panics with what each was serving and its message (unless the thread is
/// already panicking), so a bug in the stand-in cannot pass a test silently.
pub struct StandIn {
    shared: Arc<Shared>,
    port: u16,
    accept: Option<JoinHandle<()>>,
}

impl StandIn {
    /// Bind 127.0.0.1 on a random port and serve. Panics if binding fails.
    pub fn start() -> StandIn {
        StandIn::start_on(0).expect("stand-in: cannot bind 127.0.0.1:0")
    }

    /// Bind 127.0.0.1:`port` (0 = random) and serve on background threads.
    pub fn start_on(port: u16) -> io::Result<StandIn> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                service: service::Service::new(u64::from(port)),
                faults: faults::FaultQueues::default(),
                delay: Duration::ZERO,
                requests: Vec::new(),
            }),
            stop: AtomicBool::new(false),
            total: AtomicUsize::new(0),
            sign_ins: AtomicUsize::new(0),
            refreshes: AtomicUsize::new(0),
            panic_next: AtomicBool::new(false),
            panics: Mutex::new(Vec::new()),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            handlers: Mutex::new(Vec::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name(format!("stand-in-accept-{port}"))
            .spawn(move || serve::accept_loop(listener, accept_shared))?;
        Ok(StandIn {
            shared,
            port,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Add a user (or reset an existing one's password and re-enable it).
    pub fn add_user(&self, username: &str, password: &str) {
        self.state().service.add_user(username, password);
    }

    /// Sign-in and refresh for this user then answer USER_DISABLED.
    pub fn disable_user(&self, username: &str) {
        self.state().service.disable_user(username);
    }

    /// Queue a scripted answer for the next request to `endpoint`.
    pub fn script(&self, endpoint: Endpoint, fault: Fault) {
        self.state().faults.push(endpoint, fault);
    }

    /// Sleep this long before answering every request (faulted ones too).
    pub fn set_delay(&self, d: Duration) {
        self.state().delay = d;
    }

    /// What success answers put in `expires_in` (default `3600`). When it is a
    /// non-negative integer the access token's `exp` is `iat` + it; otherwise
    /// `exp` is `iat` + 3600.
    pub fn set_expires_in(&self, v: Value) {
        self.state().service.expires_in = v;
    }

    /// false (default): a refresh answers the same refresh token; true: a new
    /// one each time, and the old one becomes unknown (INVALID_REFRESH_TOKEN).
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        self.state().service.rotate = rotate;
    }

    /// Refresh tokens issued so far now answer TOKEN_EXPIRED.
    pub fn revoke_all_refresh_tokens(&self) {
        self.state().service.revoke_all_refresh_tokens();
    }

    /// Requests that reached the sign-in path (any method, incl. faulted/failed ones).
    pub fn sign_in_count(&self) -> usize {
        self.shared.sign_ins.load(Ordering::SeqCst)
    }

    /// Requests that reached the refresh path (any method, incl. faulted/failed ones).
    pub fn refresh_count(&self) -> usize {
        self.shared.refreshes.load(Ordering::SeqCst)
    }

    /// All requests with a parseable request line, any path.
    pub fn request_count(&self) -> usize {
        self.shared.total.load(Ordering::SeqCst)
    }

    /// Every recorded request, in order of arrival of their end.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// The access tokens and refresh tokens this server has issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state().service.issued.clone()
    }

    /// Test-only (the stand-in's own selftest): the handler of the next request panics once
    /// it has read the request line, as a stand-in bug would.
    #[doc(hidden)]
    pub fn panic_on_next_request(&self) {
        self.shared.panic_next.store(true, Ordering::SeqCst);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared.stop.store(true, Ordering::SeqCst);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        // Wake the blocked accept() so the loop sees the flag and drops the listener.
        if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
            && let Some(handle) = self.accept.take()
        {
            shared.join(handle, "the accept loop");
        }
        // Unblock every handler still reading or writing, then wait for them all (bounded,
        // in case a platform does not wake a blocked call on shutdown).
        for stream in shared.conns().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let handlers: Vec<_> = relock(&shared.handlers).drain(..).collect();
        let deadline = Instant::now() + JOIN_TIMEOUT;
        for handle in handlers {
            while !handle.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            if handle.is_finished() {
                shared.join(handle, "a connection handler");
            }
        }
        let panics = relock(&shared.panics).clone();
        if !panics.is_empty() && !thread::panicking() {
            panic!(
                "stand-in at {}: {} handler thread(s) panicked (a bug in the stand-in):\n  {}",
                self.base_url(),
                panics.len(),
                panics.join("\n  ")
            );
        }
    }
}
