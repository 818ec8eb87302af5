//! Receiving Meta's webhooks safely: verify, parse, walk every event, dedupe. No HTTP client.
//!
//! This crate is part of [`meta-messaging`](https://docs.rs/meta-messaging), which re-exports it
//! as `meta_messaging::webhook`. Depend on it alone for a service that only receives webhooks:
//! it builds without reqwest, hyper or rustls.
//!
//! # The pipeline
//!
//! 1. **Cap the body** before buffering it ([`BodyLimit`], 4 MiB by default).
//! 2. **Verify the signature** over the *raw* bytes ([`Verifier`]): `X-Hub-Signature-256` is
//!    HMAC-SHA256 of the body with your app secret. Never parse and re-serialize first; Meta's
//!    bodies escape `/` and non-ASCII characters, so re-serialized JSON has other bytes.
//! 3. **Parse** ([`parse`]) into a typed [`Webhook`]. Unknown message types, event keys and
//!    change fields are kept as raw JSON; one odd element never fails the batch.
//! 4. **Walk every event** ([`Webhook::events`]): Meta batches several entries, changes,
//!    messages and statuses into one request. Each [`Event`] has a stable dotted
//!    [`kind`](Event::kind) and helpers for sender, recipient, message id, time and text.
//!    Each event also has its [`EventSite`]: where its own JSON object sits in the body
//!    ([`Webhook::events_with_sites`], [`EventSite::locate`]), for relays and stores that keep
//!    Meta's bytes as sent. The count rule (one event per message, status, call, group update,
//!    echo and messaging item; otherwise one per change) is stated once, in one walk that the
//!    events, the raw cut, the durable inbox and the dedupe keys all follow.
//! 5. **Dedupe** ([`Deduplicator`], [`new_events`]): delivery is at least once; the same event
//!    can arrive again hours later. Meta's signature has no timestamp, so this is also the
//!    replay defence.
//! 6. Answer `200` quickly and process asynchronously.
//!
//! The GET subscription handshake is [`Subscription`]; forwarding events to your own customers
//! with Standard Webhooks signatures is [`relay`].
//!
//! ```
//! use meta_messaging_webhook::{Verifier, WebhookError};
//!
//! # fn handle(body: &[u8], signature_header: &str) -> Result<(), WebhookError> {
//! let verifier = Verifier::new("app-secret");
//! let payload = verifier.verify_and_parse(body, signature_header)?;
//! for event in payload.events() {
//!     match event.kind().to_string().as_str() {
//!         "whatsapp.message.text" => println!("{:?} says {:?}", event.sender(), event.text()),
//!         kind => println!("{kind}"),
//!     }
//! }
//! # Ok(()) }
//! # let v = Verifier::new("app-secret");
//! # let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
//! # handle(body, &v.sign(body)).unwrap();
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod dedupe;
mod event;
mod handshake;
mod limit;
mod parse;
pub mod relay;
mod verify;

// What the modules of this crate name as `crate::…`, from the crates below it.
pub use meta_messaging_core::clock;
use meta_messaging_core::{secret, store, util};
use meta_messaging_model::{Platform, Timestamp, envelope, graph, messenger, user, whatsapp};

pub use crate::envelope::{EntryList, EventSite, ItemList};
pub use dedupe::{
    CLAIM_TTL, Deduplicator, InMemoryDeduplicator, OnStoreError, body_digest, fresh_flags, new_events,
};
pub use event::{Event, EventKind, Events, EventsWithSites};
pub use handshake::{HandshakeError, Subscription};
pub use limit::{BodyLimit, DEFAULT_MAX_BODY_BYTES, DEFAULT_READ_DEADLINE, ReadBodyError};
pub use meta_messaging_core::{AppSecret, StoreError, VerifyToken};
/// The payload models this crate parses into (`meta-messaging-model`).
pub use meta_messaging_model as model;
pub use parse::{OBJECT_INSTAGRAM, OBJECT_PAGE, OBJECT_WHATSAPP, ParseError, Unsupported, Webhook, parse};
pub use verify::{
    LEGACY_SIGNATURE_HEADER, MAX_SECRETS, SIGNATURE_HEADER, Verifier, VerifyError, WebhookError,
};
