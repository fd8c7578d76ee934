//! Local stand-in of the pointservices auth service: a tiny HTTP/1.1 server on
//! std that imitates `signInWithPassword` and `refreshIdToken`, issues
//! realistic (unsigned, random-signature) Firebase-style JWTs and opaque
//! refresh tokens, records every request, and can be scripted to misbehave
//! (error statuses, raw garbage, hangs, dropped connections, huge bodies,
//! patched answers). Used by `cargo run --example stand-in` for trying
//! pointauth offline and by the integration tests.
//!
//! Only std, serde_json and base64. Each connection gets one request and one
//! answer (`Connection: close`), on its own thread.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

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

const MAX_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;
const IO_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_LIFETIME: u64 = 3600;
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    SignIn,
    Refresh,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::SignIn => SIGN_IN_PATH,
            Endpoint::Refresh => REFRESH_PATH,
        }
    }
}

/// A scripted answer, used once for the next request to its endpoint (FIFO),
/// before normal behaviour resumes. A fault is consumed by the next request
/// whose path is the endpoint's, whatever its method or body (but not by one
/// rejected earlier for bad framing, e.g. 413).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status, body and extra headers (e.g. ("Retry-After", "1")).
    /// Content-Type application/json unless headers override it (Content-Length
    /// and Connection may be overridden too).
    Status {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Write these raw bytes to the socket verbatim (may be a truncated or
    /// malformed HTTP response), then close.
    Raw(Vec<u8>),
    /// Close the connection without answering (after reading the request).
    Close,
    /// Read the request, then sleep this long without answering, then close.
    /// (Cut short when the StandIn is dropped.)
    Hang(Duration),
    /// A 200 answer with a body of this many bytes (`{"access_token":"aaaa…"}`,
    /// Content-Length framed), streamed in chunks; stops quietly if the client
    /// hangs up.
    HugeBody(usize),
    /// Answer normally, and if that is a success, merge this JSON object over the
    /// success body (keys with value null are removed). A non-object value
    /// replaces the whole success body. Error answers are left as they are.
    Patch(Value),
}

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

struct User {
    password: String,
    disabled: bool,
}

struct Grant {
    username: String,
    auth_time: u64,
    revoked: bool,
}

struct State {
    users: HashMap<String, User>,
    grants: HashMap<String, Grant>,
    sign_in_faults: VecDeque<Fault>,
    refresh_faults: VecDeque<Fault>,
    delay: Duration,
    expires_in: Value,
    rotate: bool,
    requests: Vec<Recorded>,
    issued: Vec<String>,
    rng: Rng,
    jti: u64,
    kid: String,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    total: AtomicUsize,
    sign_ins: AtomicUsize,
    refreshes: AtomicUsize,
}

/// The running server. Dropping it stops accepting new connections.
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
        let mut rng = Rng::seeded(u64::from(port));
        let kid = rng.chars(HEX, 40);
        let mut users = HashMap::new();
        users.insert(
            DEFAULT_USERNAME.to_string(),
            User {
                password: DEFAULT_PASSWORD.to_string(),
                disabled: false,
            },
        );
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                users,
                grants: HashMap::new(),
                sign_in_faults: VecDeque::new(),
                refresh_faults: VecDeque::new(),
                delay: Duration::ZERO,
                expires_in: json!(DEFAULT_LIFETIME),
                rotate: false,
                requests: Vec::new(),
                issued: Vec::new(),
                rng,
                jti: 0,
                kid,
            }),
            stop: AtomicBool::new(false),
            total: AtomicUsize::new(0),
            sign_ins: AtomicUsize::new(0),
            refreshes: AtomicUsize::new(0),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name(format!("stand-in-accept-{port}"))
            .spawn(move || accept_loop(listener, accept_shared))?;
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
        self.state().users.insert(
            username.to_string(),
            User {
                password: password.to_string(),
                disabled: false,
            },
        );
    }

    /// Sign-in and refresh for this user then answer USER_DISABLED.
    pub fn disable_user(&self, username: &str) {
        if let Some(user) = self.state().users.get_mut(username) {
            user.disabled = true;
        }
    }

    /// Queue a scripted answer for the next request to `endpoint`.
    pub fn script(&self, endpoint: Endpoint, fault: Fault) {
        let mut st = self.state();
        match endpoint {
            Endpoint::SignIn => st.sign_in_faults.push_back(fault),
            Endpoint::Refresh => st.refresh_faults.push_back(fault),
        }
    }

    /// Sleep this long before answering every request (faulted ones too).
    pub fn set_delay(&self, d: Duration) {
        self.state().delay = d;
    }

    /// What success answers put in `expires_in` (default `3600`). When it is a
    /// non-negative integer the access token's `exp` is `iat` + it; otherwise
    /// `exp` is `iat` + 3600.
    pub fn set_expires_in(&self, v: Value) {
        self.state().expires_in = v;
    }

    /// false (default): a refresh answers the same refresh token; true: a new
    /// one each time, and the old one becomes unknown (INVALID_REFRESH_TOKEN).
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        self.state().rotate = rotate;
    }

    /// Refresh tokens issued so far now answer TOKEN_EXPIRED.
    pub fn revoke_all_refresh_tokens(&self) {
        for grant in self.state().grants.values_mut() {
            grant.revoked = true;
        }
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
        self.state().issued.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        // Wake the blocked accept() so the loop sees the flag and drops the listener.
        if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
            && let Some(handle) = self.accept.take()
        {
            let _ = handle.join();
        }
    }
}

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT with these claims: RS256-looking header with a fixed `kid`, and a
/// 256-byte random signature (it verifies against nothing).
pub fn make_jwt(claims: &Value) -> String {
    let mut rng = Rng::seeded(0x006a_7774);
    jwt_with("3f1c0e7a9b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e", claims, &mut rng)
}

