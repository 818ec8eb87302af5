//! Conformance suites for token-store implementations (feature `testing`).
//!
//! Run them from your own tests against your backend; each panics with a description of the
//! first broken expectation. Use a fresh, empty store (the suites write under tenants named
//! `conformance-*`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use meta_messaging::token::{DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, testing};
//!
//! testing::run_blob_conformance(&InMemoryBlobStore::default()).await;
//! let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
//! testing::run_conformance(&store).await;
//! # }
//! ```

use std::time::Duration;

use super::{BlobStore, Channel, SecretKind, StoredBlob, TokenKey, TokenRecord, TokenStore};
use crate::Timestamp;

fn key(tenant: &str, asset: &str, kind: SecretKind) -> TokenKey {
    TokenKey::new(tenant, Channel::WhatsApp, asset, kind)
}

/// The behaviour every [`TokenStore`] must have: round trips, overwrite, delete, missing keys,
/// tenant listing and deletion, expiry queries, concurrent writers, and no secret in `Debug`.
///
/// # Panics
///
/// On the first broken expectation.
pub async fn run_conformance(store: &dyn TokenStore) {
    let t = "conformance-a";
    let wa = key(t, "106540352242922", SecretKind::AccessToken);
    let secret = "EAAG-conformance-secret-0123456789";
    assert!(store.get(&wa).await.expect("get missing").is_none(), "a missing key must be None");
    let expires = Timestamp::from_unix_seconds(2_000_000_000);
    let mut record = TokenRecord::new(wa.clone(), secret).expires_at(expires);
    record.metadata.scopes = vec!["whatsapp_business_messaging".into()];
    record.metadata.token_type = Some("SYSTEM_USER".into());
    store.put(record).await.expect("put");
    let got = store.get(&wa).await.expect("get").expect("stored record");
    assert_eq!(got.secret.expose_secret(), secret, "round trip of the secret");
    assert_eq!(got.metadata.expires_at, Some(expires), "round trip of the expiry");
    assert_eq!(got.metadata.scopes, ["whatsapp_business_messaging"], "round trip of the scopes");
    assert!(!format!("{got:?} {store:?}").contains(secret), "no secret in Debug");

    store.put(TokenRecord::new(wa.clone(), "EAAG-replaced")).await.expect("overwrite");
    let got = store.get(&wa).await.expect("get").expect("record");
    assert_eq!(got.secret.expose_secret(), "EAAG-replaced", "put overwrites");
    assert_eq!(got.metadata.expires_at, None, "overwrite replaces metadata");

    let other_kind = key(t, "106540352242922", SecretKind::AppSecret);
    let other_asset = key(t, "999", SecretKind::AccessToken);
    let other_tenant = key("conformance-b", "106540352242922", SecretKind::AccessToken);
    for (k, s) in
        [(&other_kind, "app-secret"), (&other_asset, "other-asset"), (&other_tenant, "other-tenant")]
    {
        store
            .put(TokenRecord::new(k.clone(), s).expires_at(Timestamp::from_unix_seconds(1_000)))
            .await
            .expect("put");
    }
    assert_eq!(
        store.get(&other_kind).await.expect("get").expect("record").secret.expose_secret(),
        "app-secret"
    );
    let mut listed: Vec<TokenKey> =
        store.list_tenant(t).await.expect("list").into_iter().map(|i| i.key).collect();
    listed.sort();
    let mut expected = vec![wa.clone(), other_kind.clone(), other_asset.clone()];
    expected.sort();
    assert_eq!(listed, expected, "list_tenant lists exactly the tenant's records");

    let due: Vec<TokenKey> = store
        .expiring_before(Timestamp::from_unix_seconds(1_001))
        .await
        .expect("expiring")
        .into_iter()
        .map(|i| i.key)
        .filter(|k| k.tenant.starts_with("conformance-"))
        .collect();
    assert_eq!(due.len(), 3, "expiring_before finds records expiring before the instant: {due:?}");
    let none_due = store.expiring_before(Timestamp::from_unix_seconds(999)).await.expect("expiring");
    assert!(none_due.iter().all(|i| !i.key.tenant.starts_with("conformance-")), "nothing expires that early");

    assert!(store.delete(&other_asset).await.expect("delete"), "delete reports an existing record");
    assert!(!store.delete(&other_asset).await.expect("delete"), "delete reports a missing record");
    assert!(store.get(&other_asset).await.expect("get").is_none(), "deleted records are gone");

    assert_eq!(store.delete_tenant(t).await.expect("delete tenant"), 2, "delete_tenant counts records");
    assert!(store.list_tenant(t).await.expect("list").is_empty(), "tenant deleted");
    assert!(store.get(&other_tenant).await.expect("get").is_some(), "other tenants untouched");
    store.delete_tenant("conformance-b").await.expect("cleanup");

    // Concurrent writers to distinct keys lose nothing; to one key, the last write is whole.
    let writes = (0..32).map(|i| {
        store.put(TokenRecord::new(
            key("conformance-c", &format!("a{i}"), SecretKind::ApiKey),
            format!("s{i}"),
        ))
    });
    for result in futures_util::future::join_all(writes).await {
        result.expect("concurrent put");
    }
    for i in 0..32 {
        let got = store.get(&key("conformance-c", &format!("a{i}"), SecretKind::ApiKey)).await.expect("get");
        assert_eq!(got.expect("written").secret.expose_secret(), format!("s{i}"), "concurrent writes");
    }
    let same = key("conformance-c", "same", SecretKind::ApiKey);
    let writes = (0..16).map(|i| store.put(TokenRecord::new(same.clone(), format!("value-{i}"))));
    for result in futures_util::future::join_all(writes).await {
        result.expect("concurrent put");
    }
    let last = store.get(&same).await.expect("get").expect("record");
    assert!(last.secret.expose_secret().starts_with("value-"), "a racing write is never torn");
    assert_eq!(store.delete_tenant("conformance-c").await.expect("cleanup"), 33);
}

