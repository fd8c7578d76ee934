//! `pointauth logout`: remove everything pointauth keeps for a profile — its secrets in
//! whichever store holds them (and the quick copy of its access token), its metadata, its lock
//! file, the temp files a killed writer left. Idempotent; what cannot be removed is named,
//! after everything else is gone.

use std::process::ExitCode;

use super::Ctx;
use crate::auth::lock_patience;
use crate::error::{Error, Result};
use crate::output::{print_stdout, report, say};
use crate::store::lock::ProfileLock;
use crate::store::meta::META_VERSION;
use crate::store::meta::ProfileMeta;
use crate::store::{FileStore, Naming, StoreChoice, StoreError, StoreKind, is_valid_profile_name};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) all: bool,
}

pub(crate) fn run(ctx: &Ctx, options: Options) -> Result<ExitCode> {
    let mut left = Vec::new();
    let profiles = if options.all {
        all_profiles(ctx, Keychain::Search, &mut left)
    } else {
        vec![ctx.profile().to_owned()]
    };
    for profile in &profiles {
        let problems = left.len();
        let removed = logout(ctx, profile, &mut left);
        match (removed, options.all) {
            // What could not be removed is named below, instead of "logged out".
            _ if left.len() > problems => {}
            (true, _) => say!("Logged out of profile `{profile}`."),
            // One profile, nothing left behind (nothing else is listed before it).
            (false, false) => say!("Profile `{profile}` was not logged in; nothing to remove."),
            (false, true) => {}
        }
    }
    if options.all && profiles.is_empty() && left.is_empty() {
        say!("No profiles; nothing to remove.");
    }
    for err in &left {
        report(err);
    }
    Ok(match left.first() {
        Some(err) => err.exit_code(),
        None => ExitCode::SUCCESS,
    })
}

/// Whether listing profiles asks the OS credential store too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keychain {
    Search,
    Leave,
}

/// Every profile pointauth has anything for in this data directory: metadata, a session
/// file, a lock file, a kernel keyring key, and (with `Keychain::Search`, with `--store auto`
/// or `keyring`) an entry in the OS credential store that no metadata names. What cannot be
/// listed goes to `left`.
pub(crate) fn all_profiles(ctx: &Ctx, keychain: Keychain, left: &mut Vec<Error>) -> Vec<String> {
    let mut profiles = Vec::new();
    let mut collect = |found: std::result::Result<Vec<String>, StoreError>| match found {
        Ok(names) => profiles.extend(names),
        Err(err) => left.push(err.into()),
    };
    // No place for files means no files to find.
    if let Ok(paths) = ctx.stores.paths() {
        collect(ProfileMeta::profiles(paths));
        collect(FileStore::new(paths.data.clone()).profiles());
        collect(ProfileLock::profiles(paths));
    }
    // The kernel keyring answers at once, and only from this machine's memory.
    match ctx.stores.kernel().and_then(|kernel| kernel.profiles()) {
        Ok(names) => profiles.extend(names),
        // A kernel that refuses keyring calls holds nothing anybody could have put there.
        Err(err) if ctx.store != StoreChoice::Kernel && err.is_unusable() => {}
        Err(StoreError::NoPlace { .. }) => {}
        Err(err) => left.push(err.into()),
    }
    if keychain == Keychain::Search && touches_keychain(ctx.store) {
        match ctx.stores.keyring().and_then(|keyring| keyring.profiles()) {
            Ok(names) => profiles.extend(names),
            Err(StoreError::NoPlace { .. }) => {}
            // In `auto` mode, a keychain that cannot be reached here holds nothing anybody
            // could have put there from here; with `--store keyring` it must be searched.
            Err(err) if ctx.store == StoreChoice::Auto && err.is_unusable() => {}
            Err(err) => left.push(keychain_left(ctx, &err, None)),
        }
    }
    profiles.retain(|name| is_valid_profile_name(name));
    profiles.sort();
    profiles.dedup();
    profiles
}

