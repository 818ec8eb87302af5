//! Durable delivery: the queue contract on memory and SQLite, the worker's retries and dead
//! letters, the relay's requests, and the router's durable mode.

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Timestamp;
use meta_messaging::axum::WebhookRouter;
use meta_messaging::clock::ManualClock;
use meta_messaging::delivery::{
    CircuitBreaker, DestinationError, DestinationPolicy, HandlerError, HttpRelay, INBOX_QUEUE, InMemoryQueue,
    Inbox, Item, NewItem, Queue, Worker, WorkerConfig,
};
use meta_messaging::store::{SqliteQueue, StoreError};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::Verifier;
use meta_messaging::webhook::relay::{RelayVerifier, SigningSecret};
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../common/queue_suite.rs"]
mod queue_suite;

#[tokio::test]
async fn in_memory_queue_keeps_the_contract() {
    queue_suite::run(Arc::new(InMemoryQueue::default()), "mem").await;
}

#[tokio::test]
async fn sqlite_queue_keeps_the_contract_and_survives_reopening() {
    let dir = tempdir();
    let path = dir.join("queue.db");
    let queue = SqliteQueue::open(path.to_str().unwrap()).await.unwrap();
    queue_suite::run(Arc::new(queue.clone()), "sqlite").await;
    let stored = NewItem::new("durable", "c", b"{}".to_vec());
    assert_eq!(queue.enqueue("reopen", std::slice::from_ref(&stored)).await.unwrap(), 1);
    drop(queue);
    let reopened = SqliteQueue::open(path.to_str().unwrap()).await.unwrap();
    assert_eq!(reopened.counts("reopen").await.unwrap(), (1, 0, 0));
    assert_eq!(reopened.enqueue("reopen", &[stored]).await.unwrap(), 0, "still deduped after a restart");
    std::fs::remove_dir_all(dir).ok();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mm-delivery-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The policy of these tests: their endpoints are wiremock servers on loopback over plain http.
fn lab() -> DestinationPolicy {
    DestinationPolicy::default().allow_private_targets(true).allow_http(true)
}

fn fast() -> WorkerConfig {
    WorkerConfig::default()
        .poll_interval(Duration::from_millis(10))
        .backoff(Duration::from_millis(10), Duration::from_millis(40))
        .lease(Duration::from_secs(5), Duration::from_secs(2))
}

/// An in-memory queue on a manual clock: leases, due times and backoff move only when the test
/// advances it, so no test sleeps through a backoff.
fn clocked() -> (Arc<dyn Queue>, ManualClock) {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    (Arc::new(InMemoryQueue::default().with_clock(Arc::new(clock.clone()))), clock)
}

async fn enqueue_one(queue: &Arc<dyn Queue>, clock: &ManualClock) -> Item {
    let item = NewItem::new("whatsapp:message:wamid.1", "c", br#"{"event":{"id":"wamid.1"}}"#.to_vec());
    queue.enqueue(INBOX_QUEUE, &[item]).await.unwrap();
    // What a worker would see: read back through a claim, whose lease then runs out.
    let claimed = queue.claim(INBOX_QUEUE, "peek", 1, Duration::from_millis(1)).await.unwrap();
    clock.advance(Duration::from_millis(5));
    claimed.into_iter().next().unwrap()
}

#[tokio::test]
async fn relay_retries_server_errors_with_one_webhook_id_until_2xx() {
    let server = MockServer::start().await;
    let secret = SigningSecret::generate();
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .and(header_exists("webhook-id"))
        .and(header_exists("webhook-timestamp"))
        .and(header_exists("webhook-signature"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (queue, clock) = clocked();
    let item = enqueue_one(&queue, &clock).await;
    let relay = HttpRelay::with_policy(&format!("{}/hooks", server.uri()), &secret, lab()).unwrap();
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast());
    for _ in 0..200 {
        worker.run_once().await.unwrap();
        if queue.counts(INBOX_QUEUE).await.unwrap() == (0, 1, 0) {
            break;
        }
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 1, 0));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3, "two 503s, then the 2xx");
    let ids: Vec<&str> =
        requests.iter().map(|r| r.headers.get("webhook-id").unwrap().to_str().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == HttpRelay::webhook_id(&item)), "{ids:?}");
    assert_eq!(requests[2].headers.get("content-type").unwrap(), "application/json");
    assert_eq!(requests[2].body, item.payload);
    // The customer can verify what it got.
    let last = &requests[2];
    let header = |n: &str| last.headers.get(n).unwrap().to_str().unwrap().to_owned();
    RelayVerifier::new(&secret)
        .verify(&header("webhook-id"), &header("webhook-timestamp"), &header("webhook-signature"), &last.body)
        .unwrap();
}

