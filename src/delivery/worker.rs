//! The worker: claims items under a lease, runs the handler, completes, retries or gives up.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::{Either, join_all, select};

use super::{Attempt, AttemptOutcome, Item, Queue, Retry, backoff};
use crate::Timestamp;
use crate::store::StoreError;

/// How often a running worker reads its queue's depth for the gauge (feature `metrics`).
const DEPTH_EVERY: Duration = Duration::from_secs(10);

/// Handles one item. Return `Ok` only when the work is done (the item is then completed and
/// never handed out again); an error retries it later or, when permanent, dead-letters it.
///
/// Handlers run at least once per item: a crash after the work but before the completion is
/// recorded hands the item out again, so make them idempotent (the item's `key` is stable).
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Handles `item`.
    ///
    /// # Errors
    ///
    /// A [`HandlerError`]: retryable (with an optional earliest retry time) or permanent.
    async fn handle(&self, item: &Item) -> Result<(), HandlerError>;
}

#[async_trait]
impl<F, Fut> Handler for F
where
    F: Fn(Item) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        self(item.clone()).await
    }
}

/// Why a handler failed, and whether to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
    retry_after: Option<Duration>,
    permanent: bool,
    category: Option<Cow<'static, str>>,
    status: Option<u16>,
    wait: bool,
}

impl HandlerError {
    fn new(message: impl Into<String>, retry_after: Option<Duration>, permanent: bool) -> Self {
        Self { message: message.into(), retry_after, permanent, category: None, status: None, wait: false }
    }

    /// Not a failure: the item was not attempted and waits `delay` (a rate limit, a disabled
    /// destination). The worker puts it back with [`Queue::postpone`](super::Queue::postpone),
    /// which does not count an attempt, log one or touch its last error.
    pub fn wait(reason: impl Into<String>, delay: Duration) -> Self {
        Self { wait: true, ..Self::new(reason, Some(delay), false) }
    }

    /// Whether this is a [`wait`](Self::wait).
    pub fn is_wait(&self) -> bool {
        self.wait
    }

    /// A failure worth retrying after the worker's backoff.
    pub fn retry(message: impl Into<String>) -> Self {
        Self::new(message, None, false)
    }

    /// A failure worth retrying, not before `delay` (a `Retry-After`, say).
    pub fn retry_after(message: impl Into<String>, delay: Duration) -> Self {
        Self::new(message, Some(delay), false)
    }

    /// A failure that retrying cannot fix: the item goes to the dead letters.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(message, None, true)
    }

    /// A coarse reason for the [attempt log](super::Attempt) (`destination answered 503`,
    /// `graph: rate_limited`): it must never hold what a customer sent or answered. Without one
    /// the log says `handler error`; the message goes to [`Item::last_error`] only.
    #[must_use]
    pub fn with_category(mut self, category: impl Into<Cow<'static, str>>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// The HTTP status a destination answered, for the attempt log.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The coarse reason, if the handler gave one.
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    /// The HTTP status, if the handler gave one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the failure is permanent.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    /// The earliest retry the handler asked for.
    pub fn retry_after_hint(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

/// A Graph call's error as a handler's: what [`Error::is_retryable`](crate::Error::is_retryable)
/// says can be retried is retried (not before its [`retry_after`](crate::Error::retry_after)
/// when Meta named one); everything else, an authentication failure, a message outside the
/// messaging window, a validation error, is permanent. So a handler writes
/// `client.whatsapp(id).send(to, message).await?;` and the worker does the right thing.
///
/// ```
/// use meta_messaging::delivery::HandlerError;
///
/// let outside = meta_messaging::Error::outside_window("send a template instead");
/// assert!(HandlerError::from(outside).is_permanent());
/// ```
impl From<crate::Error> for HandlerError {
    fn from(error: crate::Error) -> Self {
        let message = error.to_string();
        let category = format!("graph: {}", error.kind().as_str());
        let handler_error = if !error.is_retryable() {
            Self::permanent(message)
        } else if let Some(delay) = error.retry_after() {
            Self::retry_after(message, delay)
        } else {
            Self::retry(message)
        };
        let handler_error = handler_error.with_category(category);
        match error.status() {
            Some(status) => handler_error.with_status(status),
            None => handler_error,
        }
    }
}

/// A store's error as a handler's: retried when the store says it may work next time.
impl From<crate::store::StoreError> for HandlerError {
    fn from(error: crate::store::StoreError) -> Self {
        let category = format!("store: {}", error.kind().as_str());
        let handler_error = if error.is_retryable() {
            Self::retry(error.to_string())
        } else {
            Self::permanent(error.to_string())
        };
        handler_error.with_category(category)
    }
}

/// How a [`Worker`] claims, retries and gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// Items claimed (and handled concurrently) at once.
    pub batch: usize,
    /// How long a claim lasts: a worker that dies loses its items after this. Longer than
    /// [`attempt_timeout`](Self::attempt_timeout).
    pub lease: Duration,
    /// The longest one handler call may run; past it, the attempt counts as failed.
    pub attempt_timeout: Duration,
    /// How long to sleep when nothing is ready.
    pub poll_interval: Duration,
    /// Attempts before an item goes to the dead letters.
    pub max_attempts: u32,
    /// The age past which a failing item goes to the dead letters, whatever its attempts.
    pub max_age: Option<Duration>,
    /// The backoff after the first failure; it doubles per attempt.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// How long completed items are kept as the delivery log (and still dedupe their keys)
    /// before [`run`](Worker::run) purges them; `None` never purges.
    pub retention: Option<Duration>,
}

impl Default for WorkerConfig {
    /// Batches of 16, 60-second leases, 30-second attempts, polling every 200 ms, 25 attempts
    /// or 3 days, backoff from 1 second up to 10 minutes, completed items kept 30 days.
    fn default() -> Self {
        Self {
            batch: 16,
            lease: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(200),
            max_attempts: 25,
            max_age: Some(Duration::from_secs(3 * 24 * 3600)),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            retention: Some(super::DEFAULT_RETENTION),
        }
    }
}

impl WorkerConfig {
    /// Items claimed at once (at least 1).
    #[must_use]
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The lease and the attempt timeout (the timeout is kept below the lease).
    #[must_use]
    pub fn lease(mut self, lease: Duration, attempt_timeout: Duration) -> Self {
        self.lease = lease;
        self.attempt_timeout = attempt_timeout.min(lease.mul_f64(0.9));
        self
    }

    /// The idle poll interval.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Attempts and age before dead-lettering.
    #[must_use]
    pub fn give_up_after(mut self, max_attempts: u32, max_age: Option<Duration>) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.max_age = max_age;
        self
    }

    /// How long completed items are kept; `None` keeps them until you purge.
    #[must_use]
    pub fn retention(mut self, retention: Option<Duration>) -> Self {
        self.retention = retention;
        self
    }

    /// The backoff range.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }
}

