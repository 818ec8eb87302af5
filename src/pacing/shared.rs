//! Limits shared by replicas: the seam a shared store (Redis) implements.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::store::StoreError;

/// One admission to reserve on a shared store: the pair slot of (`phone`, `recipient`) and the
/// phone number's throughput slot, both or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reservation<'a> {
    /// The business phone-number id.
    pub phone: &'a str,
    /// The recipient.
    pub recipient: &'a str,
    /// Messages per second for the number, unless the store holds another value for it
    /// ([`SharedLimits::set_throughput`]).
    pub throughput: u32,
    /// Messages to the number that may go at once.
    pub throughput_burst: u32,
    /// The spacing of messages to one recipient.
    pub pair_interval: Duration,
    /// Messages to one recipient that may go at once.
    pub pair_burst: u32,
    /// The longest wait accepted: a slot further away is not reserved.
    pub max_wait: Duration,
}

impl<'a> Reservation<'a> {
    /// The reservation of one message from `phone` to `recipient` under `config`'s limits and
    /// policy.
    pub fn new(phone: &'a str, recipient: &'a str, config: &super::PacerConfig) -> Self {
        Self {
            phone,
            recipient,
            throughput: config.throughput,
            throughput_burst: config.throughput_burst,
            pair_interval: config.pair_interval,
            pair_burst: config.pair_burst,
            max_wait: config.policy.max_wait(),
        }
    }
}

/// What a shared store answers to a [`Reservation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// Reserved: send after this wait (zero: now).
    After(Duration),
    /// Not reserved: the earliest slot is this far away, past the reservation's `max_wait`.
    Refused(Duration),
}

/// A store that holds pacing state for every replica: GCRA reservations (one timestamp per
/// key), throughput overrides and penalties, each applied atomically on the server in one
/// round trip.
///
/// Implemented for Redis by `store::RedisLimits` (feature `redis`); attach one with
/// [`Pacer::shared`](super::Pacer::shared).
#[async_trait]
pub trait SharedLimits: Send + Sync + fmt::Debug {
    /// Reserves the pair and throughput slots of one message, or neither.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn reserve(&self, reservation: &Reservation<'_>) -> Result<Admission, StoreError>;

    /// Holds every admission for `phone` back for `duration` from now (Meta said slow down);
    /// `tolerance` is the number's burst tolerance (`(burst - 1) × interval`), so the first
    /// admission after the hold is not a burst.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn penalize(&self, phone: &str, duration: Duration, tolerance: Duration) -> Result<(), StoreError>;

    /// Holds admissions to `recipient` from `phone` back for `duration` from now (Meta answered
    /// `131056`, too many messages to that user); `tolerance` is the pair's burst tolerance.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn penalize_pair(
        &self,
        phone: &str,
        recipient: &str,
        duration: Duration,
        tolerance: Duration,
    ) -> Result<(), StoreError>;

    /// Sets the throughput every replica paces `phone` at.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn set_throughput(&self, phone: &str, messages_per_second: u32) -> Result<(), StoreError>;
}

/// What a shared [`Pacer`](super::Pacer) does while its store is unreachable. Never "send
/// unpaced".
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum OutagePolicy {
    /// Fail the send with a typed error
    /// ([`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited), retry in a second).
    FailClosed,
    /// Pace in this process alone at this share of the limits (for `n` replicas, `1.0 / n`),
    /// until the store answers again.
    LocalShare(f64),
}
