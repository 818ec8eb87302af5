//! [`EncryptedTokenStore`]: sealing written once, over any [`BlobStore`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aes_gcm::Aes256Gcm;
use async_trait::async_trait;
use zeroize::Zeroizing;

use super::keyring::{DataKey, Keyring};
use super::sealed::{self, FORMAT_VERSION, FORMAT_VERSION_ENVELOPE};
use super::{
    BlobStore, Channel, GetFuture, RecordInfo, SecretKind, StoreError, StoredBlob, TokenKey, TokenRecord,
    TokenStore,
};
use crate::Timestamp;
use crate::clock::{SharedClock, system};

/// Asset id of the records holding tenants' wrapped data keys (envelope mode).
const DATA_KEY_ASSET: &str = "__data_key__";
/// Key id of records sealed with a tenant data key.
const ENVELOPE_KEY_ID: u32 = 1;

/// A key-encryption key (KEK) for envelope mode: wraps each tenant's data key, so the keys that
/// protect tokens never sit unencrypted next to them. Implement it over AWS KMS, GCP KMS or
/// Vault transit; [`LocalKek`] is a local implementation.
#[async_trait]
pub trait KeyEncryptionKey: Send + Sync + fmt::Debug {
    /// Wraps (encrypts) a data key, bound to `context` (the tenant).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the KMS fails.
    async fn wrap(&self, data_key: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError>;

    /// Unwraps a data key wrapped for `context`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the KMS fails or the wrapped key is not for this context.
    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError>;
}

/// A [`KeyEncryptionKey`] held in this process: AES-256-GCM under a [`Keyring`] (so the KEK
/// rotates like any keyring: add, promote, and keep the old key enabled for existing tenants).
#[derive(Debug)]
pub struct LocalKek {
    keyring: Keyring,
}

impl LocalKek {
    /// A local KEK.
    pub fn new(keyring: Keyring) -> Self {
        Self { keyring }
    }

    /// Its keyring, for rotation.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }
}

fn kek_aad(version: u8, key_id: u32, context: &[u8]) -> Vec<u8> {
    let mut aad = b"meta-messaging/kek".to_vec();
    aad.push(version);
    aad.extend_from_slice(&key_id.to_be_bytes());
    aad.extend_from_slice(context);
    aad
}

#[async_trait]
impl KeyEncryptionKey for LocalKek {
    async fn wrap(&self, data_key: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (key_id, cipher) = self.keyring.sealer()?;
        sealed::seal(&cipher, FORMAT_VERSION, key_id, &kek_aad(FORMAT_VERSION, key_id, context), data_key)
    }

    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let parts = sealed::split(wrapped)?;
        self.keyring.with_opener(parts.key_id, |cipher| {
            sealed::open(cipher, &parts, &kek_aad(parts.version, parts.key_id, context))
        })
    }
}

enum Keys {
    Ring(Arc<Keyring>),
    Envelope { kek: Arc<dyn KeyEncryptionKey>, cache: Mutex<HashMap<String, Arc<Aes256Gcm>>> },
}

/// A [`TokenStore`] that seals every secret with AES-256-GCM before handing it to a
/// [`BlobStore`]. See the [module docs](super) for the threat model and format.
///
/// Two key modes:
/// - a [`Keyring`] ([`new`](Self::new)): one primary key for all tenants, rotated with
///   [`reseal_all`](Self::reseal_all);
/// - envelope ([`with_envelope`](Self::with_envelope)): a random data key per tenant, wrapped by
///   a [`KeyEncryptionKey`] and stored beside the tenant's records; deleting a tenant deletes its
///   data key too, so any copy of its ciphertext left in backups can no longer be opened.
pub struct EncryptedTokenStore<B> {
    blobs: B,
    keys: Keys,
    clock: SharedClock,
}

impl<B: fmt::Debug> fmt::Debug for EncryptedTokenStore<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("EncryptedTokenStore");
        d.field("blobs", &self.blobs);
        match &self.keys {
            Keys::Ring(ring) => d.field("keyring", ring),
            Keys::Envelope { kek, .. } => d.field("kek", kek),
        };
        d.finish_non_exhaustive()
    }
}

/// What [`EncryptedTokenStore::reseal_all`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResealReport {
    /// Records moved to the primary key.
    pub resealed: usize,
    /// Records changed concurrently (already written with the primary key, or deleted).
    pub skipped: usize,
    /// Records that did not open (wrong or disabled key, tampered): left under their old key,
    /// and tried again by the next run.
    pub failed: Vec<TokenKey>,
}

impl<B: BlobStore> EncryptedTokenStore<B> {
    /// A store sealing with `keyring`.
    pub fn new(blobs: B, keyring: Keyring) -> Self {
        Self::with_shared_keyring(blobs, Arc::new(keyring))
    }

    /// A store sharing a keyring with other stores (rotation applies to all).
    pub fn with_shared_keyring(blobs: B, keyring: Arc<Keyring>) -> Self {
        Self { blobs, keys: Keys::Ring(keyring), clock: system() }
    }

