//! `tenant erase`: one command that erases a tenant from every store the crate writes.

use std::sync::Arc;

use clap::Subcommand;
use meta_messaging::delivery::TenantErasure;
use meta_messaging::identity::IdentityStore;
use meta_messaging::pacing::WindowStore;
use meta_messaging::store::{
    PostgresIdentityStore, PostgresWindowStore, RedisIdentityStore, RedisWindowStore, SqliteIdentityStore,
};

use crate::config::{Config, IDENTITY_URL, QUEUE_URL, REDIS_PREFIX, VAULT_URL, WINDOW_URL};
use crate::{CliError, CliResult, confirm};

#[derive(Subcommand)]
pub(crate) enum TenantCommand {
    /// Erases a tenant: its vault records (in envelope mode its key first, so backups stop
    /// opening), its accounts' queue items in every state, its businesses' messaging windows
    /// and the identities of their users, from whichever of META_MESSAGING_VAULT_URL,
    /// META_MESSAGING_QUEUE_URL, META_MESSAGING_WINDOW_URL and META_MESSAGING_IDENTITY_URL are
    /// set. Asks for confirmation.
    Erase {
        /// The tenant's name in the vault.
        tenant: String,
        /// An account of the tenant (WABA, Page or Instagram account id): its queue items go.
        #[arg(long = "account")]
        accounts: Vec<String>,
        /// A business of the tenant (phone number id, Page or Instagram account id): its
        /// messaging windows go.
        #[arg(long = "business")]
        businesses: Vec<String>,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

async fn open_windows(config: &Config, url: &str) -> Result<Arc<dyn WindowStore>, CliError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresWindowStore::connect(url).await?))
    } else if url.starts_with("redis://") || url.starts_with("rediss://") {
        let store = RedisWindowStore::connect(url).await?;
        Ok(Arc::new(match config.get(REDIS_PREFIX) {
            Some(prefix) => store.prefix(prefix),
            None => store,
        }))
    } else {
        Err(CliError(format!("{WINDOW_URL} must start with postgres:// or redis://")))
    }
}

async fn open_identities(config: &Config, url: &str) -> Result<Arc<dyn IdentityStore>, CliError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresIdentityStore::connect(url).await?))
    } else if url.starts_with("redis://") || url.starts_with("rediss://") {
        let store = RedisIdentityStore::connect(url).await?;
        Ok(Arc::new(match config.get(REDIS_PREFIX) {
            Some(prefix) => store.prefix(prefix),
            None => store,
        }))
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        Ok(Arc::new(SqliteIdentityStore::open(path).await?))
    } else {
        Err(CliError(format!("{IDENTITY_URL} must start with sqlite:, postgres:// or redis://")))
    }
}

pub(crate) async fn run(command: TenantCommand, config: &Config) -> CliResult {
    let TenantCommand::Erase { tenant, accounts, businesses, yes } = command;
    let vault = match config.get(VAULT_URL) {
        Some(_) => Some(crate::vault::tenant_store(config, &tenant).await?),
        None => None,
    };
    let queue = match config.get(QUEUE_URL) {
        Some(_) => Some(crate::deliveries::open(config).await?),
        None => None,
    };
    let windows = match config.get(WINDOW_URL) {
        Some(url) => Some(open_windows(config, &url).await?),
        None => None,
    };
    let identities = match config.get(IDENTITY_URL) {
        Some(url) => Some(open_identities(config, &url).await?),
        None => None,
    };
    if vault.is_none() && queue.is_none() && windows.is_none() && identities.is_none() {
        return Err(CliError(format!(
            "set at least one of {VAULT_URL}, {QUEUE_URL}, {WINDOW_URL}, {IDENTITY_URL}"
        )));
    }
    if queue.is_some() && accounts.is_empty() {
        return Err(CliError(format!("{QUEUE_URL} is set: name the tenant's accounts with --account")));
    }
    if (windows.is_some() || identities.is_some()) && businesses.is_empty() {
        return Err(CliError(format!(
            "{WINDOW_URL} or {IDENTITY_URL} is set: name the tenant's businesses with --business"
        )));
    }
    confirm(yes, &format!("erase tenant {tenant} from every configured store"), &tenant)?;
    let mut erasure = TenantErasure::new(&tenant);
    for account in &accounts {
        erasure = erasure.account(account);
    }
    for business in &businesses {
        erasure = erasure.business(business);
    }
    if let Some(vault) = &vault {
        erasure = erasure.vault(vault.as_ref());
    }
    if let Some(queue) = &queue {
        erasure = erasure.queue(queue.as_ref());
    }
    if let Some(windows) = &windows {
        erasure = erasure.windows(windows.as_ref());
    }
    if let Some(identities) = &identities {
        erasure = erasure.identities(identities.as_ref());
    }
    let report = erasure.run().await?;
    println!(
        "erased tenant {tenant}: {} vault record(s), {} queue item(s), {} messaging window(s)",
        report.records, report.items, report.windows
    );
    for (name, configured) in
        [(VAULT_URL, vault.is_some()), (QUEUE_URL, queue.is_some()), (WINDOW_URL, windows.is_some())]
    {
        if !configured {
            eprintln!("not erased: {name} is not set");
        }
    }
    Ok(())
}
