//! `pointauth refresh`: a new access token now, even if the current one is fresh.

use std::process::ExitCode;

use crate::broker::{self, Want};
use crate::cli::RefreshArgs;
use crate::error::Result;
use crate::output::{local_and_eastern, relative};
use crate::settings::Ctx;

pub fn run(ctx: &Ctx, _args: RefreshArgs) -> Result<ExitCode> {
    let session = broker::obtain(ctx, Want::NewToken)?;
    crate::say!(
        "Access token for {} valid until {} ({}).",
        session.username,
        local_and_eastern(session.access_expires_at),
        relative(session.access_expires_at, ctx.now())
    );
    Ok(ExitCode::SUCCESS)
}
