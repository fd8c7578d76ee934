//! What a profile remembers that is not secret: base URL, username, and which store holds
//! its session. A plain 0600 JSON file under the state dir's `profiles/`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::dir::Missing;
use crate::store::file::{MAX_FILE, file_name, profiles_in, text_of};
use crate::store::{Paths, StoreError, StoreKind, StoreResult};

const WHAT: &str = "the remembered settings";
const DIR: &str = "profiles";

/// The metadata's format: 2 records `session` (v1 had no `version` and no `session`).
pub(crate) const META_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProfileMeta {
    /// 0 for a file v1 wrote.
    #[serde(default)]
    pub(crate) version: u32,
    pub(crate) base_url: String,
    pub(crate) username: String,
    pub(crate) store: StoreKind,
    /// What `status` shows of the session, so it never reads a credential store; `None`
    /// when the profile holds no session (it ended, or was never there).
    #[serde(default)]
    pub(crate) session: Option<Summary>,
}

/// The non-secret facts of a session: its expiries and who it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub(crate) access_token_expires_at: DateTime<Utc>,
    pub(crate) refresh_token_expires_at: DateTime<Utc>,
    /// From the access token's claims, already sanitised.
    pub(crate) email: Option<String>,
    pub(crate) user_id: Option<String>,
}

impl Summary {
    /// Whether the access token is still good at `now` (it is not at the instant it expires).
    pub(crate) fn access_valid(&self, now: DateTime<Utc>) -> bool {
        now < self.access_token_expires_at
    }

    pub(crate) fn refresh_valid(&self, now: DateTime<Utc>) -> bool {
        now < self.refresh_token_expires_at
    }

    /// Whether `token` can hand out a token without a sign-in: either token is still good.
    pub(crate) fn usable(&self, now: DateTime<Utc>) -> bool {
        self.access_valid(now) || self.refresh_valid(now)
    }
}

impl ProfileMeta {
    pub(crate) fn load(paths: &Paths, profile: &str) -> StoreResult<Option<ProfileMeta>> {
        let Some(dir) = paths.state_dir(DIR, Missing::Absent)? else {
            return Ok(None);
        };
        let Some(bytes) = dir.read(&file_name(profile), MAX_FILE)? else {
            return Ok(None);
        };
        let path = dir.path().join(file_name(profile));
        let text = text_of(bytes, WHAT, profile, &path)?;
        serde_json::from_str(text.expose())
            .map(Some)
            .map_err(|_| StoreError::Corrupt {
                what: WHAT,
                profile: profile.to_owned(),
                location: path.display().to_string(),
                why: "not the JSON pointauth writes".to_owned(),
            })
    }

    pub(crate) fn save(&self, paths: &Paths, profile: &str) -> StoreResult<()> {
        // Plain strings and an enum: serialising cannot fail.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        let Some(dir) = paths.state_dir(DIR, Missing::Create)? else {
            return Err(StoreError::io(
                "create",
                paths.state.join(DIR),
                std::io::ErrorKind::NotFound.into(),
            ));
        };
        dir.sweep_temps(&file_name(profile))?;
        dir.write_atomic(&file_name(profile), text.as_bytes())
    }

    /// Removes the profile's metadata (and any temp file a killed writer left of it).
    pub(crate) fn delete(paths: &Paths, profile: &str) -> StoreResult<bool> {
        let Some(dir) = paths.state_dir(DIR, Missing::Absent)? else {
            return Ok(false);
        };
        let swept = dir.sweep_temps(&file_name(profile))?;
        Ok(dir.remove(&file_name(profile))? || swept > 0)
    }

    /// Profiles that remember something (only valid profile names).
    pub(crate) fn profiles(paths: &Paths) -> StoreResult<Vec<String>> {
        match paths.state_dir(DIR, Missing::Absent)? {
            Some(dir) => profiles_in(&dir),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn summary(access: DateTime<Utc>, refresh: DateTime<Utc>) -> Summary {
        Summary {
            access_token_expires_at: access,
            refresh_token_expires_at: refresh,
            email: None,
            user_id: None,
        }
    }

    #[test]
    fn a_token_is_good_until_the_instant_it_expires() {
        let at = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000);
        let just_before = at - TimeDelta::nanoseconds(1);
        let later = at + TimeDelta::hours(1);
        let summary = summary(at, later);
        assert!(summary.access_valid(just_before));
        assert!(!summary.access_valid(at));
        assert!(summary.refresh_valid(at));
        assert!(!summary.refresh_valid(later));
        assert!(summary.usable(at));
        assert!(!summary.usable(later));
    }

    #[test]
    fn a_session_is_usable_while_either_token_is_good() {
        let now = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000);
        let (past, future) = (now - TimeDelta::hours(1), now + TimeDelta::hours(1));
        assert!(summary(future, future).usable(now));
        // An access token that outlives its refresh token (a long `expires_in`).
        assert!(summary(future, past).usable(now));
        assert!(summary(past, future).usable(now));
        assert!(!summary(past, past).usable(now));
    }
}
