//! Tests of the pointservices stand-in itself, over raw HTTP/1.1 on std TcpStream.

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
// The house rules (no unwrap, no print, the environment and clock only through settings) are
// for the shipped code in src/; tests and the demo may panic, print and read what they like.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)]
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
    // Answered while the first request still hangs: an order, not a wall-clock bound. A
    // server that served one connection at a time would leave this read waiting for the
    // 30 s hang, and `exchange`'s 10 s read timeout would fail it.
    assert_eq!(
        sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).status,
        200
    );
    assert!(!hanging.is_finished(), "the hung request is still held");

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

// ---------------------------------------------------------------------------------------------
// The API routes
// ---------------------------------------------------------------------------------------------

/// A request with these extra headers and body (Content-Length framed).
fn call(
    server: &StandIn,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\n",
        server.port(),
        body.len()
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    parse(&exchange(server, &raw))
}

/// GET with `Authorization: Bearer TOKEN`.
fn get(server: &StandIn, path: &str, token: &str) -> Reply {
    call(
        server,
        "GET",
        path,
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    )
}

/// A fresh access token of the default user.
fn access_token(server: &StandIn) -> String {
    sign_in(server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn api_routes_need_a_live_bearer_token() {
    let server = StandIn::start();
    let live = access_token(&server);
    assert!(server.is_live(&live));

    let none = call(&server, "GET", "/echo", &[], b"");
    assert_eq!(none.status, 401);
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    assert_eq!(none.json()["error"]["code"], 401);
    assert!(none.error_message().starts_with("UNAUTHENTICATED : "));
    let basic = call(
        &server,
        "GET",
        "/echo",
        &[("Authorization", "Basic YWxpY2U6eA==")],
        b"",
    );
    assert_eq!(basic.status, 401);
    let empty = call(
        &server,
        "GET",
        "/echo",
        &[("Authorization", "Bearer ")],
        b"",
    );
    assert_eq!(empty.status, 401);
    assert_eq!(
        empty.error_message(),
        "UNAUTHENTICATED : a bearer token is required"
    );

    // Well-formed, unexpired, but not issued here; a refresh token is no access token.
    let forged = stand_in::make_jwt(&json!({"email": DEFAULT_USERNAME, "exp": 4_000_000_000u64}));
    let refresh_token = server.issued_tokens()[1].clone();
    for token in [forged.as_str(), refresh_token.as_str()] {
        let reply = get(&server, "/echo", token);
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer error=\"invalid_token\"")
        );
        assert!(!contains(&reply.body, token), "the token is never echoed");
        assert!(!server.is_live(token));
    }

    // Expired by the stand-in's clock: a zero lifetime is over as soon as it is issued.
    server.set_expires_in(json!(0));
    let expired = access_token(&server);
    assert!(!server.is_live(&expired));
    assert!(server.access_token_expiry(&expired).unwrap() <= std::time::SystemTime::now());
    let reply = get(&server, "/whoami", &expired);
    assert_eq!(reply.status, 401);
    assert!(
        reply.error_message().contains("expired"),
        "{}",
        reply.error_message()
    );

    // The live one works on every route, /whoami as before.
    let whoami = get(&server, "/whoami", &live);
    assert_eq!(whoami.status, 200);
    assert_eq!(whoami.json()["email"], DEFAULT_USERNAME);
    assert_eq!(whoami.json()["user_id"], jwt_payload(&live)["user_id"]);
    assert_eq!(get(&server, "/echo", &live).status, 200);
    assert_eq!(get(&server, "/status/200", &live).status, 200);
    // Also with a lower-case scheme.
    let lower = call(
        &server,
        "GET",
        "/echo",
        &[("authorization", &format!("bearer {live}"))],
        b"",
    );
    assert_eq!(lower.status, 200);
    // A path that is no route is 404 whatever the token.
    assert_eq!(call(&server, "GET", "/nope", &[], b"").status, 404);

    assert_eq!(server.unauthorized_count(), 6);
    assert_eq!(server.api_request_count(), 11);
}

