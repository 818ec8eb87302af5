//! A durable echo bot: every event is stored before Meta gets its `200`, and a worker of your
//! own answers it, reading typed events (no JSON indexing), with per-tenant tokens from an
//! encrypted vault, the pacer and the 24-hour window tracker in front of every send. Killed at
//! any moment and restarted, it loses no event and answers none twice.
//!
//! With no configuration (`cargo run --example durable_bot`) it runs an offline demo on
//! 127.0.0.1: a fake Graph API, the inbox and vault in a temporary SQLite file, and a signed
//! WhatsApp text posted the way Meta does; it prints the reply and exits 0.
//!
//! With `BOT_LISTEN` set it serves, configured by the environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `BOT_LISTEN` | host:port to bind |
//! | `META_APP_SECRET` | the app secret that signs Meta's webhooks |
//! | `META_VERIFY_TOKEN` | the subscription handshake's verify token |
//! | `BOT_STORE` | the SQLite file holding the inbox and the vault |
//! | `BOT_VAULT_KEY` | the vault's data key, 32 bytes in base64 (from your secret manager) |
//! | `BOT_ACCESS_TOKEN` | optional: sealed into the vault at start for the account of `BOT_WABA_ID` and the number `BOT_PHONE_NUMBER_ID` |
//! | `BOT_WABA_ID`, `BOT_PHONE_NUMBER_ID` | the account and number that `BOT_ACCESS_TOKEN` belongs to |
//! | `BOT_GRAPH_URL` | optional: the Graph API base URL (a `fake_graph` process in tests) |
//! | `BOT_WORKER_ID` | optional: the worker's stable owner id (default `durable-bot`) |
//!
//! Tokens are looked up by the event's tenant: the vault key is (the WhatsApp Business Account
//! id the webhook came in on, WhatsApp, the business phone-number id, access token), so one bot
//! serves many customers. The worker keeps one owner id across restarts: a restarted bot
//! releases its own leases and answers what was in flight at once, instead of waiting out the
//! lease (which exists for a worker that died for good: another replica takes its items then).

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Client;
use meta_messaging::axum::WebhookRouter;
use meta_messaging::delivery::{
    EventHandler, HandlerError, INBOX_QUEUE, Inbox, Queue, StoredEvent, Worker, WorkerConfig,
};
use meta_messaging::pacing::{Pacer, PacerConfig, WindowTracker};
use meta_messaging::store::{SqliteBlobStore, SqliteQueue};
use meta_messaging::testing::{FakeGraph, WebhookBuilder};
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, Keyring, SecretKind, TokenKey, TokenRecord, TokenStore,
};
use meta_messaging::webhook::Verifier;
use meta_messaging::whatsapp::Recipient;

type Failure = Box<dyn std::error::Error + Send + Sync>;
type Vault = EncryptedTokenStore<SqliteBlobStore>;

/// Everything a reply needs, shared by the worker's handler.
struct Bot {
    client: Client,
    vault: Vault,
    pacer: Pacer,
    windows: WindowTracker,
}

impl Bot {
    /// Answers one stored event: typed accessors only.
    async fn on_event(&self, event: StoredEvent) -> Result<(), HandlerError> {
        let (Some(text), Some(user), Some(number), Some(account)) =
            (event.text(), event.user_key(), event.business(), event.account())
        else {
            return Ok(()); // statuses, account changes: nothing to answer
        };
        let key = TokenKey::new(account, Channel::WhatsApp, number, SecretKind::AccessToken);
        let Some(token) = self.vault.get(&key).await? else {
            return Err(HandlerError::permanent(format!("no token for account {account}")));
        };
        let whatsapp = self
            .client
            .with_access_token(token.secret)
            .whatsapp(number)
            .with_guard(self.pacer.clone())
            .with_guard(self.windows.clone());
        // A retryable failure (throughput, a 5xx) keeps the item for a retry after Meta's hint;
        // a message outside the window or a refused token is permanent (a dead letter).
        whatsapp.send_text(Recipient::user(user), format!("You said: {text}")).await?;
        Ok(())
    }
}

