//! Coexistence: a number used in the WhatsApp Business app and the Cloud API at once. Its chat
//! history (`history`) and contact book (`smb_app_state_sync`) arrive as webhooks; the messages
//! the business sends from the app arrive as echoes ([`MessageEchoes`](super::MessageEchoes)).
//!
//! Shapes from Meta's webhook references for
//! [`history`](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/history)
//! and
//! [`smb_app_state_sync`](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_app_state_sync),
//! with the business-scoped user id fields of May 2026.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::messages::{Contact, InboundMessage, Metadata};
use super::statuses::NotificationError;
use crate::Timestamp;
use crate::graph::serde_util::{null_as_default, opt_integer_or_string, opt_string_or_integer, string_enum};

/// `history`: one chunk of the chat history the business agreed to share when it connected its
/// app number, the refusal to share it, or the media of messages shared as placeholders.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HistoryUpdate {
    /// The business number.
    pub metadata: Option<Metadata>,
    /// History chunks: each has threads, or errors when the business declined to share.
    #[serde(deserialize_with = "null_as_default")]
    pub history: Vec<HistoryChunk>,
    /// The users of `messages` and `message_echoes` (media follow-up).
    #[serde(deserialize_with = "null_as_default")]
    pub contacts: Vec<Contact>,
    /// Media follow-up: the content of `media_placeholder` messages the user sent.
    #[serde(deserialize_with = "null_as_default")]
    pub messages: Vec<InboundMessage>,
    /// Media follow-up: the content of `media_placeholder` messages the business sent.
    #[serde(deserialize_with = "null_as_default")]
    pub message_echoes: Vec<InboundMessage>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl HistoryUpdate {
    /// Whether the business declined to share its history (error `2593109`).
    pub fn declined(&self) -> bool {
        self.history.iter().flat_map(|chunk| &chunk.errors).any(|e| e.code == Some(2_593_109))
    }
}

/// One chunk of shared history.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HistoryChunk {
    /// Where the sync is.
    pub metadata: Option<HistoryProgress>,
    /// The conversations in this chunk.
    #[serde(deserialize_with = "null_as_default")]
    pub threads: Vec<HistoryThread>,
    /// Why there is no history (`2593109`: history sharing turned off in the app).
    #[serde(deserialize_with = "null_as_default")]
    pub errors: Vec<NotificationError>,
}

/// Progress of a history sync.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HistoryProgress {
    /// `0`: day 0–1, `1`: day 1–90, `2`: day 90–180.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub phase: Option<i64>,
    /// The chunk's place: chunks may arrive out of order.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub chunk_order: Option<i64>,
    /// Percent done; `100` when the sync is complete.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub progress: Option<i64>,
}

/// One conversation of shared history.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HistoryThread {
    /// The user's phone number; absent for users known only by a business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Who the user is (since May 2026).
    pub context: Option<ThreadUser>,
    /// The messages, both directions: `from` the business number is outgoing. Each carries its
    /// [`history_context`](InboundMessage::history_context).
    #[serde(deserialize_with = "null_as_default")]
    pub messages: Vec<InboundMessage>,
}

/// The user of a history thread: the same four names (`wa_id`, `user_id`, `parent_user_id`,
/// `username`) a group participant carries, so one model reads both.
pub type ThreadUser = crate::whatsapp::groups::GroupParticipant;

/// The state of a message in shared history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HistoryContext {
    /// `DELIVERED`, `ERROR`, `PENDING`, `PLAYED`, `READ`, `SENT`.
    pub status: Option<String>,
}

string_enum! {
    /// What happened to a contact in the business's app.
    pub enum StateSyncAction {
        /// Added or edited.
        Add = "add",
        /// Removed.
        Remove = "remove",
    }
}

/// `smb_app_state_sync`: contacts added, edited or removed in the WhatsApp Business app.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AppStateSync {
    /// The business number.
    pub metadata: Option<Metadata>,
    /// The changes.
    #[serde(deserialize_with = "null_as_default")]
    pub state_sync: Vec<StateSyncItem>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One contact change.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StateSyncItem {
    /// `contact`, the one documented type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The contact.
    pub contact: Option<SyncedContact>,
    /// Added (or edited), or removed.
    pub action: Option<StateSyncAction>,
    /// When.
    pub metadata: Option<StateSyncMetadata>,
}

/// When a contact changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StateSyncMetadata {
    /// The time of the change.
    pub timestamp: Option<Timestamp>,
}

/// A contact in the business's app. Names are absent on removals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SyncedContact {
    /// The full name saved in the app.
    pub full_name: Option<String>,
    /// The first name saved in the app.
    pub first_name: Option<String>,
    /// The phone number; absent for users known only by a business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub phone_number: Option<String>,
    /// Business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// Parent business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
    /// Username.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
}
