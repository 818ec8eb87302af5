//! [`EncryptedTokenStore`]: sealing written once, over any [`BlobStore`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::cipher::Cipher;
use super::envelope::{Envelope, KeyEncryptionKey, KeyRegistry, TenantKey};
use super::keyring::Keyring;
use super::sealed::{self, FORMAT_VERSION, FORMAT_VERSION_ENVELOPE};
use super::{BlobStore, GetFuture, RecordInfo, StoreError, StoredBlob, TokenKey, TokenRecord, TokenStore};
use crate::Timestamp;
use crate::clock::{SharedClock, system};

pub(super) enum Keys {
    Ring(Arc<Keyring>),
    Envelope(Envelope),
}

/// A [`TokenStore`] that seals every secret with AES-256-GCM before handing it to a
/// [`BlobStore`]. See the [module docs](super) for the threat model and format.
///
/// Two key modes:
/// - a [`Keyring`] ([`new`](Self::new)): one primary key for all tenants, rotated with
///   [`reseal_all`](Self::reseal_all);
/// - envelope ([`with_envelope`](Self::with_envelope)): a random data key per tenant, wrapped by
///   a [`KeyEncryptionKey`] and kept in a [`KeyRegistry`] apart from the records; deleting a
///   tenant destroys its data key first, so copies of its ciphertext left in backups of the
///   record store can no longer be opened (see [`KeyRegistry`] for what remains).
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
            Keys::Envelope(envelope) => d.field("envelope", envelope),
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

    /// A store in envelope mode: per-tenant data keys wrapped by `kek` and kept in `registry`,
    /// which must live apart from `blobs` (another database or file with its own backups).
    pub fn with_envelope(blobs: B, kek: Arc<dyn KeyEncryptionKey>, registry: KeyRegistry) -> Self {
        Self { blobs, keys: Keys::Envelope(Envelope::new(kek, registry)), clock: system() }
    }

    /// Uses `clock` for `updated_at` and the key cache's staleness (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        if let Keys::Envelope(envelope) = &mut self.keys {
            envelope.clock = Arc::clone(&clock);
        }
        self.clock = clock;
        self
    }

    /// Envelope mode: how long a cached tenant key may open records without the registry
    /// confirming it again. Zero by default: every read asks the registry (one more round trip
    /// to it), so a tenant deleted on another replica is unreadable here at once. A bound of
    /// `d` trades that for fewer registry reads: a deleted tenant's records stay readable on a
    /// warm replica for at most `d` after the deletion. No effect in keyring mode.
    #[must_use]
    pub fn key_cache_staleness(mut self, max: std::time::Duration) -> Self {
        if let Keys::Envelope(envelope) = &mut self.keys {
            envelope.max_staleness = max;
        }
        self
    }

    /// The keyring (keyring mode), for rotation.
    pub fn keyring(&self) -> Option<&Keyring> {
        match &self.keys {
            Keys::Ring(ring) => Some(ring),
            Keys::Envelope(_) => None,
        }
    }

    /// The backend.
    pub fn blobs(&self) -> &B {
        &self.blobs
    }

    /// The key mode and its keys.
    pub(super) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Seals a record with the keyring's primary key (keyring mode).
    fn seal(&self, record: &TokenRecord) -> Result<StoredBlob, StoreError> {
        self.seal_with(record, None)
    }

    /// Seals with the keyring's primary key, or with `envelope` (the tenant's data key).
    fn seal_with(
        &self,
        record: &TokenRecord,
        envelope: Option<&TenantKey>,
    ) -> Result<StoredBlob, StoreError> {
        let mut metadata = record.metadata.clone();
        metadata.updated_at = Some(self.clock.now());
        let plaintext = sealed::encode_plaintext(record.secret.expose_secret(), &metadata)?;
        let mut aad = sealed::AadBuf::new();
        let (ciphertext, key_id) = match (&self.keys, envelope) {
            (_, Some(tenant_key)) => {
                let version = tenant_key.version;
                let aad = aad.fill(FORMAT_VERSION_ENVELOPE, version, &record.key)?;
                (
                    sealed::seal(&tenant_key.cipher, FORMAT_VERSION_ENVELOPE, version, aad, &plaintext)?,
                    version,
                )
            }
            (Keys::Ring(ring), None) => {
                let (key_id, cipher) = ring.sealer()?;
                let aad = aad.fill(FORMAT_VERSION, key_id, &record.key)?;
                (sealed::seal(&cipher, FORMAT_VERSION, key_id, aad, &plaintext)?, key_id)
            }
            (Keys::Envelope(_), None) => return Err(StoreError::decrypt()),
        };
        Ok(StoredBlob::new(ciphertext, key_id, metadata.expires_at))
    }

    async fn open(&self, key: &TokenKey, blob: &StoredBlob) -> Result<TokenRecord, StoreError> {
        match &self.keys {
            Keys::Ring(_) => self.open_with(key, blob, None, |record| record),
            Keys::Envelope(envelope) => {
                let version = sealed::split(&blob.ciphertext)?.key_id;
                let tenant_key = envelope.for_open(&key.tenant, version).await?;
                self.open_with(key, blob, Some(&tenant_key.cipher), |record| record)
            }
        }
    }

    /// Opens a record with the keyring, or with `envelope` (the tenant's data key), and hands
    /// it to `wrap` (which lets `get` build its `Some(record)` in place).
    fn open_with<R>(
        &self,
        key: &TokenKey,
        blob: &StoredBlob,
        envelope: Option<&Cipher>,
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
            (Keys::Envelope(_), Some(cipher), FORMAT_VERSION_ENVELOPE) => {
                sealed::open_then(cipher, &parts, aad, decode)
            }
            _ => Err(StoreError::format("record sealed in the other key mode")),
        }
    }

    async fn infos(&self, blobs: Vec<(TokenKey, StoredBlob)>) -> Result<Vec<RecordInfo>, StoreError> {
        let mut infos = Vec::with_capacity(blobs.len());
        for (key, blob) in blobs {
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

    /// How many records are still sealed with keyring key `key_id` (read in pages).
    ///
    /// # Errors
    ///
    /// The backend's [`StoreError`].
    pub async fn records_sealed_with(&self, key_id: u32) -> Result<usize, StoreError> {
        let Keys::Ring(ring) = &self.keys else {
            return Ok(0);
        };
        let primary = ring.primary_id();
        if key_id == primary {
            // Every record not under another key is under the primary: not what this counts.
            return Err(StoreError::key("that is the primary key, which seals every new record"));
        }
        let (mut count, mut after) = (0, None::<TokenKey>);
        loop {
            let page = self.blobs.sealed_with_other_key(primary, after.as_ref(), 500).await?;
            let Some((last, _)) = page.last() else {
                return Ok(count);
            };
            after = Some(last.clone());
            count += page.iter().filter(|(_, blob)| blob.key_id == key_id).count();
        }
    }

    /// Disables keyring key `key_id`, but only once no record is sealed with it any more: a
    /// disabled key opens nothing, so disabling one that records still use would lock them away.
    /// Run [`reseal_all`](Self::reseal_all) first; [`Keyring::disable`] skips this check.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) when records still use the key
    /// (the message says how many), when it is the primary or unknown, or in envelope mode; the
    /// backend's [`StoreError`].
    pub async fn disable_key(&self, key_id: u32) -> Result<(), StoreError> {
        let Keys::Ring(ring) = &self.keys else {
            return Err(StoreError::key("envelope mode has no keyring keys to disable"));
        };
        ring.state(key_id)
            .ok_or_else(|| StoreError::key(format!("key id {key_id} is not in the keyring")))?;
        match self.records_sealed_with(key_id).await? {
            0 => ring.disable(key_id),
            n => Err(StoreError::key(format!(
                "key id {key_id} still seals {n} record(s): run reseal_all before disabling it"
            ))),
        }
    }

    /// Writes a record in envelope mode, then checks that the tenant key it was sealed with is
    /// still the tenant's key in the registry. If a deletion (here or on another replica)
    /// destroyed it meanwhile, the record is sealed again under the tenant's current key and
    /// swapped in only if nobody changed it since; a concurrent write or delete wins.
    async fn put_envelope(&self, envelope: &Envelope, record: &TokenRecord) -> Result<(), StoreError> {
        const ATTEMPTS: usize = 4;
        let tenant = &record.key.tenant;
        let mut tenant_key = envelope.for_seal(tenant).await?;
        let mut blob = self.seal_with(record, Some(&tenant_key))?;
        self.blobs.put(&record.key, blob.clone()).await?;
        for _ in 0..ATTEMPTS {
            if envelope.still_current(tenant, &tenant_key).await? {
                return Ok(());
            }
            tenant_key = envelope.for_seal(tenant).await?;
            let fresh = self.seal_with(record, Some(&tenant_key))?;
            if !self.blobs.put_if(&record.key, &blob.ciphertext, fresh.clone()).await? {
                return Ok(());
            }
            blob = fresh;
        }
        Err(StoreError::backend_message("the tenant's key kept changing while a record was written; retry"))
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
        counted("reseal", self.reseal_pages().await)
    }

    async fn reseal_pages(&self) -> Result<ResealReport, StoreError> {
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
                    Ok(record) => self.seal(&record),
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
                return GetFuture::ready(counted("get", opened));
            }
        }
        GetFuture::new(async move {
            let opened = match self.blobs.get(key).await {
                Ok(Some(blob)) => self.open(key, &blob).await.map(Some),
                Ok(None) => Ok(None),
                Err(error) => Err(error),
            };
            counted("get", opened)
        })
    }

    async fn put(&self, record: TokenRecord) -> Result<(), StoreError> {
        let written = match &self.keys {
            Keys::Ring(_) => match self.seal(&record) {
                Ok(blob) => self.blobs.put(&record.key, blob).await,
                Err(error) => Err(error),
            },
            Keys::Envelope(envelope) => self.put_envelope(envelope, &record).await,
        };
        counted("put", written)
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        counted("delete", self.blobs.delete(key).await)
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<RecordInfo>, StoreError> {
        let listed = match self.blobs.list_tenant(tenant).await {
            Ok(blobs) => self.infos(blobs).await,
            Err(error) => Err(error),
        };
        counted("list_tenant", listed)
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        // The key goes first: a record a concurrent `put` writes after this point is caught by
        // that put's own check and sealed again under a new key, never left under a dead one.
        let destroyed = match &self.keys {
            Keys::Envelope(envelope) => envelope.destroy(tenant).await,
            Keys::Ring(_) => Ok(()),
        };
        let deleted = match destroyed {
            Ok(()) => self.blobs.delete_tenant(tenant).await,
            Err(error) => Err(error),
        };
        counted("delete_tenant", deleted)
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<RecordInfo>, StoreError> {
        let listed = match self.blobs.expiring_before(instant).await {
            Ok(blobs) => self.infos(blobs).await,
            Err(error) => Err(error),
        };
        counted("expiring_before", listed)
    }
}

/// Counts a vault operation by its outcome (feature `metrics`) and hands the result back.
fn counted<T>(operation: &'static str, result: Result<T, StoreError>) -> Result<T, StoreError> {
    crate::telemetry::count(
        crate::telemetry::VAULT_OPERATIONS,
        &[("operation", operation), ("outcome", crate::telemetry::outcome(&result))],
        1,
    );
    result
}
