//! The token vault: customers' access tokens, app secrets and other API keys, encrypted at rest.
//!
//! # Threat model
//!
//! An integration platform holds its customers' Meta credentials. A leaked database, backup or
//! log must not be a leaked set of tokens. So:
//!
//! - every secret is sealed with AES-256-GCM before a storage backend sees it; backends
//!   ([`BlobStore`]) store and query opaque bytes plus non-secret metadata (expiry) only;
//! - each ciphertext is bound to its record: the associated data is the format header plus an
//!   injective encoding of (tenant, channel, asset id, secret kind), so a ciphertext copied into
//!   another tenant's or channel's row fails to open instead of handing out the wrong token;
//! - keys live in a [`Keyring`] with key ids: one primary key seals, older keys still open, and
//!   rotation is *add*, *promote*, then [`reseal_all`](EncryptedTokenStore::reseal_all) while the
//!   store is in use;
//! - secrets are [`secrecy`] types in memory, zeroized on drop, and never reach `Debug`, logs or
//!   errors.
//!
//! The metadata that drives refreshes (expiry, scopes) is sealed with the secret, and the plain
//! copy a backend keeps for queries is checked against it on every read.
//!
//! What this does not protect against: an attacker who holds the keyring (keep keys out of the
//! database: in an environment variable, a secret manager, or a KMS through
//! [`KeyEncryptionKey`]), or a compromised process.
//!
//! # Use
//!
//! ```
//! # async fn run() -> Result<(), meta_messaging::store::StoreError> {
//! use meta_messaging::token::{
//!     Channel, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, TokenKey, TokenRecord, TokenStore,
//! };
//!
//! let keyring = Keyring::from_base64(1, "q1kXk1mKYUuW5aXz9fZcD4mY0n5bXy5o8m4o0pX2ZgQ=")?;
//! let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), keyring);
//! let key = TokenKey::new("acme", Channel::WhatsApp, "106540352242922", SecretKind::AccessToken);
//! store.put(TokenRecord::new(key.clone(), "EAAG-customer-token")).await?;
//! let record = store.get(&key).await?.expect("stored");
//! assert_eq!(record.secret.expose_secret(), "EAAG-customer-token");
//! # Ok(()) }
//! ```

mod cipher;
mod encrypted;
mod envelope;
mod flow_keys;
mod future;
mod keyring;
mod lifecycle;
mod memory;
mod payload;
mod sealed;
#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use encrypted::{EncryptedTokenStore, ResealReport};
pub use envelope::{KeyEncryptionKey, KeyRegistry, LocalKek};
pub use flow_keys::{flow_keys, store_flow_key};
pub use future::{GetFuture, GetResult};
pub use keyring::{DataKey, KeyState, Keyring, MAX_SEALS_PER_KEY};
pub use lifecycle::{
    DebugToken, DebugTokenResponse, GranularScope, InstagramToken, OAuth, RefreshOutcome, RefreshReport,
    Refresher, TokenResponse,
};
pub use memory::InMemoryBlobStore;
pub use payload::PayloadSealer;
pub use sealed::{FORMAT_VERSION, FORMAT_VERSION_ENVELOPE};

use crate::Timestamp;
use crate::graph::serde_util::string_enum;
use crate::secret::SecretValue;
use crate::store::StoreError;

string_enum! {
    /// The channel a credential belongs to.
    pub enum Channel {
        /// WhatsApp (asset: a phone-number id or WABA id).
        WhatsApp = "whatsapp",
        /// Messenger (asset: a Page id).
        Messenger = "messenger",
        /// Instagram (asset: an Instagram account id).
        Instagram = "instagram",
        /// App-level credentials (asset: the app id).
        App = "app",
        /// Anything else (an AI provider's API key, a CRM token, ...).
        Other = "other",
    }
}

string_enum! {
    /// What kind of secret a record holds.
    pub enum SecretKind {
        /// A Graph access token.
        AccessToken = "access_token",
        /// A Meta app secret.
        AppSecret = "app_secret",
        /// A webhook verify token.
        VerifyToken = "verify_token",
        /// A relay signing secret.
        SigningSecret = "signing_secret",
        /// Any API key.
        ApiKey = "api_key",
        /// A refresh token.
        RefreshToken = "refresh_token",
        /// A WhatsApp Flows business private key (PEM), see [`store_flow_key`].
        FlowPrivateKey = "flow_private_key",
    }
}

/// The identity of a stored secret: (tenant, channel, asset id, secret kind).
///
/// Every part is bound into the ciphertext, so a record cannot be moved to another key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenKey {
    /// Your customer (an account id, a workspace slug).
    pub tenant: String,
    /// The channel.
    pub channel: Channel,
    /// The asset: phone-number id, WABA id, Page id, Instagram account id, app id.
    pub asset_id: String,
    /// The secret kind.
    pub kind: SecretKind,
}

