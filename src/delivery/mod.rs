//! Durable delivery: nothing acknowledged is lost.
//!
//! Meta treats a `200` as final: it never redelivers a body it was told was received. So the
//! answer must follow a durable write, and the work must survive crashes, outages and failing
//! consumers after it. This module is that pipeline:
//!
//! 1. **Inbox** ([`Inbox`]): each verified body's events are written to a [`Queue`] in one
//!    transaction that also dedupes them (an event already stored is not stored twice), and only
//!    then is the body answered `200`. A store that cannot be reached answers `503`, and Meta
//!    redelivers. A crash at any instant leaves a body either stored or unanswered.
//! 2. **At-least-once processing** ([`Worker`]): items are claimed under a lease, handed to a
//!    [`Handler`] that returns a `Result`, completed on success, retried with exponential
//!    backoff and jitter on failure, and moved to a dead-letter state after
//!    [`max_attempts`](WorkerConfig::max_attempts) or a permanent failure; dead letters can be
//!    listed and replayed. A replica that dies loses its lease and another takes the work over.
//!    Items of one conversation (same account and user) are handled one at a time, in arrival
//!    order; different conversations run in parallel.
//! 3. **Relay outbox** ([`HttpRelay`]): a handler that forwards each item to a customer's
//!    endpoint with Standard Webhooks signatures and a `webhook-id` stable across retries,
//!    retrying `5xx`, `408`, `429` (honouring `Retry-After`), timeouts and connection errors,
//!    sending other `4xx` to dead letters, behind a circuit breaker so a dead endpoint is not
//!    hammered. Completed items are kept as a delivery log (30 days by default, see
//!    [`Queue::purge_completed`]). For several customers, [`Fanout`] copies each inbox item into
//!    one queue per destination, each delivered by its own worker with the destination's secret
//!    sealed in the token vault ([`HttpRelay::from_vault`]), so one dead customer never slows the
//!    others.
//!
//! Engines: [`InMemoryQueue`] (tests and demos: nothing survives the process),
//! `store::SqliteQueue` (feature `sqlite`: one process, survives restarts) and
//! `store::PostgresQueue` (feature `postgres`: many replicas, `FOR UPDATE SKIP LOCKED` claims).
//!
//! ```
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use meta_messaging::delivery::{Inbox, InMemoryQueue, Queue};
//! use meta_messaging::webhook::parse;
//!
//! let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
//! let inbox = Inbox::new(Arc::clone(&queue));
//! let body = br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},
//!     "recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_1","text":"hi"}}]}]}"#;
//! let webhook = parse(body)?;
//! assert_eq!(inbox.store(body, &webhook).await?.stored, 1); // durable: now answer 200
//! assert_eq!(inbox.store(body, &webhook).await?.stored, 0); // a redelivery: stored once
//! # Ok(()) }
//! ```

mod attempt;
#[cfg(any(feature = "nats", feature = "amqp"))]
mod broker;
mod destination;
mod erasure;
mod fanout;
mod health;
mod inbox;
mod memory;
mod relay;
mod sealed;
mod stored;
mod worker;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::Timestamp;
use crate::store::StoreError;

pub use attempt::{ATTEMPT_LOG_BYTES, Attempt, AttemptOutcome};
#[cfg(feature = "amqp")]
pub use broker::AmqpRelay;
#[cfg(feature = "nats")]
pub use broker::NatsRelay;
pub use destination::{AddressClass, DestinationError, DestinationPolicy, FailureCategory, classify};
pub use erasure::{ErasureReport, TenantErasure};
pub use fanout::{Fanout, STRICT_CONVERSATION, relay_queue, signing_secret_key, store_signing_secret};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use health::gcra;
pub use health::{
    DISABLED_RECHECK, DestinationGuard, DestinationState, DestinationStore, InMemoryDestinations,
};
pub use inbox::{Inbox, Stored, event_records};
pub use memory::InMemoryQueue;
pub use relay::{CircuitBreaker, HttpRelay};
pub use sealed::SealedQueue;
pub use stored::{EventHandler, StoredEvent, StoredEventError};
pub use worker::{Handler, HandlerError, Worker, WorkerConfig};