#[tokio::test]
async fn relay_dead_letters_client_errors_and_replay_delivers_them() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(410))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let (queue, clock) = clocked();
    enqueue_one(&queue, &clock).await;
    let relay = HttpRelay::with_policy(&server.uri(), &SigningSecret::generate(), lab()).unwrap();
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast());
    worker.run_once().await.unwrap();
    let dead = queue.dead_letters(INBOX_QUEUE, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("destination answered 410"));
    assert!(queue.replay(dead[0].id).await.unwrap());
    worker.run_once().await.unwrap();
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 1, 0));
}

#[tokio::test]
async fn relay_honours_retry_after_and_times_out_stalled_endpoints() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    for (route, expected) in [("/slow", "destination unreachable"), ("/busy", "destination answered 429")] {
        let (queue, clock) = clocked();
        enqueue_one(&queue, &clock).await;
        let relay =
            HttpRelay::with_policy(&format!("{}{route}", server.uri()), &SigningSecret::generate(), lab())
                .unwrap()
                .timeout(Duration::from_millis(200));
        let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast());
        worker.run_once().await.unwrap();
        // Retried later, not dead; with Retry-After: 120, not within the next seconds.
        assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (1, 0, 0), "{route}");
        clock.advance(Duration::from_secs(60));
        let claimed = queue.claim(INBOX_QUEUE, "probe", 1, Duration::from_secs(1)).await.unwrap();
        if route == "/busy" {
            assert!(claimed.is_empty(), "Retry-After honoured");
        } else {
            assert_eq!(claimed[0].last_error.as_deref(), Some(expected));
        }
    }
}

#[tokio::test]
async fn open_breaker_holds_items_without_calling_the_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let items: Vec<NewItem> =
        (0..5).map(|i| NewItem::new(format!("k{i}"), format!("c{i}"), b"{}".to_vec())).collect();
    queue.enqueue(INBOX_QUEUE, &items).await.unwrap();
    let relay = HttpRelay::with_policy(&server.uri(), &SigningSecret::generate(), lab())
        .unwrap()
        .circuit_breaker(CircuitBreaker::new(1, Duration::from_secs(60)));
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast().batch(1));
    for _ in 0..5 {
        worker.run_once().await.unwrap();
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "one failure opens the breaker");
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (5, 0, 0), "held, not dead-lettered");
}

#[tokio::test]
async fn worker_gives_up_after_max_attempts_and_keeps_conversation_order() {
    let (queue, clock) = clocked();
    let items: Vec<NewItem> =
        ["a1", "a2", "a3"].iter().map(|k| NewItem::new(*k, "a", k.as_bytes().to_vec())).collect();
    queue.enqueue(INBOX_QUEUE, &items).await.unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let handler = move |item: Item| {
        let log = Arc::clone(&log);
        async move {
            log.lock().unwrap().push(item.key.clone());
            if item.key == "a2" { Err(HandlerError::retry("downstream down")) } else { Ok(()) }
        }
    };
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, handler).config(fast().give_up_after(3, None));
    for _ in 0..100 {
        worker.run_once().await.unwrap();
        if queue.counts(INBOX_QUEUE).await.unwrap().0 == 0 {
            break;
        }
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(*seen.lock().unwrap(), ["a1", "a2", "a2", "a2", "a3"], "a3 waited for a2 to be settled");
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 2, 1));
}

/// A queue whose store is down.
#[derive(Debug)]
struct Down;

#[async_trait::async_trait]
impl Queue for Down {
    async fn enqueue(&self, _: &str, _: &[NewItem]) -> Result<usize, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn claim(&self, _: &str, _: &str, _: usize, _: Duration) -> Result<Vec<Item>, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn complete(&self, _: i64, _: &str) -> Result<bool, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn fail(
        &self,
        _: i64,
        _: &str,
        _: &str,
        _: meta_messaging::delivery::Retry,
    ) -> Result<bool, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn dead_letters(&self, _: &str, _: usize) -> Result<Vec<Item>, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn replay(&self, _: i64) -> Result<bool, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn counts(&self, _: &str) -> Result<(u64, u64, u64), StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn purge_completed(&self, _: meta_messaging::Timestamp) -> Result<u64, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
    async fn purge_tenant(&self, _: &str) -> Result<u64, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test]
