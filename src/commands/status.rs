//! `pointauth status`: who is signed in and until when. Offline: no request is made.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Ctx;
use super::logout::{Keychain, all_profiles};
use crate::error::Result;
use crate::jwt;
use crate::output::{local_and_eastern, print_stdout, relative, report, rfc3339};
use crate::session::Session;
use crate::store::meta::ProfileMeta;
use crate::store::{StoreKind, Stores, load_session};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) json: bool,
    pub(crate) all: bool,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let mut failure = None;
    let reports = if options.all {
        let mut unlisted = Vec::new();
        let profiles = all_profiles(ctx, Keychain::Leave, &mut unlisted);
        for err in &unlisted {
            report(err);
            failure.get_or_insert(err.exit_code());
        }
        // One broken profile must not hide the others: report it and carry on.
        profiles
            .iter()
            .filter_map(|profile| {
                let read = ProfileMeta::load(ctx.stores.paths(), profile)
                    .map_err(Into::into)
                    .and_then(|meta| Report::of(ctx, profile, meta.as_ref()));
                match read {
                    Ok(report) => Some(report),
                    Err(err) => {
                        report(&err);
                        failure.get_or_insert(err.exit_code());
                        None
                    }
                }
            })
            .collect()
    } else {
        let meta = ctx.meta()?;
        vec![Report::of(ctx, ctx.profile(), meta)?]
    };

    let text = if options.json {
        let values: Vec<Value> = reports.iter().map(Report::json).collect();
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
            .map(Report::text)
            .collect::<Vec<_>>()
            .join("\n")
    };
    print_stdout(&text)?;
    if let Some(code) = failure {
        return Ok(code);
    }
    let usable = !reports.is_empty() && reports.iter().all(|report| report.usable);
    Ok(if usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

struct Report {
    profile: String,
    session: Option<(Session, StoreKind, String)>,
    now: DateTime<Utc>,
    usable: bool,
}

impl Report {
    fn of(ctx: &Ctx, profile: &str, meta: Option<&ProfileMeta>) -> Result<Report> {
        let now = ctx.now();
        let kind = Stores::kind_for_reading(ctx.store, meta.map(|meta| meta.store));
        let store = ctx.stores.open(kind);
        let session =
            load_session(&*store, profile)?.map(|session| (session, kind, store.describe(profile)));
        let usable = session.as_ref().is_some_and(|(s, _, _)| s.usable(now));
        Ok(Report {
            profile: profile.to_owned(),
            session,
            now,
            usable,
        })
    }

    fn json(&self) -> Value {
        let Some((session, kind, _)) = &self.session else {
            return json!({"profile": self.profile, "logged_in": false});
        };
        let identity = jwt::identity(session.access_token.expose());
        json!({
            "profile": self.profile,
            "logged_in": true,
            "base_url": session.base_url,
            "username": session.username,
            "email": identity.email,
            "user_id": identity.user_id,
            "store": kind.name(),
            "access_token_expires_at": rfc3339(session.access_expires_at),
            "access_token_valid": session.access_valid(self.now),
            "refresh_token_expires_at": rfc3339(session.refresh_expires_at),
            "refresh_token_valid": session.refresh_valid(self.now),
        })
    }

    fn text(&self) -> String {
        let Some((session, kind, location)) = &self.session else {
            return format!(
                "profile:  {}\n  not logged in; run `pointauth login`\n",
                self.profile
            );
        };
        let identity = jwt::identity(session.access_token.expose());
        let mut user = session.username.clone();
        let details: Vec<String> = [
            identity
                .email
                .filter(|email| *email != session.username)
                .map(|e| format!("email {e}")),
            identity.user_id.map(|id| format!("user id {id}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !details.is_empty() {
            user = format!("{user} ({})", details.join(", "));
        }
        let state = |valid: bool| if valid { "valid" } else { "expired" };
        let verdict = if self.usable {
            "usable"
        } else {
            "ended; run `pointauth login`"
        };
        format!(
            "profile:       {}\n\
             base URL:      {}\n\
             user:          {user}\n\
             store:         {} ({location})\n\
             access token:  {}, expires {} — {}\n\
             session:       {}, ends {} — {}\n\
             status:        {verdict}\n",
            self.profile,
            session.base_url,
            kind.name(),
            state(session.access_valid(self.now)),
            relative(session.access_expires_at, self.now),
            local_and_eastern(session.access_expires_at),
            state(session.refresh_valid(self.now)),
            relative(session.refresh_expires_at, self.now),
            local_and_eastern(session.refresh_expires_at),
        )
    }
}
