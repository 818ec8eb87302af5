//! Holds: a key set aside in a scope until a time, the same on every replica (a recipient Meta
//! said to leave alone, a conversation a person took over).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::marketing::{MarketingStore, Reach};
use crate::Timestamp;
use crate::store::StoreError;

/// Where holds live: every replica that shares the store sees the same ones. Implemented in
/// memory ([`InMemoryLimits`]) and on Redis (`store::RedisLimits`, feature `redis`).
#[async_trait]
pub trait HoldStore: Send + Sync + fmt::Debug {
    /// Holds `key` in `scope` until `until`; a hold is raised, never shortened.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn hold(&self, scope: &str, key: &str, until: Timestamp) -> Result<(), StoreError>;

    /// Until when `key` is held in `scope`, if it is at `now`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn held_until(
        &self,
        scope: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError>;

    /// Ends the hold of `key` in `scope` now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError>;

    /// Forgets every hold of `scope` (a tenant erased); returns how many there were.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn forget_holds(&self, scope: &str) -> Result<u64, StoreError>;
}

#[async_trait]
impl<S: HoldStore + ?Sized> HoldStore for Arc<S> {
    async fn hold(&self, scope: &str, key: &str, until: Timestamp) -> Result<(), StoreError> {
        (**self).hold(scope, key, until).await
    }

    async fn held_until(
        &self,
        scope: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        (**self).held_until(scope, key, now).await
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        (**self).release(scope, key).await
    }

    async fn forget_holds(&self, scope: &str) -> Result<u64, StoreError> {
        (**self).forget_holds(scope).await
    }
}

pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

pub(super) fn duration_between(from: Timestamp, to: Timestamp) -> Duration {
    Duration::from_millis(u64::try_from(to.unix_millis().saturating_sub(from.unix_millis())).unwrap_or(0))
}

/// Holds and marketing reach in this process: one replica, or tests (share it with an `Arc`).
/// `store::RedisLimits` is the same for replicas.
#[derive(Debug, Default)]
pub struct InMemoryLimits {
    holds: Mutex<HashMap<String, HashMap<String, Timestamp>>>,
    reached: Mutex<HashMap<String, Reached>>,
}

/// One scope's recipients in the window: by name, and in the order first counted (so expiry
/// pops from the front instead of scanning every recipient at every send).
#[derive(Debug, Default)]
struct Reached {
    first_seen: HashMap<String, Timestamp>,
    order: VecDeque<(Timestamp, String)>,
}

impl Reached {
    fn expire(&mut self, since: Timestamp) {
        while let Some((first, recipient)) = self.order.front() {
            if *first > since {
                break;
            }
            if self.first_seen.get(recipient) == Some(first) {
                self.first_seen.remove(recipient);
            }
            self.order.pop_front();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl HoldStore for InMemoryLimits {
    async fn hold(&self, scope: &str, key: &str, until: Timestamp) -> Result<(), StoreError> {
        let mut holds = lock(&self.holds);
        let entry = holds.entry(scope.to_owned()).or_default().entry(key.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
        Ok(())
    }

    async fn held_until(
        &self,
        scope: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let mut holds = lock(&self.holds);
        let Some(scoped) = holds.get_mut(scope) else { return Ok(None) };
        match scoped.get(key).copied() {
            Some(until) if until > now => Ok(Some(until)),
            Some(_) => {
                scoped.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        if let Some(scoped) = lock(&self.holds).get_mut(scope) {
            scoped.remove(key);
        }
        Ok(())
    }

    async fn forget_holds(&self, scope: &str) -> Result<u64, StoreError> {
        Ok(lock(&self.holds).remove(scope).map_or(0, |scoped| scoped.len() as u64))
    }
}

#[async_trait]
impl MarketingStore for InMemoryLimits {
    async fn reach(
        &self,
        scope: &str,
        recipient: &str,
        now: Timestamp,
        window: Duration,
        limit: u64,
    ) -> Result<Reach, StoreError> {
        let mut reached = lock(&self.reached);
        let scoped = reached.entry(scope.to_owned()).or_default();
        scoped.expire(Timestamp::from_unix_millis(now.unix_millis().saturating_sub(millis(window))));
        if scoped.first_seen.contains_key(recipient) {
            return Ok(Reach::Counted);
        }
        if (scoped.first_seen.len() as u64) < limit {
            scoped.first_seen.insert(recipient.to_owned(), now);
            scoped.order.push_back((now, recipient.to_owned()));
            return Ok(Reach::Counted);
        }
        let oldest = scoped.order.front().map_or(now, |(first, _)| *first);
        Ok(Reach::Spent { retry_after: duration_between(now, oldest.saturating_add(window)) })
    }

    async fn forget_reach(&self, scope: &str) -> Result<u64, StoreError> {
        Ok(lock(&self.reached).remove(scope).map_or(0, |scoped| scoped.first_seen.len() as u64))
    }
}
