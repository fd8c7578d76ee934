//! Scripted misbehaviour: the `Fault` enum, the endpoints a fault can be queued for, and the
//! per-endpoint FIFO queues the connection handlers take them from.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::Value;

use super::{REFRESH_PATH, SIGN_IN_PATH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    SignIn,
    Refresh,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::SignIn => SIGN_IN_PATH,
            Endpoint::Refresh => REFRESH_PATH,
        }
    }

    /// The endpoint a request path (without its query) belongs to.
    pub(super) fn of_path(path: &str) -> Option<Endpoint> {
        match path {
            SIGN_IN_PATH => Some(Endpoint::SignIn),
            REFRESH_PATH => Some(Endpoint::Refresh),
            _ => None,
        }
    }
}

/// A scripted answer, used once for the next request to its endpoint (FIFO),
/// before normal behaviour resumes. A fault is consumed by the next request
/// whose path is the endpoint's, whatever its method or body (but not by one
/// rejected earlier for bad framing, e.g. 413).
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status, body and extra headers (e.g. ("Retry-After", "1")).
    /// Content-Type application/json unless headers override it (Content-Length
    /// and Connection may be overridden too).
    Status {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Write these raw bytes to the socket verbatim (may be a truncated or
    /// malformed HTTP response), then close.
    Raw(Vec<u8>),
    /// Close the connection without answering (after reading the request).
    Close,
    /// Read the request, then sleep this long without answering, then close.
    /// (Cut short when the StandIn is dropped.)
    Hang(Duration),
    /// A 200 answer with a body of this many bytes (`{"access_token":"aaaa…"}`,
    /// Content-Length framed), streamed in chunks; stops quietly if the client
    /// hangs up.
    HugeBody(usize),
    /// Answer normally, and if that is a success, merge this JSON object over the
    /// success body (keys with value null are removed). A non-object value
    /// replaces the whole success body. Error answers are left as they are.
    Patch(Value),
}

/// The queued faults, one FIFO per endpoint.
#[derive(Default)]
pub(super) struct FaultQueues {
    sign_in: VecDeque<Fault>,
    refresh: VecDeque<Fault>,
}

impl FaultQueues {
    pub(super) fn push(&mut self, endpoint: Endpoint, fault: Fault) {
        self.queue(endpoint).push_back(fault);
    }

    pub(super) fn pop(&mut self, endpoint: Endpoint) -> Option<Fault> {
        self.queue(endpoint).pop_front()
    }

    fn queue(&mut self, endpoint: Endpoint) -> &mut VecDeque<Fault> {
        match endpoint {
            Endpoint::SignIn => &mut self.sign_in,
            Endpoint::Refresh => &mut self.refresh,
        }
    }
}
