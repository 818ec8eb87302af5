//! The `messages` field: the value with its contacts and metadata, and each message with its
//! content read by `type`.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::content::{
    AdReferral, Context, Edit, InboundReaction, InteractiveReply, Media, Order, Revoke, SharedContact,
    SharedLocation, System, TemplateButtonReply, Text, UnsupportedContent,
};
use super::statuses::{NotificationError, Status};
use crate::Timestamp;
use crate::graph::serde_util::{null_as_empty, opt_string_or_integer, string_enum, text_at};
use crate::graph::{Lazy, RawJson};
use crate::whatsapp::{MessageId, PhoneNumberId};

/// The contact of a value's `contacts` that names `id` (as its phone or its BSUID).
pub(crate) fn contact_named<'a>(contacts: &'a [Contact], id: &str) -> Option<&'a Contact> {
    contacts.iter().find(|c| c.wa_id.as_deref() == Some(id) || c.user_id.as_deref() == Some(id))
}

/// `user` completed with what the contact naming them says (phone, BSUID, parent BSUID,
/// username): how every value's `contacts` add to the user of one of its events.
pub(crate) fn with_contact(
    user: crate::user::UserIdentity,
    contacts: &[Contact],
) -> crate::user::UserIdentity {
    match user.key().and_then(|key| contact_named(contacts, key)) {
        Some(contact) => user.merged(&contact.user()),
        None => user,
    }
}

/// The value of a `messages` change.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessagesValue {
    /// The business phone number the change is about.
    pub metadata: Option<Metadata>,
    /// Profiles of the users who sent `messages`.
    #[serde(deserialize_with = "null_as_empty")]
    pub contacts: Vec<Contact>,
    /// Inbound messages.
    #[serde(deserialize_with = "null_as_empty")]
    pub messages: Vec<InboundMessage>,
    /// Status updates of messages the business sent.
    #[serde(deserialize_with = "null_as_empty")]
    pub statuses: Vec<Status>,
    /// Out-of-band errors.
    #[serde(deserialize_with = "null_as_empty")]
    pub errors: Vec<NotificationError>,
}

impl MessagesValue {
    /// General path: element by element, so one odd element never fails the rest.
    pub(super) fn from_json(value: &Value) -> Self {
        let items =
            |key: &str| value.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        Self {
            metadata: value.get("metadata").and_then(|m| Metadata::deserialize(m).ok()),
            contacts: items("contacts").iter().filter_map(|c| Contact::deserialize(c).ok()).collect(),
            messages: items("messages").iter().map(InboundMessage::from_json).collect(),
            statuses: items("statuses").iter().map(Status::from_json).collect(),
            errors: items("errors").iter().map(NotificationError::from_json).collect(),
        }
    }

    /// The profile Meta sent for a user id (`wa_id` or business-scoped `user_id`).
    pub fn contact(&self, user: &str) -> Option<&Contact> {
        contact_named(&self.contacts, user)
    }

    /// A message's sender with everything the value says of them: the message's ids and the
    /// matching contact's (phone, BSUID, parent BSUID, username).
    pub fn user_of(&self, message: &InboundMessage) -> crate::user::UserIdentity {
        let user = message.user();
        let contact = message
            .from_user_id
            .as_deref()
            .or(message.from.as_deref())
            .and_then(|id| self.contact(id))
            .or_else(|| (self.contacts.len() == 1 && self.messages.len() == 1).then(|| &self.contacts[0]));
        match contact {
            Some(contact) => user.merged(&contact.user()),
            None => user,
        }
    }

    /// The business phone-number id, from `metadata`.
    pub fn phone_number_id(&self) -> Option<&PhoneNumberId> {
        self.metadata.as_ref()?.phone_number_id.as_ref()
    }
}

/// The business phone number a change is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Metadata {
    /// The number as displayed, such as `15550783881`.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// The phone-number id to send replies from.
    pub phone_number_id: Option<PhoneNumberId>,
}

