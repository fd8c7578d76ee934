//! `pointauth doctor`: every check pointauth depends on, one line each (ok, warn or fail) with
//! the fix. Reads what the other commands read, creates nothing, and sends one request that
//! carries no credential (none with `--offline`). Never prints a secret.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Ctx, Origin, status};
use crate::api::{Client, probe};
use crate::error::{Error, Result};
use crate::output::print_stdout;
use crate::store::{StoreChoice, StoreKind};
use crate::text::redact_userinfo;
use crate::url::Scheme;

/// A local clock further than this from the service's is warned about.
const CLOCK_TOLERANCE: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) json: bool,
    pub(crate) offline: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

#[derive(Debug)]
struct Check {
    check: String,
    status: Status,
    detail: String,
    hint: Option<String>,
}

impl Check {
    fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            check: check.into(),
            status: Status::Ok,
            detail: detail.into(),
            hint: None,
        }
    }

    fn bad(status: Status, check: impl Into<String>, err: &Error) -> Check {
        Check {
            check: check.into(),
            status,
            detail: err.message().to_owned(),
            hint: err.hint_text().map(str::to_owned),
        }
    }

    fn with(status: Status, check: &str, detail: String, hint: &str) -> Check {
        Check {
            check: check.to_owned(),
            status,
            detail,
            hint: Some(hint.to_owned()),
        }
    }
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let mut checks = directories(ctx);
    checks.extend(stores(ctx));
    checks.push(session(ctx));
    checks.extend(settings(ctx));
    if !options.offline {
        checks.extend(network(ctx));
    }
    let text = if options.json {
        let values: Vec<Value> = checks
            .iter()
            .map(|check| {
                json!({
                    "check": check.check,
                    "status": check.status.name(),
                    "detail": check.detail,
                    "hint": check.hint,
                })
            })
            .collect();
        format!("{:#}\n", Value::Array(values))
    } else {
        let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
        checks
            .iter()
            .map(|check| {
                let hint = check.hint.as_ref().map_or_else(String::new, |hint| {
                    format!("\n      {:width$}  → {hint}", "")
                });
                format!(
                    "{:<4}  {:width$}  {}{hint}\n",
                    check.status.name(),
                    check.check,
                    check.detail
                )
            })
            .collect()
    };
    print_stdout(&text)?;
    let failed = checks.iter().any(|check| check.status == Status::Fail);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// pointauth's directories: owned by the user, not writable by others, no links.
fn directories(ctx: &Ctx) -> Vec<Check> {
    let paths = match ctx.stores.paths() {
        Ok(paths) => paths,
        Err(err) => return vec![Check::bad(Status::Fail, "directories", &Error::from(err))],
    };
    paths
        .verify()
        .into_iter()
        .map(|(path, verdict)| {
            let name = format!("directory {}", path.display());
            match verdict {
                Ok(true) => Check::ok(name, "yours, not writable by others"),
                Ok(false) => Check::ok(name, "not made yet; pointauth makes it 0700 when needed"),
                Err(err) => Check::bad(Status::Fail, name, &Error::from(err)),
            }
        })
        .collect()
}

