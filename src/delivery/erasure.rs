//! [`TenantErasure`]: one call that erases a tenant from every store the crate writes.

use std::fmt;

use crate::identity::IdentityStore;
use crate::pacing::{HoldStore, MarketingStore, WindowStore};
use crate::store::StoreError;
use crate::token::TokenStore;

use super::Queue;

/// Erases a tenant from every store the crate writes, in the order that makes the erasure hold
/// even if it stops half-way:
///
/// 1. the **vault** ([`TokenStore::delete_tenant`]) for the tenant and for each of its accounts
///    (a [`SealedQueue`](super::SealedQueue) seals items under the account's key): in envelope
///    mode the data keys are destroyed first, so from that instant its records and every queued
///    item sealed with them no longer open, on every replica and in every backup;
/// 2. the **queue** ([`Queue::purge_tenant`]): every item of each of the tenant's accounts
///    (WABA, Page or Instagram account ids), pending, done (the delivery log) or dead;
/// 3. the **messaging windows** ([`WindowStore::forget_business`]): each of its business phone
///    numbers, Pages or Instagram accounts, whose keys name its users;
/// 4. the **identity directory** ([`IdentityStore::forget_scope`]): the phone numbers, ids and
///    usernames of its businesses' users;
/// 5. the **marketing governor's store** ([`MarketingStore`]): the recipients held after a
///    `131049` and the recipients reached, for each of its portfolios (the governor's scope);
/// 6. the **handoff pauses** ([`HoldStore`]): the paused conversations of its businesses.
///
/// Each step is idempotent: on an error, run the erasure again. What is left anywhere else (the
/// webhook dedupe store's event ids, which hold no content and expire; the stores' own backups
/// and logs) is listed in SECURITY.md.
///
/// ```
/// # async fn run() -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::delivery::{InMemoryQueue, TenantErasure};
/// use meta_messaging::pacing::InMemoryWindowStore;
/// use meta_messaging::token::{DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring};
///
/// let vault = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
/// let (queue, windows) = (InMemoryQueue::default(), InMemoryWindowStore::default());
/// let report = TenantErasure::new("acme")
///     .account("102290129340398")   // its WhatsApp Business Account
///     .business("106540352242922")  // its phone number
///     .vault(&vault)
///     .queue(&queue)
///     .windows(&windows)
///     .run()
///     .await?;
/// assert_eq!(report.records, 0);
/// # Ok(()) }
/// ```
pub struct TenantErasure<'a> {
    tenant: String,
    accounts: Vec<String>,
    businesses: Vec<String>,
    vault: Option<&'a dyn TokenStore>,
    queue: Option<&'a dyn Queue>,
    windows: Option<&'a dyn WindowStore>,
    identities: Option<&'a dyn IdentityStore>,
    portfolios: Vec<String>,
    marketing: Option<&'a dyn MarketingStore>,
    holds: Option<&'a dyn HoldStore>,
}

impl fmt::Debug for TenantErasure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantErasure")
            .field("tenant", &self.tenant)
            .field("accounts", &self.accounts)
            .field("businesses", &self.businesses)
            .field("vault", &self.vault.is_some())
            .field("queue", &self.queue.is_some())
            .field("windows", &self.windows.is_some())
            .field("identities", &self.identities.is_some())
            .field("portfolios", &self.portfolios)
            .field("marketing", &self.marketing.is_some())
            .field("holds", &self.holds.is_some())
            .finish()
    }
}

/// What [`TenantErasure::run`] erased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErasureReport {
    /// Vault records deleted.
    pub records: usize,
    /// Queue items deleted.
    pub items: u64,
    /// Messaging windows forgotten.
    pub windows: u64,
    /// Users forgotten by the identity directory.
    pub identities: u64,
    /// Recipients forgotten by the marketing governor's store (holds and reach).
    pub marketing: u64,
    /// Paused conversations forgotten by the handoff's store.
    pub handoffs: u64,
}

