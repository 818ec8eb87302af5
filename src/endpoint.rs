//! The webhook endpoint, framework-neutral (feature `tower`): the whole of it as a
//! [`tower::Service`](tower_service::Service) over [`http::Request`] and [`http::Response`], so
//! hyper, axum, tonic's server, salvo and poem mount it as is, and as a plain async function
//! ([`WebhookEndpoint::handle_buffered`]) for runtimes without tower (serverless handlers).
//!
//! [`WebhookEndpoint`] serves one path: `GET` answers Meta's subscription handshake, `POST`
//! checks the declared length, then the signature header's shape (before reading the body),
//! reads the body under the cap, verifies the signature on the raw bytes, parses, and then, by
//! mode:
//!
//! | mode | what `200` means |
//! |---|---|
//! | [`inbox`](WebhookEndpoint::inbox) (durable) | the events are stored in a [`Queue`](crate::delivery::Queue), deduped; nothing is lost after it |
//! | [`handler`](WebhookEndpoint::handler) | fresh events handed to the handler (started, not finished): at most once |
//! | [`channel`](WebhookEndpoint::channel) | fresh events placed in a bounded channel: at most once |
//!
//! Rejections carry the status Meta and operators expect ([`WebhookRejection::status`]): `413`
//! for an oversized body, `401` for a missing or wrong signature, `400` for a body that does not
//! parse, `503` when the application cannot take the delivery (Meta redelivers later), `405`
//! for other methods. They never echo a secret.
//!
//! With hyper (any server that takes a tower service works the same way):
//!
//! ```no_run
//! # async fn run(stream: tokio::net::TcpStream) {
//! use meta_messaging::endpoint::{Delivery, WebhookEndpoint};
//! use meta_messaging::webhook::{InMemoryDeduplicator, Verifier};
//!
//! let endpoint = WebhookEndpoint::new(Verifier::new("app-secret"), "my-verify-token")
//!     .dedupe(InMemoryDeduplicator::default())
//!     .handler(|delivery: Delivery| async move {
//!         for event in delivery.events() {
//!             println!("{}", event.kind());
//!         }
//!     });
//! // hyper_util::service::TowerToHyperService::new(endpoint), served per connection.
//! # let _ = (endpoint, stream);
//! # }
//! ```
//!
//! Without tower, hand it the buffered request:
//!
//! ```
//! # async fn run() {
//! use meta_messaging::endpoint::WebhookEndpoint;
//! use meta_messaging::webhook::Verifier;
//!
//! let endpoint = WebhookEndpoint::new(Verifier::new("app-secret"), "my-verify-token");
//! let request = http::Request::get("/?hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=42")
//!     .body(bytes::Bytes::new())
//!     .unwrap();
//! let response = endpoint.handle_buffered(request).await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body().as_ref(), b"42");
//! # }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, header};
use http_body_util::{BodyDataStream, Full};
use tokio::sync::mpsc;

use crate::VerifyToken;
use crate::delivery::Inbox;
use crate::telemetry;
use crate::webhook::{
    BodyLimit, Deduplicator, Event, LEGACY_SIGNATURE_HEADER, OnStoreError, ParseError, ReadBodyError,
    SIGNATURE_HEADER, Subscription, Verifier, VerifyError, Webhook, fresh_flags, parse,
};

