//! Conversation Routing: the `messaging_handovers` field (a thread changed owner, per Meta's
//! [messaging_handovers reference](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messaging-handovers/))
//! and the `standby` field (a thread the app observes but does not own, per the
//! [standby reference](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/standby/)).
//! An app must not answer a standby event: sending a service message while observing takes
//! the thread over.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{MessagesValue, Metadata};
use crate::Timestamp;
use crate::graph::serde_util::{null_as_default, opt_string_or_integer, string_enum};
use crate::whatsapp::MessageId;

string_enum! {
    /// A routing role: who may own a conversation thread.
    pub enum RoutingRole {
        /// Customer service.
        CustomerService = "customer_service",
        /// Marketing.
        Marketing = "marketing",
        /// Utility messages.
        Utility = "utility",
        /// Click-to-WhatsApp ads.
        Ctwa = "ctwa",
        /// An AI agent (Meta Business Agent).
        AiAgent = "ai_agent",
        /// The escalation partner (human agents).
        Escalation = "escalation",
    }
}

/// `messaging_handovers`: the thread of a user changed owner. `type` says which of
/// [`control_passed`](Self::control_passed) or [`control_taken`](Self::control_taken) is set.
/// A `release` sends no notification.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HandoverNotice {
    /// The user (`phone_number`; may be omitted).
    pub sender: Option<HandoverUser>,
    /// The business number.
    pub recipient: Option<HandoverBusiness>,
    /// `control_passed` or `control_taken`.
    #[serde(rename = "type")]
    pub notice_type: Option<String>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// Sent to the new owner when the current owner passed the thread.
    pub control_passed: Option<ThreadControlChange>,
    /// Sent to the previous owner when the escalation partner took the thread (explicitly, or
    /// by sending a service message).
    pub control_taken: Option<ThreadControlChange>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl HandoverNotice {
    /// The change, whichever of the two it is.
    pub fn change(&self) -> Option<&ThreadControlChange> {
        self.control_passed.as_ref().or(self.control_taken.as_ref())
    }

    /// Whether the thread was taken from this app (a human agent stepped in).
    pub fn is_taken(&self) -> bool {
        self.control_taken.is_some() || self.notice_type.as_deref() == Some("control_taken")
    }
}

/// The user of a handover.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HandoverUser {
    /// The user's number.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub phone_number: Option<String>,
    /// Keys this version does not model (a business-scoped id, later), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The business number of a handover.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HandoverBusiness {
    /// The phone-number id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub phone_number_id: Option<String>,
    /// The number as displayed.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
}

/// Who had the thread, who has it now, and why.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ThreadControlChange {
    /// The previous owner's role.
    pub previous_owner_role: Option<RoutingRole>,
    /// The new owner's role (`escalation` when the thread was taken).
    pub new_owner_role: Option<RoutingRole>,
    /// What the previous owner passed along (up to 2,000 characters).
    pub metadata: Option<String>,
    /// Deprecated: the previous owner's app id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub previous_owner_app_id: Option<String>,
    /// Deprecated: the previous owner's app role (`meta_business_agent`).
    pub previous_owner_app_role: Option<String>,
    /// A summary of the conversation so far (on `control_passed`, when the business is eligible).
    pub conversation_context: Option<ConversationContext>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The context handed over with a thread.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ConversationContext {
    /// `summary`.
    #[serde(rename = "type")]
    pub context_type: Option<String>,
    /// The summary.
    pub summary: Option<ContextSummary>,
}

/// An AI-generated summary of the conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ContextSummary {
    /// Its text.
    pub text: Option<String>,
}

/// `standby`: what happened on a thread this app observes but does not own. Do not answer it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StandbyUpdate {
    /// The business number.
    pub metadata: Option<Metadata>,
    /// The events, as the owner received (or sent) them.
    pub standby: Option<StandbyContent>,
}

/// One of messages (with contacts), echoes or statuses of an observed thread.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StandbyContent {
    /// Inbound messages, their contacts and statuses, in the `messages` field's models.
    #[serde(flatten)]
    pub value: MessagesValue,
    /// Messages the owner sent.
    #[serde(deserialize_with = "null_as_default")]
    pub message_echoes: Vec<StandbyEcho>,
}

/// A message the thread's owner sent: its Send API request as sent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StandbyEcho {
    /// The message id.
    pub id: Option<MessageId>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// The Send API request body, verbatim.
    pub message: Option<Map<String, Value>>,
    /// The template sent, when it was one.
    pub template: Option<Value>,
    /// The Flow sent, when it was one.
    pub flow: Option<Value>,
}
