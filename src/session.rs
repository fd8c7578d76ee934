//! A session (two tokens and their expiries) and the lifetime rules, as pure functions of `now`.
//! Its short-lived half, `Access`, is what `token` hands out and all a quick copy may hold.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Where "now" comes from. Settings hands out the system clock; tests pass their own.
pub(crate) trait Clock: Send + Sync {
    /// The current instant in whole seconds: expiries computed from it err early, never late.
    fn now(&self) -> DateTime<Utc>;
}

impl std::fmt::Debug for dyn Clock + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// The system's clock.
#[derive(Debug)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        #[allow(clippy::disallowed_methods)] // the clock's one reader
        Utc::now().trunc_subsecs(0)
    }
}

/// A refresh token lives 24 elapsed hours from sign-in...
const REFRESH_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What a successful sign-in or refresh answered.
#[derive(Debug)]
pub(crate) struct Grant {
    pub(crate) access_token: Secret<String>,
    /// `None` when a refresh answer carried no refresh token: the stored one stays.
    pub(crate) refresh_token: Option<Secret<String>>,
    /// Seconds, already checked to be within 1..=86400.
    pub(crate) expires_in: u32,
}

/// The access token and whose it is: everything `token` needs, and nothing that could get
/// another one. A store slow to read keeps a copy of this alone in the kernel keyring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Access {
    /// The base URL it was signed in to, in `BaseUrl`'s canonical form.
    pub(crate) base_url: String,
    pub(crate) username: String,
    pub(crate) token: Secret<String>,
    pub(crate) expires_at: DateTime<Utc>,
    /// How long the service's last access token lived (`expires_in`), if known: the default
    /// minimum time to live adapts to short-lived tokens.
    pub(crate) lifetime: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) access: Access,
    pub(crate) refresh_token: Secret<String>,
    /// When the sign-in that produced this refresh token was answered.
    pub(crate) refresh_issued_at: DateTime<Utc>,
    pub(crate) refresh_expires_at: DateTime<Utc>,
}

/// Why stored text is not a session. Says what is wrong, never what is there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FormatError {
    #[error("not a pointauth session ({what} at line {line} column {column})")]
    NotASession {
        what: &'static str,
        line: usize,
        column: usize,
    },
    #[error("written by another pointauth version (format {0})")]
    Version(u32),
    #[error("a token is empty")]
    EmptyToken,
}

