//! Envelope mode: per-tenant data keys, their key-encryption key and their registry (see
//! [`KeyRegistry`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use zeroize::Zeroizing;

use super::cipher::Cipher;
use super::keyring::{DataKey, Keyring};
use super::sealed::{self, FORMAT_VERSION};
use super::{BlobStore, Channel, SecretKind, StoreError, StoredBlob, TokenKey};
use crate::clock::{SharedClock, system};

/// A key-encryption key (KEK) for envelope mode: wraps each tenant's data key, so the keys that
/// protect tokens never sit unencrypted anywhere. Implement it over AWS KMS, GCP KMS or Vault
/// transit; [`LocalKek`] is a local implementation.
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

    /// Called when the tenant `context` is deleted, after its registry entry is gone. A KMS that
    /// keeps one key per tenant schedules that key's destruction here, so even a restored
    /// registry backup cannot be unwrapped. The default does nothing (one KEK for all tenants).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the KMS fails; the tenant's deletion reports it.
    async fn destroy(&self, context: &[u8]) -> Result<(), StoreError> {
        let _ = context;
        Ok(())
    }
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

/// Where envelope mode keeps each tenant's wrapped data key: a [`BlobStore`] of its own, which
/// must not be the store (or the database) holding the records, so that backups of the records
/// never hold the keys.
///
/// # Why a registry of its own
///
/// A wrapped key stored beside the records it protects is in every backup of those records, and
/// the key-encryption key that unwraps it stays live: restoring a backup would open everything a
/// deleted tenant had. The registry is a second [`BlobStore`] (another SQLite file, another
/// PostgreSQL database, another Redis) with its own, short backup retention. Deleting a tenant
/// destroys its entry there first (and calls [`KeyEncryptionKey::destroy`], so a KMS holding one
/// key per tenant can schedule that key's deletion): backups of the record store then hold
/// ciphertext nothing can open.
///
/// # Versions
///
/// Each tenant key has a random, non-zero version, written in the `key_id` field of every record
/// it seals. A reader confirms its cached key against the registry on every read (or, with
/// [`EncryptedTokenStore::key_cache_staleness`](super::EncryptedTokenStore::key_cache_staleness),
/// once per bound), so replicas never need to tell each other about a deletion: a record sealed
/// with a key the registry no longer holds fails with
/// [`StoreErrorKind::UnknownKey`](crate::store::StoreErrorKind::UnknownKey), on a warm replica
/// as on a fresh one.
/// A writer checks, after writing, that the key it sealed with is still the tenant's key in the
/// registry; if a concurrent deletion destroyed it, the record is sealed again under the tenant's
/// new key (compare-and-swap), so no acknowledged write is left under a key that is gone.
///
/// ```
/// use std::sync::Arc;
/// use meta_messaging::token::{EncryptedTokenStore, InMemoryBlobStore, KeyRegistry, Keyring, LocalKek};
///
/// let kek = Arc::new(LocalKek::new(Keyring::new(1, meta_messaging::token::DataKey::generate())));
/// // In production: records in one database, keys in another (e.g. two SQLite files).
/// let registry = KeyRegistry::new(InMemoryBlobStore::default());
/// let store = EncryptedTokenStore::with_envelope(InMemoryBlobStore::default(), kek, registry);
/// # drop(store);
/// ```
#[derive(Clone)]
pub struct KeyRegistry {
    blobs: Arc<dyn BlobStore>,
}

impl fmt::Debug for KeyRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRegistry").field("blobs", &self.blobs).finish()
    }
}

/// The asset id of a registry entry.
const ENTRY_ASSET: &str = "data_key";

impl KeyRegistry {
    /// A registry over `blobs` (any backend, or an `Arc<dyn BlobStore>` chosen at run time).
    pub fn new(blobs: impl BlobStore + 'static) -> Self {
        Self { blobs: Arc::new(blobs) }
    }

    fn entry(tenant: &str) -> TokenKey {
        TokenKey::new(tenant, Channel::App, ENTRY_ASSET, SecretKind::Unknown(ENTRY_ASSET.to_owned()))
    }

    /// The tenant's current entry: its version and wrapped key.
    async fn current(&self, tenant: &str) -> Result<Option<(u32, Bytes)>, StoreError> {
        Ok(self.blobs.get(&Self::entry(tenant)).await?.map(|blob| (blob.key_id, blob.ciphertext)))
    }

    /// Creates the tenant's entry unless one exists; `false` when another writer was first.
    async fn create(&self, tenant: &str, version: u32, wrapped: Bytes) -> Result<bool, StoreError> {
        self.blobs.put_if(&Self::entry(tenant), &[], StoredBlob::new(wrapped, version, None)).await
    }

    /// Destroys the tenant's entry.
    async fn destroy(&self, tenant: &str) -> Result<bool, StoreError> {
        Ok(self.blobs.delete_tenant(tenant).await? > 0)
    }

    /// Whether `tenant` has a key.
    ///
    /// # Errors
    ///
    /// The backend's [`StoreError`].
    pub async fn contains(&self, tenant: &str) -> Result<bool, StoreError> {
        Ok(self.current(tenant).await?.is_some())
    }
}