#[test]
fn echo_answers_the_request_and_never_the_token() {
    let server = StandIn::start();
    let token = access_token(&server);
    let refresh_token = server.issued_tokens()[1].clone();
    let body = json!({"a": [1, 2], "leak": token, "also": refresh_token}).to_string();
    let reply = call(
        &server,
        "PATCH",
        "/echo/deep/path?x=1&y=two%20words",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Content-Type", "application/json"),
            ("X-Custom", "one"),
            ("x-custom", "two"),
        ],
        body.as_bytes(),
    );
    assert_eq!(reply.status, 200);
    assert!(
        !contains(&reply.body, &token),
        "no access token in the echo"
    );
    assert!(
        !contains(&reply.body, &refresh_token),
        "no refresh token either"
    );
    let echo = reply.json();
    assert_eq!(echo["method"], "PATCH");
    assert_eq!(echo["path"], "/echo/deep/path");
    assert_eq!(echo["query"], "x=1&y=two%20words");
    assert_eq!(
        echo["headers"]["authorization"],
        format!("Bearer [live token of {DEFAULT_USERNAME}]")
    );
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["headers"]["x-custom"], "one, two");
    assert_eq!(
        echo["json"],
        json!({"a": [1, 2], "leak": "[token]", "also": "[token]"})
    );
    assert!(
        echo["body"]
            .as_str()
            .unwrap()
            .contains("\"leak\":\"[token]\"")
    );
    assert_eq!(echo["body_len"], body.len());
    assert_eq!(echo["body_truncated"], false);
    assert_eq!(
        echo["body_fnv1a"],
        format!("{:016x}", stand_in::fnv1a(body.as_bytes()))
    );
    // What was really sent is in the recording.
    let recorded = server.requests().pop().unwrap();
    assert_eq!(recorded.path, "/echo/deep/path?x=1&y=two%20words");
    assert_eq!(recorded.body, body.as_bytes());

    // No query, no body; and a body that is not UTF-8.
    let bare = get(&server, "/echo", &token).json();
    assert_eq!(bare["query"], Value::Null);
    assert_eq!(bare["body"], "");
    assert_eq!(bare["json"], Value::Null);
    let auth = format!("Bearer {token}");
    let binary = call(
        &server,
        "POST",
        "/echo",
        &[("Authorization", &auth)],
        b"\xff\x00ok",
    );
    assert_eq!(binary.json()["body"], json!({"base64": "/wBvaw=="}));
    assert_eq!(binary.json()["json"], Value::Null);
}

