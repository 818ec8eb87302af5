//! Delivery statuses of sent messages, with their pricing and conversation, and value-level
//! errors.

use serde::Deserialize;

use serde_json::Value;

use crate::Timestamp;
use crate::graph::Lazy;
use crate::graph::serde_util::{
    null_as_default, opt_integer_or_string, opt_string_or_integer, string_enum, text_at,
};
use crate::whatsapp::MessageId;

/// An error object inside a webhook (on statuses, messages or the value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct NotificationError {
    /// Error code, as in the Graph error table (131047, 131051, ...).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub code: Option<i64>,
    /// Short title.
    pub title: Option<String>,
    /// Message.
    pub message: Option<String>,
    /// Details.
    pub error_data: Option<ErrorData>,
    /// Link to the error-code reference.
    pub href: Option<String>,
    /// Details, in the legacy shape.
    pub details: Option<String>,
}

impl NotificationError {
    pub(super) fn from_json(value: &Value) -> Self {
        Self::deserialize(value).unwrap_or_else(|_| Self {
            code: value.get("code").and_then(Value::as_i64),
            message: Some(value.to_string()),
            ..Self::default()
        })
    }

    /// The details, from `error_data.details` or the legacy `details`.
    pub fn details(&self) -> Option<&str> {
        self.error_data.as_ref().and_then(|d| d.details.as_deref()).or(self.details.as_deref())
    }
}

/// `error_data` of a [`NotificationError`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorData {
    /// Explanation.
    pub details: Option<String>,
}

string_enum! {
    /// The status of a sent message.
    pub enum StatusKind {
        /// Accepted by WhatsApp.
        Sent = "sent",
        /// Delivered to the device.
        Delivered = "delivered",
        /// Read by the user.
        Read = "read",
        /// Voice message played.
        Played = "played",
        /// Failed; see `errors`.
        Failed = "failed",
        /// Deleted by the user (legacy).
        Deleted = "deleted",
        /// Warning (legacy).
        Warning = "warning",
        /// A payment was captured (`type: payment`, Payments API India).
        Captured = "captured",
        /// A payment is pending (`type: payment`).
        Pending = "pending",
    }
}

/// A status update of a message the business sent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Status {
    /// The message id returned by the send call.
    #[serde(default)]
    pub id: Option<MessageId>,
    /// The status.
    #[serde(default = "unknown_status")]
    pub status: StatusKind,
    /// When it happened.
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
    /// The recipient's WhatsApp id or the group id; absent when sent to a BSUID.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub recipient_id: Option<String>,
    /// The recipient's business-scoped user id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub recipient_user_id: Option<String>,
    /// The recipient's parent business-scoped user id (also read from
    /// `parent_recipient_user_id`, the other spelling in use).
    #[serde(default, alias = "parent_recipient_user_id", deserialize_with = "opt_string_or_integer")]
    pub recipient_parent_user_id: Option<String>,
    /// `group` for group messages.
    #[serde(default)]
    pub recipient_type: Option<String>,
    /// In a group, the participant this status is about.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub recipient_participant_id: Option<String>,
    /// In a group, the participant's business-scoped id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub recipient_participant_user_id: Option<String>,
    /// In a group, the participant's parent business-scoped id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub recipient_participant_parent_user_id: Option<String>,
    /// The string the business attached to the send.
    #[serde(default)]
    pub biz_opaque_callback_data: Option<String>,
    /// The recipient's identity key hash.
    #[serde(default)]
    pub recipient_identity_key_hash: Option<String>,
    /// Conversation (omitted from v24.0 except free entry-point conversations); typed on
    /// access with [`Lazy::get`].
    #[serde(default)]
    pub conversation: Option<Lazy<Conversation>>,
    /// Pricing; typed on access with [`Lazy::get`].
    #[serde(default)]
    pub pricing: Option<Lazy<Pricing>>,
    /// Errors, on `failed` statuses.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<NotificationError>,
    /// `payment` for a payment status (Payments API India); absent for message statuses.
    #[serde(default, rename = "type")]
    pub status_type: Option<String>,
    /// The payment, on a payment status; typed on access with [`Lazy::get`].
    #[serde(default)]
    pub payment: Option<Lazy<super::payments::PaymentUpdate>>,
}

fn unknown_status() -> StatusKind {
    StatusKind::Unknown("unknown".to_owned())
}

