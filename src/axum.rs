//! axum integration (feature `axum`): a ready webhook router, and an extractor for your own
//! routes.
//!
//! [`WebhookRouter`] serves one path: `GET` answers Meta's subscription handshake, `POST`
//! enforces the body cap before buffering, verifies the signature on the raw bytes, parses, and
//! then, by mode:
//!
//! | mode | what `200` means |
//! |---|---|
//! | [`inbox`](WebhookRouter::inbox) (durable) | the events are stored in a [`Queue`](crate::delivery::Queue), deduped; nothing is lost after it |
//! | [`handler`](WebhookRouter::handler) | fresh events handed to the handler (started, not finished): at most once |
//! | [`channel`](WebhookRouter::channel) | fresh events placed in a bounded channel: at most once |
//!
//! [`VerifiedWebhook`] is the extractor behind it, for routes of your own; it must be
//! the last argument of the handler, as it consumes the body.
//!
//! Rejections carry the status Meta and operators expect ([`WebhookRejection::status`]): `413`
//! for an oversized body, `401` for a missing or wrong signature, `400` for a body that does not
//! parse, `503` when the channel is full (Meta redelivers later). They never echo a secret.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use meta_messaging::axum::{Delivery, WebhookRouter};
//! use meta_messaging::webhook::{InMemoryDeduplicator, Verifier};
//!
//! let app = WebhookRouter::new(Verifier::new("app-secret"), "my-verify-token")
//!     .dedupe(InMemoryDeduplicator::default())
//!     .handler(|delivery: Delivery| async move {
//!         for event in delivery.events() {
//!             println!("{} from {:?}", event.kind(), event.sender());
//!         }
//!     })
//!     .into_router();
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, FromRequest, Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::VerifyToken;
use crate::delivery::Inbox;
use crate::webhook::{
    BodyLimit, Deduplicator, Event, LEGACY_SIGNATURE_HEADER, OnStoreError, ParseError, ReadBodyError,
    SIGNATURE_HEADER, Subscription, Verifier, VerifyError, Webhook, fresh_flags, parse,
};

/// What the [`VerifiedWebhook`] extractor needs from the router state: the verifier and the
/// body cap. Provide it through [`FromRef`].
#[derive(Clone, Debug)]
pub struct WebhookVerification {
    verifier: Arc<Verifier>,
    limit: BodyLimit,
}

impl WebhookVerification {
    /// Verification with the default 4 MiB body cap.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier: Arc::new(verifier), limit: BodyLimit::default() }
    }

    /// Sets the body cap.
    #[must_use]
    pub fn body_limit(mut self, limit: BodyLimit) -> Self {
        self.limit = limit;
        self
    }
}

/// Why a webhook request was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The body is larger than the cap (`413`).
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The signature is missing or wrong (`401`).
    Signature(VerifyError),
    /// The body does not parse (`400`).
    Malformed(ParseError),
    /// The body could not be read (`400`).
    Body,
    /// The application cannot take the delivery now (`503`; Meta redelivers).
    Unavailable,
}

impl WebhookRejection {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Signature(_) => StatusCode::UNAUTHORIZED,
            Self::Malformed(_) | Self::Body => StatusCode::BAD_REQUEST,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The response body: a short reason, never a secret or the expected signature.
    pub fn body_text(&self) -> String {
        match self {
            Self::TooLarge { limit } => format!("webhook body is larger than {limit} bytes"),
            Self::Signature(error) => error.to_string(),
            Self::Malformed(error) => error.to_string(),
            Self::Body => "the webhook body could not be read".to_owned(),
            Self::Unavailable => "the webhook receiver is busy; retry later".to_owned(),
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body_text())
    }
}

impl std::error::Error for WebhookRejection {}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        tracing::debug!(status = %self.status(), reason = %self.body_text(), "webhook rejected");
        (self.status(), self.body_text()).into_response()
    }
}

/// A webhook whose signature was verified over the raw body, parsed.
#[derive(Debug)]
#[non_exhaustive]
pub struct VerifiedWebhook {
    /// The parsed body.
    pub webhook: Webhook,
    /// The raw body, as signed (to relay or store as is).
    pub body: Bytes,
}

fn header_text<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    S: Send + Sync,
    WebhookVerification: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = WebhookVerification::from_ref(state);
        let (parts, body) = request.into_parts();
        let declared =
            header_text(&parts.headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok());
        config
            .limit
            .check_content_length(declared)
            .map_err(|_| WebhookRejection::TooLarge { limit: config.limit.max() })?;
        // A SHA-256 header that is present but unreadable is malformed, never "absent" (which
        // would fall back to the weaker legacy header).
        let signature = match parts.headers.get(SIGNATURE_HEADER) {
            Some(value) => {
                Some(value.to_str().map_err(|_| WebhookRejection::Signature(VerifyError::Malformed))?)
            }
            None => None,
        };
        let legacy = header_text(&parts.headers, LEGACY_SIGNATURE_HEADER);
        // Everything that can fail without the body fails before it is read.
        config.verifier.check_headers(signature, legacy).map_err(WebhookRejection::Signature)?;
        let body = config.limit.read(body.into_data_stream()).await.map_err(|e| match e {
            ReadBodyError::TooLarge { limit } => WebhookRejection::TooLarge { limit },
            _ => WebhookRejection::Body,
        })?;
        config.verifier.verify_headers(&body, signature, legacy).map_err(WebhookRejection::Signature)?;
        let webhook = parse(&body).map_err(WebhookRejection::Malformed)?;
        Ok(Self { webhook, body })
    }
}

