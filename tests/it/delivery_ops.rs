//! What operators run delivery with: strict order per destination, the attempt log, recovery
//! since a time, a destination's rate across replicas and its health (the stores' part of them
//! is in `common/queue_suite.rs` and `common/destination_suite.rs`, run on every engine).

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Timestamp;
use meta_messaging::clock::{Clock, ManualClock};
use meta_messaging::delivery::{
    AttemptOutcome, DestinationGuard, DestinationPolicy, DestinationStore, Fanout, Handler, HandlerError,
    HttpRelay, INBOX_QUEUE, InMemoryDestinations, InMemoryQueue, Item, ItemState, NewItem, Queue, Retry,
    STRICT_CONVERSATION, Worker, WorkerConfig, relay_queue,
};
use meta_messaging::store::SqliteQueue;
use meta_messaging::webhook::relay::SigningSecret;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[path = "../common/destination_suite.rs"]
mod destination_suite;

const LEASE: Duration = Duration::from_secs(30);

fn keys(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.key.as_str()).collect()
}

/// Three inbox items of three conversations, fanned out to a strict destination and a default one.
async fn fanned_out() -> Arc<dyn Queue> {
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let inbox: Vec<NewItem> = ["e1", "e2", "e3"]
        .iter()
        .map(|k| NewItem::new(*k, format!("conv-{k}"), k.as_bytes().to_vec()))
        .collect();
    queue.enqueue(INBOX_QUEUE, &inbox).await.unwrap();
    let fanout = Fanout::new(Arc::clone(&queue), ["parallel"]).strict_order("fifo");
    for item in queue.claim(INBOX_QUEUE, "fanout", 10, LEASE).await.unwrap() {
        fanout.handle(&item).await.unwrap();
        assert!(queue.complete(item.id, "fanout").await.unwrap());
    }
    queue
}

#[tokio::test]
async fn a_strict_destination_has_one_item_in_flight_in_enqueue_order_under_retries() {
    let queue = fanned_out().await;
    let fifo = relay_queue("fifo");
    // The default destination delivers the three conversations in parallel.
    let parallel = queue.claim(&relay_queue("parallel"), "w", 10, LEASE).await.unwrap();
    assert_eq!(keys(&parallel), ["e1", "e2", "e3"]);
    assert!(parallel.iter().all(|i| i.conversation.starts_with("conv-")));
    // The strict one: one conversation, one item at a time.
    let first = queue.claim(&fifo, "w", 10, LEASE).await.unwrap();
    assert_eq!(keys(&first), ["e1"]);
    assert_eq!(first[0].conversation, STRICT_CONVERSATION);
    assert!(queue.claim(&fifo, "w", 10, LEASE).await.unwrap().is_empty(), "e2 waits for e1");
    // e1 fails and is retried (due at once): it stays at the head; e2 still waits.
    assert!(queue.fail(first[0].id, "w", "503 from customer", Retry::At(queue.now())).await.unwrap());
    let retried = queue.claim(&fifo, "w", 10, LEASE).await.unwrap();
    assert_eq!(keys(&retried), ["e1"]);
    assert_eq!(retried[0].attempts, 2);
    assert!(queue.complete(retried[0].id, "w").await.unwrap());
    let mut order = vec!["e1".to_owned()];
    loop {
        let next = queue.claim(&fifo, "w", 10, LEASE).await.unwrap();
        if next.is_empty() {
            break;
        }
        assert_eq!(next.len(), 1, "never more than one in flight");
        order.push(next[0].key.clone());
        assert!(queue.complete(next[0].id, "w").await.unwrap());
    }
    assert_eq!(order, ["e1", "e2", "e3"]);
}

#[tokio::test]
async fn strict_order_can_be_asked_for_a_listed_destination_and_a_retried_fanout_stores_nothing_twice() {
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    queue.enqueue(INBOX_QUEUE, &[NewItem::new("e1", "conv", b"{}".to_vec())]).await.unwrap();
    let fanout = Fanout::new(Arc::clone(&queue), ["a", "b"]).strict_order("b");
    assert_eq!(format!("{fanout:?}").matches("\"b\"").count(), 1, "b is listed once: {fanout:?}");
    let item = queue.claim(INBOX_QUEUE, "w", 1, LEASE).await.unwrap().remove(0);
    fanout.handle(&item).await.unwrap();
    fanout.handle(&item).await.unwrap();
    let a = queue.list(&relay_queue("a"), meta_messaging::delivery::ItemState::Pending, 10).await.unwrap();
    let b = queue.list(&relay_queue("b"), meta_messaging::delivery::ItemState::Pending, 10).await.unwrap();
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((a[0].conversation.as_str(), b[0].conversation.as_str()), ("conv", STRICT_CONVERSATION));
}