/// One tenant's unwrapped data key, as cached by a store.
pub(super) struct TenantKey {
    pub(super) version: u32,
    wrapped: Bytes,
    pub(super) cipher: Cipher,
    /// When the registry last confirmed this key (unix milliseconds).
    checked_at: AtomicI64,
}

/// Envelope-mode keys of one [`EncryptedTokenStore`](super::EncryptedTokenStore): the KEK, the
/// registry, and a cache of unwrapped tenant keys (checked against record versions on read and
/// against the registry after every write).
pub(super) struct Envelope {
    kek: Arc<dyn KeyEncryptionKey>,
    registry: KeyRegistry,
    cache: Mutex<HashMap<String, Arc<TenantKey>>>,
    /// How long a cached key is trusted on read without asking the registry again.
    pub(super) max_staleness: Duration,
    pub(super) clock: SharedClock,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("kek", &self.kek)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Envelope {
    pub(super) fn new(kek: Arc<dyn KeyEncryptionKey>, registry: KeyRegistry) -> Self {
        Self {
            kek,
            registry,
            cache: Mutex::new(HashMap::new()),
            max_staleness: Duration::ZERO,
            clock: system(),
        }
    }

    fn cached(&self, tenant: &str) -> Option<Arc<TenantKey>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(tenant).cloned()
    }

    fn forget(&self, tenant: &str) {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).remove(tenant);
    }

    /// Reads the tenant's key from the registry (creating it if asked and absent) and caches it.
    async fn load(&self, tenant: &str, create: bool) -> Result<Option<Arc<TenantKey>>, StoreError> {
        let context = tenant.as_bytes();
        let (version, wrapped) = match self.registry.current(tenant).await? {
            Some(entry) => entry,
            None if create => {
                let key = DataKey::generate();
                let wrapped = Bytes::from(self.kek.wrap(key.expose_bytes(), context).await?);
                let version = random_version()?;
                if self.registry.create(tenant, version, wrapped.clone()).await? {
                    (version, wrapped)
                } else {
                    // Another writer created it first: use theirs.
                    self.registry.current(tenant).await?.ok_or_else(StoreError::decrypt)?
                }
            }
            None => {
                self.forget(tenant);
                return Ok(None);
            }
        };
        let raw = self.kek.unwrap(&wrapped, context).await?;
        let key = Arc::new(TenantKey {
            version,
            wrapped,
            cipher: DataKey::from_bytes(&raw)?.into_cipher(),
            checked_at: AtomicI64::new(self.clock.now().unix_millis()),
        });
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).insert(tenant.to_owned(), Arc::clone(&key));
        Ok(Some(key))
    }

    /// The key to seal a tenant's record with (created on first use).
    pub(super) async fn for_seal(&self, tenant: &str) -> Result<Arc<TenantKey>, StoreError> {
        match self.cached(tenant) {
            Some(key) => Ok(key),
            None => self.load(tenant, true).await?.ok_or_else(StoreError::decrypt),
        }
    }

    /// The key that opens a record sealed with tenant key `version`: from the cache when the
    /// versions agree and the registry confirmed the key within `max_staleness` (by default on
    /// every read), else from the registry. So a replica that cached a tenant's key before
    /// another replica deleted the tenant opens none of its records (restored from a backup or
    /// not) once the staleness bound has passed: at once with the default bound of zero.
    pub(super) async fn for_open(&self, tenant: &str, version: u32) -> Result<Arc<TenantKey>, StoreError> {
        if let Some(key) = self.cached(tenant).filter(|key| key.version == version) {
            let now = self.clock.now().unix_millis();
            let age = now.saturating_sub(key.checked_at.load(Ordering::Relaxed));
            // A negative age (the clock stepped back) counts as stale.
            let fresh = u128::try_from(age).is_ok_and(|age| age <= self.max_staleness.as_millis());
            if !self.max_staleness.is_zero() && fresh {
                return Ok(key);
            }
            if self.still_current(tenant, &key).await? {
                key.checked_at.store(now, Ordering::Relaxed);
                return Ok(key);
            }
        }
        match self.load(tenant, false).await? {
            Some(key) if key.version == version => Ok(key),
            _ => Err(StoreError::tenant_key_gone(version)),
        }
    }

    /// Whether `key` is still the tenant's key in the registry. When it is not (the tenant was
    /// deleted meanwhile, here or on another replica), the cache forgets it.
    pub(super) async fn still_current(&self, tenant: &str, key: &TenantKey) -> Result<bool, StoreError> {
        let current = self.registry.current(tenant).await?;
        let same = current.is_some_and(|(version, wrapped)| version == key.version && wrapped == key.wrapped);
        if !same {
            self.forget(tenant);
        }
        Ok(same)
    }

    /// Destroys the tenant's key: registry entry, then the KEK's hook. The cache forgets it.
    pub(super) async fn destroy(&self, tenant: &str) -> Result<(), StoreError> {
        self.forget(tenant);
        self.registry.destroy(tenant).await?;
        self.forget(tenant);
        self.kek.destroy(tenant.as_bytes()).await
    }
}

/// A random, non-zero tenant key version.
fn random_version() -> Result<u32, StoreError> {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::getrandom(&mut bytes)
            .map_err(|_| StoreError::key("the operating system gave no randomness for a key version"))?;
        let version = u32::from_be_bytes(bytes);
        if version != 0 {
            return Ok(version);
        }
    }
}
