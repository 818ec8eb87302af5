//! The events of `messaging[]` and `standby[]` items, one type per event key.

use serde::Deserialize;
use serde_json::Value;

use crate::Timestamp;
use crate::graph::RawJson;
use crate::graph::serde_util::{
    null_as_default, opt_f64_lenient, opt_integer_or_string, opt_string_or_integer, string_enum,
};
use crate::messenger::Mid;

/// The event of a messaging item.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MessagingEvent {
    /// `message` (also echoes, deleted and unsupported Instagram messages).
    Message(Box<ReceivedMessage>),
    /// `message_edit`.
    MessageEdit(MessageEdit),
    /// `postback`.
    Postback(Postback),
    /// `delivery`.
    Delivery(MessageDelivery),
    /// `read`.
    Read(Read),
    /// `reaction`.
    Reaction(MessageReaction),
    /// `referral`.
    Referral(MessagingReferral),
    /// `optin`.
    Optin(Optin),
    /// `account_linking`.
    AccountLinking(AccountLinking),
    /// `pass_thread_control`.
    PassThreadControl(ThreadControl),
    /// `take_thread_control`.
    TakeThreadControl(ThreadControl),
    /// `request_thread_control`.
    RequestThreadControl(ThreadControl),
    /// `app_roles`: app id → roles (`primary_receiver`, `secondary_receiver`).
    AppRoles(std::collections::BTreeMap<String, Vec<String>>),
    /// `policy_enforcement`.
    PolicyEnforcement(Value),
    /// `call_permission_reply`: the user's answer to a call permission request (Messenger
    /// calling; the same model as WhatsApp's).
    CallPermissionReply(crate::whatsapp::webhook::CallPermissionReply),
    /// An event key this version does not model, or an event without the documented shape:
    /// its name (as used in the event kind) and its JSON as sent.
    Unknown {
        /// The event key.
        key: String,
        /// The event's JSON.
        raw: RawJson,
    },
    /// The item had no event key.
    Empty,
}

impl MessagingEvent {
    /// The event name used in the event kind: the key, with `message` split into
    /// `message_echo` and `message_deleted` where flagged.
    pub fn name(&self) -> &str {
        match self {
            Self::Message(m) if m.is_echo => "message_echo",
            Self::Message(m) if m.is_deleted => "message_deleted",
            Self::Message(_) => "message",
            Self::MessageEdit(_) => "message_edit",
            Self::Postback(_) => "postback",
            Self::Delivery(_) => "delivery",
            Self::Read(_) => "read",
            Self::Reaction(_) => "reaction",
            Self::Referral(_) => "referral",
            Self::Optin(_) => "optin",
            Self::AccountLinking(_) => "account_linking",
            Self::PassThreadControl(_) => "pass_thread_control",
            Self::TakeThreadControl(_) => "take_thread_control",
            Self::RequestThreadControl(_) => "request_thread_control",
            Self::AppRoles(_) => "app_roles",
            Self::PolicyEnforcement(_) => "policy_enforcement",
            Self::CallPermissionReply(_) => "call_permission_reply",
            Self::Unknown { key, .. } => key,
            Self::Empty => "unknown",
        }
    }
}

/// A message (or echo of one the Page sent).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// Message id (`m_…`).
    pub mid: Option<Mid>,
    /// Text.
    pub text: Option<String>,
    /// The quick reply tapped.
    pub quick_reply: Option<ReceivedQuickReply>,
    /// The message replied to (or, on Instagram, the story).
    pub reply_to: Option<ReplyTo>,
    /// Attachments.
    #[serde(deserialize_with = "null_as_default")]
    pub attachments: Vec<ReceivedAttachment>,
    /// Sticker id (the "like" thumb is a sticker).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub sticker_id: Option<String>,
    /// Ad or link the message came from.
    pub referral: Option<MessagingReferral>,
    /// Bot commands used.
    #[serde(deserialize_with = "null_as_default")]
    pub commands: Vec<Command>,
    /// Built-in NLP results.
    pub nlp: Option<Value>,
    /// An echo of a message the Page sent.
    pub is_echo: bool,
    /// On echoes, the app that sent the message.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub app_id: Option<String>,
    /// On echoes, the metadata the sender attached.
    pub metadata: Option<String>,
    /// Instagram: the user unsent the message.
    pub is_deleted: bool,
    /// Instagram: a message type the API does not deliver.
    pub is_unsupported: bool,
}

/// A quick reply tapped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReceivedQuickReply {
    /// The payload the business set.
    pub payload: Option<String>,
}

/// What a message replies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReplyTo {
    /// The message replied to.
    pub mid: Option<Mid>,
    /// Whether the user replied to their own message.
    pub is_self_reply: Option<bool>,
    /// Instagram: the story replied to.
    pub story: Option<StoryRef>,
}

/// An Instagram story.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StoryRef {
    /// CDN URL (do not store story media).
    pub url: Option<String>,
    /// Story id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

