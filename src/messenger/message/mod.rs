//! Outbound Messenger and Instagram messages (the Send API, shared by both).
//!
//! Shapes per Meta's Messenger Platform "Send a Message" page (updated 2026-05-05) and the
//! Instagram API with Instagram Login messaging page (Graph API v25.0). Notable since 2026-04-27:
//! the `ACCOUNT_UPDATE`, `CONFIRMED_EVENT_UPDATE` and `POST_PURCHASE_UPDATE` tags are rejected by
//! Meta (error 100); `HUMAN_AGENT` remains (7 days), and proactive updates go through
//! [`MessagingType::Utility`] templates. Limits are checked before sending.

mod template;
mod utility;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::{CommentId, Mid, Psid};
use crate::graph::Platform;
use crate::graph::serde_util::string_enum;
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{ValidationError, Violation};

pub use template::*;
pub use utility::*;

/// Send API limits.
pub mod limits {
    /// Messenger text, in characters.
    pub const MESSENGER_TEXT: usize = 2000;
    /// Instagram text, in UTF-8 bytes.
    pub const INSTAGRAM_TEXT_BYTES: usize = 1000;
    /// Quick replies per message.
    pub const QUICK_REPLIES: usize = 13;
    /// Quick reply and button titles.
    pub const TITLE: usize = 20;
    /// Quick reply and postback payloads.
    pub const PAYLOAD: usize = 1000;
    /// `message.metadata`.
    pub const METADATA: usize = 1000;
    /// Generic template elements.
    pub const GENERIC_ELEMENTS: usize = 10;
    /// Generic template element title and subtitle.
    pub const ELEMENT_TEXT: usize = 80;
    /// Buttons per template element or button template.
    pub const BUTTONS: usize = 3;
    /// Button template text.
    pub const BUTTON_TEMPLATE_TEXT: usize = 640;
    /// Characters of a marketing opt-in's title.
    pub const OPT_IN_TITLE: usize = 65;
    /// Images in one Messenger message.
    pub const MESSENGER_IMAGES: usize = 30;
    /// Images in one Instagram message.
    pub const INSTAGRAM_IMAGES: usize = 10;
}

/// Who a message goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recipient {
    /// A PSID (Messenger) or IGSID (Instagram).
    Id(String),
    /// A `user_ref` from the checkbox or chat plugin.
    UserRef(String),
    /// A comment, for a private reply (one per comment, within 7 days).
    CommentId(String),
    /// A Page post, for a private reply to its author.
    PostId(String),
    /// A marketing-messages token from an opt-in.
    NotificationToken(String),
}

impl Recipient {
    /// A PSID or IGSID.
    pub fn id(id: impl Into<String>) -> Self {
        Self::Id(id.into())
    }

    /// A private reply to a comment.
    pub fn comment(comment_id: impl Into<CommentId>) -> Self {
        Self::CommentId(comment_id.into().into_string())
    }

    /// The recipient as the `recipient` JSON object of the Send API.
    pub(crate) fn to_json(&self) -> String {
        let (field, value) = self.field();
        serde_json::json!({ field: value }).to_string()
    }

    fn field(&self) -> (&'static str, &str) {
        match self {
            Self::Id(v) => ("id", v),
            Self::UserRef(v) => ("user_ref", v),
            Self::CommentId(v) => ("comment_id", v),
            Self::PostId(v) => ("post_id", v),
            Self::NotificationToken(v) => ("notification_messages_token", v),
        }
    }

    /// The recipient as a [`SendGuard`](crate::graph::SendGuard) sees it: the PSID or IGSID
    /// itself, other kinds prefixed with their field name (`comment_id:…`).
    pub(crate) fn key(&self) -> String {
        match self.field() {
            ("id", v) => v.to_owned(),
            (field, v) => format!("{field}:{v}"),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        let (Self::Id(v)
        | Self::UserRef(v)
        | Self::CommentId(v)
        | Self::PostId(v)
        | Self::NotificationToken(v)) = self;
        not_empty("recipient", v)
    }
}

impl From<&str> for Recipient {
    fn from(id: &str) -> Self {
        Self::Id(id.to_owned())
    }
}

impl From<String> for Recipient {
    fn from(id: String) -> Self {
        Self::Id(id)
    }
}

impl From<Psid> for Recipient {
    fn from(id: Psid) -> Self {
        Self::Id(id.into_string())
    }
}

impl From<&Psid> for Recipient {
    fn from(id: &Psid) -> Self {
        Self::Id(id.as_str().to_owned())
    }
}

impl From<CommentId> for Recipient {
    fn from(id: CommentId) -> Self {
        Self::CommentId(id.into_string())
    }
}

impl Serialize for Recipient {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        let (field, value) = self.field();
        map.serialize_entry(field, value)?;
        map.end()
    }
}

