//! Tests of the pointservices stand-in itself, over raw HTTP/1.1 on std TcpStream.

#[path = "support/stand_in/mod.rs"]
mod stand_in;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use stand_in::{
    DEFAULT_PASSWORD, DEFAULT_USERNAME, Endpoint, Fault, REFRESH_PATH, SIGN_IN_PATH, StandIn,
};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Send raw bytes, read until the server closes, return everything.
fn exchange(server: &StandIn, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).expect("write request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read answer");
    answer
}

fn parse(answer: &[u8]) -> Reply {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = String::from_utf8(answer[..split].to_vec()).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: answer[split + 4..].to_vec(),
    }
}

fn request(server: &StandIn, method: &str, path: &str, body: &str) -> Reply {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.port(),
        body.len()
    );
    parse(&exchange(server, raw.as_bytes()))
}

fn post(server: &StandIn, path: &str, body: &Value) -> Reply {
    request(server, "POST", path, &body.to_string())
}

fn sign_in(server: &StandIn, username: &str, password: &str) -> Reply {
    post(
        server,
        SIGN_IN_PATH,
        &json!({"username": username, "password": password}),
    )
}

fn refresh(server: &StandIn, token: &str) -> Reply {
    post(server, REFRESH_PATH, &json!({"refresh_token": token}))
}

fn jwt_payload(token: &str) -> Value {
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(segments.len(), 3, "JWT has 3 segments: {token}");
    let bytes = URL_SAFE_NO_PAD
        .decode(segments[1])
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

#[test]
fn sign_in_returns_a_realistic_jwt_and_refresh_token() {
    let server = StandIn::start();
    let reply = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = reply.json();
    assert_eq!(body["expires_in"], json!(3600));
    let access = body["access_token"].as_str().unwrap();
    let payload = jwt_payload(access);
    assert_eq!(payload["email"], DEFAULT_USERNAME);
    assert_eq!(payload["sub"], payload["user_id"]);
    assert_eq!(payload["sub"].as_str().unwrap().len(), 28);
    assert_eq!(
        payload["exp"].as_u64().unwrap(),
        payload["iat"].as_u64().unwrap() + 3600
    );
    assert_eq!(payload["firebase"]["sign_in_provider"], "password");
    assert!(access.len() > 800, "about 1 KB: {}", access.len());
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"].as_str().unwrap().len(), 40);
    let refresh_token = body["refresh_token"].as_str().unwrap();
    assert!(refresh_token.starts_with("AMf-v") && refresh_token.len() > 200);
    assert_eq!(
        server.issued_tokens(),
        vec![access.to_string(), refresh_token.to_string()]
    );

    // Every token differs, even for the same user in the same second.
    let again = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json();
    assert_ne!(again["access_token"], body["access_token"]);
    assert_eq!(
        jwt_payload(again["access_token"].as_str().unwrap())["sub"],
        payload["sub"]
    );
}

#[test]
fn sign_in_errors_are_firebase_style() {
    let server = StandIn::start();
    let reply = sign_in(&server, DEFAULT_USERNAME, "wrong");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json(),
        json!({"error": {"code": 400, "message": "INVALID_PASSWORD"}})
    );
    assert_eq!(
        sign_in(&server, "bob@example.com", "x").error_message(),
        "EMAIL_NOT_FOUND"
    );
    assert_eq!(sign_in(&server, "", "x").error_message(), "MISSING_EMAIL");
    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, "").error_message(),
        "MISSING_PASSWORD"
    );
    server.add_user("bob@example.com", "hunter2");
    assert_eq!(sign_in(&server, "bob@example.com", "hunter2").status, 200);
    server.disable_user("bob@example.com");
    assert_eq!(
        sign_in(&server, "bob@example.com", "hunter2").error_message(),
        "USER_DISABLED"
    );

    let bad = request(&server, "POST", SIGN_IN_PATH, "{not json");
    assert_eq!(bad.status, 400);
    assert!(bad.error_message().starts_with("INVALID_JSON : "));
    assert_eq!(request(&server, "GET", SIGN_IN_PATH, "").status, 405);
    let missing = request(&server, "POST", "/nope", "{}");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], 404);
    assert!(server.issued_tokens().len() == 2);
}

#[test]
fn refresh_returns_the_same_refresh_token_by_default() {
    let server = StandIn::start();
    let first = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json();
    let token = first["refresh_token"].as_str().unwrap();
    let reply = refresh(&server, token);
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["refresh_token"], token);
    assert_ne!(body["access_token"], first["access_token"]);
    let payload = jwt_payload(body["access_token"].as_str().unwrap());
    assert_eq!(payload["email"], DEFAULT_USERNAME);
    // Still usable.
    assert_eq!(refresh(&server, token).status, 200);

    assert_eq!(
        refresh(&server, "AMf-vbogus").error_message(),
        "INVALID_REFRESH_TOKEN"
    );
    server.revoke_all_refresh_tokens();
    assert_eq!(refresh(&server, token).error_message(), "TOKEN_EXPIRED");
}

#[test]
fn rotation_invalidates_the_old_refresh_token() {
    let server = StandIn::start();
    server.set_rotate_refresh_tokens(true);
    let old = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = refresh(&server, &old).json();
    let new = body["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        refresh(&server, &old).error_message(),
        "INVALID_REFRESH_TOKEN"
    );
    assert_eq!(refresh(&server, new).status, 200);
}

