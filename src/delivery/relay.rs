//! The relay outbox handler: each item sent to a customer's endpoint as a signed `POST`.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::destination::{DestinationError, DestinationPolicy, FailureCategory};
use super::{HandlerError, Item};
use crate::Timestamp;
use crate::delivery::Handler;
use crate::webhook::relay::{RelaySigner, SigningSecret};

/// Opens after a run of failures so a dead endpoint is not called for every item; after a
/// cool-down one trial call goes through, and its success closes it again.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    failures: u32,
    open_until: Option<Instant>,
}

impl Default for CircuitBreaker {
    /// Opens after 5 failures in a row, for 30 seconds.
    fn default() -> Self {
        Self::new(5, Duration::from_secs(30))
    }
}

impl CircuitBreaker {
    /// Opens after `threshold` failures in a row, for `cooldown`.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self { threshold: threshold.max(1), cooldown, state: Mutex::new(BreakerState::default()) }
    }

    /// `Err(remaining)` while open; `Ok` when a call may go (closed, or a trial after the
    /// cool-down).
    ///
    /// # Errors
    ///
    /// The time until the next trial call while the breaker is open.
    pub fn check(&self) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match state.open_until {
            Some(until) if until > Instant::now() => Err(until.saturating_duration_since(Instant::now())),
            Some(_) => {
                // Half-open: let this call through, and hold the others until it answers.
                state.open_until = Some(Instant::now() + self.cooldown);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Records the outcome of a call.
    pub fn record(&self, success: bool) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if success {
            *state = BreakerState::default();
        } else {
            state.failures = state.failures.saturating_add(1);
            if state.failures >= self.threshold {
                state.open_until = Some(Instant::now() + self.cooldown);
            }
        }
    }
}

/// A [`Handler`] that forwards each item's payload to one endpoint as a `POST` with Standard
/// Webhooks headers.
///
/// - `webhook-id` is derived from the item's queue and key, so it is the same on every retry and
///   for every redelivery of the same Meta event: the customer's idempotency key;
/// - `2xx` completes the item; `5xx`, `408`, `429` (with `Retry-After` honoured), timeouts and
///   connection errors are retried; any other status (a `4xx`, a `3xx`) is permanent and the
///   item goes to the dead letters, unless [`dead_letter_client_errors`](Self::dead_letter_client_errors)
///   is off;
/// - each attempt is bounded by a timeout, and a [`CircuitBreaker`] stops calling an endpoint
///   that keeps failing (items wait, they are not dead-lettered for it);
/// - the destination is held to a [`DestinationPolicy`] (public `https` addresses by default):
///   checked when the relay is built and at every connection, redirects never followed, and an
///   attempt refused by the policy is dead-lettered as `destination address not allowed`. What
///   a failed attempt records is a [`FailureCategory`], never a probe result.
#[derive(Clone)]
pub struct HttpRelay {
    http: reqwest::Client,
    url: reqwest::Url,
    signer: Arc<RelaySigner>,
    timeout: Duration,
    breaker: Arc<CircuitBreaker>,
    dead_letter_client_errors: bool,
    policy: DestinationPolicy,
}

