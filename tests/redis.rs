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
#[path = "common/pacing_check.rs"]
mod pacing_check;
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
async fn a_plain_prefix_gets_a_hash_tag_and_tenant_braces_move_no_key() {
    let mut namespace = Namespace::new().await;
    // The same namespace without its braces: the store puts them back.
    let plain = namespace.prefix.trim_matches(|c| c == '{' || c == '}').to_owned();
    let blobs = RedisBlobStore::from_connection(namespace.connection.clone()).prefix(&plain);
    let hostile = TokenKey::new("{evil}", Channel::WhatsApp, "{slot}", SecretKind::AccessToken);
    blobs.put(&hostile, meta_messaging::token::StoredBlob::new(b"x".to_vec(), 1, None)).await.unwrap();
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("*{plain}*")).query_async(&mut namespace.connection).await.unwrap();
    assert!(keys.len() >= 3, "{keys:?}");
    // Every key's first `{...}` is the prefix's, so a cluster hashes them all to one slot.
    for key in &keys {
        assert!(key.starts_with(&namespace.prefix), "{key} is not under {}", namespace.prefix);
    }
    // Deleting the tenant (a script declaring each record key it deletes) leaves nothing.
    for i in 0..40 {
        let key = TokenKey::new("{evil}", Channel::WhatsApp, format!("a{i}"), SecretKind::AccessToken);
        blobs.put(&key, meta_messaging::token::StoredBlob::new(b"y".to_vec(), 1, None)).await.unwrap();
    }
    assert_eq!(blobs.delete_tenant("{evil}").await.unwrap(), 41);
    assert!(blobs.list_tenant("{evil}").await.unwrap().is_empty());
    let left: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:rec:*", namespace.prefix))
        .query_async(&mut namespace.connection)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
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

// ---- Pacing shared by replicas ----

use meta_messaging::pacing::{OutagePolicy, Pacer, PacerConfig, PacingPolicy, WindowStore, WindowTracker};
use meta_messaging::store::{RedisLimits, RedisWindowStore};

fn limits(namespace: &Namespace) -> RedisLimits {
    RedisLimits::from_connection(namespace.connection.clone()).prefix(&namespace.prefix)
}