async fn durable_router_answers_200_only_after_storing_and_503_when_the_store_is_down() {
    const SECRET: &str = "durable-router-secret";
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let up = serve(
        WebhookRouter::new(Verifier::new(SECRET), "t").inbox(Inbox::new(Arc::clone(&queue))).into_router(),
    )
    .await;
    let down =
        serve(WebhookRouter::new(Verifier::new(SECRET), "t").inbox(Inbox::new(Arc::new(Down))).into_router())
            .await;
    let http = meta_messaging::testing::http_client();
    let body = WebhookBuilder::whatsapp("106540352242922")
        .text("16505551234", "one")
        .text("16505551234", "two")
        .sign(SECRET);
    assert_eq!(body.post(&http, &up).await.unwrap().status(), 200);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (2, 0, 0));
    // The redelivery of a stored body is answered 200 without a second copy.
    assert_eq!(body.post(&http, &up).await.unwrap().status(), 200);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (2, 0, 0));
    assert_eq!(body.post(&http, &down).await.unwrap().status(), 503);
    // A forged body is never stored.
    let forged = WebhookBuilder::whatsapp("106540352242922").text("16505551234", "x").sign("wrong-secret");
    assert_eq!(forged.post(&http, &up).await.unwrap().status(), 401);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (2, 0, 0));
}

#[tokio::test]
async fn fanout_relays_to_each_destination_with_its_own_sealed_secret() {
    use meta_messaging::delivery::{Fanout, relay_queue, store_signing_secret};
    use meta_messaging::token::{DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring};

    let vault = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
    let (crm, inbox_app) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&crm).await;
    // The second customer is down: the first is not held back by it.
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&inbox_app).await;
    let (crm_secret, inbox_secret) = (SigningSecret::generate(), SigningSecret::generate());
    store_signing_secret(&vault, "acme", "crm", &crm_secret).await.unwrap();
    store_signing_secret(&vault, "acme", "inbox-app", &inbox_secret).await.unwrap();

    let (queue, clock) = clocked();
    let item = enqueue_one(&queue, &clock).await;
    let fanout =
        Worker::new(Arc::clone(&queue), INBOX_QUEUE, Fanout::new(Arc::clone(&queue), ["crm", "inbox-app"]))
            .config(fast());
    fanout.run_once().await.unwrap();
    // A retried fan-out stores nothing twice.
    fanout.run_once().await.unwrap();
    assert_eq!(queue.counts(&relay_queue("crm")).await.unwrap(), (1, 0, 0));
    assert_eq!(queue.counts(&relay_queue("inbox-app")).await.unwrap(), (1, 0, 0));

    for (destination, server) in [("crm", &crm), ("inbox-app", &inbox_app)] {
        let relay = HttpRelay::from_vault_with_policy(&vault, "acme", destination, &server.uri(), lab())
            .await
            .unwrap();
        Worker::new(Arc::clone(&queue), relay_queue(destination), relay)
            .config(fast())
            .run_once()
            .await
            .unwrap();
    }
    assert_eq!(queue.counts(&relay_queue("crm")).await.unwrap(), (0, 1, 0));
    assert_eq!(queue.counts(&relay_queue("inbox-app")).await.unwrap(), (1, 0, 0), "retried later");
    let delivered = &crm.received_requests().await.unwrap()[0];
    let header = |n: &str| delivered.headers.get(n).unwrap().to_str().unwrap().to_owned();
    let (id, ts, sig) = (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
    RelayVerifier::new(&crm_secret).verify(&id, &ts, &sig, &delivered.body).unwrap();
    assert!(RelayVerifier::new(&inbox_secret).verify(&id, &ts, &sig, &delivered.body).is_err());
    assert_eq!(delivered.body, item.payload);
    // No vault secret, no relay.
    let missing =
        HttpRelay::from_vault_with_policy(&vault, "acme", "unknown", &crm.uri(), lab()).await.unwrap_err();
    assert!(missing.to_string().contains("no signing secret"), "{missing}");
}

#[tokio::test]
async fn a_customer_that_drops_connections_is_retried() {
    // Accepts each connection, reads a little, and closes it without an answer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buffer = [0u8; 64];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await;
            drop(socket);
        }
    });
    let (queue, clock) = clocked();
    enqueue_one(&queue, &clock).await;
    let relay = HttpRelay::with_policy(&url, &SigningSecret::generate(), lab()).unwrap();
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast());
    worker.run_once().await.unwrap();
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (1, 0, 0), "pending for a retry, not dead");
    clock.advance(Duration::from_secs(60));
    let again = queue.claim(INBOX_QUEUE, "probe", 1, Duration::from_secs(1)).await.unwrap();
    assert_eq!(again[0].last_error.as_deref(), Some("destination unreachable"));
}

