//! Keychain calls on a watchdog: an answer within the time limit, or `TimedOut`. A keychain
//! waiting for an unlock prompt, or a D-Bus activation that stalls, must never hang pointauth.

use std::sync::mpsc;
use std::time::Duration;

use crate::store::{StoreError, StoreResult};

/// Runs `op` on a worker thread and gives up after `timeout`. The worker is left to finish
/// (or hang) on its own; the process does not wait for it at exit.
pub(super) fn bounded<T: Send + 'static>(
    store: &'static str,
    timeout: Duration,
    op: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("keychain".into())
        .spawn(move || {
            let _ = tx.send(op());
        });
    if let Err(err) = spawned {
        return Err(StoreError::Unavailable {
            store,
            reason: format!("cannot start a thread: {err}"),
        });
    }
    rx.recv_timeout(timeout).unwrap_or_else(|err| match err {
        mpsc::RecvTimeoutError::Timeout => Err(StoreError::TimedOut {
            store,
            after: timeout,
        }),
        // The worker ended without an answer: the keychain library panicked.
        mpsc::RecvTimeoutError::Disconnected => Err(StoreError::Unavailable {
            store,
            reason: "it failed unexpectedly".into(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn an_answer_in_time_is_passed_through() {
        assert_eq!(
            bounded("test", Duration::from_secs(5), || Ok(7)).unwrap(),
            7
        );
    }

    #[test]
    fn a_call_that_never_answers_is_abandoned_in_time() {
        let started = Instant::now();
        let err = bounded("test", Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        })
        .unwrap_err();
        // The point is that it ends, long before the call would (60 s): expected ~0.1 s (the
        // timeout), and 10 s is a hundred times that for a loaded machine.
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(matches!(err, StoreError::TimedOut { .. }), "{err:?}");
    }

    #[test]
    fn a_call_that_panics_is_an_error_not_a_timeout() {
        let started = Instant::now();
        let err = bounded::<()>("test", Duration::from_secs(30), || {
            panic!("the keychain library panicked")
        })
        .unwrap_err();
        // Expected at once (the worker's end is seen when its sender drops); 10 s is a wide
        // margin for a loaded machine, and a third of the 30 s timeout a missed panic waits.
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(err.to_string().contains("failed unexpectedly"), "{err}");
    }
}