/// The verifier and the body cap: everything needed to turn a request into a
/// [`VerifiedWebhook`].
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

    /// Checks what can be checked before the body is read: the declared length and the
    /// signature headers' presence and shape. Returns the signature headers to verify with.
    ///
    /// # Errors
    ///
    /// [`WebhookRejection::TooLarge`] or [`WebhookRejection::Signature`].
    pub fn check_head<'h>(&self, headers: &'h HeaderMap) -> Result<SignatureHeaders<'h>, WebhookRejection> {
        let declared =
            header_text(headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok());
        self.limit
            .check_content_length(declared)
            .map_err(|_| WebhookRejection::TooLarge { limit: self.limit.max() })?;
        // A SHA-256 header that is present but unreadable is malformed, never "absent" (which
        // would fall back to the weaker legacy header).
        let sha256 = match headers.get(SIGNATURE_HEADER) {
            Some(value) => {
                Some(value.to_str().map_err(|_| WebhookRejection::Signature(VerifyError::Malformed))?)
            }
            None => None,
        };
        let legacy = header_text(headers, LEGACY_SIGNATURE_HEADER);
        self.verifier.check_headers(sha256, legacy).map_err(WebhookRejection::Signature)?;
        Ok(SignatureHeaders { sha256, legacy })
    }

    /// Reads a body stream under the cap.
    ///
    /// # Errors
    ///
    /// [`WebhookRejection::TooLarge`] past the cap, [`WebhookRejection::Body`] when the stream
    /// fails.
    pub async fn read_body<B>(&self, body: B) -> Result<Bytes, WebhookRejection>
    where
        B: http_body::Body<Data = Bytes>,
    {
        self.limit.read(BodyDataStream::new(body)).await.map_err(|e| match e {
            ReadBodyError::TooLarge { limit } => WebhookRejection::TooLarge { limit },
            _ => WebhookRejection::Body,
        })
    }

    /// Verifies a body read under the cap against the headers [`check_head`](Self::check_head)
    /// returned, and parses it.
    ///
    /// # Errors
    ///
    /// [`WebhookRejection::TooLarge`], [`WebhookRejection::Signature`] or
    /// [`WebhookRejection::Malformed`].
    pub fn verify_body(
        &self,
        headers: SignatureHeaders<'_>,
        body: Bytes,
    ) -> Result<VerifiedWebhook, WebhookRejection> {
        self.limit.check(&body).map_err(|_| WebhookRejection::TooLarge { limit: self.limit.max() })?;
        self.verifier
            .verify_headers(&body, headers.sha256, headers.legacy)
            .map_err(WebhookRejection::Signature)?;
        let webhook = parse(&body).map_err(WebhookRejection::Malformed)?;
        Ok(VerifiedWebhook { webhook, body })
    }
}

/// The signature headers of a request whose head passed
/// [`WebhookVerification::check_head`].
#[derive(Clone, Copy, Debug)]
pub struct SignatureHeaders<'h> {
    sha256: Option<&'h str>,
    legacy: Option<&'h str>,
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
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
            // One answer for every signature failure: nothing about the receiver's configuration
            // (whether it has a secret, which header it wanted) reaches the caller.
            Self::Signature(_) => "webhook signature missing or invalid".to_owned(),
            Self::Malformed(error) => error.to_string(),
            Self::Body => "the webhook body could not be read".to_owned(),
            Self::Unavailable => "the webhook receiver is busy; retry later".to_owned(),
        }
    }

    /// A stable snake-case name for metrics: `too_large`, `signature`, `malformed`, `body`,
    /// `unavailable`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Signature(_) => "signature",
            Self::Malformed(_) => "malformed",
            Self::Body => "body",
            Self::Unavailable => "unavailable",
        }
    }

    /// The response: its status and [`body_text`](Self::body_text).
    pub fn to_response(&self) -> http::Response<Bytes> {
        tracing::debug!(status = %self.status(), reason = %self.body_text(), "webhook rejected");
        text_response(self.status(), self.body_text())
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.body_text())
    }
}

impl std::error::Error for WebhookRejection {}