use pacing_check::busiest_window;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_throughput_limit() {
    let namespace = Namespace::new().await;
    let config = PacerConfig::default()
        .throughput(20)
        .pair_interval(Duration::ZERO)
        .policy(PacingPolicy::Wait { max_wait: Duration::from_secs(30) });
    // Four replicas, each with its own connection, 15 messages each to one number.
    let mut tasks = Vec::new();
    for replica in 0..4 {
        let other = Namespace::new().await;
        let pacer = Pacer::shared(
            config.clone(),
            RedisLimits::from_connection(other.connection.clone()).prefix(&namespace.prefix),
            OutagePolicy::FailClosed,
        );
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for i in 0..15 {
                pacer.admit("106540352242922", &format!("1650555{replica}{i:03}")).await.unwrap();
                times.push(std::time::Instant::now());
            }
            times
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    assert_eq!(times.len(), 60);
    let busiest = busiest_window(&times, Duration::from_secs(1));
    assert!(busiest <= 21, "{busiest} admissions in one second for a limit of 20");
    // And the limit is used, not starved: 60 messages at 20/s take about 3 s.
    let span = *times.iter().max().unwrap() - *times.iter().min().unwrap();
    assert!(span < Duration::from_millis(3600), "{span:?}");
    namespace.drop_now().await;
}

#[tokio::test]
async fn the_pair_rate_is_shared_and_a_busy_recipient_holds_no_one_else() {
    let namespace = Namespace::new().await;
    let config = PacerConfig::default()
        .throughput(1000)
        .throughput_burst(10)
        .pair_interval(Duration::from_millis(300))
        .pair_burst(2)
        .policy(PacingPolicy::FailFast);
    let a = Pacer::shared(config.clone(), limits(&namespace), OutagePolicy::FailClosed);
    let b = Pacer::shared(config, limits(&namespace), OutagePolicy::FailClosed);
    a.admit("106540352242922", "16505551234").await.unwrap();
    b.admit("106540352242922", "16505551234").await.unwrap();
    // The burst of two is spent across both replicas: the third must wait about 300 ms.
    let refused = a.admit("106540352242922", "16505551234").await.unwrap_err();
    let retry = refused.retry_after().unwrap();
    assert!(retry > Duration::from_millis(200) && retry <= Duration::from_millis(300), "{retry:?}");
    // Another recipient goes at once.
    b.admit("106540352242922", "16505559999").await.unwrap();
    namespace.drop_now().await;
}

#[tokio::test]
async fn a_throughput_error_seen_by_one_replica_slows_the_others() {
    use meta_messaging::graph::{Outbound, SendGuard};
    use meta_messaging::testing::{FakeError, FakeGraph};

    let namespace = Namespace::new().await;
    let config = PacerConfig::default().pair_interval(Duration::ZERO).policy(PacingPolicy::FailFast);
    let seen_it = Pacer::shared(config.clone(), limits(&namespace), OutagePolicy::FailClosed);
    let other = Pacer::shared(config, limits(&namespace), OutagePolicy::FailClosed);
    // A send through the first replica's handle is answered 130429.
    let fake = FakeGraph::start().await;
    fake.fail_next(FakeError::Throughput);
    let wa = fake.client("EAAG-test").whatsapp("106540352242922").with_guard(seen_it.clone());
    let error = wa.send_text("16505551234", "hi").await;
    let _ = error; // retried or not, the guard has seen the 130429
    // The other replica is held back now.
    let held = other.admit("106540352242922", "16505550000").await.unwrap_err();
    assert!(held.retry_after().unwrap() > Duration::from_millis(100), "{held:?}");
    // A guard told directly does the same for a number nobody sent from yet.
    let outbound = Outbound::new(meta_messaging::Platform::WhatsApp, "106540352240000", "1");
    SendGuard::observe(&seen_it, &outbound, None).await; // a success changes nothing
    other.admit("106540352240000", "2").await.unwrap();
    namespace.drop_now().await;
}

#[tokio::test]
async fn a_window_opened_by_one_replica_is_seen_by_another() {
    let namespace = Namespace::new().await;
    let first = WindowTracker::new(std::sync::Arc::new(
        RedisWindowStore::from_connection(namespace.connection.clone()).prefix(&namespace.prefix),
    ));
    let second = WindowTracker::new(std::sync::Arc::new(
        RedisWindowStore::from_connection(namespace.connection.clone()).prefix(&namespace.prefix),
    ));
    assert!(!second.status("106540352242922", "16505551234").await.unwrap().is_open());
    first.record_inbound("106540352242922", "16505551234", meta_messaging::Timestamp::now()).await.unwrap();
    assert!(second.status("106540352242922", "16505551234").await.unwrap().is_open());
    // An older time never moves the window back.
    let store = RedisWindowStore::from_connection(namespace.connection.clone()).prefix(&namespace.prefix);
    store
        .record("106540352242922", "16505551234", meta_messaging::Timestamp::from_unix_seconds(1))
        .await
        .unwrap();
    let last = store.last_inbound("106540352242922", "16505551234").await.unwrap().unwrap();
    assert!(last > meta_messaging::Timestamp::from_unix_seconds(1));
    namespace.drop_now().await;
}

#[tokio::test]
async fn while_redis_is_away_pacing_fails_closed_or_paces_locally_and_recovers() {
    let namespace = Namespace::new().await;
    let mut proxy = Proxy::start(upstream_of(&url(), 6379).await).await;
    let proxied = through(&url(), proxy.port);
    let config =
        PacerConfig::default().throughput(5).pair_interval(Duration::ZERO).policy(PacingPolicy::FailFast);
    let closed = Pacer::shared(
        config.clone(),
        RedisLimits::connect(&proxied).await.unwrap().prefix(&namespace.prefix),
        OutagePolicy::FailClosed,
    );
    let local = Pacer::shared(
        config,
        RedisLimits::connect(&proxied).await.unwrap().prefix(&namespace.prefix),
        OutagePolicy::LocalShare(0.5),
    );
    closed.admit("106540352242922", "1").await.unwrap();

    proxy.cut().await;
    let started = std::time::Instant::now();
    let error = closed.admit("106540352242922", "2").await.unwrap_err();
    assert_eq!(error.kind(), meta_messaging::ErrorKind::RateLimited, "{error}");
    assert!(started.elapsed() < Duration::from_secs(5), "an outage fails fast");
    // Half of 5/s locally: two at once is more than this process's share allows.
    local.admit("106540352242922", "3").await.unwrap();
    assert!(local.admit("106540352242922", "4").await.is_err(), "never unpaced");

    proxy.restore().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if closed.admit("106540352242922", "5").await.is_ok() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "did not recover");
    }
    namespace.drop_now().await;
}