#[test]
fn scripted_faults_are_used_once_in_order() {
    let server = StandIn::start();
    server.script(
        Endpoint::SignIn,
        Fault::Status {
            status: 503,
            body: r#"{"error":{"code":503,"message":"UNAVAILABLE"}}"#.into(),
            headers: vec![("Retry-After".into(), "1".into())],
        },
    );
    server.script(
        Endpoint::SignIn,
        Fault::Patch(json!({"expires_in": "abc", "refresh_token": null})),
    );
    let first = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD);
    assert_eq!(first.status, 503);
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(first.error_message(), "UNAVAILABLE");

    let patched = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json();
    assert_eq!(patched["expires_in"], "abc");
    assert!(patched.get("refresh_token").is_none());
    assert!(patched["access_token"].is_string());

    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );
    // Faults for one endpoint do not leak to the other.
    server.script(Endpoint::Refresh, Fault::Close);
    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );
}

#[test]
fn connection_level_faults() {
    let server = StandIn::start();
    let body = json!({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}).to_string();
    let raw = format!(
        "POST {SIGN_IN_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );

    server.script(Endpoint::SignIn, Fault::Close);
    assert!(exchange(&server, raw.as_bytes()).is_empty());

    server.script(
        Endpoint::SignIn,
        Fault::Raw(b"HTTP/1.1 200 OK\r\nConte".to_vec()),
    );
    assert_eq!(
        exchange(&server, raw.as_bytes()),
        b"HTTP/1.1 200 OK\r\nConte"
    );

    let size = 3 * 1024 * 1024 + 7;
    server.script(Endpoint::SignIn, Fault::HugeBody(size));
    let huge = parse(&exchange(&server, raw.as_bytes()));
    assert_eq!(huge.status, 200);
    assert_eq!(
        huge.header("content-length"),
        Some(size.to_string().as_str())
    );
    assert_eq!(huge.body.len(), size);
    assert!(huge.body.starts_with(b"{\"access_token\":\"aaaa"));
    assert!(huge.body.ends_with(b"aa\"}"));

    server.script(Endpoint::SignIn, Fault::Hang(Duration::from_millis(300)));
    let started = Instant::now();
    assert!(exchange(&server, raw.as_bytes()).is_empty());
    assert!(started.elapsed() >= Duration::from_millis(300));

    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );
}

#[test]
fn bad_framing_gets_an_answer_and_the_server_survives() {
    let server = StandIn::start();
    let garbage = parse(&exchange(&server, b"what is this\r\n\r\n"));
    assert_eq!(garbage.status, 400);
    let too_big = format!(
        "POST {SIGN_IN_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        64 * 1024 * 1024
    );
    assert_eq!(parse(&exchange(&server, too_big.as_bytes())).status, 413);
    let bad_len = format!("POST {SIGN_IN_PATH} HTTP/1.1\r\nContent-Length: lots\r\n\r\n");
    assert_eq!(parse(&exchange(&server, bad_len.as_bytes())).status, 400);
    let body = json!({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}).to_string();
    let chunked = format!(
        "POST {SIGN_IN_PATH} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    assert_eq!(parse(&exchange(&server, chunked.as_bytes())).status, 200);
    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );
}

#[test]
fn counters_and_recording() {
    let server = StandIn::start();
    let first = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json();
    sign_in(&server, DEFAULT_USERNAME, "nope");
    refresh(&server, first["refresh_token"].as_str().unwrap());
    request(&server, "POST", "/elsewhere", "{}");
    assert_eq!(server.sign_in_count(), 2);
    assert_eq!(server.refresh_count(), 1);
    assert_eq!(server.request_count(), 4);
    let recorded = server.requests();
    assert_eq!(recorded.len(), 4);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, SIGN_IN_PATH);
    assert_eq!(
        recorded[1].body_json().unwrap(),
        json!({"username": DEFAULT_USERNAME, "password": "nope"})
    );
    assert_eq!(recorded[2].path, REFRESH_PATH);
    assert_eq!(recorded[3].header("content-type"), Some("application/json"));
    assert_eq!(server.issued_tokens().len(), 3);
}

#[test]
fn a_hanging_connection_does_not_block_others_and_drop_stops_the_server() {
    let server = StandIn::start();
    server.set_delay(Duration::from_millis(10));
    server.script(Endpoint::SignIn, Fault::Hang(Duration::from_secs(30)));
    let port = server.port();
    // A request that will hang, and a slow client that never finishes its head.
    let hanging = std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let body = "{}";
        let _ = write!(
            s,
            "POST {SIGN_IN_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        buf
    });
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n").unwrap();
    while server.sign_in_count() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    drop(server);
    // The hang is cut short by the drop, and nothing listens any more.
    assert!(hanging.join().unwrap().is_empty());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    drop(slow);
}

#[test]
fn make_jwt_round_trips_claims() {
    let claims = json!({"sub": "x", "exp": 1});
    let token = stand_in::make_jwt(&claims);
    assert_eq!(jwt_payload(&token), claims);
    assert_eq!(stand_in::b64url(b"\xff\xfe"), "__4");
}

#[test]
fn a_handler_panic_is_reported_when_the_server_is_dropped() {
    let server = StandIn::start();
    server.panic_on_next_request();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /whoami?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "a panicking handler answers nothing");
    // The other handlers are unaffected.
    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );

    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(server)));
    let payload = dropped.expect_err("dropping a server whose handler panicked panics");
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("1 handler thread(s) panicked"),
        "{message}"
    );
    assert!(message.contains("(GET /whoami)"), "{message}");
    assert!(message.contains("panic_on_next_request"), "{message}");
    assert!(!message.contains("secret"), "no query string: {message}");
}
