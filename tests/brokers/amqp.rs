//! RabbitMQ: the machine's broker, whose application the restart tests stop and start.

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use meta_messaging::delivery::{
    AmqpRelay, DestinationError, DestinationPolicy, Handler, HttpRelay, ItemState,
};
use tokio::sync::RwLock;

use crate::harness::{
    RelayChild, event_id, feed, one_item, post_disrupted, queue_of, secret, unique, until_done, verifier,
    worker,
};

/// Tests that only use the broker share it; a restart test holds it alone.
static BROKER: RwLock<()> = RwLock::const_new(());

fn url() -> String {
    crate::harness::env("META_MESSAGING_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
}

fn lab() -> DestinationPolicy {
    DestinationPolicy::default().allow_private_targets(true)
}

async fn channel() -> (Connection, Channel) {
    let connection = Connection::connect(&url(), ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ at {} is unreachable: {e}", url()));
    let channel = connection.create_channel().await.unwrap();
    (connection, channel)
}

/// A durable queue of the test's own (the default exchange routes to it by name).
async fn durable_queue(channel: &Channel) -> String {
    let name = unique("mm-test-");
    let options = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
    channel.queue_declare(name.as_str().into(), options, FieldTable::default()).await.unwrap();
    name
}

struct Got {
    message_id: String,
    persistent: bool,
    headers: FieldTable,
    payload: Vec<u8>,
}

/// Takes every message off `queue`.
async fn drain(channel: &Channel, queue: &str) -> Vec<Got> {
    let mut out = Vec::new();
    let options = BasicGetOptions { no_ack: true };
    while let Some(message) = channel.basic_get(queue.into(), options).await.unwrap() {
        let properties = &message.delivery.properties;
        out.push(Got {
            message_id: properties.message_id().as_ref().map(|id| id.as_str().to_owned()).unwrap_or_default(),
            persistent: *properties.delivery_mode() == Some(2),
            headers: properties.headers().clone().unwrap_or_default(),
            payload: message.delivery.data.clone(),
        });
    }
    out
}

fn header(table: &FieldTable, name: &str) -> String {
    match table.inner().get(name) {
        Some(AMQPValue::LongString(value)) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        _ => String::new(),
    }
}

fn rabbitmqctl(command: &str) {
    let output = Command::new("rabbitmqctl")
        .arg(command)
        .output()
        .unwrap_or_else(|e| panic!("the restart tests need the rabbitmqctl program: {e}"));
    assert!(output.status.success(), "rabbitmqctl {command}: {}", String::from_utf8_lossy(&output.stderr));
}

/// Stops the broker application (every connection dropped, nothing accepted) and starts it
/// again when dropped, also when the test fails.
struct Stopped;

impl Stopped {
    fn now() -> Self {
        rabbitmqctl("stop_app");
        Self
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        rabbitmqctl("start_app");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", 5672)).is_err() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A broker restart: stopped for a second, then started.
fn restart_broker() {
    tokio::task::block_in_place(|| {
        let stopped = Stopped::now();
        std::thread::sleep(Duration::from_secs(1));
        drop(stopped);
    });
}

#[tokio::test]
async fn every_event_is_queued_persistent_confirmed_identified_and_signed() {
    let _shared = BROKER.read().await;
    let (_connection, channel) = channel().await;
    let queue_name = durable_queue(&channel).await;
    let relay = AmqpRelay::connect(&url(), "", &queue_name, &lab()).await.unwrap().signed(&secret());
    let queue = queue_of(40).await;
    let running = tokio::spawn(worker(&queue, relay).run(std::future::pending()));
    until_done(&queue, 40, 30).await;
    running.abort();

    let got = drain(&channel, &queue_name).await;
    assert_eq!(got.len(), 40);
    let verifier = verifier();
    let items = queue.list("relay", ItemState::Done, 100).await.unwrap();
    let ids: HashSet<String> = items.iter().map(HttpRelay::webhook_id).collect();
    for message in &got {
        assert!(message.persistent, "delivery mode 2");
        assert!(ids.contains(&message.message_id), "message_id is the item's webhook-id");
        assert_eq!(header(&message.headers, "webhook-id"), message.message_id);
        verifier
            .verify(
                &message.message_id,
                &header(&message.headers, "webhook-timestamp"),
                &header(&message.headers, "webhook-signature"),
                &message.payload,
            )
            .expect("a consumer verifies the message like an HTTP delivery");
    }
    channel.queue_delete(queue_name.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
}

#[tokio::test]
async fn an_unroutable_message_is_retried_not_completed() {
    let _shared = BROKER.read().await;
    let (_connection, channel) = channel().await;
    let missing = unique("mm-nobody-");
    let relay = AmqpRelay::connect(&url(), "", &missing, &lab()).await.unwrap();
    let item = one_item().await;
    let error = relay.handle(&item).await.unwrap_err();
    assert!(!error.is_permanent());
    assert_eq!(error.category(), Some("broker refused"), "{error}");

    let options = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
    channel.queue_declare(missing.as_str().into(), options, FieldTable::default()).await.unwrap();
    relay.handle(&item).await.expect("routed once the queue exists");
    assert_eq!(drain(&channel, &missing).await.len(), 1);
    channel.queue_delete(missing.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
}

#[tokio::test]
async fn a_missing_exchange_closes_the_channel_and_the_next_attempt_reopens_it() {
    let _shared = BROKER.read().await;
    let (_connection, channel) = channel().await;
    let exchange = unique("mm-exchange-");
    let relay = AmqpRelay::connect(&url(), &exchange, "events", &lab()).await.unwrap();
    let item = one_item().await;
    let error = relay.handle(&item).await.unwrap_err();
    assert!(!error.is_permanent());
    assert_eq!(error.category(), Some("broker unavailable"), "{error}");

    channel
        .exchange_declare(
            exchange.as_str().into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let bound = durable_queue(&channel).await;
    channel
        .queue_bind(
            bound.as_str().into(),
            exchange.as_str().into(),
            "events".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    relay.handle(&item).await.expect("a new channel publishes once the exchange exists");
    assert_eq!(drain(&channel, &bound).await.len(), 1);
    channel.queue_delete(bound.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
    channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
}

#[tokio::test]
async fn a_tenant_broker_on_a_refused_address_is_never_connected_to() {
    let policy = DestinationPolicy::default();
    for target in
        ["amqp://127.0.0.1", "amqp://u:p@10.1.2.3:5672/%2f", "amqp://[::1]", "amqp://169.254.169.254"]
    {
        let refused = AmqpRelay::connect(target, "", "events", &policy).await.unwrap_err();
        assert!(matches!(refused, DestinationError::Address { .. }), "{target}: {refused}");
    }
    let tls = AmqpRelay::connect("amqps://broker.example.com", "", "events", &policy).await.unwrap_err();
    assert!(matches!(tls, DestinationError::Broker(_)), "{tls}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_delivered_across_a_broker_restart() {
    let _alone = BROKER.write().await;
    let (connection, setup) = channel().await;
    let queue_name = durable_queue(&setup).await;
    drop((setup, connection));
    let relay =
        AmqpRelay::connect(&url(), "", &queue_name, &lab()).await.unwrap().timeout(Duration::from_secs(3));
    let queue = queue_of(0).await;
    let fed = feed(&queue, 1000);
    let running = tokio::spawn(worker(&queue, relay).run(std::future::pending()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while queue.counts("relay").await.unwrap().1 < 30 {
        assert!(Instant::now() < deadline, "nothing delivered before the restart");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stopped = tokio::task::block_in_place(Stopped::now);
    let pending = queue.counts("relay").await.unwrap().0;
    assert!(pending > 0, "the broker stopped mid-stream");
    tokio::time::sleep(Duration::from_secs(1)).await;
    tokio::task::block_in_place(|| drop(stopped));
    fed.await.unwrap();
    until_done(&queue, 1000, 90).await;
    running.abort();

    let (_connection, channel) = channel().await;
    let got = drain(&channel, &queue_name).await;
    let ids: HashSet<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), 1000, "every item is in the queue (persistent, confirmed before completion)");
    assert!(got.len() >= 1000, "at least once: a redelivery is possible, a loss is not");
    channel.queue_delete(queue_name.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_event_is_lost_across_relay_kills_and_a_broker_restart() {
    let _alone = BROKER.write().await;
    let (connection, setup) = channel().await;
    let queue_name = durable_queue(&setup).await;
    drop((setup, connection));
    let dir = std::env::temp_dir().join(unique("mm-relay-amqp-"));
    std::fs::create_dir_all(&dir).unwrap();
    let relay = Arc::new(Mutex::new(RelayChild::start(
        &dir,
        &[("RELAY_TARGET_URL", url()), ("RELAY_TARGET_SUBJECT", queue_name.clone())],
    )));
    let killer = Arc::clone(&relay);
    let acknowledged = post_disrupted(&relay, 150, move |k| {
        if k == 2 {
            restart_broker();
        } else {
            killer.lock().unwrap().crash_and_restart();
        }
    })
    .await;

    let (_connection, channel) = channel().await;
    let mut delivered = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        delivered.extend(drain(&channel, &queue_name).await.iter().map(|m| event_id(&m.payload)));
        let missing = acknowledged.difference(&delivered).count();
        if missing == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{missing} acknowledged events never reached the queue");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(relay);
    channel.queue_delete(queue_name.as_str().into(), QueueDeleteOptions::default()).await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
