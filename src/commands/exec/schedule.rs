//! When `exec --token-file` asks for a new token, and what it makes of the answer: a pure
//! plan over `now`, so its rules are tested without a clock or a service.
//!
//! A token is replaced shortly *before* its remaining life falls below the minimum time to
//! live (a lead of at most a minute, for the refresh itself to take). A refresh that fails for
//! a passing reason is tried again with backoff, 1 s doubling to 30 s, while the file's token
//! is valid and after. When the session has ended (and no sign-in could replace it), it is
//! looked for again every minute, so a `pointauth login` elsewhere fills the file again; any
//! other failure (a wrong password in the environment, a usage error) ends the refreshes. A
//! file whose token has expired is removed.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::auth::{MinTtl, Want};
use crate::error::{Error, Kind};
use crate::output::relative;
use crate::session::Access;

/// The most a refresh is started ahead of the minimum time to live.
const MAX_LEAD: Duration = Duration::from_secs(60);
/// The least time between two tokens had, at least (a twentieth of a token's life if longer):
/// a --min-ttl close to the token's lifetime must not make a refresh loop.
const MIN_GAP: Duration = Duration::from_secs(1);
/// Backoff after passing failures: doubling from 1 s to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often an ended session is looked for again.
const ENDED_RECHECK: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(super) struct Plan {
    min_ttl: MinTtl,
    /// The expiry of the token in the file, while there is one.
    in_file: Option<DateTime<Utc>>,
    /// The last token had: a refresh asks for any other.
    last: u64,
    /// When to ask for a new token next; `None`: never again.
    next_try: Option<DateTime<Utc>>,
    /// Passing failures in a row.
    failures: u32,
    /// The session has ended (said once).
    ended: bool,
}

impl Plan {
    /// The plan for the token just written to the file.
    pub(super) fn new(min_ttl: MinTtl, access: &Access, now: DateTime<Utc>) -> Plan {
        Plan {
            min_ttl,
            in_file: Some(access.expires_at),
            last: access.fingerprint(),
            next_try: Some(refresh_at(access, min_ttl, now)),
            failures: 0,
            ended: false,
        }
    }

    /// What to ask the session logic for: any token but the last one had (another process's
    /// refresh if there was one, else a refresh now), with no stale fallback.
    pub(super) fn want(&self) -> Want {
        Want::Replacing(self.last)
    }

    pub(super) fn due(&self, now: DateTime<Utc>) -> bool {
        self.next_try.is_some_and(|at| now >= at)
    }

