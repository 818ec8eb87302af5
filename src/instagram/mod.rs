//! Instagram Messaging and Instagram webhooks.
//!
//! - [`webhook`]: Instagram's change models (comments, mentions, story insights); its messaging
//!   events share the Messenger models in [`crate::messenger::webhook`].

pub mod webhook;