impl TokenKey {
    /// A key. A channel or kind given as `Unknown` with a known name is read as the known one
    /// (`Channel::Unknown("app")` is `Channel::App`), so one name is one key: an `Unknown`
    /// spelling can never slip past a check made on the known variant.
    pub fn new(
        tenant: impl Into<String>,
        channel: Channel,
        asset_id: impl Into<String>,
        kind: SecretKind,
    ) -> Self {
        let channel = match channel {
            Channel::Unknown(name) => Channel::from(name),
            known => known,
        };
        let kind = match kind {
            SecretKind::Unknown(name) => SecretKind::from(name),
            known => known,
        };
        Self { tenant: tenant.into(), channel, asset_id: asset_id.into(), kind }
    }

    /// `tenant/channel/asset/kind`, for logs (no secret in it).
    pub fn display(&self) -> String {
        format!("{}/{}/{}/{}", self.tenant, self.channel, self.asset_id, self.kind)
    }
}

string_enum! {
    /// How a token can be renewed before it expires.
    pub enum RefreshMethod {
        /// A long-lived Facebook user token: re-exchange with `fb_exchange_token`.
        FacebookExchange = "facebook_exchange",
        /// An Instagram-Login token: `ig_refresh_token`.
        InstagramRefresh = "instagram_refresh",
        /// Cannot be refreshed by the crate (system-user and Page tokens, API keys).
        None = "none",
    }
}

/// Non-secret facts about a stored secret. Sealed with it, and readable without it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenMetadata {
    /// When the secret stops working (`None`: never, or unknown).
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// When access to the user's data expires (Meta's `data_access_expires_at`).
    #[serde(default)]
    pub data_access_expires_at: Option<Timestamp>,
    /// When the secret was issued.
    #[serde(default)]
    pub issued_at: Option<Timestamp>,
    /// Granted permissions.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Meta's token type (`USER`, `PAGE`, `SYSTEM_USER`, `APP`, ...). The vault stores an
    /// empty string as `None`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// How to renew it.
    #[serde(default = "no_refresh")]
    pub refresh: RefreshMethod,
    /// When the record was last written.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

fn no_refresh() -> RefreshMethod {
    RefreshMethod::None
}

impl Default for TokenMetadata {
    fn default() -> Self {
        Self {
            expires_at: None,
            data_access_expires_at: None,
            issued_at: None,
            scopes: Vec::new(),
            token_type: None,
            refresh: RefreshMethod::None,
            updated_at: None,
        }
    }
}

/// A secret with its key and metadata.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenRecord {
    /// Its identity.
    pub key: TokenKey,
    /// The secret.
    pub secret: SecretValue,
    /// Its metadata.
    pub metadata: TokenMetadata,
}

impl fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRecord")
            .field("key", &self.key)
            .field("secret", &"[REDACTED]")
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl TokenRecord {
    /// A record without metadata.
    pub fn new(key: TokenKey, secret: impl Into<SecretValue>) -> Self {
        Self { key, secret: secret.into(), metadata: TokenMetadata::default() }
    }

    /// Sets when the secret expires.
    #[must_use]
    pub fn expires_at(mut self, at: Timestamp) -> Self {
        self.metadata.expires_at = Some(at);
        self
    }

    /// Sets the metadata.
    #[must_use]
    pub fn with_metadata(mut self, metadata: TokenMetadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// The key and metadata, without the secret.
    pub fn info(&self) -> RecordInfo {
        RecordInfo { key: self.key.clone(), metadata: self.metadata.clone() }
    }
}

/// A record's key and metadata, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordInfo {
    /// Its identity.
    pub key: TokenKey,
    /// Its metadata.
    pub metadata: TokenMetadata,
}

/// Where credentials live. Object-safe: hold one as `Arc<dyn TokenStore>`.
///
/// [`EncryptedTokenStore`] implements it over any [`BlobStore`]; a vault or KMS that already
/// protects secrets can implement it directly. Run [`testing::run_conformance`] (feature
/// `testing`) against your implementation.
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The record under `key`, if any. Not an `async fn`, so that a store holding its records
    /// in memory answers without allocating a future: implementations return
    /// [`GetFuture::ready`] or wrap their async code in [`GetFuture::new`].
    ///
    /// # Errors
    ///
    /// [`StoreError`]: backend failure, or a record that fails to open (wrong key, tampered).
    fn get<'a>(&'a self, key: &'a TokenKey) -> GetFuture<'a>;

    /// Stores a record, replacing any under the same key.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn put(&self, record: TokenRecord) -> Result<(), StoreError>;

    /// Deletes a record; `true` if there was one.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError>;

    /// Every record of a tenant, without secrets.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn list_tenant(&self, tenant: &str) -> Result<Vec<RecordInfo>, StoreError>;

    /// Deletes every record of a tenant (account deletion); returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError>;

    /// Every record expiring before `instant`, without secrets.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<RecordInfo>, StoreError>;
}

