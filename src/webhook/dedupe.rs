//! Deduplication of Meta's redeliveries.
//!
//! Meta delivers webhooks at least once: a slow answer, a timeout or a network blip and the same
//! event arrives again, sometimes days later. A [`Deduplicator`] remembers the
//! [`dedupe_key`](super::Event::dedupe_key) of each event for a TTL and tells whether an event
//! is new. Check after the signature (so forged requests cannot fill it) and before side
//! effects. [`InMemoryDeduplicator`] serves one process; several replicas need a shared store
//! (Redis, PostgreSQL) implementing the same trait.

use std::collections::{HashMap, VecDeque};
use std::error::Error as StdError;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{Event, Webhook};
use crate::Timestamp;
use crate::clock::{SharedClock, system};

/// The default TTL: 7 days, the longest retry window Meta is reported to use for WhatsApp.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A store of recently seen event keys.
///
/// Implementations must be atomic: when several tasks or processes race on the same key,
/// exactly one of them gets `true`.
#[async_trait]
pub trait Deduplicator: Send + Sync + fmt::Debug {
    /// Records `key` and returns `true` if it was not seen within the TTL (first delivery),
    /// `false` for a redelivery.
    ///
    /// # Errors
    ///
    /// [`DedupeError`] when the backing store fails; the caller decides whether to process the
    /// event anyway (at-least-once) or to answer Meta with an error so it redelivers.
    async fn first_seen(&self, key: &str) -> Result<bool, DedupeError>;
}

/// A deduplication store failed.
#[derive(Debug, thiserror::Error)]
#[error("webhook dedupe store failed: {message}")]
pub struct DedupeError {
    message: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl DedupeError {
    /// An error of a backing store, for implementers.
    pub fn backend(message: impl Into<String>, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { message: message.into(), source: Some(source.into()) }
    }

    /// An error with a message only.
    pub fn message(message: impl Into<String>) -> Self {
        Self { message: message.into(), source: None }
    }
}

/// Keeps the events of `webhook` seen for the first time, in order; events without a
/// [`dedupe_key`](Event::dedupe_key) are always kept.
///
/// # Errors
///
/// The first [`DedupeError`] of the store.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use meta_messaging::webhook::{InMemoryDeduplicator, new_events, parse};
///
/// let dedupe = InMemoryDeduplicator::default();
/// let body = br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},
///     "recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_1","text":"hi"}}]}]}"#;
/// let webhook = parse(body)?;
/// assert_eq!(new_events(&dedupe, &webhook).await?.len(), 1);
/// assert_eq!(new_events(&dedupe, &webhook).await?.len(), 0); // a redelivery
/// # Ok(()) }
/// ```
pub async fn new_events<'a>(
    deduplicator: &dyn Deduplicator,
    webhook: &'a Webhook,
) -> Result<Vec<Event<'a>>, DedupeError> {
    let mut fresh = Vec::new();
    for event in webhook.events() {
        let keep = match event.dedupe_key() {
            Some(key) => deduplicator.first_seen(&key).await?,
            None => true,
        };
        if keep {
            fresh.push(event);
        }
    }
    Ok(fresh)
}

/// A key for a whole body: `sha256:<hex>` of its bytes, for events without their own key.
pub fn body_digest(body: &[u8]) -> String {
    format!("sha256:{}", crate::util::hex_encode(&Sha256::digest(body)))
}

const SHARDS: usize = 16;

/// A bounded, concurrent, in-process deduplicator with a TTL.
///
/// Keys expire after the TTL; when a shard is full, its oldest keys are dropped first (so a
/// flood of new events can shorten how long old ones are remembered, never grow memory).
///
/// ```
/// # async fn run() -> Result<(), meta_messaging::webhook::DedupeError> {
/// use std::time::Duration;
/// use meta_messaging::webhook::{Deduplicator, InMemoryDeduplicator};
///
/// let dedupe = InMemoryDeduplicator::new(100_000, Duration::from_secs(24 * 3600));
/// assert!(dedupe.first_seen("whatsapp:message:wamid.1").await?);
/// assert!(!dedupe.first_seen("whatsapp:message:wamid.1").await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct InMemoryDeduplicator {
    inner: Arc<Inner>,
}

