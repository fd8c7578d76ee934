//! The generated answer bodies of `/large`, `/slow` and `/stall`: one deterministic byte
//! pattern, its checksum, and writing it fast (whole pre-filled blocks), paced, or stalled.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

use super::Shared;
use super::http::{self, Fnv1a, SERVER};

/// The pattern's block: within one the bytes run with period 251; each block starts one
/// step further on, so a block that is duplicated, dropped or moved changes the bytes.
pub const LARGE_BLOCK: u64 = 1 << 20;
/// A prime, so that no power-of-two buffer size is a multiple of it.
const PERIOD: u64 = 251;

/// Byte `offset` of every generated body: `(offset + offset / LARGE_BLOCK) % 251`.
pub fn large_body_byte(offset: u64) -> u8 {
    ((offset + offset / LARGE_BLOCK) % PERIOD) as u8
}

/// FNV-1a (64-bit, as `Fnv1a`) of the first `n` bytes of the generated body: what a client
/// that received `/large?bytes=N` intact computes over what it received.
pub fn large_body_checksum(n: u64) -> u64 {
    let mut hash = Fnv1a::new();
    let mut offset = 0;
    while offset < n {
        let piece = segment(offset, n);
        hash.update(piece);
        offset += piece.len() as u64;
    }
    hash.finish()
}

/// 0, 1, … 250, 0, 1, … for one block and one period more, built once: every stretch of the
/// pattern that stays within one block is a slice of it.
fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..LARGE_BLOCK + PERIOD)
            .map(|j| (j % PERIOD) as u8)
            .collect()
    })
}

/// The pattern from `offset` to the end of its block or to `end`, whichever comes first.
fn segment(offset: u64, end: u64) -> &'static [u8] {
    let block = offset / LARGE_BLOCK;
    let len = (LARGE_BLOCK - offset % LARGE_BLOCK).min(end - offset);
    let phase = ((offset + block) % PERIOD) as usize;
    &pattern()[phase..phase + len as usize]
}

/// A generated 200 answer: `length` is its Content-Length.
pub(super) enum Stream {
    /// All of it, as fast as the client takes it.
    Fast { length: u64 },
    /// `chunk` bytes, then a pause of `every`, and so on.
    Paced {
        length: u64,
        every: Duration,
        chunk: u64,
    },
    /// The first `after` bytes, then nothing (the connection stays open) until the drop
    /// or until the client closes its end.
    Stall { length: u64, after: u64 },
}

impl Stream {
    pub(super) fn length(&self) -> u64 {
        match *self {
            Stream::Fast { length }
            | Stream::Paced { length, .. }
            | Stream::Stall { length, .. } => length,
        }
    }
}

/// Write the answer (only its head for HEAD): how many body bytes went out, and whether
/// writing failed (the client went away).
pub(super) fn write_stream(
    out: &mut TcpStream,
    shared: &Shared,
    stream: &Stream,
    head_only: bool,
) -> (u64, io::Result<()>) {
    let mut sent = 0;
    let result = write_all(out, shared, stream, head_only, &mut sent);
    (sent, result)
}

fn write_all(
    out: &mut TcpStream,
    shared: &Shared,
    stream: &Stream,
    head_only: bool,
    sent: &mut u64,
) -> io::Result<()> {
    let headers = [
        ("Content-Type", "application/octet-stream".to_string()),
        ("Content-Length", stream.length().to_string()),
        ("Connection", "close".to_string()),
        ("Cache-Control", "no-store".to_string()),
        ("Server", SERVER.to_string()),
    ]
    .map(|(k, v)| (k.to_string(), v));
    out.write_all(&http::head_bytes(200, &headers))?;
    out.flush()?;
    if head_only {
        return Ok(());
    }
    match *stream {
        Stream::Fast { length } => write_pattern(out, shared, sent, length),
        Stream::Paced {
            length,
            every,
            chunk,
        } => {
            while *sent < length && !shared.stopping() {
                if *sent > 0 {
                    shared.sleep(every);
                }
                let end = sent.saturating_add(chunk.max(1)).min(length);
                write_pattern(out, shared, sent, end)?;
                out.flush()?;
            }
            Ok(())
        }
        Stream::Stall { after, .. } => {
            write_pattern(out, shared, sent, after)?;
            out.flush()?;
            // Until the drop, or until the client gives up (so the demo does not pile up
            // threads for clients long gone).
            while !shared.stopping() && !http::peer_closed(out) {
                shared.sleep(Duration::from_millis(200));
            }
            Ok(())
        }
    }
}

/// The pattern from `*sent` up to `to`, a block (1 MiB) per write, `*sent` kept up to date;
/// stops early when the StandIn is dropped.
fn write_pattern(out: &mut TcpStream, shared: &Shared, sent: &mut u64, to: u64) -> io::Result<()> {
    while *sent < to && !shared.stopping() {
        let piece = segment(*sent, to);
        out.write_all(piece)?;
        *sent += piece.len() as u64;
    }
    Ok(())
}
