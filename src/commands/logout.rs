//! `pointauth logout`: remove the profile's secrets and metadata. Idempotent.

use std::process::ExitCode;

use crate::broker::lock_patience;
use crate::cli::{LogoutArgs, StoreChoice};
use crate::error::Result;
use crate::settings::Ctx;
use crate::store::file::FileStore;
use crate::store::lock::ProfileLock;
use crate::store::profile::ProfileMeta;
use crate::store::{self, StoreKind};

pub fn run(ctx: &Ctx, args: LogoutArgs) -> Result<ExitCode> {
    let profiles = if args.all {
        all_profiles(ctx)
    } else {
        vec![ctx.profile.clone()]
    };
    let mut first_error = None;
    for profile in &profiles {
        match logout(ctx, profile) {
            Ok(true) => crate::say!("Logged out of profile `{profile}`."),
            Ok(false) if !args.all => {
                crate::say!("Profile `{profile}` was not logged in; nothing to remove.")
            }
            Ok(false) => {}
            Err(err) => {
                err.report();
                first_error.get_or_insert(err);
            }
        }
    }
    if args.all && profiles.is_empty() {
        crate::say!("No profiles; nothing to remove.");
    }
    match first_error {
        Some(err) => Ok(err.exit_code()),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Every profile with metadata or a session file.
pub fn all_profiles(ctx: &Ctx) -> Vec<String> {
    let mut profiles = ProfileMeta::profiles(&ctx.paths);
    profiles.extend(FileStore::new(ctx.paths.data.clone()).profiles());
    profiles.sort();
    profiles.dedup();
    profiles
}

/// Removes everything stored for `profile`; `true` if anything was there.
fn logout(ctx: &Ctx, profile: &str) -> Result<bool> {
    // Under the lock: a refresh in flight must not write the session back afterwards.
    let _lock = ProfileLock::acquire(&ctx.paths, profile, lock_patience(ctx))?;
    // Metadata that cannot be read still gets removed.
    let remembered = ProfileMeta::load(&ctx.paths, profile).ok().flatten();
    let keychain_holds_it = remembered.is_some_and(|meta| meta.store == StoreKind::Keyring);
    let mut removed = store::open(ctx, StoreKind::File).delete(profile)?;
    let keychain = store::open(ctx, StoreKind::Keyring);
    if keychain_holds_it || ctx.store == StoreChoice::Keyring {
        // Whatever --store says now, the session lives where the metadata says it went.
        removed |= keychain.delete(profile)?;
    } else if ctx.store == StoreChoice::Auto {
        // The metadata may be gone or stale (a keychain write that finished after its
        // watchdog gave up): clear the keychain too, but an absent keychain is no error.
        removed |= keychain.delete(profile).unwrap_or(false);
    }
    removed |= ProfileMeta::delete(&ctx.paths, profile)?;
    Ok(removed)
}
