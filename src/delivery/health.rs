//! Running destinations: a rate per destination held across replicas, and health (a destination
//! failing for too long is disabled, its items wait, and re-enabling it resumes delivery).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::{Handler, HandlerError, Item};
use crate::Timestamp;
use crate::clock::SharedClock;
use crate::store::StoreError;

/// How long a disabled destination's items wait before the worker looks again.
pub const DISABLED_RECHECK: Duration = Duration::from_secs(30);

/// What every replica knows about one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DestinationState {
    /// The destination's id (its relay queue is `relay:<name>`).
    pub name: String,
    /// When it was disabled; `None` while enabled.
    pub disabled_at: Option<Timestamp>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Its last delivered item.
    pub last_success: Option<Timestamp>,
    /// Since when every attempt has failed; `None` after a success.
    pub failing_since: Option<Timestamp>,
    /// Failed attempts since the last success.
    pub failure_streak: u32,
    /// Its rate as last configured: the interval between deliveries and the burst.
    pub rate: Option<(Duration, u32)>,
}

impl DestinationState {
    /// A destination nothing is known about yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            disabled_at: None,
            disabled_reason: None,
            last_success: None,
            failing_since: None,
            failure_streak: 0,
            rate: None,
        }
    }

    /// Whether deliveries to it go out.
    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// Where destinations' rates and health live, shared by every replica: the SQL queues
/// (`SqliteQueue`, `PostgresQueue`) keep them beside the items; [`InMemoryDestinations`] in one
/// process.
#[async_trait]
pub trait DestinationStore: Send + Sync + fmt::Debug {
    /// Takes one delivery slot of `destination` at `now` (GCRA: one slot per `interval`, up to
    /// `burst` at once); `None` when taken, `Some(wait)` when the next slot is `wait` away.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn admit(
        &self,
        destination: &str,
        interval: Duration,
        burst: u32,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreError>;

    /// Records an attempt's outcome: a delivery clears the failure streak, a failure extends
    /// it. Returns the state after.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn record(
        &self,
        destination: &str,
        delivered: bool,
        now: Timestamp,
    ) -> Result<DestinationState, StoreError>;

    /// Disables `destination` with `reason`; `true` when this call disabled it (so one replica
    /// reports it).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn disable(&self, destination: &str, reason: &str, now: Timestamp) -> Result<bool, StoreError>;

    /// Enables `destination` again and clears its failure streak; `true` when it was disabled.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn enable(&self, destination: &str) -> Result<bool, StoreError>;

    /// The state of `destination`, if anything was recorded for it.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn destination(&self, destination: &str) -> Result<Option<DestinationState>, StoreError>;

    /// Every destination with a recorded state, by name.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    async fn destinations(&self) -> Result<Vec<DestinationState>, StoreError>;
}

#[derive(Debug, Default)]
struct Row {
    state: Option<DestinationState>,
    /// GCRA's theoretical arrival time, in unix milliseconds.
    tat: i64,
}

/// A [`DestinationStore`] in this process's memory (one replica, tests).
#[derive(Debug, Default)]
pub struct InMemoryDestinations {
    rows: Mutex<HashMap<String, Row>>,
}

impl InMemoryDestinations {
    fn with<T>(&self, destination: &str, f: impl FnOnce(&mut DestinationState, &mut i64) -> T) -> T {
        let mut rows = self.rows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let row = rows.entry(destination.to_owned()).or_default();
        let state = row.state.get_or_insert_with(|| DestinationState::new(destination));
        f(state, &mut row.tat)
    }
}

/// The GCRA step shared by every engine: the new theoretical arrival time when admitted, or
/// the wait. All in unix milliseconds.
pub(crate) fn gcra(tat: i64, now: i64, interval: i64, burst: u32) -> Result<i64, i64> {
    let tolerance = interval.saturating_mul(i64::from(burst.max(1) - 1));
    let start = tat.max(now);
    if start - now <= tolerance { Ok(start.saturating_add(interval)) } else { Err(start - now - tolerance) }
}

#[async_trait]
impl DestinationStore for InMemoryDestinations {
    async fn admit(
        &self,
        destination: &str,
        interval: Duration,
        burst: u32,
        now: Timestamp,
    ) -> Result<Option<Duration>, StoreError> {
        Ok(self.with(destination, |state, tat| {
            state.rate = Some((interval, burst));
            match gcra(*tat, now.unix_millis(), super::millis(interval), burst) {
                Ok(next) => {
                    *tat = next;
                    None
                }
                Err(wait) => Some(Duration::from_millis(u64::try_from(wait).unwrap_or(0))),
            }
        }))
    }

    async fn record(
        &self,
        destination: &str,
        delivered: bool,
        now: Timestamp,
    ) -> Result<DestinationState, StoreError> {
        Ok(self.with(destination, |state, _| {
            if delivered {
                state.last_success = Some(now);
                state.failing_since = None;
                state.failure_streak = 0;
            } else {
                state.failing_since.get_or_insert(now);
                state.failure_streak = state.failure_streak.saturating_add(1);
            }
            state.clone()
        }))
    }

    async fn disable(&self, destination: &str, reason: &str, now: Timestamp) -> Result<bool, StoreError> {
        Ok(self.with(destination, |state, _| {
            if state.disabled_at.is_some() {
                return false;
            }
            state.disabled_at = Some(now);
            state.disabled_reason = Some(reason.to_owned());
            true
        }))
    }

    async fn enable(&self, destination: &str) -> Result<bool, StoreError> {
        Ok(self.with(destination, |state, _| {
            let was = state.disabled_at.take().is_some();
            state.disabled_reason = None;
            state.failing_since = None;
            state.failure_streak = 0;
            was
        }))
    }