/// A sealed record as a backend stores it: ciphertext plus the plain facts queries need.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredBlob {
    /// The sealed bytes (format version, key id, nonce, ciphertext, tag); cheap to clone.
    pub ciphertext: bytes::Bytes,
    /// The key id that sealed it (for finding records to re-seal).
    pub key_id: u32,
    /// The expiry, for [`TokenStore::expiring_before`] (checked against the sealed copy).
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for StoredBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredBlob")
            .field("len", &self.ciphertext.len())
            .field("key_id", &self.key_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl StoredBlob {
    /// A blob.
    pub fn new(ciphertext: impl Into<bytes::Bytes>, key_id: u32, expires_at: Option<Timestamp>) -> Self {
        Self { ciphertext: ciphertext.into(), key_id, expires_at }
    }
}

/// Arguments only this crate can construct, to keep optimisation hooks of public traits private.
pub(crate) mod private {
    /// Proof that the caller is this crate.
    #[derive(Clone, Copy, Debug)]
    pub struct Internal;
}

/// Byte-level storage for sealed records: what a database integration implements.
///
/// Implementations never see plaintext. They must make [`put_if`](Self::put_if) atomic so a
/// re-seal never overwrites a concurrent update.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// The blob under `key`.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn get(&self, key: &TokenKey) -> Result<Option<StoredBlob>, StoreError>;

    /// The crate's in-memory fast path: opens the blob where it lies, without an await. Its
    /// first argument is a type no other crate can name, so the method can be neither called
    /// nor overridden outside this crate.
    #[doc(hidden)]
    fn read_now(
        &self,
        _: private::Internal,
        key: &TokenKey,
        open: &mut dyn FnMut(Option<&StoredBlob>) -> GetResult,
    ) -> Option<GetResult> {
        let _ = (key, open);
        None
    }

    /// Stores a blob, replacing any.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn put(&self, key: &TokenKey, blob: StoredBlob) -> Result<(), StoreError>;

    /// Replaces the blob under `key` only if its ciphertext is still `expected` (an empty
    /// `expected` means: only if there is no blob yet); `true` if written.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn put_if(&self, key: &TokenKey, expected: &[u8], blob: StoredBlob) -> Result<bool, StoreError>;

    /// Deletes the blob; `true` if there was one.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError>;

    /// Every blob of a tenant.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn list_tenant(&self, tenant: &str) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError>;

    /// Deletes every blob of a tenant; returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError>;

    /// Every blob whose plain expiry is before `instant`.
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError>;

    /// Up to `limit` blobs sealed with a key other than `key_id`, in key order after `after`
    /// (for re-sealing in pages).
    ///
    /// # Errors
    ///
    /// [`StoreError`].
    async fn sealed_with_other_key(
        &self,
        key_id: u32,
        after: Option<&TokenKey>,
        limit: usize,
    ) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError>;
}

/// A shared backend is a backend: one `Arc<dyn BlobStore>` (chosen at run time, say) can serve
/// several stores.
#[async_trait]
impl<T: BlobStore + ?Sized> BlobStore for std::sync::Arc<T> {
    async fn get(&self, key: &TokenKey) -> Result<Option<StoredBlob>, StoreError> {
        (**self).get(key).await
    }

    fn read_now(
        &self,
        internal: private::Internal,
        key: &TokenKey,
        open: &mut dyn FnMut(Option<&StoredBlob>) -> GetResult,
    ) -> Option<GetResult> {
        (**self).read_now(internal, key, open)
    }

    async fn put(&self, key: &TokenKey, blob: StoredBlob) -> Result<(), StoreError> {
        (**self).put(key, blob).await
    }

    async fn put_if(&self, key: &TokenKey, expected: &[u8], blob: StoredBlob) -> Result<bool, StoreError> {
        (**self).put_if(key, expected, blob).await
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        (**self).delete(key).await
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        (**self).list_tenant(tenant).await
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        (**self).delete_tenant(tenant).await
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        (**self).expiring_before(instant).await
    }

    async fn sealed_with_other_key(
        &self,
        key_id: u32,
        after: Option<&TokenKey>,
        limit: usize,
    ) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        (**self).sealed_with_other_key(key_id, after, limit).await
    }
}