struct Inner {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    ttl: Duration,
    clock: SharedClock,
    hasher: RandomState,
}

#[derive(Default)]
struct Shard {
    expiry: HashMap<Arc<str>, Timestamp>,
    order: VecDeque<(Arc<str>, Timestamp)>,
}

impl fmt::Debug for InMemoryDeduplicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryDeduplicator")
            .field("capacity", &(self.inner.per_shard * SHARDS))
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl Default for InMemoryDeduplicator {
    /// One million keys, [`DEFAULT_TTL`].
    fn default() -> Self {
        Self::new(1_000_000, DEFAULT_TTL)
    }
}

impl InMemoryDeduplicator {
    /// Remembers up to `capacity` keys (at least one per shard) for `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self::with_clock(capacity, ttl, system())
    }

    /// Like [`new`](Self::new) with an injected clock (tests).
    pub fn with_clock(capacity: usize, ttl: Duration, clock: SharedClock) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        Self {
            inner: Arc::new(Inner {
                shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
                per_shard,
                ttl,
                clock,
                hasher: RandomState::new(),
            }),
        }
    }

    /// How many keys are remembered now (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.inner.shards.iter().map(|s| s.lock().map_or(0, |s| s.expiry.len())).sum()
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self, key: &str) -> bool {
        let inner = &*self.inner;
        let now = inner.clock.now();
        let index = usize::try_from(inner.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
        let mut shard = match inner.shards[index].lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let shard = &mut *shard;
        // Sweep expired keys from the front (insertion order is expiry order: one TTL).
        while let Some((old, expiry)) = shard.order.front() {
            if *expiry > now {
                break;
            }
            if shard.expiry.get(old) == Some(expiry) {
                shard.expiry.remove(old);
            }
            shard.order.pop_front();
        }
        if shard.expiry.get(key).is_some_and(|expiry| *expiry > now) {
            return false;
        }
        while shard.expiry.len() >= inner.per_shard {
            let Some((old, expiry)) = shard.order.pop_front() else {
                break;
            };
            if shard.expiry.get(&old) == Some(&expiry) {
                shard.expiry.remove(&old);
            }
        }
        let key: Arc<str> = Arc::from(key);
        let expiry = now.saturating_add(inner.ttl);
        shard.expiry.insert(Arc::clone(&key), expiry);
        shard.order.push_back((key, expiry));
        true
    }
}

#[async_trait]
impl Deduplicator for InMemoryDeduplicator {
    async fn first_seen(&self, key: &str) -> Result<bool, DedupeError> {
        Ok(self.check(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn keys_expire_after_the_ttl() {
        let clock = ManualClock::new(Timestamp::from_unix_seconds(1_000));
        let dedupe = InMemoryDeduplicator::with_clock(100, Duration::from_secs(60), Arc::new(clock.clone()));
        assert!(dedupe.check("a"));
        assert!(!dedupe.check("a"));
        clock.advance(Duration::from_secs(59));
        assert!(!dedupe.check("a"));
        clock.advance(Duration::from_secs(1));
        assert!(dedupe.check("a"), "expired after the ttl");
        assert!(!dedupe.check("a"));
    }

    #[test]
    fn capacity_is_bounded() {
        let dedupe = InMemoryDeduplicator::new(SHARDS * 4, Duration::from_secs(3600));
        for i in 0..10_000 {
            assert!(dedupe.check(&format!("key-{i}")));
        }
        assert!(dedupe.len() <= SHARDS * 4, "{}", dedupe.len());
        // The newest keys are still remembered.
        assert!(!dedupe.check("key-9999"));
    }

    #[test]
    fn concurrent_racers_let_exactly_one_through() {
        let dedupe = InMemoryDeduplicator::default();
        let winners: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..1000).filter(|i| dedupe.check(&format!("event-{i}"))).count()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(winners, 1000);
    }

    #[test]
    fn body_digest_is_sha256_hex() {
        assert_eq!(
            body_digest(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