/// The `paced_sender` program, three replicas at once on one Redis prefix, against a local
/// stand-in for the Graph API that records when each message arrives. Needs the program built
/// with Redis (`.ci/run` runs `cargo build --example paced_sender --features redis` first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_sender_replicas_together_stay_within_the_limits() {
    let namespace = Namespace::new().await;
    let run = pacing_check::Run {
        store: url(),
        prefix: namespace.prefix.clone(),
        replicas: 3,
        ..pacing_check::Run::default()
    };
    pacing_check::run_and_check(&run).await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn a_high_throughput_lookup_on_one_replica_raises_the_number_for_all() {
    let namespace = Namespace::new().await;
    let config = PacerConfig::default()
        .throughput(1)
        .pair_interval(Duration::ZERO)
        .policy(PacingPolicy::Wait { max_wait: Duration::from_millis(100) });
    let looked_up = Pacer::shared(config.clone(), limits(&namespace), OutagePolicy::FailClosed);
    let other = Pacer::shared(config, limits(&namespace), OutagePolicy::FailClosed);
    other.admit("106540352242922", "a").await.unwrap();
    assert!(other.admit("106540352242922", "b").await.is_err(), "1 per second: the second waits a second");
    let number: meta_messaging::whatsapp::account::PhoneNumber =
        serde_json::from_value(serde_json::json!({"id": "106540352242922", "throughput": {"level": "HIGH"}}))
            .unwrap();
    looked_up.apply_phone_number(&number).await;
    // The other replica now paces the number at 1,000 per second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    other.admit("106540352242922", "c").await.unwrap();
    other.admit("106540352242922", "d").await.unwrap();
    namespace.drop_now().await;
}

#[tokio::test]
async fn window_store_forgets_a_business_and_only_it() {
    let namespace = Namespace::new().await;
    let store = RedisWindowStore::from_connection(namespace.connection.clone()).prefix(&namespace.prefix);
    let now = meta_messaging::Timestamp::now();
    // A business id with glob characters must not match its neighbours.
    store.record("1065*", "16505551234", now).await.unwrap();
    store.record("1065*", "US.13491208655302741918", now).await.unwrap();
    store.record("10650", "16505551234", now).await.unwrap();
    assert_eq!(store.forget_business("1065*").await.unwrap(), 2);
    assert_eq!(store.forget_business("1065*").await.unwrap(), 0);
    assert_eq!(store.last_inbound("1065*", "16505551234").await.unwrap(), None);
    assert!(store.last_inbound("10650", "16505551234").await.unwrap().is_some());
    namespace.drop_now().await;
}

#[path = "common/identity_suite.rs"]
mod identity_suite;

#[tokio::test]
async fn identity_store_keeps_the_contract() {
    let namespace = Namespace::new().await;
    let store = meta_messaging::store::RedisIdentityStore::from_connection(namespace.connection.clone())
        .prefix(&namespace.prefix);
    identity_suite::run(&store, "redis").await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn two_replicas_give_one_user_one_pair_budget_whether_addressed_by_phone_or_bsuid() {
    use meta_messaging::graph::{Outbound, SendGuard};
    use meta_messaging::identity::{IdentityDirectory, UserIdentity};
    let namespace = Namespace::new().await;
    let directory = |ns: &Namespace| {
        IdentityDirectory::new(
            meta_messaging::store::RedisIdentityStore::from_connection(ns.connection.clone())
                .prefix(&namespace.prefix),
        )
    };
    let other = Namespace::new().await;
    let config = PacerConfig::default()
        .throughput_burst(100)
        .pair_interval(Duration::from_secs(6))
        .pair_burst(1)
        .policy(PacingPolicy::FailFast);
    let first = Pacer::shared(config.clone(), limits(&namespace), OutagePolicy::FailClosed)
        .identities(directory(&namespace));
    let second = Pacer::shared(
        config,
        RedisLimits::from_connection(other.connection.clone()).prefix(&namespace.prefix),
        OutagePolicy::FailClosed,
    )
    .identities(directory(&other));
    // Replica one learns (from a webhook) that the number and the BSUID are one user.
    directory(&namespace)
        .remember(
            "106540352242922",
            &UserIdentity::new().phone("16505551234").user_id("US.13491208655302741918"),
        )
        .await
        .unwrap();
    let by_phone = Outbound::new(meta_messaging::Platform::WhatsApp, "106540352242922", "16505551234");
    let by_bsuid =
        Outbound::new(meta_messaging::Platform::WhatsApp, "106540352242922", "US.13491208655302741918");
    SendGuard::admit(&first, &by_phone).await.unwrap();
    let refused = SendGuard::admit(&second, &by_bsuid).await.unwrap_err();
    assert!(refused.is_rate_limited(), "{refused}");
    other.drop_now().await;
    namespace.drop_now().await;
}

#[tokio::test]
async fn two_replicas_see_one_window_for_a_user_seen_with_and_without_a_phone() {
    use meta_messaging::identity::IdentityDirectory;
    use meta_messaging::pacing::WindowStatus;
    use meta_messaging::store::RedisIdentityStore;
    let namespace = Namespace::new().await;
    let replica = |ns: &Namespace| {
        let directory = IdentityDirectory::new(
            RedisIdentityStore::from_connection(ns.connection.clone()).prefix(&namespace.prefix),
        );
        WindowTracker::new(std::sync::Arc::new(
            RedisWindowStore::from_connection(ns.connection.clone()).prefix(&namespace.prefix),
        ))
        .identities(directory)
    };
    let other = Namespace::new().await;
    let (first, second) = (replica(&namespace), replica(&other));
    let now = meta_messaging::Timestamp::now().unix_seconds();
    for name in ["with_phone.json", "without_phone.json"] {
        let mut body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("tests/fixtures/identity/{name}")).unwrap())
                .unwrap();
        body["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] =
            serde_json::Value::from(now.to_string());
        first.observe(&meta_messaging::webhook::parse(body.to_string().as_bytes()).unwrap()).await.unwrap();
    }
    for user in ["16505551234", "US.13491208655302741918"] {
        let status = second.status("106540352242922", user).await.unwrap();
        assert!(matches!(status, WindowStatus::Open { .. }), "{user}: {status:?}");
    }
    other.drop_now().await;
    namespace.drop_now().await;
}

