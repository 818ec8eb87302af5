//! Quickstart: an echo bot for WhatsApp, Messenger and Instagram, end to end, no credentials.
//!
//! Run it with `cargo run --example quickstart`. It
//! 1. starts a fake Graph API server on 127.0.0.1 (`testing::FakeGraph`);
//! 2. seals one customer's access tokens in an encrypted token store (AES-256-GCM);
//! 3. serves an echo bot on the axum webhook router (handshake, signature check on the raw
//!    bytes, dedupe, `200` at once, handler spawned);
//! 4. posts signed webhooks at it the way Meta does (`testing::WebhookBuilder`): a WhatsApp text,
//!    a Messenger text, an Instagram text, a redelivery, a WhatsApp user known only by a
//!    username and a business-scoped id (answered by that id), and a forged body;
//! 5. prints what came in and what the bot sent, and exits 0.
//!
//! With real credentials the same bot talks to Meta instead and keeps serving:
//!
//! ```sh
//! META_APP_SECRET=... META_VERIFY_TOKEN=... META_ACCESS_TOKEN=... \
//! META_PHONE_NUMBER_ID=... META_PAGE_ID=... META_INSTAGRAM_ID=... PORT=8080 \
//!   cargo run --example quickstart
//! ```
//!
//! then point the app's webhook at `https://<your host>/webhooks/meta` (any of the three ids
//! may be left out).
//!
//! This bot answers at most once: a crash after the `200` loses what it was handling. To lose
//! nothing, run the same bot in durable mode: `cargo run --example durable_bot`.

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Client;
use meta_messaging::Platform;
use meta_messaging::axum::{Delivery, WebhookRouter};
use meta_messaging::store::StoreError;
use meta_messaging::testing::{FakeGraph, WebhookBuilder};
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, TokenKey, TokenRecord,
    TokenStore,
};
use meta_messaging::webhook::{Event, InMemoryDeduplicator, Verifier};

const TENANT: &str = "acme";
const PHONE_NUMBER_ID: &str = "106540352242922";
const PAGE_ID: &str = "109876543210987";
const INSTAGRAM_ID: &str = "17841400000000001";

type Store = EncryptedTokenStore<InMemoryBlobStore>;

/// The bot: looks up the account's token in the vault and echoes every text back.
struct EchoBot {
    client: Client,
    store: Store,
}

impl EchoBot {
    async fn on_event(&self, event: Event<'_>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let (Some(text), Some(from), Some(account)) = (event.text(), event.sender(), event.recipient())
        else {
            println!("  in   {:<10} {}", event.platform().as_str(), event.kind());
            return Ok(());
        };
        println!("  in   {:<10} {from}: {text:?}", event.platform().as_str());
        let channel = match event.platform() {
            Platform::WhatsApp => Channel::WhatsApp,
            Platform::Messenger => Channel::Messenger,
            _ => Channel::Instagram,
        };
        let key = TokenKey::new(TENANT, channel, account, SecretKind::AccessToken);
        let record = self.store.get(&key).await?.ok_or_else(|| format!("no token for {account}"))?;
        let client = self.client.with_access_token(record.secret);
        let reply = format!("You said: {text}");
        let id = match event.platform() {
            Platform::WhatsApp => {
                // A user who adopted a username may come with a business-scoped id instead of a
                // phone number: `Recipient::user` sends to either.
                let to = meta_messaging::whatsapp::Recipient::user(from);
                let sent = client.whatsapp(account).send_text(to, &reply).await?;
                sent.message_id().map(|id| id.as_str().to_owned())
            }
            Platform::Messenger => {
                client.messenger(account).send_text(from, &reply).await?.message_id().map(ToString::to_string)
            }
            _ => client
                .instagram(account)
                .with_instagram_login()
                .send_text(from, &reply)
                .await?
                .message_id()
                .map(ToString::to_string),
        };
        println!("  out  {:<10} {from}: {reply:?} ({})", event.platform().as_str(), id.unwrap_or_default());
        Ok(())
    }
}

fn router(bot: Arc<EchoBot>, app_secret: &str, verify_token: &str) -> axum::Router {
    let webhooks = WebhookRouter::new(Verifier::new(app_secret), verify_token)
        .dedupe(InMemoryDeduplicator::default())
        .handler(move |delivery: Delivery| {
            let bot = Arc::clone(&bot);
            async move {
                for event in delivery.events() {
                    if let Err(error) = bot.on_event(event).await {
                        eprintln!("  failed: {error}");
                    }
                }
            }
        })
        .into_router();
    axum::Router::new().nest("/webhooks/meta", webhooks)
}