/// Each store, asked as `login` asks it; the one `--store` names must answer.
fn stores(ctx: &Ctx) -> Vec<Check> {
    let mut kinds = vec![StoreKind::Keyring];
    if cfg!(target_os = "linux") {
        kinds.push(StoreKind::Kernel);
    }
    kinds.push(StoreKind::File);
    let chosen = match ctx.store {
        StoreChoice::Keyring => Some(StoreKind::Keyring),
        StoreChoice::Kernel => Some(StoreKind::Kernel),
        StoreChoice::File => Some(StoreKind::File),
        StoreChoice::Auto => None,
    };
    let mut checks = Vec::new();
    let mut first_usable = None;
    for kind in kinds {
        let name = format!("store {}", kind.name());
        match ctx.stores.open(kind).probe() {
            Ok(()) => {
                first_usable.get_or_insert(kind);
                let detail = match kind {
                    StoreKind::Keyring => "the OS credential store answers and is unlocked",
                    StoreKind::Kernel => "the kernel keyring takes keys (kept until reboot)",
                    StoreKind::File => "a private file in the data directory",
                };
                checks.push(Check::ok(name, detail));
            }
            Err(err) => {
                // A store nobody asked for is only a warning: auto goes on to the next.
                let status =
                    if chosen == Some(kind) || (chosen.is_none() && kind == StoreKind::File) {
                        Status::Fail
                    } else {
                        Status::Warn
                    };
                checks.push(Check::bad(status, name, &Error::from(err)));
            }
        }
    }
    checks.push(match (chosen, first_usable) {
        (Some(kind), _) => Check::ok(
            "store choice",
            format!("{} ({})", kind.name(), ctx.origins.store.describe()),
        ),
        (None, Some(kind)) => Check::ok(
            "store choice",
            format!(
                "auto ({}): new sessions go to the {} store",
                ctx.origins.store.describe(),
                kind.name()
            ),
        ),
        (None, None) => Check::with(
            Status::Fail,
            "store choice",
            "auto: no store can keep a session here".to_owned(),
            "fix one of the stores above; `token` still works with POINTAUTH_USERNAME and POINTAUTH_PASSWORD, uncached",
        ),
    });
    checks
}

/// The profile's session, as `status` sees it (no store is read, no request made).
fn session(ctx: &Ctx) -> Check {
    match status::brief(ctx) {
        Ok((true, detail)) => Check::ok("session", detail),
        Ok((false, detail)) => Check::with(
            Status::Warn,
            "session",
            detail,
            "run `pointauth login`, or set POINTAUTH_USERNAME and POINTAUTH_PASSWORD",
        ),
        Err(err) => Check::bad(Status::Fail, "session", &err),
    }
}

/// The settings in effect and where each came from; secrets are never shown.
fn settings(ctx: &Ctx) -> Vec<Check> {
    let origins = ctx.origins;
    let setting = |name: &str, value: String, origin: Origin| {
        Check::ok(
            format!("setting {name}"),
            format!("{value} ({})", origin.describe()),
        )
    };
    let mut checks = vec![
        setting("profile", ctx.profile().to_owned(), origins.profile),
        setting("base URL", ctx.api.base_url.to_string(), origins.base_url),
        setting(
            "timeout",
            format!("{} s", ctx.api.timeout.as_secs_f64()),
            origins.timeout,
        ),
    ];
    checks.push(match &ctx.api.proxy {
        Ok(Some(proxy)) => Check::ok(
            "setting proxy",
            format!("{} (from {})", redact_userinfo(&proxy.url), proxy.variable),
        ),
        Ok(None) => Check::ok("setting proxy", "none: requests go directly"),
        Err(err) => Check::bad(Status::Fail, "setting proxy", err),
    });
    let credentials = match (&ctx.credentials, &ctx.password) {
        (Some(credentials), _) => format!(
            "POINTAUTH_USERNAME {} and POINTAUTH_PASSWORD (not shown): commands sign in with them when needed",
            credentials.username
        ),
        (None, Some(_)) => {
            "POINTAUTH_PASSWORD (not shown) without POINTAUTH_USERNAME: only `login` uses it"
                .to_owned()
        }
        (None, None) => "none in the environment".to_owned(),
    };
    checks.push(Check::ok("setting credentials", credentials));
    checks
}

/// One credential-free HEAD of the base URL, the certificate, and the clock.
fn network(ctx: &Ctx) -> Vec<Check> {
    let client = Client::new(&ctx.api, Arc::clone(&ctx.clock));
    let base = &ctx.api.base_url;
    let via = match &ctx.api.proxy {
        Ok(Some(proxy)) => format!(" through the proxy from {}", proxy.variable),
        _ => String::new(),
    };
    let answer = client.probe();
    let mut checks = vec![match &answer {
        Ok(probe) => Check::ok(
            "network",
            format!(
                "HEAD {base}{via}: answered {} in {} ms",
                probe.status,
                probe.elapsed.as_millis()
            ),
        ),
        Err(err) => Check::bad(Status::Fail, "network", err),
    }];
    checks.push(tls(ctx, answer.is_ok()));
    if let Ok(probe) = &answer {
        checks.push(clock(probe.at, probe.date.as_deref()));
    }
    checks
}