/// The profile of a user who sent a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Contact {
    /// Name and username.
    pub profile: Option<Profile>,
    /// The user's WhatsApp id (phone number); absent for users known only by `user_id`.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The business-scoped user id (BSUID).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// The parent BSUID, for businesses with several portfolios.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
    /// ISO country code.
    pub country_code: Option<String>,
    /// Identity key hash, when identity checks are on.
    pub identity_key_hash: Option<String>,
}

impl Contact {
    /// The contact as one typed identity.
    pub fn user(&self) -> crate::user::UserIdentity {
        let pick = |value: &Option<String>| value.clone().unwrap_or_default();
        crate::user::UserIdentity::new()
            .phone(pick(&self.wa_id))
            .user_id(pick(&self.user_id))
            .parent_user_id(pick(&self.parent_user_id))
            .username(self.profile.as_ref().and_then(|p| p.username.clone()).unwrap_or_default())
    }
}

/// A user's profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Profile {
    /// Display name.
    pub name: Option<String>,
    /// WhatsApp username.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
}

string_enum! {
    /// The `type` of an inbound message.
    pub enum MessageType {
        /// Text.
        Text = "text",
        /// Image.
        Image = "image",
        /// Video.
        Video = "video",
        /// Audio or voice note.
        Audio = "audio",
        /// Document.
        Document = "document",
        /// Sticker.
        Sticker = "sticker",
        /// Location.
        Location = "location",
        /// Contact cards.
        Contacts = "contacts",
        /// Reply to an interactive message (buttons, lists, flows, call permission).
        Interactive = "interactive",
        /// Tap on a template quick-reply button.
        Button = "button",
        /// Reaction.
        Reaction = "reaction",
        /// Order from a catalog.
        Order = "order",
        /// System notice (number changed, ...).
        System = "system",
        /// A message type WhatsApp does not deliver to the Cloud API.
        Unsupported = "unsupported",
        /// Legacy name of `unsupported`.
        UnknownLegacy = "unknown",
        /// The user opened the chat for the first time.
        RequestWelcome = "request_welcome",
        /// The user edited a message.
        Edit = "edit",
        /// The user deleted a message.
        Revoke = "revoke",
    }
}

/// An inbound message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct InboundMessage {
    /// The sender's WhatsApp id (phone number); absent for users known only by a BSUID.
    pub from: Option<String>,
    /// The sender's business-scoped user id.
    pub from_user_id: Option<String>,
    /// The sender's parent business-scoped user id.
    pub from_parent_user_id: Option<String>,
    /// The user a business echo went to (`smb_message_echoes`); absent on inbound messages.
    pub to: Option<String>,
    /// The business-scoped user id an echo went to.
    pub to_user_id: Option<String>,
    /// The message id (`wamid.…`).
    pub id: Option<MessageId>,
    /// When the user sent it.
    pub timestamp: Option<Timestamp>,
    /// The `type` Meta sent; `unknown` when it sent none.
    pub kind: MessageType,
    /// What the message replies to or was forwarded from.
    pub context: Option<Box<Context>>,
    /// Click-to-WhatsApp ad or post the conversation started from.
    pub referral: Option<Box<AdReferral>>,
    /// Errors, on `unsupported` messages.
    pub errors: Vec<NotificationError>,
    /// The group the message was sent in.
    pub group_id: Option<String>,
    /// The sender's identity check, when the business turned identity-change checks on
    /// (legacy); typed on access with [`Lazy::get`].
    pub identity: Option<Lazy<MessageIdentity>>,
    /// The content, typed by `kind`.
    pub content: InboundContent,
    /// The message's state in shared chat history (`history` webhooks only).
    pub history_context: Option<super::HistoryContext>,
    /// Keys this version does not model, as Meta sent them (nothing is dropped).
    pub other: Vec<(String, RawJson)>,
}

