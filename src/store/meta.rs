//! What a profile remembers that is not secret: base URL, username, and which store holds
//! its session. Kept as a plain 0600 JSON file under the state dir.

use serde::{Deserialize, Serialize};

use crate::store::file::{list_json_stems, read_private, remove, text_of, write_atomic};
use crate::store::{Paths, StoreError, StoreKind, StoreResult};

const WHAT: &str = "the remembered settings";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProfileMeta {
    pub(crate) base_url: String,
    pub(crate) username: String,
    pub(crate) store: StoreKind,
}

impl ProfileMeta {
    pub(crate) fn load(paths: &Paths, profile: &str) -> StoreResult<Option<ProfileMeta>> {
        let path = paths.meta_dir().join(format!("{profile}.json"));
        let Some(bytes) = read_private(&path)? else {
            return Ok(None);
        };
        let text = text_of(bytes, WHAT, profile, &path)?;
        serde_json::from_str(text.expose())
            .map(Some)
            .map_err(|_| StoreError::Corrupt {
                what: WHAT,
                profile: profile.to_owned(),
                location: path.display().to_string(),
                why: "not the JSON pointauth writes".to_owned(),
            })
    }

    pub(crate) fn save(&self, paths: &Paths, profile: &str) -> StoreResult<()> {
        // Plain strings and an enum: serialising cannot fail.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        write_atomic(
            &paths.state,
            &paths.meta_dir(),
            &format!("{profile}.json"),
            text.as_bytes(),
        )
    }

    pub(crate) fn delete(paths: &Paths, profile: &str) -> StoreResult<bool> {
        remove(&paths.meta_dir().join(format!("{profile}.json")))
    }

    /// Profiles that remember something.
    pub(crate) fn profiles(paths: &Paths) -> Vec<String> {
        list_json_stems(&paths.meta_dir())
    }
}
