//! Pacing: send at the rates Meta accepts instead of learning them from errors.
//!
//! WhatsApp enforces two limits on sends ([throughput](https://developers.facebook.com/docs/whatsapp/throughput)
//! and [pair rate](https://developers.facebook.com/docs/whatsapp/cloud-api/overview#pair-rate-limits)):
//! - **throughput** per business phone number: 80 messages per second by default, up to 1,000
//!   after an automatic upgrade (error 130429 when exceeded);
//! - the **pair rate** from one business number to one user: about one message every 6 seconds,
//!   with short bursts borrowing from later (error 131056).
//!
//! A [`Pacer`] holds one limiter per phone number and one per (phone number, recipient), both
//! GCRA reservations: each send reserves the earliest slot both allow, so concurrent senders
//! never over-admit and each gets a first-come slot. The pair slot is reserved first, so a busy
//! recipient waits on its own limiter without holding the phone number's capacity: other
//! recipients are not stalled. With [`PacingPolicy::Wait`] a send sleeps until its slot (at most
//! `max_wait`); with [`PacingPolicy::FailFast`] it fails at once with
//! [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) and
//! [`retry_after`](crate::Error::retry_after). Attach a pacer to a handle with
//! [`WhatsApp::with_guard`](crate::whatsapp::WhatsApp::with_guard): a pacer is a [`SendGuard`].
//!
//! A cancelled wait keeps its reserved slot: the pacer may under-use a slot, never over-admit.
//!
//! [`window`] tracks the 24-hour customer-service window. Two more guards keep sends out of walls
//! that are not rates: a [`MarketingGovernor`] (recipients Meta refused a marketing message with
//! `131049`, held for 24 hours; a portfolio's unique-recipient budget) and a [`Handoff`] (a bot
//! paused while a person answers from the WhatsApp Business app). Both keep their state in a
//! [`HoldStore`] every replica shares.

mod handoff;
mod hold;
mod marketing;
mod shared;
pub mod window;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use async_trait::async_trait;

use crate::graph::{Error, Outbound, SendGuard};
use crate::webhook::Webhook;
use crate::whatsapp::account::{PhoneNumber, ThroughputLevel};

pub(crate) use handoff::hold_scope as handoff_scope;
pub use handoff::{HANDOFF_PAUSE, Handoff};
pub use hold::{HoldStore, InMemoryLimits};
pub(crate) use marketing::hold_scope as marketing_scope;
pub use marketing::{
    MARKETING_HOLD, MARKETING_LIMIT_CODE, MarketingGovernor, MarketingStore, REACH_WINDOW, Reach,
};
pub use shared::{Admission, OutagePolicy, Reservation, SharedLimits};
pub use window::{InMemoryWindowStore, WindowStatus, WindowStore, WindowTracker};

/// Meta's default throughput, messages per second per phone number.
pub const DEFAULT_THROUGHPUT: u32 = 80;
/// The highest throughput Meta grants.
pub const MAX_THROUGHPUT: u32 = 1000;
/// Coexistence numbers (WhatsApp Business app and Cloud API): a fixed 20 per second.
pub const COEXISTENCE_THROUGHPUT: u32 = 20;

/// What a send does when a limit says "not yet".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacingPolicy {
    /// Sleep until the slot, if it comes within `max_wait`; fail otherwise.
    Wait {
        /// The longest wait accepted.
        max_wait: Duration,
    },
    /// Never wait: fail with the time to retry.
    FailFast,
}

impl PacingPolicy {
    pub(crate) fn max_wait(self) -> Duration {
        match self {
            Self::Wait { max_wait } => max_wait,
            Self::FailFast => Duration::ZERO,
        }
    }
}

/// The limits of a [`Pacer`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PacerConfig {
    /// Messages per second per phone number (until told otherwise per number).
    pub throughput: u32,
    /// Messages to one phone number that may go at once. With 1 (the default), no one-second
    /// window ever holds more than `throughput` messages (one more at its edge); a larger burst
    /// lets short spikes through at the cost of that guarantee.
    pub throughput_burst: u32,
    /// The minimum spacing of messages to one recipient.
    pub pair_interval: Duration,
    /// How many messages to one recipient may go at once before the spacing applies.
    pub pair_burst: u32,
    /// Wait or fail.
    pub policy: PacingPolicy,
}

impl Default for PacerConfig {
    /// 80 per second without bursts, one per 6 seconds per recipient with bursts of 5, wait up
    /// to 30 seconds.
    fn default() -> Self {
        Self {
            throughput: DEFAULT_THROUGHPUT,
            throughput_burst: 1,
            pair_interval: Duration::from_secs(6),
            pair_burst: 5,
            policy: PacingPolicy::Wait { max_wait: Duration::from_secs(30) },
        }
    }
}

