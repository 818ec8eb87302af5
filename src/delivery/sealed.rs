//! [`SealedQueue`]: queued payloads sealed with their tenant's key.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::{Attempt, Item, ItemState, NewItem, Queue, Retry};
use crate::Timestamp;
use crate::store::StoreError;
use crate::token::PayloadSealer;

/// What starts a sealed payload (a JSON payload never starts with a NUL byte).
const SEALED_PREFIX: &[u8] = b"\0mmq1";

/// The error recorded for an item whose payload no longer opens.
const GONE: &str = "payload sealed with a tenant key that is gone (tenant deleted)";

/// A [`Queue`] that seals each item's payload before the engine sees it and opens it when a
/// worker claims it, with a [`PayloadSealer`] (the token vault): the event as Meta sent it
/// (message text, names, phone numbers) is never stored in the clear, and in envelope mode each
/// tenant's items are sealed with that tenant's data key, bound to the item's key. What stays in
/// the clear, because the queue orders and dedupes by it: the item's key (Meta's event id), its
/// tenant (the account id) and its conversation (the business and the user's stable key: a
/// business-scoped id, PSID or IGSID, or a phone number when Meta sent nothing else);
/// [`Queue::purge_tenant`] deletes those. Deleting the tenant destroys the key, so its
/// queued, dead and logged items (and every backup of them) no longer open, on every replica,
/// before they are even purged.
///
/// Items without a [`tenant`](NewItem::tenant) are stored as given. An item that no longer
/// opens is dead-lettered when claimed (it never reaches a handler); listed, its payload is
/// empty.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use meta_messaging::delivery::{InMemoryQueue, NewItem, Queue, SealedQueue};
/// use meta_messaging::token::{DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring};
///
/// let vault = Arc::new(EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate())));
/// let engine = Arc::new(InMemoryQueue::default());
/// let queue = SealedQueue::new(engine.clone(), vault);
/// queue.enqueue("inbox", &[NewItem::new("k1", "c1", br#"{"text":"hi"}"#.to_vec()).tenant("waba-1")]).await?;
/// let stored = engine.claim("inbox", "peek", 1, std::time::Duration::from_secs(1)).await?;
/// assert!(!stored[0].payload.windows(2).any(|w| w == b"hi"), "the engine holds ciphertext");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SealedQueue {
    inner: Arc<dyn Queue>,
    sealer: Arc<dyn PayloadSealer>,
}

impl fmt::Debug for SealedQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedQueue").field("inner", &self.inner).field("sealer", &self.sealer).finish()
    }
}

impl SealedQueue {
    /// Seals the payloads stored in `inner` with `sealer`.
    pub fn new(inner: Arc<dyn Queue>, sealer: Arc<dyn PayloadSealer>) -> Self {
        Self { inner, sealer }
    }

    async fn seal(&self, item: &NewItem) -> Result<NewItem, StoreError> {
        let Some(tenant) = &item.tenant else { return Ok(item.clone()) };
        let sealed = self.sealer.seal_payload(tenant, &item.key, &item.payload).await?;
        let mut payload = Vec::with_capacity(SEALED_PREFIX.len() + sealed.len());
        payload.extend_from_slice(SEALED_PREFIX);
        payload.extend_from_slice(&sealed);
        Ok(NewItem { payload, ..item.clone() })
    }

    /// The item with its payload opened.
    async fn open(&self, mut item: Item) -> Result<Item, StoreError> {
        let (Some(tenant), Some(sealed)) = (&item.tenant, item.payload.strip_prefix(SEALED_PREFIX)) else {
            return Ok(item);
        };
        let opened = self.sealer.open_payload(tenant, &item.key, sealed).await?;
        item.payload = opened.to_vec();
        Ok(item)
    }

    /// Listed items: opened, or with an empty payload when they no longer open.
    async fn open_listed(&self, items: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut opened = Vec::with_capacity(items.len());
        for item in items {
            match self.open(item.clone()).await {
                Ok(item) => opened.push(item),
                Err(error) if error.is_retryable() => return Err(error),
                Err(_) => opened.push(Item { payload: Vec::new(), ..item }),
            }
        }
        Ok(opened)
    }
}