    /// The next moment something is to be done: a refresh, or a file whose token expires.
    pub(super) fn wake_at(&self, refreshing: bool) -> Option<DateTime<Utc>> {
        let next_try = self.next_try.filter(|_| !refreshing);
        match (next_try, self.in_file) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the file's token has just expired: the file is to be removed.
    pub(super) fn expired(&mut self, now: DateTime<Utc>) -> bool {
        if self.in_file.is_some_and(|expiry| now >= expiry) {
            self.in_file = None;
            return true;
        }
        false
    }

    /// A new token was written to the file; a notice when that ends a spell of failures.
    pub(super) fn written(&mut self, access: &Access, now: DateTime<Utc>) -> Option<String> {
        let notice = (self.failures > 0 || self.ended || self.in_file.is_none()).then(|| {
            format!(
                "the token file has a fresh token again, which expires {}",
                relative(access.expires_at, now)
            )
        });
        self.in_file = Some(access.expires_at);
        self.last = access.fingerprint();
        self.next_try = Some(refresh_at(access, self.min_ttl, now));
        self.failures = 0;
        self.ended = false;
        notice
    }

    /// No new token: when to try again, and the warning to show, if any.
    pub(super) fn failed(&mut self, err: &Error, now: DateTime<Utc>) -> Option<String> {
        match err.kind() {
            Kind::Service => Some(self.passing(err.message(), now)),
            Kind::Session => {
                self.next_try = Some(now + delta(ENDED_RECHECK));
                let first = !self.ended;
                self.ended = true;
                first.then(|| {
                    format!(
                        "{}; {}, and the command keeps running (after `pointauth login` the file \
                         gets a fresh token again)",
                        err.message(),
                        self.file_fate(now)
                    )
                })
            }
            _ => {
                self.next_try = None;
                Some(format!(
                    "{}; no more refreshes: {}, and the command keeps running",
                    err.message(),
                    self.file_fate(now)
                ))
            }
        }
    }

    /// A failure that may pass (the service, the network, a file that could not be written):
    /// tried again with backoff. The warning.
    pub(super) fn passing(&mut self, what: &str, now: DateTime<Utc>) -> String {
        self.failures = self.failures.saturating_add(1);
        let backoff =
            Duration::from_secs(1u64 << self.failures.min(6).saturating_sub(1)).min(MAX_BACKOFF);
        self.next_try = Some(now + delta(backoff));
        let left = match self.in_file {
            Some(expiry) => format!(
                "the token in the file is still valid and expires {}",
                relative(expiry, now)
            ),
            None => "the token file stays away until then".to_owned(),
        };
        format!("{what}; trying again in {} s ({left})", backoff.as_secs())
    }

    fn file_fate(&self, now: DateTime<Utc>) -> String {
        match self.in_file {
            Some(expiry) => format!(
                "the token file is removed when its token expires {}",
                relative(expiry, now)
            ),
            None => "the token file has been removed".to_owned(),
        }
    }
}

/// When to replace `access`: a little before its remaining life falls below the minimum time
/// to live, and never sooner than `MIN_GAP` from `now`, or a twentieth of its lifetime while
/// it has more than twice that left.
pub(super) fn refresh_at(access: &Access, min_ttl: MinTtl, now: DateTime<Utc>) -> DateTime<Utc> {
    let ttl = min_ttl.for_access(access);
    let lifetime = match access.lifetime {
        Some(seconds) => Duration::from_secs(u64::from(seconds)),
        None => (access.expires_at - now).to_std().unwrap_or_default(),
    };
    let lead = MAX_LEAD.min(ttl / 2).min(lifetime.saturating_sub(ttl) / 2);
    let left = (access.expires_at - now).to_std().unwrap_or_default();
    let soonest = now + delta(MIN_GAP.max((lifetime / 20).min(left / 2)));
    access
        .expires_at
        .checked_sub_signed(delta(ttl + lead))
        .map_or(soonest, |due| due.max(soonest))
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn access(token: &str, lifetime: u32, left: i64) -> Access {
        Access {
            base_url: "https://api.pointservices.com".to_owned(),
            username: "alice@example.com".to_owned(),
            token: Secret::new(token.to_owned()),
            expires_at: now() + TimeDelta::seconds(left),
            lifetime: Some(lifetime),
        }
    }

    fn secs(s: f64) -> TimeDelta {
        TimeDelta::milliseconds((s * 1000.0) as i64)
    }

    #[test]
    fn a_token_is_replaced_a_little_before_it_falls_below_the_minimum_time_to_live() {
        let hour = access("a", 3600, 3600);
        // The default 5 minutes, a minute ahead.
        assert_eq!(
            refresh_at(&hour, MinTtl::Default, now()),
            hour.expires_at - secs(360.0)
        );
        let explicit = MinTtl::Explicit(Duration::from_secs(1800));
        assert_eq!(
            refresh_at(&hour, explicit, now()),
            hour.expires_at - secs(1860.0)
        );
        // 3-second tokens: half their life in whole seconds is the default, half that ahead.
        let short = access("b", 3, 3);
        let one = MinTtl::Explicit(Duration::from_secs(1));
        assert_eq!(
            refresh_at(&short, MinTtl::Default, now()),
            now() + secs(1.5)
        );
        assert_eq!(refresh_at(&short, one, now()), now() + secs(1.5));
        // Never sooner than a second: 2-second tokens with the minimum time to live at 1.5 s.
        let two = access("c", 2, 2);
        let half = MinTtl::Explicit(Duration::from_millis(1500));
        assert_eq!(refresh_at(&two, half, now()), now() + secs(1.0));
    }

    #[test]
    fn a_minimum_time_to_live_near_the_lifetime_makes_no_refresh_loop() {
        let hour = access("a", 3600, 3600);
        let all = MinTtl::Explicit(Duration::from_secs(3600));
        assert_eq!(refresh_at(&hour, all, now()), now() + secs(180.0));
        let stale = access("b", 3600, 10);
        assert_eq!(
            refresh_at(&stale, MinTtl::Default, now()),
            now() + secs(5.0)
        );
        // Three quarters of a 200-second life: ahead by half the 50 s beyond it, not a minute.
        let short = access("c", 200, 200);
        let most = MinTtl::Explicit(Duration::from_secs(150));
        assert_eq!(refresh_at(&short, most, now()), now() + secs(25.0));
    }

    #[test]
    fn a_token_written_after_a_failure_says_so_while_the_old_one_is_still_good() {
        let mut plan = Plan::new(MinTtl::Default, &access("a", 60, 60), now());
        let down = Error::new(Kind::Service, "refresh failed: HTTP 503");
        assert!(plan.failed(&down, now()).is_some());
        let later = now() + TimeDelta::seconds(5);
        let notice = plan.written(&access("b", 60, 65), later).unwrap();
        assert!(notice.contains("fresh token again"), "{notice}");
    }

    #[test]
    fn passing_failures_back_off_and_the_file_goes_when_its_token_expires() {
        let first = access("a", 60, 60);
        let mut plan = Plan::new(MinTtl::Default, &first, now());
        assert_eq!(plan.want(), Want::Replacing(first.fingerprint()));
        let down = Error::new(Kind::Service, "refresh failed: HTTP 503");
        let mut waits = Vec::new();
        for _ in 0..7 {
            let warning = plan.failed(&down, now()).unwrap();
            assert!(
                warning.starts_with("refresh failed: HTTP 503; trying again in"),
                "{warning}"
            );
            waits.push(plan.next_try.unwrap() - now());
        }
        let expected: Vec<TimeDelta> = [1, 2, 4, 8, 16, 30, 30].map(TimeDelta::seconds).into();
        assert_eq!(waits, expected);
        assert_eq!(plan.wake_at(false), Some(now() + TimeDelta::seconds(30)));
        assert_eq!(
            plan.wake_at(true),
            Some(first.expires_at),
            "only the expiry while refreshing"
        );
        assert!(!plan.expired(first.expires_at - TimeDelta::seconds(1)));
        assert!(plan.expired(first.expires_at));
        assert!(!plan.expired(first.expires_at), "removed once");
        let later = now() + TimeDelta::seconds(90);
        let second = access("b", 60, 150);
        let notice = plan.written(&second, later).unwrap();
        assert!(notice.contains("fresh token again"), "{notice}");
        assert_eq!(plan.want(), Want::Replacing(second.fingerprint()));
        assert!(
            plan.written(&access("c", 60, 150), later).is_none(),
            "no news"
        );
    }

    #[test]
    fn an_ended_session_is_said_once_and_looked_for_again() {
        let mut plan = Plan::new(MinTtl::Default, &access("a", 60, 60), now());
        let ended = Error::session("the session has ended");
        let warning = plan.failed(&ended, now()).unwrap();
        assert!(
            warning.contains("removed when its token expires in 1m"),
            "{warning}"
        );
        assert!(warning.contains("keeps running"), "{warning}");
        assert!(plan.failed(&ended, now()).is_none(), "said once");
        assert_eq!(plan.next_try, Some(now() + TimeDelta::seconds(60)));
        // A `pointauth login` elsewhere, while the file's token is still good.
        let later = now() + TimeDelta::seconds(60);
        let notice = plan.written(&access("b", 60, 60), later).unwrap();
        assert!(notice.contains("fresh token again"), "{notice}");
    }

    #[test]
    fn any_other_failure_ends_the_refreshes() {
        let first = access("a", 60, 60);
        let mut plan = Plan::new(MinTtl::Default, &first, now());
        let wrong = Error::new(Kind::Credentials, "sign-in failed: INVALID_PASSWORD");
        let warning = plan.failed(&wrong, now()).unwrap();
        assert!(warning.contains("no more refreshes"), "{warning}");
        assert!(!plan.due(now() + TimeDelta::days(1)));
        assert_eq!(plan.wake_at(false), Some(first.expires_at));
    }
}