/// Answers Meta's `GET` subscription handshake: `200` with the challenge, or `403`.
pub fn handshake_response(query: Option<&str>, expected: &VerifyToken) -> Response {
    let subscription = Subscription::from_query(query.unwrap_or(""));
    match subscription.verify(expected) {
        Ok(challenge) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], challenge.to_owned()).into_response()
        }
        Err(error) => {
            tracing::debug!(reason = %error, "webhook handshake refused");
            (StatusCode::FORBIDDEN, error.to_string()).into_response()
        }
    }
}

/// A verified, deduplicated webhook handed to the application.
#[derive(Debug)]
pub struct Delivery {
    webhook: Webhook,
    fresh: Vec<bool>,
    body: Bytes,
}

impl Delivery {
    /// The parsed body.
    pub fn webhook(&self) -> &Webhook {
        &self.webhook
    }

    /// The raw body, as signed.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The events seen for the first time (redeliveries removed), in order.
    pub fn events(&self) -> impl Iterator<Item = Event<'_>> {
        self.webhook.events().zip(self.fresh.iter()).filter(|(_, fresh)| **fresh).map(|(event, _)| event)
    }

    /// Every event, redeliveries included.
    pub fn all_events(&self) -> impl Iterator<Item = Event<'_>> {
        self.webhook.events()
    }
}

/// Receives deliveries. Implemented for async closures `Fn(Delivery) -> impl Future<Output = ()>`.
pub trait DeliveryHandler: Send + Sync + 'static {
    /// Handles one delivery. It starts before the `200` answer: the part up to its first wait
    /// runs inline (a handler that finishes without waiting costs no task), the rest in a
    /// spawned task that the answer does not wait for.
    fn handle(&self, delivery: Delivery) -> impl Future<Output = ()> + Send;
}

impl<F, Fut> DeliveryHandler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    fn handle(&self, delivery: Delivery) -> impl Future<Output = ()> + Send {
        self(delivery)
    }
}

type BoxHandler = Arc<dyn Fn(Delivery) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

enum Sink {
    None,
    Handler(BoxHandler),
    Channel(mpsc::Sender<Delivery>),
    Inbox(Inbox),
}

struct RouterState {
    verification: WebhookVerification,
    verify_token: VerifyToken,
    dedupe: Option<Arc<dyn Deduplicator>>,
    sink: Sink,
}

impl FromRef<Arc<RouterState>> for WebhookVerification {
    fn from_ref(state: &Arc<RouterState>) -> Self {
        state.verification.clone()
    }
}

/// Builds the webhook [`Router`].
#[must_use]
pub struct WebhookRouter {
    verification: WebhookVerification,
    verify_token: VerifyToken,
    dedupe: Option<Arc<dyn Deduplicator>>,
    sink: Sink,
}

impl fmt::Debug for WebhookRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookRouter")
            .field("verification", &self.verification)
            .field("verify_token", &self.verify_token)
            .field("dedupe", &self.dedupe.is_some())
            .finish_non_exhaustive()
    }
}

impl WebhookRouter {
    /// A router verifying with `verifier` and answering handshakes for `verify_token`.
    pub fn new(verifier: Verifier, verify_token: impl Into<VerifyToken>) -> Self {
        Self {
            verification: WebhookVerification::new(verifier),
            verify_token: verify_token.into(),
            dedupe: None,
            sink: Sink::None,
        }
    }

    /// Sets the body cap (4 MiB by default).
    pub fn body_limit(mut self, limit: BodyLimit) -> Self {
        self.verification = self.verification.body_limit(limit);
        self
    }

    /// Drops redeliveries with `dedupe` (checked after the signature, before your handler).
    pub fn dedupe(mut self, dedupe: impl Deduplicator + 'static) -> Self {
        self.dedupe = Some(Arc::new(dedupe));
        self
    }

    /// Hands each delivery with fresh events to `handler`: polled once inline, continued in a
    /// spawned task if it waits. A panic in the handler is logged and never reaches the answer.
    ///
    /// At most once after the `200`: a handler that fails, or a process that dies while it
    /// runs, loses the events (Meta never redelivers a body it got `200` for). Use
    /// [`inbox`](Self::inbox) when nothing may be lost.
    pub fn handler<H: DeliveryHandler>(mut self, handler: H) -> Self {
        let handler = Arc::new(handler);
        self.sink = Sink::Handler(Arc::new(move |delivery| {
            let handler = Arc::clone(&handler);
            Box::pin(async move { handler.handle(delivery).await })
        }));
        self
    }

