//! `changes[]` items: Instagram comments, mentions and story insights, typed by field; any other
//! field kept as raw JSON.

use serde::{Deserialize, Deserializer};

use crate::Timestamp;
use crate::graph::RawJson;
use crate::graph::serde_util::{opt_bool_lenient, opt_integer_or_string, opt_string_or_integer};
use crate::messenger::CommentId;

/// A `changes[]` item: a field and its value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MessengerChange {
    /// The field (`comments`, `mentions`, `feed`, ...), verbatim.
    pub field: String,
    /// The value, typed by field.
    pub value: MessengerChangeValue,
}

/// The value of a change, typed by its field.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MessengerChangeValue {
    /// Instagram `comments` and `live_comments`.
    Comment(Comment),
    /// Instagram `mentions`.
    Mention(Mention),
    /// Instagram `story_insights`.
    StoryInsights(StoryInsights),
    /// Page `feed`: posts, comments and reactions on the Page.
    Feed(Box<FeedChange>),
    /// Any other field, or a value without the documented shape: the JSON as sent.
    Unknown(RawJson),
}

impl MessengerChangeValue {
    pub(super) fn from_raw(field: &str, raw: RawJson) -> Self {
        let typed = match field {
            "comments" | "live_comments" => serde_json::from_str(raw.get()).map(Self::Comment).ok(),
            "mentions" => serde_json::from_str(raw.get()).map(Self::Mention).ok(),
            "story_insights" => serde_json::from_str(raw.get()).map(Self::StoryInsights).ok(),
            "feed" => serde_json::from_str(raw.get()).map(|feed| Self::Feed(Box::new(feed))).ok(),
            _ => None,
        };
        typed.unwrap_or(Self::Unknown(raw))
    }
}

impl<'de> Deserialize<'de> for MessengerChange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            field: String,
            value: RawJson,
        }
        // Changes are rare next to messaging events: the value is read once as raw JSON and
        // typed by field afterwards, whatever the key order.
        let raw = Raw::deserialize(d)?;
        Ok(Self { value: MessengerChangeValue::from_raw(&raw.field, raw.value), field: raw.field })
    }
}

/// A comment (`comments`, `live_comments`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Comment {
    /// Comment id: the recipient of a private reply.
    pub id: Option<CommentId>,
    /// Text.
    pub text: Option<String>,
    /// The comment replied to.
    pub parent_id: Option<CommentId>,
    /// Author.
    pub from: Option<CommentAuthor>,
    /// The media commented on.
    pub media: Option<CommentMedia>,
}

/// The author of a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CommentAuthor {
    /// Instagram-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// The author's id scoped to your app's Instagram account, when they are that account.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub self_ig_scoped_id: Option<String>,
}

/// The media a comment is on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CommentMedia {
    /// Media id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// `FEED`, `REELS`, `STORY`, `LIVE`, `AD`.
    pub media_product_type: Option<String>,
    /// Ad id, for comments on ads.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub ad_id: Option<String>,
    /// Ad title.
    pub ad_title: Option<String>,
    /// The organic media behind an ad.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub original_media_id: Option<String>,
}

/// A mention (`mentions`) in a comment or a caption.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Mention {
    /// The media.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub media_id: Option<String>,
    /// The comment, for comment mentions.
    pub comment_id: Option<CommentId>,
}

/// Story metrics (`story_insights`); `-1` means not available.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct StoryInsights {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub media_id: Option<String>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub exits: Option<i64>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub replies: Option<i64>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub reach: Option<i64>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub taps_forward: Option<i64>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub taps_back: Option<i64>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub impressions: Option<i64>,
}

/// A Page `feed` change: a post, comment, reaction or other item added, edited or removed
/// ([Page webhooks reference](https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed)).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FeedChange {
    /// `status`, `post`, `comment`, `reaction`, `photo`, `video`, `share`, `like`, ...
    pub item: Option<String>,
    /// `add`, `edited`, `remove`, `hide`, `unhide`, ...
    pub verb: Option<String>,
    /// The post.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub post_id: Option<String>,
    /// The comment (`comment` items).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub comment_id: Option<String>,
    /// The post or comment replied to.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_id: Option<String>,
    /// Who did it.
    pub from: Option<FeedActor>,
    /// The text.
    pub message: Option<String>,
    /// When (Unix seconds).
    pub created_time: Option<Timestamp>,
    /// `like`, `love`, `haha`, `wow`, `sad`, `angry`, ... (`reaction` items).
    pub reaction_type: Option<String>,
    /// Whether the post is published.
    #[serde(deserialize_with = "opt_bool_lenient")]
    pub published: Option<bool>,
    /// A photo's URL.
    pub photo: Option<String>,
    /// A link shared.
    pub link: Option<String>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Who made a feed change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FeedActor {
    /// Their id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Their name.
    pub name: Option<String>,
}