/// The queue name the [`Inbox`] writes to unless told otherwise.
pub const INBOX_QUEUE: &str = "inbox";

/// How long completed items are kept by default: the delivery log a relay needs, and a dedupe
/// window well past Meta's redelivery period.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// An item to enqueue.
///
/// ```
/// use meta_messaging::delivery::NewItem;
///
/// let item = NewItem::new("whatsapp:message:wamid.1", "whatsapp:1:2", b"{}".to_vec()).tenant("102290129340398");
/// assert_eq!(item.tenant.as_deref(), Some("102290129340398"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewItem {
    /// The dedupe key: an item whose key is already in the queue (pending, done or dead) is not
    /// stored again.
    pub key: String,
    /// The ordering key: items with the same conversation are handled one at a time, in the order
    /// they were enqueued.
    pub conversation: String,
    /// The bytes to hand to the handler (for the inbox: a JSON envelope of one event).
    pub payload: Vec<u8>,
    /// Whose item it is: for the inbox, the business account or Page the event came in on.
    /// [`Queue::purge_tenant`] deletes a tenant's items; a
    /// [`PayloadSealer`](crate::token::PayloadSealer) seals the payload with the tenant's key.
    pub tenant: Option<String>,
}

impl NewItem {
    /// An item with no tenant.
    pub fn new(key: impl Into<String>, conversation: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into(), conversation: conversation.into(), payload: payload.into(), tenant: None }
    }

    /// Whose item it is.
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }
}

/// The state of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemState {
    /// Waiting for (or under) an attempt.
    Pending,
    /// Handled successfully; kept for the delivery log until purged.
    Done,
    /// Given up on: listed by [`Queue::dead_letters`], replayable.
    Dead,
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl ItemState {
    pub(crate) fn code(self) -> i64 {
        match self {
            Self::Pending => 0,
            Self::Done => 1,
            Self::Dead => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Done,
            2 => Self::Dead,
            _ => Self::Pending,
        }
    }
}

/// A stored item, as claimed by a worker or listed.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Item {
    /// The queue's id of the item (increasing in enqueue order).
    pub id: i64,
    /// The queue it is in.
    pub queue: String,
    /// Its dedupe key.
    pub key: String,
    /// Its ordering key.
    pub conversation: String,
    /// The bytes enqueued.
    pub payload: Vec<u8>,
    /// Attempts started so far (including the current one, for a claimed item).
    pub attempts: u32,
    /// Its state.
    pub state: ItemState,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// Whose item it is (see [`NewItem::tenant`]).
    pub tenant: Option<String>,
}

impl fmt::Debug for Item {
    // The payload may hold message text: only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("id", &self.id)
            .field("queue", &self.queue)
            .field("key", &self.key)
            .field("conversation", &self.conversation)
            .field("payload_len", &self.payload.len())
            .field("attempts", &self.attempts)
            .field("state", &self.state)
            .field("last_error", &self.last_error)
            .field("created_at", &self.created_at)
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// What became of a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// Try again at this time.
    At(Timestamp),
    /// Give up: move the item to the dead letters.
    Never,
}

/// A durable work queue with leases, per-conversation order and dead letters.
///
/// Implementations must make [`enqueue`](Self::enqueue) atomic and durable when it returns
/// (all items or none, deduped against every key the queue still holds), and
/// [`claim`](Self::claim) exclusive: an item is leased to one owner at a time, and only the oldest
/// pending item of a conversation is ever claimable.
#[async_trait]
pub trait Queue: Send + Sync + fmt::Debug {
    /// Stores `items` in `queue` in one transaction, skipping keys the queue already holds;
    /// returns how many were new. When this returns `Ok`, the items survive a crash.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails: nothing was stored.
    async fn enqueue(&self, queue: &str, items: &[NewItem]) -> Result<usize, StoreError>;

