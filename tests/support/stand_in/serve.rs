//! The accept loop and one thread per connection: read a request, count and record it, pick
//! its answer (a scripted fault, an auth endpoint, or a protected resource) and write it.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
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
        Action::Respond(resp) => http::write_response(&mut out, &resp),
        Action::Raw(bytes) => out.write_all(&bytes),
        Action::Huge(n) => http::write_huge(&mut out, n),
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
        http::finish(&mut out, &mut reader);
    }
}

fn serve(shared: &Shared, reader: &mut BufReader<TcpStream>, out: &mut TcpStream) -> Action {
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
    if !delay.is_zero() {
        thread::sleep(delay);
    }

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