/// Access token expiry: the answer's arrival plus `expires_in`, by the local clock.
pub(crate) fn access_expiry(received: DateTime<Utc>, expires_in: u32) -> DateTime<Utc> {
    received
        .checked_add_signed(chrono::TimeDelta::seconds(i64::from(expires_in)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Refresh token expiry: `issued_at + 24 h` (elapsed), rounded up to the next midnight in
/// America/New_York. An instant that is exactly midnight stays as it is.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use pointauth::session::refresh_expiry;
///
/// let at = |s: &str| s.parse::<DateTime<Utc>>().expect("an RFC 3339 instant");
/// // The contract's examples: an afternoon sign-in, and the night DST ends.
/// assert_eq!(refresh_expiry(at("2026-11-30T15:00:00Z")), at("2026-12-02T05:00:00Z"));
/// assert_eq!(refresh_expiry(at("2026-11-01T04:30:00Z")), at("2026-11-02T05:00:00Z"));
/// ```
pub fn refresh_expiry(issued_at: DateTime<Utc>) -> DateTime<Utc> {
    // Checked: a hand-edited session may hold any instant chrono can represent.
    let Some(deadline) = issued_at.checked_add_signed(REFRESH_LIFETIME) else {
        return DateTime::<Utc>::MAX_UTC;
    };
    let local = deadline.with_timezone(&New_York);
    if local.time() == NaiveTime::MIN {
        return deadline;
    }
    // New York changes offset at 02:00, so local midnight always exists exactly once;
    // `earliest` cannot be `None`. Falling back to the unrounded deadline errs early.
    local
        .date_naive()
        .checked_add_days(Days::new(1))
        .and_then(|next_day| {
            New_York
                .from_local_datetime(&next_day.and_time(NaiveTime::MIN))
                .earliest()
        })
        .map_or(deadline, |midnight| midnight.with_timezone(&Utc))
}

impl Session {
    /// The session a sign-in answer starts, received at `now`.
    pub(crate) fn signed_in(
        base_url: &str,
        username: &str,
        grant: Grant,
        now: DateTime<Utc>,
    ) -> Option<Session> {
        Some(Session {
            access: Access {
                base_url: base_url.to_owned(),
                username: username.to_owned(),
                token: grant.access_token,
                expires_at: access_expiry(now, grant.expires_in),
                lifetime: Some(grant.expires_in),
            },
            refresh_token: grant.refresh_token?,
            refresh_issued_at: now,
            refresh_expires_at: refresh_expiry(now),
        })
    }

    /// The session after a refresh answered at `now`. The same refresh token keeps its
    /// expiry; a new one gets a new expiry computed from its arrival.
    pub(crate) fn refreshed(&self, grant: Grant, now: DateTime<Utc>) -> Session {
        let rotated = grant
            .refresh_token
            .filter(|token| token.expose() != self.refresh_token.expose());
        let (refresh_token, refresh_issued_at) = match rotated {
            Some(token) => (token, now),
            None => (self.refresh_token.clone(), self.refresh_issued_at),
        };
        Session {
            access: Access {
                base_url: self.access.base_url.clone(),
                username: self.access.username.clone(),
                token: grant.access_token,
                expires_at: access_expiry(now, grant.expires_in),
                lifetime: Some(grant.expires_in),
            },
            refresh_token,
            refresh_issued_at,
            refresh_expires_at: refresh_expiry(refresh_issued_at),
        }
    }

    pub(crate) fn refresh_valid(&self, now: DateTime<Utc>) -> bool {
        now < self.refresh_expires_at
    }

    /// Serialises the session for a store. The result holds both tokens.
    pub(crate) fn to_json(&self) -> Secret<String> {
        let stored = Stored {
            version: STORED_VERSION,
            base_url: self.access.base_url.clone(),
            username: self.access.username.clone(),
            access_token: self.access.token.expose().clone(),
            refresh_token: self.refresh_token.expose().clone(),
            access_token_expires_at: self.access.expires_at,
            access_token_lifetime: self.access.lifetime,
            refresh_token_issued_at: self.refresh_issued_at,
            refresh_token_expires_at: self.refresh_expires_at,
        };
        Secret::json(&stored)
    }

    /// Parses what `to_json` wrote. The error says what is wrong, never what is there.
    pub(crate) fn from_json(text: &str) -> Result<Session, FormatError> {
        let mut stored: Stored = serde_json::from_str(text).map_err(not_a_session)?;
        if stored.version != STORED_VERSION {
            return Err(FormatError::Version(stored.version));
        }
        if stored.access_token.is_empty() || stored.refresh_token.is_empty() {
            return Err(FormatError::EmptyToken);
        }
        Ok(Session {
            access: Access {
                base_url: std::mem::take(&mut stored.base_url),
                username: std::mem::take(&mut stored.username),
                token: Secret::new(std::mem::take(&mut stored.access_token)),
                expires_at: stored.access_token_expires_at,
                lifetime: stored.access_token_lifetime,
            },
            refresh_token: Secret::new(std::mem::take(&mut stored.refresh_token)),
            refresh_issued_at: stored.refresh_token_issued_at,
            refresh_expires_at: stored.refresh_token_expires_at,
        })
    }
}

impl Access {
    /// The access token stays valid for at least `min_ttl`.
    pub(crate) fn is_fresh(&self, now: DateTime<Utc>, min_ttl: Duration) -> bool {
        let min_ttl = chrono::TimeDelta::from_std(min_ttl).unwrap_or(chrono::TimeDelta::MAX);
        self.expires_at.signed_duration_since(now).ge(&min_ttl)
    }

    pub(crate) fn is_valid(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// Tells this token from another within one process (for `Want::Replacing`); not a
    /// digest to store or show.
    pub(crate) fn fingerprint(&self) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        BuildHasherDefault::<DefaultHasher>::default().hash_one(self.token.expose())
    }

    /// Serialises the access part alone, for a quick copy: no refresh token in it.
    pub(crate) fn to_json(&self) -> Secret<String> {
        let stored = StoredAccess {
            version: ACCESS_VERSION,
            base_url: self.base_url.clone(),
            username: self.username.clone(),
            access_token: self.token.expose().clone(),
            access_token_expires_at: self.expires_at,
            access_token_lifetime: self.lifetime,
        };
        Secret::json(&stored)
    }

    /// Parses what `to_json` wrote.
    pub(crate) fn from_json(text: &str) -> Result<Access, FormatError> {
        let mut stored: StoredAccess = serde_json::from_str(text).map_err(not_a_session)?;
        if stored.version != ACCESS_VERSION {
            return Err(FormatError::Version(stored.version));
        }
        if stored.access_token.is_empty() {
            return Err(FormatError::EmptyToken);
        }
        Ok(Access {
            base_url: std::mem::take(&mut stored.base_url),
            username: std::mem::take(&mut stored.username),
            token: Secret::new(std::mem::take(&mut stored.access_token)),
            expires_at: stored.access_token_expires_at,
            lifetime: stored.access_token_lifetime,
        })
    }
}

/// serde_json's positions and categories name no value.
fn not_a_session(err: serde_json::Error) -> FormatError {
    use serde_json::error::Category;
    FormatError::NotASession {
        what: match err.classify() {
            Category::Io => "unreadable",
            Category::Syntax => "invalid JSON",
            Category::Data => "unexpected fields",
            Category::Eof => "truncated",
        },
        line: err.line(),
        column: err.column(),
    }
}

const STORED_VERSION: u32 = 1;
const ACCESS_VERSION: u32 = 1;

/// The stored form of a quick copy: `Stored` without the refresh token.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredAccess {
    version: u32,
    base_url: String,
    username: String,
    access_token: String,
    access_token_expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token_lifetime: Option<u32>,
}

impl Drop for StoredAccess {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
    }
}

/// The stored form. Field names are part of the on-disk format.
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    base_url: String,
    username: String,
    access_token: String,
    refresh_token: String,
    access_token_expires_at: DateTime<Utc>,
    /// Seconds; absent in sessions pointauth 0.1 stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token_lifetime: Option<u32>,
    refresh_token_issued_at: DateTime<Utc>,
    refresh_token_expires_at: DateTime<Utc>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses an RFC 3339 instant; the expected values below were worked out by hand from
    /// the tz database's rules (EST = UTC-5, EDT = UTC-4; 2026: DST from 03-08 07:00Z to
    /// 11-01 06:00Z; 2027: from 03-14 07:00Z to 11-07 06:00Z), not by this code.
    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn rule(issued: &str) -> String {
        refresh_expiry(at(issued)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    #[test]
    fn storing_and_reading_a_session_frees_no_unzeroed_copy_of_a_token() {
        use crate::freed::freed_holding;
        let now = at("2026-11-30T15:00:00Z");
        let make = || {
            let grant = grant("a.SECRET-ACCESS.c", Some("SECRET-REFRESH"), 3600);
            Session::signed_in("https://x", "u", grant, now).unwrap()
        };
        let stored = make().to_json();
        let quick_copy = make().access.to_json();
        for marker in [&b"SECRET-ACCESS"[..], b"SECRET-REFRESH"] {
            let name = String::from_utf8_lossy(marker);
            let freed = freed_holding(marker, || {
                let session = make();
                drop(session.to_json());
                drop(session.access.to_json());
                drop(Session::from_json(stored.expose()).unwrap());
                drop(Access::from_json(quick_copy.expose()).unwrap());
            });
            assert_eq!(freed, 0, "{name}");
            // Refused for its version or for an empty token, a session still held tokens.
            // (The refused texts are the test's own, made and freed outside the check.)
            let other_version = stored.expose().replace(r#""version":1"#, r#""version":9"#);
            let empty_access = stored.expose().replace("a.SECRET-ACCESS.c", "");
            let copy_version = quick_copy
                .expose()
                .replace(r#""version":1"#, r#""version":9"#);
            let freed = freed_holding(marker, || {
                assert!(Session::from_json(&other_version).is_err());
                assert!(Session::from_json(&empty_access).is_err());
                assert!(Access::from_json(&copy_version).is_err());
            });
            assert_eq!(freed, 0, "{name}");
        }
    }

    #[test]
    fn refresh_expiry_matches_the_contract_examples() {
        assert_eq!(rule("2026-11-30T15:00:00Z"), "2026-12-02T05:00:00Z");
        assert_eq!(rule("2026-11-01T04:30:00Z"), "2026-11-02T05:00:00Z");
        assert_eq!(rule("2026-03-08T04:30:00Z"), "2026-03-10T04:00:00Z");
        assert_eq!(rule("2026-07-01T04:00:00Z"), "2026-07-02T04:00:00Z");
    }

    #[test]
    fn refresh_expiry_of_ordinary_days() {
        // 14:30 EDT + 24 h = 14:30 EDT next day -> midnight after.
        assert_eq!(rule("2026-06-15T18:30:00Z"), "2026-06-17T04:00:00Z");
        // 23:59:59 EDT -> 24 h later is 23:59:59 EDT -> one second to midnight.
        assert_eq!(rule("2026-06-16T03:59:59Z"), "2026-06-17T04:00:00Z");
        // One second past midnight: almost 48 h.
        assert_eq!(rule("2026-06-15T04:00:01Z"), "2026-06-17T04:00:00Z");
        // 19:00 EST on Jan 20 is already Jan 21 in UTC; rounding is to Eastern midnight.
        assert_eq!(rule("2026-01-21T00:00:00Z"), "2026-01-22T05:00:00Z");
    }

    #[test]
    fn refresh_expiry_around_the_2026_spring_change() {
        // 02:30 EST Mar 7 + 24 h = 07:30Z Mar 8 = 03:30 EDT (after the skipped hour).
        assert_eq!(rule("2026-03-07T07:30:00Z"), "2026-03-09T04:00:00Z");
        // 00:00:01 EST Mar 7: +24 h = 01:00:01 EST Mar 8 -> midnight Mar 9 EDT.
        assert_eq!(rule("2026-03-07T05:00:01Z"), "2026-03-09T04:00:00Z");
        // Exactly midnight EST Mar 7: +24 h = 05:00Z Mar 8 = 00:00 EST: stays.
        assert_eq!(rule("2026-03-07T05:00:00Z"), "2026-03-08T05:00:00Z");
        // Midnight EST Mar 8 (the change day): +24 h = 05:00Z Mar 9 = 01:00 EDT -> Mar 10.
        assert_eq!(rule("2026-03-08T05:00:00Z"), "2026-03-10T04:00:00Z");
    }

    #[test]
    fn refresh_expiry_around_the_2026_fall_change() {
        // The repeated 01:30: first in EDT, then in EST.
        assert_eq!(rule("2026-11-01T05:30:00Z"), "2026-11-03T05:00:00Z");
        assert_eq!(rule("2026-11-01T06:30:00Z"), "2026-11-03T05:00:00Z");
        // 00:00:01 EDT Oct 31: +24 h = 00:00:01 EDT Nov 1 -> midnight Nov 2 (EST).
        assert_eq!(rule("2026-10-31T04:00:01Z"), "2026-11-02T05:00:00Z");
        // Exactly midnight EDT Oct 31 -> +24 h is midnight EDT Nov 1: stays.
        assert_eq!(rule("2026-10-31T04:00:00Z"), "2026-11-01T04:00:00Z");
    }

    #[test]
    fn refresh_expiry_around_the_2027_changes() {
        // Spring 2027: DST starts 2027-03-14 07:00Z.
        // 23:30 EST Mar 13 = 04:30Z Mar 14; +24 h = 04:30Z Mar 15 = 00:30 EDT -> Mar 16 04:00Z.
        assert_eq!(rule("2027-03-14T04:30:00Z"), "2027-03-16T04:00:00Z");
        // 12:00 EST Mar 13 = 17:00Z; +24 h = 17:00Z Mar 14 = 13:00 EDT -> Mar 15 04:00Z.
        assert_eq!(rule("2027-03-13T17:00:00Z"), "2027-03-15T04:00:00Z");
        // Fall 2027: DST ends 2027-11-07 06:00Z.
        // 00:30 EDT Nov 7 = 04:30Z; +24 h = 04:30Z Nov 8 = 23:30 EST Nov 7 -> Nov 8 05:00Z.
        assert_eq!(rule("2027-11-07T04:30:00Z"), "2027-11-08T05:00:00Z");
        // 20:00 EDT Nov 6 = 00:00Z Nov 7; +24 h = 00:00Z Nov 8 = 19:00 EST Nov 7 -> Nov 8 05:00Z.
        assert_eq!(rule("2027-11-07T00:00:00Z"), "2027-11-08T05:00:00Z");
        // 05:00Z Nov 7 + 24 h = 05:00Z Nov 8 = exactly midnight EST: stays.
        assert_eq!(rule("2027-11-07T05:00:00Z"), "2027-11-08T05:00:00Z");
    }

    #[test]
    fn refresh_expiry_is_a_midnight_between_24_and_49_hours_later() {
        let mut issued = at("2026-01-01T00:00:00Z");
        let mut last = refresh_expiry(issued);
        while issued < at("2028-01-01T00:00:00Z") {
            let expiry = refresh_expiry(issued);
            let lifetime = expiry - issued;
            assert!(lifetime >= chrono::TimeDelta::hours(24), "{issued}");
            assert!(lifetime < chrono::TimeDelta::hours(49), "{issued}");
            assert_eq!(expiry.with_timezone(&New_York).time(), NaiveTime::MIN);
            assert!(expiry >= last);
            last = expiry;
            issued += chrono::TimeDelta::minutes(37);
        }
    }

    fn grant(access: &str, refresh: Option<&str>, expires_in: u32) -> Grant {
        Grant {
            access_token: Secret::new(access.into()),
            refresh_token: refresh.map(|r| Secret::new(r.into())),
            expires_in,
        }
    }

    #[test]
    fn access_expiry_counts_from_arrival() {
        let now = at("2026-11-30T15:00:00Z");
        let session =
            Session::signed_in("https://x", "u", grant("a", Some("r"), 3600), now).unwrap();
        assert_eq!(session.access.expires_at, at("2026-11-30T16:00:00Z"));
        assert_eq!(session.refresh_expires_at, at("2026-12-02T05:00:00Z"));
    }

    #[test]
    fn same_refresh_token_keeps_its_expiry_and_a_new_one_gets_a_new_expiry() {
        let signed_in = at("2026-11-30T15:00:00Z");
        let session =
            Session::signed_in("https://x", "u", grant("a1", Some("r1"), 3600), signed_in).unwrap();
        let later = at("2026-12-01T10:00:00Z");
        let same = session.refreshed(grant("a2", Some("r1"), 3600), later);
        assert_eq!(same.refresh_expires_at, at("2026-12-02T05:00:00Z"));
        assert_eq!(same.access.expires_at, at("2026-12-01T11:00:00Z"));
        let absent = session.refreshed(grant("a2", None, 3600), later);
        assert_eq!(absent.refresh_token.expose(), "r1");
        assert_eq!(absent.refresh_expires_at, at("2026-12-02T05:00:00Z"));
        let rotated = session.refreshed(grant("a3", Some("r2"), 3600), later);
        assert_eq!(rotated.refresh_token.expose(), "r2");
        assert_eq!(rotated.refresh_expires_at, at("2026-12-03T05:00:00Z"));
    }

    #[test]
    fn freshness_respects_min_ttl() {
        let now = at("2026-11-30T15:00:00Z");
        let session =
            Session::signed_in("https://x", "u", grant("a", Some("r"), 600), now).unwrap();
        assert!(session.access.is_fresh(now, Duration::from_secs(600)));
        assert!(!session.access.is_fresh(now, Duration::from_secs(601)));
        let later = now + chrono::TimeDelta::seconds(301);
        assert!(!session.access.is_fresh(later, Duration::from_secs(300)));
        assert!(session.access.is_valid(later));
        assert!(
            !session
                .access
                .is_valid(now + chrono::TimeDelta::seconds(600))
        );
    }

    #[test]
    fn stored_form_round_trips_and_rejects_damage() {
        let now = at("2026-11-30T15:00:00Z");
        let session =
            Session::signed_in("https://x", "u", grant("a", Some("r"), 600), now).unwrap();
        let json = session.to_json();
        assert_eq!(Session::from_json(json.expose()).unwrap(), session);
        assert!(Session::from_json("").is_err());
        assert!(Session::from_json("{\"version\":1}").is_err());
        let truncated = &json.expose()[..json.expose().len() / 2];
        assert!(Session::from_json(truncated).is_err());
        let future = json.expose().replace("\"version\":1", "\"version\":9");
        assert_eq!(
            Session::from_json(&future).unwrap_err(),
            FormatError::Version(9)
        );
    }

    #[test]
    fn the_access_copy_round_trips_and_never_holds_the_refresh_token() {
        let now = at("2026-11-30T15:00:00Z");
        let session = Session::signed_in(
            "https://x",
            "u",
            grant("access-part", Some("refresh-part"), 600),
            now,
        )
        .unwrap();
        let json = session.access.to_json();
        assert!(!json.expose().contains("refresh"), "{}", json.expose());
        assert_eq!(Access::from_json(json.expose()).unwrap(), session.access);
        // A whole session is not a copy: a store mix-up cannot hand out a refresh token.
        assert!(Access::from_json(session.to_json().expose()).is_err());
        let empty = json.expose().replace("access-part", "");
        assert_eq!(
            Access::from_json(&empty).unwrap_err(),
            FormatError::EmptyToken
        );
    }

    #[test]
    fn instants_at_the_end_of_time_do_not_overflow() {
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(refresh_expiry(end), end);
        assert_eq!(access_expiry(end, 3600), end);
        let near = end - chrono::TimeDelta::hours(1);
        assert_eq!(refresh_expiry(near), end);
    }

    #[test]
    fn debug_output_of_sessions_and_grants_is_redacted() {
        let now = at("2026-11-30T15:00:00Z");
        let g = grant("access-secret", Some("refresh-secret"), 600);
        let shown = format!("{g:?}");
        assert!(
            !shown.contains("access-secret") && !shown.contains("refresh-secret"),
            "{shown}"
        );
        let session = Session::signed_in("https://x", "u", g, now).unwrap();
        let shown = format!("{session:?} {session:#?}");
        assert!(
            !shown.contains("access-secret") && !shown.contains("refresh-secret"),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn corruption_messages_never_echo_the_content() {
        let err = Session::from_json("{\"version\":1,\"access_token\":12345678}").unwrap_err();
        assert!(!err.to_string().contains("12345678"), "{err}");
    }
}