fn jwt_with(kid: &str, claims: &Value, rng: &mut Rng) -> String {
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let mut signature = [0u8; 256];
    rng.fill(&mut signature);
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&signature)
    )
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A stable 28-character Firebase-style uid for a username.
fn user_id(username: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in username.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Rng::from_seed(hash).chars(ID_ALPHABET, 28)
}

/// xorshift64* — plenty for token-shaped noise; not cryptographic.
struct Rng(u64);

impl Rng {
    fn from_seed(seed: u64) -> Rng {
        let mut rng = Rng(if seed == 0 {
            0x2545_f491_4f6c_dd1d
        } else {
            seed
        });
        for _ in 0..8 {
            rng.next_u64();
        }
        rng
    }

    fn seeded(extra: u64) -> Rng {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        Rng::from_seed(nanos ^ count.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ extra.rotate_left(32))
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[(self.next_u64() >> 32) as usize % alphabet.len()]))
            .collect()
    }
}

impl State {
    fn issue_access(&mut self, username: &str, auth_time: u64) -> String {
        let iat = now_secs();
        let lifetime = self.expires_in.as_u64().unwrap_or(DEFAULT_LIFETIME);
        self.jti += 1;
        let uid = user_id(username);
        let claims = json!({
            "iss": format!("https://securetoken.google.com/{PROJECT_ID}"),
            "aud": PROJECT_ID,
            "auth_time": auth_time,
            "user_id": uid,
            "sub": uid,
            "iat": iat,
            "exp": iat.saturating_add(lifetime),
            "email": username,
            "email_verified": true,
            "firebase": {
                "identities": {"email": [username]},
                "sign_in_provider": "password"
            },
            "jti": self.jti,
        });
        let kid = self.kid.clone();
        let token = jwt_with(&kid, &claims, &mut self.rng);
        self.issued.push(token.clone());
        token
    }

    fn issue_refresh(&mut self, username: &str, auth_time: u64) -> String {
        let token = format!("AMf-v{}", self.rng.chars(TOKEN_ALPHABET, 250));
        self.grants.insert(
            token.clone(),
            Grant {
                username: username.to_string(),
                auth_time,
                revoked: false,
            },
        );
        self.issued.push(token.clone());
        token
    }

    fn success(&self, access: String, refresh: String) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("access_token".into(), Value::String(access));
        map.insert("refresh_token".into(), Value::String(refresh));
        map.insert("expires_in".into(), self.expires_in.clone());
        map
    }
}