impl fmt::Debug for HttpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRelay")
            .field("host", &self.url.host_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HttpRelay {
    /// Forwards to `url`, signing with `secret`, under the default [`DestinationPolicy`]
    /// (public addresses over `https`).
    ///
    /// # Errors
    ///
    /// [`DestinationError`] when the policy refuses `url`.
    pub fn new(url: &str, secret: &SigningSecret) -> Result<Self, DestinationError> {
        Self::with_policy(url, secret, DestinationPolicy::default())
    }

    /// Forwards to `url` under `policy` (for example with private targets allowed, in tests or
    /// for an on-premise customer).
    ///
    /// # Errors
    ///
    /// [`DestinationError`] when the policy refuses `url`.
    pub fn with_policy(
        url: &str,
        secret: &SigningSecret,
        policy: DestinationPolicy,
    ) -> Result<Self, DestinationError> {
        let url = policy.check_url(url)?;
        let http = crate::graph::http_client_builder()
            .map_err(|_| DestinationError::Client)?
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the host itself, past the policy's resolver.
            .no_proxy()
            .dns_resolver(policy.resolver())
            .build()
            .map_err(|_| DestinationError::Client)?;
        Ok(Self {
            http,
            url,
            signer: Arc::new(RelaySigner::new(secret)),
            timeout: Duration::from_secs(15),
            breaker: Arc::new(CircuitBreaker::default()),
            dead_letter_client_errors: true,
            policy,
        })
    }

    /// The policy the destination is held to.
    pub fn policy(&self) -> &DestinationPolicy {
        &self.policy
    }

    /// The per-attempt timeout (15 seconds by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether a `4xx` other than `408`/`429` (or a `3xx`) sends the item to the dead letters
    /// (the default) or is retried like a `5xx`, for consumers whose contract is "retry until
    /// `2xx`".
    #[must_use]
    pub fn dead_letter_client_errors(mut self, dead_letter: bool) -> Self {
        self.dead_letter_client_errors = dead_letter;
        self
    }

    /// The circuit breaker (5 failures, 30 seconds by default).
    #[must_use]
    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Arc::new(breaker);
        self
    }

    /// The `webhook-id` of an item: `msg_` and 32 hex digits of a digest of its queue and key.
    pub fn webhook_id(item: &Item) -> String {
        let digest = Sha256::new()
            .chain_update(item.queue.as_bytes())
            .chain_update([0])
            .chain_update(item.key.as_bytes())
            .finalize();
        format!("msg_{}", &crate::util::hex_encode(&digest)[..32])
    }

    async fn post(&self, item: &Item) -> Result<(), HandlerError> {
        let id = Self::webhook_id(item);
        let headers = self
            .signer
            .sign(&id, Timestamp::now(), &item.payload)
            .map_err(|e| HandlerError::permanent(format!("could not sign: {e}")))?;
        let mut request = self
            .http
            .post(self.url.clone())
            .timeout(self.timeout)
            .header("content-type", "application/json")
            .body(item.payload.clone());
        for (name, value) in headers.iter() {
            request = request.header(name, value);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let category = FailureCategory::of(&error);
                let failure = if category == FailureCategory::AddressNotAllowed {
                    HandlerError::permanent(category.to_string())
                } else {
                    HandlerError::retry(category.to_string())
                };
                return Err(failure.with_category(category.to_string()));
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let message = FailureCategory::Status(status.as_u16()).to_string();
        let retryable = matches!(status.as_u16(), 408 | 429 | 500..=599) || !self.dead_letter_client_errors;
        let failure = if !retryable {
            HandlerError::permanent(message.clone())
        } else if let Some(delay) = retry_after {
            HandlerError::retry_after(message.clone(), delay.min(Duration::from_secs(3600)))
        } else {
            HandlerError::retry(message.clone())
        };
        Err(failure.with_category(message).with_status(status.as_u16()))
    }
}

#[async_trait]
impl Handler for HttpRelay {
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        if let Err(remaining) = self.breaker.check() {
            return Err(HandlerError::retry_after("circuit open: destination failing", remaining)
                .with_category("circuit open"));
        }
        let outcome = self.post(item).await;
        // A permanent failure is about this item, not the endpoint's health.
        self.breaker.record(outcome.as_ref().map_or_else(HandlerError::is_permanent, |()| true));
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_the_threshold_and_lets_one_trial_through() {
        let breaker = CircuitBreaker::new(2, Duration::from_millis(30));
        breaker.record(false);
        assert!(breaker.check().is_ok());
        breaker.record(false);
        assert!(breaker.check().is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.check().is_ok(), "trial after the cool-down");
        assert!(breaker.check().is_err(), "one trial at a time");
        breaker.record(true);
        assert!(breaker.check().is_ok());
    }
}
