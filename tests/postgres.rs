//! The PostgreSQL backends against a real server (feature `postgres`).
//!
//! Opt in with `cargo test --features postgres --test postgres` and
//! `META_MESSAGING_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test`. With the feature on and
//! no URL, or no server, every test fails loudly: nothing is skipped. Each test works in a
//! schema of its own, dropped at the end.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use meta_messaging::store::{PostgresBlobStore, PostgresDeduplicator, StoreErrorKind};
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, Keyring, SecretKind, TokenKey, TokenRecord, TokenStore,
    testing,
};
use meta_messaging::webhook::Deduplicator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

mod common;
use common::{Proxy, race_dedupe, race_replicas, through, two_phase, upstream_of};

const URL_VAR: &str = "META_MESSAGING_POSTGRES_URL";

fn url() -> String {
    std::env::var(URL_VAR).unwrap_or_else(|_| {
        panic!("the postgres feature is on but {URL_VAR} is not set (e.g. postgres://postgres@127.0.0.1:5432/test)")
    })
}

/// A schema of its own for one test, dropped on [`Schema::drop_now`].
struct Schema {
    name: String,
    admin: PgPool,
}

impl Schema {
    async fn new() -> Self {
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url())
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {URL_VAR} is unreachable: {e}"));
        let name = format!("mm_test_{:016x}", fastrand::u64(..));
        sqlx::query(&format!("CREATE SCHEMA {name}")).execute(&admin).await.unwrap();
        Self { name, admin }
    }

    /// A new pool whose connections work in this schema.
    async fn pool(&self) -> PgPool {
        self.pool_at(&url()).await.unwrap()
    }

    async fn pool_at(&self, url: &str) -> Result<PgPool, sqlx::Error> {
        let options: PgConnectOptions = url.parse()?;
        PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options.options([("search_path", self.name.as_str())]))
            .await
    }

    async fn drop_now(self) {
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name)).execute(&self.admin).await.unwrap();
    }
}

#[tokio::test]
async fn blob_store_passes_the_conformance_suite() {
    let schema = Schema::new().await;
    let blobs = PostgresBlobStore::from_pool(schema.pool().await).await.unwrap();
    testing::run_blob_conformance(&blobs).await;
    schema.drop_now().await;
}

#[tokio::test]
async fn encrypted_store_passes_the_conformance_suite() {
    let schema = Schema::new().await;
    let blobs = PostgresBlobStore::from_pool(schema.pool().await).await.unwrap();
    let store = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
    testing::run_conformance(&store).await;
    schema.drop_now().await;
}

#[tokio::test]
async fn migrations_are_idempotent_and_safe_when_replicas_start_together() {
    let schema = Schema::new().await;
    let (a, b, c) = tokio::join!(
        async { PostgresBlobStore::from_pool(schema.pool().await).await },
        async { PostgresBlobStore::from_pool(schema.pool().await).await },
        async { PostgresDeduplicator::from_pool(schema.pool().await, Duration::from_secs(60)).await },
    );
    let (a, b, _c) = (a.unwrap(), b.unwrap(), c.unwrap());
    // Each migration applied exactly once, however many replicas raced: as many rows as versions.
    let (applied, latest): (i64, i64) =
        sqlx::query_as("SELECT count(*), max(version) FROM mm_schema_migrations")
            .fetch_one(a.pool())
            .await
            .unwrap();
    assert_eq!(applied, latest);
    assert_eq!(latest, 8, "token records .. identity, attempt log, destinations");
    let again = PostgresBlobStore::from_pool(b.pool().clone()).await.unwrap();
    let key = TokenKey::new("t", Channel::WhatsApp, "1", SecretKind::AccessToken);
    assert!(again.get(&key).await.unwrap().is_none());
    schema.drop_now().await;
}

#[tokio::test]
async fn replicas_racing_puts_gets_and_rotation_lose_nothing() {
    let schema = Schema::new().await;
    let a = PostgresBlobStore::from_pool(schema.pool().await).await.unwrap();
    let b = PostgresBlobStore::from_pool(schema.pool().await).await.unwrap();
    race_replicas(a, b).await;
    schema.drop_now().await;
}

#[tokio::test]
async fn racing_replicas_let_exactly_one_delivery_through() {
    let schema = Schema::new().await;
    let first = PostgresDeduplicator::from_pool(schema.pool().await, Duration::from_secs(60)).await.unwrap();
    let second = PostgresDeduplicator::from_pool(schema.pool().await, Duration::from_secs(60)).await.unwrap();
    race_dedupe(first.clone(), second.clone(), 24, "RACE").await;
    two_phase(&first, &second, "TWO-PHASE").await;
    schema.drop_now().await;
}

