//! The token vault: conformance on every backend, tampering, rotation, redaction.

use std::sync::Arc;

use meta_messaging::Timestamp;
use meta_messaging::store::{SqliteBlobStore, StoreError, StoreErrorKind};
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, GetFuture, InMemoryBlobStore, KeyState, Keyring,
    RecordInfo, SecretKind, StoredBlob, TokenKey, TokenRecord, TokenStore, testing,
};

fn key(tenant: &str) -> TokenKey {
    TokenKey::new(tenant, Channel::WhatsApp, "106540352242922", SecretKind::AccessToken)
}

fn keyring() -> Keyring {
    Keyring::new(1, DataKey::generate())
}

#[tokio::test]
async fn memory_backend_conforms() {
    testing::run_blob_conformance(&InMemoryBlobStore::default()).await;
    testing::run_conformance(&EncryptedTokenStore::new(InMemoryBlobStore::default(), keyring())).await;
}

/// A store implemented directly, as a vault that protects secrets itself would be: its `get`
/// waits (here on a yield) and so returns a boxed `GetFuture`.
#[derive(Debug)]
struct AwaitingStore(EncryptedTokenStore<InMemoryBlobStore>);

#[async_trait::async_trait]
impl TokenStore for AwaitingStore {
    fn get<'a>(&'a self, key: &'a TokenKey) -> GetFuture<'a> {
        GetFuture::new(async move {
            tokio::task::yield_now().await;
            self.0.get(key).await
        })
    }
    async fn put(&self, record: TokenRecord) -> Result<(), StoreError> {
        self.0.put(record).await
    }
    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        self.0.delete(key).await
    }
    async fn list_tenant(&self, tenant: &str) -> Result<Vec<RecordInfo>, StoreError> {
        self.0.list_tenant(tenant).await
    }
    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        self.0.delete_tenant(tenant).await
    }
    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<RecordInfo>, StoreError> {
        self.0.expiring_before(instant).await
    }
}

#[tokio::test]
async fn a_store_implemented_directly_with_a_pending_get_conforms() {
    let store: Arc<dyn TokenStore> =
        Arc::new(AwaitingStore(EncryptedTokenStore::new(InMemoryBlobStore::default(), keyring())));
    testing::run_conformance(store.as_ref()).await;
    // The in-memory store answers at once; the direct implementation is pending first.
    let memory = EncryptedTokenStore::new(InMemoryBlobStore::default(), keyring());
    assert_eq!(format!("{:?}", memory.get(&key("acme"))), "GetFuture(\"ready\")");
    assert_eq!(format!("{:?}", store.get(&key("acme"))), "GetFuture(\"pending\")");
}