/// Runs a [`Handler`] over one queue of a [`Queue`], at least once per item.
///
/// Run one worker per process (or several); each claims its own batches, so replicas sharing a
/// PostgreSQL queue split the work, and a replica that dies has its items taken over when their
/// leases expire.
pub struct Worker {
    queue: Arc<dyn Queue>,
    name: String,
    owner: String,
    handler: Arc<dyn Handler>,
    config: WorkerConfig,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("queue", &self.queue)
            .field("name", &self.name)
            .field("owner", &self.owner)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker for the queue `name` of `queue`, with a random owner id.
    pub fn new(queue: Arc<dyn Queue>, name: impl Into<String>, handler: impl Handler) -> Self {
        let owner = format!("worker-{:016x}", meta_messaging_core::util::random_u64());
        Self { queue, name: name.into(), owner, handler: Arc::new(handler), config: WorkerConfig::default() }
    }

    /// Sets the configuration.
    #[must_use]
    pub fn config(mut self, config: WorkerConfig) -> Self {
        self.config = config;
        self
    }

    /// The owner id written on claims.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// A stable owner id (a replica's name: `relay-0`, a pod name) instead of a random one.
    ///
    /// A **lease** is how long a claimed item belongs to one worker ([`WorkerConfig::lease`],
    /// 60 s by default): a worker that dies keeps its items until their leases expire, and then
    /// another worker takes them over. A worker restarted under the same owner id does not wait
    /// for that: [`run`](Self::run) first releases the leases it held
    /// ([`Queue::release_leases`]), so its own items are handled again at once. Give each live
    /// replica its own id: two live workers sharing one would release each other's leases (and
    /// handle those items twice, which at-least-once delivery allows but does not need).
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// Claims one batch and handles it; returns how many items were handled (successfully or
    /// not).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the claim fails. Failures to record an outcome are logged: the item's
    /// lease then expires and it is handled again (at least once).
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let items = self.queue.claim(&self.name, &self.owner, self.config.batch, self.config.lease).await?;
        let count = items.len();
        join_all(items.into_iter().map(|item| self.attempt(item))).await;
        Ok(count)
    }

    async fn attempt(&self, item: Item) {
        let started_at = self.queue.now();
        let started = tokio::time::Instant::now();
        let outcome =
            match tokio::time::timeout(self.config.attempt_timeout, self.handler.handle(&item)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(HandlerError::retry(format!(
                    "handler did not finish within {:?}",
                    self.config.attempt_timeout
                ))
                .with_category("timed out")),
            };
        let latency = started.elapsed();
        let (recorded, label) = match outcome {
            Ok(()) => {
                let attempt = Attempt::new(started_at, latency, AttemptOutcome::Delivered);
                (self.queue.complete_logged(item.id, &self.owner, &attempt).await, "done")
            }
            Err(error) if error.is_wait() => {
                let until = self.queue.now().saturating_add(error.retry_after_hint().unwrap_or_default());
                (self.queue.postpone(item.id, &self.owner, until).await, "waiting")
            }
            Err(error) => {
                let retry = self.next_attempt(&item, &error);
                let outcome = if retry == Retry::Never {
                    AttemptOutcome::DeadLettered
                } else {
                    AttemptOutcome::Retried
                };
                let attempt = Attempt::new(started_at, latency, outcome)
                    .failure(error.category().unwrap_or("handler error"), error.status());
                let label = if retry == Retry::Never {
                    tracing::warn!(id = item.id, queue = %self.name, attempts = item.attempts, %error, "delivery dead-lettered");
                    crate::telemetry::count_queue(
                        crate::telemetry::DELIVERY_DEAD_LETTERS,
                        &self.name,
                        &[],
                        1,
                    );
                    "dead"
                } else {
                    "retry"
                };
                (self.queue.fail_logged(item.id, &self.owner, error.message(), retry, &attempt).await, label)
            }
        };
        crate::telemetry::count_queue(
            crate::telemetry::DELIVERY_ATTEMPTS,
            &self.name,
            &[("outcome", label)],
            1,
        );
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(id = item.id, "lease lost before the outcome was recorded"),
            Err(error) => {
                tracing::warn!(id = item.id, %error, "could not record a delivery outcome; it will be retried");
            }
        }
    }

    /// Reads the queue's pending and dead counts into the depth gauge (feature `metrics`).
    pub async fn report_depth(&self) {
        match self.queue.counts(&self.name).await {
            Ok((pending, _, dead)) => {
                let gauge = crate::telemetry::DELIVERY_QUEUE_DEPTH;
                crate::telemetry::gauge_queue(gauge, &self.name, &[("state", "pending")], pending);
                crate::telemetry::gauge_queue(gauge, &self.name, &[("state", "dead")], dead);
            }
            Err(error) => tracing::debug!(%error, queue = %self.name, "could not read the queue depth"),
        }
    }

    fn next_attempt(&self, item: &Item, error: &HandlerError) -> Retry {
        let now = self.queue.now();
        let too_old = self.config.max_age.is_some_and(|age| item.created_at.saturating_add(age) <= now);
        if error.is_permanent() || item.attempts >= self.config.max_attempts || too_old {
            return Retry::Never;
        }
        let delay = backoff(item.attempts, self.config.initial_backoff, self.config.max_backoff)
            .max(error.retry_after_hint().unwrap_or_default());
        Retry::At(now.saturating_add(delay))
    }

    /// Runs until `shutdown` resolves: claims and handles batches, sleeps
    /// [`poll_interval`](WorkerConfig::poll_interval) when idle, backs off while the store is
    /// unreachable (it recovers by itself), and purges the delivery log past its
    /// [`retention`](WorkerConfig::retention) once an hour.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        // A restart under the same owner id resumes its own items now, not after their leases.
        match self.queue.release_leases(&self.name, &self.owner).await {
            Ok(0) => {}
            Ok(released) => {
                tracing::info!(released, owner = %self.owner, "resumed this worker's leased items");
            }
            Err(error) => {
                tracing::warn!(%error, "could not release this worker's leases; they expire on their own");
            }
        }
        let mut store_failures = 0u32;
        let mut next_purge = tokio::time::Instant::now();
        let mut next_depth = tokio::time::Instant::now();
        loop {
            if cfg!(feature = "metrics") && tokio::time::Instant::now() >= next_depth {
                next_depth = tokio::time::Instant::now() + DEPTH_EVERY;
                self.report_depth().await;
            }
            if let Some(retention) =
                self.config.retention.filter(|_| tokio::time::Instant::now() >= next_purge)
            {
                next_purge = tokio::time::Instant::now() + Duration::from_secs(3600);
                let cutoff = Timestamp::from_unix_millis(
                    self.queue.now().unix_millis().saturating_sub(super::millis(retention)),
                );
                if let Err(error) = self.queue.purge_completed(cutoff).await {
                    tracing::warn!(%error, "could not purge the delivery log; will try again");
                }
            }
            let pause = match self.run_once().await {
                Ok(0) => {
                    store_failures = 0;
                    self.config.poll_interval
                }
                Ok(_) => {
                    store_failures = 0;
                    Duration::ZERO
                }
                Err(error) => {
                    store_failures = store_failures.saturating_add(1);
                    tracing::warn!(%error, queue = %self.name, "delivery queue unavailable; retrying");
                    backoff(store_failures, self.config.poll_interval, Duration::from_secs(5))
                }
            };
            let sleep = std::pin::pin!(tokio::time::sleep(pause));
            if let Either::Left(_) = select(shutdown.as_mut(), sleep).await {
                return;
            }
        }
    }
}
