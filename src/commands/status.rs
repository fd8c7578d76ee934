//! `pointauth status`: who is signed in and until when, from what pointauth last recorded in
//! the profile's metadata. Offline and keychain-free: no request, no credential store (so no
//! unlock prompt on a locked keyring, no hang on a missing one). The one store it asks is the
//! kernel keyring, which answers at once: whether it still holds a session (it is emptied at
//! reboot), never what the session is.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Ctx;
use super::logout::{Keychain, all_profiles, command_for};
use crate::error::{Error, Result};
use crate::output::{local_and_eastern, print_stdout, relative, report, rfc3339};
use crate::store::meta::{META_VERSION, ProfileMeta, Summary};
use crate::store::{StoreKind, Stores, load_session};
use crate::text::sanitize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) json: bool,
    pub(crate) all: bool,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let reports: Vec<std::result::Result<Report, (String, Error)>> = if options.all {
        let mut unlisted = Vec::new();
        let profiles = all_profiles(ctx, Keychain::Leave, &mut unlisted);
        // One broken profile must not hide the others: it is listed with its error. So is a
        // place that cannot be listed, whose profiles are unknown: not every profile is
        // known to be usable then.
        let mut reports: Vec<_> = profiles
            .iter()
            .map(|profile| {
                ctx.stores
                    .paths()
                    .and_then(|paths| ProfileMeta::load(paths, profile))
                    .map_err(Error::from)
                    .and_then(|meta| Report::of(ctx, profile, meta, None))
                    .map_err(|err| (profile.clone(), err))
            })
            .collect();
        reports.extend(unlisted.into_iter().map(|err| Err((String::new(), err))));
        reports
    } else {
        let meta = ctx.meta()?.cloned();
        vec![Ok(Report::of(ctx, ctx.profile(), meta, Some(ctx))?)]
    };

    let text = if options.json {
        let values: Vec<Value> = reports.iter().map(json_of).collect();
        let value = if options.all {
            Value::Array(values)
        } else {
            values.into_iter().next().unwrap_or(Value::Null)
        };
        format!("{value:#}\n")
    } else if reports.is_empty() {
        "No profiles. Run `pointauth login` to sign in.\n".to_owned()
    } else {
        reports
            .iter()
            .map(|report| match report {
                Ok(report) => report.text(),
                Err((profile, err)) if profile.is_empty() => format!(
                    "profiles:      not all can be listed\n  error:       {}\n",
                    sanitize(&err.to_string())
                ),
                Err((profile, err)) => format!(
                    "profile:       {profile}\n  error:       {}\n",
                    sanitize(&err.to_string())
                ),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    print_stdout(&text)?;
    // Unreadable profiles are named on stderr too, with the way out.
    for (_, err) in reports.iter().filter_map(|report| report.as_ref().err()) {
        report(err);
    }
    let unreadable = reports.iter().any(std::result::Result::is_err);
    let usable = !reports.is_empty()
        && reports
            .iter()
            .all(|report| report.as_ref().is_ok_and(|report| report.usable));
    Ok(match (unreadable, usable) {
        (true, _) => ExitCode::from(1),
        (false, true) => ExitCode::SUCCESS,
        (false, false) => ExitCode::from(3),
    })
}

/// The profile's session in one line, judged as `status` judges it: usable or not, and why.
pub(crate) fn brief(ctx: &Ctx) -> Result<(bool, String)> {
    let meta = ctx.meta()?.cloned();
    let report = Report::of(ctx, ctx.profile(), meta, Some(ctx))?;
    Ok((report.usable, report.brief()))
}

fn json_of(report: &std::result::Result<Report, (String, Error)>) -> Value {
    match report {
        Ok(report) => report.json(),
        Err((profile, err)) => json!({"profile": profile, "error": err.to_string()}),
    }
}

struct Report {
    profile: String,
    meta: Option<ProfileMeta>,
    summary: Option<Summary>,
    location: String,
    /// Why the session is not for the identity asked for, if it is not.
    mismatch: Option<String>,
    /// Why a session the metadata records is not there any more, if it is not.
    vanished: Option<String>,
    now: DateTime<Utc>,
    usable: bool,
}

impl Report {
    /// The report of `profile` from its metadata. `asked` is the context whose base URL and
    /// username were asked for (the identity rule); `None` for `--all`.
    fn of(
        ctx: &Ctx,
        profile: &str,
        meta: Option<ProfileMeta>,
        asked: Option<&Ctx>,
    ) -> Result<Report> {
        let now = ctx.now();
        let mut summary = match &meta {
            Some(meta) if meta.version >= META_VERSION => meta.session.clone(),
            // Written by pointauth 0.1, which kept no summary: read the session once.
            Some(meta) => legacy_summary(ctx, profile, meta)?,
            None => None,
        };
        let vanished = match &meta {
            Some(meta) if meta.store == StoreKind::Kernel && summary.is_some() => {
                match ctx.stores.kernel().and_then(|kernel| kernel.holds(profile)) {
                    Ok(true) => None,
                    Ok(false) => Some(
                        "the kernel keyring no longer holds its session (it is emptied at reboot)"
                            .to_owned(),
                    ),
                    Err(err) => Some(format!("its session cannot be looked at here: {err}")),
                }
            }
            _ => None,
        };
        if vanished.is_some() {
            summary = None;
        }
        let location = meta.as_ref().map_or_else(String::new, |meta| {
            ctx.stores.open(meta.store).describe(profile)
        });
        let mismatch = match (asked, &meta) {
            (Some(asked), Some(meta)) => identity_mismatch(asked, meta),
            _ => None,
        };
        let usable =
            mismatch.is_none() && summary.as_ref().is_some_and(|summary| summary.usable(now));
        Ok(Report {
            profile: profile.to_owned(),
            meta,
            summary,
            location,
            mismatch,
            vanished,
            now,
            usable,
        })
    }

    fn json(&self) -> Value {
        let (Some(meta), Some(summary)) = (&self.meta, &self.summary) else {
            let mut value = json!({"profile": self.profile, "logged_in": false});
            if let Some(why) = &self.vanished {
                value["reason"] = Value::from(why.as_str());
            }
            return value;
        };
        json!({
            "profile": self.profile,
            "logged_in": true,
            "base_url": meta.base_url,
            "username": meta.username,
            "email": summary.email,
            "user_id": summary.user_id,
            "store": meta.store.name(),
            "access_token_expires_at": rfc3339(summary.access_token_expires_at),
            "access_token_valid": summary.access_valid(self.now),
            "refresh_token_expires_at": rfc3339(summary.refresh_token_expires_at),
            "refresh_token_valid": summary.refresh_valid(self.now),
        })
    }

    fn brief(&self) -> String {
        let (Some(meta), Some(summary)) = (&self.meta, &self.summary) else {
            let why = self
                .vanished
                .as_ref()
                .map_or_else(String::new, |why| format!("; {why}"));
            return format!("profile `{}` is not logged in{why}", self.profile);
        };
        let held = format!(
            "{} at {}, in the {} store",
            meta.username,
            meta.base_url,
            meta.store.name()
        );
        match (&self.mismatch, self.usable) {
            (Some(why), _) => format!("not usable here: {why}"),
            (None, true) => format!(
                "{held}; the session ends {}",
                relative(summary.refresh_token_expires_at, self.now)
            ),
            (None, false) => format!(
                "{held}; the session ended {}",
                relative(summary.refresh_token_expires_at, self.now)
            ),
        }
    }

    fn text(&self) -> String {
        let (Some(meta), Some(summary)) = (&self.meta, &self.summary) else {
            let why = self
                .vanished
                .as_ref()
                .map_or_else(String::new, |why| format!("; {why}"));
            return format!(
                "profile:       {}\nstatus:        not logged in{why}; run `{}`\n",
                self.profile,
                command_for(&self.profile, "login")
            );
        };
        let mut user = meta.username.clone();
        let details: Vec<String> = [
            summary
                .email
                .clone()
                .filter(|email| *email != meta.username)
                .map(|email| format!("email {email}")),
            summary.user_id.clone().map(|id| format!("user id {id}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !details.is_empty() {
            user = format!("{user} ({})", details.join(", "));
        }
        let when = |at: DateTime<Utc>, valid: bool, ending: &str| {
            if valid {
                format!(
                    "{ending} {}, {}",
                    relative(at, self.now),
                    local_and_eastern(at)
                )
            } else {
                format!(
                    "expired {}, {}",
                    relative(at, self.now),
                    local_and_eastern(at)
                )
            }
        };
        let verdict = match (&self.mismatch, self.usable) {
            (Some(why), _) => format!("not usable here: {why}"),
            (None, true) => "usable".to_owned(),
            (None, false) => "ended; run `pointauth login`".to_owned(),
        };
        format!(
            "profile:       {}\n\
             base URL:      {}\n\
             user:          {user}\n\
             store:         {}, {}{}\n\
             access token:  {}\n\
             session:       {}\n\
             status:        {verdict}\n",
            self.profile,
            meta.base_url,
            meta.store.name(),
            self.location,
            if meta.store == StoreKind::Kernel {
                " (in memory: ends at reboot)"
            } else {
                ""
            },
            when(
                summary.access_token_expires_at,
                summary.access_valid(self.now),
                "expires"
            ),
            when(
                summary.refresh_token_expires_at,
                summary.refresh_valid(self.now),
                "ends"
            ),
        )
    }
}

/// The identity rule: a session is usable only for the base URL and username it was signed
/// in with, so `status` and `token` agree.
fn identity_mismatch(asked: &Ctx, meta: &ProfileMeta) -> Option<String> {
    let held = format!("it holds {} at {}", meta.username, meta.base_url);
    if asked.identity.base_url.as_str() != meta.base_url {
        return Some(format!("{held}, not {}", asked.identity.base_url));
    }
    match &asked.identity.username {
        Some(wanted) if *wanted != meta.username => Some(format!("{held}, not {wanted}")),
        _ => None,
    }
}

/// A summary for metadata pointauth 0.1 wrote: its file store is read (never a keychain,
/// which status does not touch; a 0.1 keychain session shows its expiry after the next
/// refresh or login).
fn legacy_summary(ctx: &Ctx, profile: &str, meta: &ProfileMeta) -> Result<Option<Summary>> {
    if meta.store != crate::store::StoreKind::File {
        return Ok(None);
    }
    let store = ctx.stores.open(Stores::kind_for_reading(
        crate::store::StoreChoice::File,
        None,
    ));
    Ok(load_session(&*store, profile)?.map(|session| {
        let identity = crate::jwt::identity(session.access.token.expose());
        Summary {
            access_token_expires_at: session.access.expires_at,
            refresh_token_expires_at: session.refresh_expires_at,
            email: identity.email,
            user_id: identity.user_id,
        }
    }))
}
