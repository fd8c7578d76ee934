//! What the session logic tells the user: why a stored session does not fit the identity
//! asked for, is missing or ended, or could not be kept; each with the way out.

use super::Flow;
use crate::error::Error;
use crate::output::{local_and_eastern, relative};
use crate::session::{Access, Session};
use crate::store::StoreError;
use crate::url::BaseUrl;

impl Flow<'_> {
    /// Why the stored session must not be used for this call, if it must not.
    pub(super) fn mismatch(&self, session: &Access) -> Option<Error> {
        let identity = self.identity;
        let held = || {
            format!(
                "{} at {}",
                session.username,
                BaseUrl::parse(&session.base_url)
                    .map_or_else(|_| session.base_url.clone(), |url| url.authority())
            )
        };
        if session.base_url != identity.base_url.as_str() {
            return Some(
                Error::session(format!(
                    "profile `{}` holds a session for {}, not for {}",
                    identity.profile,
                    held(),
                    identity.base_url
                ))
                .hint(format!(
                    "use another --profile for {}, or `pointauth --profile {} login --base-url ...` to switch",
                    identity.base_url, identity.profile
                )),
            );
        }
        match &identity.username {
            Some(wanted) if *wanted != session.username => Some(
                Error::session(format!(
                    "profile `{}` holds a session for {}, not for {wanted}",
                    identity.profile,
                    held()
                ))
                .hint(
                    "set POINTAUTH_PASSWORD too to sign in as that user, or use another --profile",
                ),
            ),
            _ => None,
        }
    }

    pub(super) fn not_logged_in(&self) -> Error {
        Error::session(format!(
            "not logged in (profile `{}`)",
            self.identity.profile
        ))
        .hint(login_hint(&self.identity.profile))
    }

    pub(super) fn session_expired(&self, session: &Session) -> Error {
        Error::session(format!(
            "the session for {} ended {} ({})",
            session.access.username,
            relative(session.refresh_expires_at, self.clock.now()),
            local_and_eastern(session.refresh_expires_at)
        ))
        .hint(login_hint(&self.identity.profile))
    }
}

/// The warning when a token is handed out that could not be kept.
pub(super) fn not_cached(why: &StoreError) -> String {
    format!(
        "the session is not cached ({why}); set XDG_STATE_HOME and XDG_DATA_HOME to a \
         writable directory to keep it between commands"
    )
}

/// How to get a session for `profile` again.
pub(crate) fn login_hint(profile: &str) -> String {
    let flag = if profile == crate::store::DEFAULT_PROFILE {
        String::new()
    } else {
        format!("--profile {profile} ")
    };
    format!(
        "run `pointauth {flag}login`, or set POINTAUTH_USERNAME and POINTAUTH_PASSWORD for non-interactive use"
    )
}
