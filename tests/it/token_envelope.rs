//! Envelope mode: tenant keys in a registry apart from the records, versioned in the record
//! header, destroyed first on deletion, and checked after every write.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use meta_messaging::store::{SqliteBlobStore, StoreError, StoreErrorKind};
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, KeyEncryptionKey, KeyRegistry,
    Keyring, LocalKek, SecretKind, TokenKey, TokenRecord, TokenStore, testing,
};
use zeroize::Zeroizing;

fn key(tenant: &str) -> TokenKey {
    TokenKey::new(tenant, Channel::WhatsApp, "106540352242922", SecretKind::AccessToken)
}

fn kek() -> Arc<LocalKek> {
    Arc::new(LocalKek::new(Keyring::new(1, DataKey::generate())))
}

/// One replica: its own store (and key cache) over the shared record store and registry.
fn replica(
    blobs: &InMemoryBlobStore,
    kek: &Arc<LocalKek>,
    keys: &InMemoryBlobStore,
) -> EncryptedTokenStore<InMemoryBlobStore> {
    EncryptedTokenStore::with_envelope(blobs.clone(), kek.clone(), KeyRegistry::new(keys.clone()))
}

async fn secret(store: &EncryptedTokenStore<InMemoryBlobStore>, tenant: &str) -> String {
    store.get(&key(tenant)).await.unwrap().unwrap().secret.expose_secret().to_owned()
}

#[tokio::test]
async fn envelope_mode_conforms_and_keeps_keys_out_of_the_record_store() {
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let store = replica(&blobs, &kek, &keys);
    testing::run_conformance(&store).await;
    store.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    store.put(TokenRecord::new(key("globex"), "EAAG-globex")).await.unwrap();
    // The record store holds the records and nothing else; the registry holds one key per tenant.
    assert_eq!(blobs.list_tenant("acme").await.unwrap().len(), 1);
    assert_eq!(blobs.list_tenant("acme").await.unwrap()[0].0, key("acme"));
    assert_eq!(keys.list_tenant("acme").await.unwrap().len(), 1);
    // The record header names the tenant key's version, which is the registry entry's.
    let record = blobs.get(&key("acme")).await.unwrap().unwrap();
    let entry = &keys.list_tenant("acme").await.unwrap()[0].1;
    assert_eq!(record.key_id, entry.key_id);
    assert_ne!(record.key_id, 0);
    assert_eq!(u32::from_be_bytes(record.ciphertext[1..5].try_into().unwrap()), entry.key_id);
    // Another replica with the same KEK and registry reads it.
    assert_eq!(secret(&replica(&blobs, &kek, &keys), "acme").await, "EAAG-acme");
}

#[tokio::test]
async fn a_restored_record_backup_does_not_open_after_the_tenant_is_deleted() {
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let store = replica(&blobs, &kek, &keys);
    store.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    store.put(TokenRecord::new(key("globex"), "EAAG-globex")).await.unwrap();
    // A backup of the record store, taken before the deletion.
    let backup = blobs.list_tenant("acme").await.unwrap();
    assert_eq!(store.delete_tenant("acme").await.unwrap(), 1);
    assert!(!KeyRegistry::new(keys.clone()).contains("acme").await.unwrap(), "the key is destroyed");
    // The backup is restored whole into the record store: the KEK is still live, the key is not.
    for (k, blob) in backup {
        blobs.raw_set(&k, blob);
    }
    let fresh = replica(&blobs, &kek, &keys);
    assert_eq!(fresh.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey);
    assert_eq!(store.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey);
    assert_eq!(secret(&fresh, "globex").await, "EAAG-globex");
}

#[tokio::test]
async fn a_replica_with_a_cached_key_never_writes_under_a_deleted_one() {
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let a = replica(&blobs, &kek, &keys);
    let b = replica(&blobs, &kek, &keys);
    a.put(TokenRecord::new(key("acme"), "EAAG-first")).await.unwrap();
    let old_version = blobs.get(&key("acme")).await.unwrap().unwrap().key_id;
    // Replica B deletes the tenant; replica A still caches its old key and writes again.
    b.delete_tenant("acme").await.unwrap();
    a.put(TokenRecord::new(key("acme"), "EAAG-after-delete")).await.unwrap();
    let stored = blobs.get(&key("acme")).await.unwrap().unwrap();
    assert_ne!(stored.key_id, old_version, "sealed again under the tenant's new key");
    // Every replica, and a new one, reads what A acknowledged.
    assert_eq!(secret(&b, "acme").await, "EAAG-after-delete");
    assert_eq!(secret(&replica(&blobs, &kek, &keys), "acme").await, "EAAG-after-delete");
    assert_eq!(keys.list_tenant("acme").await.unwrap().len(), 1, "one live key per tenant");
}