// ---------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        match conn {
            Ok(stream) => {
                let conn_shared = Arc::clone(&shared);
                let _ = thread::Builder::new()
                    .name("stand-in-conn".into())
                    .spawn(move || handle_connection(&conn_shared, stream));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

enum Action {
    Respond(Response),
    Raw(Vec<u8>),
    Close,
    Hang(Duration),
    Huge(usize),
    Silent,
}

fn handle_connection(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let written = match serve(shared, &mut reader, &mut out) {
        Action::Respond(resp) => write_response(&mut out, &resp),
        Action::Raw(bytes) => out.write_all(&bytes),
        Action::Huge(n) => write_huge(&mut out, n),
        Action::Hang(d) => {
            let until = Instant::now() + d;
            while !shared.stop.load(Ordering::SeqCst) {
                let now = Instant::now();
                if now >= until {
                    break;
                }
                thread::sleep((until - now).min(Duration::from_millis(20)));
            }
            return;
        }
        Action::Close | Action::Silent => return,
    };
    if written.is_ok() {
        finish(&mut out, &mut reader);
    }
}

/// Half-close and drain whatever the client still sends, so that unread input
/// does not turn our close into a reset that destroys the answer in flight.
fn finish(out: &mut TcpStream, reader: &mut BufReader<TcpStream>) {
    let _ = out.flush();
    let _ = out.shutdown(Shutdown::Write);
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut sink = [0u8; 8192];
    let mut drained = 0usize;
    while Instant::now() < deadline && drained < 8 * MAX_BODY {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

enum LineError {
    TooLong,
    Io,
}

/// One CRLF/LF-terminated line without its terminator; Ok(None) on clean EOF.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, LineError> {
    let mut buf = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|_| LineError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        return Err(if n > MAX_LINE {
            LineError::TooLong
        } else {
            LineError::Io
        });
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn serve(shared: &Shared, reader: &mut impl BufRead, out: &mut TcpStream) -> Action {
    // Request line (tolerate one stray empty line before it).
    let mut line = match read_line(reader) {
        Ok(Some(l)) => l,
        Ok(None) | Err(LineError::Io) => return Action::Silent,
        Err(LineError::TooLong) => return json_error(414, "URI_TOO_LONG"),
    };
    if line.is_empty() {
        line = match read_line(reader) {
            Ok(Some(l)) => l,
            Ok(None) | Err(LineError::Io) => return Action::Silent,
            Err(LineError::TooLong) => return json_error(414, "URI_TOO_LONG"),
        };
    }
    let parts: Vec<&str> = line.split_whitespace().collect();
    let [method, target, version] = parts[..] else {
        return json_error(400, "BAD_REQUEST : malformed request line");
    };
    if !version.starts_with("HTTP/") {
        return json_error(400, "BAD_REQUEST : malformed request line");
    }
    let mut rec = Recorded {
        method: method.to_string(),
        path: target.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let path = target.split('?').next().unwrap_or(target).to_string();
    shared.total.fetch_add(1, Ordering::SeqCst);
    let endpoint = match path.as_str() {
        SIGN_IN_PATH => {
            shared.sign_ins.fetch_add(1, Ordering::SeqCst);
            Some(Endpoint::SignIn)
        }
        REFRESH_PATH => {
            shared.refreshes.fetch_add(1, Ordering::SeqCst);
            Some(Endpoint::Refresh)
        }
        _ => None,
    };

    match read_head_and_body(reader, out, &mut rec) {
        Ok(()) => record(shared, rec.clone()),
        Err(action) => {
            record(shared, rec);
            return action;
        }
    }

    let delay = shared.state.lock().unwrap().delay;
    if !delay.is_zero() {
        thread::sleep(delay);
    }

    if path == WHOAMI_PATH {
        return whoami(shared, &rec);
    }
    let Some(endpoint) = endpoint else {
        return json_error(404, &format!("NOT_FOUND : no such path {path}"));
    };

    let fault = {
        let mut st = shared.state.lock().unwrap();
        match endpoint {
            Endpoint::SignIn => st.sign_in_faults.pop_front(),
            Endpoint::Refresh => st.refresh_faults.pop_front(),
        }
    };
    let mut patch = None;
    match fault {
        None => {}
        Some(Fault::Status {
            status,
            body,
            headers,
        }) => {
            return Action::Respond(Response {
                status,
                headers,
                body: body.into_bytes(),
            });
        }
        Some(Fault::Raw(bytes)) => return Action::Raw(bytes),
        Some(Fault::Close) => return Action::Close,
        Some(Fault::Hang(d)) => return Action::Hang(d),
        Some(Fault::HugeBody(n)) => return Action::Huge(n),
        Some(Fault::Patch(v)) => patch = Some(v),
    }

    if rec.method != "POST" {
        let mut resp = json_response(405, &error_body(405, "METHOD_NOT_ALLOWED"));
        resp.headers.push(("Allow".into(), "POST".into()));
        return Action::Respond(resp);
    }
    let obj = match serde_json::from_slice::<Value>(&rec.body) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => return json_error(400, "INVALID_JSON : expected a JSON object"),
        Err(e) => return json_error(400, &format!("INVALID_JSON : {e}")),
    };
    let result = match endpoint {
        Endpoint::SignIn => sign_in(shared, &obj),
        Endpoint::Refresh => refresh(shared, &obj),
    };
    match result {
        Ok(mut body) => {
            let body = match patch {
                Some(Value::Object(p)) => {
                    for (k, v) in p {
                        if v.is_null() {
                            body.remove(&k);
                        } else {
                            body.insert(k, v);
                        }
                    }
                    Value::Object(body)
                }
                Some(other) => other,
                None => Value::Object(body),
            };
            Action::Respond(json_response(200, &body))
        }
        Err(message) => json_error(400, &message),
    }
}

/// The demo resource: a bearer token this server issued and that has not expired gets the
/// user's identity; anything else gets 401.
fn whoami(shared: &Shared, rec: &Recorded) -> Action {
    let token = rec
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let issued = token.is_some_and(|t| shared.state.lock().unwrap().issued.iter().any(|i| i == t));
    let claims = token
        .filter(|_| issued)
        .and_then(|t| t.split('.').nth(1))
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    match claims {
        Some(claims) if claims["exp"].as_u64().is_some_and(|exp| exp > now_secs()) => {
            Action::Respond(json_response(
                200,
                &json!({"email": claims["email"], "user_id": claims["user_id"]}),
            ))
        }
        _ => json_error(401, "UNAUTHENTICATED : a valid bearer token is required"),
    }
}

fn record(shared: &Shared, rec: Recorded) {
    shared.state.lock().unwrap().requests.push(rec);
}

/// Headers and body into `rec`; on a framing problem, the answer to give.
fn read_head_and_body(
    reader: &mut impl BufRead,
    out: &mut TcpStream,
    rec: &mut Recorded,
) -> Result<(), Action> {
    loop {
        let line = match read_line(reader) {
            Ok(Some(l)) => l,
            Ok(None) | Err(LineError::Io) => return Err(Action::Silent),
            Err(LineError::TooLong) => return Err(json_error(431, "HEADER_TOO_LARGE")),
        };
        if line.is_empty() {
            break;
        }
        if rec.headers.len() >= MAX_HEADERS {
            return Err(json_error(431, "TOO_MANY_HEADERS"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(json_error(400, "BAD_REQUEST : malformed header line"));
        };
        rec.headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }

    if rec
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let _ = out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    let chunked = rec
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(reader, &mut rec.body);
    }

    let lengths: Vec<&str> = rec
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let len = match lengths.first() {
        None => 0,
        Some(first) => {
            if lengths.iter().any(|v| v != first) {
                return Err(json_error(400, "BAD_REQUEST : conflicting Content-Length"));
            }
            match first.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return Err(json_error(400, "BAD_REQUEST : bad Content-Length")),
            }
        }
    };
    if len > MAX_BODY {
        return Err(json_error(413, "PAYLOAD_TOO_LARGE"));
    }
    let mut body = Vec::with_capacity(len);
    let got = reader
        .by_ref()
        .take(len as u64)
        .read_to_end(&mut body)
        .unwrap_or(0);
    let complete = got == len && body.len() == len;
    rec.body = body;
    if complete {
        Ok(())
    } else {
        Err(json_error(400, "BAD_REQUEST : incomplete body"))
    }
}

fn read_chunked(reader: &mut impl BufRead, body: &mut Vec<u8>) -> Result<(), Action> {
    let bad = || json_error(400, "BAD_REQUEST : bad chunked body");
    loop {
        let line = match read_line(reader) {
            Ok(Some(l)) => l,
            _ => return Err(bad()),
        };
        let size_text = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return Err(bad());
        };
        if size == 0 {
            break;
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(json_error(413, "PAYLOAD_TOO_LARGE"));
        }
        let start = body.len();
        let got = reader
            .by_ref()
            .take(size as u64)
            .read_to_end(body)
            .unwrap_or(0);
        if got != size || body.len() != start + size {
            return Err(bad());
        }
        match read_line(reader) {
            Ok(Some(l)) if l.is_empty() => {}
            _ => return Err(bad()),
        }
    }
    // Trailers, up to the empty line.
    loop {
        match read_line(reader) {
            Ok(Some(l)) if l.is_empty() => return Ok(()),
            Ok(Some(_)) => {}
            _ => return Err(bad()),
        }
    }
}

/// A required string field: Ok(None) when missing, null or empty.
fn string_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("INVALID_JSON : field \"{name}\" must be a string")),
    }
}