/// The `identity` of an inbound message: whether the sender's identity key is acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageIdentity {
    /// Whether the business acknowledged the current identity.
    pub acknowledged: Option<bool>,
    /// When the identity was created.
    pub created_timestamp: Option<Timestamp>,
    /// The identity hash.
    pub hash: Option<String>,
}

/// The content of an inbound message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InboundContent {
    /// `text`.
    Text(Text),
    /// `image`.
    Image(Box<Media>),
    /// `video`.
    Video(Box<Media>),
    /// `audio`.
    Audio(Box<Media>),
    /// `document`.
    Document(Box<Media>),
    /// `sticker`.
    Sticker(Box<Media>),
    /// `location`.
    Location(Box<SharedLocation>),
    /// `contacts`.
    Contacts(Vec<SharedContact>),
    /// `interactive`.
    Interactive(Box<InteractiveReply>),
    /// `button`.
    Button(TemplateButtonReply),
    /// `reaction`.
    Reaction(InboundReaction),
    /// `order`.
    Order(Box<Order>),
    /// `system`.
    System(Box<System>),
    /// `unsupported`.
    Unsupported(UnsupportedContent),
    /// `edit`.
    Edit(Edit),
    /// `revoke`.
    Revoke(Revoke),
    /// The type carries no object (`request_welcome`, legacy `unknown`), or it was missing.
    Empty,
    /// A type this version does not model, or an object without the documented shape: the
    /// JSON as sent.
    Unknown(RawJson),
}

impl InboundMessage {
    /// A message that did not have the documented shape: the header fields that could be read,
    /// and the whole object as raw JSON.
    pub(super) fn from_json(value: &Value) -> Self {
        Self::deserialize(value).unwrap_or_else(|_| Self {
            from: text_at(value, "from"),
            from_user_id: text_at(value, "from_user_id"),
            from_parent_user_id: text_at(value, "from_parent_user_id"),
            to: text_at(value, "to"),
            to_user_id: text_at(value, "to_user_id"),
            id: text_at(value, "id").map(MessageId::new),
            timestamp: value.get("timestamp").and_then(|t| Timestamp::deserialize(t).ok()),
            kind: value
                .get("type")
                .and_then(Value::as_str)
                .map_or_else(|| MessageType::UnknownLegacy, MessageType::from),
            context: None,
            referral: None,
            errors: Vec::new(),
            group_id: text_at(value, "group_id"),
            identity: value.get("identity").map(|v| Lazy::from_raw(RawJson::from_value(v))),
            content: InboundContent::Unknown(RawJson::from_value(value)),
            history_context: value.get("history_context").and_then(|h| Deserialize::deserialize(h).ok()),
            other: Vec::new(),
        })
    }

    /// The sender: `from`, or the business-scoped `from_user_id` when `from` is absent (or was
    /// an empty string). Never an empty string.
    pub fn sender(&self) -> Option<&str> {
        self.from.as_deref().or(self.from_user_id.as_deref())
    }

    /// The sender as one typed identity (phone, BSUID, parent BSUID; the username comes from
    /// the value's `contacts`, see [`MessagesValue::user_of`]).
    pub fn user(&self) -> crate::user::UserIdentity {
        let pick = |value: &Option<String>| value.clone().unwrap_or_default();
        crate::user::UserIdentity::new()
            .phone(pick(&self.from))
            .user_id(pick(&self.from_user_id))
            .parent_user_id(pick(&self.from_parent_user_id))
    }

    /// The sender's stable key: the BSUID when Meta sent one, else the phone.
    pub fn user_key(&self) -> Option<&str> {
        self.from_user_id.as_deref().or(self.from.as_deref())
    }

    /// The text of the message: the body of a `text`, or of the new version of an `edit`.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            InboundContent::Text(text) => Some(&text.body),
            InboundContent::Edit(edit) => edit.message.as_deref().and_then(InboundMessage::text),
            _ => None,
        }
    }
}

