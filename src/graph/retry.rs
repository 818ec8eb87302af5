//! Automatic retries: which failures are retried, how long to wait, and when to stop.
//!
//! A failed attempt is retried when all of these hold:
//! - the failure can pass: a rate limit, a temporary failure on Meta's side, a connection that
//!   could not be made, or a timeout;
//! - retrying cannot send something twice: the request is idempotent (GET, DELETE, or marked so),
//!   or the failure proves Meta did not accept it (a rate-limit error or a connection that was
//!   never made). A message send that timed out or hit a 5xx is *not* retried unless
//!   [`RetryPolicy::retry_ambiguous_sends`] is set, because Meta may already have delivered it;
//! - attempts remain, the wait fits in the operation's total timeout, and the client's retry
//!   budget (which stops retry storms when Meta is down) has room.
//!
//! The wait is exponential backoff with full jitter (a random delay up to
//! `initial_backoff × 2^retry`, capped at `max_backoff`), raised to what Meta asked for through
//! `Retry-After` or `estimated_time_to_regain_access`. If Meta asks for longer than the operation
//! has left, the error is returned at once with [`Error::retry_after`](crate::Error::retry_after)
//! set, so a caller can reschedule the work.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{Error, RetryClass};

/// How the client retries failed requests.
///
/// ```
/// use std::time::Duration;
/// use meta_messaging::graph::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(10));
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(RetryPolicy::disabled().attempts(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
    retry_ambiguous_sends: bool,
}

impl Default for RetryPolicy {
    /// Three attempts, 1 s initial backoff, 20 s cap, full jitter, no retry of ambiguous sends.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            jitter: true,
            retry_ambiguous_sends: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The number of attempts in all, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling before the first retry; it doubles for each further retry.
    #[must_use]
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// The largest backoff between two attempts (a longer `Retry-After` still wins).
    #[must_use]
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// Whether to randomize the backoff ("full jitter"); on by default so that many clients
    /// throttled at once do not retry in lockstep.
    #[must_use]
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Also retry non-idempotent requests (message sends) after a timeout, a dropped connection
    /// or a transient server error, accepting that the message may arrive twice.
    #[must_use]
    pub fn retry_ambiguous_sends(mut self, retry: bool) -> Self {
        self.retry_ambiguous_sends = retry;
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether this failure may be retried for a request of the given idempotency.
    pub(crate) fn allows(&self, error: &Error, idempotent: bool) -> bool {
        match error.retry_class() {
            RetryClass::Safe => true,
            RetryClass::Ambiguous => idempotent || self.retry_ambiguous_sends,
            RetryClass::Never => false,
        }
    }

    /// The backoff before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = self.initial_backoff.saturating_mul(1u32 << exp).min(self.max_backoff);
        if self.jitter { ceiling.mul_f64(meta_messaging_core::util::random_unit()) } else { ceiling }
    }
}

/// A token bucket shared by all requests of a client: each retry spends tokens, each success
/// returns one, so when most calls fail the client stops retrying instead of multiplying load.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    tokens: AtomicU32,
}

const BUDGET_CAPACITY: u32 = 500;
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;

impl RetryBudget {
    pub(crate) fn new() -> Self {
        Self { tokens: AtomicU32::new(BUDGET_CAPACITY) }
    }

    /// Takes the cost of one retry after `error`; `false` when the budget is spent.
    pub(crate) fn withdraw(&self, error: &Error) -> bool {
        let cost = if error.is_timeout() { TIMEOUT_RETRY_COST } else { RETRY_COST };
        self.tokens.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost)).is_ok()
    }

    /// Returns a token after a success.
    pub(crate) fn deposit(&self) {
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| (t < BUDGET_CAPACITY).then_some(t + 1));
    }
}

#[cfg(test)]
mod tests {
    use crate::ErrorKind;

    #[test]
    fn one_classification_for_the_error_and_the_policy() {
        let cautious = RetryPolicy::default();
        for kind in [
            ErrorKind::Config,
            ErrorKind::Validation,
            ErrorKind::Connect,
            ErrorKind::Timeout,
            ErrorKind::Transport,
            ErrorKind::Decode,
            ErrorKind::Auth,
            ErrorKind::Permission,
            ErrorKind::RateLimited,
            ErrorKind::Transient,
            ErrorKind::OutsideWindow,
            ErrorKind::Template,
            ErrorKind::Undeliverable,
            ErrorKind::InvalidRequest,
            ErrorKind::Api,
            ErrorKind::HandedOff,
        ] {
            let error = Error::with_kind_and_source(kind, "test", None);
            // Idempotent requests are retried exactly when the error says retrying may help.
            assert_eq!(cautious.allows(&error, true), error.is_retryable(), "{kind:?}");
            // Sends are retried only when Meta provably did not process them.
            assert_eq!(cautious.allows(&error, false), error.retry_class() == RetryClass::Safe, "{kind:?}");
        }
    }

    use super::*;
    use crate::graph::Usage;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default().jitter(false);
        let delays: Vec<u64> = (1..=7).map(|r| policy.backoff(r).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 20, 20]);
        assert_eq!(policy.backoff(200), Duration::from_secs(20));
    }

    #[test]
    fn jitter_stays_below_the_ceiling() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            assert!(policy.backoff(3) <= Duration::from_secs(4));
        }
    }

    #[test]
    fn sends_are_retried_only_when_meta_did_not_accept_them() {
        let policy = RetryPolicy::default();
        let throttled = Error::from_response(429, b"{\"error\":{\"code\":4}}", Usage::default(), &[]);
        let server = Error::from_response(500, b"{\"error\":{\"code\":131000}}", Usage::default(), &[]);
        let invalid = Error::from_response(400, b"{\"error\":{\"code\":100}}", Usage::default(), &[]);
        assert!(policy.allows(&throttled, false));
        assert!(!policy.allows(&server, false));
        assert!(policy.allows(&server, true));
        assert!(!policy.allows(&invalid, true));
        assert!(policy.clone().retry_ambiguous_sends(true).allows(&server, false));
    }

    #[test]
    fn budget_runs_out_and_refills() {
        let budget = RetryBudget::new();
        let err = Error::from_response(503, b"", Usage::default(), &[]);
        let granted = (0..200).filter(|_| budget.withdraw(&err)).count();
        assert_eq!(granted, (BUDGET_CAPACITY / RETRY_COST) as usize);
        for _ in 0..RETRY_COST {
            budget.deposit();
        }
        assert!(budget.withdraw(&err));
        assert!(!budget.withdraw(&err));
    }
}
