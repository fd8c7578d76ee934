//! The session logic: getting a usable access token for a profile, as a state machine over
//! a clock, a session store, the service and the profile lock it is given.
//!
//! ```text
//!   start ──(Want::Fresh)──▶ quick copy, else the session, without waiting for the lock
//!                            (a slow store with no copy: read under the lock if it is free,
//!                            and keep a copy) ──fresh, same identity──▶ done
//!     │                           │ otherwise
//!     ▼                           ▼
//!   lock ─────────────────▶ READ (under the lock: another process may have just refreshed)
//!                            ├─ nothing stored ─────────────────────────▶ SIGN-IN (not logged in)
//!                            ├─ another identity ───────────────────────▶ SIGN-IN (mismatch)
//!                            ├─ fresh (Want::Fresh) ──▶ keep a quick copy ▶ done (cached)
//!                            ├─ another token than the one rejected (Want::Replacing) ▶ done
//!                            ├─ refresh token expired ──────────────────▶ SIGN-IN (expired)
//!                            ├─ a waiter's note: this refresh just failed ▶ DEGRADE
//!                            └─ otherwise ──────────────────────────────▶ REFRESH
//!   REFRESH ── ok ─────────────────────▶ store the rotated session ──────▶ done (refreshed)
//!           ├─ session ended ─┬─ the store now holds another refresh token ─▶ READ (once)
//!           │                 └─ otherwise: remove it ──────────────────▶ SIGN-IN (ended)
//!           ├─ passing failure ─▶ note it for waiters ──────────────────▶ DEGRADE
//!           └─ anything else ───────────────────────────────────────────▶ fail
//!   SIGN-IN ── no env credentials ──▶ fail with the reason
//!           ├─ a waiter's note: this sign-in just failed ─▶ fail as it did
//!           ├─ ok ─▶ store the new session ─────────────────────────────▶ done (signed in)
//!           └─ failed ─▶ note it for waiters ─▶ fail
//!   DEGRADE ── the cached token has not expired ─▶ done (degraded, with a warning)
//!           └─ otherwise ─▶ fail with the refresh's error
//!   done ──▶ the min-ttl rule: a token just obtained that cannot meet an explicit
//!            --min-ttl is a usage error (exit 2); every success leaves through here. (The
//!            default is only what makes a cached token fresh: a new token is the best there is.)
//! ```

use std::time::Duration;

use crate::api::{ApiError, Call, Failure, Service, shared_failure};
use crate::error::{Error, Kind, Result};
use crate::output::relative;
use crate::secret::Secret;
use crate::session::{Access, Clock, Grant, Session};
use crate::store::StoreError;
use crate::store::lock::Note;

mod live;
mod messages;
mod parts;
pub(crate) use self::live::{LazyClient, LockFile, ProfileStore};
pub(crate) use self::messages::login_hint;
use self::messages::not_cached;
pub(crate) use self::parts::{
    Credentials, Held, How, Identity, Locker, LoggedIn, MinTtl, Obtained, SessionStore, Want,
};

/// Everything the session logic is given.
pub(crate) struct Flow<'a> {
    pub(crate) clock: &'a dyn Clock,
    pub(crate) store: &'a dyn SessionStore,
    pub(crate) service: &'a dyn Service,
    pub(crate) locker: &'a dyn Locker,
    pub(crate) identity: &'a Identity,
    pub(crate) credentials: Option<&'a Credentials>,
    /// A waiter's note older than this is ignored: the command's network time limit.
    pub(crate) note_max_age: Duration,
    /// Salts the credential tag of the notes this process writes (settings draws one).
    pub(crate) salt: u64,
    pub(crate) verbose: bool,
}

/// Why a sign-in from the environment is the next step; the error if it cannot be made.
enum State {
    Read,
    Refresh(Session),
    SignIn(Error),
    Degrade(Session, Error),
}

