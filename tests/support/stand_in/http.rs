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
    /// For the request log: why this answer (never a secret).
    pub(super) note: Option<String>,
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
        note: None,
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

/// The header lines into `rec`, up to the empty line; on a framing problem, the answer to give.
pub(super) fn read_head(reader: &mut impl BufRead, rec: &mut Recorded) -> Result<(), Framing> {
    loop {
        let line = match read_line(reader) {
            Ok(Some(l)) => l,
            Ok(None) | Err(LineError::Io) => return Err(Framing::Silent),
            Err(LineError::TooLong) => return answer(431, "HEADER_TOO_LARGE"),
        };
        if line.is_empty() {
            return Ok(());
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
}

fn answer<T>(status: u16, message: &str) -> Result<T, Framing> {
    Err(Framing::Answer(json_error(status, message)))
}

/// What to do with a request body larger than `MAX_BODY`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyLimit {
    /// Refuse it with 413 (the auth endpoints, as the real service does).
    Refuse,
    /// Read it all, keep the first `MAX_BODY` bytes in `rec.body` and count the rest
    /// (the API routes, which take uploads of any size).
    KeepFirst,
}

/// The body into `rec` (framed by Content-Length or chunked), after a `100 Continue` if the
/// client waits for one. `rec.body_len` is the whole length; the FNV-1a of the whole body is
/// returned.
pub(super) fn read_body(
    reader: &mut impl BufRead,
    out: &mut TcpStream,
    rec: &mut Recorded,
    limit: BodyLimit,
) -> Result<u64, Framing> {
    let chunked = rec
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let lengths: Vec<&str> = rec
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let len = match lengths.first() {
        _ if chunked => 0,
        None => 0,
        Some(first) => {
            if lengths.iter().any(|v| v != first) {
                return answer(400, "BAD_REQUEST : conflicting Content-Length");
            }
            match first.parse::<u64>() {
                Ok(n) => n,
                Err(_) => return answer(400, "BAD_REQUEST : bad Content-Length"),
            }
        }
    };
    if limit == BodyLimit::Refuse && len > MAX_BODY as u64 {
        return answer(413, "PAYLOAD_TOO_LARGE");
    }

    if rec
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let _ = out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    let mut sink = BodySink {
        rec,
        limit,
        hash: Fnv1a::new(),
    };
    if chunked {
        read_chunked(reader, &mut sink)?;
    } else if sink.copy(reader, len)? != len {
        return answer(400, "BAD_REQUEST : incomplete body");
    }
    Ok(sink.hash.finish())
}

/// Where body bytes go: the recording (up to its cap), the length and the checksum.
struct BodySink<'a> {
    rec: &'a mut Recorded,
    limit: BodyLimit,
    hash: Fnv1a,
}

impl BodySink<'_> {
    /// Up to `n` bytes from `reader`; how many there were before EOF or an error.
    fn copy(&mut self, reader: &mut impl BufRead, n: u64) -> Result<u64, Framing> {
        let mut left = n;
        while left > 0 {
            let buf = match reader.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(buf) => buf,
            };
            let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            let bytes = &buf[..take];
            self.hash.update(bytes);
            let room = MAX_BODY.saturating_sub(self.rec.body.len());
            if self.limit == BodyLimit::Refuse && bytes.len() > room {
                return answer(413, "PAYLOAD_TOO_LARGE");
            }
            self.rec
                .body
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
            self.rec.body_len += take as u64;
            reader.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }
}

fn read_chunked(reader: &mut impl BufRead, sink: &mut BodySink<'_>) -> Result<(), Framing> {
    let bad = || answer(400, "BAD_REQUEST : bad chunked body");
    loop {
        let line = match read_line(reader) {
            Ok(Some(l)) => l,
            _ => return bad(),
        };
        let size_text = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = u64::from_str_radix(size_text, 16) else {
            return bad();
        };
        if size == 0 {
            break;
        }
        if sink.limit == BodyLimit::Refuse
            && sink.rec.body_len.saturating_add(size) > MAX_BODY as u64
        {
            return answer(413, "PAYLOAD_TOO_LARGE");
        }
        if sink.copy(reader, size)? != size {
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

/// FNV-1a, 64-bit: the checksum of `/large` bodies (see `large_body_checksum`) and of the
/// request bodies `/echo` reports. Feed it bytes in any pieces; the result is the same.
#[derive(Clone, Copy, Debug)]
pub struct Fnv1a(u64);

impl Fnv1a {
    pub fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let mut hash = self.0;
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a::new()
    }
}

/// FNV-1a of `bytes` in one go.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = Fnv1a::new();
    hash.update(bytes);
    hash.finish()
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
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        418 => "I'm a teapot",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Statuses whose answers never have a body (nor, here, a Content-Length).
pub(super) fn bodiless(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// The status line and headers of an answer, with the blank line that ends them.
pub(super) fn head_bytes(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Write `resp` whole; for a HEAD request (`head_only`) the headers only.
pub(super) fn write_response(
    out: &mut TcpStream,
    resp: &Response,
    head_only: bool,
) -> io::Result<()> {
    let has = |name: &str| {
        resp.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    let bodiless = bodiless(resp.status);
    let mut headers = Vec::new();
    if !has("content-type") && !bodiless {
        headers.push(("Content-Type".into(), JSON_TYPE.into()));
    }
    if !has("content-length") && !bodiless {
        headers.push(("Content-Length".into(), resp.body.len().to_string()));
    }
    if !has("connection") {
        headers.push(("Connection".into(), "close".into()));
    }
    headers.push(("Server".into(), SERVER.into()));
    headers.extend(resp.headers.iter().cloned());
    let mut bytes = head_bytes(resp.status, &headers);
    if !head_only && !bodiless {
        bytes.extend_from_slice(&resp.body);
    }
    out.write_all(&bytes)?;
    out.flush()
}

/// Whether the client has closed its end (or the connection is gone), without waiting.
pub(super) fn peer_closed(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let closed = match stream.peek(&mut [0u8; 1]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    closed || stream.set_nonblocking(false).is_err()
}

/// Close the connection with a TCP reset instead of an orderly FIN, once the last copy of the
/// socket is closed (SO_LINGER with a zero timeout).
#[allow(unsafe_code)] // setsockopt, which std does not wrap
pub(super) fn reset_on_close(stream: &TcpStream) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket descriptor, and a pointer to a `linger` of the size passed.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                std::ptr::from_ref(&linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(unix))]
    let _ = stream;
}

pub(super) const JSON_TYPE: &str = "application/json; charset=UTF-8";
pub(super) const SERVER: &str = "pointauth-stand-in";

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
        "HTTP/1.1 200 OK\r\nContent-Type: {JSON_TYPE}\r\n\
         Content-Length: {n}\r\nConnection: close\r\nServer: {SERVER}\r\n\r\n"
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
