//! Scripted misbehaviour: the `Fault` enum, the endpoints a fault can be queued for, and the
//! per-endpoint FIFO queues the connection handlers take them from.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::Value;

use super::{REFRESH_PATH, SIGN_IN_PATH};

/// An auth endpoint, for `StandIn::script`. (Faults for the API routes are queued with
/// `StandIn::script_api`: a third variant here would break the tests that match on this.)
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
}

/// Where a request goes, as far as faults and counters are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target {
    SignIn,
    Refresh,
    /// Every other path: the API routes that take a bearer token (`/whoami`, `/echo`,
    /// `/status/…`, `/redirect…`, `/large`, `/slow`, `/stall`) and paths that answer 404.
    Api,
}

impl Target {
    /// Where a request path (without its query) goes.
    pub(super) fn of_path(path: &str) -> Target {
        match path {
            SIGN_IN_PATH => Target::SignIn,
            REFRESH_PATH => Target::Refresh,
            _ => Target::Api,
        }
    }
}

impl From<Endpoint> for Target {
    fn from(endpoint: Endpoint) -> Target {
        match endpoint {
            Endpoint::SignIn => Target::SignIn,
            Endpoint::Refresh => Target::Refresh,
        }
    }
}

/// A scripted answer, used once for the next request to its endpoint (FIFO),
/// before normal behaviour resumes. A fault is consumed by the next request
/// whose path is the endpoint's, whatever its method or body (but not by one
/// rejected earlier for bad framing, e.g. 413). A fault for the API routes
/// (`script_api`) comes before the bearer-token check, as a gateway's answer would.
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
    /// Read the request line and headers, then reset the connection (TCP RST) without
    /// reading the body or answering: the request never reached the service. Taken from
    /// the queue as soon as the headers are in, so no framing check comes first.
    ResetBeforeBody,
    /// Read the whole request, then reset the connection (TCP RST) without answering.
    Reset,
    /// Read the request, then sleep this long without answering, then close.
    /// (Cut short when the StandIn is dropped.)
    Hang(Duration),
    /// A 200 answer with a body of this many bytes (`{"access_token":"aaaa…"}`,
    /// Content-Length framed), streamed in chunks; stops quietly if the client
    /// hangs up.
    HugeBody(usize),
    /// Answer normally, and if that is a success, merge this JSON object over the
    /// success body (keys with value null are removed). A non-object value
    /// replaces the whole success body. Error answers are left as they are, and
    /// so are API answers that are not JSON (`/large`, `/slow`, `/stall`).
    Patch(Value),
}

/// The queued faults, one FIFO per target.
#[derive(Default)]
pub(super) struct FaultQueues {
    sign_in: VecDeque<Fault>,
    refresh: VecDeque<Fault>,
    api: VecDeque<Fault>,
}

impl FaultQueues {
    pub(super) fn push(&mut self, target: Target, fault: Fault) {
        self.queue(target).push_back(fault);
    }

    pub(super) fn pop(&mut self, target: Target) -> Option<Fault> {
        self.queue(target).pop_front()
    }

    /// Take the next fault only if it acts before the body is read.
    pub(super) fn pop_before_body(&mut self, target: Target) -> Option<Fault> {
        let queue = self.queue(target);
        if matches!(queue.front(), Some(Fault::ResetBeforeBody)) {
            queue.pop_front()
        } else {
            None
        }
    }

    fn queue(&mut self, target: Target) -> &mut VecDeque<Fault> {
        match target {
            Target::SignIn => &mut self.sign_in,
            Target::Refresh => &mut self.refresh,
            Target::Api => &mut self.api,
        }
    }
}