string_enum! {
    /// A message tag, for messages outside the 24-hour window.
    pub enum MessageTag {
        /// A human agent's reply, up to 7 days after the user's message (needs the Human Agent
        /// feature). The only tag Meta still accepts in 2026.
        HumanAgent = "HUMAN_AGENT",
    }
}

/// Tags Meta retired on 2026-04-27: sending them gets error 100.
const RETIRED_TAGS: [&str; 3] = ["ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE"];

/// Why a message is sent, the `messaging_type`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessagingType {
    /// A reply inside the 24-hour window (the default).
    #[default]
    Response,
    /// A proactive message inside the window.
    Update,
    /// Outside the window, with a tag.
    MessageTag(MessageTag),
    /// An approved utility template (Messenger).
    Utility,
}

string_enum! {
    /// How the recipient is notified.
    pub enum NotificationType {
        /// Sound and vibration.
        Regular = "REGULAR",
        /// On-screen only.
        SilentPush = "SILENT_PUSH",
        /// No notification.
        NoPush = "NO_PUSH",
    }
}

string_enum! {
    /// The kind of a media attachment.
    pub enum AttachmentKind {
        /// Image.
        Image = "image",
        /// Audio.
        Audio = "audio",
        /// Video.
        Video = "video",
        /// File (PDF on Instagram).
        File = "file",
    }
}

/// A quick reply offered under a message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuickReply {
    /// A text button.
    Text {
        /// Label (≤ 20 characters).
        title: String,
        /// Payload (≤ 1000 characters).
        payload: String,
        /// Optional icon.
        image_url: Option<String>,
    },
    /// Asks for the user's phone number (Messenger).
    UserPhoneNumber,
    /// Asks for the user's email (Messenger).
    UserEmail,
}

impl QuickReply {
    /// A text quick reply.
    pub fn text(title: impl Into<String>, payload: impl Into<String>) -> Self {
        Self::Text { title: title.into(), payload: payload.into(), image_url: None }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if let Self::Text { title, payload, image_url } = self {
            not_empty("message.quick_replies.title", title)?;
            max_chars("message.quick_replies.title", title, limits::TITLE)?;
            if image_url.is_none() {
                not_empty("message.quick_replies.payload", payload)?;
            }
            max_chars("message.quick_replies.payload", payload, limits::PAYLOAD)?;
        }
        Ok(())
    }
}

impl Serialize for QuickReply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Text { title, payload, image_url } => {
                map.serialize_entry("content_type", "text")?;
                map.serialize_entry("title", title)?;
                map.serialize_entry("payload", payload)?;
                if let Some(url) = image_url {
                    map.serialize_entry("image_url", url)?;
                }
            }
            Self::UserPhoneNumber => map.serialize_entry("content_type", "user_phone_number")?,
            Self::UserEmail => map.serialize_entry("content_type", "user_email")?,
        }
        map.end()
    }
}

/// The content of a message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// Text.
    Text(String),
    /// One media attachment.
    Attachment(Attachment),
    /// Several images (Messenger ≤ 30, Instagram ≤ 10).
    Images(Vec<Attachment>),
    /// A structured template.
    Template(StructuredTemplate),
    /// A Page utility template (with [`MessagingType::Utility`]).
    UtilityTemplate(UtilityTemplate),
    /// Instagram's heart sticker.
    LikeHeart,
}

/// An outbound Messenger or Instagram message.
///
/// ```
/// use meta_messaging::messenger::message::{Button, Element, Message, QuickReply};
///
/// let text = Message::text("Pick a colour").quick_reply(QuickReply::text("Red", "RED"));
/// let cards = Message::generic([Element::new("Hat").subtitle("Blue").button(Button::postback("Buy", "BUY_HAT"))]);
/// assert!(text.validate().is_ok() && cards.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Message {
    content: Content,
    quick_replies: Vec<QuickReply>,
    metadata: Option<String>,
    messaging_type: MessagingType,
    reply_to: Option<String>,
    persona_id: Option<String>,
    notification_type: Option<NotificationType>,
}

