//! Store customers' credentials encrypted in SQLite, rotate the key, read them back.
//!
//! Run with `cargo run --example token_vault`. Set `VAULT_KEY` (base64 of 32 bytes, for
//! example from `openssl rand -base64 32`) and `VAULT_DB` (a file path) to keep a real vault;
//! without them the example uses a generated key and a temporary file. Keep keys out of the
//! database: an environment variable, a secret manager, or a KMS through envelope mode.

use meta_messaging::Timestamp;
use meta_messaging::store::SqliteBlobStore;
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, Keyring, RefreshMethod, SecretKind, TokenKey,
    TokenRecord, TokenStore,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = match std::env::var("VAULT_KEY") {
        Ok(text) => DataKey::from_base64(&text)?,
        Err(_) => DataKey::generate(),
    };
    let path = std::env::var("VAULT_DB").unwrap_or_else(|_| {
        std::env::temp_dir().join(format!("token-vault-{}.db", std::process::id())).display().to_string()
    });
    let store = EncryptedTokenStore::new(SqliteBlobStore::open(&path).await?, Keyring::new(1, key));
    println!("vault at {path}");

    // A customer connects WhatsApp through Embedded Signup, Messenger, and an AI provider.
    let whatsapp = TokenKey::new("acme", Channel::WhatsApp, "106540352242922", SecretKind::AccessToken);
    let mut record = TokenRecord::new(whatsapp.clone(), "EAAG-system-user-token-of-acme")
        .expires_at(Timestamp::now().saturating_add(std::time::Duration::from_secs(60 * 86_400)));
    record.metadata.scopes =
        vec!["whatsapp_business_messaging".into(), "whatsapp_business_management".into()];
    record.metadata.refresh = RefreshMethod::FacebookExchange;
    store.put(record).await?;
    let page = TokenKey::new("acme", Channel::Messenger, "496827783153891", SecretKind::AccessToken);
    store.put(TokenRecord::new(page.clone(), "EAAG-page-token-of-acme")).await?;
    let ai = TokenKey::new("acme", Channel::Other, "openai", SecretKind::ApiKey);
    store.put(TokenRecord::new(ai, "sk-acme-api-key")).await?;

    // What the database holds: ciphertext only.
    let stored = store.blobs().get(&whatsapp).await?.expect("stored");
    println!(
        "stored bytes: {} (key id {}), plaintext visible: {}",
        stored.ciphertext.len(),
        stored.key_id,
        stored.ciphertext.windows(4).any(|w| w == b"EAAG")
    );

    // Rotation: add a new key, promote it, move every record to it, retire the old one.
    let keyring = store.keyring().expect("keyring mode");
    keyring.add(2, DataKey::generate())?;
    keyring.promote(2)?;
    let report = store.reseal_all().await?;
    keyring.disable(1)?;
    println!("rotated to key {}: {} records re-sealed", keyring.primary_id(), report.resealed);

    // Reading after rotation.
    let record = store.get(&whatsapp).await?.expect("still there");
    println!(
        "acme's WhatsApp token: {} characters, scopes {:?}",
        record.secret.expose_secret().len(),
        record.metadata.scopes
    );
    for info in store.list_tenant("acme").await? {
        println!(
            "  {} (expires {:?})",
            info.key.display(),
            info.metadata.expires_at.map(Timestamp::unix_seconds)
        );
    }

    // Account deletion.
    println!("deleted {} records of acme", store.delete_tenant("acme").await?);
    if std::env::var("VAULT_DB").is_err() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    Ok(())
}