/// Under `SERIALIZABLE` the loser of a race gets a serialization failure instead of "no row":
/// it must still count as "already claimed", and migrations must still work.
#[tokio::test]
async fn a_serializable_default_keeps_exactly_once() {
    let schema = Schema::new().await;
    let options: PgConnectOptions = url().parse().unwrap();
    let options = options
        .options([("search_path", schema.name.as_str()), ("default_transaction_isolation", "serializable")]);
    let pool = PgPoolOptions::new().max_connections(8).connect_with(options).await.unwrap();
    let (first, second) = tokio::join!(
        PostgresDeduplicator::from_pool(pool.clone(), Duration::from_secs(60)),
        PostgresDeduplicator::from_pool(pool.clone(), Duration::from_secs(60)),
    );
    race_dedupe(first.unwrap(), second.unwrap(), 16, "SERIAL").await;
    testing::run_blob_conformance(&PostgresBlobStore::from_pool(pool).await.unwrap()).await;
    schema.drop_now().await;
}

#[tokio::test]
async fn expired_dedupe_keys_are_reclaimed_and_purged() {
    let schema = Schema::new().await;
    let dedupe =
        PostgresDeduplicator::from_pool(schema.pool().await, Duration::from_millis(200)).await.unwrap();
    assert!(dedupe.first_seen("page:m_1").await.unwrap());
    assert!(!dedupe.first_seen("page:m_1").await.unwrap());
    assert!(dedupe.first_seen("page:m_2").await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(dedupe.first_seen("page:m_1").await.unwrap(), "past its TTL a key is new again");
    assert_eq!(dedupe.purge_expired().await.unwrap(), 1, "m_2 expired; m_1 was just renewed");
    assert!(!dedupe.first_seen("page:m_1").await.unwrap());
    schema.drop_now().await;
}

#[tokio::test]
async fn an_unreachable_server_is_a_typed_retryable_error_not_a_hang() {
    // Nothing listens on port 1.
    let started = std::time::Instant::now();
    let error = PostgresBlobStore::connect("postgres://postgres@127.0.0.1:1/test").await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Backend);
    assert!(error.is_retryable());
    assert!(!error.to_string().contains("postgres@"), "no connection string in errors: {error}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn the_store_recovers_when_the_server_comes_back() {
    let schema = Schema::new().await;
    let mut proxy = Proxy::start(upstream_of(&url(), 5432).await).await;
    let pool = schema.pool_at(&through(&url(), proxy.port)).await.unwrap();
    let store = EncryptedTokenStore::new(
        PostgresBlobStore::from_pool(pool).await.unwrap(),
        Keyring::new(1, DataKey::generate()),
    );
    let key = TokenKey::new("outage", Channel::Messenger, "109876543210987", SecretKind::AccessToken);
    store.put(TokenRecord::new(key.clone(), "EAAG-page-token")).await.unwrap();

    proxy.cut().await;
    let started = std::time::Instant::now();
    let error = store.get(&key).await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Backend, "{error}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(10), "bounded by the acquire timeout");

    // It comes back on the same address: the pool reconnects and nothing was lost.
    proxy.restore().await;
    let record = store.get(&key).await.unwrap().unwrap();
    assert_eq!(record.secret.expose_secret(), "EAAG-page-token");
    schema.drop_now().await;
}

#[path = "common/queue_suite.rs"]
mod queue_suite;

#[tokio::test]
async fn delivery_queue_passes_the_conformance_suite() {
    let schema = Schema::new().await;
    let queue = meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap();
    queue_suite::run(std::sync::Arc::new(queue), "pg").await;
    schema.drop_now().await;
}

#[path = "common/destination_suite.rs"]
mod destination_suite;

#[tokio::test]
async fn destination_rates_and_health_pass_the_conformance_suite_and_replicas_share_them() {
    use meta_messaging::delivery::DestinationStore;
    let schema = Schema::new().await;
    let first = meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap();
    destination_suite::run(&first, "pg").await;
    // Two replicas racing for one destination's slots at the same instant: exactly the burst.
    let second = meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap();
    let now = meta_messaging::Timestamp::from_unix_seconds(1_900_000_000);
    let interval = std::time::Duration::from_secs(1);
    let race = |store: meta_messaging::store::PostgresQueue| async move {
        let mut admitted = 0;
        for _ in 0..10 {
            if store.admit("raced", interval, 3, now).await.unwrap().is_none() {
                admitted += 1;
            }
        }
        admitted
    };
    let (a, b) = tokio::join!(race(first.clone()), race(second.clone()));
    assert_eq!(a + b, 3, "the burst, across replicas ({a} + {b})");
    schema.drop_now().await;
}

#[tokio::test]
async fn replicas_racing_on_one_queue_never_claim_an_item_twice() {
    use meta_messaging::delivery::{NewItem, Queue};
    let schema = Schema::new().await;
    let first = meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap();
    let items: Vec<NewItem> =
        (0..200).map(|i| NewItem::new(format!("k{i}"), format!("c{}", i % 50), b"{}".to_vec())).collect();
    assert_eq!(first.enqueue("race", &items).await.unwrap(), 200);
    let mut replicas = Vec::new();
    for r in 0..4 {
        let queue = meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap();
        replicas.push(tokio::spawn(async move {
            let owner = format!("replica-{r}");
            let mut handled = Vec::new();
            for _ in 0..400 {
                let claimed = queue.claim("race", &owner, 8, Duration::from_secs(30)).await.unwrap();
                if claimed.is_empty() && queue.counts("race").await.unwrap().0 == 0 {
                    break;
                }
                for item in claimed {
                    assert!(queue.complete(item.id, &owner).await.unwrap());
                    handled.push(item.key);
                }
            }
            handled
        }));
    }
    let mut all = Vec::new();
    for replica in replicas {
        all.extend(replica.await.unwrap());
    }
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, 200, "every item handled exactly once");
    assert_eq!(all.len(), 200);
    schema.drop_now().await;
}

