//! Printing: stdout writes that survive a closed pipe, stderr lines that never panic, the one
//! way an error is reported, and times shown to people.
#![allow(clippy::print_stderr)] // the one place that writes stderr

use std::io::Write;

use chrono::{DateTime, Local, Utc};
use chrono_tz::America::New_York;

use crate::error::{Error, Result};

/// `eprintln!` that survives a closed stderr: a message nobody can read is dropped, never
/// turned into a panic (exit 101) after the work is done.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

pub(crate) fn say_line(args: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{args}");
}

/// Prints an error once, as the contract shows it: `pointauth: <what>`, causes, hint.
pub(crate) fn report(err: &Error) {
    say_line(format_args!("{}", err.report_text()));
}

/// A warning on stderr: `pointauth: warning: <text>`.
pub(crate) fn warn(text: &str) {
    say_line(format_args!("pointauth: warning: {text}"));
}

/// Writes `text` to stdout. A reader that went away is an error, not a panic.
pub(crate) fn print_stdout(text: &str) -> Result<()> {
    write_stdout(text.as_bytes())
}

/// Writes `bytes` to stdout, flushed.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|err| Error::internal("cannot write to standard output").because(err))
}

/// RFC 3339 in UTC with a `Z`, whole seconds: the contract's JSON time format.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "2026-11-30 16:00:00 -05:00 (2026-11-30 16:00 EST)": local time, then US Eastern.
pub(crate) fn local_and_eastern(at: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S %:z"),
        at.with_timezone(&New_York).format("%Y-%m-%d %H:%M %Z")
    )
}

/// "in 42m", "in 1d 3h", "5m ago".
pub(crate) fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let span = human_span(seconds.unsigned_abs());
    if seconds >= 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

fn human_span(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: i64| now + chrono::TimeDelta::seconds(s);
        assert_eq!(relative(at(42 * 60 + 5), now), "in 42m");
        assert_eq!(relative(at(30), now), "in 30s");
        assert_eq!(relative(at(3 * 3600 + 60), now), "in 3h 1m");
        assert_eq!(relative(at(38 * 3600), now), "in 1d 14h");
        assert_eq!(relative(at(-300), now), "5m ago");
    }

    #[test]
    fn json_times_are_utc_with_z_and_eastern_is_named_once() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T10:00:00-05:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339(at), "2026-11-30T15:00:00Z");
        let shown = local_and_eastern(at);
        assert!(shown.ends_with("(2026-11-30 10:00 EST)"), "{shown}");
        assert!(!shown.contains("Eastern"), "{shown}");
    }
}
