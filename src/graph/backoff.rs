//! Usage-aware backoff: slow or pause a business id's calls when the usage headers say its
//! limit is near or reached, before Meta rejects them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::usage::Usage;
use super::{Error, ErrorKind};

/// How the client reacts to rate-limit usage headers.
///
/// When a response reports a business use case (or the app) with an
/// `estimated_time_to_regain_access`, the client holds further calls to that business id (the
/// first path segment: a WABA, Page or ad account id) until then: it waits if the pause fits in
/// the call's total timeout, and fails fast with [`ErrorKind::RateLimited`] and
/// [`Error::retry_after`] otherwise. While usage is at or above the threshold without a pause,
/// calls to that id are spaced by `slowdown`.
///
/// ```
/// use std::time::Duration;
/// use meta_messaging::graph::UsageBackoff;
///
/// let backoff = UsageBackoff::default().threshold(90.0).slowdown(Duration::from_millis(500));
/// assert!(UsageBackoff::disabled() != backoff);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UsageBackoff {
    enabled: bool,
    threshold: f64,
    slowdown: Duration,
}

impl Default for UsageBackoff {
    /// On, slowing at 95 % usage by 1 second per call.
    fn default() -> Self {
        Self { enabled: true, threshold: 95.0, slowdown: Duration::from_secs(1) }
    }
}

impl UsageBackoff {
    /// Never slow down or pause.
    pub fn disabled() -> Self {
        Self { enabled: false, ..Self::default() }
    }

    /// The usage percentage from which calls are spaced.
    #[must_use]
    pub fn threshold(mut self, percent: f64) -> Self {
        self.threshold = percent;
        self
    }

    /// The spacing of calls above the threshold.
    #[must_use]
    pub fn slowdown(mut self, slowdown: Duration) -> Self {
        self.slowdown = slowdown;
        self
    }
}

/// The key of app-wide limits (`X-App-Usage`), which apply to every call.
const APP: &str = "*";

#[derive(Debug, Clone, Copy)]
enum State {
    Paused(Instant),
    Slow(Instant),
}

#[derive(Debug)]
pub(crate) struct UsageGate {
    config: UsageBackoff,
    states: Mutex<HashMap<String, State>>,
}

impl UsageGate {
    pub(crate) fn new(config: UsageBackoff) -> Self {
        Self { config, states: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.states.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits (or fails) before a call to `business_id`, within `budget`.
    pub(crate) async fn before(&self, business_id: &str, budget: Duration) -> Result<(), Error> {
        if !self.config.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let wait = {
            let mut states = self.lock();
            let mut wait = Duration::ZERO;
            for key in [APP, business_id] {
                match states.get(key).copied() {
                    Some(State::Paused(until)) if until > now => wait = wait.max(until - now),
                    Some(State::Paused(_)) => {
                        states.remove(key);
                    }
                    Some(State::Slow(next)) => {
                        let slot = next.max(now);
                        states.insert(key.to_owned(), State::Slow(slot + self.config.slowdown));
                        wait = wait.max(slot - now);
                    }
                    None => {}
                }
            }
            wait
        };
        if wait.is_zero() {
            return Ok(());
        }
        if wait > budget {
            let mut error = Error::with_kind_and_source(
                ErrorKind::RateLimited,
                "paused locally: the usage headers say this business id is throttled",
                None,
            );
            error.set_retry_after(Some(wait));
            return Err(error);
        }
        tracing::debug!(business_id, ?wait, "usage-aware backoff");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Learns from a response's usage headers.
    pub(crate) fn observe(&self, usage: &Usage) {
        if !self.config.enabled || usage.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut states = self.lock();
        let mut apply =
            |key: &str, percent: f64, regain: Option<Duration>| match regain.filter(|d| !d.is_zero()) {
                Some(regain) => {
                    states.insert(key.to_owned(), State::Paused(now + regain));
                }
                None if percent >= self.config.threshold => {
                    states.entry(key.to_owned()).or_insert(State::Slow(now));
                }
                None => {
                    states.remove(key);
                }
            };
        if let Some(app) = &usage.app {
            apply(APP, app.max_percent(), app.estimated_time_to_regain_access);
        }
        for buc in &usage.business_use_case {
            apply(&buc.business_id, buc.max_percent(), Some(buc.estimated_time_to_regain_access));
        }
    }
}