impl Status {
    pub(super) fn from_json(value: &Value) -> Self {
        Self::deserialize(value).unwrap_or_else(|_| Self {
            id: text_at(value, "id").map(MessageId::new),
            status: value.get("status").and_then(Value::as_str).map_or_else(unknown_status, StatusKind::from),
            timestamp: value.get("timestamp").and_then(|t| Timestamp::deserialize(t).ok()),
            recipient_id: text_at(value, "recipient_id"),
            recipient_user_id: text_at(value, "recipient_user_id"),
            recipient_parent_user_id: text_at(value, "recipient_parent_user_id")
                .or_else(|| text_at(value, "parent_recipient_user_id")),
            recipient_type: None,
            recipient_participant_id: None,
            recipient_participant_user_id: None,
            recipient_participant_parent_user_id: None,
            biz_opaque_callback_data: None,
            recipient_identity_key_hash: None,
            conversation: None,
            pricing: None,
            errors: Vec::new(),
            status_type: text_at(value, "type"),
            payment: None,
        })
    }

    /// The recipient: `recipient_id` (a phone number or a group id), or the business-scoped
    /// `recipient_user_id` when the phone is withheld. Never an empty string.
    pub fn recipient(&self) -> Option<&str> {
        self.recipient_id.as_deref().or(self.recipient_user_id.as_deref())
    }

    /// Whether the status is about a group message (`recipient_type: group`).
    pub fn is_group(&self) -> bool {
        self.recipient_type.as_deref() == Some("group")
    }

    /// The user this status is about: the recipient, or in a group the participant.
    pub fn user(&self) -> crate::user::UserIdentity {
        let identity = crate::user::UserIdentity::new();
        let pick = |value: &Option<String>| value.clone().unwrap_or_default();
        if self.is_group() {
            return identity
                .phone(pick(&self.recipient_participant_id))
                .user_id(pick(&self.recipient_participant_user_id))
                .parent_user_id(pick(&self.recipient_participant_parent_user_id));
        }
        identity
            .phone(pick(&self.recipient_id))
            .user_id(pick(&self.recipient_user_id))
            .parent_user_id(pick(&self.recipient_parent_user_id))
    }

    /// The stable key of [`user`](Self::user): the BSUID when Meta sent one, else the phone.
    pub fn user_key(&self) -> Option<&str> {
        if self.is_group() {
            return self
                .recipient_participant_user_id
                .as_deref()
                .or(self.recipient_participant_id.as_deref());
        }
        self.recipient_user_id.as_deref().or(self.recipient_id.as_deref())
    }
}

string_enum! {
    /// The pricing model of a message.
    pub enum PricingModel {
        /// Per-message pricing (from July 2025).
        Pmp = "PMP",
        /// Conversation-based pricing (before July 2025).
        Cbp = "CBP",
    }
}

string_enum! {
    /// The pricing category of a message or conversation.
    pub enum PricingCategory {
        /// Marketing.
        Marketing = "marketing",
        /// Marketing Messages Lite API.
        MarketingLite = "marketing_lite",
        /// Utility.
        Utility = "utility",
        /// Authentication.
        Authentication = "authentication",
        /// Authentication, international rate.
        AuthenticationInternational = "authentication_international",
        /// Service.
        Service = "service",
        /// Referral conversion (free entry point).
        ReferralConversion = "referral_conversion",
        /// Messages of an AI provider's general-purpose assistant outside templates (pricing
        /// for AI providers, 2026).
        GeneralPurposeAi = "general_purpose_ai",
    }
}

string_enum! {
    /// How a message is charged.
    pub enum PricingType {
        /// Charged at the regular rate.
        Regular = "regular",
        /// Free: inside the customer-service window.
        FreeCustomerService = "free_customer_service",
        /// Free: inside a free entry-point window.
        FreeEntryPoint = "free_entry_point",
    }
}

/// The conversation a status belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Conversation {
    /// Conversation id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// When it expires.
    pub expiration_timestamp: Option<Timestamp>,
    /// What opened it.
    pub origin: Option<ConversationOrigin>,
}

/// What opened a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ConversationOrigin {
    /// What opened it.
    #[serde(rename = "type")]
    pub kind: Option<PricingCategory>,
}

/// Pricing of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Pricing {
    /// Whether it is billed (slated for deprecation).
    pub billable: Option<bool>,
    /// `CBP` (before July 2025) or `PMP`.
    pub pricing_model: Option<PricingModel>,
    /// How it is charged.
    #[serde(rename = "type")]
    pub kind: Option<PricingType>,
    /// Its category.
    pub category: Option<PricingCategory>,
}
