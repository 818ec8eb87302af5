//! A queue in this process's memory: for tests and demos (nothing survives the process).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::{Attempt, Item, ItemState, NewItem, Queue, Retry};
use crate::Timestamp;
use crate::store::StoreError;

#[derive(Debug)]
struct Row {
    item: Item,
    next_attempt_at: Timestamp,
    lease_owner: Option<String>,
    lease_until: Timestamp,
    updated_at: Timestamp,
    /// The attempt log, as the SQL engines keep it: one JSON line per attempt, bounded.
    log: String,
}

#[derive(Debug, Default)]
struct State {
    next_id: i64,
    rows: BTreeMap<i64, Row>,
    keys: HashMap<(String, String), i64>,
}

/// A [`Queue`] in memory, with the same semantics as the durable engines (dedupe, leases,
/// per-conversation order, dead letters) but none of their durability.
#[derive(Debug)]
pub struct InMemoryQueue {
    state: Mutex<State>,
    clock: crate::clock::SharedClock,
}

impl Default for InMemoryQueue {
    fn default() -> Self {
        Self { state: Mutex::default(), clock: crate::clock::system() }
    }
}

impl InMemoryQueue {
    /// Reads the time from `clock` instead of the system clock: due times, leases and
    /// backoff then follow a [`ManualClock`](crate::clock::ManualClock) in tests.
    #[must_use]
    pub fn with_clock(mut self, clock: crate::clock::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Completes (no failure) or fails a leased item, logging `attempt`; `false` when `owner`
    /// does not hold it.
    fn settle(
        &self,
        id: i64,
        owner: &str,
        failure: Option<(&str, Retry)>,
        attempt: Option<&Attempt>,
    ) -> bool {
        let mut state = self.lock();
        let Some(row) = state.rows.get_mut(&id).filter(|row| leased_by(row, owner)) else { return false };
        row.lease_owner = None;
        row.updated_at = self.clock.now();
        if let Some(attempt) = attempt {
            Attempt::append(&mut row.log, attempt);
        }
        match failure {
            None => row.item.state = ItemState::Done,
            Some((error, retry)) => {
                row.item.last_error = Some(error.to_owned());
                row.lease_until = Timestamp::from_unix_millis(0);
                match retry {
                    Retry::At(at) => row.next_attempt_at = at,
                    Retry::Never => row.item.state = ItemState::Dead,
                }
            }
        }
        true
    }
}

fn leased_by(row: &Row, owner: &str) -> bool {
    row.item.state == ItemState::Pending && row.lease_owner.as_deref() == Some(owner)
}

#[async_trait]
impl Queue for InMemoryQueue {
    async fn enqueue(&self, queue: &str, items: &[NewItem]) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let now = self.clock.now();
        let mut stored = 0;
        for new in items {
            let key = (queue.to_owned(), new.key.clone());
            if state.keys.contains_key(&key) {
                continue;
            }
            state.next_id += 1;
            let id = state.next_id;
            state.keys.insert(key, id);
            let item = Item {
                id,
                queue: queue.to_owned(),
                key: new.key.clone(),
                conversation: new.conversation.clone(),
                payload: new.payload.clone(),
                attempts: 0,
                state: ItemState::Pending,
                last_error: None,
                created_at: now,
                tenant: new.tenant.clone(),
            };
            let lease_until = Timestamp::from_unix_millis(0);
            state.rows.insert(
                id,
                Row {
                    item,
                    next_attempt_at: now,
                    lease_owner: None,
                    lease_until,
                    updated_at: now,
                    log: String::new(),
                },
            );
            stored += 1;
        }
        Ok(stored)
    }