#[test]
fn big_api_uploads_are_read_whole_but_recorded_capped() {
    let server = StandIn::start();
    let token = access_token(&server);
    let auth = format!("Bearer {token}");
    let size = 3 * stand_in::MAX_BODY + 17;
    let upload: Vec<u8> = (0..size).map(|i| (i % 7) as u8 + b'a').collect();
    let reply = call(
        &server,
        "PUT",
        "/echo",
        &[("Authorization", &auth)],
        &upload,
    );
    assert_eq!(reply.status, 200);
    let echo = reply.json();
    assert_eq!(echo["body_len"], size);
    assert_eq!(echo["body_truncated"], true);
    assert_eq!(echo["json"], Value::Null);
    assert_eq!(echo["body"].as_str().unwrap().len(), stand_in::MAX_BODY);
    assert_eq!(
        echo["body_fnv1a"],
        format!("{:016x}", stand_in::fnv1a(&upload))
    );
    let recorded = server.requests().pop().unwrap();
    assert_eq!(recorded.body.len(), stand_in::MAX_BODY);
    assert_eq!(recorded.body_len, size as u64);
    assert_eq!(recorded.body, &upload[..stand_in::MAX_BODY]);

    // Chunked uploads too.
    let raw = format!(
        "POST /echo HTTP/1.1\r\nAuthorization: {auth}\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    );
    let chunked = parse(&exchange(&server, raw.as_bytes())).json();
    assert_eq!(chunked["body"], "hello world");
    assert_eq!(chunked["body_len"], 11);
    // The auth endpoints still refuse big bodies.
    let too_big = vec![b'x'; stand_in::MAX_BODY + 1];
    assert_eq!(
        call(&server, "POST", SIGN_IN_PATH, &[], &too_big).status,
        413
    );
}

#[test]
fn status_route_answers_the_status_asked_for() {
    let server = StandIn::start();
    let token = access_token(&server);
    let ok = get(&server, "/status/201", &token);
    assert_eq!(ok.status, 201);
    assert_eq!(ok.json(), json!({"status": 201}));
    let busy = get(&server, "/status/503?retry_after=7", &token);
    assert_eq!(busy.status, 503);
    assert_eq!(busy.header("retry-after"), Some("7"));
    assert_eq!(
        busy.json(),
        json!({"error": {"code": 503, "message": "STATUS_503 : chosen by the client"}})
    );
    let teapot = get(&server, "/status/418", &token);
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.header("retry-after"), None);
    assert_eq!(teapot.json()["error"]["code"], 418);
    // 204 has no body; HEAD gets the headers only.
    let empty = get(&server, "/status/204", &token);
    assert_eq!((empty.status, empty.body.len()), (204, 0));
    assert_eq!(empty.header("content-length"), None);
    let auth = format!("Bearer {token}");
    let head = call(
        &server,
        "HEAD",
        "/status/200",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("14"), "as for GET");
    // Nonsense is a 400, and a header cannot be smuggled in.
    assert_eq!(get(&server, "/status/99", &token).status, 400);
    assert_eq!(get(&server, "/status/abc", &token).status, 400);
    let smuggled = get(
        &server,
        "/status/503?retry_after=1%0d%0aX-Evil:%201",
        &token,
    );
    assert_eq!(smuggled.status, 400);
    assert_eq!(smuggled.header("x-evil"), None);
    // And the status route needs a token like the others.
    assert_eq!(call(&server, "GET", "/status/200", &[], b"").status, 401);
}

#[test]
fn redirects_and_redirect_chains_are_counted() {
    let server = StandIn::start();
    let other = StandIn::start();
    let token = access_token(&server);

    let relative = get(&server, "/redirect?to=/echo%3Fa%3D1", &token);
    assert_eq!(relative.status, 302);
    assert_eq!(relative.header("location"), Some("/echo?a=1"));
    let target = format!("{}/echo", other.base_url());
    let elsewhere = get(
        &server,
        &format!("/redirect?to={target}&status=307"),
        &token,
    );
    assert_eq!(elsewhere.status, 307);
    assert_eq!(elsewhere.header("location"), Some(target.as_str()));
    assert_eq!(server.redirect_count(), 2);

    // Follow a chain by hand: 3 → 2 → 1 → 0 → /echo, the query kept at every hop.
    let mut path = "/redirect/3?status=308".to_string();
    let mut hops = 0;
    let last = loop {
        let reply = get(&server, &path, &token);
        if reply.status != 308 {
            break reply;
        }
        hops += 1;
        path = reply.header("location").unwrap().to_string();
    };
    assert_eq!(hops, 4);
    assert_eq!(last.status, 200);
    assert_eq!(last.json()["path"], "/echo");
    assert_eq!(last.json()["query"], "status=308");
    assert_eq!(server.redirect_count(), 6);
    assert_eq!(server.path_count("/redirect/0"), 1);
    assert_eq!(server.path_count("/echo"), 1);

    assert_eq!(get(&server, "/redirect", &token).status, 400);
    assert_eq!(
        get(&server, "/redirect?to=/x&status=200", &token).status,
        400
    );
    assert_eq!(get(&server, "/redirect/many", &token).status, 400);
    assert_eq!(server.redirect_count(), 6);
    // The other origin was named, never asked.
    assert_eq!(other.request_count(), 0);
}

