//! HTTP/1.1 framing on a std TcpStream: the request line, headers, Content-Length and chunked
//! bodies, and writing answers (whole, raw, or streamed).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{MAX_BODY, Recorded};

const MAX_LINE: usize = 16 * 1024;
const MAX_HEADERS: usize = 100;

/// An answer to write whole: `Content-Type` (JSON), `Content-Length` and `Connection: close`
/// are added unless `headers` has them.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

/// Why a request could not be read: say nothing (the client went away), or answer this.
pub(super) enum Framing {
    Silent,
    Answer(Response),
}

pub(super) fn error_body(code: u16, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

pub(super) fn json_response(status: u16, body: &Value) -> Response {
    Response {
        status,
        headers: vec![("Cache-Control".into(), "no-store".into())],
        body: body.to_string().into_bytes(),
    }
}

/// A Firebase-style error answer.
pub(super) fn json_error(status: u16, message: &str) -> Response {
    json_response(status, &error_body(status, message))
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

/// The request line as (method, target), tolerating one stray empty line before it.
pub(super) fn read_request_line(reader: &mut impl BufRead) -> Result<(String, String), Framing> {
    let mut line = String::new();
    for _ in 0..2 {
        line = match read_line(reader) {
            Ok(Some(l)) => l,
            Ok(None) | Err(LineError::Io) => return Err(Framing::Silent),
            Err(LineError::TooLong) => {
                return Err(Framing::Answer(json_error(414, "URI_TOO_LONG")));
            }
        };
        if !line.is_empty() {
            break;
        }
    }
    let parts: Vec<&str> = line.split_whitespace().collect();
    match parts[..] {
        [method, target, version] if version.starts_with("HTTP/") => {
            Ok((method.to_string(), target.to_string()))
        }
        _ => Err(Framing::Answer(json_error(
            400,
            "BAD_REQUEST : malformed request line",
        ))),
    }
}

/// Headers and body into `rec`; on a framing problem, the answer to give.
pub(super) fn read_head_and_body(
    reader: &mut impl BufRead,
    out: &mut TcpStream,
    rec: &mut Recorded,
) -> Result<(), Framing> {
    let answer = |status, message| Err(Framing::Answer(json_error(status, message)));
    loop {
        let line = match read_line(reader) {
            Ok(Some(l)) => l,
            Ok(None) | Err(LineError::Io) => return Err(Framing::Silent),
            Err(LineError::TooLong) => return answer(431, "HEADER_TOO_LARGE"),
        };
        if line.is_empty() {
            break;
        }
        if rec.headers.len() >= MAX_HEADERS {
            return answer(431, "TOO_MANY_HEADERS");
        }
        let Some((name, value)) = line.split_once(':') else {
            return answer(400, "BAD_REQUEST : malformed header line");
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
                return answer(400, "BAD_REQUEST : conflicting Content-Length");
            }
            match first.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return answer(400, "BAD_REQUEST : bad Content-Length"),
            }
        }
    };
    if len > MAX_BODY {
        return answer(413, "PAYLOAD_TOO_LARGE");
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
        answer(400, "BAD_REQUEST : incomplete body")
    }
}

fn read_chunked(reader: &mut impl BufRead, body: &mut Vec<u8>) -> Result<(), Framing> {
    let bad = || {
        Err(Framing::Answer(json_error(
            400,
            "BAD_REQUEST : bad chunked body",
        )))
    };
    loop {
        let line = match read_line(reader) {
            Ok(Some(l)) => l,
            _ => return bad(),
        };
        let size_text = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            return bad();
        };
        if size == 0 {
            break;
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(Framing::Answer(json_error(413, "PAYLOAD_TOO_LARGE")));
        }
        let start = body.len();
        let got = reader
            .by_ref()
            .take(size as u64)
            .read_to_end(body)
            .unwrap_or(0);
        if got != size || body.len() != start + size {
            return bad();
        }
        match read_line(reader) {
            Ok(Some(l)) if l.is_empty() => {}
            _ => return bad(),
        }
    }
    // Trailers, up to the empty line.
    loop {
        match read_line(reader) {
            Ok(Some(l)) if l.is_empty() => return Ok(()),
            Ok(Some(_)) => {}
            _ => return bad(),
        }
    }
}

/// Half-close and drain whatever the client still sends, so that unread input
/// does not turn our close into a reset that destroys the answer in flight.
pub(super) fn finish(out: &mut TcpStream, reader: &mut BufReader<TcpStream>) {
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

pub(super) fn write_response(out: &mut TcpStream, resp: &Response) -> io::Result<()> {
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

/// A 200 JSON-looking answer of `n` bytes (`{"access_token":"aaaa…"}`), streamed in chunks.
pub(super) fn write_huge(out: &mut TcpStream, n: usize) -> io::Result<()> {
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
