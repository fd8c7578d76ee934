//! The kernel keyring exists on Linux only: elsewhere the `kernel` store is never usable and
//! no quick copies are kept.

use std::time::Duration;

use crate::secret::Secret;
use crate::store::{SecretStore, StoreError, StoreResult};

pub(crate) const STORE: &str = "kernel keyring";

fn absent() -> StoreError {
    StoreError::Unavailable {
        store: STORE,
        reason: "it exists on Linux only".to_owned(),
    }
}

#[derive(Clone, Debug)]
pub(crate) struct KernelStore;

impl KernelStore {
    pub(crate) fn new(_namespace: String) -> Self {
        KernelStore
    }

    pub(crate) fn holds(&self, _profile: &str) -> StoreResult<bool> {
        Err(absent())
    }

    pub(crate) fn profiles(&self) -> StoreResult<Vec<String>> {
        Err(absent())
    }

    pub(crate) fn copies(&self) -> AccessCopies {
        AccessCopies
    }
}

impl SecretStore for KernelStore {
    fn describe(&self, _profile: &str) -> String {
        STORE.to_owned()
    }

    fn load(&self, _profile: &str) -> StoreResult<Option<Secret<String>>> {
        Err(absent())
    }

    fn save(&self, _profile: &str, _value: &Secret<String>) -> StoreResult<()> {
        Err(absent())
    }

    fn delete(&self, _profile: &str) -> StoreResult<bool> {
        Err(absent())
    }

    fn probe(&self) -> StoreResult<()> {
        Err(absent())
    }
}

#[derive(Clone, Debug)]
pub(crate) struct AccessCopies;

impl AccessCopies {
    pub(crate) fn load(&self, _profile: &str) -> StoreResult<Option<Secret<String>>> {
        Err(absent())
    }

    pub(crate) fn save(
        &self,
        _profile: &str,
        _value: &Secret<String>,
        _lifetime: Duration,
    ) -> StoreResult<()> {
        Err(absent())
    }

    pub(crate) fn remove(&self, _profile: &str) -> StoreResult<bool> {
        Err(absent())
    }
}
