//! Messenger Platform.
//!
//! - [`webhook`]: typed models of Messenger webhooks (`object = "page"`), also used for
//!   Instagram Messaging, produced by [`webhook::parse`](crate::webhook::parse).

pub mod webhook;
