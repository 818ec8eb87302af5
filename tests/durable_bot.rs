//! The durable bot (`examples/durable_bot.rs`) driven from outside: a signed text answered
//! through the vault's token, the pacer and the window tracker (learned in durable mode), and a
//! SIGKILL while the reply is in flight: the restarted bot answers at once, not after a lease.
//!
//! The binary is the one `cargo test` builds with the examples
//! (`target/debug/examples/durable_bot`).

#![allow(clippy::unwrap_used)]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use meta_messaging::testing::{FakeGraph, WebhookBuilder};

const APP_SECRET: &str = "durable-bot-test-secret";
const TOKEN: &str = "EAAG-durable-bot-test-token";
const WABA: &str = "214587396051742";
const NUMBER: &str = "487215906338104";

fn bot_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().unwrap().parent().unwrap().join("examples").join("durable_bot");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test` or `cargo build --example durable_bot`",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Bot {
    child: Child,
    port: u16,
}

impl Bot {
    fn start(port: u16, store: &str, key: &str, graph: &str) -> Self {
        let child = Command::new(bot_binary())
            .env("BOT_LISTEN", format!("127.0.0.1:{port}"))
            .env("META_APP_SECRET", APP_SECRET)
            .env("META_VERIFY_TOKEN", "verify")
            .env("BOT_STORE", store)
            .env("BOT_VAULT_KEY", key)
            .env("BOT_ACCESS_TOKEN", TOKEN)
            .env("BOT_WABA_ID", WABA)
            .env("BOT_PHONE_NUMBER_ID", NUMBER)
            .env("BOT_GRAPH_URL", graph)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/meta", self.port)
    }

    /// Waits until the bot answers its handshake route.
    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("{}?hub.mode=subscribe&hub.verify_token=verify&hub.challenge=1", self.url());
        let http = meta_messaging::testing::http_client();
        while http.get(&url).send().await.map_or(0, |r| r.status().as_u16()) != 200 {
            assert!(Instant::now() < deadline, "the bot did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Graph API that accepts connections and never answers: a reply stays in flight.
async fn stalled_graph() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

fn setup() -> (String, String, PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("mm-durable-bot-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("bot.db").to_str().unwrap().to_owned();
    let key = base64::engine::general_purpose::STANDARD.encode(fastrand::u64(..).to_le_bytes().repeat(4));
    (store, key, dir)
}

async fn wait_for_replies(graph: &FakeGraph, count: usize, within: Duration) -> Duration {
    let started = Instant::now();
    while graph.outbox().len() < count {
        assert!(started.elapsed() < within, "{} of {count} replies after {within:?}", graph.outbox().len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn the_bot_answers_a_stored_text_with_the_vault_token_inside_the_window() {
    let graph = FakeGraph::start().await;
    graph.require_token(TOKEN);
    let (store, key, dir) = setup();
    let bot = Bot::start(free_port(), &store, &key, &graph.uri());
    bot.ready().await;
    let signed = WebhookBuilder::whatsapp(NUMBER)
        .waba(WABA)
        .text("16505551234", "Where is my order?")
        .sign(APP_SECRET);
    assert_eq!(signed.post_to(&bot.url()).await.unwrap(), 200);
    wait_for_replies(&graph, 1, Duration::from_secs(10)).await;
    let reply = &graph.outbox()[0];
    assert_eq!((reply.from.as_str(), reply.to.as_str()), (NUMBER, "16505551234"));
    assert_eq!(reply.text(), Some("You said: Where is my order?"));
    // A redelivery is stored once and answered once.
    assert_eq!(signed.post_to(&bot.url()).await.unwrap(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(graph.outbox().len(), 1);
    // A text more than 24 hours old: the window tracker refuses the reply before any request.
    let old = WebhookBuilder::whatsapp(NUMBER)
        .waba(WABA)
        .at(1_700_000_000)
        .text("16505559999", "late")
        .sign(APP_SECRET);
    assert_eq!(old.post_to(&bot.url()).await.unwrap(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(graph.outbox().len(), 1, "no free-form reply outside the window");
    drop(bot);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_bot_killed_while_replying_answers_at_once_after_a_restart() {
    let graph = FakeGraph::start().await;
    graph.require_token(TOKEN);
    let (stalled, accepted) = stalled_graph().await;
    let (store, key, dir) = setup();
    let port = free_port();
    let mut bot = Bot::start(port, &store, &key, &stalled);
    bot.ready().await;
    let signed =
        WebhookBuilder::whatsapp(NUMBER).waba(WABA).text("16505551234", "still there?").sign(APP_SECRET);
    assert_eq!(signed.post_to(&bot.url()).await.unwrap(), 200, "stored before the answer");
    let deadline = Instant::now() + Duration::from_secs(10);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the worker never tried to reply");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The reply is in flight (its item leased for 60 s): kill the process.
    bot.kill();
    let bot = Bot::start(port, &store, &key, &graph.uri());
    bot.ready().await;
    let waited = wait_for_replies(&graph, 1, Duration::from_secs(10)).await;
    assert!(
        waited < Duration::from_secs(1),
        "the restarted bot waited {waited:?}: it should release its own lease"
    );
    assert_eq!(graph.outbox()[0].text(), Some("You said: still there?"));
    drop(bot);
    std::fs::remove_dir_all(dir).ok();
}
