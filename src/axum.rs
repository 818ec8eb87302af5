//! axum integration (feature `axum`): a ready webhook router, and an extractor for your own
//! routes. Both are thin layers over the framework-neutral
//! [`WebhookEndpoint`].
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

use axum::Router;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use crate::VerifyToken;
use crate::delivery::Inbox;
pub use crate::endpoint::{
    Delivery, DeliveryHandler, VerifiedWebhook, WebhookEndpoint, WebhookRejection, WebhookVerification,
};
use crate::webhook::{BodyLimit, Deduplicator, Verifier};

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.to_response().map(axum::body::Body::from)
    }
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
        // Everything that can fail without the body fails before it is read.
        let signature = config.check_head(&parts.headers)?;
        let body = config.read_body(body).await?;
        config.verify_body(signature, body)
    }
}

/// Answers Meta's `GET` subscription handshake: `200` with the challenge, or `403`.
pub fn handshake_response(query: Option<&str>, expected: &VerifyToken) -> Response {
    crate::endpoint::handshake(query, expected).map(axum::body::Body::from)
}

/// Builds the webhook [`Router`]: a [`WebhookEndpoint`] mounted at `/`.
#[must_use]
#[derive(Debug)]
pub struct WebhookRouter {
    endpoint: WebhookEndpoint,
}

impl WebhookRouter {
    /// A router verifying with `verifier` and answering handshakes for `verify_token`.
    pub fn new(verifier: Verifier, verify_token: impl Into<VerifyToken>) -> Self {
        Self { endpoint: WebhookEndpoint::new(verifier, verify_token) }
    }

    /// Sets the body cap (4 MiB by default).
    pub fn body_limit(self, limit: BodyLimit) -> Self {
        Self { endpoint: self.endpoint.body_limit(limit) }
    }

    /// Drops redeliveries with `dedupe` (checked after the signature, before your handler).
    pub fn dedupe(self, dedupe: impl Deduplicator + 'static) -> Self {
        Self { endpoint: self.endpoint.dedupe(dedupe) }
    }

    /// Hands each delivery with fresh events to `handler`; see [`WebhookEndpoint::handler`].
    /// At most once after the `200`: use [`inbox`](Self::inbox) when nothing may be lost.
    pub fn handler<H: DeliveryHandler>(self, handler: H) -> Self {
        Self { endpoint: self.endpoint.handler(handler) }
    }

    /// Durable mode: `200` only once the events are stored in `inbox`; see
    /// [`WebhookEndpoint::inbox`]. It replaces [`handler`](Self::handler); a
    /// [`Worker`](crate::delivery::Worker) with an
    /// [`EventHandler`](crate::delivery::EventHandler) gets the typed events and feeds the
    /// window tracker and identity directory.
    pub fn inbox(self, inbox: Inbox) -> Self {
        Self { endpoint: self.endpoint.inbox(inbox) }
    }

    /// Sends each delivery with fresh events to a channel (`503` when it is full); see
    /// [`WebhookEndpoint::channel`].
    pub fn channel(self, sender: mpsc::Sender<Delivery>) -> Self {
        Self { endpoint: self.endpoint.channel(sender) }
    }

    /// The endpoint behind the router, to mount elsewhere.
    pub fn into_endpoint(self) -> WebhookEndpoint {
        self.endpoint
    }

    /// The router: `GET /` (handshake) and `POST /` (events). Nest it where you like.
    ///
    /// Set a [`handler`](Self::handler), [`channel`](Self::channel) or [`inbox`](Self::inbox)
    /// first: without one, events are verified, recorded as seen and dropped.
    pub fn into_router(self) -> Router {
        Router::new().route_service("/", self.endpoint)
    }
}

/// The WhatsApp Flows data endpoint as a router (features `flows` and `axum`): `POST /`, nest it
/// where you like (for example at `/flow`). See [`FlowService`](crate::flow_service::FlowService).
#[cfg(feature = "flows")]
pub fn flow_router(service: crate::flow_service::FlowService) -> Router {
    Router::new().route_service("/", service)
}