/// Keys of a message object, read without allocating for the known ones.
enum MessageKey {
    From,
    FromUserId,
    FromParentUserId,
    To,
    ToUserId,
    Id,
    Timestamp,
    Type,
    Context,
    Referral,
    Errors,
    GroupId,
    Identity,
    HistoryContext,
    Content(ContentKey),
    Other(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ContentKey {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contacts,
    Interactive,
    Button,
    Reaction,
    Order,
    System,
    Unsupported,
    Edit,
    Revoke,
}

impl ContentKey {
    fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contacts => "contacts",
            Self::Interactive => "interactive",
            Self::Button => "button",
            Self::Reaction => "reaction",
            Self::Order => "order",
            Self::System => "system",
            Self::Unsupported => "unsupported",
            Self::Edit => "edit",
            Self::Revoke => "revoke",
        }
    }
}

impl<'de> Deserialize<'de> for MessageKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = MessageKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MessageKey, E> {
                use ContentKey as C;
                Ok(match v {
                    "from" => MessageKey::From,
                    "from_user_id" => MessageKey::FromUserId,
                    "from_parent_user_id" => MessageKey::FromParentUserId,
                    "to" => MessageKey::To,
                    "to_user_id" => MessageKey::ToUserId,
                    "id" => MessageKey::Id,
                    "timestamp" => MessageKey::Timestamp,
                    "type" => MessageKey::Type,
                    "context" => MessageKey::Context,
                    "referral" => MessageKey::Referral,
                    "errors" => MessageKey::Errors,
                    "group_id" => MessageKey::GroupId,
                    "identity" => MessageKey::Identity,
                    "history_context" => MessageKey::HistoryContext,
                    "text" => MessageKey::Content(C::Text),
                    "image" => MessageKey::Content(C::Image),
                    "video" => MessageKey::Content(C::Video),
                    "audio" => MessageKey::Content(C::Audio),
                    "document" => MessageKey::Content(C::Document),
                    "sticker" => MessageKey::Content(C::Sticker),
                    "location" => MessageKey::Content(C::Location),
                    "contacts" => MessageKey::Content(C::Contacts),
                    "interactive" => MessageKey::Content(C::Interactive),
                    "button" => MessageKey::Content(C::Button),
                    "reaction" => MessageKey::Content(C::Reaction),
                    "order" => MessageKey::Content(C::Order),
                    "system" => MessageKey::Content(C::System),
                    "unsupported" => MessageKey::Content(C::Unsupported),
                    "edit" => MessageKey::Content(C::Edit),
                    "revoke" => MessageKey::Content(C::Revoke),
                    other => MessageKey::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// One pass over a message: header fields typed, the content object typed by its own key (so
/// the order of `type` and content does not matter), unknown keys kept as raw JSON.
impl<'de> Deserialize<'de> for InboundMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = InboundMessage;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InboundMessage, A::Error> {
                let mut message = InboundMessage {
                    from: None,
                    from_user_id: None,
                    from_parent_user_id: None,
                    to: None,
                    to_user_id: None,
                    id: None,
                    timestamp: None,
                    kind: MessageType::UnknownLegacy,
                    context: None,
                    referral: None,
                    errors: Vec::new(),
                    group_id: None,
                    identity: None,
                    content: InboundContent::Empty,
                    history_context: None,
                    other: Vec::new(),
                };
                let mut kind: Option<MessageType> = None;
                // Almost every message has exactly one content object: keep it inline, and any
                // further ones in vectors that stay unallocated.
                let mut first: Option<(ContentKey, InboundContent)> = None;
                let mut typed: Vec<(ContentKey, InboundContent)> = Vec::new();
                let mut raw: Vec<(String, RawJson)> = Vec::new();
                while let Some(key) = map.next_key::<MessageKey>()? {
                    match key {
                        MessageKey::From => message.from = map.next_value_seed(OptText)?,
                        MessageKey::FromUserId => message.from_user_id = map.next_value_seed(OptText)?,
                        MessageKey::FromParentUserId => {
                            message.from_parent_user_id = map.next_value_seed(OptText)?;
                        }
                        MessageKey::To => message.to = map.next_value_seed(OptText)?,
                        MessageKey::ToUserId => message.to_user_id = map.next_value_seed(OptText)?,
                        MessageKey::Id => message.id = map.next_value()?,
                        MessageKey::Timestamp => message.timestamp = map.next_value()?,
                        MessageKey::Type => kind = map.next_value()?,
                        MessageKey::Context => message.context = map.next_value()?,
                        MessageKey::Referral => message.referral = map.next_value()?,
                        MessageKey::Errors => {
                            message.errors = map.next_value::<Option<_>>()?.unwrap_or_default();
                        }
                        MessageKey::GroupId => message.group_id = map.next_value_seed(OptText)?,
                        MessageKey::Identity => message.identity = map.next_value()?,
                        MessageKey::HistoryContext => message.history_context = map.next_value()?,
                        MessageKey::Content(key) => {
                            if let Some(content) = map.next_value_seed(ContentSeed(key))? {
                                if first.is_none() {
                                    first = Some((key, content));
                                } else {
                                    typed.push((key, content));
                                }
                            }
                        }
                        MessageKey::Other(key) => raw.push((key, map.next_value()?)),
                    }
                }
                if let Some(kind) = kind {
                    message.kind = kind;
                }
                // The content is the object named by `type`; failing that, whatever content the
                // message carries, so nothing is dropped.
                let name = message.kind.as_str();
                message.content = match first {
                    Some((key, content)) if key.name() == name => content,
                    first => {
                        if let Some(i) = typed.iter().position(|(k, _)| k.name() == name) {
                            typed.swap_remove(i).1
                        } else if let Some(i) = raw.iter().position(|(k, _)| k == name) {
                            InboundContent::Unknown(raw.swap_remove(i).1)
                        } else if let Some((_, content)) = first {
                            content
                        } else if !raw.is_empty() {
                            InboundContent::Unknown(raw.swap_remove(0).1)
                        } else {
                            InboundContent::Empty
                        }
                    }
                };
                // A second content object, or a key this version does not know: kept as sent.
                message.other = raw;
                for (key, content) in typed {
                    if let InboundContent::Unknown(json) = content {
                        message.other.push((key.name().to_owned(), json));
                    }
                }
                Ok(message)
            }
        }
        d.deserialize_map(MessageVisitor)
    }
}