#[tokio::test]
async fn a_replica_reloads_a_key_whose_version_changed() {
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let a = replica(&blobs, &kek, &keys);
    let b = replica(&blobs, &kek, &keys);
    a.put(TokenRecord::new(key("acme"), "EAAG-one")).await.unwrap();
    assert_eq!(secret(&a, "acme").await, "EAAG-one");
    // B deletes and recreates the tenant: a new key, a new version.
    b.delete_tenant("acme").await.unwrap();
    b.put(TokenRecord::new(key("acme"), "EAAG-two")).await.unwrap();
    // A's cached key has the old version: it reloads instead of failing to decrypt.
    assert_eq!(secret(&a, "acme").await, "EAAG-two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_and_deletes_leave_no_record_under_a_dead_key() {
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let writers: Vec<_> = (0..4).map(|_| Arc::new(replica(&blobs, &kek, &keys))).collect();
    let deleter = Arc::new(replica(&blobs, &kek, &keys));
    for round in 0..300 {
        let mut tasks = Vec::new();
        for (i, w) in writers.iter().enumerate() {
            let w = Arc::clone(w);
            tasks.push(tokio::spawn(async move {
                // Warm the cache, then race the deletion with a second write.
                w.put(TokenRecord::new(
                    TokenKey::new("acme", Channel::WhatsApp, format!("{i}"), SecretKind::AccessToken),
                    "EAAG-warm",
                ))
                .await
                .unwrap();
                tokio::task::yield_now().await;
                let key = TokenKey::new("acme", Channel::WhatsApp, format!("{i}"), SecretKind::AccessToken);
                w.put(TokenRecord::new(key, format!("EAAG-{round}-{i}"))).await.unwrap();
            }));
        }
        let d = Arc::clone(&deleter);
        tasks.push(tokio::spawn(async move {
            tokio::task::yield_now().await;
            d.delete_tenant("acme").await.unwrap();
        }));
        for task in tasks {
            task.await.unwrap();
        }
        // Whatever survived the race opens: nothing acknowledged sits under a destroyed key.
        let reader = replica(&blobs, &kek, &keys);
        for (k, _) in blobs.list_tenant("acme").await.unwrap() {
            let record = reader.get(&k).await.unwrap_or_else(|e| panic!("round {round}: {k:?}: {e}"));
            assert!(record.is_some());
        }
        assert!(keys.list_tenant("acme").await.unwrap().len() <= 1);
    }
}

/// A KEK that counts its destroy calls, as a KMS with one key per tenant would act on them.
#[derive(Debug, Default)]
struct CountingKek {
    inner: Option<Arc<LocalKek>>,
    destroyed: AtomicUsize,
}

#[async_trait]
impl KeyEncryptionKey for CountingKek {
    async fn wrap(&self, data_key: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.inner.as_ref().unwrap().wrap(data_key, context).await
    }
    async fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        self.inner.as_ref().unwrap().unwrap(wrapped, context).await
    }
    async fn destroy(&self, context: &[u8]) -> Result<(), StoreError> {
        assert_eq!(context, b"acme");
        self.destroyed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn deleting_a_tenant_calls_the_kek_destroy_hook() {
    let kek = Arc::new(CountingKek { inner: Some(kek()), destroyed: AtomicUsize::new(0) });
    let store = EncryptedTokenStore::with_envelope(
        InMemoryBlobStore::default(),
        kek.clone(),
        KeyRegistry::new(InMemoryBlobStore::default()),
    );
    store.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    store.delete_tenant("acme").await.unwrap();
    assert_eq!(kek.destroyed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_sqlite_registry_in_its_own_file_holds_the_keys_and_the_record_file_does_not() {
    let dir = std::env::temp_dir().join(format!("mm-envelope-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let records = dir.join("records.db");
    let registry = dir.join("keys.db");
    let kek = kek();
    let open = |kek: Arc<LocalKek>| {
        let (records, registry) = (records.clone(), registry.clone());
        async move {
            EncryptedTokenStore::with_envelope(
                SqliteBlobStore::open(records.to_str().unwrap()).await.unwrap(),
                kek,
                KeyRegistry::new(SqliteBlobStore::open(registry.to_str().unwrap()).await.unwrap()),
            )
        }
    };
    let store = open(kek.clone()).await;
    store.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    let version = store.blobs().get(&key("acme")).await.unwrap().unwrap().key_id;
    drop(store);
    let reopened = open(kek.clone()).await;
    assert_eq!(reopened.get(&key("acme")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-acme");
    let keys = SqliteBlobStore::open(registry.to_str().unwrap()).await.unwrap();
    assert_eq!(keys.list_tenant("acme").await.unwrap()[0].1.key_id, version);
    assert_eq!(reopened.blobs().list_tenant("acme").await.unwrap().len(), 1, "only the record");
    let wrapped = keys.list_tenant("acme").await.unwrap()[0].1.ciphertext.clone();
    let on_disk = |path: &std::path::Path| {
        let mut bytes = std::fs::read(path).unwrap_or_default();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        bytes.windows(wrapped.len()).any(|w| w == wrapped.as_ref())
    };
    assert!(on_disk(&registry), "the wrapped key is in the registry's files");
    assert!(!on_disk(&records), "and never in the record store's");
    reopened.delete_tenant("acme").await.unwrap();
    assert!(keys.list_tenant("acme").await.unwrap().is_empty());
    // Physically gone: overwritten in the database file, and the log is truncated.
    assert!(!on_disk(&registry), "the destroyed key is still in the registry's files");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn neither_a_warm_nor_a_fresh_replica_opens_a_deleted_tenants_restored_records() {
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let warm = replica(&blobs, &kek, &keys);
    let deleting = replica(&blobs, &kek, &keys);
    warm.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    // The warm replica has read (and cached) the tenant's key.
    assert_eq!(secret(&warm, "acme").await, "EAAG-acme");
    let backup = blobs.list_tenant("acme").await.unwrap();
    // Another replica deletes the tenant; the warm one is told nothing.
    assert_eq!(deleting.delete_tenant("acme").await.unwrap(), 1);
    for (k, blob) in backup {
        blobs.raw_set(&k, blob);
    }
    let fresh = replica(&blobs, &kek, &keys);
    for (name, store) in [("warm", &warm), ("deleting", &deleting), ("fresh", &fresh)] {
        assert_eq!(store.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey, "{name}");
    }
}

#[tokio::test]
async fn a_staleness_bound_is_honoured_to_the_millisecond() {
    use meta_messaging::Timestamp;
    use meta_messaging::clock::ManualClock;
    use std::time::Duration;
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let warm = replica(&blobs, &kek, &keys)
        .with_clock(Arc::new(clock.clone()))
        .key_cache_staleness(Duration::from_secs(5));
    warm.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    assert_eq!(secret(&warm, "acme").await, "EAAG-acme");
    let backup = blobs.list_tenant("acme").await.unwrap();
    replica(&blobs, &kek, &keys).delete_tenant("acme").await.unwrap();
    for (k, blob) in backup {
        blobs.raw_set(&k, blob);
    }
    // Within the bound the warm replica may still open it (the documented trade-off)...
    clock.advance(Duration::from_secs(5));
    assert_eq!(secret(&warm, "acme").await, "EAAG-acme");
    // ...and never after it.
    clock.advance(Duration::from_millis(1));
    assert_eq!(warm.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey);
}

#[tokio::test]
async fn a_sqlite_tenant_delete_wipes_pages_on_any_pool_and_reports_a_busy_checkpoint() {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::str::FromStr;
    let dir = std::env::temp_dir().join(format!("mm-wipe-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("records.db");
    // A pool configured by the application: WAL, a short busy timeout, and no secure_delete.
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_millis(50))
        .pragma("secure_delete", "off");
    let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.unwrap();
    let blobs = SqliteBlobStore::from_pool(pool.clone()).await.unwrap();
    let store = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
    let marker = "EAAG-marker-that-must-not-survive";
    store.put(TokenRecord::new(key("acme"), marker)).await.unwrap();
    let sealed = store.blobs().get(&key("acme")).await.unwrap().unwrap().ciphertext;
    let on_disk = || {
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        bytes.windows(sealed.len()).any(|w| w == sealed.as_ref())
    };
    assert!(on_disk());
    // A reader holds an old snapshot: the checkpoint cannot truncate the log, and says so.
    let mut reader = pool.acquire().await.unwrap();
    sqlx::query("BEGIN").execute(&mut *reader).await.unwrap();
    sqlx::query("SELECT COUNT(*) FROM mm_token_records").fetch_one(&mut *reader).await.unwrap();
    let busy = store.delete_tenant("acme").await.unwrap_err();
    assert!(busy.to_string().contains("retry the deletion"), "{busy}");
    sqlx::query("COMMIT").execute(&mut *reader).await.unwrap();
    drop(reader);
    // Retried: the checkpoint goes through and the sealed bytes are gone from every file.
    assert_eq!(store.delete_tenant("acme").await.unwrap(), 0);
    assert!(!on_disk(), "the deleted record's bytes are still on disk");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_clock_that_steps_back_never_extends_the_key_cache() {
    use meta_messaging::Timestamp;
    use meta_messaging::clock::ManualClock;
    use std::time::Duration;
    let (blobs, keys, kek) = (InMemoryBlobStore::default(), InMemoryBlobStore::default(), kek());
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let warm = replica(&blobs, &kek, &keys)
        .with_clock(Arc::new(clock.clone()))
        .key_cache_staleness(Duration::from_secs(5));
    warm.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    assert_eq!(secret(&warm, "acme").await, "EAAG-acme");
    let backup = blobs.list_tenant("acme").await.unwrap();
    replica(&blobs, &kek, &keys).delete_tenant("acme").await.unwrap();
    for (k, blob) in backup {
        blobs.raw_set(&k, blob);
    }
    // The clock steps back: the cached key's age is negative, which is stale, not fresh.
    clock.set(Timestamp::from_unix_seconds(1_799_999_000));
    assert_eq!(warm.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey);
}
