//! Support any module's unit tests may use (compiled only for tests).

use std::sync::mpsc;
use std::time::Duration;

/// What `f` returns, run on a thread of its own; the test fails if `f` has not returned
/// within `limit`. For calls whose point is that they never hang (a FIFO, a held lock): a
/// hang fails the test instead of stalling the whole run. Give `limit` a margin of many
/// times the expected time, so that a loaded machine never trips it.
pub(crate) fn ends_within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = mpsc::sync_channel(1);
    let thread = std::thread::spawn(move || {
        let _ = done.send(f());
    });
    match result.recv_timeout(limit) {
        Ok(value) => value,
        // It panicked: fail with its panic.
        Err(mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("still running after {limit:?}: it hangs"),
    }
}
