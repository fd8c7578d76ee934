//! `pointauth token`: a fresh access token on stdout, and nothing else.

use std::process::ExitCode;

use serde_json::json;

use super::{Ctx, show_warnings};
use crate::auth::{MinTtl, Want};
use crate::error::Result;
use crate::output::{print_stdout, rfc3339};

/// How the token is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Bare,
    Header,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) min_ttl: MinTtl,
    pub(crate) format: Format,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let obtained = ctx.obtain(Want::Fresh(options.min_ttl))?;
    show_warnings(ctx, &obtained);
    let access = &obtained.access;
    let token = access.token.expose();
    let text = match options.format {
        Format::Json => {
            let expires_in = (access.expires_at - ctx.now()).num_seconds().max(0);
            let body = json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_at": rfc3339(access.expires_at),
                "expires_in": expires_in,
            });
            crate::secret::Secret::new(format!("{body}\n"))
        }
        Format::Header => crate::secret::Secret::new(format!("Authorization: Bearer {token}\n")),
        Format::Bare => crate::secret::Secret::new(format!("{token}\n")),
    };
    print_stdout(text.expose())?;
    Ok(ExitCode::SUCCESS)
}
