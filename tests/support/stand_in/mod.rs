//! Local stand-in of the pointservices auth service — the public `StandIn` handle: starting and
//! stopping the server, the controls tests turn, its counters and the recording of requests.
//!
//! A tiny HTTP/1.1 server on std that imitates `signInWithPassword` and `refreshIdToken`,
//! issues realistic (unsigned, random-signature) Firebase-style JWTs and opaque refresh tokens,
//! records every request, and can be scripted to misbehave (error statuses, raw garbage, hangs,
//! dropped connections, huge bodies, patched answers). Used by `cargo run --example stand-in`
//! for trying pointauth offline and by the integration tests.
//!
//! Every path but the two auth endpoints is an API that needs `Authorization: Bearer <token>`
//! with a *live* access token: one this server issued, within its lifetime by the stand-in's
//! clock, and not rejected by `reject_access_tokens_once` / `reject_all_access_tokens`.
//! Anything else gets 401 with `WWW-Authenticate: Bearer…` and a Firebase-style
//! `UNAUTHENTICATED : …` error. The routes (any method; HEAD answers headers only):
//!
//! - `/whoami`: `{"email", "user_id"}` of the token's user.
//! - `/echo`, `/echo/…`: the request as received, as JSON: `method`, `path`, `query` (raw, or
//!   null), `headers` (lower-cased names; `authorization` shown as
//!   `Bearer [live token of USER]`), `body` (a string, or `{"base64": …}` if not UTF-8; the
//!   first `MAX_BODY` bytes), `json` (the body parsed, or null), `body_len`, `body_truncated`
//!   and `body_fnv1a` (hex FNV-1a of the whole body). No token issued here is ever echoed:
//!   each is replaced by `[token]` (use `requests()` to see what was really sent).
//! - `/status/NNN[?retry_after=S]`: status NNN (200..599); `{"status": NNN}` for 2xx (no body
//!   for 204), else `{"error": {"code": NNN, "message": "STATUS_NNN : chosen by the client"}}`;
//!   `Retry-After: S` when asked.
//! - `/redirect?to=TARGET[&status=302]`: `Location: TARGET` (relative or absolute), status 301,
//!   302 (default), 303, 307 or 308. `/redirect/N[?query]`: a chain `/redirect/N-1` … `/redirect/0`
//!   → `/echo`, each hop keeping the query. `redirect_count()` counts the hops answered.
//! - `/large?bytes=N`: 200 `application/octet-stream`, exactly N bytes (`large_body_byte`),
//!   Content-Length framed, written in 1 MiB blocks cut from one pre-filled buffer.
//! - `/slow?bytes=N[&every_ms=100][&chunk=16]`: the same bytes, `chunk` at a time, a pause of
//!   `every_ms` between chunks.
//! - `/stall?after=N[&length=L]`: Content-Length L (default N + 1 MiB), N bytes, then nothing
//!   with the connection left open until the StandIn is dropped (or the client hangs up).
//!
//! Every answer carries a `Date` header (`set_date_skew` puts it off the real clock). Any
//! other path answers 404 without looking at the token. Request bodies of the auth
//! endpoints are limited to `MAX_BODY` (413 beyond); API routes take any size, recording
//! the first `MAX_BODY` bytes and the full length.
//!
//! Only std, serde_json, base64 (and libc for a TCP reset). Each connection gets one request
//! and one answer (`Connection: close`), on its own thread. The parts:
//!
//! - `faults`: `Fault`, `Endpoint` and the scripted queues;
//! - `http`: HTTP/1.1 framing (reading requests, writing answers);
//! - `service`: users, grants, JWT issuing, sign-in and refresh, token liveness;
//! - `api`: the API routes and the bearer-token check;
//! - `bodies`: the generated bodies of `/large`, `/slow` and `/stall`;
//! - `log`: the request log that `on_request` hands a callback;
//! - `serve`: the accept loop and the per-connection handler that ties them together.
#![allow(dead_code)]

