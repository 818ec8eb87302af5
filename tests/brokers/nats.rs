//! NATS JetStream: the machine's server, and servers of the tests' own that they kill.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use meta_messaging::delivery::{
    DestinationError, DestinationPolicy, Handler, HttpRelay, ItemState, NatsRelay,
};

use crate::harness::{
    RelayChild, event_id, free_port, one_item, post_disrupted, queue_of, secret, unique, until_done,
    verifier, worker,
};

fn url() -> String {
    crate::harness::env("META_MESSAGING_NATS_URL", "nats://127.0.0.1:4222")
}

fn lab() -> DestinationPolicy {
    DestinationPolicy::default().allow_private_targets(true)
}

/// A JetStream context on `url`, and a file-backed stream of its own taking one subject.
async fn stream_at(url: &str) -> (jetstream::Context, String, String) {
    let client =
        async_nats::connect(url).await.unwrap_or_else(|e| panic!("NATS at {url} is unreachable: {e}"));
    let js = jetstream::new(client);
    let (name, subject) = (unique("MM_TEST_"), unique("mm.test."));
    js.create_stream(stream::Config {
        name: name.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    (js, name, subject)
}

/// Every message of a stream: (`Nats-Msg-Id`, headers, payload).
async fn messages(js: &jetstream::Context, name: &str) -> Vec<(String, async_nats::HeaderMap, Vec<u8>)> {
    let mut stream = js.get_stream(name).await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut out = Vec::new();
    for sequence in 1..=last {
        let message = stream.get_raw_message(sequence).await.unwrap();
        let id = message.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()).unwrap_or_default();
        out.push((id, message.headers, message.payload.to_vec()));
    }
    out
}

#[tokio::test]
async fn every_event_reaches_the_stream_once_identified_and_signed() {
    let (js, name, subject) = stream_at(&url()).await;
    let relay = NatsRelay::connect(&url(), &subject, &lab()).await.unwrap().signed(&secret());
    let queue = queue_of(40).await;
    let running = tokio::spawn(worker(&queue, relay.clone()).run(std::future::pending()));
    until_done(&queue, 40, 30).await;
    running.abort();

    let stored = messages(&js, &name).await;
    assert_eq!(stored.len(), 40);
    let verifier = verifier();
    for (id, headers, payload) in &stored {
        assert!(id.starts_with("msg_"), "{id}");
        let header = |n: &str| headers.get(n).map(|v| v.as_str().to_owned()).unwrap_or_default();
        assert_eq!(&header("webhook-id"), id);
        assert_eq!(header("content-type"), "application/json");
        verifier
            .verify(id, &header("webhook-timestamp"), &header("webhook-signature"), payload)
            .expect("a consumer verifies the message like an HTTP delivery");
    }
    // The id is the item's stable webhook-id: a replayed item (a retry whose ack was lost) is
    // acknowledged again and dropped by the stream's duplicate window.
    let item = queue.list("relay", ItemState::Done, 1).await.unwrap().remove(0);
    assert!(stored.iter().any(|(id, _, _)| *id == HttpRelay::webhook_id(&item)));
    relay.handle(&item).await.expect("a duplicate is acknowledged");
    let mut stream = js.get_stream(&name).await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 40, "the duplicate was not stored");
    js.delete_stream(&name).await.unwrap();
}

#[tokio::test]
async fn a_subject_no_stream_takes_is_retried_until_the_stream_exists() {
    let client = async_nats::connect(url()).await.unwrap();
    let js = jetstream::new(client);
    let (name, subject) = (unique("MM_TEST_"), unique("mm.later."));
    let relay = NatsRelay::connect(&url(), &subject, &lab()).await.unwrap().timeout(Duration::from_secs(3));
    let item = one_item().await;
    let error = relay.handle(&item).await.unwrap_err();
    assert!(!error.is_permanent(), "the operator may create the stream: retried");
    assert_eq!(error.category(), Some("broker refused"));

    js.create_stream(stream::Config { name: name.clone(), subjects: vec![subject], ..Default::default() })
        .await
        .unwrap();
    relay.handle(&item).await.expect("delivered once the stream exists");
    js.delete_stream(&name).await.unwrap();
}

