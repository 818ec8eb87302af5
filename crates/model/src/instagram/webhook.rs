//! Instagram webhook models (`object = "instagram"`).
//!
//! Messaging events (`entry[].messaging[]`) have the Messenger envelope and are modelled by
//! [`crate::messenger::webhook`] (which also covers Instagram-only fields such as
//! `is_deleted` and story replies). This module models Instagram's `changes[]` values, per the
//! Instagram Platform webhooks reference (Graph API v25.0): `comments` and `live_comments`,
//! `mentions`, `story_insights`. Other fields are kept as raw JSON.

pub use crate::messenger::webhook::{
    Comment, CommentAuthor, CommentMedia, Mention, Messaging, MessagingEvent, MessengerChange,
    MessengerChangeValue, MessengerEntry, MessengerEvent, MessengerEvents, MessengerPayload, StoryInsights,
};