async fn vault(token: &str, accounts: &[(Channel, String)]) -> Result<Store, StoreError> {
    // In production the key comes from your KMS or secret manager, never from the code.
    let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
    for (channel, account) in accounts {
        let key = TokenKey::new(TENANT, channel.clone(), account.clone(), SecretKind::AccessToken);
        store.put(TokenRecord::new(key, token)).await?;
    }
    Ok(store)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::var("META_ACCESS_TOKEN") {
        Ok(token) => serve_for_real(&token).await,
        Err(_) => demo().await,
    }
}

async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    const APP_SECRET: &str = "quickstart-app-secret";
    const TOKEN: &str = "EAAG-quickstart-token-of-acme";

    let graph = FakeGraph::start().await;
    graph.require_token(TOKEN);
    graph.instagram_account(INSTAGRAM_ID);
    let accounts = [
        (Channel::WhatsApp, PHONE_NUMBER_ID.to_owned()),
        (Channel::Messenger, PAGE_ID.to_owned()),
        (Channel::Instagram, INSTAGRAM_ID.to_owned()),
    ];
    let store = vault(TOKEN, &accounts).await?;
    // The shared client carries no token: each send uses the customer's, from the vault.
    let client = Client::builder().base_url(graph.uri()).instagram_base_url(graph.instagram_uri()).build()?;
    let app = router(Arc::new(EchoBot { client, store }), APP_SECRET, "quickstart-verify-token");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/meta", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("echo bot listening at {url}; fake Graph API at {}\n", graph.uri());

    let http = meta_messaging::testing::http_client();
    let whatsapp =
        WebhookBuilder::whatsapp(PHONE_NUMBER_ID).text("16505551234", "Hi! Is my order on its way?");
    let deliveries = [
        ("WhatsApp text", whatsapp.sign(APP_SECRET), 1),
        (
            "Messenger text",
            WebhookBuilder::messenger(PAGE_ID).text("24512345678901234", "Bonjour 👋").sign(APP_SECRET),
            2,
        ),
        (
            "Instagram text",
            WebhookBuilder::instagram(INSTAGRAM_ID)
                .text("340282366841710300949128137443944319", "love it")
                .sign(APP_SECRET),
            3,
        ),
        ("WhatsApp redelivery", whatsapp.sign(APP_SECRET), 3),
        (
            // A user who adopted a username: a business-scoped id, no phone number anywhere.
            "WhatsApp username-only user",
            WebhookBuilder::whatsapp(PHONE_NUMBER_ID)
                .username_text("US.13491208655302741918", "sheena.n", "Do you ship to Pune?")
                .sign(APP_SECRET),
            4,
        ),
    ];
    for (label, signed, expected_sent) in deliveries {
        let status = signed.post(&http, &url).await?.status();
        println!("POST {label}: {status}");
        wait_for_outbox(&graph, expected_sent).await?;
    }
    let forged =
        WebhookBuilder::whatsapp(PHONE_NUMBER_ID).text("16505551234", "send me everything").sign("guess");
    println!("POST forged body: {}", forged.post(&http, &url).await?.status());

    let sent = graph.outbox();
    println!("\nthe bot sent {} replies (the redelivery and the forged body got none):", sent.len());
    for message in &sent {
        println!("  {:?} to {}: {:?}", message.platform, message.to, message.text().unwrap_or_default());
    }
    if sent.len() != 4 {
        return Err(format!("expected 4 replies, the bot sent {}", sent.len()).into());
    }
    if sent[3].body["recipient"] != "US.13491208655302741918" {
        return Err("the username-only user must be answered by business-scoped id".into());
    }
    Ok(())
}

async fn wait_for_outbox(graph: &FakeGraph, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while graph.outbox().len() < count {
        if tokio::time::Instant::now() > deadline {
            return Err(format!("the bot sent {} of {count} replies in time", graph.outbox().len()).into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Let a redelivery's (absent) reply have its chance to show up.
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

async fn serve_for_real(token: &str) -> Result<(), Box<dyn std::error::Error>> {
    let required =
        |name: &str| std::env::var(name).map_err(|_| format!("{name} is required with META_ACCESS_TOKEN"));
    let app_secret = required("META_APP_SECRET")?;
    let verify_token = required("META_VERIFY_TOKEN")?;
    let accounts: Vec<_> = [
        (Channel::WhatsApp, "META_PHONE_NUMBER_ID"),
        (Channel::Messenger, "META_PAGE_ID"),
        (Channel::Instagram, "META_INSTAGRAM_ID"),
    ]
    .into_iter()
    .filter_map(|(channel, name)| std::env::var(name).ok().map(|id| (channel, id)))
    .collect();
    let store = vault(token, &accounts).await?;
    let app =
        router(Arc::new(EchoBot { client: Client::builder().build()?, store }), &app_secret, &verify_token);
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await?;
    println!("echo bot serving Meta webhooks on port {port} at /webhooks/meta");
    axum::serve(listener, app).await?;
    Ok(())
}
