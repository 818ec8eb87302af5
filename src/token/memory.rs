//! The in-memory backend.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use super::{BlobStore, GetResult, StoreError, StoredBlob, TokenKey};
use crate::Timestamp;

/// The map, with std's keyed hasher (random per process).
type Records = HashMap<TokenKey, StoredBlob>;

/// Sealed records in this process's memory: for tests, single-process apps, and as a cache in
/// front of nothing. Clones share the same records.
#[derive(Clone, Debug, Default)]
pub struct InMemoryBlobStore {
    records: Arc<RwLock<Records>>,
}

impl InMemoryBlobStore {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Records> {
        self.records.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Records> {
        self.records.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Overwrites the raw bytes of a record (for tamper tests).
    #[doc(hidden)]
    pub fn raw_set(&self, key: &TokenKey, blob: StoredBlob) {
        self.write().insert(key.clone(), blob);
    }
}

#[async_trait]
impl BlobStore for InMemoryBlobStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<StoredBlob>, StoreError> {
        Ok(self.read().get(key).cloned())
    }

    fn read_now(
        &self,
        _: super::private::Internal,
        key: &TokenKey,
        open: &mut dyn FnMut(Option<&StoredBlob>) -> GetResult,
    ) -> Option<GetResult> {
        Some(open(self.read().get(key)))
    }

    async fn put(&self, key: &TokenKey, blob: StoredBlob) -> Result<(), StoreError> {
        self.write().insert(key.clone(), blob);
        Ok(())
    }

    async fn put_if(&self, key: &TokenKey, expected: &[u8], blob: StoredBlob) -> Result<bool, StoreError> {
        let mut records = self.write();
        let current = records.get(key).map(|b| b.ciphertext.as_ref());
        let matches = match current {
            Some(current) => current == expected && !expected.is_empty(),
            None => expected.is_empty(),
        };
        if matches {
            records.insert(key.clone(), blob);
        }
        Ok(matches)
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        Ok(self.write().remove(key).is_some())
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        Ok(self
            .read()
            .iter()
            .filter(|(k, _)| k.tenant == tenant)
            .map(|(k, b)| (k.clone(), b.clone()))
            .collect())
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        let mut records = self.write();
        let before = records.len();
        records.retain(|k, _| k.tenant != tenant);
        Ok(before - records.len())
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        Ok(self
            .read()
            .iter()
            .filter(|(_, b)| b.expires_at.is_some_and(|at| at < instant))
            .map(|(k, b)| (k.clone(), b.clone()))
            .collect())
    }

    async fn sealed_with_other_key(
        &self,
        key_id: u32,
        after: Option<&TokenKey>,
        limit: usize,
    ) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        // Scans are rare (key rotation): sort the candidates instead of keeping the map ordered.
        let records = self.read();
        let mut page: Vec<(&TokenKey, &StoredBlob)> = records
            .iter()
            .filter(|(k, b)| b.key_id != key_id && after.is_none_or(|after| *k > after))
            .collect();
        page.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Ok(page.into_iter().take(limit).map(|(k, b)| (k.clone(), b.clone())).collect())
    }
}