string_enum! {
    /// The type of an attachment.
    pub enum AttachmentType {
        /// Image.
        Image = "image",
        /// Video.
        Video = "video",
        /// Audio.
        Audio = "audio",
        /// File.
        File = "file",
        /// Location.
        Location = "location",
        /// Link preview or other fallback.
        Fallback = "fallback",
        /// Template (products shared into the chat, ...).
        Template = "template",
        /// Reel (Messenger).
        Reel = "reel",
        /// Instagram reel.
        IgReel = "ig_reel",
        /// Post.
        Post = "post",
        /// Instagram post.
        IgPost = "ig_post",
        /// Instagram share.
        Share = "share",
        /// Instagram story mention.
        StoryMention = "story_mention",
        /// Instagram story shared into the chat (observed, undocumented).
        IgStory = "ig_story",
        /// Sticker (Messenger, from June 2026).
        Sticker = "sticker",
        /// Appointment booking.
        AppointmentBooking = "appointment_booking",
    }
}

/// An attachment of a message.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ReceivedAttachment {
    /// Its type.
    #[serde(rename = "type", default = "unknown_attachment")]
    pub kind: AttachmentType,
    /// Its payload; `null` on some fallbacks.
    #[serde(default)]
    pub payload: Option<AttachmentPayload>,
    /// Title (fallback).
    #[serde(default)]
    pub title: Option<String>,
    /// URL (fallback).
    #[serde(default)]
    pub url: Option<String>,
}

fn unknown_attachment() -> AttachmentType {
    AttachmentType::Unknown(String::new())
}

/// The payload of an attachment.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AttachmentPayload {
    /// Media URL.
    pub url: Option<String>,
    /// Sticker id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub sticker_id: Option<String>,
    /// Location.
    pub coordinates: Option<Coordinates>,
    /// Title.
    pub title: Option<String>,
    /// Reel video id (`ig_reel`, `reel`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub reel_video_id: Option<String>,
    /// The shared post's media id (`ig_post`, legacy `share`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub ig_post_media_id: Option<String>,
    /// The shared story's media id (`ig_story`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub story_media_id: Option<String>,
    /// The shared story's media URL (`ig_story`, which does not use `url`).
    pub story_media_url: Option<String>,
    /// Template payload: products and other elements.
    pub product: Option<Value>,
    /// Template type, for template attachments.
    pub template_type: Option<String>,
}

/// A location.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Coordinates {
    /// Latitude.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub long: Option<f64>,
}

/// A bot command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Command {
    /// Its name.
    pub name: Option<String>,
}

/// `message_edit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageEdit {
    /// The edited message.
    pub mid: Option<Mid>,
    /// The new text.
    pub text: Option<String>,
    /// How many times it was edited.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub num_edit: Option<i64>,
}

/// `postback`: a button, get-started or ice-breaker tap.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Postback {
    /// Message id.
    pub mid: Option<Mid>,
    /// Button title.
    pub title: Option<String>,
    /// The payload the business set.
    pub payload: Option<String>,
    /// The referral, for get-started taps from a link or ad.
    pub referral: Option<MessagingReferral>,
}

/// `delivery`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageDelivery {
    /// Delivered messages (may be absent).
    #[serde(deserialize_with = "null_as_default")]
    pub mids: Vec<Mid>,
    /// Everything before this time was delivered.
    pub watermark: Option<Timestamp>,
}

/// `read`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Read {
    /// Messenger: everything before this time was read.
    pub watermark: Option<Timestamp>,
    /// Instagram: the last message read.
    pub mid: Option<Mid>,
}

/// `reaction`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageReaction {
    /// The message reacted to.
    pub mid: Option<Mid>,
    /// `react` or `unreact`.
    pub action: Option<String>,
    /// `smile`, `angry`, `sad`, `wow`, `love`, `like`, `dislike`, `laugh`, `other`.
    pub reaction: Option<String>,
    /// The emoji.
    pub emoji: Option<String>,
}

/// `referral`: the user came from a link, ad or plugin.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessagingReferral {
    /// The `ref` parameter.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// `SHORTLINK`, `ADS`, `MESSENGER_CODE`, `CUSTOMER_CHAT_PLUGIN`, ...
    pub source: Option<String>,
    /// `OPEN_THREAD`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The ad id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub ad_id: Option<String>,
    /// Details of the ad.
    pub ads_context_data: Option<Value>,
    /// The page the plugin ran on.
    pub referer_uri: Option<String>,
    /// Instagram: the product the user asked about.
    pub product: Option<Value>,
}

/// `optin`: a plugin opt-in or a marketing-messages subscription.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct Optin {
    /// `notification_messages`, `one_time_notif_req`, or absent for plugin opt-ins.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub user_ref: Option<String>,
    pub payload: Option<String>,
    /// The token to send marketing messages with.
    pub notification_messages_token: Option<String>,
    pub notification_messages_frequency: Option<String>,
    pub notification_messages_timezone: Option<String>,
    pub notification_messages_status: Option<String>,
    pub token_expiry_timestamp: Option<Timestamp>,
    pub user_token_status: Option<String>,
    pub title: Option<String>,
    pub one_time_notif_token: Option<String>,
}

/// `account_linking`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountLinking {
    /// `linked` or `unlinked`.
    pub status: Option<String>,
    /// On `linked`, the code your login flow passed.
    pub authorization_code: Option<String>,
}

/// A handover event (`pass_thread_control`, `take_thread_control`, `request_thread_control`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ThreadControl {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub previous_owner_app_id: Option<String>,
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub new_owner_app_id: Option<String>,
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub requested_owner_app_id: Option<String>,
    pub metadata: Option<String>,
}