#[tokio::test]
async fn a_relay_told_to_retry_everything_retries_client_errors_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let (queue, clock) = clocked();
    enqueue_one(&queue, &clock).await;
    let relay = HttpRelay::with_policy(&server.uri(), &SigningSecret::generate(), lab())
        .unwrap()
        .dead_letter_client_errors(false);
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast());
    for _ in 0..100 {
        worker.run_once().await.unwrap();
        if queue.counts(INBOX_QUEUE).await.unwrap().1 == 1 {
            break;
        }
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 1, 0), "retried after the 400, not dead");
}

/// A TCP listener on loopback that counts the connections it accepts (and answers `204`).
async fn counting_listener(
    address: &str,
) -> Option<(std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(address).await.ok()?;
    let local = listener.local_addr().ok()?;
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await;
            });
        }
    });
    Some((local, accepted))
}

#[tokio::test]
async fn loopback_destinations_are_never_connected_to_without_the_opt_in() {
    let (v4, accepted) = counting_listener("127.0.0.1:0").await.expect("a loopback listener");
    let port = v4.port();
    let v6 = counting_listener("[::1]:0").await;
    let secret = SigningSecret::generate();
    let http_ok = DestinationPolicy::default().allow_http(true);
    // IP literals are refused when the relay is built, under the default policy and with plain
    // http allowed alike.
    let mut literals =
        vec![format!("http://127.0.0.1:{port}/hooks"), format!("https://127.0.0.1:{port}/hooks")];
    if let Some((address, _)) = &v6 {
        literals.push(format!("http://[::1]:{}/hooks", address.port()));
    }
    for url in &literals {
        for policy in [DestinationPolicy::default(), http_ok.clone()] {
            let refused = HttpRelay::with_policy(url, &secret, policy).unwrap_err();
            assert!(matches!(refused, DestinationError::Address { .. }), "{url}: {refused}");
        }
    }
    // A host name is checked at every connection: `localhost` resolves to loopback, so the
    // attempt is refused before connecting and the item is dead-lettered with a category.
    for url in [format!("http://localhost:{port}/hooks"), format!("https://localhost:{port}/hooks")] {
        let relay =
            HttpRelay::with_policy(&url, &secret, http_ok.clone()).expect("a host name passes the url check");
        let (queue, clock) = clocked();
        enqueue_one(&queue, &clock).await;
        Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast()).run_once().await.unwrap();
        let dead = queue.dead_letters(INBOX_QUEUE, 10).await.unwrap();
        assert_eq!(dead.len(), 1, "{url}");
        assert_eq!(dead[0].last_error.as_deref(), Some("destination address not allowed"));
        let vetted = http_ok.vet(&url).await.unwrap_err();
        assert!(
            matches!(vetted, DestinationError::Address { ref host, .. } if host == "localhost"),
            "{vetted}"
        );
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection reached loopback");
    if let Some((_, accepted_v6)) = &v6 {
        assert_eq!(accepted_v6.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    // With the opt-in the same destinations receive the items.
    let mut urls = vec![format!("http://127.0.0.1:{port}/hooks"), format!("http://localhost:{port}/hooks")];
    if let Some((address, _)) = &v6 {
        urls.push(format!("http://[::1]:{}/hooks", address.port()));
    }
    for url in &urls {
        let relay = HttpRelay::with_policy(url, &secret, lab()).unwrap();
        let (queue, clock) = clocked();
        enqueue_one(&queue, &clock).await;
        Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast()).run_once().await.unwrap();
        assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 1, 0), "{url}");
    }
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    if let Some((_, accepted_v6)) = &v6 {
        assert!(accepted_v6.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    }
}

