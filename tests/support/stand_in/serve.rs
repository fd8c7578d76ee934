//! The accept loop and one thread per connection: read a request, count and record it, pick
//! its answer (a scripted fault, an auth endpoint, or a protected resource) and write it.

use std::any::Any;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::faults::{Endpoint, Fault};
use super::http::{self, Framing, Response, json_error, json_response};
use super::{Recorded, Shared, WHOAMI_PATH};

const IO_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let stream = match conn {
            Ok(stream) => stream,
            Err(_) => {
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        // The registry's copy of the socket lets Drop shut every connection down, and keeps the
        // socket open until a panicking handler's panic is recorded, so a client never sees the
        // connection end before the panic is known.
        if let Ok(copy) = stream.try_clone() {
            shared.conns().insert(id, copy);
        }
        let conn_shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("stand-in-conn-{id}"))
            .spawn(move || run_handler(&conn_shared, id, stream));
        match spawned {
            Ok(handle) => shared.track(handle),
            Err(_) => {
                shared.conns().remove(&id);
            }
        }
    }
}

/// One connection's handler, with any panic recorded (for Drop to report) instead of lost.
fn run_handler(shared: &Shared, id: u64, stream: TcpStream) {
    let mut what = String::from("before the request line");
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        handle_connection(shared, stream, &mut what);
    }));
    if let Err(payload) = result {
        let message = panic_message(payload.as_ref());
        shared.record_panic(format!("connection #{id} ({what}): {message}"));
    }
    shared.conns().remove(&id);
}

/// The text of a panic payload (`panic!` with a literal or a format string).
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a non-string payload)".to_string()
    }
}

/// Sleep `d`, or less if the StandIn is dropped meanwhile.
fn sleep_unless_stopped(shared: &Shared, d: Duration) {
    let until = Instant::now() + d;
    while !shared.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= until {
            break;
        }
        thread::sleep((until - now).min(Duration::from_millis(20)));
    }
}

/// What to do with the connection once the request is read.
enum Action {
    Respond(Response),
    Raw(Vec<u8>),
    Close,
    Hang(Duration),
    Huge(usize),
    Silent,
}

impl From<Framing> for Action {
    fn from(framing: Framing) -> Action {
        match framing {
            Framing::Silent => Action::Silent,
            Framing::Answer(resp) => Action::Respond(resp),
        }
    }
}

fn handle_connection(shared: &Shared, stream: TcpStream, what: &mut String) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let written = match serve(shared, &mut reader, &mut out, what) {
        Action::Respond(resp) => http::write_response(&mut out, &resp),
        Action::Raw(bytes) => out.write_all(&bytes),
        Action::Huge(n) => http::write_huge(&mut out, n),
        Action::Hang(d) => return sleep_unless_stopped(shared, d),
        Action::Close | Action::Silent => return,
    };
    if written.is_ok() {
        http::finish(&mut out, &mut reader);
    }
}

fn serve(
    shared: &Shared,
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
    what: &mut String,
) -> Action {
    let (method, target) = match http::read_request_line(reader) {
        Ok(line) => line,
        Err(framing) => return framing.into(),
    };
    let mut rec = Recorded {
        method,
        path: target,
        headers: Vec::new(),
        body: Vec::new(),
    };
    let path = rec.path.split('?').next().unwrap_or("").to_string();
    *what = format!("{} {path}", rec.method);
    if shared.panic_next.swap(false, Ordering::SeqCst) {
        panic!("stand-in: a panic asked for by panic_on_next_request()");
    }
    shared.total.fetch_add(1, Ordering::SeqCst);
    let endpoint = Endpoint::of_path(&path);
    match endpoint {
        Some(Endpoint::SignIn) => shared.sign_ins.fetch_add(1, Ordering::SeqCst),
        Some(Endpoint::Refresh) => shared.refreshes.fetch_add(1, Ordering::SeqCst),
        None => 0,
    };

    let framing = http::read_head_and_body(reader, out, &mut rec);
    shared.lock().requests.push(rec.clone());
    if let Err(framing) = framing {
        return framing.into();
    }

    let delay = shared.lock().delay;
    sleep_unless_stopped(shared, delay);

    if path == WHOAMI_PATH {
        return whoami(shared, &rec);
    }
    let Some(endpoint) = endpoint else {
        return Action::Respond(json_error(404, &format!("NOT_FOUND : no such path {path}")));
    };

    let fault = shared.lock().faults.pop(endpoint);
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
        let mut resp = json_error(405, "METHOD_NOT_ALLOWED");
        resp.headers.push(("Allow".into(), "POST".into()));
        return Action::Respond(resp);
    }
    let obj = match serde_json::from_slice::<Value>(&rec.body) {
        Ok(Value::Object(obj)) => obj,
        Ok(_) => return Action::Respond(json_error(400, "INVALID_JSON : expected a JSON object")),
        Err(e) => return Action::Respond(json_error(400, &format!("INVALID_JSON : {e}"))),
    };
    let result = {
        let mut st = shared.lock();
        match endpoint {
            Endpoint::SignIn => st.service.sign_in(&obj),
            Endpoint::Refresh => st.service.refresh(&obj),
        }
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
        Err(message) => Action::Respond(json_error(400, &message)),
    }
}

/// The demo resource: a bearer token this server issued and that has not expired gets the
/// user's identity; anything else gets 401.
fn whoami(shared: &Shared, rec: &Recorded) -> Action {
    let token = rec
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let claims = token.and_then(|t| shared.lock().service.live_claims(t));
    match claims {
        Some(claims) => Action::Respond(json_response(
            200,
            &json!({"email": claims["email"], "user_id": claims["user_id"]}),
        )),
        None => Action::Respond(json_error(
            401,
            "UNAUTHENTICATED : a valid bearer token is required",
        )),
    }
}