    /// Durable mode: each verified body's events are stored in `inbox` (deduped in the same
    /// transaction) before the answer. `200` means stored; a store that fails gets `503`, and
    /// Meta redelivers. Process the events with a [`Worker`](crate::delivery::Worker) on the
    /// same queue: at least once, with retries, leases and dead letters. The router's
    /// [`dedupe`](Self::dedupe) is not needed (and not used) in this mode.
    pub fn inbox(mut self, inbox: Inbox) -> Self {
        self.sink = Sink::Inbox(inbox);
        self
    }

    /// Sends each delivery with fresh events to a channel; when it is full the request gets
    /// `503` (before anything is marked seen), so Meta redelivers later.
    ///
    /// At most once after the `200`: events in the channel are lost if the process dies before
    /// they are handled. Use [`inbox`](Self::inbox) when nothing may be lost.
    pub fn channel(mut self, sender: mpsc::Sender<Delivery>) -> Self {
        self.sink = Sink::Channel(sender);
        self
    }

    /// The router: `GET /` (handshake) and `POST /` (events). Nest it where you like.
    ///
    /// Set a [`handler`](Self::handler) or a [`channel`](Self::channel) first: without one,
    /// events are verified, recorded as seen and dropped.
    pub fn into_router(self) -> Router {
        let state = Arc::new(RouterState {
            verification: self.verification,
            verify_token: self.verify_token,
            dedupe: self.dedupe,
            sink: self.sink,
        });
        Router::new().route("/", get(handshake_route).post(events_route)).with_state(state)
    }
}

async fn handshake_route(State(state): State<Arc<RouterState>>, uri: Uri) -> Response {
    handshake_response(uri.query(), &state.verify_token)
}

async fn events_route(State(state): State<Arc<RouterState>>, verified: VerifiedWebhook) -> Response {
    if let Sink::Inbox(inbox) = &state.sink {
        // Stored in a task of its own, so a request dropped half-way still finishes its write
        // (its answer is lost, Meta redelivers, and the redelivery is deduped).
        let inbox = inbox.clone();
        let work = tokio::spawn(async move { inbox.store(&verified.body, &verified.webhook).await });
        return match work.await {
            Ok(Ok(_)) => StatusCode::OK.into_response(),
            Ok(Err(error)) => {
                tracing::warn!(%error, "webhook inbox unavailable; answering 503 so Meta redelivers");
                WebhookRejection::Unavailable.into_response()
            }
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    }
    let permit = match &state.sink {
        Sink::Channel(sender) => match sender.clone().try_reserve_owned() {
            Ok(permit) => Some(permit),
            Err(_) => return WebhookRejection::Unavailable.into_response(),
        },
        _ => None,
    };
    // Marking events seen and handing them over must finish once started: if Meta gives up and
    // the request is dropped half-way, no event may be marked seen without being delivered. The
    // work is polled once here (an in-memory dedupe finishes in that poll, with no point where
    // the request could be dropped); if it waits on a store, it moves to a task of its own.
    match run_to_completion(deliver(Arc::clone(&state), verified, permit)).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Runs `work` to its end even if the caller is dropped: polled once inline, then, if it is
/// still pending, spawned and awaited (a task is not cancelled with its awaiter).
async fn run_to_completion<F>(work: F) -> Result<F::Output, tokio::task::JoinError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut work = Box::pin(work);
    if let Some(output) = futures_util::FutureExt::now_or_never(&mut work) {
        return Ok(output);
    }
    tokio::spawn(work).await
}

async fn deliver(
    state: Arc<RouterState>,
    verified: VerifiedWebhook,
    permit: Option<mpsc::OwnedPermit<Delivery>>,
) {
    let VerifiedWebhook { webhook, body } = verified;
    let fresh = match &state.dedupe {
        // At least once beats lost: without a working store, the rest of the body goes through.
        Some(dedupe) => fresh_flags(dedupe.as_ref(), &webhook, OnStoreError::KeepAll)
            .await
            .unwrap_or_else(|_| vec![true; webhook.events().count()]),
        None => vec![true; webhook.events().count()],
    };
    if fresh.iter().any(|f| *f) {
        let delivery = Delivery { webhook, fresh, body };
        match (&state.sink, permit) {
            (Sink::Handler(handler), _) => {
                let mut work = handler(delivery);
                let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    futures_util::FutureExt::now_or_never(&mut work)
                }));
                match first {
                    Ok(Some(())) => {}
                    Ok(None) => {
                        tokio::spawn(work);
                    }
                    Err(_) => tracing::error!("webhook handler panicked; its delivery is lost"),
                }
            }
            (Sink::Channel(_), Some(permit)) => {
                permit.send(delivery);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::run_to_completion;

    #[tokio::test]
    async fn work_that_waits_finishes_even_when_its_caller_is_dropped() {
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let caller = tokio::spawn(run_to_completion(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            flag.store(true, Ordering::SeqCst);
        }));
        tokio::time::sleep(Duration::from_millis(5)).await;
        caller.abort(); // Meta gave up on the request
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(done.load(Ordering::SeqCst), "the work went on in a task of its own");
    }

    #[tokio::test]
    async fn work_that_is_ready_at_once_runs_inline() {
        assert_eq!(run_to_completion(async { 7 }).await.unwrap(), 7);
    }
}