fn blob(bytes: &[u8], key_id: u32, expires: Option<i64>) -> StoredBlob {
    StoredBlob::new(bytes.to_vec(), key_id, expires.map(Timestamp::from_unix_seconds))
}

/// The behaviour every [`BlobStore`] must have, including the atomic conditional put and the
/// paged scan used by re-sealing.
///
/// # Panics
///
/// On the first broken expectation.
pub async fn run_blob_conformance(blobs: &dyn BlobStore) {
    let t = "conformance-blob";
    let k1 = key(t, "1", SecretKind::AccessToken);
    assert!(blobs.get(&k1).await.expect("get").is_none());
    blobs.put(&k1, blob(b"one", 1, Some(100))).await.expect("put");
    assert_eq!(blobs.get(&k1).await.expect("get"), Some(blob(b"one", 1, Some(100))));
    assert!(
        !blobs.put_if(&k1, b"not-it", blob(b"x", 2, None)).await.expect("put_if"),
        "stale put_if is refused"
    );
    assert!(
        !blobs.put_if(&k1, b"", blob(b"x", 2, None)).await.expect("put_if"),
        "insert-if-absent refuses a present key"
    );
    assert!(
        blobs.put_if(&k1, b"one", blob(b"two", 2, None)).await.expect("put_if"),
        "current put_if succeeds"
    );
    assert_eq!(blobs.get(&k1).await.expect("get"), Some(blob(b"two", 2, None)));
    let k2 = key(t, "2", SecretKind::AccessToken);
    assert!(
        blobs.put_if(&k2, b"", blob(b"new", 1, Some(50))).await.expect("put_if"),
        "insert-if-absent inserts"
    );
    let k3 = key(t, "3", SecretKind::ApiKey);
    blobs.put(&k3, blob(b"three", 1, Some(200))).await.expect("put");

    let expiring: Vec<TokenKey> = blobs
        .expiring_before(Timestamp::from_unix_seconds(150))
        .await
        .expect("expiring")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(expiring, std::slice::from_ref(&k2), "expiring_before uses the plain expiry");

    // Paged scan of records not sealed with key 2: k2 and k3, one page at a time.
    let first = blobs.sealed_with_other_key(2, None, 1).await.expect("scan");
    assert_eq!(first.len(), 1);
    let second = blobs.sealed_with_other_key(2, Some(&first[0].0), 10).await.expect("scan");
    let mut seen: Vec<TokenKey> = first.into_iter().chain(second).map(|(k, _)| k).collect();
    seen.sort();
    assert_eq!(seen, [k2.clone(), k3.clone()], "the scan pages through every other-key record once");

    // Racing conditional puts on one record: exactly one wins.
    let racers = (0..8).map(|i| blobs.put_if(&k3, b"three", blob(format!("racer-{i}").as_bytes(), 9, None)));
    let wins = futures_util::future::join_all(racers)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().expect("put_if"))
        .count();
    assert_eq!(wins, 1, "exactly one racing put_if wins");

    assert_eq!(blobs.list_tenant(t).await.expect("list").len(), 3);
    assert!(blobs.delete(&k1).await.expect("delete"));
    assert!(!blobs.delete(&k1).await.expect("delete"));
    assert_eq!(blobs.delete_tenant(t).await.expect("delete tenant"), 2);
    assert!(blobs.list_tenant(t).await.expect("list").is_empty());
    tokio::time::sleep(Duration::ZERO).await;
}