/// The worker: typed events, windows learned from each event before its handler runs.
fn worker(queue: Arc<dyn Queue>, bot: Arc<Bot>, owner: &str) -> Worker {
    let windows = bot.windows.clone();
    let handler = EventHandler::new(move |event: StoredEvent| {
        let bot = Arc::clone(&bot);
        async move { bot.on_event(event).await }
    })
    .windows(windows);
    let config = WorkerConfig::default().poll_interval(Duration::from_millis(50));
    Worker::new(queue, INBOX_QUEUE, handler).with_owner(owner).config(config)
}

/// The receiver: `200` only once the body's events are in the inbox.
fn router(queue: Arc<dyn Queue>, app_secret: &str, verify_token: &str) -> axum::Router {
    let webhooks =
        WebhookRouter::new(Verifier::new(app_secret), verify_token).inbox(Inbox::new(queue)).into_router();
    axum::Router::new().nest("/webhooks/meta", webhooks)
}

async fn open(path: &str, key: DataKey, graph: Option<&str>) -> Result<(Arc<dyn Queue>, Arc<Bot>), Failure> {
    let queue: Arc<dyn Queue> = Arc::new(SqliteQueue::open(path).await?);
    let vault = EncryptedTokenStore::new(SqliteBlobStore::open(path).await?, Keyring::new(1, key));
    let mut client = Client::builder();
    if let Some(url) = graph {
        client = client.base_url(url);
    }
    let bot = Bot {
        client: client.build()?,
        vault,
        pacer: Pacer::new(PacerConfig::default()),
        windows: WindowTracker::in_memory(),
    };
    Ok((queue, Arc::new(bot)))
}

fn env(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

async fn serve(listen: &str) -> Result<(), Failure> {
    let key = DataKey::from_base64(&env("BOT_VAULT_KEY")?)?;
    let graph = std::env::var("BOT_GRAPH_URL").ok();
    let (queue, bot) = open(&env("BOT_STORE")?, key, graph.as_deref()).await?;
    if let Ok(token) = std::env::var("BOT_ACCESS_TOKEN") {
        let key = TokenKey::new(
            env("BOT_WABA_ID")?,
            Channel::WhatsApp,
            env("BOT_PHONE_NUMBER_ID")?,
            SecretKind::AccessToken,
        );
        bot.vault.put(TokenRecord::new(key, token)).await?;
    }
    let owner = std::env::var("BOT_WORKER_ID").unwrap_or_else(|_| "durable-bot".to_owned());
    tokio::spawn(worker(Arc::clone(&queue), bot, &owner).run(std::future::pending()));
    let app = router(queue, &env("META_APP_SECRET")?, &env("META_VERIFY_TOKEN")?);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("durable bot: listening on http://{}/webhooks/meta", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn demo() -> Result<(), Failure> {
    const APP_SECRET: &str = "durable-bot-app-secret";
    const WABA: &str = "102290129340398";
    const NUMBER: &str = "106540352242922";
    const TOKEN: &str = "EAAG-durable-bot-token";
    let graph = FakeGraph::start().await;
    graph.require_token(TOKEN);
    let dir = std::env::temp_dir().join(format!("durable-bot-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bot.db");
    let (queue, bot) =
        open(path.to_str().ok_or("temp path")?, DataKey::generate(), Some(&graph.uri())).await?;
    bot.vault
        .put(TokenRecord::new(TokenKey::new(WABA, Channel::WhatsApp, NUMBER, SecretKind::AccessToken), TOKEN))
        .await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker(Arc::clone(&queue), bot, "durable-bot").run(async {
        let _ = stopped.await;
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/meta", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router(queue, APP_SECRET, "verify")).await });

    let signed = WebhookBuilder::whatsapp(NUMBER)
        .waba(WABA)
        .text("16505551234", "Where is my order?")
        .sign(APP_SECRET);
    let status = signed.post(&meta_messaging::testing::http_client(), &url).await?.status();
    println!("POST a WhatsApp text: {status} (stored before the answer)");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while graph.outbox().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    running.await?;
    std::fs::remove_dir_all(&dir).ok();
    let sent = graph.outbox();
    let reply = sent.first().and_then(|m| m.text().map(str::to_owned)).ok_or("the bot sent no reply")?;
    println!("the worker answered {}: {reply:?}", sent[0].to);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    match std::env::var("BOT_LISTEN") {
        Ok(listen) => serve(&listen).await,
        Err(_) => demo().await,
    }
}
