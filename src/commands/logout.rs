//! `pointauth logout`: remove the profile's secrets and metadata. Idempotent.

use std::process::ExitCode;

use super::Ctx;
use crate::auth::lock_patience;
use crate::error::Result;
use crate::output::{report, say};
use crate::store::lock::ProfileLock;
use crate::store::meta::ProfileMeta;
use crate::store::{FileStore, StoreChoice, StoreKind};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) all: bool,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let profiles = if options.all {
        all_profiles(ctx)
    } else {
        vec![ctx.profile().to_owned()]
    };
    let mut first_error = None;
    for profile in &profiles {
        match logout(ctx, profile) {
            Ok(true) => say!("Logged out of profile `{profile}`."),
            Ok(false) if !options.all => {
                say!("Profile `{profile}` was not logged in; nothing to remove.");
            }
            Ok(false) => {}
            Err(err) => {
                report(&err);
                first_error.get_or_insert(err);
            }
        }
    }
    if options.all && profiles.is_empty() {
        say!("No profiles; nothing to remove.");
    }
    match first_error {
        Some(err) => Ok(err.exit_code()),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Every profile with metadata or a session file.
pub(crate) fn all_profiles(ctx: &Ctx) -> Vec<String> {
    let paths = ctx.stores.paths();
    let mut profiles = ProfileMeta::profiles(paths);
    profiles.extend(FileStore::new(paths.data.clone()).profiles());
    profiles.sort();
    profiles.dedup();
    profiles
}

/// Removes everything stored for `profile`; `true` if anything was there.
fn logout(ctx: &Ctx, profile: &str) -> Result<bool> {
    let paths = ctx.stores.paths();
    // Under the lock: a refresh in flight must not write the session back afterwards.
    let _lock = ProfileLock::acquire(paths, profile, lock_patience(ctx.api.timeout))?;
    // Metadata that cannot be read still gets removed.
    let remembered = ProfileMeta::load(paths, profile).ok().flatten();
    let keychain_holds_it = remembered.is_some_and(|meta| meta.store == StoreKind::Keyring);
    let mut removed = ctx.stores.open(StoreKind::File).delete(profile)?;
    let keychain = ctx.stores.open(StoreKind::Keyring);
    if keychain_holds_it || ctx.store == StoreChoice::Keyring {
        // Whatever --store says now, the session lives where the metadata says it went.
        removed |= keychain.delete(profile)?;
    } else if ctx.store == StoreChoice::Auto {
        // The metadata may be gone or stale (a keychain write that finished after its
        // watchdog gave up): clear the keychain too, but an absent keychain is no error.
        match keychain.delete(profile) {
            Ok(found) => removed |= found,
            Err(err) if err.is_unusable() => {}
            Err(err) => return Err(err.into()),
        }
    }
    removed |= ProfileMeta::delete(paths, profile)?;
    Ok(removed)
}
