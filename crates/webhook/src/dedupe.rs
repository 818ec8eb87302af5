//! Deduplication of Meta's redeliveries.
//!
//! Meta delivers webhooks at least once: a slow answer, a timeout or a network blip and the same
//! event arrives again, sometimes days later. A [`Deduplicator`] remembers the
//! [`dedupe_key`](super::Event::dedupe_key) of each event for a TTL and tells whether an event
//! is new. Check after the signature (so forged requests cannot fill it) and before side
//! effects. [`InMemoryDeduplicator`] serves one process; several replicas need a shared store
//! (Redis, PostgreSQL) implementing the same trait.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{Event, Webhook};
use crate::Timestamp;
use crate::clock::{SharedClock, system};
use crate::store::StoreError;

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
    /// [`StoreError`] when the backing store fails; the caller decides whether to process the
    /// event anyway (at-least-once) or to answer Meta with an error so it redelivers.
    async fn first_seen(&self, key: &str) -> Result<bool, StoreError>;

    /// Two-phase dedupe, first phase: claims `key` for [`CLAIM_TTL`] only, and returns `true`
    /// when it was neither claimed nor committed. Follow with [`commit`](Self::commit) once the
    /// event's work is durable, or [`release`](Self::release) when it failed, so Meta's
    /// redelivery is processed instead of dropped as a duplicate. A process that dies between
    /// the phases leaves a claim that expires by itself.
    ///
    /// The default is the one-phase [`first_seen`](Self::first_seen) (its key is remembered
    /// for the full TTL at once, and `commit` and `release` do nothing).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backing store fails.
    async fn claim(&self, key: &str) -> Result<bool, StoreError> {
        self.first_seen(key).await
    }

    /// Second phase, success: remembers a claimed `key` for the full TTL.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backing store fails (the claim then expires, and a redelivery is
    /// processed again: at least once).
    async fn commit(&self, key: &str) -> Result<(), StoreError> {
        let _ = key;
        Ok(())
    }

    /// Second phase, failure: forgets a claimed `key`, so a redelivery is processed.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backing store fails (the claim then expires by itself).
    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let _ = key;
        Ok(())
    }
}

/// How long a two-phase [`claim`](Deduplicator::claim) holds a key before it expires by itself
/// (its holder died between the phases): 5 minutes, well inside Meta's redelivery schedule.
pub const CLAIM_TTL: Duration = Duration::from_secs(300);

/// Keeps the events of `webhook` seen for the first time, in order; events without a
/// [`dedupe_key`](Event::dedupe_key) are always kept.
///
/// # Errors
///
/// The first [`StoreError`] of the store.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use meta_messaging_webhook::{InMemoryDeduplicator, new_events, parse};
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
) -> Result<Vec<Event<'a>>, StoreError> {
    let fresh = fresh_flags(deduplicator, webhook, OnStoreError::Fail).await?;
    Ok(webhook.events().zip(fresh).filter_map(|(event, fresh)| fresh.then_some(event)).collect())
}

/// What [`fresh_flags`] does when the store fails part-way through a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnStoreError {
    /// Return the error: the caller answers Meta with an error and it redelivers.
    Fail,
    /// Count this event and the rest of the body as fresh (at least once: duplicates possible,
    /// nothing dropped), logging a warning.
    KeepAll,
}

/// One flag per event of `webhook`, in order: `true` for an event seen for the first time (or
/// one without a [`dedupe_key`](Event::dedupe_key)).
///
/// # Errors
///
/// With [`OnStoreError::Fail`], the first [`StoreError`] of the store.
pub async fn fresh_flags(
    deduplicator: &dyn Deduplicator,
    webhook: &Webhook,
    on_error: OnStoreError,
) -> Result<Vec<bool>, StoreError> {
    let mut flags = Vec::new();
    let mut store_failed = false;
    for event in webhook.events() {
        let fresh = match event.dedupe_key() {
            Some(key) if !store_failed => match deduplicator.first_seen(&key).await {
                Ok(first) => first,
                Err(error) if on_error == OnStoreError::KeepAll => {
                    tracing::warn!(%error, "webhook dedupe store failed; keeping the rest of the body");
                    store_failed = true;
                    true
                }
                Err(error) => return Err(error),
            },
            _ => true,
        };
        flags.push(fresh);
    }
    Ok(flags)
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
/// # async fn run() -> Result<(), meta_messaging_webhook::StoreError> {
/// use std::time::Duration;
/// use meta_messaging_webhook::{Deduplicator, InMemoryDeduplicator};
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
    /// Two independently seeded hashers: a key is remembered by its 128-bit fingerprint, so
    /// no key text is copied or kept (a false "duplicate" needs a 128-bit collision under
    /// seeds drawn at start; keys come only from bodies Meta signed).
    hashers: [std::hash::RandomState; 2],
}

/// A key's 128-bit fingerprint.
type Fingerprint = u128;

/// Hashes a fingerprint by taking its low bits: it is already a hash.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    #[allow(clippy::cast_possible_truncation)] // the low half is the point
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

#[derive(Default)]
struct Shard {
    expiry: HashMap<Fingerprint, Timestamp, BuildHasherDefault<Identity>>,
    order: VecDeque<(Fingerprint, Timestamp)>,
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
                hashers: [std::hash::RandomState::new(), std::hash::RandomState::new()],
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

    fn fingerprint(&self, key: &str) -> Fingerprint {
        let [high, low] = &self.inner.hashers;
        (u128::from(high.hash_one(key)) << 64) | u128::from(low.hash_one(key))
    }

    fn shard(&self, fingerprint: Fingerprint) -> std::sync::MutexGuard<'_, Shard> {
        let index = usize::try_from((fingerprint >> 64) % SHARDS as u128).unwrap_or(0);
        match self.inner.shards[index].lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Forgets `key` (its entry in the expiry queue is skipped when swept).
    fn forget(&self, key: &str) {
        let fingerprint = self.fingerprint(key);
        self.shard(fingerprint).expiry.remove(&fingerprint);
    }

    fn check(&self, key: &str) -> bool {
        let inner = &*self.inner;
        let now = inner.clock.now();
        let key = self.fingerprint(key);
        let mut shard = self.shard(key);
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
        if shard.expiry.get(&key).is_some_and(|expiry| *expiry > now) {
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
        let expiry = now.saturating_add(inner.ttl);
        shard.expiry.insert(key, expiry);
        shard.order.push_back((key, expiry));
        true
    }
}

#[async_trait]
impl Deduplicator for InMemoryDeduplicator {
    async fn first_seen(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.check(key))
    }

    /// In memory a claim holds the key for the full TTL (a crash forgets everything anyway);
    /// [`release`](Deduplicator::release) forgets it.
    async fn claim(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.check(key))
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.forget(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn a_released_claim_lets_the_redelivery_through() {
        let dedupe = InMemoryDeduplicator::default();
        assert!(dedupe.claim("k").await.unwrap());
        assert!(!dedupe.claim("k").await.unwrap(), "claimed: a concurrent delivery is a duplicate");
        dedupe.release("k").await.unwrap();
        assert!(dedupe.claim("k").await.unwrap(), "released: the redelivery is processed");
        dedupe.commit("k").await.unwrap();
        assert!(!dedupe.first_seen("k").await.unwrap());
    }

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