fn sign_in(shared: &Shared, obj: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let username = string_field(obj, "username")?.ok_or("MISSING_EMAIL")?;
    let password = string_field(obj, "password")?.ok_or("MISSING_PASSWORD")?;
    let mut st = shared.state.lock().unwrap();
    let Some(user) = st.users.get(username) else {
        return Err("EMAIL_NOT_FOUND".into());
    };
    if user.disabled {
        return Err("USER_DISABLED".into());
    }
    if user.password != password {
        return Err("INVALID_PASSWORD".into());
    }
    let auth_time = now_secs();
    let access = st.issue_access(username, auth_time);
    let refresh = st.issue_refresh(username, auth_time);
    Ok(st.success(access, refresh))
}

fn refresh(shared: &Shared, obj: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let token = string_field(obj, "refresh_token")?.ok_or("MISSING_REFRESH_TOKEN")?;
    let mut st = shared.state.lock().unwrap();
    let Some(grant) = st.grants.get(token) else {
        return Err("INVALID_REFRESH_TOKEN".into());
    };
    if grant.revoked {
        return Err("TOKEN_EXPIRED".into());
    }
    let username = grant.username.clone();
    let auth_time = grant.auth_time;
    match st.users.get(&username) {
        None => return Err("USER_NOT_FOUND".into()),
        Some(user) if user.disabled => return Err("USER_DISABLED".into()),
        Some(_) => {}
    }
    let access = st.issue_access(&username, auth_time);
    let refresh = if st.rotate {
        st.grants.remove(token);
        st.issue_refresh(&username, auth_time)
    } else {
        token.to_string()
    };
    Ok(st.success(access, refresh))
}

