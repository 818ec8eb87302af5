//! Test support (feature `testing`): test your bot end to end without Meta.
//!
//! - [`FakeGraph`]: a local Graph API server (wiremock on 127.0.0.1) that understands the
//!   messaging endpoints of WhatsApp, Messenger and Instagram. It checks each request the way
//!   Meta does (token, required fields, known message types, length limits), answers with
//!   realistic ids, records an [outbox](FakeGraph::outbox) to assert on, and fails the next
//!   requests on demand with Meta's own error bodies ([`FakeError`]).
//! - [`WebhookBuilder`]: realistic webhook bodies for each platform's events, escaped the way
//!   Meta escapes them and signed with your app secret, ready to post at your endpoint.
//! - The token-store conformance suites live in [`crate::token::testing`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use meta_messaging::testing::{FakeError, FakeGraph};
//!
//! let graph = FakeGraph::start().await;
//! let wa = graph.client("EAAG-test-token").whatsapp("106540352242922");
//!
//! wa.send_text("16505551234", "Your order has shipped").await?;
//! graph.fail_next(FakeError::ReEngagement);
//! let refused = wa.send_text("16505551234", "Still there?").await.unwrap_err();
//! assert_eq!(refused.kind(), meta_messaging::ErrorKind::OutsideWindow);
//!
//! let outbox = graph.outbox();
//! assert_eq!(outbox.len(), 1);
//! assert_eq!(outbox[0].to, "16505551234");
//! assert_eq!(outbox[0].text(), Some("Your order has shipped"));
//! # Ok(()) }
//! ```

mod fake_graph;
mod webhook_builder;

pub use fake_graph::{FakeError, FakeGraph, OUTBOX_PATH, OutboxMessage, read_outbox};
pub use webhook_builder::{SignedWebhook, WebhookBuilder};

/// The `reqwest` this crate is built on (0.13), for [`SignedWebhook::post`]: a client of
/// another `reqwest` version is another type.
pub use reqwest;

/// A `reqwest` client with this crate's TLS ([`http_client_builder`](crate::graph::http_client_builder)),
/// for posting to your endpoint in tests.
///
/// # Panics
///
/// When the TLS configuration cannot be set up (the machine holds no CA certificates).
pub fn http_client() -> reqwest::Client {
    crate::graph::http_client_builder()
        .and_then(|builder| builder.build().map_err(crate::Error::from_reqwest))
        .expect("an HTTP client with the crate's TLS")
}