    /// A store in envelope mode: per-tenant data keys wrapped by `kek`.
    pub fn with_envelope(blobs: B, kek: Arc<dyn KeyEncryptionKey>) -> Self {
        Self { blobs, keys: Keys::Envelope { kek, cache: Mutex::new(HashMap::new()) }, clock: system() }
    }

    /// Uses `clock` for `updated_at` (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The keyring (keyring mode), for rotation.
    pub fn keyring(&self) -> Option<&Keyring> {
        match &self.keys {
            Keys::Ring(ring) => Some(ring),
            Keys::Envelope { .. } => None,
        }
    }

    /// The backend.
    pub fn blobs(&self) -> &B {
        &self.blobs
    }

    fn data_key_record(tenant: &str) -> TokenKey {
        TokenKey::new(tenant, Channel::App, DATA_KEY_ASSET, SecretKind::Unknown("data_key".to_owned()))
    }

    fn is_data_key(key: &TokenKey) -> bool {
        key.channel == Channel::App && key.asset_id == DATA_KEY_ASSET
    }

    /// The tenant's data key (envelope mode), created on first use.
    async fn tenant_cipher(&self, tenant: &str, create: bool) -> Result<Option<Arc<Aes256Gcm>>, StoreError> {
        let Keys::Envelope { kek, cache } = &self.keys else {
            return Ok(None);
        };
        if let Some(cipher) = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(tenant) {
            return Ok(Some(Arc::clone(cipher)));
        }
        let record = Self::data_key_record(tenant);
        let context = tenant.as_bytes();
        let wrapped = match self.blobs.get(&record).await? {
            Some(blob) => blob.ciphertext,
            None if create => {
                let key = DataKey::generate();
                let wrapped = kek.wrap(key.expose_bytes(), context).await?;
                let wrapped = bytes::Bytes::from(wrapped);
                let blob = StoredBlob::new(wrapped.clone(), 0, None);
                if self.blobs.put_if(&record, &[], blob).await? {
                    wrapped
                } else {
                    // Another writer created it first: use theirs.
                    self.blobs.get(&record).await?.ok_or_else(StoreError::decrypt)?.ciphertext
                }
            }
            None => return Ok(None),
        };
        let raw = kek.unwrap(&wrapped, context).await?;
        let cipher = Arc::new(DataKey::from_bytes(&raw)?.into_cipher());
        cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(tenant.to_owned(), Arc::clone(&cipher));
        Ok(Some(cipher))
    }

    async fn seal(&self, record: &TokenRecord) -> Result<StoredBlob, StoreError> {
        let envelope = match &self.keys {
            Keys::Ring(_) => None,
            Keys::Envelope { .. } => {
                Some(self.tenant_cipher(&record.key.tenant, true).await?.ok_or_else(StoreError::decrypt)?)
            }
        };
        self.seal_with(record, envelope.as_deref())
    }

    /// Seals with the keyring's primary key, or with `envelope` (the tenant's data key).
    fn seal_with(
        &self,
        record: &TokenRecord,
        envelope: Option<&Aes256Gcm>,
    ) -> Result<StoredBlob, StoreError> {
        let mut metadata = record.metadata.clone();
        metadata.updated_at = Some(self.clock.now());
        let plaintext = sealed::encode_plaintext(record.secret.expose_secret(), &metadata)?;
        let mut aad = sealed::AadBuf::new();
        let (ciphertext, key_id) = match (&self.keys, envelope) {
            (_, Some(cipher)) => {
                let aad = aad.fill(FORMAT_VERSION_ENVELOPE, ENVELOPE_KEY_ID, &record.key)?;
                (
                    sealed::seal(cipher, FORMAT_VERSION_ENVELOPE, ENVELOPE_KEY_ID, aad, &plaintext)?,
                    ENVELOPE_KEY_ID,
                )
            }
            (Keys::Ring(ring), None) => {
                let (key_id, cipher) = ring.sealer()?;
                let aad = aad.fill(FORMAT_VERSION, key_id, &record.key)?;
                (sealed::seal(&cipher, FORMAT_VERSION, key_id, aad, &plaintext)?, key_id)
            }
            (Keys::Envelope { .. }, None) => return Err(StoreError::decrypt()),
        };
        Ok(StoredBlob::new(ciphertext, key_id, metadata.expires_at))
    }

    async fn open(&self, key: &TokenKey, blob: &StoredBlob) -> Result<TokenRecord, StoreError> {
        match &self.keys {
            Keys::Ring(_) => self.open_with(key, blob, None, |record| record),
            Keys::Envelope { .. } => {
                let cipher = self.tenant_cipher(&key.tenant, false).await?.ok_or_else(StoreError::decrypt)?;
                self.open_with(key, blob, Some(&cipher), |record| record)
            }
        }
    }