fn error_body(code: u16, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

fn json_response(status: u16, body: &Value) -> Response {
    Response {
        status,
        headers: vec![("Cache-Control".into(), "no-store".into())],
        body: body.to_string().into_bytes(),
    }
}

fn json_error(status: u16, message: &str) -> Action {
    Action::Respond(json_response(status, &error_body(status, message)))
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn write_response(out: &mut TcpStream, resp: &Response) -> io::Result<()> {
    let has = |name: &str| {
        resp.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    if !has("content-type") {
        head.push_str("Content-Type: application/json; charset=UTF-8\r\n");
    }
    if !has("content-length") {
        head.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    }
    if !has("connection") {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("Server: pointauth-stand-in\r\n");
    for (k, v) in &resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&resp.body);
    out.write_all(&bytes)?;
    out.flush()
}

const HUGE_PREFIX: &[u8] = b"{\"access_token\":\"";
const HUGE_SUFFIX: &[u8] = b"\"}";

fn huge_byte(p: usize, n: usize) -> u8 {
    let framed = n >= HUGE_PREFIX.len() + HUGE_SUFFIX.len();
    if framed && p >= n - HUGE_SUFFIX.len() {
        HUGE_SUFFIX[p - (n - HUGE_SUFFIX.len())]
    } else if p < HUGE_PREFIX.len() {
        HUGE_PREFIX[p]
    } else {
        b'a'
    }
}

fn write_huge(out: &mut TcpStream, n: usize) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n\
         Content-Length: {n}\r\nConnection: close\r\nServer: pointauth-stand-in\r\n\r\n"
    );
    out.write_all(head.as_bytes())?;
    let head_end = HUGE_PREFIX.len().min(n);
    let tail_start = n.saturating_sub(HUGE_SUFFIX.len()).max(head_end);
    let mut chunk = vec![b'a'; 64 * 1024];
    let mut pos = 0;
    while pos < n {
        let len = chunk.len().min(n - pos);
        let buf = &mut chunk[..len];
        buf.fill(b'a');
        for p in pos..(pos + len).min(head_end) {
            buf[p - pos] = huge_byte(p, n);
        }
        for p in pos.max(tail_start)..pos + len {
            buf[p - pos] = huge_byte(p, n);
        }
        out.write_all(buf)?;
        pos += len;
    }
    out.flush()
}
