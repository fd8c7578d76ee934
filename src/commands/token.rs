//! `pointauth token`: a fresh access token on stdout, and nothing else.

use std::process::ExitCode;

use serde_json::json;

use crate::broker::{self, Want};
use crate::cli::TokenArgs;
use crate::error::Result;
use crate::output::{print_stdout, rfc3339};
use crate::settings::Ctx;

pub fn run(ctx: &Ctx, args: TokenArgs) -> Result<ExitCode> {
    let session = broker::obtain(ctx, Want::MinTtl(args.min_ttl))?;
    let token = session.access_token.expose();
    let text = if args.json {
        let expires_in = (session.access_expires_at - ctx.now()).num_seconds().max(0);
        let body = json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_at": rfc3339(session.access_expires_at),
            "expires_in": expires_in,
        });
        format!("{body}\n")
    } else if args.header {
        format!("Authorization: Bearer {token}\n")
    } else {
        format!("{token}\n")
    };
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
