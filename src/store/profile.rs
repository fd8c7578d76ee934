//! What a profile remembers that is not secret: base URL, username, and which store holds
//! its session. Kept as a plain JSON file under the state dir.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, recovery_hint};
use crate::settings::Paths;
use crate::store::StoreKind;
use crate::store::file::{list_json_stems, read_private, remove, write_atomic};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileMeta {
    pub base_url: String,
    pub username: String,
    pub store: StoreKind,
}

fn dir(paths: &Paths) -> std::path::PathBuf {
    paths.state.join("profiles")
}

impl ProfileMeta {
    pub fn load(paths: &Paths, profile: &str) -> Result<Option<ProfileMeta>> {
        let path = dir(paths).join(format!("{profile}.json"));
        let Some(text) = read_private(&path)? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|_| {
            Error::internal(format!("{} is corrupted", path.display())).hint(recovery_hint(profile))
        })
    }

    pub fn save(&self, paths: &Paths, profile: &str) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|err| Error::internal("cannot serialise the profile's settings").cause(err))?;
        write_atomic(&dir(paths), &format!("{profile}.json"), text.as_bytes())
    }

    pub fn delete(paths: &Paths, profile: &str) -> Result<bool> {
        remove(&dir(paths).join(format!("{profile}.json")))
    }

    /// Profiles that remember something.
    pub fn profiles(paths: &Paths) -> Vec<String> {
        list_json_stems(&dir(paths))
    }
}