#[test]
fn two_stand_ins_are_independent() {
    let one = StandIn::start();
    let two = StandIn::start();
    assert_ne!(one.port(), two.port());
    let token = access_token(&one);
    assert!(one.is_live(&token));
    assert!(!two.is_live(&token));
    assert_eq!(get(&two, "/whoami", &token).status, 401);
    one.script_api(Fault::Close);
    assert_eq!(get(&two, "/echo", &access_token(&two)).status, 200);
    assert!(exchange(&one, b"GET /echo HTTP/1.1\r\n\r\n").is_empty());
    assert_eq!((one.sign_in_count(), one.api_request_count()), (1, 1));
    assert_eq!((two.sign_in_count(), two.api_request_count()), (1, 2));
}

/// Send a GET and read the answer's head; the stream is left at the start of the body.
fn open_body(server: &StandIn, path: &str, token: &str) -> (Reply, TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let split = loop {
        if let Some(split) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break split;
        }
        let n = stream.read(&mut buf).expect("read the head");
        assert!(n > 0, "the head is complete");
        got.extend_from_slice(&buf[..n]);
    };
    let reply = parse(&got[..split + 4]);
    (reply, stream, got[split + 4..].to_vec())
}

#[test]
fn large_bodies_are_exact_and_fast() {
    let server = StandIn::start();
    let token = access_token(&server);

    // Small sizes, byte for byte; a size that is no multiple of the block.
    for n in [0u64, 1, 250, 251, 252, stand_in::LARGE_BLOCK + 3] {
        let reply = get(&server, &format!("/large?bytes={n}"), &token);
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(reply.header("content-length"), Some(n.to_string().as_str()));
        let expected: Vec<u8> = (0..n).map(stand_in::large_body_byte).collect();
        assert!(reply.body == expected, "{n} bytes as large_body_byte says");
        assert_eq!(stand_in::large_body_checksum(n), stand_in::fnv1a(&expected));
    }

    // 64 MiB: the length and the checksum, and a rough throughput (printed, not asserted).
    let n: u64 = 64 << 20;
    let started = Instant::now();
    let (reply, mut stream, mut body) = open_body(&server, &format!("/large?bytes={n}"), &token);
    assert_eq!(reply.header("content-length"), Some(n.to_string().as_str()));
    body.reserve(n as usize);
    stream.read_to_end(&mut body).expect("the whole body");
    let elapsed = started.elapsed();
    assert_eq!(body.len() as u64, n);
    assert_eq!(stand_in::fnv1a(&body), stand_in::large_body_checksum(n));
    println!(
        "stand-in /large: {} MiB in {:.3} s = {:.0} MiB/s (debug-build client reading)",
        n >> 20,
        elapsed.as_secs_f64(),
        (n >> 20) as f64 / elapsed.as_secs_f64()
    );
    // HEAD: the length without the body.
    let auth = format!("Bearer {token}");
    let head = call(
        &server,
        "HEAD",
        "/large?bytes=5000000000",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(head.header("content-length"), Some("5000000000"));
    assert!(head.body.is_empty());
    assert_eq!(get(&server, "/large", &token).status, 400);
    assert_eq!(get(&server, "/large?bytes=-1", &token).status, 400);
}

#[test]
fn the_large_pattern_shows_a_moved_duplicated_or_missing_chunk() {
    let byte = stand_in::large_body_byte;
    // Shifting by any power-of-two chunk size changes the bytes (period 251 is prime)…
    for k in 0..=22 {
        let shift = 1u64 << k;
        assert!(
            (0..251).any(|i| byte(i) != byte(i + shift)),
            "a {shift}-byte shift shows"
        );
    }
    // …and so does repeating or skipping a whole block.
    let block = stand_in::LARGE_BLOCK;
    assert!((0..251).any(|i| byte(block + i) != byte(2 * block + i)));
    assert!((0..251).any(|i| byte(i) != byte(block + i)));
    // The checksum is order-sensitive too.
    let mut swapped: Vec<u8> = (0..4096).map(byte).collect();
    swapped.swap(10, 11);
    assert_ne!(
        stand_in::fnv1a(&swapped),
        stand_in::large_body_checksum(4096)
    );
    // Fed in pieces or at once, the same.
    let mut hash = stand_in::Fnv1a::new();
    hash.update(b"hello ");
    hash.update(b"world");
    assert_eq!(hash.finish(), stand_in::fnv1a(b"hello world"));
}

#[test]
fn slow_bodies_trickle_and_stalled_ones_pause_until_the_drop() {
    let server = StandIn::start();
    let token = access_token(&server);

    // 10 bytes, 3 at a time every 50 ms: 4 chunks, 3 pauses.
    let started = Instant::now();
    let slow = get(&server, "/slow?bytes=10&every_ms=50&chunk=3", &token);
    let elapsed = started.elapsed();
    assert_eq!(slow.status, 200);
    assert_eq!(
        slow.body,
        (0..10).map(stand_in::large_body_byte).collect::<Vec<_>>()
    );
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    // The upper bound only says the trickle ends: expected ~150 ms, 10 s is over 60 times
    // that for a loaded machine.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");

    // The head and 100 bytes, then nothing; the connection stays open.
    let (reply, mut stream, mut body) = open_body(&server, "/stall?after=100", &token);
    assert_eq!(reply.status, 200);
    let length: u64 = reply.header("content-length").unwrap().parse().unwrap();
    assert!(length > 100);
    let mut buf = [0u8; 4096];
    while body.len() < 100 {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        body.extend_from_slice(&buf[..n]);
    }
    assert_eq!(
        body,
        (0..100).map(stand_in::large_body_byte).collect::<Vec<_>>()
    );
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let pause = stream
        .read(&mut buf)
        .expect_err("no more bytes, and no end");
    assert!(
        matches!(
            pause.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{pause:?}"
    );
    let (with_length, _stalled, _) = open_body(&server, "/stall?after=0&length=9", &token);
    assert_eq!(with_length.header("content-length"), Some("9"));

    // Dropping the server ends the stall: the read sees the connection end (or reset), not
    // its own 10 s timeout, which is there only to end the wait if the drop did not.
    drop(server);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    match stream.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("{n} more bytes after the drop"),
        Err(err) => assert!(
            !matches!(
                err.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the stall outlived the drop: {err:?}"
        ),
    }
}

#[test]
fn rejected_tokens_are_dead_and_later_ones_work() {
    let server = StandIn::start();
    let first = sign_in(&server, DEFAULT_USERNAME, DEFAULT_PASSWORD).json();
    let old = first["access_token"].as_str().unwrap();
    assert_eq!(get(&server, "/whoami", old).status, 200);

    server.reject_access_tokens_once();
    assert!(!server.is_live(old));
    let rejected = get(&server, "/whoami", old);
    assert_eq!(rejected.status, 401);
    assert!(rejected.error_message().contains("revoked"));
    assert_eq!(get(&server, "/echo", old).status, 401, "and stays dead");

    let renewed = refresh(&server, first["refresh_token"].as_str().unwrap()).json();
    let new = renewed["access_token"].as_str().unwrap();
    assert!(server.is_live(new));
    assert_eq!(get(&server, "/whoami", new).status, 200);

    server.reject_all_access_tokens(true);
    assert!(!server.is_live(new));
    assert_eq!(get(&server, "/echo", new).status, 401);
    assert_eq!(get(&server, "/echo", &access_token(&server)).status, 401);
    server.reject_all_access_tokens(false);
    assert_eq!(get(&server, "/echo", new).status, 200);
    assert_eq!(get(&server, "/echo", old).status, 401);
    assert_eq!(server.unauthorized_count(), 5);
}

#[test]
fn api_faults_are_used_once_in_order_before_the_token_check() {
    let server = StandIn::start();
    let token = access_token(&server);
    server.script_api(Fault::Status {
        status: 503,
        body: r#"{"error":{"code":503,"message":"UNAVAILABLE"}}"#.into(),
        headers: vec![("Retry-After".into(), "2".into())],
    });
    server.script_api(Fault::Close);
    server.script_api(Fault::Hang(Duration::from_millis(200)));
    server.script_api(Fault::Patch(json!({"patched": true})));

    // The first answers without looking at the token at all.
    let busy = call(&server, "GET", "/echo", &[], b"");
    assert_eq!((busy.status, busy.header("retry-after")), (503, Some("2")));
    assert!(exchange(&server, b"GET /echo HTTP/1.1\r\n\r\n").is_empty());
    let started = Instant::now();
    assert!(exchange(&server, b"GET /whoami HTTP/1.1\r\n\r\n").is_empty());
    assert!(started.elapsed() >= Duration::from_millis(200));
    let patched = get(&server, "/echo", &token).json();
    assert_eq!(patched["patched"], true);
    assert_eq!(patched["method"], "GET");
    assert_eq!(get(&server, "/echo", &token).json().get("patched"), None);

    // API faults and auth faults stay apart.
    server.script(Endpoint::SignIn, Fault::Close);
    assert_eq!(get(&server, "/echo", &token).status, 200);
    server.script_api(Fault::Close);
    assert_eq!(refresh(&server, "AMf-vbogus").status, 400);
    let body = json!({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}).to_string();
    let raw = format!(
        "POST {SIGN_IN_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert!(
        exchange(&server, raw.as_bytes()).is_empty(),
        "the sign-in fault, still queued"
    );
    assert!(exchange(&server, b"GET /echo HTTP/1.1\r\n\r\n").is_empty());
    assert_eq!(get(&server, "/echo", &token).status, 200);
    assert_eq!(server.api_request_count(), 8);
}

/// Send `request` and read until EOF or an error: what came back, and whether the server reset
/// the connection (seen on the write, if the reset overtook it, or on the read).
fn send_and_read(server: &StandIn, request: &[u8]) -> (Vec<u8>, bool) {
    use std::io::ErrorKind::{BrokenPipe, ConnectionReset};
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    if let Err(e) = stream.write_all(request) {
        return (Vec::new(), matches!(e.kind(), ConnectionReset | BrokenPipe));
    }
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => (got, false),
        Err(e) => (got, e.kind() == ConnectionReset),
    }
}

#[test]
fn reset_faults_reset_the_connection_before_or_after_the_body() {
    let server = StandIn::start();
    let token = access_token(&server);

    // Before the body: the headers promise 10 MiB that are never read, no 100 Continue.
    server.script_api(Fault::ResetBeforeBody);
    let head = format!(
        "POST /echo HTTP/1.1\r\nAuthorization: Bearer {token}\r\nExpect: 100-continue\r\n\
         Content-Length: 10485760\r\n\r\n"
    );
    let (got, reset) = send_and_read(&server, head.as_bytes());
    assert!(got.is_empty(), "no answer, not even 100 Continue");
    assert!(reset, "a reset, not a clean close");
    let recorded = server.requests().pop().unwrap();
    assert_eq!((recorded.method.as_str(), recorded.body_len), ("POST", 0));
    assert!(recorded.header("authorization").is_some());

    // After the whole request.
    server.script_api(Fault::Reset);
    let request = format!(
        "POST /echo HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    let (got, reset) = send_and_read(&server, request.as_bytes());
    assert!(got.is_empty() && reset);
    assert_eq!(server.requests().pop().unwrap().body, b"{}");

    // On an auth endpoint too (the body may or may not have gone out); then all is normal.
    server.script(Endpoint::SignIn, Fault::ResetBeforeBody);
    let body = json!({"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}).to_string();
    let request = format!(
        "POST {SIGN_IN_PATH} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (got, reset) = send_and_read(&server, request.as_bytes());
    assert!(got.is_empty() && reset);
    assert_eq!(server.sign_in_count(), 2);
    assert_eq!(
        server.issued_tokens().len(),
        2,
        "the sign-in never happened"
    );
    assert_eq!(get(&server, "/echo", &token).status, 200);
}

#[test]
fn api_requests_are_counted_and_recorded() {
    let server = StandIn::start();
    let token = access_token(&server);
    let auth = format!("Bearer {token}");
    call(
        &server,
        "POST",
        "/echo?q=1",
        &[("Authorization", &auth)],
        b"{\"x\":1}",
    );
    get(&server, "/status/404", &token);
    call(&server, "GET", "/whoami", &[], b"");
    assert_eq!(server.api_request_count(), 3);
    assert_eq!(server.request_count(), 4);
    assert_eq!(server.path_count("/echo"), 1);
    assert_eq!(server.path_count("/status/404"), 1);
    assert_eq!(server.path_count(SIGN_IN_PATH), 1);
    assert_eq!(server.path_count("/never"), 0);
    let recorded = server.requests();
    assert_eq!(recorded[1].method, "POST");
    assert_eq!(recorded[1].path, "/echo?q=1");
    assert_eq!(recorded[1].header("authorization"), Some(auth.as_str()));
    assert_eq!(recorded[1].body_json(), Some(json!({"x": 1})));
    assert_eq!(recorded[1].body_len, 7);
}

#[test]
fn the_request_log_shows_each_request_without_secrets() {
    let server = StandIn::start();
    let _quiet = access_token(&server); // before the hook: not logged
    let entries = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&entries);
    server.on_request(move |entry| sink.lock().unwrap().push(entry.clone()));

    let token = access_token(&server);
    get(
        &server,
        &format!(
            "/echo/{token}?password={}",
            DEFAULT_PASSWORD.replace(' ', "%20")
        ),
        &token,
    );
    call(&server, "GET", "/whoami", &[], b"");
    get(&server, "/large?bytes=3000000", &token);
    server.script_api(Fault::Close);
    exchange(&server, b"DELETE /echo HTTP/1.1\r\n\r\n");
    drop(server); // joins the handlers: every entry is in

    let entries = entries.lock().unwrap().clone();
    let lines: Vec<String> = entries.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "#2 POST …/signInWithPassword -> 200 (sign-ins 2, refreshes 0, api 0)",
            "#3 GET /echo/[token] -> 200 (sign-ins 2, refreshes 0, api 1)",
            "#4 GET /whoami -> 401, no token (sign-ins 2, refreshes 0, api 2)",
            "#5 GET /large -> 200, 2.9 MiB sent (sign-ins 2, refreshes 0, api 3)",
            "#6 DELETE /echo -> closed without an answer (scripted) (sign-ins 2, refreshes 0, api 4)",
        ]
    );
    assert_eq!(entries[1].path, "/echo/[token]");
    assert_eq!(entries[2].status, Some(401));
    assert_eq!(entries[4].status, None);
    for line in &lines {
        assert!(!line.contains(&token) && !line.contains("horse"), "{line}");
    }
}

#[test]
fn dropping_the_server_cuts_off_a_body_nobody_reads() {
    let server = StandIn::start();
    let token = access_token(&server);
    // 8 GiB that the client never reads: the handler blocks in write() once the socket
    // buffers are full, until the drop shuts the connection down.
    let (reply, mut stream, _) = open_body(&server, "/large?bytes=8589934592", &token);
    assert_eq!(reply.status, 200);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    drop(server);
    // Expected a few milliseconds. A drop that did not wake the blocked write would sit out
    // the stand-in's 5 s JOIN_TIMEOUT, so the bound stays below that; 4 s is still hundreds of
    // times the expected time, margin enough for a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the drop did not wait for the write: {:?}",
        started.elapsed()
    );
    let mut sink = vec![0u8; 1 << 20];
    let mut total = 0u64;
    while let Ok(n @ 1..) = stream.read(&mut sink) {
        total += n as u64;
    }
    assert!(total < 8 << 30, "cut off after {total} bytes");
}