#[tokio::test]
async fn the_worker_logs_every_attempt_with_its_outcome_status_and_time_and_no_customer_data() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("customer's private error page"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default().with_clock(Arc::new(clock.clone())));
    queue.enqueue("relay:acme", &[NewItem::new("e1", "c", b"{\"secret\":\"text\"}".to_vec())]).await.unwrap();
    let policy = DestinationPolicy::default().allow_private_targets(true).allow_http(true);
    let relay =
        HttpRelay::with_policy(&format!("{}/hooks", server.uri()), &SigningSecret::generate(), policy)
            .unwrap();
    let config = WorkerConfig::default().backoff(Duration::from_millis(10), Duration::from_millis(20));
    let worker = Worker::new(Arc::clone(&queue), "relay:acme", relay).config(config);
    let started = queue.now();
    while queue.counts("relay:acme").await.unwrap().1 == 0 {
        worker.run_once().await.unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let id = queue.list("relay:acme", meta_messaging::delivery::ItemState::Done, 1).await.unwrap()[0].id;
    let log = queue.attempt_log(id).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0].outcome, AttemptOutcome::Retried);
    assert_eq!((log[0].category.as_deref(), log[0].status), (Some("destination answered 503"), Some(503)));
    assert_eq!(log[0].at, started);
    assert_eq!(log[1].outcome, AttemptOutcome::Delivered);
    assert_eq!((log[1].category.as_deref(), log[1].status), (None, None));
    assert!(log[1].at > log[0].at);
    let shown = format!("{log:?}");
    assert!(!shown.contains("private error page") && !shown.contains("secret"), "{shown}");
}

#[tokio::test]
async fn a_handler_error_names_a_coarse_category_and_its_message_stays_out_of_the_log() {
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let items = [NewItem::new("k1", "c1", b"{}".to_vec()), NewItem::new("k2", "c2", b"{}".to_vec())];
    queue.enqueue("q", &items).await.unwrap();
    let handler = |item: Item| async move {
        if item.key == "k1" {
            Err(HandlerError::permanent("user +16505551234 said something private"))
        } else {
            Err(HandlerError::from(meta_messaging::Error::outside_window("send a template")))
        }
    };
    Worker::new(Arc::clone(&queue), "q", handler).run_once().await.unwrap();
    let dead = queue.dead_letters("q", 10).await.unwrap();
    assert_eq!(dead.len(), 2);
    let plain = queue.attempt_log(dead[0].id).await.unwrap();
    assert_eq!(plain[0].outcome, AttemptOutcome::DeadLettered);
    assert_eq!(plain[0].category.as_deref(), Some("handler error"));
    assert!(!format!("{plain:?}").contains("16505551234"));
    assert_eq!(dead[0].last_error.as_deref(), Some("user +16505551234 said something private"), "kept apart");
    let graph = queue.attempt_log(dead[1].id).await.unwrap();
    assert_eq!(graph[0].category.as_deref(), Some("graph: outside_window"));
}