impl PacerConfig {
    /// Messages per second per phone number (1..=1000).
    #[must_use]
    pub fn throughput(mut self, messages_per_second: u32) -> Self {
        self.throughput = messages_per_second.clamp(1, MAX_THROUGHPUT);
        self
    }

    /// Messages to one phone number that may go at once (at least 1).
    #[must_use]
    pub fn throughput_burst(mut self, burst: u32) -> Self {
        self.throughput_burst = burst.max(1);
        self
    }

    /// The minimum spacing of messages to one recipient.
    #[must_use]
    pub fn pair_interval(mut self, interval: Duration) -> Self {
        self.pair_interval = interval;
        self
    }

    /// How many messages to one recipient may go at once.
    #[must_use]
    pub fn pair_burst(mut self, burst: u32) -> Self {
        self.pair_burst = burst.max(1);
        self
    }

    /// Wait or fail.
    #[must_use]
    pub fn policy(mut self, policy: PacingPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// What a joint reservation says.
enum Slot {
    /// Both limits reserved: send after this wait.
    Send(Duration),
    /// Nothing reserved: the recipient's limit allows a message only after this wait.
    Recipient(Duration),
}

/// A GCRA limiter: `interval` between admissions, `burst` admissions at once.
#[derive(Debug)]
struct Gcra {
    tat: Instant,
    interval: Duration,
    tolerance: Duration,
}

impl Gcra {
    fn new(now: Instant, interval: Duration, burst: u32) -> Self {
        Self { tat: now, interval, tolerance: interval.saturating_mul(burst.saturating_sub(1)) }
    }

    /// The earliest moment a message conforms.
    fn earliest(&self, now: Instant) -> Instant {
        let tat = self.tat.max(now);
        tat.checked_sub(self.tolerance).unwrap_or(now).max(now)
    }

    /// Records a message sent at `at` (a conforming moment).
    fn take(&mut self, at: Instant) {
        self.tat = self.tat.max(at) + self.interval;
    }

    fn set_interval(&mut self, interval: Duration, burst: u32) {
        self.interval = interval;
        self.tolerance = interval.saturating_mul(burst.saturating_sub(1));
    }

    fn idle(&self, now: Instant) -> bool {
        self.tat <= now
    }
}

#[derive(Debug)]
struct Inner {
    config: PacerConfig,
    shared: Option<(std::sync::Arc<dyn SharedLimits>, OutagePolicy)>,
    /// The limits this process applies alone during an outage of the shared store.
    fallback: Option<Box<Pacer>>,
    phones: Mutex<HashMap<String, (u32, Gcra)>>,
    pairs: Mutex<HashMap<(String, String), Gcra>>,
    display_numbers: Mutex<HashMap<String, String>>,
}

/// Per-phone-number throughput and per-recipient pair limits, shared by every clone.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use meta_messaging::pacing::{Pacer, PacerConfig, PacingPolicy};
///
/// let pacer = Pacer::new(PacerConfig::default().policy(PacingPolicy::FailFast));
/// pacer.admit("106540352242922", "16505551234").await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Pacer {
    inner: Arc<Inner>,
    identities: Option<crate::identity::IdentityDirectory>,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new(PacerConfig::default())
    }
}

const SWEEP_ABOVE: usize = 10_000;

impl Pacer {
    /// Keys pair-rate budgets by each user's stable key: a send addressed by phone number and
    /// one addressed by the user's business-scoped user id share one budget once the directory
    /// knows they are the same user (it learns from webhooks and send answers).
    #[must_use]
    pub fn identities(mut self, directory: crate::identity::IdentityDirectory) -> Self {
        self.identities = Some(directory);
        self
    }