mod api;
mod bodies;
mod faults;
mod http;
mod log;
mod serve;
mod service;

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

// Not every crate that includes this module uses every re-export.
#[allow(unused_imports)]
pub use bodies::{LARGE_BLOCK, large_body_byte, large_body_checksum};
#[allow(unused_imports)]
pub use faults::{Endpoint, Fault};
#[allow(unused_imports)]
pub use http::{Fnv1a, fnv1a};
#[allow(unused_imports)]
pub use log::RequestLog;
#[allow(unused_imports)]
pub use service::{b64url, make_jwt};

pub const SIGN_IN_PATH: &str = "/user-management-services-ws/oauth2/002/signInWithPassword";
pub const REFRESH_PATH: &str = "/user-management-services-ws/oauth2/002/refreshIdToken";
/// A protected demo resource: answers who the bearer token belongs to, or 401.
pub const WHOAMI_PATH: &str = "/whoami";
/// The API route that answers the request it received (see the module docs).
pub const ECHO_PATH: &str = "/echo";
pub const DEFAULT_USERNAME: &str = "alice@example.com";
pub const DEFAULT_PASSWORD: &str = "correct horse battery staple";

/// Firebase project id the stand-in's tokens claim to come from.
pub const PROJECT_ID: &str = "pointservices-standin";
/// Largest request body the auth endpoints accept (bigger ones get 413), and how much of
/// an API request's body is recorded and echoed.
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
    /// The body, or its first `MAX_BODY` bytes when it was longer (API routes).
    pub body: Vec<u8>,
    /// The length of the whole body as received.
    pub body_len: u64,
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
    /// Requests by path (without the query), counted when the request line arrives.
    paths: HashMap<String, usize>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    total: AtomicUsize,
    sign_ins: AtomicUsize,
    refreshes: AtomicUsize,
    api_requests: AtomicUsize,
    /// API requests answered 401 because the token was not live.
    unauthorized: AtomicUsize,
    /// Redirects answered by `/redirect` and `/redirect/N`.
    redirects: AtomicUsize,
    /// Test-only: the next request's handler panics (see `panic_on_next_request`).
    panic_next: AtomicBool,
    /// What every panicked handler was doing, and its message; Drop reports them.
    panics: Mutex<Vec<String>>,
    /// A copy of every open connection's socket, by connection number.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// Seconds added to the clock in the `Date` header of every answer (`set_date_skew`).
    date_skew: AtomicI64,
    /// Handler threads not yet joined.
    handlers: Mutex<Vec<JoinHandle<()>>>,
    logger: Mutex<Option<Logger>>,
}