    /// Opens a record with the keyring, or with `envelope` (the tenant's data key), and hands
    /// it to `wrap` (which lets `get` build its `Some(record)` in place).
    fn open_with<R>(
        &self,
        key: &TokenKey,
        blob: &StoredBlob,
        envelope: Option<&Aes256Gcm>,
        wrap: impl FnOnce(TokenRecord) -> R,
    ) -> Result<R, StoreError> {
        let parts = sealed::split(&blob.ciphertext)?;
        let mut aad = sealed::AadBuf::new();
        let aad = aad.fill(parts.version, parts.key_id, key)?;
        let decode = |plaintext: &[u8]| sealed::decode_record(key, blob.expires_at, plaintext, wrap);
        match (&self.keys, envelope, parts.version) {
            (Keys::Ring(ring), None, FORMAT_VERSION) => {
                ring.with_opener(parts.key_id, |cipher| sealed::open_then(cipher, &parts, aad, decode))
            }
            (Keys::Envelope { .. }, Some(cipher), FORMAT_VERSION_ENVELOPE) => {
                sealed::open_then(cipher, &parts, aad, decode)
            }
            _ => Err(StoreError::format("record sealed in the other key mode")),
        }
    }

    async fn infos(&self, blobs: Vec<(TokenKey, StoredBlob)>) -> Result<Vec<RecordInfo>, StoreError> {
        let mut infos = Vec::with_capacity(blobs.len());
        for (key, blob) in blobs {
            if Self::is_data_key(&key) {
                continue;
            }
            match self.open(&key, &blob).await {
                Ok(record) => infos.push(record.info()),
                // One record that does not open (wrong key, tampered, unknown format) must not
                // hide every other tenant's: it is reported and skipped.
                Err(error) if !error.is_retryable() => {
                    tracing::warn!(key = %key.display(), %error, "a sealed record does not open; skipped");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(infos)
    }

    /// Moves every record sealed with an older key to the keyring's primary key, in pages,
    /// while the store stays in use: each record is replaced only if it did not change since it
    /// was read. Envelope mode has nothing to re-seal (rotate the KEK in its KMS).
    ///
    /// # Errors
    ///
    /// The first backend [`StoreError`]; records done before it stay done, and running it again
    /// continues (only records still under an older key are read). Records that do not open
    /// are listed in [`ResealReport::failed`], not errors.
    pub async fn reseal_all(&self) -> Result<ResealReport, StoreError> {
        let Keys::Ring(ring) = &self.keys else {
            return Ok(ResealReport::default());
        };
        let mut report = ResealReport::default();
        let mut after: Option<TokenKey> = None;
        loop {
            let primary = ring.primary_id();
            let page = self.blobs.sealed_with_other_key(primary, after.as_ref(), 100).await?;
            let Some((last, _)) = page.last() else {
                return Ok(report);
            };
            after = Some(last.clone());
            for (key, blob) in page {
                // A record that does not open (or seal) is reported and left as it is; the run
                // goes on with the others.
                let fresh = match self.open(&key, &blob).await {
                    Ok(record) => self.seal(&record).await,
                    Err(error) => Err(error),
                };
                let fresh = match fresh {
                    Ok(fresh) => fresh,
                    Err(error) if !error.is_retryable() => {
                        tracing::warn!(key = %key.display(), %error, "a sealed record could not be re-sealed");
                        report.failed.push(key);
                        continue;
                    }
                    Err(error) => return Err(error),
                };
                if self.blobs.put_if(&key, &blob.ciphertext, fresh).await? {
                    report.resealed += 1;
                } else {
                    report.skipped += 1;
                }
            }
        }
    }
}

#[async_trait]
impl<B: BlobStore> TokenStore for EncryptedTokenStore<B> {
    fn get<'a>(&'a self, key: &'a TokenKey) -> GetFuture<'a> {
        if let Keys::Ring(_) = &self.keys {
            // An in-memory backend lends the blob: open it in place, no await, no copy.
            let mut open = |blob: Option<&StoredBlob>| match blob {
                Some(blob) => self.open_with(key, blob, None, Some),
                None => Ok(None),
            };
            if let Some(opened) = self.blobs.read_now(super::private::Internal, key, &mut open) {
                return GetFuture::ready(opened);
            }
        }
        GetFuture::new(async move {
            let Some(blob) = self.blobs.get(key).await? else {
                return Ok(None);
            };
            self.open(key, &blob).await.map(Some)
        })
    }

    async fn put(&self, record: TokenRecord) -> Result<(), StoreError> {
        if Self::is_data_key(&record.key) {
            return Err(StoreError::key("that asset id is reserved for envelope data keys"));
        }
        let blob = self.seal(&record).await?;
        self.blobs.put(&record.key, blob).await
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        self.blobs.delete(key).await
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<RecordInfo>, StoreError> {
        let blobs = self.blobs.list_tenant(tenant).await?;
        self.infos(blobs).await
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        if let Keys::Envelope { cache, .. } = &self.keys {
            cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(tenant);
        }
        let had_data_key = self.blobs.get(&Self::data_key_record(tenant)).await?.is_some();
        let deleted = self.blobs.delete_tenant(tenant).await?;
        Ok(deleted - usize::from(had_data_key).min(deleted))
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<RecordInfo>, StoreError> {
        let blobs = self.blobs.expiring_before(instant).await?;
        self.infos(blobs).await
    }
}