    /// The recipient's stable key: resolved by the directory, or the recipient as given when
    /// there is none (or it fails: pacing never blocks on the directory).
    async fn user_key(&self, business: &str, recipient: &str) -> String {
        match &self.identities {
            Some(directory) => directory.resolve(business, recipient).await.unwrap_or_else(|error| {
                tracing::warn!(%error, "identity directory unavailable: pacing by the recipient as given");
                recipient.to_owned()
            }),
            None => recipient.to_owned(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The spacing of messages at `throughput` per second, rounded up: never a little too fast.
fn per_message(throughput: u32) -> Duration {
    Duration::from_nanos(1_000_000_000u64.div_ceil(u64::from(throughput.clamp(1, MAX_THROUGHPUT))))
}

impl Pacer {
    /// A pacer with these limits.
    pub fn new(config: PacerConfig) -> Self {
        Self {
            identities: None,
            inner: Arc::new(Inner {
                config,
                shared: None,
                fallback: None,
                phones: Mutex::new(HashMap::new()),
                pairs: Mutex::new(HashMap::new()),
                display_numbers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A pacer whose limits live in `store`, shared by every replica that uses the same store
    /// (and key prefix): together they never pass the limits. While the store is unreachable,
    /// `outage` decides: fail closed, or pace locally at a share of the limits.
    pub fn shared(config: PacerConfig, store: impl SharedLimits + 'static, outage: OutagePolicy) -> Self {
        let fallback = match outage {
            OutagePolicy::LocalShare(share) => {
                let share = share.clamp(0.0, 1.0);
                // A share of a limit, never below one message; the value is in 1..=n, so the
                // cast is exact.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let scale = |n: u32| (f64::from(n) * share).floor().max(1.0) as u32;
                let mut local = config.clone();
                local.throughput = scale(config.throughput);
                local.pair_interval = config
                    .pair_interval
                    .mul_f64(1.0 / share.max(f64::EPSILON))
                    .min(Duration::from_secs(86_400));
                local.pair_burst = scale(config.pair_burst);
                Some(Box::new(Pacer::new(local)))
            }
            OutagePolicy::FailClosed => None,
        };
        Self {
            identities: None,
            inner: Arc::new(Inner {
                config,
                shared: Some((Arc::new(store), outage)),
                fallback,
                phones: Mutex::new(HashMap::new()),
                pairs: Mutex::new(HashMap::new()),
                display_numbers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether the limits are shared through a store.
    pub fn is_shared(&self) -> bool {
        self.inner.shared.is_some()
    }

    /// The limits.
    pub fn config(&self) -> &PacerConfig {
        &self.inner.config
    }

    /// Waits (per the policy) until a message from `phone_number_id` to `recipient` may go.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited) with `retry_after` when the slot
    /// is further away than the policy allows.
    pub async fn admit(&self, phone_number_id: &str, recipient: &str) -> Result<(), Error> {
        let started = Instant::now();
        let admitted = self.admit_inner(phone_number_id, recipient).await;
        match &admitted {
            Ok(()) => crate::telemetry::observe(
                crate::telemetry::PACING_WAIT_SECONDS,
                &[],
                started.elapsed().as_secs_f64(),
            ),
            Err(_) => crate::telemetry::count(crate::telemetry::PACING_REFUSED, &[], 1),
        }
        admitted
    }

    async fn admit_inner(&self, phone_number_id: &str, recipient: &str) -> Result<(), Error> {
        let max_wait = self.inner.config.policy.max_wait();
        if let Some((store, _)) = &self.inner.shared {
            return self.admit_shared(store.as_ref(), phone_number_id, recipient, max_wait).await;
        }
        let deadline = Instant::now() + max_wait;
        loop {
            match self.reserve(
                phone_number_id,
                recipient,
                deadline.saturating_duration_since(Instant::now()),
            )? {
                Slot::Send(wait) => {
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return Ok(());
                }
                // The recipient's own limit comes first: wait for it without holding any of the
                // number's capacity, then ask again.
                Slot::Recipient(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Both limits at once, at the moment the message would go: the number's next slot, if the
    /// pair allows a message then (both reserved for that moment); otherwise nothing is
    /// reserved and the caller waits for the pair.
    fn reserve(&self, phone: &str, recipient: &str, max_wait: Duration) -> Result<Slot, Error> {
        let config = &self.inner.config;
        let now = Instant::now();
        let mut phones = lock(&self.inner.phones);
        let mut pairs = lock(&self.inner.pairs);
        if pairs.len() > SWEEP_ABOVE {
            pairs.retain(|_, gcra| !gcra.idle(now));
        }
        let (_, number) = phones.entry(phone.to_owned()).or_insert_with(|| {
            (config.throughput, Gcra::new(now, per_message(config.throughput), config.throughput_burst))
        });
        let pair = pairs
            .entry((phone.to_owned(), recipient.to_owned()))
            .or_insert_with(|| Gcra::new(now, config.pair_interval, config.pair_burst));
        let send = number.earliest(now);
        let allowed = pair.earliest(now);
        if allowed > send {
            let wait = allowed.saturating_duration_since(now);
            if wait > max_wait {
                return Err(Error::paced("the pair rate to this recipient", wait));
            }
            return Ok(Slot::Recipient(wait));
        }
        if send.saturating_duration_since(now) > max_wait {
            return Err(Error::paced("the phone number's throughput", send.saturating_duration_since(now)));
        }
        number.take(send);
        pair.take(send);
        Ok(Slot::Send(send.saturating_duration_since(now)))
    }

    async fn admit_shared(
        &self,
        store: &dyn SharedLimits,
        phone: &str,
        recipient: &str,
        max_wait: Duration,
    ) -> Result<(), Error> {
        let mut reservation = Reservation::new(phone, recipient, &self.inner.config);
        reservation.max_wait = max_wait;
        match store.reserve(&reservation).await {
            Ok(Admission::After(wait)) => {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Ok(())
            }
            Ok(Admission::Refused(retry)) => {
                Err(Error::paced("the shared limits of this phone number", retry))
            }
            Err(error) => match &self.inner.fallback {
                Some(local) => {
                    tracing::warn!(%error, "shared pacing store unreachable; pacing at this process's share");
                    Box::pin(local.admit(phone, recipient)).await
                }
                None => Err(Error::paced(
                    "the shared pacing store is unreachable (fail closed)",
                    Duration::from_secs(1),
                )),
            },
        }
    }

    /// Holds `phone_number_id`'s sends back for `duration` (every replica, when shared).
    pub async fn penalize(&self, phone_number_id: &str, duration: Duration) {
        if let Some((store, _)) = &self.inner.shared {
            let config = &self.inner.config;
            let tolerance =
                per_message(config.throughput).saturating_mul(config.throughput_burst.saturating_sub(1));
            if let Err(error) = store.penalize(phone_number_id, duration, tolerance).await {
                tracing::warn!(%error, "could not share a pacing penalty");
            }
        }
        let now = Instant::now();
        let default = self.inner.config.throughput;
        let burst = self.inner.config.throughput_burst;
        let mut phones = lock(&self.inner.phones);
        let (_, gcra) = phones
            .entry(phone_number_id.to_owned())
            .or_insert_with(|| (default, Gcra::new(now, per_message(default), burst)));
        gcra.tat = gcra.tat.max(now + duration + gcra.tolerance);
    }

    /// Holds messages from `phone_number_id` to `recipient` back for `duration` (every replica,
    /// when shared).
    pub async fn penalize_pair(&self, phone_number_id: &str, recipient: &str, duration: Duration) {
        let config = &self.inner.config;
        let tolerance = config.pair_interval.saturating_mul(config.pair_burst.saturating_sub(1));
        if let Some((store, _)) = &self.inner.shared {
            if let Err(error) = store.penalize_pair(phone_number_id, recipient, duration, tolerance).await {
                tracing::warn!(%error, "could not share a pair penalty");
            }
        }
        let now = Instant::now();
        let mut pairs = lock(&self.inner.pairs);
        let gcra = pairs
            .entry((phone_number_id.to_owned(), recipient.to_owned()))
            .or_insert_with(|| Gcra::new(now, config.pair_interval, config.pair_burst));
        gcra.tat = gcra.tat.max(now + duration + gcra.tolerance);
    }

    /// Sets the throughput of a phone number (clamped to 1..=1000 per second) in this process;
    /// a shared pacer also needs [`share_throughput`](Self::share_throughput).
    pub fn set_throughput(&self, phone_number_id: &str, messages_per_second: u32) {
        let mps = messages_per_second.clamp(1, MAX_THROUGHPUT);
        let burst = self.inner.config.throughput_burst;
        let now = Instant::now();
        let mut phones = lock(&self.inner.phones);
        let entry = phones
            .entry(phone_number_id.to_owned())
            .or_insert_with(|| (mps, Gcra::new(now, per_message(mps), burst)));
        entry.0 = mps;
        entry.1.set_interval(per_message(mps), burst);
    }

    /// Sets the throughput of a phone number here and, for a shared pacer, for every replica.
    ///
    /// # Errors
    ///
    /// [`StoreError`](crate::store::StoreError) when the shared store cannot be reached (the
    /// local value is set anyway).
    pub async fn share_throughput(
        &self,
        phone_number_id: &str,
        messages_per_second: u32,
    ) -> Result<(), crate::store::StoreError> {
        self.set_throughput(phone_number_id, messages_per_second);
        match &self.inner.shared {
            Some((store, _)) => {
                store.set_throughput(phone_number_id, messages_per_second.clamp(1, MAX_THROUGHPUT)).await
            }
            None => Ok(()),
        }
    }

    /// The throughput a phone number is paced at.
    pub fn throughput(&self, phone_number_id: &str) -> u32 {
        lock(&self.inner.phones).get(phone_number_id).map_or(self.inner.config.throughput, |(mps, _)| *mps)
    }

    /// Applies what a phone-number lookup says: `HIGH` throughput is 1,000 per second,
    /// `STANDARD` 80 (for every replica, when shared). Also remembers the display number for
    /// [`observe`](Self::observe).
    pub async fn apply_phone_number(&self, number: &PhoneNumber) {
        if let Some(display) = &number.display_phone_number {
            let digits: String = display.chars().filter(char::is_ascii_digit).collect();
            lock(&self.inner.display_numbers).insert(digits, number.id.to_string());
        }
        let throughput = match number.throughput.as_ref().and_then(|t| t.level.as_ref()) {
            Some(ThroughputLevel::High) => MAX_THROUGHPUT,
            Some(ThroughputLevel::Standard) => DEFAULT_THROUGHPUT,
            _ => return,
        };
        self.raise(number.id.as_str(), throughput).await;
    }

    /// Sets a throughput here and, when shared, for every replica (a store failure is logged:
    /// the local value holds until the next lookup or webhook).
    async fn raise(&self, phone_number_id: &str, messages_per_second: u32) {
        if let Err(error) = self.share_throughput(phone_number_id, messages_per_second).await {
            tracing::warn!(%error, "could not share a throughput change");
        }
    }

    /// Applies `phone_number_quality_update` webhooks with `THROUGHPUT_UPGRADE` to numbers known
    /// from [`apply_phone_number`](Self::apply_phone_number) (for every replica, when shared);
    /// returns how many were raised.
    pub async fn observe(&self, webhook: &Webhook) -> usize {
        use crate::whatsapp::webhook::WhatsAppChangeValue;
        let Webhook::WhatsApp(payload) = webhook else {
            return 0;
        };
        let mut raised = 0;
        for change in payload.entries.iter().flat_map(|e| &e.changes) {
            let WhatsAppChangeValue::PhoneNumberQuality(update) = &change.value else {
                continue;
            };
            if update.event.as_deref() != Some("THROUGHPUT_UPGRADE") {
                continue;
            }
            let digits: Option<String> = update
                .display_phone_number
                .as_ref()
                .map(|d| d.chars().filter(char::is_ascii_digit).collect());
            let id = digits.and_then(|d| lock(&self.inner.display_numbers).get(&d).cloned());
            if let Some(id) = id {
                self.raise(&id, MAX_THROUGHPUT).await;
                raised += 1;
            }
        }
        raised
    }
}

#[async_trait]
impl SendGuard for Pacer {
    /// Paces the send by its sender (the phone number) and recipient (its stable key, with an
    /// identity directory).
    async fn admit(&self, send: &Outbound) -> Result<(), Error> {
        let recipient = self.user_key(&send.sender, &send.recipient).await;
        Pacer::admit(self, &send.sender, &recipient).await
    }

    /// Slows down (on every replica, when shared) when Meta answers with a throughput
    /// (`130429`) or rate-limit (`80007`) error, the whole number, for its `Retry-After` or
    /// usage-header wait, or one second (a minute for `80007`); with a pair-rate error
    /// (`131056`), that recipient alone, for the wait or one pair interval.
    async fn observe(&self, send: &Outbound, error: Option<&Error>) {
        let Some(error) = error else { return };
        let Some(code) = error.api_error().map(crate::graph::GraphApiError::code) else { return };
        let fallback = match code {
            130_429 => Duration::from_secs(1),
            80_007 => Duration::from_secs(60),
            131_056 => {
                let wait = error.retry_after().unwrap_or(self.inner.config.pair_interval);
                let recipient = self.user_key(&send.sender, &send.recipient).await;
                self.penalize_pair(&send.sender, &recipient, wait).await;
                return;
            }
            _ => return,
        };
        self.penalize(&send.sender, error.retry_after().unwrap_or(fallback)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn gcra_admits_a_burst_then_spaces() {
        let start = Instant::now();
        let mut gcra = Gcra::new(start, Duration::from_millis(100), 3);
        let waits: Vec<Duration> = (0..6)
            .map(|_| {
                let at = gcra.earliest(start);
                gcra.take(at);
                at - start
            })
            .collect();
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 0, 100, 200, 300]);
        assert_eq!(gcra.earliest(start) - start, Duration::from_millis(400));
        let later = start + Duration::from_secs(5);
        assert_eq!(gcra.earliest(later), later, "refills when idle");
    }
}
