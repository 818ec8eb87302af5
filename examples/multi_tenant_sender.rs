//! A multi-tenant sender: one shared client and connection pool, one pacer, and each customer's
//! token looked up in the encrypted token store at send time.
//!
//! Run it with `cargo run --example multi_tenant_sender`. It runs against the fake Graph server
//! (`testing::FakeGraph`) on 127.0.0.1; in production point the client at Meta (the default)
//! and keep the vault's key in your KMS. Tokens are decrypted only for the send and never
//! printed; a tenant without a token gets a clear error, not a send with the wrong token.

use std::time::Duration;

use meta_messaging::Client;
use meta_messaging::pacing::{Pacer, PacerConfig, PacingPolicy};
use meta_messaging::testing::{FakeError, FakeGraph};
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, TokenKey, TokenRecord,
    TokenStore,
};

/// One outgoing notification of some tenant.
struct Job {
    tenant: &'static str,
    phone_number_id: &'static str,
    to: &'static str,
    text: &'static str,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let graph = FakeGraph::start().await;
    let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
    for (tenant, phone, token) in [
        ("acme", "106540352242922", "EAAG-token-of-acme"),
        ("globex", "107766554433221", "EAAG-token-of-globex"),
    ] {
        let key = TokenKey::new(tenant, Channel::WhatsApp, phone, SecretKind::AccessToken);
        store.put(TokenRecord::new(key, token)).await?;
    }

    // One client (one pool) and one pacer for every tenant: 80 msg/s per number, and at most one
    // message every 6 s to the same person from the same number (waiting up to 10 s for a slot).
    let client = Client::builder().base_url(graph.uri()).build()?;
    let pacer =
        Pacer::new(PacerConfig::default().policy(PacingPolicy::Wait { max_wait: Duration::from_secs(10) }));

    let jobs = [
        Job {
            tenant: "acme",
            phone_number_id: "106540352242922",
            to: "16505551234",
            text: "Order #8841 shipped",
        },
        Job {
            tenant: "globex",
            phone_number_id: "107766554433221",
            to: "447700900123",
            text: "Your table is ready",
        },
        Job { tenant: "initech", phone_number_id: "108899001122334", to: "16505550000", text: "never sent" },
        Job {
            tenant: "acme",
            phone_number_id: "106540352242922",
            to: "16505559876",
            text: "Order #8842 shipped",
        },
    ];
    // Meta answers one send with "re-engagement": the customer has not written in 24 hours.
    graph.fail_next(FakeError::ReEngagement);
    for job in &jobs {
        let key = TokenKey::new(job.tenant, Channel::WhatsApp, job.phone_number_id, SecretKind::AccessToken);
        let Some(record) = store.get(&key).await? else {
            println!(
                "{:<8} no WhatsApp token for {}: ask the customer to reconnect",
                job.tenant, job.phone_number_id
            );
            continue;
        };
        let wa =
            client.with_access_token(record.secret).whatsapp(job.phone_number_id).with_guard(pacer.clone());
        match wa.send_text(job.to, job.text).await {
            Ok(sent) => println!(
                "{:<8} sent to {} ({})",
                job.tenant,
                job.to,
                sent.message_id().map(meta_messaging::whatsapp::MessageId::as_str).unwrap_or_default()
            ),
            Err(error) if error.kind() == meta_messaging::ErrorKind::OutsideWindow => {
                println!(
                    "{:<8} {} is outside the 24-hour window: send an approved template instead",
                    job.tenant, job.to
                );
            }
            Err(error) => println!("{:<8} failed: {error}", job.tenant),
        }
    }

    let outbox = graph.outbox();
    println!("\n{} messages accepted by the (fake) Graph API", outbox.len());
    if outbox.len() != 2 {
        return Err(format!("expected 2 accepted messages, got {}", outbox.len()).into());
    }
    Ok(())
}