#[tokio::test]
async fn an_allow_listed_network_opens_only_that_network() {
    let (address, accepted) = counting_listener("127.0.0.1:0").await.expect("a loopback listener");
    let secret = SigningSecret::generate();
    let only_this_host = DestinationPolicy::default().allow_http(true).allow_network(address.ip(), 32);
    let relay =
        HttpRelay::with_policy(&format!("http://localhost:{}/", address.port()), &secret, only_this_host)
            .unwrap();
    let (queue, clock) = clocked();
    enqueue_one(&queue, &clock).await;
    Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast()).run_once().await.unwrap();
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 1, 0));
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    let other = DestinationPolicy::default().allow_http(true).allow_network("127.0.0.2".parse().unwrap(), 32);
    assert!(
        HttpRelay::with_policy(&format!("http://127.0.0.1:{}/", address.port()), &secret, other).is_err()
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_failures_are_coarse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "http://169.254.169.254/latest/meta-data/"),
        )
        .mount(&server)
        .await;
    let (queue, clock) = clocked();
    enqueue_one(&queue, &clock).await;
    let relay = HttpRelay::with_policy(&server.uri(), &SigningSecret::generate(), lab()).unwrap();
    Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast()).run_once().await.unwrap();
    let dead = queue.dead_letters(INBOX_QUEUE, 10).await.unwrap();
    assert_eq!(dead[0].last_error.as_deref(), Some("destination answered 302"));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // A closed port and a stalled endpoint record the same category.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (queue, clock) = clocked();
    enqueue_one(&queue, &clock).await;
    let relay =
        HttpRelay::with_policy(&format!("http://127.0.0.1:{closed}/"), &SigningSecret::generate(), lab())
            .unwrap();
    Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay).config(fast()).run_once().await.unwrap();
    let claimed = {
        clock.advance(Duration::from_secs(60));
        queue.claim(INBOX_QUEUE, "probe", 1, Duration::from_secs(1)).await.unwrap()
    };
    assert_eq!(claimed[0].last_error.as_deref(), Some("destination unreachable"));
}

#[tokio::test]
async fn graph_and_store_errors_become_handler_errors_that_keep_their_class() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v26.0/106540352242922/messages"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30").set_body_json(
            serde_json::json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException",
                "code": 130429, "fbtrace_id": "A1"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v26.0/106540352242999/messages"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": {
            "message": "Error validating access token", "type": "OAuthException", "code": 190, "fbtrace_id": "A2"}})))
        .mount(&server)
        .await;
    let client = meta_messaging::Client::builder()
        .access_token("EAAG-test")
        .base_url(server.uri())
        .retry(meta_messaging::graph::RetryPolicy::disabled())
        .build()
        .unwrap();
    let throttled = client.whatsapp("106540352242922").send_text("16505551234", "hi").await.unwrap_err();
    let throttled = HandlerError::from(throttled);
    assert!(!throttled.is_permanent());
    assert_eq!(throttled.retry_after_hint(), Some(Duration::from_secs(30)));
    let unauthorized = client.whatsapp("106540352242999").send_text("16505551234", "hi").await.unwrap_err();
    assert!(HandlerError::from(unauthorized).is_permanent(), "a revoked token is not retried");
    let outside = meta_messaging::Error::outside_window("send a template");
    assert!(HandlerError::from(outside).is_permanent());
    assert!(!HandlerError::from(StoreError::backend_message("connection refused")).is_permanent());
}

#[tokio::test]
async fn a_worker_restarted_under_its_owner_id_resumes_its_items_at_once() {
    let dir = tempdir();
    let path = dir.join("queue.db");
    let queue: Arc<dyn Queue> = Arc::new(SqliteQueue::open(path.to_str().unwrap()).await.unwrap());
    queue.enqueue(INBOX_QUEUE, &[NewItem::new("k1", "c1", b"{}".to_vec())]).await.unwrap();
    // The first process claimed the item under a 60-second lease, then died.
    assert_eq!(queue.claim(INBOX_QUEUE, "relay-0", 1, Duration::from_secs(60)).await.unwrap().len(), 1);
    drop(queue);
    // The restarted process: same file, same owner id.
    let queue: Arc<dyn Queue> = Arc::new(SqliteQueue::open(path.to_str().unwrap()).await.unwrap());
    let (done, handled) = tokio::sync::oneshot::channel::<()>();
    let done = std::sync::Mutex::new(Some(done));
    let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, move |_: Item| {
        if let Some(done) = done.lock().unwrap().take() {
            let _ = done.send(());
        }
        async { Ok(()) }
    })
    .with_owner("relay-0")
    .config(fast());
    let started = std::time::Instant::now();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.await;
    }));
    tokio::time::timeout(Duration::from_secs(5), handled).await.expect("handled").unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "resumed at once, not after the lease");
    let _ = stop.send(());
    running.await.unwrap();
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (0, 1, 0));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(start_paused = true)]
async fn the_breaker_counts_its_cooldown_on_the_runtime_clock() {
    let breaker = CircuitBreaker::new(2, Duration::from_secs(30));
    breaker.record(false);
    assert!(breaker.check().is_ok(), "one failure of two");
    breaker.record(false);
    assert_eq!(breaker.check(), Err(Duration::from_secs(30)));
    tokio::time::advance(Duration::from_secs(29)).await;
    assert_eq!(breaker.check(), Err(Duration::from_secs(1)));
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(breaker.check().is_ok(), "half-open: one trial call");
    assert!(breaker.check().is_err(), "the others wait for the trial");
    breaker.record(true);
    assert!(breaker.check().is_ok(), "closed after a success");
}
