//! Who a user is, now that WhatsApp may withhold phone numbers: one typed [`UserIdentity`]
//! (phone, business-scoped user id, parent id, username: whatever Meta sent, never an empty
//! string), one stable key per user, and an [`IdentityDirectory`] that learns which phone and
//! which BSUID are the same user, shared by replicas through an [`IdentityStore`].
//!
//! Meta's [business-scoped user ids](https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids)
//! (BSUIDs) name each user per business portfolio (`US.13491208655302741918`; a parent BSUID,
//! `US.ENT.…`, spans the portfolios of a managed business). A user who adopts a username may
//! no longer expose a phone number: `from`, `wa_id` and `recipient_id` are then left out (before
//! February 2026 they were empty strings, which the crate reads as absent too). A user who
//! changes phone number gets a new BSUID (`user_changed_user_id`, `user_id_update`).
//!
//! **The stable key** of a user ([`UserIdentity::key`], `Event::user_key`) is the BSUID when Meta
//! sent one, else the phone number. Every 2026 message and status carries the BSUID, so a user
//! seen with and without a phone has one key. Where only a phone is known (a send addressed by
//! phone, an older webhook, a failed status), [`IdentityDirectory::resolve`] maps it to the
//! BSUID the directory learnt for it. Windows, pair-rate budgets and inbox conversations use
//! this key.
//!
//! The directory's scope is the business phone number (`phone_number_id`): BSUIDs are per
//! portfolio, and a number belongs to one portfolio, so a scope never mixes two users.
//!
//! ```
//! # async fn run() -> Result<(), meta_messaging::store::StoreError> {
//! use meta_messaging::identity::{IdentityDirectory, InMemoryIdentityStore, UserIdentity};
//!
//! let directory = IdentityDirectory::new(InMemoryIdentityStore::default());
//! let user = UserIdentity::new().phone("16505551234").user_id("US.13491208655302741918");
//! directory.remember("106540352242922", &user).await?;
//! // A send addressed by phone resolves to the key webhooks use for the same user.
//! assert_eq!(directory.resolve("106540352242922", "16505551234").await?, "US.13491208655302741918");
//! # Ok(()) }
//! ```

mod learn;
mod memory;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::store::StoreError;

pub use crate::user::{UserIdentity, is_phone};
pub use memory::InMemoryIdentityStore;

/// Where the directory keeps identities, per scope (a business phone number id): one record per
/// BSUID, found by BSUID or by phone. Implementations: [`InMemoryIdentityStore`], and in
/// `store` the SQLite, PostgreSQL and Redis engines, which replicas share.
#[async_trait]
pub trait IdentityStore: Send + Sync + fmt::Debug {
    /// Stores what is known of a user who has a BSUID, merging with what was known (a known
    /// value is replaced only by a non-empty one). A phone number moves to the newest BSUID that
    /// claims it (a user who changed number, or a number that changed hands).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails.
    async fn remember(&self, scope: &str, identity: &UserIdentity) -> Result<(), StoreError>;

    /// The user with this BSUID.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails.
    async fn by_user_id(&self, scope: &str, user_id: &str) -> Result<Option<UserIdentity>, StoreError>;

    /// The user with this phone number.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails.
    async fn by_phone(&self, scope: &str, phone: &str) -> Result<Option<UserIdentity>, StoreError>;

    /// Forgets every user of `scope` (erasing a tenant). Returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails.
    async fn forget_scope(&self, scope: &str) -> Result<u64, StoreError>;
}

#[async_trait]
impl<T: IdentityStore + ?Sized> IdentityStore for Arc<T> {
    async fn remember(&self, scope: &str, identity: &UserIdentity) -> Result<(), StoreError> {
        (**self).remember(scope, identity).await
    }
    async fn by_user_id(&self, scope: &str, user_id: &str) -> Result<Option<UserIdentity>, StoreError> {
        (**self).by_user_id(scope, user_id).await
    }
    async fn by_phone(&self, scope: &str, phone: &str) -> Result<Option<UserIdentity>, StoreError> {
        (**self).by_phone(scope, phone).await
    }
    async fn forget_scope(&self, scope: &str) -> Result<u64, StoreError> {
        (**self).forget_scope(scope).await
    }
}

/// The identity directory: learns who is who from webhooks and send answers, and resolves any
/// identifier of a user to the user's stable key. Cheap to clone; share one per process.
#[derive(Clone, Debug)]
pub struct IdentityDirectory {
    store: Arc<dyn IdentityStore>,
}

impl IdentityDirectory {
    /// A directory over `store`.
    pub fn new(store: impl IdentityStore + 'static) -> Self {
        Self { store: Arc::new(store) }
    }

    /// A directory over a store shared with other code.
    pub fn from_shared(store: Arc<dyn IdentityStore>) -> Self {
        Self { store }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn IdentityStore> {
        &self.store
    }

    /// Remembers what is known of a user in `scope` (only users with a BSUID are stored: a
    /// phone alone is its own key).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn remember(&self, scope: &str, identity: &UserIdentity) -> Result<(), StoreError> {
        if identity.user_id.is_none() {
            return Ok(());
        }
        self.store.remember(scope, identity).await
    }

    /// Everything known of the user behind `id` (a phone number or a BSUID) in `scope`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn lookup(&self, scope: &str, id: &str) -> Result<Option<UserIdentity>, StoreError> {
        let id = id.trim();
        if id.is_empty() {
            return Ok(None);
        }
        if is_phone(id) {
            self.store.by_phone(scope, &crate::user::phone_digits(id)).await
        } else {
            self.store.by_user_id(scope, id).await
        }
    }

    /// The stable key of the user behind `id` in `scope`: the BSUID the directory knows for a
    /// phone number, else `id` itself (a phone number as its digits).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn resolve(&self, scope: &str, id: &str) -> Result<String, StoreError> {
        let id = id.trim();
        if is_phone(id) {
            if let Some(user_id) = self.lookup(scope, id).await?.and_then(|user| user.user_id) {
                return Ok(user_id);
            }
            return Ok(crate::user::phone_digits(id));
        }
        Ok(id.to_owned())
    }
}