fn tls(ctx: &Ctx, reached: bool) -> Check {
    let base = &ctx.api.base_url;
    if base.scheme() == Scheme::Http {
        return Check::ok("TLS", "none: plain http to a loopback address");
    }
    if matches!(ctx.api.proxy, Ok(Some(_))) {
        let detail = if reached {
            "the service's certificate was trusted through the proxy (its issuer is read only on a direct connection)"
        } else {
            "not inspected: requests go through the proxy"
        };
        return Check::ok("TLS", detail);
    }
    let ssl_hint = "if a proxy or your organisation re-signs TLS, point SSL_CERT_FILE at its CA certificate (PEM)";
    match probe::certificate(base, ctx.api.timeout) {
        Ok(probe::Certificate {
            issuer,
            untrusted: None,
        }) => Check::ok(
            "TLS",
            format!(
                "certificate trusted, issued by {}",
                issuer
                    .as_deref()
                    .unwrap_or("an issuer whose name cannot be read")
            ),
        ),
        Ok(probe::Certificate {
            issuer,
            untrusted: Some(why),
        }) => Check::with(
            Status::Fail,
            "TLS",
            format!(
                "certificate issued by {} is not trusted: {why}",
                issuer
                    .as_deref()
                    .unwrap_or("an issuer whose name cannot be read")
            ),
            ssl_hint,
        ),
        Err(why) if reached => Check::with(Status::Warn, "TLS", why, ssl_hint),
        Err(why) => Check::with(
            Status::Warn,
            "TLS",
            format!("not checked: {why}"),
            "see the network check",
        ),
    }
}

/// The local clock against the service's `Date` header: token lifetimes are judged locally.
fn clock(now: DateTime<Utc>, date: Option<&str>) -> Check {
    let hint =
        "set the clock right (e.g. `timedatectl set-ntp true`): token lifetimes are judged by it";
    let Some(date) = date else {
        return Check::with(
            Status::Warn,
            "clock",
            "the service sent no Date header; the clock was not compared".to_owned(),
            "nothing to do unless tokens seem to expire early or late",
        );
    };
    let Ok(theirs) = DateTime::parse_from_rfc2822(date) else {
        return Check::with(
            Status::Warn,
            "clock",
            format!("the service's Date header `{date}` cannot be read"),
            "nothing to do unless tokens seem to expire early or late",
        );
    };
    let offset = (now - theirs.with_timezone(&Utc)).num_seconds();
    let side = if offset >= 0 { "ahead of" } else { "behind" };
    let detail = format!("{} s {side} the service's clock", offset.unsigned_abs());
    if offset.unsigned_abs() > CLOCK_TOLERANCE.as_secs() {
        Check::with(Status::Warn, "clock", detail, hint)
    } else {
        Check::ok("clock", detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_are_redacted_and_the_rest_is_kept() {
        assert_eq!(
            redact_userinfo("http://alice:s3cret@proxy.example:3128/"),
            "http://[redacted]@proxy.example:3128/"
        );
        assert_eq!(redact_userinfo("proxy.example:3128"), "proxy.example:3128");
        // A password with an unencoded `/` is redacted whole.
        assert_eq!(
            redact_userinfo("http://bob:pa/ss@proxy:3128"),
            "http://[redacted]@proxy:3128"
        );
        assert_eq!(
            redact_userinfo("http://a:b@c@proxy"),
            "http://[redacted]@proxy"
        );
    }

    #[test]
    fn a_clock_over_a_minute_off_is_a_warning_either_way() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            clock(now, Some("Wed, 02 Dec 2026 13:59:30 GMT")).status,
            Status::Ok
        );
        let ahead = clock(now, Some("Wed, 02 Dec 2026 13:58:59 GMT"));
        assert_eq!(ahead.status, Status::Warn);
        assert!(ahead.detail.contains("61 s ahead"), "{}", ahead.detail);
        let behind = clock(now, Some("Wed, 02 Dec 2026 14:01:01 GMT"));
        assert_eq!(behind.status, Status::Warn);
        assert!(behind.detail.contains("61 s behind"), "{}", behind.detail);
        assert_eq!(clock(now, None).status, Status::Warn);
        assert_eq!(clock(now, Some("yesterday")).status, Status::Warn);
    }
}