#[tokio::test]
async fn a_tenant_server_on_a_refused_address_is_never_connected_to() {
    // Classified from the URL alone: none of these addresses is connected to.
    let policy = DestinationPolicy::default();
    for target in
        ["nats://127.0.0.1:4222", "nats://10.0.0.7:4222", "nats://[::1]:4222", "nats://169.254.169.254"]
    {
        let refused = NatsRelay::connect(target, "meta.events", &policy).await.unwrap_err();
        assert!(matches!(refused, DestinationError::Address { .. }), "{target}: {refused}");
    }
    let scheme = NatsRelay::connect("tls://broker.example.com", "meta.events", &policy).await.unwrap_err();
    assert!(matches!(scheme, DestinationError::Broker(_)), "{scheme}");
    let wildcard = NatsRelay::connect("nats://127.0.0.1:4222", "meta.>", &lab()).await.unwrap_err();
    assert!(matches!(wildcard, DestinationError::Broker(_)), "{wildcard}");
}

/// A NATS server of the test's own, with JetStream on disk, that the test kills and restarts.
struct OwnServer {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl OwnServer {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(unique("mm-nats-"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        Self { child: Self::spawn(port, &dir), port, dir }
    }

    fn spawn(port: u16, dir: &std::path::Path) -> Child {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("the restart test needs the nats-server program: {e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// SIGKILL, a moment down, and the same server (port and store) again.
    fn restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        self.child = Self::spawn(self.port, &self.dir);
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_delivered_across_a_broker_restart_and_retries_collapse() {
    let mut server = OwnServer::start();
    let (js, name, subject) = stream_at(&server.url()).await;
    let relay =
        NatsRelay::connect(&server.url(), &subject, &lab()).await.unwrap().timeout(Duration::from_secs(2));
    let queue = queue_of(400).await;
    let running = tokio::spawn(worker(&queue, relay).run(std::future::pending()));
    // Kill the server once some items are through, while others are in flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    while queue.counts("relay").await.unwrap().1 < 50 {
        assert!(Instant::now() < deadline, "nothing delivered before the restart");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.restart();
    let pending = queue.counts("relay").await.unwrap().0;
    assert!(pending > 0, "the server was restarted mid-stream");
    until_done(&queue, 400, 90).await;
    running.abort();

    let stored = messages(&js, &name).await;
    let ids: HashSet<&str> = stored.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids.len(), 400, "every item is in the stream");
    assert_eq!(stored.len(), 400, "a publish retried after the restart was collapsed by its Nats-Msg-Id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_event_is_lost_across_relay_kills_and_a_broker_restart() {
    let server = Arc::new(Mutex::new(OwnServer::start()));
    let target = server.lock().unwrap().url();
    let (js, name, subject) = stream_at(&target).await;
    let dir = std::env::temp_dir().join(unique("mm-relay-nats-"));
    std::fs::create_dir_all(&dir).unwrap();
    let relay = Arc::new(Mutex::new(RelayChild::start(
        &dir,
        &[("RELAY_TARGET_URL", target), ("RELAY_TARGET_SUBJECT", subject)],
    )));
    let (killer, broker) = (Arc::clone(&relay), Arc::clone(&server));
    let acknowledged = post_disrupted(&relay, 150, move |k| {
        if k == 2 {
            broker.lock().unwrap().restart();
        } else {
            killer.lock().unwrap().crash_and_restart();
        }
    })
    .await;

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let stored = messages(&js, &name).await;
        let delivered: HashSet<String> = stored.iter().map(|(_, _, payload)| event_id(payload)).collect();
        let missing = acknowledged.difference(&delivered).count();
        if missing == 0 {
            let ids: HashSet<&str> = stored.iter().map(|(id, _, _)| id.as_str()).collect();
            assert_eq!(ids.len(), stored.len(), "redeliveries were collapsed by the stream");
            break;
        }
        assert!(Instant::now() < deadline, "{missing} acknowledged events never reached the stream");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(relay);
    std::fs::remove_dir_all(&dir).ok();
}