    /// Stores several batches in `queue` with one commit (the group commit behind the
    /// [`Inbox`]: concurrent requests share one write and one sync); returns how many items of
    /// each batch were new. All batches or none are stored.
    ///
    /// The default stores each batch with [`enqueue`](Self::enqueue); engines override it with
    /// one transaction.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn enqueue_batches(&self, queue: &str, batches: &[&[NewItem]]) -> Result<Vec<usize>, StoreError> {
        let mut stored = Vec::with_capacity(batches.len());
        for batch in batches {
            stored.push(self.enqueue(queue, batch).await?);
        }
        Ok(stored)
    }

    /// Leases up to `limit` ready items of `queue` to `owner` for `lease`: pending, due, not
    /// leased (or with an expired lease), and the oldest pending item of their conversation.
    /// Each claim counts as an attempt.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn claim(
        &self,
        queue: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Item>, StoreError>;

    /// Marks a claimed item done; `false` when `owner` no longer holds its lease (another worker
    /// took it over, and will finish it).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn complete(&self, id: i64, owner: &str) -> Result<bool, StoreError>;

    /// Records a failed attempt of a claimed item: retried at the given time, or moved to the
    /// dead letters. `false` when `owner` no longer holds the lease.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn fail(&self, id: i64, owner: &str, error: &str, retry: Retry) -> Result<bool, StoreError>;

    /// [`complete`](Self::complete), adding `attempt` to the item's attempt log in the same
    /// write. The default completes without a log (an engine that keeps none).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn complete_logged(&self, id: i64, owner: &str, attempt: &Attempt) -> Result<bool, StoreError> {
        let _ = attempt;
        self.complete(id, owner).await
    }

    /// [`fail`](Self::fail), adding `attempt` to the item's attempt log in the same write. The
    /// default fails without a log.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn fail_logged(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry: Retry,
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        let _ = attempt;
        self.fail(id, owner, error, retry).await
    }

    /// Puts a claimed item back, due at `until`, without counting the claim as an attempt (a
    /// [`HandlerError::wait`]: a rate limit, a disabled destination); `false` when `owner` no
    /// longer holds the lease. The default records it as a failed attempt retried at `until`
    /// (an engine that cannot uncount).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn postpone(&self, id: i64, owner: &str, until: Timestamp) -> Result<bool, StoreError> {
        self.fail(id, owner, "waiting: not attempted", Retry::At(until)).await
    }

    /// The attempts at an item, oldest first: the last [`ATTEMPT_LOG_BYTES`] of its log (about
    /// 60 attempts). Empty for an item never attempted, an item no longer held, or an engine
    /// that keeps no log (the default).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn attempt_log(&self, id: i64) -> Result<Vec<Attempt>, StoreError> {
        let _ = id;
        Ok(Vec::new())
    }

    /// The dead letters of `queue`, oldest first.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn dead_letters(&self, queue: &str, limit: usize) -> Result<Vec<Item>, StoreError>;

    /// Up to `limit` items of `queue` in `state`, oldest first (for operators: what is pending,
    /// what is done). The default lists dead letters only and refuses the other states.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails (or cannot list that state).
    async fn list(&self, queue: &str, state: ItemState, limit: usize) -> Result<Vec<Item>, StoreError> {
        match state {
            ItemState::Dead => self.dead_letters(queue, limit).await,
            _ => Err(StoreError::backend_message("this queue cannot list pending or done items")),
        }
    }

    /// Moves a dead (or done) item back to pending, due now, with its attempts reset; `false`
    /// when there is no such item or it is pending already.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn replay(&self, id: i64) -> Result<bool, StoreError>;

    /// Recovers `queue` since a time: moves its dead letters enqueued at or after `since` (with
    /// `include_done`, its done items too: they are delivered again) back to pending, due now,
    /// with their attempts reset; returns their ids, in enqueue order. After a destination's
    /// outage, what died during it is sent again, oldest first (each conversation in its order).
    ///
    /// The default lists the dead (and done) items and [`replay`](Self::replay)s each one.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails (or cannot list done items): the items replayed
    /// before the failure stay pending; recovering again replays the rest.
    async fn recover_since(
        &self,
        queue: &str,
        since: Timestamp,
        include_done: bool,
    ) -> Result<Vec<i64>, StoreError> {
        let mut items = self.list(queue, ItemState::Dead, usize::MAX).await?;
        if include_done {
            items.extend(self.list(queue, ItemState::Done, usize::MAX).await?);
        }
        let mut ids: Vec<i64> =
            items.into_iter().filter(|item| item.created_at >= since).map(|item| item.id).collect();
        ids.sort_unstable();
        let mut replayed = Vec::with_capacity(ids.len());
        for id in ids {
            if self.replay(id).await? {
                replayed.push(id);
            }
        }
        Ok(replayed)
    }

    /// How many items of `queue` are in each state: (pending, done, dead).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn counts(&self, queue: &str) -> Result<(u64, u64, u64), StoreError>;

    /// Deletes items completed before `older_than`; returns how many. Until purged, a completed
    /// item is the delivery log and still dedupes its key.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn purge_completed(&self, older_than: Timestamp) -> Result<u64, StoreError>;

    /// Deletes every item of `tenant`, in every queue and every state (pending, done, dead):
    /// the queue's part of erasing a tenant. Returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails: delete again, it is idempotent.
    async fn purge_tenant(&self, tenant: &str) -> Result<u64, StoreError>;

    /// Releases the leases `owner` holds on pending items of `queue`, so they are claimable at
    /// once: a worker restarted under the same owner id calls it before its first claim and
    /// resumes its own work without waiting out the lease. Returns how many. The default
    /// releases nothing (leases then expire on their own).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn release_leases(&self, queue: &str, owner: &str) -> Result<u64, StoreError> {
        let _ = (queue, owner);
        Ok(0)
    }

    /// The queue's time: what due times and leases are compared with. A [`Worker`] computes
    /// retry times and ages from it, so a queue built on a
    /// [`ManualClock`](crate::clock::ManualClock) (`with_clock`) drives the worker's backoff
    /// too. The default is the system clock.
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The backoff before the next attempt: exponential from `initial`, capped at `max`, with full
/// jitter over the upper half (so retries of many items spread out but never come early).
pub fn backoff(attempts: u32, initial: Duration, max: Duration) -> Duration {
    let exp = attempts.saturating_sub(1).min(30);
    let ceiling = initial.saturating_mul(1u32 << exp).min(max);
    ceiling / 2 + ceiling.mul_f64(meta_messaging_core::util::random_unit() / 2.0)
}

pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_never_comes_early() {
        let (initial, max) = (Duration::from_secs(1), Duration::from_secs(60));
        for attempt in 1..=12 {
            let ceiling = initial.saturating_mul(1 << (attempt - 1)).min(max);
            let delay = backoff(attempt, initial, max);
            assert!(delay >= ceiling / 2 && delay <= ceiling, "{attempt}: {delay:?}");
        }
        assert!(backoff(500, initial, max) <= max);
    }

    #[test]
    fn item_debug_hides_the_payload() {
        let item = Item {
            id: 1,
            queue: "q".into(),
            key: "k".into(),
            conversation: "c".into(),
            payload: b"secret message text".to_vec(),
            attempts: 1,
            state: ItemState::Pending,
            last_error: None,
            created_at: Timestamp::from_unix_millis(0),
            tenant: None,
        };
        let debug = format!("{item:?}");
        assert!(!debug.contains("secret message text") && debug.contains("payload_len: 19"), "{debug}");
    }
}