#[tokio::test]
async fn sqlite_backend_conforms_in_memory_and_on_disk() {
    testing::run_blob_conformance(&SqliteBlobStore::open(":memory:").await.unwrap()).await;
    testing::run_conformance(&EncryptedTokenStore::new(
        SqliteBlobStore::open(":memory:").await.unwrap(),
        keyring(),
    ))
    .await;
    let dir = std::env::temp_dir().join(format!("mm-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vault.db");
    let path = path.to_str().unwrap();
    testing::run_conformance(&EncryptedTokenStore::new(
        SqliteBlobStore::open(path).await.unwrap(),
        keyring(),
    ))
    .await;
    // Reopening applies no migration twice and keeps the data.
    let ring = Arc::new(keyring());
    let store = EncryptedTokenStore::with_shared_keyring(
        SqliteBlobStore::open(path).await.unwrap(),
        Arc::clone(&ring),
    );
    store.put(TokenRecord::new(key("acme"), "EAAG-persisted")).await.unwrap();
    drop(store);
    let reopened = EncryptedTokenStore::with_shared_keyring(SqliteBlobStore::open(path).await.unwrap(), ring);
    assert_eq!(reopened.get(&key("acme")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-persisted");
    let on_disk = std::fs::read(path).unwrap();
    assert!(!on_disk.windows(14).any(|w| w == b"EAAG-persisted"), "only ciphertext reaches the file");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn tampering_gives_typed_errors() {
    let blobs = InMemoryBlobStore::default();
    let store = EncryptedTokenStore::new(blobs.clone(), keyring());
    store
        .put(
            TokenRecord::new(key("acme"), "EAAG-acme")
                .expires_at(Timestamp::from_unix_seconds(2_000_000_000)),
        )
        .await
        .unwrap();
    store.put(TokenRecord::new(key("globex"), "EAAG-globex")).await.unwrap();
    let original = blobs.get(&key("acme")).await.unwrap().unwrap();

    // Any flipped byte of header, nonce, ciphertext or tag.
    for i in 0..original.ciphertext.len() {
        let mut bytes = original.ciphertext.to_vec();
        bytes[i] ^= 0x01;
        blobs.raw_set(&key("acme"), StoredBlob::new(bytes, original.key_id, original.expires_at));
        let err = store.get(&key("acme")).await.unwrap_err();
        let expected = match i {
            0 => StoreErrorKind::Format,
            1..=4 => StoreErrorKind::UnknownKey,
            _ => StoreErrorKind::Decrypt,
        };
        assert_eq!(err.kind(), expected, "byte {i}");
    }
    // A row copied to another tenant (or channel) does not open there.
    blobs.raw_set(&key("globex"), original.clone());
    assert_eq!(store.get(&key("globex")).await.unwrap_err().kind(), StoreErrorKind::Decrypt);
    let messenger = TokenKey::new("acme", Channel::Messenger, "106540352242922", SecretKind::AccessToken);
    blobs.raw_set(&messenger, original.clone());
    assert_eq!(store.get(&messenger).await.unwrap_err().kind(), StoreErrorKind::Decrypt);
    // Truncated and empty blobs.
    for bytes in [Vec::new(), original.ciphertext[..20].to_vec()] {
        blobs.raw_set(&key("acme"), StoredBlob::new(bytes, 1, original.expires_at));
        assert_eq!(store.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::Format);
    }
    // The plain expiry a backend keeps cannot be changed to hide a token from the refresher.
    blobs.raw_set(&key("acme"), StoredBlob::new(original.ciphertext.clone(), 1, None));
    assert_eq!(store.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::Tampered);
    blobs.raw_set(&key("acme"), original);
    assert_eq!(store.get(&key("acme")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-acme");
    // A key the keyring does not have.
    let stranger = EncryptedTokenStore::new(blobs.clone(), Keyring::new(9, DataKey::generate()));
    assert_eq!(stranger.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey);
    let wrong_key = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
    assert_eq!(wrong_key.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::Decrypt);
}

#[tokio::test]
async fn rotation_add_promote_reseal_disable() {
    let blobs = InMemoryBlobStore::default();
    let store = EncryptedTokenStore::new(blobs.clone(), keyring());
    for i in 0..250 {
        store.put(TokenRecord::new(key(&format!("t{i}")), format!("EAAG-{i}"))).await.unwrap();
    }
    let ring = store.keyring().unwrap();
    ring.add(2, DataKey::generate()).unwrap();
    assert_eq!(ring.state(2), Some(KeyState::Enabled));
    ring.promote(2).unwrap();
    assert_eq!((ring.primary_id(), ring.state(1)), (2, Some(KeyState::Enabled)));
    // Old records still open; new ones use key 2.
    assert_eq!(store.get(&key("t7")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-7");
    store.put(TokenRecord::new(key("new"), "EAAG-new")).await.unwrap();
    assert_eq!(blobs.get(&key("new")).await.unwrap().unwrap().key_id, 2);
    // Key 1 still seals 250 records: disabling it through the store is refused.
    assert_eq!(store.records_sealed_with(1).await.unwrap(), 250);
    let refused = store.disable_key(1).await.unwrap_err();
    assert_eq!(refused.kind(), StoreErrorKind::Key);
    assert!(refused.to_string().contains("250 record"), "{refused}");
    assert_eq!(ring.state(1), Some(KeyState::Enabled));
    // Re-seal moves everything to key 2, in pages.
    let report = store.reseal_all().await.unwrap();
    assert_eq!((report.resealed, report.skipped), (250, 0));
    for i in 0..250 {
        assert_eq!(blobs.get(&key(&format!("t{i}"))).await.unwrap().unwrap().key_id, 2);
    }
    assert_eq!(store.reseal_all().await.unwrap().resealed, 0, "nothing left to re-seal");
    // Disabling the old key is now safe (and allowed); a record still sealed with it would not open.
    assert_eq!(store.records_sealed_with(1).await.unwrap(), 0);
    store.disable_key(1).await.unwrap();
    assert_eq!(ring.state(1), Some(KeyState::Disabled));
    assert_eq!(store.disable_key(2).await.unwrap_err().kind(), StoreErrorKind::Key, "not the primary");
    assert_eq!(store.disable_key(9).await.unwrap_err().kind(), StoreErrorKind::Key, "not an unknown key");
    assert_eq!(store.get(&key("t42")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-42");
    assert!(ring.disable(2).is_err() && ring.remove(2).is_err(), "the primary stays");
    assert!(ring.promote(1).is_err(), "a disabled key cannot be promoted");
    assert!(ring.add(2, DataKey::generate()).is_err(), "key ids are unique");
}

#[tokio::test]
async fn a_disabled_key_no_longer_opens_and_reenable_restores() {
    let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), keyring());
    store.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    let ring = store.keyring().unwrap();
    ring.add(2, DataKey::generate()).unwrap();
    ring.promote(2).unwrap();
    ring.disable(1).unwrap();
    assert_eq!(store.get(&key("acme")).await.unwrap_err().kind(), StoreErrorKind::UnknownKey);
    ring.enable(1).unwrap();
    assert!(store.get(&key("acme")).await.unwrap().is_some());
}

#[tokio::test]
async fn reseal_runs_while_the_store_is_written() {
    let blobs = InMemoryBlobStore::default();
    let store = Arc::new(EncryptedTokenStore::new(blobs.clone(), keyring()));
    for i in 0..200 {
        store.put(TokenRecord::new(key(&format!("t{i}")), format!("old-{i}"))).await.unwrap();
    }
    let ring = store.keyring().unwrap();
    ring.add(2, DataKey::generate()).unwrap();
    ring.promote(2).unwrap();
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            for i in (0..200).step_by(3) {
                store.put(TokenRecord::new(key(&format!("t{i}")), format!("new-{i}"))).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let report = store.reseal_all().await.unwrap();
    writer.await.unwrap();
    // 67 records are rewritten under the new key by the writer: the scan re-seals the rest
    // (and skips any it raced with), never more than 200.
    assert!(report.resealed >= 133 && report.resealed + report.skipped <= 200, "{report:?}");
    for i in 0..200 {
        let secret = store.get(&key(&format!("t{i}"))).await.unwrap().unwrap();
        let expected = if i % 3 == 0 { format!("new-{i}") } else { format!("old-{i}") };
        assert_eq!(secret.secret.expose_secret(), expected, "no write lost at {i}");
        assert_eq!(blobs.get(&key(&format!("t{i}"))).await.unwrap().unwrap().key_id, 2);
    }
}

#[test]
fn keys_are_checked_and_never_printed() {
    assert!(DataKey::from_bytes(&[0u8; 31]).is_err());
    assert!(DataKey::from_base64("not base64!").is_err());
    let key = DataKey::generate();
    // The exposed text is a `Zeroizing` string: wiped when dropped.
    let text: zeroize::Zeroizing<String> = key.expose_base64();
    assert_eq!(DataKey::from_base64(&text).unwrap().expose_base64(), text);
    assert_eq!(text.len(), 44, "32 bytes in padded base64");
    let ring = Keyring::new(1, key);
    let shown = format!("{ring:?} {:?}", DataKey::from_base64(&text).unwrap());
    assert!(!shown.contains(text.as_str()), "{shown}");
    assert!(shown.contains("DataKey([REDACTED])"));
}

#[tokio::test]
async fn secrets_never_reach_debug_of_records_stores_or_errors() {
    let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), keyring());
    let secret = "EAAG-top-secret-token-value";
    store.put(TokenRecord::new(key("acme"), secret)).await.unwrap();
    let record = store.get(&key("acme")).await.unwrap().unwrap();
    let err = EncryptedTokenStore::new(store.blobs().clone(), keyring()).get(&key("acme")).await.unwrap_err();
    let shown = format!("{record:?} {store:?} {err} {err:?} {:?}", store.blobs());
    assert!(!shown.contains(secret), "{shown}");
}

#[test]
fn unknown_spellings_of_known_channels_and_kinds_are_the_known_ones() {
    use meta_messaging::token::{Channel, SecretKind, TokenKey};
    let spelled =
        TokenKey::new("t", Channel::Unknown("app".into()), "1", SecretKind::Unknown("app_secret".into()));
    assert_eq!(spelled, TokenKey::new("t", Channel::App, "1", SecretKind::AppSecret));
    let other = TokenKey::new("t", Channel::Unknown("crm".into()), "1", SecretKind::ApiKey);
    assert_eq!(other.channel, Channel::Unknown("crm".into()));
}

#[tokio::test]
async fn one_record_that_does_not_open_stalls_no_one() {
    use meta_messaging::token::{
        BlobStore, Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, StoredBlob,
        TokenKey, TokenRecord, TokenStore,
    };
    let blobs = InMemoryBlobStore::default();
    let store = EncryptedTokenStore::new(blobs.clone(), Keyring::new(1, DataKey::generate()));
    let key = |asset: &str| TokenKey::new("acme", Channel::WhatsApp, asset, SecretKind::AccessToken);
    for asset in ["1", "2", "3"] {
        store.put(TokenRecord::new(key(asset), format!("EAAG-{asset}"))).await.unwrap();
    }
    // Record 2's bytes are damaged at rest.
    let mut damaged = blobs.get(&key("2")).await.unwrap().unwrap().ciphertext.to_vec();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    blobs.put(&key("2"), StoredBlob::new(damaged, 1, None)).await.unwrap();

    let listed: Vec<String> =
        store.list_tenant("acme").await.unwrap().into_iter().map(|i| i.key.asset_id).collect();
    assert_eq!(listed.len(), 2, "the others are still listed: {listed:?}");
    assert!(!listed.contains(&"2".to_owned()));

    // Rotation re-seals the others and reports the damaged one, which stays under its key.
    store.keyring().unwrap().add(2, DataKey::generate()).unwrap();
    store.keyring().unwrap().promote(2).unwrap();
    let report = store.reseal_all().await.unwrap();
    assert_eq!(report.resealed, 2);
    assert_eq!(report.failed, [key("2")]);
    assert_eq!(store.get(&key("3")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-3");
    // Running again retries only what is left under the old key.
    let again = store.reseal_all().await.unwrap();
    assert_eq!((again.resealed, again.failed.len()), (0, 1));
}