impl Message {
    fn new(content: Content) -> Self {
        Self {
            content,
            quick_replies: Vec::new(),
            metadata: None,
            messaging_type: MessagingType::Response,
            reply_to: None,
            persona_id: None,
            notification_type: None,
        }
    }

    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(Content::Text(text.into()))
    }

    /// One media attachment.
    pub fn attachment(attachment: Attachment) -> Self {
        Self::new(Content::Attachment(attachment))
    }

    /// An image by URL.
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::attachment(Attachment::url(AttachmentKind::Image, url))
    }

    /// Several images in one message.
    pub fn images(images: impl IntoIterator<Item = Attachment>) -> Self {
        Self::new(Content::Images(images.into_iter().collect()))
    }

    /// A generic template (cards).
    pub fn generic(elements: impl IntoIterator<Item = Element>) -> Self {
        Self::new(Content::Template(StructuredTemplate::Generic(elements.into_iter().collect())))
    }

    /// A button template.
    pub fn buttons(text: impl Into<String>, buttons: impl IntoIterator<Item = Button>) -> Self {
        Self::new(Content::Template(StructuredTemplate::Button {
            text: text.into(),
            buttons: buttons.into_iter().collect(),
        }))
    }

    /// A media template.
    pub fn media(
        media_type: AttachmentKind,
        source: AttachmentSource,
        buttons: impl IntoIterator<Item = Button>,
    ) -> Self {
        Self::new(Content::Template(StructuredTemplate::Media {
            media_type,
            source,
            buttons: buttons.into_iter().collect(),
        }))
    }

    /// Asks the user's permission to call them on Messenger (`calling_optin`); the answer is a
    /// `call_permission_reply` event (`MessagingEvent::CallPermissionReply`).
    pub fn call_permission_request() -> Self {
        Self::new(Content::Template(StructuredTemplate::CallPermissionRequest))
    }

    /// Asks the user to subscribe to the Page's marketing messages (`notification_messages`);
    /// the token arrives in the `messaging_optins` webhook.
    pub fn marketing_opt_in(opt_in: MarketingOptIn) -> Self {
        Self::new(Content::Template(StructuredTemplate::MarketingOptIn(opt_in)))
    }

    /// A Page utility template, sent as `UTILITY` (the template must be approved for the Page;
    /// see [`Messenger::create_utility_template`](crate::messenger::Messenger::create_utility_template)).
    pub fn utility_template(template: UtilityTemplate) -> Self {
        let mut message = Self::new(Content::UtilityTemplate(template));
        message.messaging_type = MessagingType::Utility;
        message
    }

    /// Instagram's heart sticker.
    pub fn like_heart() -> Self {
        Self::new(Content::LikeHeart)
    }

    /// Adds a quick reply.
    pub fn quick_reply(mut self, reply: QuickReply) -> Self {
        self.quick_replies.push(reply);
        self
    }

    /// A string echoed in the `message_echoes` webhook (≤ 1000 characters).
    pub fn metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    /// Sends as a proactive update inside the window.
    pub fn update(mut self) -> Self {
        self.messaging_type = MessagingType::Update;
        self
    }

    /// Sends outside the window with a tag (in 2026: [`MessageTag::HumanAgent`]).
    pub fn tag(mut self, tag: MessageTag) -> Self {
        self.messaging_type = MessagingType::MessageTag(tag);
        self
    }

    /// Quotes a message (the user's or the Page's).
    pub fn reply_to(mut self, mid: impl Into<String>) -> Self {
        self.reply_to = Some(mid.into());
        self
    }

    /// Sends as a persona.
    pub fn persona(mut self, persona_id: impl Into<String>) -> Self {
        self.persona_id = Some(persona_id.into());
        self
    }

    /// How the user is notified.
    pub fn notification(mut self, notification: NotificationType) -> Self {
        self.notification_type = Some(notification);
        self
    }

    /// The messaging type.
    pub fn messaging_type(&self) -> &MessagingType {
        &self.messaging_type
    }

    /// Checks Messenger's limits.
    ///
    /// # Errors
    ///
    /// The first broken limit.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.validate_for(Platform::Messenger)
    }

    pub(crate) fn validate_for(&self, platform: Platform) -> Result<(), ValidationError> {
        match &self.content {
            Content::Text(text) => {
                not_empty("message.text", text)?;
                match platform {
                    Platform::Messenger | Platform::WhatsApp => {
                        max_chars("message.text", text, limits::MESSENGER_TEXT)?;
                    }
                    Platform::Instagram if text.len() > limits::INSTAGRAM_TEXT_BYTES => {
                        return Err(ValidationError::new(
                            "message.text",
                            Violation::Invalid(
                                format!("{} bytes; Instagram allows 1000 bytes of UTF-8", text.len()).into(),
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            Content::Attachment(attachment) => attachment.validate()?,
            Content::Images(images) => {
                let max = match platform {
                    Platform::Instagram => limits::INSTAGRAM_IMAGES,
                    _ => limits::MESSENGER_IMAGES,
                };
                if images.is_empty() {
                    return Err(ValidationError::new(
                        "message.attachments",
                        Violation::TooFew { min: 1, actual: 0 },
                    ));
                }
                max_items("message.attachments", images.len(), max)?;
                for image in images {
                    if image.kind != AttachmentKind::Image {
                        return Err(ValidationError::new(
                            "message.attachments",
                            Violation::Invalid("images only".into()),
                        ));
                    }
                    image.validate()?;
                }
            }
            Content::Template(template) => template.validate()?,
            Content::UtilityTemplate(template) => template.validate()?,
            Content::LikeHeart => {}
        }
        max_items("message.quick_replies", self.quick_replies.len(), limits::QUICK_REPLIES)?;
        self.quick_replies.iter().try_for_each(QuickReply::validate)?;
        if let Some(metadata) = &self.metadata {
            max_chars("message.metadata", metadata, limits::METADATA)?;
        }
        if let MessagingType::MessageTag(tag) = &self.messaging_type {
            if RETIRED_TAGS.contains(&tag.as_str()) {
                return Err(ValidationError::new(
                    "tag",
                    Violation::Invalid("Meta retired this tag on 2026-04-27; use a utility template".into()),
                ));
            }
            if platform == Platform::Instagram && *tag != MessageTag::HumanAgent {
                return Err(ValidationError::new(
                    "tag",
                    Violation::Invalid("Instagram accepts HUMAN_AGENT only".into()),
                ));
            }
        }
        Ok(())
    }

    /// The `message` object of a send body (content, quick replies, metadata); the envelope
    /// around it (recipient, messaging type, tag, reply, persona) is the caller's.
    pub(crate) fn message_object(&self) -> serde_json::Result<serde_json::Map<String, serde_json::Value>> {
        let mut body = serde_json::Map::new();
        let (key, value) = match &self.content {
            Content::Text(text) => ("text", text.clone().into()),
            Content::Attachment(attachment) => ("attachment", serde_json::to_value(attachment)?),
            Content::Images(images) => ("attachments", serde_json::to_value(images)?),
            Content::Template(template) => ("attachment", serde_json::to_value(template)?),
            Content::UtilityTemplate(template) => ("template", serde_json::to_value(template)?),
            Content::LikeHeart => ("attachment", serde_json::json!({"type": "like_heart"})),
        };
        body.insert(key.to_owned(), value);
        if !self.quick_replies.is_empty() {
            body.insert("quick_replies".to_owned(), serde_json::to_value(&self.quick_replies)?);
        }
        if let Some(metadata) = &self.metadata {
            body.insert("metadata".to_owned(), metadata.clone().into());
        }
        Ok(body)
    }
}

/// The request body of a send.
pub(crate) struct SendBody {
    pub(crate) to: Recipient,
    pub(crate) message: Message,
}

impl Serialize for SendBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let message = &self.message;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("recipient", &self.to)?;
        match &message.messaging_type {
            MessagingType::Response => map.serialize_entry("messaging_type", "RESPONSE")?,
            MessagingType::Update => map.serialize_entry("messaging_type", "UPDATE")?,
            MessagingType::Utility => map.serialize_entry("messaging_type", "UTILITY")?,
            MessagingType::MessageTag(tag) => {
                map.serialize_entry("messaging_type", "MESSAGE_TAG")?;
                map.serialize_entry("tag", tag)?;
            }
        }
        let body = message.message_object().map_err(serde::ser::Error::custom)?;
        map.serialize_entry("message", &body)?;
        if let Some(mid) = &message.reply_to {
            map.serialize_entry("reply_to", &serde_json::json!({"mid": mid}))?;
        }
        if let Some(persona) = &message.persona_id {
            map.serialize_entry("persona_id", persona)?;
        }
        if let Some(notification) = &message.notification_type {
            map.serialize_entry("notification_type", notification)?;
        }
        map.end()
    }
}

string_enum! {
    /// A sender action.
    pub enum SenderAction {
        /// Shows the typing bubble.
        TypingOn = "typing_on",
        /// Hides it.
        TypingOff = "typing_off",
        /// Marks the conversation seen.
        MarkSeen = "mark_seen",
    }
}

/// The answer to a send or sender action.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(clippy::struct_field_names)] // Meta's names
pub struct SendResponse {
    recipient_id: Option<String>,
    message_id: Option<Mid>,
    attachment_id: Option<String>,
}

impl SendResponse {
    /// The id of the sent message (`m_…`), which its delivery and read webhooks carry; `None`
    /// for sender actions.
    pub fn message_id(&self) -> Option<&Mid> {
        self.message_id.as_ref()
    }

    /// The recipient's PSID or IGSID (absent for `user_ref` recipients).
    pub fn recipient_id(&self) -> Option<&str> {
        self.recipient_id.as_deref()
    }

    /// The saved attachment id, when a reusable attachment was sent.
    pub fn attachment_id(&self) -> Option<&str> {
        self.attachment_id.as_deref()
    }
}
