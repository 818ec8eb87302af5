//! What the broker suites share: a queue of items, a worker that runs until they are done, and
//! the relay program as a child process that Meta's posts reach and a test kills.

use std::collections::HashSet;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meta_messaging::delivery::{
    Handler, InMemoryQueue, Item, ItemState, NewItem, Queue, Worker, WorkerConfig,
};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::relay::{RelayVerifier, SigningSecret};
use serde_json::Value;

pub(crate) const APP_SECRET: &str = "broker-test-app-secret";
pub(crate) const SIGNING_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub(crate) fn env(name: &str, example: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("the broker feature is on but {name} is not set (e.g. {example})"))
}

pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}{:016x}", fastrand::u64(..))
}

pub(crate) fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn verifier() -> RelayVerifier {
    RelayVerifier::new(&SigningSecret::parse(SIGNING_SECRET).unwrap())
}

pub(crate) fn secret() -> SigningSecret {
    SigningSecret::parse(SIGNING_SECRET).unwrap()
}

/// `count` items in a memory queue named `relay`, keyed `event-{i}`, one conversation each.
pub(crate) async fn queue_of(count: usize) -> Arc<dyn Queue> {
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let items: Vec<NewItem> = (0..count)
        .map(|i| NewItem::new(format!("event-{i}"), format!("conversation-{i}"), format!(r#"{{"n":{i}}}"#)))
        .collect();
    assert_eq!(queue.enqueue("relay", &items).await.unwrap(), count);
    queue
}

/// Enqueues `count` items into the memory queue `queue`'s `relay` queue ten at a time, every
/// 20 ms, like webhooks arriving while a broker goes down and comes back.
pub(crate) fn feed(queue: &Arc<dyn Queue>, count: usize) -> tokio::task::JoinHandle<()> {
    let queue = Arc::clone(queue);
    tokio::spawn(async move {
        for start in (0..count).step_by(10) {
            let items: Vec<NewItem> = (start..(start + 10).min(count))
                .map(|i| {
                    NewItem::new(format!("fed-{i}"), format!("conversation-{i}"), format!(r#"{{"n":{i}}}"#))
                })
                .collect();
            queue.enqueue("relay", &items).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// One pending item, to hand to a relay directly.
pub(crate) async fn one_item() -> Item {
    queue_of(1).await.list("relay", ItemState::Pending, 1).await.unwrap().remove(0)
}

/// A worker with short backoff, so a test of outages finishes in seconds.
pub(crate) fn worker(queue: &Arc<dyn Queue>, handler: impl Handler) -> Worker {
    let config = WorkerConfig::default()
        .batch(32)
        .poll_interval(Duration::from_millis(20))
        .backoff(Duration::from_millis(50), Duration::from_millis(500))
        .lease(Duration::from_secs(30), Duration::from_secs(20))
        .give_up_after(u32::MAX, None);
    Worker::new(Arc::clone(queue), "relay", handler).config(config)
}

/// Waits until every item of `queue` is done, running `during` once after the first items are.
pub(crate) async fn until_done(queue: &Arc<dyn Queue>, total: u64, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let (pending, done, dead) = queue.counts("relay").await.unwrap();
        assert_eq!(dead, 0, "no item may be dead-lettered");
        if done == total {
            return;
        }
        assert!(Instant::now() < deadline, "{pending} items never delivered ({done} of {total} done)");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn relay_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().unwrap().parent().unwrap().join("examples").join("relay");
    assert!(
        binary.exists(),
        "{} is missing: `cargo build --example relay --features nats,amqp` builds it",
        binary.display()
    );
    binary
}

/// The relay program as a child process, relaying to a broker.
pub(crate) struct RelayChild {
    child: Child,
    port: u16,
    vars: Vec<(String, String)>,
    log: PathBuf,
}

impl RelayChild {
    /// Starts the relay on a free port with a SQLite store in `dir` and `vars` for its target.
    pub(crate) fn start(dir: &std::path::Path, vars: &[(&str, String)]) -> Self {
        let mut vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        vars.push(("RELAY_STORE".into(), format!("sqlite://{}", dir.join("relay.db").display())));
        Self::spawn(free_port(), vars, dir.join("relay.log"))
    }

    fn spawn(port: u16, vars: Vec<(String, String)>, log: PathBuf) -> Self {
        let stderr = std::fs::File::create(&log).unwrap();
        let child = Command::new(relay_binary())
            .env("RELAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("META_APP_SECRET", APP_SECRET)
            .env("META_VERIFY_TOKEN", "broker-verify-token")
            .env("RELAY_ALLOW_PRIVATE_TARGETS", "1")
            .env("RELAY_SIGNING_SECRET", SIGNING_SECRET)
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Self { child, port, vars, log }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/meta", self.port)
    }

    /// Panics with the relay's own words if it has exited.
    fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            panic!("the relay exited ({status}): {log} (was it built with the broker features?)");
        }
    }

    /// SIGKILL, then a new process on the same port, store and target.
    pub(crate) fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        *self = Self::spawn(self.port, self.vars.clone(), self.log.clone());
    }
}

impl Drop for RelayChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The WhatsApp message ids in a body.
fn message_ids(body: &[u8]) -> Vec<String> {
    let body: Value = serde_json::from_slice(body).unwrap();
    body["entry"][0]["changes"][0]["value"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Posts `bodies` bodies of two messages each to the relay as Meta does (anything but `200`
/// retried), calling `disrupt(k)` at four points of the stream (k = 1..=4). Returns the ids of
/// the messages the relay acknowledged.
pub(crate) async fn post_disrupted(
    relay: &Arc<Mutex<RelayChild>>,
    bodies: u64,
    mut disrupt: impl FnMut(usize),
) -> HashSet<String> {
    let signed: Vec<_> = (0..bodies)
        .map(|i| {
            let user = format!("1650555{:04}", i % 5);
            WebhookBuilder::whatsapp("106540352242922")
                .at(1_750_000_000 + i * 10)
                .text(&user, &format!("message {i}a"))
                .text(&user, &format!("message {i}b"))
                .sign(APP_SECRET)
        })
        .collect();
    let http = meta_messaging::graph::http_client_builder()
        .unwrap()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let url = relay.lock().unwrap().url();
    let mut posters = Vec::new();
    for _ in 0..4 {
        let (signed, acknowledged, next, http, url, relay) = (
            signed.clone(),
            Arc::clone(&acknowledged),
            Arc::clone(&next),
            http.clone(),
            url.clone(),
            Arc::clone(relay),
        );
        posters.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(body) = signed.get(i) else { return };
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    assert!(Instant::now() < deadline, "body {i} never acknowledged");
                    match body.post(&http, &url).await {
                        Ok(response) if response.status() == 200 => {
                            acknowledged.lock().unwrap().extend(message_ids(&body.body));
                            break;
                        }
                        _ => {
                            relay.lock().unwrap().assert_alive();
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
        }));
    }
    let total = signed.len();
    for k in 1..=4 {
        let at = total * k / 5 + fastrand::usize(..total / 10);
        while next.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        disrupt(k);
    }
    for poster in posters {
        poster.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), total * 2);
    acknowledged
}

/// The WhatsApp message id a relayed event carries (the relay's envelope: `event.id`).
pub(crate) fn event_id(payload: &[u8]) -> String {
    let envelope: Value = serde_json::from_slice(payload).unwrap();
    envelope["event"]["id"].as_str().unwrap_or_default().to_owned()
}