impl Flow<'_> {
    /// A session fit to hand out, refreshing or signing in as needed.
    pub(crate) fn obtain(&self, want: Want) -> Result<Obtained> {
        // The fast path: a fresh token is handed out without waiting for the lock.
        if let Want::Fresh(min_ttl) = want {
            let usable = |access: &Access| {
                self.mismatch(access).is_none()
                    && access.is_fresh(self.clock.now(), min_ttl.for_access(access))
            };
            if let Some(copy) = self.store.load_copy()
                && usable(&copy)
            {
                return self.done(want, copy, How::Cached, Vec::new());
            }
            // No usable copy beside a slow store: the lock, if nobody holds it, lets this
            // read make one (after a reboot, or a copy's expiry).
            let quick = if self.store.keeps_copies() {
                self.locker.try_lock()
            } else {
                None
            };
            match self.store.load() {
                Ok(Some(session)) if usable(&session.access) => {
                    if quick.is_some() {
                        self.store.keep_copy(&session);
                    }
                    return self.done(want, session.access, How::Cached, Vec::new());
                }
                Ok(_) => {}
                // Looked at again under the lock, where a sign-in can take its place.
                Err(err) if self.may_sign_in_instead(&err) => {}
                Err(err) => return Err(err.into()),
            }
            // Released before the lock is waited for below.
            drop(quick);
        }
        let lock = match self.locker.lock() {
            Ok(lock) => lock,
            // Nowhere to keep a session (a read-only HOME, no home at all): with credentials
            // in the environment, sign in for this command alone; without, say what is
            // missing (a session, when there is none to refresh).
            Err(err) if err.is_unwritable() && self.credentials.is_some() => {
                return self.sign_in_uncached(want, err);
            }
            Err(err) if err.is_unwritable() && matches!(self.store.load(), Ok(None)) => {
                return Err(self.not_logged_in());
            }
            Err(err) => return Err(err.into()),
        };
        let mut state = State::Read;
        let mut reread_after_rotation = false;
        loop {
            state = match state {
                State::Read => match self.store.load() {
                    // The store cannot be read here (a keychain out of reach): a sign-in from
                    // the environment takes its place, or the command fails with why.
                    Err(err) if self.may_sign_in_instead(&err) => State::SignIn(err.into()),
                    Err(err) => return Err(err.into()),
                    Ok(None) => State::SignIn(self.not_logged_in()),
                    Ok(Some(current)) => match self.mismatch(&current.access) {
                        Some(why) => State::SignIn(why),
                        None => {
                            let now = self.clock.now();
                            let replaced = |rejected: u64| {
                                current.access.fingerprint() != rejected
                                    && current
                                        .access
                                        .is_fresh(now, MinTtl::Default.for_access(&current.access))
                            };
                            match want {
                                // Another process replaced the rejected token meanwhile.
                                Want::Replacing(rejected) if replaced(rejected) => {
                                    return self.done(
                                        want,
                                        current.access,
                                        How::Cached,
                                        Vec::new(),
                                    );
                                }
                                Want::Fresh(min_ttl)
                                    if current
                                        .access
                                        .is_fresh(now, min_ttl.for_access(&current.access)) =>
                                {
                                    // Read under the lock, so no logout or refresh can
                                    // overtake it: the one safe moment to keep a copy.
                                    self.store.keep_copy(&current);
                                    return self.done(
                                        want,
                                        current.access,
                                        How::Cached,
                                        Vec::new(),
                                    );
                                }
                                _ if !current.refresh_valid(now) => {
                                    State::SignIn(self.session_expired(&current))
                                }
                                _ => match self.shared(
                                    &*lock,
                                    Call::Refresh,
                                    &current.access.username,
                                    &current.refresh_token,
                                ) {
                                    Some(err) => State::Degrade(current, err),
                                    None => State::Refresh(current),
                                },
                            }
                        }
                    },
                },
                State::Refresh(current) => match self.service.refresh(&current.refresh_token) {
                    Ok(grant) => {
                        lock.clear_note();
                        let next = current.refreshed(grant, self.clock.now());
                        // Stored before it is handed out: a rotated refresh token is never lost.
                        self.store.replace(&next)?;
                        return self.done(want, next.access, How::Refreshed, Vec::new());
                    }
                    Err(err) => match err.failure {
                        Failure::SessionEnded => {
                            // The server has the last word, but only on the token we sent: if
                            // the store now holds another refresh token, someone rotated it.
                            let rotated = self.store.load()?.is_some_and(|stored: Session| {
                                stored.refresh_token != current.refresh_token
                            });
                            if rotated && !reread_after_rotation {
                                reread_after_rotation = true;
                                State::Read
                            } else {
                                self.store.remove()?;
                                State::SignIn(err.into())
                            }
                        }
                        Failure::Transient => {
                            lock.set_note(&self.note(
                                Call::Refresh,
                                &current.access.username,
                                &current.refresh_token,
                                &err,
                            ));
                            State::Degrade(current, err.into())
                        }
                        Failure::Credentials | Failure::Unusable => return Err(err.into()),
                    },
                },
                State::SignIn(reason) => {
                    let (session, warnings) = self.sign_in(&*lock, reason)?;
                    return self.done(want, session.access, How::SignedIn, warnings);
                }
                State::Degrade(current, err) => {
                    let now = self.clock.now();
                    // The cached token is the one the service just rejected: no fallback.
                    if !current.access.is_valid(now) || matches!(want, Want::Replacing(_)) {
                        return Err(err);
                    }
                    let warning = format!(
                        "{}; using the cached token, which expires {}",
                        err.message(),
                        relative(current.access.expires_at, now)
                    );
                    return self.done(want, current.access, How::Degraded, vec![warning]);
                }
            };
        }
    }

    /// Whether a store that failed this way can be replaced by a sign-in from the environment.
    fn may_sign_in_instead(&self, err: &StoreError) -> bool {
        self.credentials.is_some() && (err.is_unusable() || err.is_unwritable())
    }

    /// Signs in with the environment's credentials for this command only: there is nowhere
    /// to keep the session (no lock, no note, nothing stored), and the user is told so.
    fn sign_in_uncached(&self, want: Want, why: StoreError) -> Result<Obtained> {
        let Some(credentials) = self.credentials else {
            return Err(why.into());
        };
        let grant = self
            .service
            .sign_in(&credentials.username, &credentials.password)?;
        let session = self.new_session(&credentials.username, grant)?;
        self.done(want, session.access, How::SignedIn, vec![not_cached(&why)])
    }

    /// The one way out of a success: a token just obtained must meet an explicit min-ttl.
    fn done(
        &self,
        want: Want,
        access: Access,
        how: How,
        warnings: Vec<String>,
    ) -> Result<Obtained> {
        let now = self.clock.now();
        if let (Want::Fresh(MinTtl::Explicit(min_ttl)), How::Refreshed | How::SignedIn) =
            (want, how)
            && !access.is_fresh(now, min_ttl)
        {
            return Err(Error::usage(format!(
                "--min-ttl {} s is longer than the service's tokens live (they expire {})",
                min_ttl.as_secs(),
                relative(access.expires_at, now)
            ))
            .hint("ask for a shorter --min-ttl"));
        }
        Ok(Obtained {
            access,
            how,
            warnings,
        })
    }

    /// Signs in with the environment's credentials, or fails with `reason`. Holds the lock.
    fn sign_in(&self, lock: &dyn Held, reason: Error) -> Result<(Session, Vec<String>)> {
        let Some(credentials) = self.credentials else {
            return Err(reason);
        };
        // Many CI jobs may start at once: if the sign-in they queued behind just failed (a
        // wrong password, an outage), they share that answer instead of each trying again
        // and tripping the service's lockout.
        if let Some(err) = self.shared(
            lock,
            Call::SignIn,
            &credentials.username,
            &credentials.password,
        ) {
            return Err(err);
        }
        // A store that cannot be used fails before credentials are sent; one that can keep
        // nothing here still lets the token be handed out, uncached.
        let uncached = match self.store.check_usable() {
            Ok(()) => None,
            Err(err) if err.is_unwritable() => Some(err),
            Err(err) => return Err(err.into()),
        };
        if self.verbose {
            crate::output::say!(
                "pointauth: signing in as {} with POINTAUTH_USERNAME/POINTAUTH_PASSWORD",
                credentials.username
            );
        }
        let grant = self
            .service
            .sign_in(&credentials.username, &credentials.password)
            .map_err(|err| {
                lock.set_note(&self.note(
                    Call::SignIn,
                    &credentials.username,
                    &credentials.password,
                    &err,
                ));
                Error::from(err)
            })?;
        lock.clear_note();
        let session = self.new_session(&credentials.username, grant)?;
        if let Some(why) = uncached {
            return Ok((session, vec![not_cached(&why)]));
        }
        match self.store.store_new(&session) {
            Ok(warning) => Ok((session, warning.into_iter().collect())),
            Err(err) if err.is_unwritable() => Ok((session, vec![not_cached(&err)])),
            Err(err) => Err(err.into()),
        }
    }

    /// Fails when the chosen store cannot be used here (before anyone is asked anything).
    pub(crate) fn check_store(&self) -> Result<()> {
        Ok(self.store.check_usable()?)
    }

    /// `login`: signs in with what a person gave, then stores the session. The sign-in is
    /// made before the lock is taken: a slow prompt or service must not block others.
    pub(crate) fn login(&self, credentials: &Credentials) -> Result<LoggedIn> {
        self.check_store()?;
        let grant = self
            .service
            .sign_in(&credentials.username, &credentials.password)?;
        let session = self.new_session(&credentials.username, grant)?;
        let lock = self.locker.lock()?;
        let warning = self.store.store_new(&session)?;
        lock.clear_note();
        Ok(LoggedIn {
            session,
            warnings: warning.into_iter().collect(),
        })
    }

    /// The session a sign-in answer starts.
    fn new_session(&self, username: &str, grant: Grant) -> Result<Session> {
        Session::signed_in(
            self.identity.base_url.as_str(),
            username,
            grant,
            self.clock.now(),
        )
        .ok_or_else(|| Error::internal("the sign-in answer had no refresh token"))
    }

    fn note(&self, call: Call, username: &str, secret: &Secret<String>, err: &ApiError) -> Note {
        let salt = self.salt;
        Note {
            salt,
            tag: Note::tag_of(salt, secret.expose().as_bytes()),
            at_ms: millis(self.clock),
            call: call.name().to_owned(),
            base_url: self.identity.base_url.as_str().to_owned(),
            username: username.to_owned(),
            exit: err.error().kind().code(),
            status: err.status,
            code: err.code.clone(),
        }
    }

    /// The failure another process recorded for this very call and identity, if it is
    /// recent: not older than the command's time limit, and not from the future. A note this
    /// process wrote itself (its salt) is no one else's answer: a process that asks again is
    /// retrying on purpose (`exec --token-file`'s backoff), not queued behind the failure.
    fn shared(
        &self,
        lock: &dyn Held,
        call: Call,
        username: &str,
        secret: &Secret<String>,
    ) -> Option<Error> {
        let note = lock.note().filter(|note| note.salt != self.salt)?;
        let now = millis(self.clock);
        let max_age = u64::try_from(self.note_max_age.as_millis()).unwrap_or(u64::MAX);
        let recent = note.at_ms <= now && now - note.at_ms <= max_age;
        let same = note.call == call.name()
            && note.base_url == self.identity.base_url.as_str()
            && note.username == username
            && note.tag == Note::tag_of(note.salt, secret.expose().as_bytes());
        if !(recent && same) {
            return None;
        }
        let kind = Kind::from_code(note.exit)?;
        Some(shared_failure(
            call,
            &self.identity.base_url,
            kind,
            note.status,
            note.code.as_deref(),
        ))
    }
}

fn millis(clock: &dyn Clock) -> u64 {
    u64::try_from(clock.now().timestamp_millis()).unwrap_or(0)
}

/// How long to wait for another process's refresh or sign-in: its whole network budget, and a
/// margin for its store (a keychain call is bounded at 3 s; a write is quick).
pub(crate) fn lock_patience(timeout: Duration) -> Duration {
    timeout + Duration::from_secs(10)
}

#[cfg(test)]
mod tests;
