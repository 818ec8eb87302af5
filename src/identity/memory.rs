//! [`InMemoryIdentityStore`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use super::{IdentityStore, UserIdentity};
use crate::store::StoreError;

#[derive(Debug, Default)]
struct Scope {
    by_user_id: HashMap<String, UserIdentity>,
    by_phone: HashMap<String, String>,
}

/// Identities in this process's memory (tests, one process). Replicas share the SQLite,
/// PostgreSQL or Redis engines.
#[derive(Debug, Default)]
pub struct InMemoryIdentityStore {
    scopes: Mutex<HashMap<String, Scope>>,
}

#[async_trait]
impl IdentityStore for InMemoryIdentityStore {
    async fn remember(&self, scope: &str, identity: &UserIdentity) -> Result<(), StoreError> {
        let Some(user_id) = identity.user_id.clone() else { return Ok(()) };
        let mut scopes = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
        let scope = scopes.entry(scope.to_owned()).or_default();
        let known = scope.by_user_id.remove(&user_id).unwrap_or_default();
        let merged = identity.clone().merged(&known);
        if let Some(phone) = &merged.phone {
            // The phone moves to this user; the user who had it before loses it.
            if let Some(previous) = scope.by_phone.insert(phone.clone(), user_id.clone()) {
                if previous != user_id {
                    if let Some(old) = scope.by_user_id.get_mut(&previous) {
                        old.phone = None;
                    }
                }
            }
        }
        if let (Some(old_phone), Some(new_phone)) = (&known.phone, &identity.phone) {
            if old_phone != new_phone && scope.by_phone.get(old_phone) == Some(&user_id) {
                scope.by_phone.remove(old_phone);
            }
        }
        scope.by_user_id.insert(user_id, merged);
        Ok(())
    }

    async fn by_user_id(&self, scope: &str, user_id: &str) -> Result<Option<UserIdentity>, StoreError> {
        let scopes = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(scopes.get(scope).and_then(|s| s.by_user_id.get(user_id)).cloned())
    }

    async fn by_phone(&self, scope: &str, phone: &str) -> Result<Option<UserIdentity>, StoreError> {
        let scopes = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(scope) = scopes.get(scope) else { return Ok(None) };
        Ok(scope.by_phone.get(phone).and_then(|user_id| scope.by_user_id.get(user_id)).cloned())
    }

    async fn forget_scope(&self, scope: &str) -> Result<u64, StoreError> {
        let mut scopes = self.scopes.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(scopes.remove(scope).map_or(0, |s| s.by_user_id.len() as u64))
    }
}
