//! The request log: one `RequestLog` per request the stand-in answered (or refused to), for
//! `StandIn::on_request`, and its one-line form. Never a query string, token or password.

use std::fmt;

use super::{REFRESH_PATH, SIGN_IN_PATH};

/// Longest path shown; the rest is cut.
const MAX_PATH: usize = 120;

/// One request, once its answer is written (or the connection ended without one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLog {
    /// 1 for the first request with a parseable request line, and so on (`request_count`).
    pub seq: usize,
    pub method: String,
    /// The path without its query string, every token this server issued shown as
    /// `[token]`, control characters as `?`, cut after 120 characters.
    pub path: String,
    /// The status answered, if an HTTP answer was written.
    pub status: Option<u16>,
    /// What else happened: why a token was refused, a scripted fault, a streamed body's size,
    /// a connection closed or reset without an answer.
    pub detail: Option<String>,
    /// The counters when the entry is made (other requests may have arrived meanwhile).
    pub sign_ins: usize,
    pub refreshes: usize,
    pub api: usize,
}

/// `#12 POST …/signInWithPassword -> 200 (sign-ins 1, refreshes 3, api 8)`
impl fmt::Display for RequestLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = match self.path.as_str() {
            SIGN_IN_PATH => "…/signInWithPassword",
            REFRESH_PATH => "…/refreshIdToken",
            other => other,
        };
        write!(f, "#{} {} {path} -> ", self.seq, self.method)?;
        match (self.status, &self.detail) {
            (Some(status), Some(detail)) => write!(f, "{status}, {detail}")?,
            (Some(status), None) => write!(f, "{status}")?,
            (None, Some(detail)) => write!(f, "{detail}")?,
            (None, None) => write!(f, "no answer")?,
        }
        write!(
            f,
            " (sign-ins {}, refreshes {}, api {})",
            self.sign_ins, self.refreshes, self.api
        )
    }
}

/// A request path fit for the log: see `RequestLog::path`.
pub(super) fn safe_path(path: &str, tokens: &[String]) -> String {
    let mut shown = path.to_string();
    for token in tokens {
        if shown.contains(token.as_str()) {
            shown = shown.replace(token.as_str(), "[token]");
        }
    }
    let mut out: String = shown
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(MAX_PATH)
        .collect();
    if shown.chars().count() > MAX_PATH {
        out.push('…');
    }
    out
}

/// A byte count for people: `512 bytes`, `1.5 MiB`, `4.0 GiB`.
pub(super) fn bytes(n: u64) -> String {
    const MIB: u64 = 1 << 20;
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= MIB => format!("{:.1} MiB", n as f64 / MIB as f64),
        n => format!("{n} bytes"),
    }
}
