//! `vault`: list records' metadata (never secrets), inspect and rotate keys, re-seal, delete a
//! tenant.

use std::sync::Arc;

use clap::Subcommand;
use meta_messaging::store::{PostgresBlobStore, RedisBlobStore, SqliteBlobStore};
use meta_messaging::token::{
    BlobStore, DataKey, EncryptedTokenStore, FORMAT_VERSION_ENVELOPE, KeyRegistry, Keyring, LocalKek,
    RecordInfo, TokenStore,
};

use crate::config::{Config, REDIS_PREFIX, VAULT_KEYS, VAULT_REGISTRY_URL, VAULT_URL};
use crate::{CliError, CliResult, confirm};

#[derive(Subcommand)]
pub(crate) enum VaultCommand {
    /// Lists records' metadata (tenant, channel, asset, kind, key id, expiry, scopes): never a
    /// secret.
    List {
        /// Only this tenant's records.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Shows each configured key (the first in META_MESSAGING_VAULT_KEYS is the primary) and
    /// how many records it seals.
    Keys,
    /// Key rotation.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Re-seals every record still under an older key with the primary key.
    Reseal,
    /// Deletes every record of a tenant (asks for confirmation). In envelope mode
    /// (META_MESSAGING_VAULT_REGISTRY_URL set) the tenant's key is destroyed first, so backups
    /// of the records no longer open; without it, a tenant whose records are in envelope mode
    /// is refused.
    DeleteTenant {
        /// The tenant.
        tenant: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Prints a new random key as `ID:BASE64`, to add to META_MESSAGING_VAULT_KEYS (store it as
    /// a secret).
    Generate {
        /// Its key id.
        #[arg(long)]
        id: u32,
    },
    /// Makes a configured key the primary and re-seals every record under it now; then put it
    /// first in META_MESSAGING_VAULT_KEYS.
    Promote {
        /// The key id.
        id: u32,
    },
    /// Checks that no record is sealed with a key any more, so it can be removed from
    /// META_MESSAGING_VAULT_KEYS; refuses while records still use it.
    Disable {
        /// The key id.
        id: u32,
    },
}

/// The record store named by `META_MESSAGING_VAULT_URL`.
async fn open_blobs(config: &Config) -> Result<Arc<dyn BlobStore>, CliError> {
    open_blob_store(config, &config.require(VAULT_URL)?, VAULT_URL).await
}

/// A blob store from a URL (the record store's, or the key registry's).
async fn open_blob_store(config: &Config, url: &str, name: &str) -> Result<Arc<dyn BlobStore>, CliError> {
    let url = url.to_owned();
    let blobs: Arc<dyn BlobStore> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PostgresBlobStore::connect(&url).await?)
    } else if url.starts_with("redis://") || url.starts_with("rediss://") {
        let store = RedisBlobStore::connect(&url).await?;
        Arc::new(match config.get(REDIS_PREFIX) {
            Some(prefix) => store.prefix(prefix),
            None => store,
        })
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        Arc::new(SqliteBlobStore::open(path).await?)
    } else {
        return Err(CliError(format!("{name} must start with sqlite:, postgres:// or redis://")));
    };
    Ok(blobs)
}

/// The keyring in `META_MESSAGING_VAULT_KEYS`: `ID:BASE64[,ID:BASE64...]`, primary first.
pub(crate) fn keyring(config: &Config) -> Result<Keyring, CliError> {
    let text = config.require(VAULT_KEYS)?;
    let mut keyring: Option<Keyring> = None;
    for (index, entry) in text.split(',').map(str::trim).enumerate() {
        let (id, key) = entry
            .split_once(':')
            .ok_or_else(|| CliError(format!("{VAULT_KEYS}: entry {} is not ID:BASE64", index + 1)))?;
        let id: u32 = id
            .trim()
            .parse()
            .map_err(|_| CliError(format!("{VAULT_KEYS}: entry {} has no numeric id", index + 1)))?;
        let key = DataKey::from_base64(key.trim())
            .map_err(|_| CliError(format!("{VAULT_KEYS}: key {id} is not 32 bytes of base64")))?;
        match &keyring {
            None => keyring = Some(Keyring::new(id, key)),
            Some(ring) => ring.add(id, key)?,
        }
    }
    keyring.ok_or_else(|| CliError(format!("{VAULT_KEYS} holds no key")))
}

fn print_record(info: &RecordInfo, key_id: Option<u32>) {
    let meta = &info.metadata;
    let when = |t: Option<meta_messaging::Timestamp>| {
        t.map_or_else(|| "-".to_owned(), |t| t.unix_seconds().to_string())
    };
    println!(
        "{}\t{}\t{}\t{}\tkey={}\texpires={}\tscopes={}",
        info.key.tenant,
        info.key.channel.as_str(),
        info.key.asset_id,
        info.key.kind.as_str(),
        key_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
        when(meta.expires_at),
        if meta.scopes.is_empty() { "-".to_owned() } else { meta.scopes.join(",") },
    );
}

/// Every record as (key, key id): the tenant's, or everyone's in pages.
async fn all_blobs(
    blobs: &Arc<dyn BlobStore>,
    tenant: Option<&str>,
) -> Result<Vec<(meta_messaging::token::TokenKey, u32)>, CliError> {
    if let Some(tenant) = tenant {
        return Ok(blobs.list_tenant(tenant).await?.into_iter().map(|(k, b)| (k, b.key_id)).collect());
    }
    let mut out = Vec::new();
    let mut after = None;
    loop {
        // No record is sealed with key id u32::MAX (the tool refuses it), so this pages through all.
        let page = blobs.sealed_with_other_key(u32::MAX, after.as_ref(), 500).await?;
        let Some((last, _)) = page.last() else { return Ok(out) };
        after = Some(last.clone());
        out.extend(page.into_iter().map(|(k, b)| (k, b.key_id)));
    }
}

pub(crate) async fn run(command: VaultCommand, config: &Config) -> CliResult {
    if let VaultCommand::Key(KeyCommand::Generate { id }) = command {
        if id == u32::MAX {
            return Err(CliError("key id 4294967295 is reserved".to_owned()));
        }
        eprintln!("a new key: add it to {VAULT_KEYS} and keep it as a secret (it is printed once)");
        println!("{id}:{}", DataKey::generate().expose_base64().as_str());
        return Ok(());
    }
    if let VaultCommand::DeleteTenant { tenant, yes } = &command {
        return delete_tenant(config, tenant, *yes).await;
    }
    let blobs = open_blobs(config).await?;
    let ring = Arc::new(keyring(config)?);
    let store = EncryptedTokenStore::with_shared_keyring(Arc::clone(&blobs), Arc::clone(&ring));
    match command {
        VaultCommand::List { tenant } => {
            let mut count = 0;
            for (key, key_id) in all_blobs(&blobs, tenant.as_deref()).await? {
                // Opened only to show the sealed metadata; the secret is dropped unread.
                match store.get(&key).await {
                    Ok(Some(record)) => print_record(&record.info(), Some(key_id)),
                    Ok(None) => continue,
                    Err(error) => println!("{}\t(does not open: {error})", key.display()),
                }
                count += 1;
            }
            eprintln!("{count} record(s)");
        }
        VaultCommand::Keys => {
            let primary = ring.primary_id();
            let total = all_blobs(&blobs, None).await?.len();
            let mut others = 0;
            for (id, state) in ring.keys() {
                if id != primary {
                    let n = store.records_sealed_with(id).await?;
                    others += n;
                    println!("{id}\t{state:?}\t{n} record(s)");
                }
            }
            println!("{primary}\tPrimary\t{} record(s)", total.saturating_sub(others));
        }
        VaultCommand::Key(KeyCommand::Promote { id }) => {
            ring.promote(id)?;
            let report = store.reseal_all().await?;
            println!(
                "key {id} is the primary: {} record(s) re-sealed, {} changed meanwhile",
                report.resealed, report.skipped
            );
            for key in &report.failed {
                println!("{}\t(does not open; left as it is)", key.display());
            }
            eprintln!("now put key {id} first in {VAULT_KEYS}");
            if !report.failed.is_empty() {
                return Err(CliError(format!("{} record(s) could not be re-sealed", report.failed.len())));
            }
        }
        VaultCommand::Key(KeyCommand::Disable { id }) => {
            store.disable_key(id).await?;
            println!("key {id} seals no record: remove it from {VAULT_KEYS}");
        }
        VaultCommand::Key(KeyCommand::Generate { .. }) | VaultCommand::DeleteTenant { .. } => {
            unreachable!("handled above")
        }
        VaultCommand::Reseal => {
            let report = store.reseal_all().await?;
            println!(
                "{} record(s) re-sealed, {} changed meanwhile, {} failed",
                report.resealed,
                report.skipped,
                report.failed.len()
            );
            for key in &report.failed {
                println!("{}\t(does not open; left as it is)", key.display());
            }
        }
    }
    Ok(())
}

/// The vault store to delete `tenant` with: in envelope mode through the key registry (its key
/// destroyed first), in keyring mode only when none of its records is an envelope record.
pub(crate) async fn tenant_store(config: &Config, tenant: &str) -> Result<Box<dyn TokenStore>, CliError> {
    let blobs = open_blobs(config).await?;
    let records = blobs.list_tenant(tenant).await?;
    let envelope_records =
        records.iter().filter(|(_, blob)| blob.ciphertext.first() == Some(&FORMAT_VERSION_ENVELOPE)).count();
    Ok(match config.get(VAULT_REGISTRY_URL) {
        Some(url) => {
            let registry = KeyRegistry::new(open_blob_store(config, &url, VAULT_REGISTRY_URL).await?);
            // In envelope mode the configured keys are the KEK's keyring.
            let kek = Arc::new(LocalKek::new(keyring(config)?));
            Box::new(EncryptedTokenStore::with_envelope(blobs, kek, registry))
        }
        None if envelope_records > 0 => {
            return Err(CliError(format!(
                "tenant {tenant} has {envelope_records} envelope-mode record(s): set {VAULT_REGISTRY_URL} so its key is destroyed with them"
            )));
        }
        None => Box::new(EncryptedTokenStore::new(blobs, keyring(config)?)),
    })
}

async fn delete_tenant(config: &Config, tenant: &str, yes: bool) -> CliResult {
    let store = tenant_store(config, tenant).await?;
    confirm(yes, &format!("delete every record of tenant {tenant}"), tenant)?;
    let deleted = store.delete_tenant(tenant).await?;
    println!("deleted {deleted} record(s) of tenant {tenant}");
    Ok(())
}
