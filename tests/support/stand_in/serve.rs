//! The accept loop and one thread per connection: read a request, count and record it, pick
//! its answer (a scripted fault, an auth endpoint, or an API route), write it, and record any
//! panic of the handler for the drop to report.

use std::any::Any;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::bodies::{self, Stream};
use super::faults::{Fault, Target};
use super::http::{self, BodyLimit, Framing, Response, json_error, json_response};
use super::{Recorded, Shared, api, log};

const IO_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopping() {
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

/// What the handler knows of its request, for a panic message and the request log.
#[derive(Default)]
pub(super) struct Exchange {
    /// 0 until a request line is read.
    pub(super) seq: usize,
    pub(super) method: String,
    /// Without the query string, which may carry secrets.
    pub(super) path: String,
    /// A scripted fault used, for the log.
    pub(super) detail: Option<String>,
}

/// One connection's handler, with any panic recorded (for Drop to report) instead of lost.
fn run_handler(shared: &Shared, id: u64, stream: TcpStream) {
    let mut ex = Exchange::default();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        handle_connection(shared, stream, &mut ex);
    }));
    if let Err(payload) = result {
        let what = if ex.method.is_empty() {
            "before the request line".to_string()
        } else {
            format!("{} {}", ex.method, ex.path)
        };
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

/// What to do with the connection once the request is read.
pub(super) enum Action {
    Respond(Response),
    Raw(Vec<u8>),
    Close,
    Reset,
    Hang(Duration),
    Huge(usize),
    Stream(Stream),
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

fn handle_connection(shared: &Shared, stream: TcpStream, ex: &mut Exchange) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let action = serve(shared, &mut reader, &mut out, ex);
    let head_only = ex.method == "HEAD";
    let (status, note, written) = match action {
        Action::Respond(mut resp) => {
            // Real servers date every answer; `pointauth doctor` reads it for the clock check.
            let skew = chrono::Duration::seconds(shared.date_skew.load(Ordering::SeqCst));
            let date = (chrono::Utc::now() + skew).format("%a, %d %b %Y %H:%M:%S GMT");
            resp.headers.push(("Date".into(), date.to_string()));
            let written = http::write_response(&mut out, &resp, head_only);
            (Some(resp.status), resp.note, Some(written))
        }
        Action::Raw(bytes) => (None, None, Some(out.write_all(&bytes))),
        Action::Huge(n) => (Some(200), None, Some(http::write_huge(&mut out, n))),
        Action::Stream(body) => {
            let (sent, written) = bodies::write_stream(&mut out, shared, &body, head_only);
            let note = match body {
                _ if head_only => None,
                Stream::Stall { .. } => Some(format!("stalled after {}", log::bytes(sent))),
                _ if sent == body.length() => Some(format!("{} sent", log::bytes(sent))),
                _ => Some(format!(
                    "{} of {} sent",
                    log::bytes(sent),
                    log::bytes(body.length())
                )),
            };
            (Some(200), note, Some(written))
        }
        Action::Hang(d) => {
            shared.sleep(d);
            (None, None, None)
        }
        Action::Reset => {
            http::reset_on_close(&out);
            (None, None, None)
        }
        Action::Close => (None, None, None),
        Action::Silent => {
            let note = "the request ended early; no answer".to_string();
            (None, Some(note), None)
        }
    };
    if ex.seq > 0 {
        let detail = ex.detail.take().or(note);
        shared.log(ex, status, detail);
    }
    // Only after an answer written whole: the drain keeps unread input from turning our
    // close into a reset; without an answer the connection is simply dropped.
    if let Some(Ok(())) = written {
        http::finish(&mut out, &mut reader);
    }
}

fn serve(
    shared: &Shared,
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
    ex: &mut Exchange,
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
        body_len: 0,
    };
    let path = api::split_target(&rec.path).0.to_string();
    ex.method = rec.method.clone();
    ex.path = path.clone();
    if shared.panic_next.swap(false, Ordering::SeqCst) {
        panic!("stand-in: a panic asked for by panic_on_next_request()");
    }
    let target = Target::of_path(&path);
    ex.seq = shared.count(target, &path);

    if let Err(framing) = http::read_head(reader, &mut rec) {
        shared.record(rec);
        return framing.into();
    }
    if shared.lock().faults.pop_before_body(target).is_some() {
        shared.record(rec);
        ex.detail = Some("reset before reading the body (scripted)".into());
        return Action::Reset;
    }
    let limit = match target {
        Target::Api => BodyLimit::KeepFirst,
        Target::SignIn | Target::Refresh => BodyLimit::Refuse,
    };
    let body = http::read_body(reader, out, &mut rec, limit);
    shared.record(rec.clone());
    let body_hash = match body {
        Ok(hash) => hash,
        Err(framing) => return framing.into(),
    };

    let delay = shared.lock().delay;
    shared.sleep(delay);

    let fault = shared.lock().faults.pop(target);
    let mut patch = None;
    let scripted = |what: &str| Some(format!("{what} (scripted)"));
    match fault {
        None => {}
        Some(Fault::Status {
            status,
            body,
            headers,
        }) => {
            ex.detail = Some("scripted".into());
            return Action::Respond(Response {
                status,
                headers,
                body: body.into_bytes(),
                note: None,
            });
        }
        Some(Fault::Raw(bytes)) => {
            ex.detail = scripted(&format!("{} raw bytes", bytes.len()));
            return Action::Raw(bytes);
        }
        Some(Fault::Close) => {
            ex.detail = scripted("closed without an answer");
            return Action::Close;
        }
        // A reset-before-body fault that another request overtook acts after the body.
        Some(Fault::Reset | Fault::ResetBeforeBody) => {
            ex.detail = scripted("reset without an answer");
            return Action::Reset;
        }
        Some(Fault::Hang(d)) => {
            ex.detail = scripted(&format!("hung {d:?}, closed without an answer"));
            return Action::Hang(d);
        }
        Some(Fault::HugeBody(n)) => {
            ex.detail = scripted(&format!("a {} body", log::bytes(n as u64)));
            return Action::Huge(n);
        }
        Some(Fault::Patch(v)) => {
            ex.detail = scripted("patched");
            patch = Some(v);
        }
    }

    let action = match target {
        Target::SignIn | Target::Refresh => auth(shared, target, &rec),
        Target::Api => api::answer(shared, &rec, body_hash),
    };
    match (action, patch) {
        (Action::Respond(resp), Some(patch)) => Action::Respond(patched(resp, patch)),
        (action, _) => action,
    }
}

/// `signInWithPassword` or `refreshIdToken`: POST with a JSON object, answered by the service.
fn auth(shared: &Shared, target: Target, rec: &Recorded) -> Action {
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
        match target {
            Target::SignIn => st.service.sign_in(&obj),
            _ => st.service.refresh(&obj),
        }
    };
    match result {
        Ok(body) => Action::Respond(json_response(200, &Value::Object(body))),
        Err(message) => Action::Respond(json_error(400, &message)),
    }
}

/// A success with a JSON body, with `patch` merged over it (an object: its keys set, or removed
/// where null) or in place of it (anything else). Other answers as they are.
fn patched(mut resp: Response, patch: Value) -> Response {
    if !(200..300).contains(&resp.status) {
        return resp;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&resp.body) else {
        return resp;
    };
    let body = match (body, patch) {
        (Value::Object(mut body), Value::Object(patch)) => {
            for (k, v) in patch {
                if v.is_null() {
                    body.remove(&k);
                } else {
                    body.insert(k, v);
                }
            }
            Value::Object(body)
        }
        (_, other) => other,
    };
    resp.body = body.to_string().into_bytes();
    resp
}