fn text_response(status: StatusCode, text: impl Into<Bytes>) -> http::Response<Bytes> {
    let mut response = http::Response::new(text.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn empty_response(status: StatusCode) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

/// Answers Meta's `GET` subscription handshake: `200` with the challenge, or `403`.
pub fn handshake(query: Option<&str>, expected: &VerifyToken) -> http::Response<Bytes> {
    let subscription = Subscription::from_query(query.unwrap_or(""));
    match subscription.verify(expected) {
        Ok(challenge) => text_response(StatusCode::OK, challenge.to_owned()),
        Err(error) => {
            tracing::debug!(reason = %error, "webhook handshake refused");
            // The reason stays in the log: the caller learns nothing about the configuration.
            text_response(StatusCode::FORBIDDEN, "subscription handshake refused")
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

type BoxHandler = Arc<dyn Fn(Delivery) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Clone)]
enum Sink {
    None,
    Handler(BoxHandler),
    Channel(mpsc::Sender<Delivery>),
    Inbox(Inbox),
}

#[derive(Clone)]
struct State {
    verification: WebhookVerification,
    verify_token: VerifyToken,
    dedupe: Option<Arc<dyn Deduplicator>>,
    sink: Sink,
}

/// The webhook endpoint: a [`tower::Service`](tower_service::Service) over `http` requests,
/// cheap to clone. See the [module docs](self).
#[derive(Clone)]
#[must_use]
pub struct WebhookEndpoint {
    state: Arc<State>,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.state.sink {
            Sink::None => "none",
            Sink::Handler(_) => "handler",
            Sink::Channel(_) => "channel",
            Sink::Inbox(_) => "inbox",
        };
        f.debug_struct("WebhookEndpoint")
            .field("verification", &self.state.verification)
            .field("verify_token", &self.state.verify_token)
            .field("dedupe", &self.state.dedupe.is_some())
            .field("mode", &mode)
            .finish()
    }
}

impl WebhookEndpoint {
    /// An endpoint verifying with `verifier` and answering handshakes for `verify_token`.
    pub fn new(verifier: Verifier, verify_token: impl Into<VerifyToken>) -> Self {
        let state = State {
            verification: WebhookVerification::new(verifier),
            verify_token: verify_token.into(),
            dedupe: None,
            sink: Sink::None,
        };
        Self { state: Arc::new(state) }
    }

    fn edit(mut self, change: impl FnOnce(&mut State)) -> Self {
        change(Arc::make_mut(&mut self.state));
        self
    }

    /// Sets the body cap (4 MiB by default).
    pub fn body_limit(self, limit: BodyLimit) -> Self {
        self.edit(|s| s.verification = s.verification.clone().body_limit(limit))
    }

    /// Drops redeliveries with `dedupe` (checked after the signature, before your handler).
    pub fn dedupe(self, dedupe: impl Deduplicator + 'static) -> Self {
        self.edit(|s| s.dedupe = Some(Arc::new(dedupe)))
    }

    /// Hands each delivery with fresh events to `handler`: polled once inline, continued in a
    /// spawned task if it waits. A panic in the handler is logged and never reaches the answer.
    ///
    /// At most once after the `200`: a handler that fails, or a process that dies while it
    /// runs, loses the events (Meta never redelivers a body it got `200` for). Use
    /// [`inbox`](Self::inbox) when nothing may be lost.
    pub fn handler<H: DeliveryHandler>(self, handler: H) -> Self {
        let handler = Arc::new(handler);
        let boxed: BoxHandler = Arc::new(move |delivery| {
            let handler = Arc::clone(&handler);
            Box::pin(async move { handler.handle(delivery).await })
        });
        self.edit(|s| s.sink = Sink::Handler(boxed))
    }

    /// Durable mode: each verified body's events are stored in `inbox` (deduped in the same
    /// transaction) before the answer. `200` means stored; a store that fails gets `503`, and
    /// Meta redelivers. Process the events with a [`Worker`](crate::delivery::Worker) on the
    /// same queue. The endpoint's [`dedupe`](Self::dedupe) is not used in this mode, and this
    /// mode replaces [`handler`](Self::handler) and [`channel`](Self::channel) (the last call
    /// wins). Handle the events in the worker with an
    /// [`EventHandler`](crate::delivery::EventHandler): it gives each one typed, and feeds the
    /// window tracker and identity directory (`.windows(tracker)`, `.identities(directory)`)
    /// before your code runs.
    pub fn inbox(self, inbox: Inbox) -> Self {
        self.edit(|s| s.sink = Sink::Inbox(inbox))
    }

    /// Sends each delivery with fresh events to a channel; when it is full the request gets
    /// `503` (before anything is marked seen), so Meta redelivers later.
    ///
    /// At most once after the `200`: events in the channel are lost if the process dies before
    /// they are handled. Use [`inbox`](Self::inbox) when nothing may be lost.
    pub fn channel(self, sender: mpsc::Sender<Delivery>) -> Self {
        self.edit(|s| s.sink = Sink::Channel(sender))
    }

    /// The verification settings (for an extractor of your own).
    pub fn verification(&self) -> &WebhookVerification {
        &self.state.verification
    }

    /// Serves one request with a streamed body.
    pub async fn handle<B>(&self, request: http::Request<B>) -> http::Response<Bytes>
    where
        B: http_body::Body<Data = Bytes>,
    {
        let (parts, body) = request.into_parts();
        let span = tracing::debug_span!("webhook_request", method = %parts.method);
        tracing::Instrument::instrument(self.serve(parts, body), span).await
    }

    async fn serve<B>(&self, parts: http::request::Parts, body: B) -> http::Response<Bytes>
    where
        B: http_body::Body<Data = Bytes>,
    {
        match parts.method {
            Method::GET => {
                let response = handshake(parts.uri.query(), &self.state.verify_token);
                let outcome = if response.status() == StatusCode::OK { "accepted" } else { "refused" };
                telemetry::count(telemetry::WEBHOOK_HANDSHAKES, &[("outcome", outcome)], 1);
                response
            }
            Method::POST => {
                // Timed only when there are metrics to report it to.
                let started = cfg!(feature = "metrics").then(std::time::Instant::now);
                let verification = &self.state.verification;
                let verified = match verification.check_head(&parts.headers) {
                    Ok(signature) => match verification.read_body(body).await {
                        Ok(bytes) => verification.verify_body(signature, bytes),
                        Err(rejection) => Err(rejection),
                    },
                    Err(rejection) => Err(rejection),
                };
                let response = match verified {
                    Ok(verified) => {
                        count_events(&verified.webhook);
                        let response = self.accept(verified).await;
                        let outcome = match response.status() {
                            StatusCode::OK => "accepted",
                            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
                            _ => "error",
                        };
                        telemetry::count(telemetry::WEBHOOK_REQUESTS, &[("outcome", outcome)], 1);
                        response
                    }
                    Err(rejection) => {
                        telemetry::count(telemetry::WEBHOOK_REQUESTS, &[("outcome", rejection.reason())], 1);
                        rejection.to_response()
                    }
                };
                if let Some(started) = started {
                    telemetry::observe(
                        telemetry::WEBHOOK_HANDLING_SECONDS,
                        &[],
                        started.elapsed().as_secs_f64(),
                    );
                }
                response
            }
            _ => {
                let mut response = empty_response(StatusCode::METHOD_NOT_ALLOWED);
                response.headers_mut().insert(header::ALLOW, http::HeaderValue::from_static("GET, POST"));
                response
            }
        }
    }

    /// Serves one request whose body is already in memory: the plain function form, for
    /// serverless handlers and runtimes without tower. The body cap still applies.
    pub async fn handle_buffered(&self, request: http::Request<Bytes>) -> http::Response<Bytes> {
        self.handle(request.map(Full::new)).await
    }

    /// Hands a verified webhook over in the configured mode and answers.
    pub async fn accept(&self, verified: VerifiedWebhook) -> http::Response<Bytes> {
        if let Sink::Inbox(inbox) = &self.state.sink {
            // Stored in a task of its own, so a request dropped half-way still finishes its
            // write (its answer is lost, Meta redelivers, and the redelivery is deduped).
            let inbox = inbox.clone();
            let work = tokio::spawn(async move { inbox.store(&verified.body, &verified.webhook).await });
            return match work.await {
                Ok(Ok(stored)) => {
                    let again = stored.events.saturating_sub(stored.stored) as u64;
                    if again > 0 {
                        telemetry::count(telemetry::WEBHOOK_DEDUPE_HITS, &[], again);
                    }
                    empty_response(StatusCode::OK)
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "webhook inbox unavailable; answering 503 so Meta redelivers");
                    WebhookRejection::Unavailable.to_response()
                }
                Err(_) => empty_response(StatusCode::INTERNAL_SERVER_ERROR),
            };
        }
        let permit = match &self.state.sink {
            Sink::Channel(sender) => match sender.clone().try_reserve_owned() {
                Ok(permit) => Some(permit),
                Err(_) => return WebhookRejection::Unavailable.to_response(),
            },
            _ => None,
        };
        // Marking events seen and handing them over must finish once started: if Meta gives up
        // and the request is dropped half-way, no event may be marked seen without being
        // delivered. The work is polled once here (an in-memory dedupe finishes in that poll);
        // if it waits on a store, it moves to a task of its own.
        match run_to_completion(deliver(Arc::clone(&self.state), verified, permit)).await {
            Ok(()) => empty_response(StatusCode::OK),
            Err(_) => empty_response(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl<B> tower_service::Service<http::Request<B>> for WebhookEndpoint
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let endpoint = self.clone();
        Box::pin(async move { Ok(endpoint.handle(request).await.map(Full::new)) })
    }
}

/// Counts the events of an accepted body by platform and category (feature `metrics`).
fn count_events(webhook: &Webhook) {
    if !cfg!(feature = "metrics") {
        return;
    }
    for event in webhook.events() {
        let kind = event.kind();
        let category = if kind.category().is_empty() { "field" } else { kind.category() };
        telemetry::count(
            telemetry::WEBHOOK_EVENTS,
            &[("platform", kind.platform().as_str()), ("category", category)],
            1,
        );
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

async fn deliver(state: Arc<State>, verified: VerifiedWebhook, permit: Option<mpsc::OwnedPermit<Delivery>>) {
    let VerifiedWebhook { webhook, body } = verified;
    let fresh = match &state.dedupe {
        // At least once beats lost: without a working store, the rest of the body goes through.
        Some(dedupe) => fresh_flags(dedupe.as_ref(), &webhook, OnStoreError::KeepAll)
            .await
            .unwrap_or_else(|_| vec![true; webhook.events().count()]),
        None => vec![true; webhook.events().count()],
    };
    let seen = fresh.iter().filter(|f| !**f).count();
    if seen > 0 {
        telemetry::count(telemetry::WEBHOOK_DEDUPE_HITS, &[], seen as u64);
    }
    if seen == fresh.len() {
        return;
    }
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
