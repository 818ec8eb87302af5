//! The models of what Meta's messaging platforms send, usable without an HTTP client.
//!
//! This crate is part of [`meta-messaging`](https://docs.rs/meta-messaging), which re-exports
//! every item here under the same path (`meta_messaging::whatsapp::webhook::InboundMessage`,
//! `meta_messaging::Timestamp`, ...): most programs add that crate. Depend on this one alone to
//! store, forward or read Meta's payloads without calling Graph; it needs only `serde` and
//! `serde_json`.
//!
//! - [`whatsapp`], [`messenger`], [`instagram`]: each platform's ids and webhook payloads;
//! - [`graph`]: the values every platform shares ([`Timestamp`], [`Platform`], [`RawJson`]);
//! - [`envelope`]: the shape of a webhook body and the one walk that finds its events;
//! - [`UserIdentity`]: a user by any of the names Meta gives them.
//!
//! ```
//! use meta_messaging_model::whatsapp::webhook::WhatsAppPayload;
//!
//! let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[
//!   {"field":"messages","value":{"messaging_product":"whatsapp",
//!     "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
//!     "messages":[{"from":"16505551234","id":"wamid.HBgL","timestamp":"1749416383",
//!       "type":"text","text":{"body":"Hello"}}]}}]}]}"#;
//! let payload: WhatsAppPayload = serde_json::from_str(body)?;
//! let event = payload.events().next().expect("one message");
//! assert_eq!(event.text(), Some("Hello"));
//! # Ok::<(), serde_json::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod envelope;
pub mod graph;
pub mod instagram;
pub mod messenger;
pub mod user;
pub mod whatsapp;

pub use graph::{Lazy, Platform, RawJson, Timestamp};
pub use user::UserIdentity;
