//! The Redis backends against a real server (feature `redis`).
//!
//! Opt in with `cargo test --features redis --test redis` and
//! `META_MESSAGING_REDIS_URL=redis://127.0.0.1:6379`. With the feature on and no URL, or no
//! server, every test fails loudly: nothing is skipped. Each test uses a key prefix of its own
//! and deletes its keys at the end.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use meta_messaging::store::{RedisBlobStore, RedisDeduplicator, StoreErrorKind};
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, Keyring, SecretKind, TokenKey, TokenRecord, TokenStore,
    testing,
};
use meta_messaging::webhook::Deduplicator;
use redis::aio::ConnectionManager;

mod common;
use common::{Proxy, race_dedupe, race_replicas, through, two_phase, upstream_of};

const URL_VAR: &str = "META_MESSAGING_REDIS_URL";

fn url() -> String {
    std::env::var(URL_VAR).unwrap_or_else(|_| {
        panic!("the redis feature is on but {URL_VAR} is not set (e.g. redis://127.0.0.1:6379)")
    })
}

/// A key prefix of its own for one test, cleaned up by [`Namespace::drop_now`].
struct Namespace {
    prefix: String,
    connection: ConnectionManager,
}

impl Namespace {
    async fn new() -> Self {
        let client = redis::Client::open(url()).unwrap();
        let connection = tokio::time::timeout(Duration::from_secs(10), client.get_connection_manager())
            .await
            .unwrap_or_else(|_| panic!("Redis at {URL_VAR} did not answer"))
            .unwrap_or_else(|e| panic!("Redis at {URL_VAR} is unreachable: {e}"));
        Self { prefix: format!("{{mmtest-{:016x}}}", fastrand::u64(..)), connection }
    }

    fn blobs(&self) -> RedisBlobStore {
        RedisBlobStore::from_connection(self.connection.clone()).prefix(&self.prefix)
    }

    fn dedupe(&self, ttl: Duration) -> RedisDeduplicator {
        RedisDeduplicator::from_connection(self.connection.clone(), ttl).prefix(&self.prefix)
    }

    async fn drop_now(mut self) {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query_async(&mut self.connection)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut self.connection).await.unwrap();
        }
    }
}

#[tokio::test]
async fn blob_store_passes_the_conformance_suite() {
    let namespace = Namespace::new().await;
    testing::run_blob_conformance(&namespace.blobs()).await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn encrypted_store_passes_the_conformance_suite() {
    let namespace = Namespace::new().await;
    let store = EncryptedTokenStore::new(namespace.blobs(), Keyring::new(1, DataKey::generate()));
    testing::run_conformance(&store).await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn keys_with_separators_round_trip_and_stay_apart() {
    let namespace = Namespace::new().await;
    let blobs = namespace.blobs();
    let tricky = TokenKey::new("t:1%3A", Channel::Other, "a:b", SecretKind::ApiKey);
    let plain = TokenKey::new("t", Channel::Other, "1%3A:a:b", SecretKind::ApiKey);
    blobs.put(&tricky, meta_messaging::token::StoredBlob::new(b"x".to_vec(), 1, None)).await.unwrap();
    blobs.put(&plain, meta_messaging::token::StoredBlob::new(b"y".to_vec(), 1, None)).await.unwrap();
    let listed = blobs.list_tenant("t:1%3A").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, tricky);
    assert_eq!(blobs.get(&plain).await.unwrap().unwrap().ciphertext.as_ref(), b"y");
    namespace.drop_now().await;
}

#[tokio::test]
async fn replicas_racing_puts_gets_and_rotation_lose_nothing() {
    let namespace = Namespace::new().await;
    let other = Namespace::new().await;
    let b = RedisBlobStore::from_connection(other.connection.clone()).prefix(&namespace.prefix);
    race_replicas(namespace.blobs(), b).await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn racing_replicas_let_exactly_one_delivery_through() {
    let namespace = Namespace::new().await;
    let other = Namespace::new().await;
    let first = namespace.dedupe(Duration::from_secs(60));
    let second = RedisDeduplicator::from_connection(other.connection.clone(), Duration::from_secs(60))
        .prefix(&namespace.prefix);
    race_dedupe(first.clone(), second.clone(), 24, "RACE").await;
    two_phase(&first, &second, "TWO-PHASE").await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn dedupe_keys_expire_after_their_ttl() {
    let namespace = Namespace::new().await;
    let dedupe = namespace.dedupe(Duration::from_millis(200));
    assert!(dedupe.first_seen("page:m_1").await.unwrap());
    assert!(!dedupe.first_seen("page:m_1").await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(dedupe.first_seen("page:m_1").await.unwrap(), "past its TTL a key is new again");
    namespace.drop_now().await;
}

#[tokio::test]
async fn an_unreachable_server_is_a_typed_retryable_error_not_a_hang() {
    let started = std::time::Instant::now();
    let error = RedisBlobStore::connect("redis://127.0.0.1:1").await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Backend);
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn the_store_recovers_when_the_server_comes_back() {
    let namespace = Namespace::new().await;
    let mut proxy = Proxy::start(upstream_of(&url(), 6379).await).await;
    let blobs =
        RedisBlobStore::connect(&through(&url(), proxy.port)).await.unwrap().prefix(&namespace.prefix);
    let store = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
    let key = TokenKey::new("outage", Channel::Instagram, "17841400000000001", SecretKind::AccessToken);
    store.put(TokenRecord::new(key.clone(), "IGAA-token")).await.unwrap();

    proxy.cut().await;
    let started = std::time::Instant::now();
    let error = store.get(&key).await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Backend, "{error}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(20), "bounded by the timeouts");

    proxy.restore().await;
    // The connection manager reconnects in the background: the first calls may still fail.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let record = loop {
        match store.get(&key).await {
            Ok(record) => break record.unwrap(),
            Err(error) if std::time::Instant::now() < deadline => {
                assert_eq!(error.kind(), StoreErrorKind::Backend);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("the store did not recover: {error}"),
        }
    };
    assert_eq!(record.secret.expose_secret(), "IGAA-token");
    namespace.drop_now().await;
}