impl<'a> TenantErasure<'a> {
    /// Erases `tenant` (its name in the vault).
    pub fn new(tenant: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            accounts: Vec::new(),
            businesses: Vec::new(),
            vault: None,
            queue: None,
            windows: None,
            identities: None,
            portfolios: Vec::new(),
            marketing: None,
            holds: None,
        }
    }

    /// One of the tenant's business portfolios: the scope of its
    /// [`MarketingGovernor`](crate::pacing::MarketingGovernor).
    #[must_use]
    pub fn portfolio(mut self, portfolio: impl Into<String>) -> Self {
        self.portfolios.push(portfolio.into());
        self
    }

    /// The marketing governor's store to forget the portfolios in.
    #[must_use]
    pub fn marketing(mut self, marketing: &'a dyn MarketingStore) -> Self {
        self.marketing = Some(marketing);
        self
    }

    /// The [`Handoff`](crate::pacing::Handoff)'s store to forget the businesses' paused
    /// conversations in.
    #[must_use]
    pub fn holds(mut self, holds: &'a dyn HoldStore) -> Self {
        self.holds = Some(holds);
        self
    }

    /// One of the tenant's accounts (WABA, Page or Instagram account id): the
    /// [tenant](super::NewItem::tenant) of its queue items.
    #[must_use]
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.accounts.push(account.into());
        self
    }

    /// One of the tenant's businesses in the window store (a phone number id, a Page or
    /// Instagram account id).
    #[must_use]
    pub fn business(mut self, business: impl Into<String>) -> Self {
        self.businesses.push(business.into());
        self
    }

    /// The vault to delete the tenant's records (and, in envelope mode, key) from.
    #[must_use]
    pub fn vault(mut self, vault: &'a dyn TokenStore) -> Self {
        self.vault = Some(vault);
        self
    }

    /// The delivery queue to purge the accounts' items from.
    #[must_use]
    pub fn queue(mut self, queue: &'a dyn Queue) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The window store to forget the businesses' users in.
    #[must_use]
    pub fn windows(mut self, windows: &'a dyn WindowStore) -> Self {
        self.windows = Some(windows);
        self
    }

    /// The identity directory's store to forget the businesses' users in.
    #[must_use]
    pub fn identities(mut self, identities: &'a dyn IdentityStore) -> Self {
        self.identities = Some(identities);
        self
    }

    /// Runs the erasure: vault, then queue, then windows, then identities, then the marketing
    /// governor's store, then the handoff pauses.
    ///
    /// # Errors
    ///
    /// The first [`StoreError`]; the steps before it are done, and running again finishes.
    pub async fn run(self) -> Result<ErasureReport, StoreError> {
        let mut report = ErasureReport::default();
        if let Some(vault) = self.vault {
            report.records = vault.delete_tenant(&self.tenant).await?;
            // A SealedQueue seals each item under its account's key: destroy those too, so the
            // queued items (and their backups) stop opening before they are purged.
            for account in &self.accounts {
                if *account != self.tenant {
                    report.records += vault.delete_tenant(account).await?;
                }
            }
        }
        if let Some(queue) = self.queue {
            for account in &self.accounts {
                report.items += queue.purge_tenant(account).await?;
            }
        }
        if let Some(windows) = self.windows {
            for business in &self.businesses {
                report.windows += windows.forget_business(business).await?;
            }
        }
        if let Some(identities) = self.identities {
            for business in &self.businesses {
                report.identities += identities.forget_scope(business).await?;
            }
        }
        if let Some(marketing) = self.marketing {
            for portfolio in &self.portfolios {
                report.marketing +=
                    marketing.forget_holds(&crate::pacing::marketing_scope(portfolio)).await?;
                report.marketing += marketing.forget_reach(portfolio).await?;
            }
        }
        if let Some(holds) = self.holds {
            for business in &self.businesses {
                report.handoffs += holds.forget_holds(&crate::pacing::handoff_scope(business)).await?;
            }
        }
        tracing::info!(
            records = report.records,
            items = report.items,
            windows = report.windows,
            identities = report.identities,
            marketing = report.marketing,
            handoffs = report.handoffs,
            "tenant erased"
        );
        Ok(report)
    }
}