#[async_trait]
impl Queue for SealedQueue {
    async fn enqueue(&self, queue: &str, items: &[NewItem]) -> Result<usize, StoreError> {
        Ok(self.enqueue_batches(queue, &[items]).await?.iter().sum())
    }

    async fn enqueue_batches(&self, queue: &str, batches: &[&[NewItem]]) -> Result<Vec<usize>, StoreError> {
        let mut sealed: Vec<Vec<NewItem>> = Vec::with_capacity(batches.len());
        for batch in batches {
            let mut items = Vec::with_capacity(batch.len());
            for item in *batch {
                items.push(self.seal(item).await?);
            }
            sealed.push(items);
        }
        let views: Vec<&[NewItem]> = sealed.iter().map(Vec::as_slice).collect();
        self.inner.enqueue_batches(queue, &views).await
    }

    async fn claim(
        &self,
        queue: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Item>, StoreError> {
        let claimed = self.inner.claim(queue, owner, limit, lease).await?;
        let mut ready = Vec::with_capacity(claimed.len());
        for item in claimed {
            let id = item.id;
            match self.open(item).await {
                Ok(item) => ready.push(item),
                // The vault is unreachable: try again shortly (the attempt counts).
                Err(error) if error.is_retryable() => {
                    let later = self.inner.now().saturating_add(Duration::from_secs(1));
                    self.inner
                        .fail(id, owner, "payload could not be opened: vault unavailable", Retry::At(later))
                        .await?;
                }
                // The key is gone or the bytes were tampered with: it will never open.
                Err(_) => {
                    self.inner.fail(id, owner, GONE, Retry::Never).await?;
                }
            }
        }
        Ok(ready)
    }

    async fn complete(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.inner.complete(id, owner).await
    }

    async fn fail(&self, id: i64, owner: &str, error: &str, retry: Retry) -> Result<bool, StoreError> {
        self.inner.fail(id, owner, error, retry).await
    }

    async fn complete_logged(&self, id: i64, owner: &str, attempt: &Attempt) -> Result<bool, StoreError> {
        self.inner.complete_logged(id, owner, attempt).await
    }

    async fn fail_logged(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry: Retry,
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        self.inner.fail_logged(id, owner, error, retry, attempt).await
    }

    async fn postpone(&self, id: i64, owner: &str, until: crate::Timestamp) -> Result<bool, StoreError> {
        self.inner.postpone(id, owner, until).await
    }

    async fn attempt_log(&self, id: i64) -> Result<Vec<Attempt>, StoreError> {
        self.inner.attempt_log(id).await
    }

    async fn dead_letters(&self, queue: &str, limit: usize) -> Result<Vec<Item>, StoreError> {
        let items = self.inner.dead_letters(queue, limit).await?;
        self.open_listed(items).await
    }

    async fn list(&self, queue: &str, state: ItemState, limit: usize) -> Result<Vec<Item>, StoreError> {
        let items = self.inner.list(queue, state, limit).await?;
        self.open_listed(items).await
    }

    async fn replay(&self, id: i64) -> Result<bool, StoreError> {
        self.inner.replay(id).await
    }

    async fn counts(&self, queue: &str) -> Result<(u64, u64, u64), StoreError> {
        self.inner.counts(queue).await
    }

    async fn purge_completed(&self, older_than: Timestamp) -> Result<u64, StoreError> {
        self.inner.purge_completed(older_than).await
    }

    async fn purge_tenant(&self, tenant: &str) -> Result<u64, StoreError> {
        self.inner.purge_tenant(tenant).await
    }

    async fn release_leases(&self, queue: &str, owner: &str) -> Result<u64, StoreError> {
        self.inner.release_leases(queue, owner).await
    }

    fn now(&self) -> crate::Timestamp {
        self.inner.now()
    }
}