/// An optional string that may also arrive as a JSON integer.
struct OptText;

impl<'de> DeserializeSeed<'de> for OptText {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        opt_string_or_integer(d)
    }
}

/// Parses a content object typed by its key; `null` is no content.
struct ContentSeed(ContentKey);

impl<'de> DeserializeSeed<'de> for ContentSeed {
    type Value = Option<InboundContent>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<InboundContent>, D::Error> {
        use ContentKey as C;
        fn opt<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
            d: D,
            wrap: fn(T) -> InboundContent,
        ) -> Result<Option<InboundContent>, D::Error> {
            Ok(Option::<T>::deserialize(d)?.map(wrap))
        }
        match self.0 {
            C::Text => opt(d, InboundContent::Text),
            C::Image => opt(d, InboundContent::Image),
            C::Video => opt(d, InboundContent::Video),
            C::Audio => opt(d, InboundContent::Audio),
            C::Document => opt(d, InboundContent::Document),
            C::Sticker => opt(d, InboundContent::Sticker),
            C::Location => opt(d, InboundContent::Location),
            C::Contacts => opt(d, InboundContent::Contacts),
            C::Interactive => opt(d, InboundContent::Interactive),
            C::Button => opt(d, InboundContent::Button),
            C::Reaction => opt(d, InboundContent::Reaction),
            C::Order => opt(d, InboundContent::Order),
            C::System => opt(d, InboundContent::System),
            C::Unsupported => opt(d, InboundContent::Unsupported),
            C::Edit => opt(d, InboundContent::Edit),
            C::Revoke => opt(d, InboundContent::Revoke),
        }
    }
}
