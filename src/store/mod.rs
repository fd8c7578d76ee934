//! Where sessions live: the store boundary, the two stores behind it, and store selection.

pub mod file;
pub mod keyring;
pub mod lock;
pub mod profile;

use serde::{Deserialize, Serialize};

use crate::cli::StoreChoice;
use crate::error::Result;
use crate::secret::Secret;
use crate::settings::Ctx;

use self::file::FileStore;
use self::keyring::KeyringStore;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    File,
    Keyring,
}

impl StoreKind {
    pub fn name(self) -> &'static str {
        match self {
            StoreKind::File => "file",
            StoreKind::Keyring => "keyring",
        }
    }
}

/// A place that holds one secret blob per profile. "Nothing stored" is `Ok(None)`, not an error.
pub trait SecretStore {
    /// Where exactly, for messages: a path, or the keychain entry's name.
    fn describe(&self, profile: &str) -> String;
    fn load(&self, profile: &str) -> Result<Option<Secret<String>>>;
    fn save(&self, profile: &str, value: &Secret<String>) -> Result<()>;
    /// Removes the profile's secret; `false` when there was none.
    fn delete(&self, profile: &str) -> Result<bool>;
}

pub fn open(ctx: &Ctx, kind: StoreKind) -> Box<dyn SecretStore> {
    match kind {
        StoreKind::File => Box::new(FileStore::new(ctx.paths.data.clone())),
        StoreKind::Keyring => Box::new(KeyringStore::platform()),
    }
}

/// The store that holds the profile's current session. Never probes: in `auto` mode the
/// profile's metadata says where its session went at login.
pub fn kind_for_reading(ctx: &Ctx) -> StoreKind {
    match ctx.store {
        StoreChoice::File => StoreKind::File,
        StoreChoice::Keyring => StoreKind::Keyring,
        StoreChoice::Auto => ctx.meta.as_ref().map_or(StoreKind::File, |meta| meta.store),
    }
}

/// Saves a brand-new session where the store choice says. In `auto` mode a keychain that
/// fails or does not answer in time means the file store, with a warning for the user.
pub fn save_new(ctx: &Ctx, value: &Secret<String>) -> Result<StoreKind> {
    let kind = match ctx.store {
        StoreChoice::File => StoreKind::File,
        StoreChoice::Keyring => StoreKind::Keyring,
        StoreChoice::Auto => match KeyringStore::platform().save(&ctx.profile, value) {
            Ok(()) => return Ok(StoreKind::Keyring),
            Err(err) => {
                let file = FileStore::new(ctx.paths.data.clone());
                file.save(&ctx.profile, value)?;
                crate::say!(
                    "pointauth: warning: {}; session saved to {} (mode 0600) instead",
                    err.message(),
                    file.describe(&ctx.profile)
                );
                return Ok(StoreKind::File);
            }
        },
    };
    open(ctx, kind).save(&ctx.profile, value)?;
    Ok(kind)
}