#[tokio::test]
async fn destination_stores_keep_the_contract_in_memory_and_on_sqlite() {
    destination_suite::run(&InMemoryDestinations::default(), "mem").await;
    let dir = std::env::temp_dir().join(format!("mm-dest-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let queue = SqliteQueue::open(dir.join("q.db").to_str().unwrap()).await.unwrap();
    destination_suite::run(&queue, "sqlite").await;
    std::fs::remove_dir_all(dir).ok();
}

/// A SQLite queue on a manual clock that is also the destinations' store, as one replica's
/// handle on it; and a handler that notes when each item was delivered.
async fn shared_queue(clock: &ManualClock, dir: &std::path::Path) -> Arc<SqliteQueue> {
    let queue = SqliteQueue::open(dir.join("relay.db").to_str().unwrap()).await.unwrap();
    Arc::new(queue.with_clock(Arc::new(clock.clone())))
}

#[tokio::test]
async fn two_replicas_hold_one_destination_rate_together_and_waits_are_not_attempts() {
    let dir = std::env::temp_dir().join(format!("mm-rate-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let queue = shared_queue(&clock, &dir).await;
    let items: Vec<NewItem> =
        (0..12).map(|i| NewItem::new(format!("e{i}"), format!("c{i}"), b"{}".to_vec())).collect();
    queue.enqueue("relay:acme", &items).await.unwrap();
    let delivered = Arc::new(std::sync::Mutex::new(Vec::new()));
    let replica = |owner: &str| {
        let (log, at) = (Arc::clone(&delivered), clock.clone());
        let deliver = move |_item: Item| {
            let (log, clock) = (Arc::clone(&log), at.clone());
            async move {
                log.lock().unwrap().push(clock.now().unix_millis());
                Ok::<(), HandlerError>(())
            }
        };
        let store: Arc<dyn DestinationStore> = Arc::clone(&queue) as Arc<dyn DestinationStore>;
        let guard =
            DestinationGuard::new("acme", store, deliver).rate(10, 1).with_clock(Arc::new(clock.clone()));
        let queue: Arc<dyn Queue> = Arc::clone(&queue) as Arc<dyn Queue>;
        Worker::new(queue, "relay:acme", guard).with_owner(owner)
    };
    let (a, b) = (replica("replica-a"), replica("replica-b"));
    for _ in 0..400 {
        a.run_once().await.unwrap();
        b.run_once().await.unwrap();
        if queue.counts("relay:acme").await.unwrap().0 == 0 {
            break;
        }
        clock.advance(Duration::from_millis(10));
    }
    let mut times = delivered.lock().unwrap().clone();
    assert_eq!(times.len(), 12, "every item delivered");
    times.sort_unstable();
    assert!(times.windows(2).all(|w| w[1] - w[0] >= 100), "10 a second across both replicas: {times:?}");
    let done = queue.list("relay:acme", ItemState::Done, 20).await.unwrap();
    assert!(done.iter().all(|item| item.attempts == 1), "waiting for a slot is not an attempt");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_destination_failing_too_long_is_disabled_its_items_wait_and_enabling_resumes_delivery() {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default().with_clock(Arc::new(clock.clone())));
    let store = Arc::new(InMemoryDestinations::default());
    queue.enqueue("relay:acme", &[NewItem::new("e1", "c1", b"{}".to_vec())]).await.unwrap();
    let down = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let up = Arc::clone(&down);
    let deliver = move |_item: Item| {
        let down = up.load(std::sync::atomic::Ordering::SeqCst);
        async move { if down { Err(HandlerError::retry("destination answered 503")) } else { Ok(()) } }
    };
    let hooked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&hooked);
    let guard = DestinationGuard::new("acme", Arc::clone(&store) as Arc<dyn DestinationStore>, deliver)
        .disable_after(Duration::from_secs(10))
        .on_disabled(move |state| {
            seen.lock().unwrap().push(state.disabled_reason.clone().unwrap_or_default());
        })
        .with_clock(Arc::new(clock.clone()));
    let config = WorkerConfig::default()
        .backoff(Duration::from_millis(500), Duration::from_millis(500))
        .give_up_after(1000, None);
    let worker = Worker::new(Arc::clone(&queue), "relay:acme", guard).config(config);
    for _ in 0..30 {
        worker.run_once().await.unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let state = store.destination("acme").await.unwrap().unwrap();
    assert!(!state.is_enabled(), "{state:?}");
    assert!(state.failure_streak >= 10);
    assert_eq!(hooked.lock().unwrap().len(), 1, "the hook is called once");
    assert!(hooked.lock().unwrap()[0].starts_with("every attempt failed for 10s"));
    // Disabled: the item waits, spending no attempts, however long.
    let attempts = |queue: Arc<dyn Queue>| async move {
        queue.list("relay:acme", ItemState::Pending, 1).await.unwrap()[0].attempts
    };
    let before = attempts(Arc::clone(&queue)).await;
    for _ in 0..10 {
        worker.run_once().await.unwrap();
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(attempts(Arc::clone(&queue)).await, before, "no attempt while disabled");
    // The customer is fixed and an operator enables it: delivery resumes.
    down.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(store.enable("acme").await.unwrap());
    for _ in 0..5 {
        worker.run_once().await.unwrap();
        clock.advance(Duration::from_secs(31));
    }
    assert_eq!(queue.counts("relay:acme").await.unwrap(), (0, 1, 0));
    let healthy = store.destination("acme").await.unwrap().unwrap();
    assert!(healthy.is_enabled() && healthy.failure_streak == 0 && healthy.last_success.is_some());
}

#[test]
fn store_errors_name_their_kind_in_the_attempt_log() {
    let error = HandlerError::from(meta_messaging::store::StoreError::backend_message("connection reset"));
    assert_eq!(error.category(), Some("store: backend"));
    assert!(!error.is_wait(), "a store failure is a failed attempt, not a wait");
}
