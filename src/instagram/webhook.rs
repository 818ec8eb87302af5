//! Instagram webhook models (`object = "instagram"`).
//!
//! Messaging events (`entry[].messaging[]`) have the Messenger envelope and are modelled by
//! [`crate::messenger::webhook`] (which also covers Instagram-only fields such as
//! `is_deleted` and story replies). This module models Instagram's `changes[]` values, per the
//! Instagram Platform webhooks reference (Graph API v25.0): `comments` and `live_comments`,
//! `mentions`, `story_insights`. Other fields are kept as raw JSON.

use serde::Deserialize;

use crate::graph::serde_util::{opt_integer_or_string, opt_string_or_integer};

pub use crate::messenger::webhook::{
    Change, ChangeValue, Entry, Event, Events, Messaging, MessagingEvent, Payload,
};

/// A comment (`comments`, `live_comments`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Comment {
    /// Comment id: the recipient of a private reply.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Text.
    #[serde(default)]
    pub text: Option<String>,
    /// The comment replied to.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub parent_id: Option<String>,
    /// Author.
    #[serde(default)]
    pub from: Option<CommentAuthor>,
    /// The media commented on.
    #[serde(default)]
    pub media: Option<CommentMedia>,
}

/// The author of a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CommentAuthor {
    /// Instagram-scoped id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// The author's id scoped to your app's Instagram account, when they are that account.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub self_ig_scoped_id: Option<String>,
}

/// The media a comment is on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CommentMedia {
    /// Media id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// `FEED`, `REELS`, `STORY`, `LIVE`, `AD`.
    #[serde(default)]
    pub media_product_type: Option<String>,
    /// Ad id, for comments on ads.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub ad_id: Option<String>,
    /// Ad title.
    #[serde(default)]
    pub ad_title: Option<String>,
    /// The organic media behind an ad.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub original_media_id: Option<String>,
}

/// A mention (`mentions`) in a comment or a caption.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Mention {
    /// The media.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub media_id: Option<String>,
    /// The comment, for comment mentions.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub comment_id: Option<String>,
}

/// Story metrics (`story_insights`); `-1` means not available.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct StoryInsights {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub media_id: Option<String>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub exits: Option<i64>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub replies: Option<i64>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub reach: Option<i64>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub taps_forward: Option<i64>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub taps_back: Option<i64>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub impressions: Option<i64>,
}