    async fn destination(&self, destination: &str) -> Result<Option<DestinationState>, StoreError> {
        let rows = self.rows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(rows.get(destination).and_then(|row| row.state.clone()))
    }

    async fn destinations(&self) -> Result<Vec<DestinationState>, StoreError> {
        let rows = self.rows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all: Vec<DestinationState> = rows.values().filter_map(|row| row.state.clone()).collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }
}

type DisabledHook = Arc<dyn Fn(&DestinationState) + Send + Sync>;

/// A destination's [`Handler`] held to its rate and health, across every replica that shares
/// the [`DestinationStore`]:
///
/// - **rate** ([`rate`](Self::rate)): at most one delivery per interval (bursts of `burst`); an
///   item over the rate waits for its slot and the wait is not an attempt;
/// - **health** ([`disable_after`](Self::disable_after)): a destination whose every attempt has
///   failed for that long is disabled: the replica that disables it logs it and calls the hook
///   ([`on_disabled`](Self::on_disabled)); its items then wait ([`DISABLED_RECHECK`]) without
///   spending attempts, until an operator enables it again
///   ([`DestinationStore::enable`], `meta-messaging deliveries enable`).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use meta_messaging::delivery::{DestinationGuard, HandlerError, InMemoryDestinations, Item};
///
/// let store = Arc::new(InMemoryDestinations::default());
/// let deliver = |_item: Item| async { Ok::<(), HandlerError>(()) };
/// let guarded = DestinationGuard::new("acme", store, deliver)
///     .rate(20, 5) // 20 a second, bursts of 5
///     .disable_after(Duration::from_secs(5 * 24 * 3600))
///     .on_disabled(|state| eprintln!("{} disabled: {:?}", state.name, state.disabled_reason));
/// # let _ = guarded;
/// ```
pub struct DestinationGuard<H> {
    destination: String,
    store: Arc<dyn DestinationStore>,
    handler: H,
    rate: Option<(Duration, u32)>,
    disable_after: Option<Duration>,
    on_disabled: Option<DisabledHook>,
    clock: SharedClock,
}

impl<H> fmt::Debug for DestinationGuard<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DestinationGuard")
            .field("destination", &self.destination)
            .field("rate", &self.rate)
            .field("disable_after", &self.disable_after)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> DestinationGuard<H> {
    /// `handler` (an [`HttpRelay`](super::HttpRelay), say) for `destination`, with no rate and no
    /// disabling until configured.
    pub fn new(destination: impl Into<String>, store: Arc<dyn DestinationStore>, handler: H) -> Self {
        Self {
            destination: destination.into(),
            store,
            handler,
            rate: None,
            disable_after: None,
            on_disabled: None,
            clock: crate::clock::system(),
        }
    }

    /// At most `per_second` deliveries a second to this destination, across replicas, in
    /// bursts of up to `burst`. Zero turns the limit off.
    #[must_use]
    pub fn rate(mut self, per_second: u32, burst: u32) -> Self {
        self.rate = (per_second > 0).then(|| (Duration::from_secs(1) / per_second, burst.max(1)));
        self
    }

    /// Disables the destination once every attempt has failed for `after` (Svix: 5 days).
    #[must_use]
    pub fn disable_after(mut self, after: Duration) -> Self {
        self.disable_after = Some(after);
        self
    }

    /// Called by the replica that disables the destination, with its state.
    #[must_use]
    pub fn on_disabled(mut self, hook: impl Fn(&DestinationState) + Send + Sync + 'static) -> Self {
        self.on_disabled = Some(Arc::new(hook));
        self
    }

    /// Reads the time from `clock` (use the queue's in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    async fn after_failure(&self, now: Timestamp) -> Result<(), StoreError> {
        let state = self.store.record(&self.destination, false, now).await?;
        let Some(after) = self.disable_after else { return Ok(()) };
        let Some(since) = state.failing_since else { return Ok(()) };
        if since.saturating_add(after) > now {
            return Ok(());
        }
        let reason =
            format!("every attempt failed for {}s ({} attempts)", after.as_secs(), state.failure_streak);
        if self.store.disable(&self.destination, &reason, now).await? {
            tracing::warn!(destination = %self.destination, %reason, "destination disabled");
            if let (Some(hook), Some(state)) =
                (&self.on_disabled, self.store.destination(&self.destination).await?)
            {
                hook(&state);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl<H: Handler> Handler for DestinationGuard<H> {
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        let now = self.clock.now();
        if let Some(state) = self.store.destination(&self.destination).await? {
            if !state.is_enabled() {
                return Err(HandlerError::wait("destination disabled", DISABLED_RECHECK));
            }
        }
        if let Some((interval, burst)) = self.rate {
            if let Some(wait) = self.store.admit(&self.destination, interval, burst, now).await? {
                return Err(HandlerError::wait("destination rate limit", wait));
            }
        }
        let outcome = self.handler.handle(item).await;
        let recorded = match &outcome {
            Ok(()) => self.store.record(&self.destination, true, self.clock.now()).await.map(|_| ()),
            Err(error) if error.is_wait() => Ok(()),
            Err(_) => self.after_failure(self.clock.now()).await,
        };
        if let Err(error) = recorded {
            tracing::warn!(destination = %self.destination, %error, "could not record the destination's health");
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_admits_a_burst_then_one_per_interval() {
        let (interval, burst) = (100, 3);
        let mut tat = 0;
        for _ in 0..3 {
            tat = gcra(tat, 1_000, interval, burst).unwrap();
        }
        assert_eq!(gcra(tat, 1_000, interval, burst), Err(100), "the burst is spent");
        assert!(gcra(tat, 1_100, interval, burst).is_ok(), "one slot an interval later");
        assert_eq!(gcra(0, 5_000, interval, 1), Ok(5_100), "an idle destination starts from now");
    }
}
