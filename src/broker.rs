//! Getting a usable session: the lock-free fast path, the single-flight refresh under the
//! profile lock, the fallbacks when the service fails, and signing in from the environment.

use std::time::{Duration, SystemTime};

use crate::api::{Client, Failure, host_of};
use crate::cli::StoreChoice;
use crate::error::{Error, Result, recovery_hint};
use crate::output::{local_and_eastern, relative};
use crate::session::{Grant, Session};
use crate::settings::Ctx;
use crate::store::lock::ProfileLock;
use crate::store::profile::ProfileMeta;
use crate::store::{self, StoreKind};

/// What the caller needs from the access token.
#[derive(Clone, Copy, Debug)]
pub enum Want {
    /// Valid for at least this long; refreshed only when it is not.
    MinTtl(Duration),
    /// A refresh now, whatever the token's age (`pointauth refresh`).
    NewToken,
}

/// The profile's stored session and the store it came from.
pub fn load(ctx: &Ctx) -> Result<Option<(Session, StoreKind)>> {
    let kind = store::kind_for_reading(ctx);
    let store = store::open(ctx, kind);
    let Some(text) = store.load(&ctx.profile)? else {
        return Ok(None);
    };
    let session = Session::from_json(text.expose()).map_err(|why| {
        Error::internal(format!(
            "the stored session for profile `{}` is corrupted: {why}",
            ctx.profile
        ))
        .cause(format!("in {}", store.describe(&ctx.profile)))
        .hint(recovery_hint(&ctx.profile))
    })?;
    Ok(Some((session, kind)))
}

/// A session fit to hand out, refreshing or signing in as needed.
pub fn obtain(ctx: &Ctx, want: Want) -> Result<Session> {
    ctx.check_meta()?;
    let min_ttl = match want {
        Want::MinTtl(min_ttl) => min_ttl,
        Want::NewToken => Duration::ZERO,
    };
    // The fast path: a fresh token is read without taking the lock.
    if let Want::MinTtl(min_ttl) = want
        && let Some((session, _)) = load(ctx)?
        && identity_mismatch(ctx, &session).is_none()
        && session.is_fresh(ctx.now(), min_ttl)
    {
        return Ok(session);
    }

    let waiting_since = SystemTime::now();
    let lock = ProfileLock::acquire(&ctx.paths, &ctx.profile, lock_patience(ctx))?;
    // Re-read under the lock: another process may have refreshed while we waited.
    let mut session_ended = None;
    for _ in 0..2 {
        let Some((current, kind)) = load(ctx)? else {
            let reason = session_ended.unwrap_or_else(|| not_logged_in(ctx));
            return sign_in_from_env(ctx, reason, &lock, waiting_since);
        };
        if let Some(why) = identity_mismatch(ctx, &current) {
            return sign_in_from_env(ctx, why, &lock, waiting_since);
        }
        let now = ctx.now();
        if let Want::MinTtl(min_ttl) = want
            && current.is_fresh(now, min_ttl)
        {
            return Ok(current);
        }
        if !current.refresh_valid(now) {
            return sign_in_from_env(ctx, session_expired(ctx, &current), &lock, waiting_since);
        }
        // A refresh that failed for a passing reason while we waited is our answer too:
        // queueing processes must not each hammer a struggling service.
        let scope = format!("refresh {} {}", current.base_url, current.username);
        if let Some(err) = lock.failure_since(waiting_since, &scope) {
            return degrade(ctx, current, err);
        }
        let err = match Client::new(ctx).refresh(&current.refresh_token) {
            Ok(grant) => {
                lock.clear_failure();
                let next = current.refreshed(grant, ctx.now());
                // Stored before it is handed out: a rotated refresh token is never lost.
                store::open(ctx, kind).save(&ctx.profile, &next.to_json()?)?;
                return check_min_ttl(ctx, next, min_ttl);
            }
            Err(err) => err,
        };
        match err.failure {
            Failure::SessionEnded => {
                // The server has the last word, but only on the token we sent: if the store
                // now holds another refresh token, someone rotated it; use theirs.
                if let Some((stored, _)) = load(ctx)?
                    && stored.refresh_token != current.refresh_token
                {
                    continue;
                }
                store::open(ctx, kind).delete(&ctx.profile)?;
                session_ended = Some(Error::from(err));
            }
            Failure::Transient => {
                let err = Error::from(err);
                lock.note_failure(&scope, &err);
                return degrade(ctx, current, err);
            }
            _ => return Err(err.into()),
        }
    }
    let reason = session_ended.unwrap_or_else(|| not_logged_in(ctx));
    sign_in_from_env(ctx, reason, &lock, waiting_since)
}

/// After a passing failure: the cached token while it is still valid (with a warning),
/// else the failure.
fn degrade(ctx: &Ctx, current: Session, err: Error) -> Result<Session> {
    if !current.access_valid(ctx.now()) {
        return Err(err);
    }
    crate::say!(
        "pointauth: warning: {}; using the cached token, which expires {}",
        err.message(),
        relative(current.access_expires_at, ctx.now())
    );
    Ok(current)
}