/// `pointauth completions --list-profiles`: the profiles that exist, one per line, for shell completion.
/// Quiet and quick: no keychain search, nothing on stderr, exit 0 whatever it finds.
pub(crate) fn list_profiles(ctx: &Ctx) -> Result<ExitCode> {
    let mut unlisted = Vec::new();
    let names = all_profiles(ctx, Keychain::Leave, &mut unlisted);
    let text: String = names.iter().map(|name| format!("{name}\n")).collect();
    print_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Removes everything stored for `profile`; `true` if anything was there. What cannot be
/// removed goes to `left`, and the rest is removed anyway.
fn logout(ctx: &Ctx, profile: &str, left: &mut Vec<Error>) -> bool {
    // No place for files: no metadata, so nothing could have been stored for this profile.
    let Ok(paths) = ctx.stores.paths() else {
        return false;
    };
    // Under the lock: a refresh in flight must not write the session back afterwards.
    let lock = match ProfileLock::acquire(paths, profile, lock_patience(ctx.api.timeout)) {
        Ok(lock) => Some(lock),
        Err(err) => {
            left.push(err.into());
            None
        }
    };
    let record = |result: std::result::Result<bool, StoreError>, left: &mut Vec<Error>| {
        result.unwrap_or_else(|err| {
            left.push(err.into());
            false
        })
    };
    // Metadata that cannot be read still gets removed.
    let remembered = ProfileMeta::load(paths, profile).ok().flatten();
    let remembered_in = |kind| remembered.as_ref().is_some_and(|meta| meta.store == kind);
    let keychain_holds_it = remembered_in(StoreKind::Keyring);
    let mut removed = record(ctx.stores.open(StoreKind::File).delete(profile), left);
    // The kernel keyring never hangs or asks: its session and the quick copy of the access
    // token go whatever --store says. One that refuses keyring calls holds nothing.
    let kernel_holds_it = remembered_in(StoreKind::Kernel);
    let kernel = ctx.stores.open(StoreKind::Kernel).delete(profile);
    let copy = ctx.stores.copies().map(|copies| copies.remove(profile));
    for result in [Some(kernel), copy].into_iter().flatten() {
        match result {
            Ok(found) => removed |= found,
            Err(err) if err.is_unusable() && !kernel_holds_it => {}
            Err(err) => left.push(err.into()),
        }
    }
    if touches_keychain(ctx.store) {
        let mut namings = vec![Naming::Namespaced];
        // pointauth 0.1 named the entry after the profile alone.
        if keychain_holds_it
            && remembered
                .as_ref()
                .is_some_and(|meta| meta.version < META_VERSION)
        {
            namings.push(Naming::Legacy);
        }
        for naming in namings {
            match ctx
                .stores
                .open_named(StoreKind::Keyring, naming)
                .delete(profile)
            {
                Ok(found) => removed |= found,
                // The metadata says nothing went there, and it cannot be asked here.
                Err(err)
                    if ctx.store == StoreChoice::Auto
                        && !keychain_holds_it
                        && err.is_unusable() => {}
                Err(err) => {
                    left.push(keychain_left(ctx, &err, Some(profile)));
                    break;
                }
            }
        }
    } else if keychain_holds_it {
        // `--store file` and `--store kernel` never touch a keychain: say what was left there.
        left.push(
            Error::internal(format!(
                "the session of profile `{profile}` was left in the OS credential store (--store {})",
                if ctx.store == StoreChoice::Kernel { "kernel" } else { "file" }
            ))
            .hint(format!(
                "everything else is removed; run `{}` where the keychain can be reached, or \
                 `pointauth logout --all` there later",
                command_for(profile, "logout")
            )),
        );
    }
    removed |= record(ProfileMeta::delete(paths, profile), left);
    if let Some(lock) = lock
        && let Err(err) = lock.remove()
    {
        left.push(err.into());
    }
    removed
}

/// Whether `--store` lets logout ask the OS credential store (which may hang or prompt).
fn touches_keychain(choice: StoreChoice) -> bool {
    matches!(choice, StoreChoice::Auto | StoreChoice::Keyring)
}

/// What is left in the keychain, and how to remove it.
fn keychain_left(ctx: &Ctx, err: &StoreError, profile: Option<&str>) -> Error {
    let (what, again) = match profile {
        Some(profile) => (
            ctx.stores.open(StoreKind::Keyring).describe(profile),
            command_for(profile, "logout"),
        ),
        None => (
            "pointauth's entries in the OS credential store".to_owned(),
            "pointauth logout --all".to_owned(),
        ),
    };
    Error::internal(format!("could not remove {what}: {err}")).hint(format!(
        "everything else is removed; run `{again}` where the keychain can be reached, \
         or delete the entries of service pointauth with your keyring tool"
    ))
}

/// `pointauth [--profile P] COMMAND`, the flag left out for the default profile.
pub(super) fn command_for(profile: &str, command: &str) -> String {
    if profile == crate::store::DEFAULT_PROFILE {
        format!("pointauth {command}")
    } else {
        format!("pointauth --profile {profile} {command}")
    }
}
