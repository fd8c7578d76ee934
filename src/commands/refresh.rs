//! `pointauth refresh`: a new access token now, even if the current one is fresh.

use std::process::ExitCode;

use super::{Ctx, show_warnings};
use crate::auth::Want;
use crate::error::Result;
use crate::output::{local_and_eastern, relative, say};

pub(crate) fn run(ctx: &Ctx) -> Result<ExitCode> {
    let obtained = ctx.obtain(Want::New)?;
    show_warnings(ctx, &obtained);
    let access = &obtained.access;
    say!(
        "Access token for {} valid until {} ({}).",
        access.username,
        local_and_eastern(access.expires_at),
        relative(access.expires_at, ctx.now())
    );
    Ok(ExitCode::SUCCESS)
}