    async fn claim(
        &self,
        queue: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Item>, StoreError> {
        let mut state = self.lock();
        let now = self.clock.now();
        let mut ready = Vec::new();
        {
            // Rows are in enqueue order: once `limit` items are ready, later rows cannot change
            // which ones are (a conversation's head always comes before the rest of it).
            let mut heads_seen: HashSet<&str> = HashSet::new();
            for (id, row) in &state.rows {
                if ready.len() >= limit {
                    break;
                }
                if row.item.queue != queue || row.item.state != ItemState::Pending {
                    continue;
                }
                // Only the oldest pending item of a conversation may be claimed.
                if !heads_seen.insert(row.item.conversation.as_str()) {
                    continue;
                }
                if row.next_attempt_at <= now && row.lease_until <= now {
                    ready.push(*id);
                }
            }
        }
        let mut claimed = Vec::with_capacity(ready.len());
        for id in ready {
            if let Some(row) = state.rows.get_mut(&id) {
                row.lease_owner = Some(owner.to_owned());
                row.lease_until = now.saturating_add(lease);
                row.item.attempts += 1;
                row.updated_at = now;
                claimed.push(row.item.clone());
            }
        }
        Ok(claimed)
    }

    async fn complete(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        Ok(self.settle(id, owner, None, None))
    }

    async fn fail(&self, id: i64, owner: &str, error: &str, retry: Retry) -> Result<bool, StoreError> {
        Ok(self.settle(id, owner, Some((error, retry)), None))
    }

    async fn complete_logged(&self, id: i64, owner: &str, attempt: &Attempt) -> Result<bool, StoreError> {
        Ok(self.settle(id, owner, None, Some(attempt)))
    }

    async fn fail_logged(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry: Retry,
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        Ok(self.settle(id, owner, Some((error, retry)), Some(attempt)))
    }

    async fn postpone(&self, id: i64, owner: &str, until: Timestamp) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(row) = state.rows.get_mut(&id).filter(|row| leased_by(row, owner)) else { return Ok(false) };
        row.item.attempts = row.item.attempts.saturating_sub(1);
        row.next_attempt_at = until;
        row.lease_owner = None;
        row.lease_until = Timestamp::from_unix_millis(0);
        row.updated_at = self.clock.now();
        Ok(true)
    }

    async fn attempt_log(&self, id: i64) -> Result<Vec<Attempt>, StoreError> {
        Ok(self.lock().rows.get(&id).map(|row| Attempt::parse_log(&row.log)).unwrap_or_default())
    }

    async fn release_leases(&self, queue: &str, owner: &str) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let mut released = 0;
        for row in state.rows.values_mut() {
            if row.item.queue == queue && leased_by(row, owner) {
                row.lease_owner = None;
                row.lease_until = Timestamp::from_unix_millis(0);
                released += 1;
            }
        }
        Ok(released)
    }

    async fn purge_tenant(&self, tenant: &str) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let doomed: Vec<i64> = state
            .rows
            .iter()
            .filter(|(_, row)| row.item.tenant.as_deref() == Some(tenant))
            .map(|(id, _)| *id)
            .collect();
        for id in &doomed {
            if let Some(row) = state.rows.remove(id) {
                state.keys.remove(&(row.item.queue, row.item.key));
            }
        }
        Ok(doomed.len() as u64)
    }

    async fn dead_letters(&self, queue: &str, limit: usize) -> Result<Vec<Item>, StoreError> {
        let state = self.lock();
        Ok(state
            .rows
            .values()
            .filter(|row| row.item.queue == queue && row.item.state == ItemState::Dead)
            .take(limit)
            .map(|row| row.item.clone())
            .collect())
    }

    async fn list(&self, queue: &str, state: ItemState, limit: usize) -> Result<Vec<Item>, StoreError> {
        let locked = self.lock();
        Ok(locked
            .rows
            .values()
            .filter(|row| row.item.queue == queue && row.item.state == state)
            .take(limit)
            .map(|row| row.item.clone())
            .collect())
    }

    async fn replay(&self, id: i64) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(row) = state.rows.get_mut(&id).filter(|row| row.item.state != ItemState::Pending) else {
            return Ok(false);
        };
        let now = self.clock.now();
        row.item.state = ItemState::Pending;
        row.item.attempts = 0;
        row.next_attempt_at = now;
        row.lease_until = Timestamp::from_unix_millis(0);
        row.updated_at = now;
        Ok(true)
    }

    async fn counts(&self, queue: &str) -> Result<(u64, u64, u64), StoreError> {
        let state = self.lock();
        let mut counts = (0, 0, 0);
        for row in state.rows.values().filter(|row| row.item.queue == queue) {
            match row.item.state {
                ItemState::Pending => counts.0 += 1,
                ItemState::Done => counts.1 += 1,
                ItemState::Dead => counts.2 += 1,
            }
        }
        Ok(counts)
    }

    async fn purge_completed(&self, older_than: Timestamp) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let old: Vec<(i64, String, String)> = state
            .rows
            .iter()
            .filter(|(_, row)| row.item.state == ItemState::Done && row.updated_at < older_than)
            .map(|(id, row)| (*id, row.item.queue.clone(), row.item.key.clone()))
            .collect();
        for (id, queue, key) in &old {
            state.rows.remove(id);
            state.keys.remove(&(queue.clone(), key.clone()));
        }
        Ok(old.len() as u64)
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