// ---- The marketing governor's state shared by replicas ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_marketing_holds_and_take_the_last_budget_slots_once() {
    use meta_messaging::Timestamp;
    use meta_messaging::pacing::{HoldStore, MarketingStore, REACH_WINDOW, Reach};

    let namespace = Namespace::new().await;
    // Two replicas: a connection each, one prefix.
    let other = Namespace::new().await;
    let (one, two) = (
        limits(&namespace),
        RedisLimits::from_connection(other.connection.clone()).prefix(&namespace.prefix),
    );
    // Far from the server's clock (which drops holds past it): 2033.
    let now = Timestamp::from_unix_seconds(2_000_000_000);
    let until = now.saturating_add(Duration::from_secs(24 * 3600));
    one.hold("portfolio-1", "16505551234", until).await.unwrap();
    // An earlier hold never shortens a later one.
    two.hold("portfolio-1", "16505551234", now.saturating_add(Duration::from_secs(60))).await.unwrap();
    assert_eq!(two.held_until("portfolio-1", "16505551234", now).await.unwrap(), Some(until));
    assert_eq!(two.held_until("portfolio-2", "16505551234", now).await.unwrap(), None, "scopes apart");
    let later = until.saturating_add(Duration::from_secs(1));
    assert_eq!(two.held_until("portfolio-1", "16505551234", later).await.unwrap(), None, "expired");

    // Twenty new recipients race for five slots from two replicas: exactly five are counted.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            store.reach("portfolio-1", &format!("1650555{i:04}"), now, REACH_WINDOW, 5).await.unwrap()
        }));
    }
    let mut counted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Reach::Counted => counted += 1,
            Reach::Spent { retry_after } => assert_eq!(retry_after, REACH_WINDOW),
            _ => unreachable!(),
        }
    }
    assert_eq!(counted, 5);
    // A window later the slots are free again.
    let next_day = now.saturating_add(REACH_WINDOW + Duration::from_secs(1));
    assert_eq!(
        one.reach("portfolio-1", "16505550999", next_day, REACH_WINDOW, 5).await.unwrap(),
        Reach::Counted
    );
    // A tenant erased: its hold and the one recipient left in its window, nothing of another.
    two.hold("portfolio-2", "16505551234", until).await.unwrap();
    assert_eq!(one.forget_holds("portfolio-1").await.unwrap(), 1);
    assert_eq!(one.forget_reach("portfolio-1").await.unwrap(), 1);
    assert_eq!(two.held_until("portfolio-1", "16505551234", now).await.unwrap(), None);
    assert_eq!(two.held_until("portfolio-2", "16505551234", now).await.unwrap(), Some(until));
    // A hold released early (a handoff given back) is gone for every replica.
    one.release("portfolio-2", "16505551234").await.unwrap();
    assert_eq!(two.held_until("portfolio-2", "16505551234", now).await.unwrap(), None);
    namespace.drop_now().await;
}