/// Stores a sign-in answer as the profile's session. The caller holds the profile lock.
pub fn store_signed_in(
    ctx: &Ctx,
    username: &str,
    grant: Grant,
    _lock: &ProfileLock,
) -> Result<(Session, StoreKind)> {
    let session = Session::signed_in(&ctx.base_url, username, grant, ctx.now())
        .ok_or_else(|| Error::internal("the sign-in answer had no refresh token"))?;
    let kind = store::save_new(ctx, &session.to_json()?)?;
    // A session lives in one place: drop a copy an earlier login left in the other store.
    if let Some(previous) = ctx.meta.as_ref().map(|meta| meta.store)
        && previous != kind
    {
        let _ = store::open(ctx, previous).delete(&ctx.profile);
    }
    ProfileMeta {
        base_url: ctx.base_url.clone(),
        username: username.to_owned(),
        store: kind,
    }
    .save(&ctx.paths, &ctx.profile)?;
    Ok((session, kind))
}

/// With `--store keyring`, fails before any sign-in when the keychain cannot be reached, so
/// credentials are not sent for a session that could not be kept.
pub fn require_chosen_store(ctx: &Ctx) -> Result<()> {
    if ctx.store == StoreChoice::Keyring {
        store::open(ctx, StoreKind::Keyring).load(&ctx.profile)?;
    }
    Ok(())
}

/// Signs in with POINTAUTH_USERNAME/POINTAUTH_PASSWORD when both are set; otherwise fails
/// with `reason`. The caller holds the profile lock.
fn sign_in_from_env(
    ctx: &Ctx,
    reason: Error,
    lock: &ProfileLock,
    waiting_since: SystemTime,
) -> Result<Session> {
    let (Some(username), Some(password)) = (&ctx.credentials.username, &ctx.credentials.password)
    else {
        return Err(reason);
    };
    require_chosen_store(ctx)?;
    if ctx.verbose {
        crate::say!(
            "pointauth: signing in as {username} with POINTAUTH_USERNAME/POINTAUTH_PASSWORD"
        );
    }
    // Many CI jobs may start at once: if the sign-in they queued behind just failed (a wrong
    // password, a service outage), they share that answer instead of each trying again and
    // tripping the service's lockout.
    let scope = format!("sign-in {} {username}", ctx.base_url);
    if let Some(err) = lock.failure_since(waiting_since, &scope) {
        return Err(err);
    }
    let grant = Client::new(ctx)
        .sign_in(username, password)
        .map_err(|err| {
            let err = Error::from(err);
            lock.note_failure(&scope, &err);
            err
        })?;
    lock.clear_failure();
    let (session, _) = store_signed_in(ctx, username, grant, lock)?;
    Ok(session)
}

/// Why the stored session must not be used for this call, if it must not.
fn identity_mismatch(ctx: &Ctx, session: &Session) -> Option<Error> {
    let held = format!("{} at {}", session.username, host_of(&session.base_url));
    if session.base_url != ctx.base_url {
        return Some(
            Error::session(format!(
                "profile `{}` holds a session for {held}, not for {}",
                ctx.profile, ctx.base_url
            ))
            .hint(format!(
                "use another --profile for {}, or `pointauth --profile {} login --base-url ...` to switch",
                ctx.base_url, ctx.profile
            )),
        );
    }
    match &ctx.credentials.username {
        Some(wanted) if *wanted != session.username => Some(
            Error::session(format!(
                "profile `{}` holds a session for {held}, not for {wanted}",
                ctx.profile
            ))
            .hint("set POINTAUTH_PASSWORD too to sign in as that user, or use another --profile"),
        ),
        _ => None,
    }
}

fn not_logged_in(ctx: &Ctx) -> Error {
    Error::session(format!("not logged in (profile `{}`)", ctx.profile)).hint(login_hint(ctx))
}

fn session_expired(ctx: &Ctx, session: &Session) -> Error {
    Error::session(format!(
        "the session for {} ended {} ({})",
        session.username,
        relative(session.refresh_expires_at, ctx.now()),
        local_and_eastern(session.refresh_expires_at)
    ))
    .hint(login_hint(ctx))
}

fn login_hint(ctx: &Ctx) -> String {
    let profile = if ctx.profile == crate::settings::DEFAULT_PROFILE {
        String::new()
    } else {
        format!("--profile {} ", ctx.profile)
    };
    format!(
        "run `pointauth {profile}login`, or set POINTAUTH_USERNAME and POINTAUTH_PASSWORD for non-interactive use"
    )
}

fn check_min_ttl(ctx: &Ctx, session: Session, min_ttl: Duration) -> Result<Session> {
    if session.is_fresh(ctx.now(), min_ttl) {
        return Ok(session);
    }
    Err(Error::usage(format!(
        "--min-ttl {} s is longer than the service's tokens live (they expire {})",
        min_ttl.as_secs(),
        relative(session.access_expires_at, ctx.now())
    ))
    .hint("ask for a shorter --min-ttl"))
}

/// How long to wait for another process's refresh: its every attempt and wait, and a margin.
pub fn lock_patience(ctx: &Ctx) -> Duration {
    ctx.timeout * 3 + Duration::from_secs(65)
}
