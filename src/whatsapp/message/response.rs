//! The answer to a send.

use serde::Deserialize;

use crate::graph::serde_util::string_enum;
use crate::whatsapp::MessageId;

string_enum! {
    /// The `message_status` of an accepted send.
    pub enum MessageStatus {
        /// Accepted for delivery.
        Accepted = "accepted",
        /// Held while Meta assesses the template's quality (pacing).
        HeldForQualityAssessment = "held_for_quality_assessment",
        /// Paused.
        Paused = "paused",
    }
}

/// The answer to a send.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SendResponse {
    /// Always `whatsapp`.
    #[serde(default)]
    pub messaging_product: Option<String>,
    /// The recipient as resolved by WhatsApp.
    #[serde(default)]
    pub contacts: Vec<SentContact>,
    /// The message created.
    #[serde(default)]
    pub messages: Vec<SentMessage>,
}

impl SendResponse {
    /// The id of the sent message, which its status webhooks carry.
    pub fn message_id(&self) -> Option<&MessageId> {
        self.messages.first().map(|m| &m.id)
    }
}

/// A recipient of a send.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SentContact {
    /// What was sent as `to`.
    #[serde(default)]
    pub input: Option<String>,
    /// The user's WhatsApp id (omitted when sent to a BSUID).
    #[serde(default)]
    pub wa_id: Option<String>,
    /// The user's business-scoped id.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A message created by a send.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SentMessage {
    /// Its id.
    pub id: MessageId,
    /// Whether it was accepted, held or paused.
    #[serde(default)]
    pub message_status: Option<MessageStatus>,
}