type Logger = Arc<dyn Fn(&RequestLog) + Send + Sync>;

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

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleep `d`, or less if the StandIn is dropped meanwhile.
    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stopping() {
            let now = Instant::now();
            if now >= until {
                break;
            }
            thread::sleep((until - now).min(Duration::from_millis(20)));
        }
    }

    /// Count a request whose request line just arrived; its number.
    fn count(&self, target: faults::Target, path: &str) -> usize {
        let seq = self.total.fetch_add(1, Ordering::SeqCst) + 1;
        let counter = match target {
            faults::Target::SignIn => &self.sign_ins,
            faults::Target::Refresh => &self.refreshes,
            faults::Target::Api => &self.api_requests,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        *self.lock().paths.entry(path.to_string()).or_default() += 1;
        seq
    }

    /// Hand the request log callback, if any, this request's entry.
    fn log(&self, ex: &serve::Exchange, status: Option<u16>, detail: Option<String>) {
        let Some(logger) = relock(&self.logger).clone() else {
            return;
        };
        let tokens = self.lock().service.issued.clone();
        logger(&RequestLog {
            seq: ex.seq,
            method: log::safe_path(&ex.method, &tokens),
            path: log::safe_path(&ex.path, &tokens),
            status,
            detail,
            sign_ins: self.sign_ins.load(Ordering::SeqCst),
            refreshes: self.refreshes.load(Ordering::SeqCst),
            api: self.api_requests.load(Ordering::SeqCst),
        });
    }

    fn record(&self, rec: Recorded) {
        self.lock().requests.push(rec);
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
                paths: HashMap::new(),
            }),
            stop: AtomicBool::new(false),
            total: AtomicUsize::new(0),
            sign_ins: AtomicUsize::new(0),
            refreshes: AtomicUsize::new(0),
            api_requests: AtomicUsize::new(0),
            unauthorized: AtomicUsize::new(0),
            redirects: AtomicUsize::new(0),
            panic_next: AtomicBool::new(false),
            panics: Mutex::new(Vec::new()),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            date_skew: AtomicI64::new(0),
            handlers: Mutex::new(Vec::new()),
            logger: Mutex::new(None),
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
        self.state().faults.push(endpoint.into(), fault);
    }

    /// Queue a scripted answer for the next request to any API path (every path but the two
    /// auth endpoints), taken before its token is checked.
    pub fn script_api(&self, fault: Fault) {
        self.state().faults.push(faults::Target::Api, fault);
    }

    /// Sleep this long before answering every request (faulted ones too).
    /// Makes the `Date` header of every answer run `secs` ahead of the real clock (behind
    /// when negative), as a server with a wrong clock would; tokens are not affected.
    pub fn set_date_skew(&self, secs: i64) {
        self.shared.date_skew.store(secs, Ordering::SeqCst);
    }

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

    /// Every access token issued so far is rejected (401) from now on, as after a
    /// revocation; tokens issued later are not affected.
    pub fn reject_access_tokens_once(&self) {
        self.state().service.revoke_access_tokens();
    }

    /// While true, every API request gets 401, whatever its token.
    pub fn reject_all_access_tokens(&self, reject: bool) {
        self.state().service.reject_all = reject;
    }

    /// Whether `token` is a live access token right now: issued here, within its lifetime,
    /// and not rejected. (Refresh tokens are not access tokens: false.)
    pub fn is_live(&self, token: &str) -> bool {
        matches!(
            self.state().service.check(token),
            service::TokenCheck::Live(_)
        )
    }

    /// When an access token issued here stops being live by the clock: `expires_in` seconds
    /// after it was issued, to the millisecond (its JWT `exp` is rounded down to the second).
    pub fn access_token_expiry(&self, token: &str) -> Option<SystemTime> {
        self.state().service.expiry(token)
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

    /// Requests for any path but the two auth endpoints (any method, incl. faulted/failed
    /// ones and 404s).
    pub fn api_request_count(&self) -> usize {
        self.shared.api_requests.load(Ordering::SeqCst)
    }

    /// API requests answered 401 because their token was missing or not live (not counting
    /// `/status/401` or scripted faults).
    pub fn unauthorized_count(&self) -> usize {
        self.shared.unauthorized.load(Ordering::SeqCst)
    }

    /// Redirects answered by `/redirect` and every hop of `/redirect/N`.
    pub fn redirect_count(&self) -> usize {
        self.shared.redirects.load(Ordering::SeqCst)
    }

    /// Requests whose path (without the query) is `path`, counted as the request line arrives.
    pub fn path_count(&self, path: &str) -> usize {
        self.state().paths.get(path).copied().unwrap_or(0)
    }

    /// Every recorded request, in order of arrival of their end.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// The access tokens and refresh tokens this server has issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state().service.issued.clone()
    }

    /// Call `log` with one `RequestLog` for every request, once it is answered (or the
    /// connection ended without an answer), on the handler's thread. Off by default, so tests
    /// stay quiet; the offline demo prints each entry. A later call replaces the callback.
    pub fn on_request(&self, log: impl Fn(&RequestLog) + Send + Sync + 'static) {
        *relock(&self.shared.logger) = Some(Arc::new(log));
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