#[tokio::test]
async fn lazy_queue_fails_while_the_server_is_away_and_recovers_by_itself() {
    use meta_messaging::delivery::{NewItem, Queue};
    let schema = Schema::new().await;
    let mut proxy = Proxy::start(upstream_of(&url(), 5432).await).await;
    proxy.cut().await;
    let proxied = format!("{}?options=-csearch_path%3D{}", through(&url(), proxy.port), schema.name);
    let queue = meta_messaging::store::PostgresQueue::connect_lazy(&proxied).unwrap();
    let item = NewItem::new("k", "c", b"{}".to_vec());
    let error = queue.enqueue("lazy", std::slice::from_ref(&item)).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    proxy.restore().await;
    assert_eq!(
        queue.enqueue("lazy", &[item]).await.unwrap(),
        1,
        "migrated and stored once the server is back"
    );
    schema.drop_now().await;
}

/// The relay program on a PostgreSQL store it reaches through a proxy: `503` while the store is
/// away (even at start), never `200`; by itself back to `200` when it returns, and the event
/// reaches the customer. Needs the relay built with PostgreSQL (`.ci/run` builds it with
/// `cargo build --example relay --features postgres` before this suite).
#[tokio::test]
async fn relay_program_answers_503_while_the_store_is_away_and_recovers() {
    use std::process::{Command, Stdio};

    use meta_messaging::testing::WebhookBuilder;

    let schema = Schema::new().await;
    let mut proxy = Proxy::start(upstream_of(&url(), 5432).await).await;
    proxy.cut().await;

    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = std::sync::Arc::clone(&received);
    let customer = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |body: axum::body::Bytes| {
            let envelope: serde_json::Value = serde_json::from_slice(&body).unwrap();
            log.lock().unwrap().push(envelope["event"]["id"].as_str().unwrap_or_default().to_owned());
            async { axum::http::StatusCode::OK }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, customer).await });

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = format!("{}?options=-csearch_path%3D{}", through(&url(), proxy.port), schema.name);
    let binary = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/relay");
    let mut child = Command::new(&binary)
        .env("RELAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("META_APP_SECRET", "pg-relay-secret")
        .env("META_VERIFY_TOKEN", "pg-relay-token")
        .env("RELAY_STORE", &store)
        .env("RELAY_TARGET_URL", &target)
        .env("RELAY_ALLOW_PRIVATE_TARGETS", "1")
        .env("RELAY_SIGNING_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{}: {e}: run `cargo build --example relay --features postgres`", binary.display())
        });

    let http = meta_messaging::graph::http_client_builder()
        .unwrap()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/webhooks/meta");
    let signed = WebhookBuilder::whatsapp("106540352242922")
        .text("16505551234", "store outage")
        .sign("pg-relay-secret");
    let id =
        serde_json::from_slice::<serde_json::Value>(&signed.body).unwrap()["entry"][0]["changes"][0]["value"]
            ["messages"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    // The store is away from the start: the relay runs and answers 503.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            panic!(
                "the relay exited ({exit}): build it with `cargo build --example relay --features postgres`"
            );
        }
        if let Ok(response) = signed.post(&http, &url).await {
            break response.status();
        }
        assert!(std::time::Instant::now() < deadline, "the relay never listened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, 503);
    assert_eq!(signed.post(&http, &url).await.unwrap().status(), 503, "still away: never 200");

    // Back: the relay recovers by itself, stores, answers 200 and forwards.
    proxy.restore().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match signed.post(&http, &url).await {
            Ok(response) if response.status() == 200 => break,
            Ok(response) => assert_eq!(response.status(), 503),
            Err(_) => {}
        }
        assert!(std::time::Instant::now() < deadline, "the relay did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !received.lock().unwrap().contains(&id) {
        assert!(std::time::Instant::now() < deadline, "the acknowledged event never reached the customer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    schema.drop_now().await;
}

#[tokio::test]
async fn window_store_forgets_a_business_and_only_it() {
    use meta_messaging::pacing::WindowStore;
    let schema = Schema::new().await;
    let store = meta_messaging::store::PostgresWindowStore::from_pool(schema.pool().await).await.unwrap();
    let now = meta_messaging::Timestamp::now();
    store.record("106540352242922", "16505551234", now).await.unwrap();
    store.record("106540352242922", "US.13491208655302741918", now).await.unwrap();
    store.record("106540352242999", "16505551234", now).await.unwrap();
    assert_eq!(store.forget_business("106540352242922").await.unwrap(), 2);
    assert_eq!(store.forget_business("106540352242922").await.unwrap(), 0);
    assert_eq!(store.last_inbound("106540352242922", "16505551234").await.unwrap(), None);
    assert!(store.last_inbound("106540352242999", "16505551234").await.unwrap().is_some());
    schema.drop_now().await;
}

#[path = "common/identity_suite.rs"]
mod identity_suite;

#[tokio::test]
async fn identity_store_keeps_the_contract() {
    let schema = Schema::new().await;
    let store = meta_messaging::store::PostgresIdentityStore::from_pool(schema.pool().await).await.unwrap();
    identity_suite::run(&store, "postgres").await;
    schema.drop_now().await;
}

#[tokio::test]
async fn two_replicas_see_one_window_for_a_user_seen_with_and_without_a_phone() {
    use meta_messaging::identity::IdentityDirectory;
    use meta_messaging::pacing::{WindowStatus, WindowTracker};
    use meta_messaging::store::{PostgresIdentityStore, PostgresWindowStore};
    let schema = Schema::new().await;
    let replica = |pool: sqlx::PgPool| async move {
        let directory = IdentityDirectory::new(PostgresIdentityStore::from_pool(pool.clone()).await.unwrap());
        WindowTracker::new(std::sync::Arc::new(PostgresWindowStore::from_pool(pool).await.unwrap()))
            .identities(directory)
    };
    let first = replica(schema.pool().await).await;
    let second = replica(schema.pool().await).await;
    // Replica one receives the user's messages: one with the phone, one without; its
    // timestamps are now, so the window is open.
    let now = meta_messaging::Timestamp::now().unix_seconds();
    for name in ["with_phone.json", "without_phone.json"] {
        let mut body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("tests/fixtures/identity/{name}")).unwrap())
                .unwrap();
        body["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] =
            serde_json::Value::from(now.to_string());
        first.observe(&meta_messaging::webhook::parse(body.to_string().as_bytes()).unwrap()).await.unwrap();
    }
    // Replica two finds one open window, whether it asks by phone or by BSUID.
    for user in ["16505551234", "US.13491208655302741918"] {
        let status = second.status("106540352242922", user).await.unwrap();
        assert!(matches!(status, WindowStatus::Open { .. }), "{user}: {status:?}");
    }
    schema.drop_now().await;
}

#[tokio::test]
async fn two_replicas_file_a_user_seen_with_and_without_a_phone_under_one_conversation() {
    use meta_messaging::delivery::{INBOX_QUEUE, Inbox, ItemState, Queue};
    let schema = Schema::new().await;
    let first: std::sync::Arc<dyn Queue> = std::sync::Arc::new(
        meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap(),
    );
    let second: std::sync::Arc<dyn Queue> = std::sync::Arc::new(
        meta_messaging::store::PostgresQueue::from_pool(schema.pool().await).await.unwrap(),
    );
    for (queue, name) in
        [(&first, "with_phone.json"), (&second, "without_phone.json"), (&first, "empty_strings.json")]
    {
        let body = std::fs::read(format!("tests/fixtures/identity/{name}")).unwrap();
        let webhook = meta_messaging::webhook::parse(&body).unwrap();
        Inbox::new(std::sync::Arc::clone(queue)).store(&body, &webhook).await.unwrap();
    }
    let items = first.list(INBOX_QUEUE, ItemState::Pending, 10).await.unwrap();
    assert_eq!(items.len(), 4);
    assert!(
        items.iter().all(|i| i.conversation == "whatsapp:106540352242922:US.13491208655302741918"),
        "{:?}",
        items.iter().map(|i| &i.conversation).collect::<Vec<_>>()
    );
    // One conversation: only its oldest item is claimable, whichever replica asks.
    assert_eq!(second.claim(INBOX_QUEUE, "w", 10, Duration::from_secs(30)).await.unwrap().len(), 1);
    schema.drop_now().await;
}
