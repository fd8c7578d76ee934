//! When to try again: exponential backoff with jitter from a seeded source, `Retry-After`
//! as seconds or an HTTP date, and the limits every call keeps to.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// At most this many attempts per call, the first included.
pub(super) const MAX_ATTEMPTS: u32 = 3;
/// No attempt is given less than this, even when the budget is nearly spent.
const MIN_ATTEMPT: Duration = Duration::from_millis(200);

/// `--timeout` as one budget for a command's network work: every call, attempt, backoff and
/// `Retry-After` wait shares it, and no attempt waits more than a third of it for an answer.
/// It starts with the first request.
#[derive(Debug)]
pub(super) struct Budget {
    total: Duration,
    deadline: std::cell::OnceCell<Instant>,
}

impl Budget {
    pub(super) fn new(total: Duration) -> Self {
        Budget {
            total,
            deadline: std::cell::OnceCell::new(),
        }
    }

    pub(super) fn total(&self) -> Duration {
        self.total
    }

    fn deadline(&self) -> Instant {
        *self.deadline.get_or_init(|| Instant::now() + self.total)
    }

    /// What is left of the budget.
    pub(super) fn remaining(&self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }

    /// How long the next attempt may wait for an answer; `None` when the budget is spent.
    pub(super) fn next_attempt(&self) -> Option<Duration> {
        let remaining = self.remaining();
        (remaining >= MIN_ATTEMPT)
            .then(|| (self.total / MAX_ATTEMPTS).max(MIN_ATTEMPT).min(remaining))
    }

    /// Whether waiting `wait` still leaves time for another attempt.
    pub(super) fn allows_wait(&self, wait: Duration) -> bool {
        self.remaining() >= wait + MIN_ATTEMPT
    }
}

/// The waits between attempts: a random wait below 0.5 s · 2^(attempt-1), at most 8 s, and
/// at least a tenth of that ceiling so retries never arrive all at once. The randomness comes
/// from a seed (settings draws one per process), so a test can pin it.
#[derive(Clone, Debug)]
pub(super) struct Backoff {
    state: u64,
}

impl Backoff {
    pub(super) fn new(seed: u64) -> Self {
        Backoff { state: seed }
    }

    /// The wait after failed attempt number `attempt` (1-based).
    pub(super) fn wait(&mut self, attempt: u32) -> Duration {
        let ceiling_ms = ceiling_ms(attempt);
        let floor_ms = ceiling_ms / 10;
        let spread = ceiling_ms - floor_ms + 1;
        Duration::from_millis(floor_ms + self.next() % spread)
    }

    /// splitmix64: plenty of randomness for spreading retries apart.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn ceiling_ms(attempt: u32) -> u64 {
    (500u64 << attempt.saturating_sub(1).min(4)).min(8_000)
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), measured from `now`; a
/// date already past means "now". Anything else counts as absent.
pub(super) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_no_attempt_takes_more_than_a_third() {
        // The budget runs on the wall clock from the first call: 30 s, so that the check of
        // what is left holds even if a loaded machine stalls this thread for seconds.
        let budget = Budget::new(Duration::from_secs(30));
        let first = budget.next_attempt().unwrap();
        assert_eq!(first, Duration::from_secs(10));
        assert!(budget.allows_wait(Duration::from_secs(20)));
        assert!(!budget.allows_wait(Duration::from_secs(30)));
        let spent = Budget::new(Duration::from_millis(100));
        assert_eq!(spent.next_attempt(), None, "too little left for an attempt");
        // A short budget still gives an attempt its floor, but never more than is left.
        let short = Budget::new(Duration::from_millis(450));
        let attempt = short.next_attempt().unwrap();
        assert!(
            attempt >= MIN_ATTEMPT && attempt <= Duration::from_millis(450),
            "{attempt:?}"
        );
    }

    #[test]
    fn backoff_grows_within_its_floor_and_ceiling() {
        let mut backoff = Backoff::new(42);
        for attempt in 1..10 {
            let ceiling = ceiling_ms(attempt);
            for _ in 0..200 {
                let wait = backoff.wait(attempt).as_millis() as u64;
                assert!(wait <= ceiling, "{attempt}: {wait}");
                assert!(wait >= ceiling / 10, "{attempt}: {wait}");
            }
        }
        assert_eq!(ceiling_ms(1), 500);
        assert_eq!(ceiling_ms(2), 1000);
        assert_eq!(ceiling_ms(5), 8000);
        assert_eq!(ceiling_ms(9), 8000);
    }

    #[test]
    fn a_seed_pins_every_wait_drawn_evenly_from_floor_to_ceiling() {
        // The generator is splitmix64: its published reference output for seed 1234567.
        let mut backoff = Backoff::new(1_234_567);
        let drawn: Vec<u64> = (0..3).map(|_| backoff.next()).collect();
        assert_eq!(
            drawn,
            [
                6457827717110365317,
                3203168211198807973,
                9817491932198370423
            ]
        );
        // Each wait is floor + draw mod (ceiling - floor + 1), worked out apart from this
        // code (splitmix64 and that formula in a few lines of Python): seed 7 gives these
        // six, one per attempt.
        let mut backoff = Backoff::new(7);
        let waits: Vec<u128> = (1..=6).map(|n| backoff.wait(n).as_millis()).collect();
        assert_eq!(waits, [63, 617, 1185, 2878, 6753, 4733]);
    }

    #[test]
    fn clients_with_different_seeds_do_not_retry_in_lock_step() {
        let waits = |seed| {
            let mut backoff = Backoff::new(seed);
            (1..=3)
                .map(|attempt| backoff.wait(attempt))
                .collect::<Vec<_>>()
        };
        assert_eq!(waits(7), waits(7), "a seed pins the waits");
        let distinct: std::collections::BTreeSet<_> = (0..20).map(waits).collect();
        assert!(distinct.len() >= 15, "{distinct:?}");
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let parse = |value: &str| parse_retry_after(value, now);
        assert_eq!(parse("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse("Mon, 30 Nov 2026 15:00:20 GMT"),
            Some(Duration::from_secs(20))
        );
        assert_eq!(parse("Mon, 30 Nov 2026 14:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse("soon"), None);
        assert_eq!(parse(""), None);
    }
}
