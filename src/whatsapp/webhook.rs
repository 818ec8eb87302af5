//! Typed models of WhatsApp Cloud API webhooks (`object = "whatsapp_business_account"`).
//!
//! Shapes follow Meta's WhatsApp webhook reference as of Graph API v25.0 (2026), summarised in
//! the crate's `meta-api.md` §8. Every field Meta may omit is an `Option` (the phone number `from`
//! too: since 2026 users with a username may be identified only by a business-scoped user id),
//! every Meta-valued enum is open, ids and timestamps accept strings and numbers, and anything
//! this version does not model is kept as raw JSON, never dropped.
//!
//! Use these through [`webhook::parse`](crate::webhook::parse) and
//! [`Webhook::events`](crate::webhook::Webhook::events); the types are public so handlers can
//! match on them.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::{MediaId, MessageId, PhoneNumberId, WabaId};
use crate::Timestamp;
use crate::graph::serde_util::{
    null_as_default, opt_f64_lenient, opt_integer_or_string, opt_string_or_integer, string_enum, text_at,
};
use crate::graph::{Lazy, RawJson};

string_enum! {
    /// The subscription `field` of a change.
    pub enum Field {
        /// Inbound messages, statuses of sent messages, errors.
        Messages = "messages",
        /// Template approved, rejected, paused, ...
        MessageTemplateStatusUpdate = "message_template_status_update",
        /// Template quality score changed.
        MessageTemplateQualityUpdate = "message_template_quality_update",
        /// Template components edited.
        MessageTemplateComponentsUpdate = "message_template_components_update",
        /// Template category changed.
        TemplateCategoryUpdate = "template_category_update",
        /// Phone number quality, messaging limit or throughput changed.
        PhoneNumberQualityUpdate = "phone_number_quality_update",
        /// Display name review decided.
        PhoneNumberNameUpdate = "phone_number_name_update",
        /// Account restricted, banned, partner added, ...
        AccountUpdate = "account_update",
        /// Account review decided.
        AccountReviewUpdate = "account_review_update",
        /// Account alerts.
        AccountAlerts = "account_alerts",
        /// Business capabilities (limits) changed.
        BusinessCapabilityUpdate = "business_capability_update",
        /// Two-step verification PIN changed or reset.
        Security = "security",
        /// Flow status changes.
        Flows = "flows",
        /// Users' marketing-message preferences.
        UserPreferences = "user_preferences",
        /// Calling API events.
        Calls = "calls",
        /// Messages the business sent from the WhatsApp Business app (coexistence).
        SmbMessageEchoes = "smb_message_echoes",
        /// WhatsApp Business app state sync (coexistence).
        SmbAppStateSync = "smb_app_state_sync",
        /// Chat history sync (coexistence).
        History = "history",
        /// Messages the business sent from another client.
        MessageEchoes = "message_echoes",
        /// Partner solution changes.
        PartnerSolutions = "partner_solutions",
        /// Payment configuration changes.
        PaymentConfigurationUpdate = "payment_configuration_update",
    }
}

/// A parsed WhatsApp webhook body.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Payload {
    /// Every `entry[]`, in order.
    pub entries: Vec<Entry>,
}

/// One `entry[]`: the changes of one WhatsApp Business Account.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Entry {
    /// The WABA id.
    #[serde(default)]
    pub id: Option<WabaId>,
    /// `time`, sent on some fields only.
    #[serde(default)]
    pub time: Option<Timestamp>,
    /// Every `changes[]`, in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub changes: Vec<Change>,
}

/// One `changes[]` item: a `field` and its `value`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Change {
    /// The subscription field, such as `messages` or `account_update`; unknown fields verbatim.
    pub field: Field,
    /// The value, typed by field.
    pub value: ChangeValue,
}

/// The value of a change, typed by its field.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ChangeValue {
    /// `messages`: inbound messages, statuses of sent messages, errors.
    Messages(MessagesValue),
    /// `message_template_status_update`.
    TemplateStatus(TemplateStatusUpdate),
    /// `message_template_quality_update`.
    TemplateQuality(TemplateQualityUpdate),
    /// `message_template_components_update`.
    TemplateComponents(TemplateComponentsUpdate),
    /// `template_category_update`.
    TemplateCategory(TemplateCategoryUpdate),
    /// `phone_number_quality_update`.
    PhoneNumberQuality(PhoneNumberQualityUpdate),
    /// `phone_number_name_update`.
    PhoneNumberName(PhoneNumberNameUpdate),
    /// `account_update`.
    Account(AccountUpdate),
    /// `account_review_update`.
    AccountReview(AccountReviewUpdate),
    /// `business_capability_update`.
    BusinessCapability(BusinessCapabilityUpdate),
    /// `security`.
    Security(SecurityUpdate),
    /// `user_preferences`.
    UserPreferences(UserPreferencesUpdate),
    /// `smb_message_echoes` and `message_echoes`: messages the business sent from another app.
    MessageEchoes(MessageEchoes),
    /// A field this version does not model, or a value that did not have the documented shape:
    /// the JSON as Meta sent it.
    Unknown(RawJson),
}

impl ChangeValue {
    /// The messages value, for the `messages` field.
    pub fn as_messages(&self) -> Option<&MessagesValue> {
        match self {
            Self::Messages(value) => Some(value),
            _ => None,
        }
    }

    /// Parses a value typed by `field`; a known field whose value does not have the documented
    /// shape, and any unknown field, is kept as raw JSON.
    fn from_json(field: &Field, value: &Value) -> Self {
        if *field == Field::Messages {
            return match value.as_object() {
                Some(_) => Self::Messages(MessagesValue::from_json(value)),
                None => Self::Unknown(RawJson::from_value(value)),
            };
        }
        FieldSeed(field).deserialize(value).unwrap_or_else(|_| Self::Unknown(RawJson::from_value(value)))
    }
}

/// Deserializes a change value whose field is already known.
struct FieldSeed<'f>(&'f Field);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ChangeValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ChangeValue, D::Error> {
        Ok(match self.0 {
            Field::Messages => ChangeValue::Messages(MessagesValue::deserialize(d)?),
            Field::MessageTemplateStatusUpdate => ChangeValue::TemplateStatus(Deserialize::deserialize(d)?),
            Field::MessageTemplateQualityUpdate => ChangeValue::TemplateQuality(Deserialize::deserialize(d)?),
            Field::MessageTemplateComponentsUpdate => {
                ChangeValue::TemplateComponents(Deserialize::deserialize(d)?)
            }
            Field::TemplateCategoryUpdate => ChangeValue::TemplateCategory(Deserialize::deserialize(d)?),
            Field::PhoneNumberQualityUpdate => ChangeValue::PhoneNumberQuality(Deserialize::deserialize(d)?),
            Field::PhoneNumberNameUpdate => ChangeValue::PhoneNumberName(Deserialize::deserialize(d)?),
            Field::AccountUpdate => ChangeValue::Account(Deserialize::deserialize(d)?),
            Field::AccountReviewUpdate => ChangeValue::AccountReview(Deserialize::deserialize(d)?),
            Field::BusinessCapabilityUpdate => ChangeValue::BusinessCapability(Deserialize::deserialize(d)?),
            Field::Security => ChangeValue::Security(Deserialize::deserialize(d)?),
            Field::UserPreferences => ChangeValue::UserPreferences(Deserialize::deserialize(d)?),
            Field::SmbMessageEchoes | Field::MessageEchoes => {
                ChangeValue::MessageEchoes(Deserialize::deserialize(d)?)
            }
            _ => ChangeValue::Unknown(Deserialize::deserialize(d)?),
        })
    }
}

/// Fast path: a change in one pass. When `value` comes before `field` (as Meta sends it), the
/// value is read as a messages value; a non-`messages` change in that order fails here and is
/// parsed by the general path instead.
impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChangeVisitor;
        impl<'de> Visitor<'de> for ChangeVisitor {
            type Value = Change;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a change object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Change, A::Error> {
                let mut field: Option<Field> = None;
                let mut value: Option<ChangeValue> = None;
                while let Some(key) = map.next_key::<ChangeKey>()? {
                    match key {
                        ChangeKey::Field => {
                            if field.is_some() {
                                return Err(de::Error::duplicate_field("field"));
                            }
                            field = Some(map.next_value()?);
                        }
                        ChangeKey::Value => {
                            if value.is_some() {
                                return Err(de::Error::duplicate_field("value"));
                            }
                            let f = field.as_ref().unwrap_or(&Field::Messages);
                            value = Some(map.next_value_seed(FieldSeed(f))?);
                        }
                        ChangeKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let field = field.ok_or_else(|| de::Error::missing_field("field"))?;
                let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                if field != Field::Messages && matches!(value, ChangeValue::Messages(_)) {
                    return Err(de::Error::custom("value came before a non-messages field"));
                }
                Ok(Change { field, value })
            }
        }
        d.deserialize_map(ChangeVisitor)
    }
}

enum ChangeKey {
    Field,
    Value,
    Other,
}

impl<'de> Deserialize<'de> for ChangeKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ChangeKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChangeKey, E> {
                Ok(match v {
                    "field" => ChangeKey::Field,
                    "value" => ChangeKey::Value,
                    _ => ChangeKey::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// The value of a `messages` change.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MessagesValue {
    /// The business phone number the change is about.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Profiles of the users who sent `messages`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub contacts: Vec<Contact>,
    /// Inbound messages.
    #[serde(default, deserialize_with = "null_as_default")]
    pub messages: Vec<Message>,
    /// Status updates of messages the business sent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub statuses: Vec<Status>,
    /// Out-of-band errors.
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<WebhookError>,
}

impl MessagesValue {
    /// General path: element by element, so one odd element never fails the rest.
    fn from_json(value: &Value) -> Self {
        let items =
            |key: &str| value.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        Self {
            metadata: value.get("metadata").and_then(|m| Metadata::deserialize(m).ok()),
            contacts: items("contacts").iter().filter_map(|c| Contact::deserialize(c).ok()).collect(),
            messages: items("messages").iter().map(Message::from_json).collect(),
            statuses: items("statuses").iter().map(Status::from_json).collect(),
            errors: items("errors").iter().map(WebhookError::from_json).collect(),
        }
    }

    /// The profile Meta sent for a user id (`wa_id` or business-scoped `user_id`).
    pub fn contact(&self, user: &str) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.wa_id.as_deref() == Some(user) || c.user_id.as_deref() == Some(user))
    }

    /// The business phone-number id, from `metadata`.
    pub fn phone_number_id(&self) -> Option<&PhoneNumberId> {
        self.metadata.as_ref()?.phone_number_id.as_ref()
    }
}

/// The business phone number a change is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Metadata {
    /// The number as displayed, such as `15550783881`.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// The phone-number id to send replies from.
    #[serde(default)]
    pub phone_number_id: Option<PhoneNumberId>,
}

/// The profile of a user who sent a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Contact {
    /// Name and username.
    #[serde(default)]
    pub profile: Option<Profile>,
    /// The user's WhatsApp id (phone number); absent for users known only by `user_id`.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The business-scoped user id (BSUID).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The parent BSUID, for businesses with several portfolios.
    #[serde(default)]
    pub parent_user_id: Option<String>,
    /// ISO country code.
    #[serde(default)]
    pub country_code: Option<String>,
    /// Identity key hash, when identity checks are on.
    #[serde(default)]
    pub identity_key_hash: Option<String>,
}

/// A user's profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// WhatsApp username.
    #[serde(default)]
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
pub struct Message {
    /// The sender's WhatsApp id (phone number); absent for users known only by a BSUID.
    pub from: Option<String>,
    /// The sender's business-scoped user id.
    pub from_user_id: Option<String>,
    /// The sender's parent business-scoped user id.
    pub from_parent_user_id: Option<String>,
    /// The message id (`wamid.…`).
    pub id: Option<MessageId>,
    /// When the user sent it.
    pub timestamp: Option<Timestamp>,
    /// The `type` Meta sent; `unknown` when it sent none.
    pub kind: MessageType,
    /// What the message replies to or was forwarded from.
    pub context: Option<Box<Context>>,
    /// Click-to-WhatsApp ad or post the conversation started from.
    pub referral: Option<Box<Referral>>,
    /// Errors, on `unsupported` messages.
    pub errors: Vec<WebhookError>,
    /// The group the message was sent in.
    pub group_id: Option<String>,
    /// The content, typed by `kind`.
    pub content: Content,
}

/// The content of an inbound message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Content {
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
    Location(Box<Location>),
    /// `contacts`.
    Contacts(Vec<ContactCard>),
    /// `interactive`.
    Interactive(Box<Interactive>),
    /// `button`.
    Button(Button),
    /// `reaction`.
    Reaction(Reaction),
    /// `order`.
    Order(Box<Order>),
    /// `system`.
    System(Box<System>),
    /// `unsupported`.
    Unsupported(Unsupported),
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

/// `text` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Text {
    /// The text.
    #[serde(default)]
    pub body: String,
}

/// Media content (image, video, audio, document, sticker).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Media {
    /// The media id to download with (valid 7 days).
    #[serde(default)]
    pub id: Option<MediaId>,
    /// MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// SHA-256 of the file.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Caption (image, video, document).
    #[serde(default)]
    pub caption: Option<String>,
    /// File name (document).
    #[serde(default)]
    pub filename: Option<String>,
    /// Whether an audio is a voice note.
    #[serde(default)]
    pub voice: Option<bool>,
    /// Whether a sticker is animated.
    #[serde(default)]
    pub animated: Option<bool>,
    /// A direct download URL (needs the bearer token), sent by newer API versions.
    #[serde(default)]
    pub url: Option<String>,
}

/// `location` content.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Location {
    /// Latitude.
    #[serde(default, deserialize_with = "opt_f64_lenient")]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(default, deserialize_with = "opt_f64_lenient")]
    pub longitude: Option<f64>,
    /// Place name.
    #[serde(default)]
    pub name: Option<String>,
    /// Address.
    #[serde(default)]
    pub address: Option<String>,
    /// Website of the place.
    #[serde(default)]
    pub url: Option<String>,
}

/// A contact card, in `contacts` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ContactCard {
    /// Names.
    #[serde(default)]
    pub name: Option<ContactName>,
    /// Birthday, `YYYY-MM-DD`.
    #[serde(default)]
    pub birthday: Option<String>,
    /// Addresses.
    #[serde(default, deserialize_with = "null_as_default")]
    pub addresses: Vec<ContactAddress>,
    /// Email addresses.
    #[serde(default, deserialize_with = "null_as_default")]
    pub emails: Vec<ContactEmail>,
    /// Organization.
    #[serde(default)]
    pub org: Option<ContactOrg>,
    /// Phone numbers.
    #[serde(default, deserialize_with = "null_as_default")]
    pub phones: Vec<ContactPhone>,
    /// URLs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub urls: Vec<ContactUrl>,
}

/// A contact's names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ContactName {
    #[serde(default)]
    pub formatted_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
}

/// A contact's address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ContactAddress {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    /// `HOME`, `WORK`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A contact's email.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ContactEmail {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A contact's organization.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ContactOrg {
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// A contact's phone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ContactPhone {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The WhatsApp id of the number, when it has one.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
}

/// A contact's URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct ContactUrl {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

string_enum! {
    /// The `type` of an interactive reply.
    pub enum InteractiveType {
        /// Reply button tap.
        ButtonReply = "button_reply",
        /// List row choice.
        ListReply = "list_reply",
        /// Flow (or address message) response.
        NfmReply = "nfm_reply",
        /// Answer to a call permission request.
        CallPermissionReply = "call_permission_reply",
    }
}

/// `interactive` content: the user's answer to an interactive message.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Interactive {
    /// Which answer this is.
    #[serde(rename = "type")]
    pub kind: InteractiveType,
    /// Reply button tapped.
    #[serde(default)]
    pub button_reply: Option<ReplyChoice>,
    /// List row chosen.
    #[serde(default)]
    pub list_reply: Option<ReplyChoice>,
    /// Flow response.
    #[serde(default)]
    pub nfm_reply: Option<NfmReply>,
    /// Call permission answer.
    #[serde(default)]
    pub call_permission_reply: Option<CallPermissionReply>,
}

/// A button or list row the user chose.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReplyChoice {
    /// The id the business gave the button or row.
    #[serde(default)]
    pub id: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// Its description (list rows).
    #[serde(default)]
    pub description: Option<String>,
}

/// A flow response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NfmReply {
    /// `flow`, `address_message`, ...
    #[serde(default)]
    pub name: Option<String>,
    /// Text shown in the chat.
    #[serde(default)]
    pub body: Option<String>,
    /// The flow's answer, a JSON document in a string.
    #[serde(default)]
    pub response_json: Option<String>,
}

/// An answer to a call permission request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CallPermissionReply {
    /// `accept` or `reject`.
    #[serde(default)]
    pub response: Option<String>,
    /// Whether the permission is permanent.
    #[serde(default)]
    pub is_permanent: Option<bool>,
    /// When a temporary permission ends.
    #[serde(default)]
    pub expiration_timestamp: Option<Timestamp>,
    /// Where the answer came from.
    #[serde(default)]
    pub response_source: Option<String>,
}

/// `button` content: a tap on a template quick-reply button.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Button {
    /// The payload the business set on the button.
    #[serde(default)]
    pub payload: Option<String>,
    /// The button text.
    #[serde(default)]
    pub text: Option<String>,
}

/// `reaction` content. An empty or missing emoji removes the reaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Reaction {
    /// The message reacted to.
    #[serde(default)]
    pub message_id: Option<MessageId>,
    /// The emoji.
    #[serde(default)]
    pub emoji: Option<String>,
}

impl Reaction {
    /// Whether this removes an earlier reaction.
    pub fn is_removal(&self) -> bool {
        self.emoji.as_deref().is_none_or(str::is_empty)
    }
}

/// `order` content.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// The catalog.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub catalog_id: Option<String>,
    /// The user's note.
    #[serde(default)]
    pub text: Option<String>,
    /// The products.
    #[serde(default, deserialize_with = "null_as_default")]
    pub product_items: Vec<ProductItem>,
}

/// A product of an order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ProductItem {
    /// The retailer's product id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub product_retailer_id: Option<String>,
    /// How many.
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub quantity: Option<i64>,
    /// Unit price.
    #[serde(default, deserialize_with = "opt_f64_lenient")]
    pub item_price: Option<f64>,
    /// Currency code.
    #[serde(default)]
    pub currency: Option<String>,
}

/// `system` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct System {
    /// Text describing the change.
    #[serde(default)]
    pub body: Option<String>,
    /// `user_changed_number`, `customer_changed_number`, `customer_identity_changed`,
    /// `user_changed_user_id`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The user's new WhatsApp id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// Deprecated name of `wa_id`.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub new_wa_id: Option<String>,
    /// The user's business-scoped id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The previous business-scoped id.
    #[serde(default)]
    pub previous_user_id: Option<String>,
    /// The customer (legacy).
    #[serde(default)]
    pub customer: Option<String>,
    /// Identity hash (legacy).
    #[serde(default)]
    pub identity: Option<String>,
}

/// `unsupported` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Unsupported {
    /// The type WhatsApp did not deliver, such as `poll`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `edit` content: the user edited an earlier message.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Edit {
    /// The edited message.
    pub original_message_id: Option<MessageId>,
    /// The new version.
    pub message: Option<Box<Message>>,
}

impl<'de> Deserialize<'de> for Edit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            original_message_id: Option<MessageId>,
            #[serde(default)]
            message: Option<Message>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Self { original_message_id: raw.original_message_id, message: raw.message.map(Box::new) })
    }
}

/// `revoke` content: the user deleted a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Revoke {
    /// The deleted message.
    #[serde(default)]
    pub original_message_id: Option<MessageId>,
}

/// What a message replies to or was forwarded from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Context {
    /// The sender of the quoted message.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub from: Option<String>,
    /// The quoted message.
    #[serde(default)]
    pub id: Option<MessageId>,
    /// Forwarded.
    #[serde(default)]
    pub forwarded: Option<bool>,
    /// Forwarded many times.
    #[serde(default)]
    pub frequently_forwarded: Option<bool>,
    /// The product the user asked about.
    #[serde(default)]
    pub referred_product: Option<ReferredProduct>,
}

/// A product a message refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReferredProduct {
    /// The catalog.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub catalog_id: Option<String>,
    /// The retailer's product id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub product_retailer_id: Option<String>,
}

/// Click-to-WhatsApp referral: the ad or post a conversation started from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct Referral {
    #[serde(default)]
    pub source_url: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub source_id: Option<String>,
    /// `ad` or `post`.
    #[serde(default)]
    pub source_type: Option<String>,
    #[serde(default)]
    pub headline: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// `image` or `video`.
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub video_url: Option<String>,
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    /// Click id for conversion reporting.
    #[serde(default)]
    pub ctwa_clid: Option<String>,
    #[serde(default)]
    pub welcome_message: Option<WelcomeMessage>,
}

/// The welcome message of a Click-to-WhatsApp ad.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WelcomeMessage {
    /// Its text.
    #[serde(default)]
    pub text: Option<String>,
}

/// An error object inside a webhook (on statuses, messages or the value).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WebhookError {
    /// Error code, as in the Graph error table (131047, 131051, ...).
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub code: Option<i64>,
    /// Short title.
    #[serde(default)]
    pub title: Option<String>,
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// Details.
    #[serde(default)]
    pub error_data: Option<ErrorData>,
    /// Link to the error-code reference.
    #[serde(default)]
    pub href: Option<String>,
    /// Details, in the legacy shape.
    #[serde(default)]
    pub details: Option<String>,
}

impl WebhookError {
    fn from_json(value: &Value) -> Self {
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

/// `error_data` of a [`WebhookError`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ErrorData {
    /// Explanation.
    #[serde(default)]
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
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    /// The recipient's parent business-scoped user id.
    #[serde(default)]
    pub recipient_parent_user_id: Option<String>,
    /// `group` for group messages.
    #[serde(default)]
    pub recipient_type: Option<String>,
    /// In a group, the participant this status is about.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub recipient_participant_id: Option<String>,
    /// In a group, the participant's business-scoped id.
    #[serde(default)]
    pub recipient_participant_user_id: Option<String>,
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
    pub errors: Vec<WebhookError>,
}

fn unknown_status() -> StatusKind {
    StatusKind::Unknown("unknown".to_owned())
}

impl Status {
    fn from_json(value: &Value) -> Self {
        Self::deserialize(value).unwrap_or_else(|_| Self {
            id: text_at(value, "id").map(MessageId::new),
            status: value.get("status").and_then(Value::as_str).map_or_else(unknown_status, StatusKind::from),
            timestamp: value.get("timestamp").and_then(|t| Timestamp::deserialize(t).ok()),
            recipient_id: text_at(value, "recipient_id"),
            recipient_user_id: text_at(value, "recipient_user_id"),
            recipient_parent_user_id: None,
            recipient_type: None,
            recipient_participant_id: None,
            recipient_participant_user_id: None,
            biz_opaque_callback_data: None,
            recipient_identity_key_hash: None,
            conversation: None,
            pricing: None,
            errors: Vec::new(),
        })
    }

    /// The recipient: `recipient_id`, or the business-scoped `recipient_user_id`.
    pub fn recipient(&self) -> Option<&str> {
        self.recipient_id.as_deref().or(self.recipient_user_id.as_deref())
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
#[non_exhaustive]
pub struct Conversation {
    /// Conversation id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// When it expires.
    #[serde(default)]
    pub expiration_timestamp: Option<Timestamp>,
    /// What opened it.
    #[serde(default)]
    pub origin: Option<ConversationOrigin>,
}

/// What opened a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ConversationOrigin {
    /// What opened it.
    #[serde(default, rename = "type")]
    pub kind: Option<PricingCategory>,
}

/// Pricing of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Pricing {
    /// Whether it is billed (slated for deprecation).
    #[serde(default)]
    pub billable: Option<bool>,
    /// `CBP` (before July 2025) or `PMP`.
    #[serde(default)]
    pub pricing_model: Option<PricingModel>,
    /// How it is charged.
    #[serde(default, rename = "type")]
    pub kind: Option<PricingType>,
    /// Its category.
    #[serde(default)]
    pub category: Option<PricingCategory>,
}

/// `message_template_status_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateStatusUpdate {
    /// `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    #[serde(default)]
    pub message_template_name: Option<String>,
    #[serde(default)]
    pub message_template_language: Option<String>,
    #[serde(default)]
    pub message_template_category: Option<String>,
    /// `NONE`, `INVALID_FORMAT`, ...
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub rejection_info: Option<Value>,
    #[serde(default)]
    pub other_info: Option<Value>,
    #[serde(default)]
    pub disable_info: Option<Value>,
}

/// `message_template_quality_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateQualityUpdate {
    #[serde(default)]
    pub previous_quality_score: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    #[serde(default)]
    pub new_quality_score: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    #[serde(default)]
    pub message_template_name: Option<String>,
    #[serde(default)]
    pub message_template_language: Option<String>,
}

/// `message_template_components_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateComponentsUpdate {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    #[serde(default)]
    pub message_template_name: Option<String>,
    #[serde(default)]
    pub message_template_language: Option<String>,
    #[serde(default)]
    pub message_template_title: Option<String>,
    /// The body text.
    #[serde(default)]
    pub message_template_element: Option<String>,
    #[serde(default)]
    pub message_template_footer: Option<String>,
    #[serde(default)]
    pub message_template_buttons: Option<Value>,
}

/// `template_category_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateCategoryUpdate {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    #[serde(default)]
    pub message_template_name: Option<String>,
    #[serde(default)]
    pub message_template_language: Option<String>,
    #[serde(default)]
    pub previous_category: Option<String>,
    #[serde(default)]
    pub new_category: Option<String>,
    #[serde(default)]
    pub correct_category: Option<String>,
}

/// `phone_number_quality_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct PhoneNumberQualityUpdate {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// `THROUGHPUT_UPGRADE`, `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `ONBOARDING`.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub old_limit: Option<String>,
    #[serde(default)]
    pub current_limit: Option<String>,
    /// `TIER_250`, `TIER_2K`, ..., `TIER_UNLIMITED`.
    #[serde(default)]
    pub max_daily_conversations_per_business: Option<String>,
}

/// `phone_number_name_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct PhoneNumberNameUpdate {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// `APPROVED`, `REJECTED`, `DEFERRED`, `PENDING`.
    #[serde(default)]
    pub decision: Option<String>,
    #[serde(default)]
    pub requested_verified_name: Option<String>,
    #[serde(default)]
    pub rejection_reason: Option<String>,
}

/// `account_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct AccountUpdate {
    /// `ACCOUNT_RESTRICTION`, `ACCOUNT_VIOLATION`, `DISABLED_UPDATE`, `PARTNER_ADDED`, ...
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub phone_number: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub restriction_info: Vec<Restriction>,
    #[serde(default)]
    pub violation_info: Option<Value>,
    #[serde(default)]
    pub ban_info: Option<Value>,
    #[serde(default)]
    pub waba_info: Option<Value>,
}

/// A restriction on an account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Restriction {
    /// `RESTRICTED_ADD_PHONE_NUMBER_ACTION`, ...
    #[serde(default)]
    pub restriction_type: Option<String>,
    /// When it ends.
    #[serde(default)]
    pub expiration: Option<Timestamp>,
}

/// `account_review_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccountReviewUpdate {
    /// `APPROVED`, `REJECTED`, `PENDING`, `DEFERRED`.
    #[serde(default)]
    pub decision: Option<String>,
}

/// `business_capability_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct BusinessCapabilityUpdate {
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub max_daily_conversation_per_phone: Option<i64>,
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub max_phone_numbers_per_business: Option<i64>,
    #[serde(default)]
    pub max_daily_conversations_per_business: Option<String>,
}

/// `security`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SecurityUpdate {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// `PIN_CHANGED`, `PIN_RESET_REQUEST`, ...
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub requester: Option<String>,
}

/// `user_preferences`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct UserPreferencesUpdate {
    /// The business phone number.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The users' profiles.
    #[serde(default, deserialize_with = "null_as_default")]
    pub contacts: Vec<Contact>,
    /// The preferences that changed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub user_preferences: Vec<UserPreference>,
}

/// One user's marketing-message preference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct UserPreference {
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    /// `marketing_messages`.
    #[serde(default)]
    pub category: Option<String>,
    /// `stop`, `resume`, `signup`.
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
}

/// `smb_message_echoes` / `message_echoes`: messages the business sent from the WhatsApp
/// Business app or another client.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MessageEchoes {
    /// The business phone number.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The echoed messages; `from` is the business number, `to` the user.
    #[serde(default, deserialize_with = "null_as_default")]
    pub message_echoes: Vec<Value>,
}

impl Message {
    /// A message that did not have the documented shape: the header fields that could be read,
    /// and the whole object as raw JSON.
    fn from_json(value: &Value) -> Self {
        Self::deserialize(value).unwrap_or_else(|_| Self {
            from: text_at(value, "from"),
            from_user_id: text_at(value, "from_user_id"),
            from_parent_user_id: text_at(value, "from_parent_user_id"),
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
            content: Content::Unknown(RawJson::from_value(value)),
        })
    }

    /// The sender: `from`, or the business-scoped `from_user_id` when `from` is absent.
    pub fn sender(&self) -> Option<&str> {
        self.from.as_deref().or(self.from_user_id.as_deref())
    }

    /// The text of the message: the body of a `text`, or of the new version of an `edit`.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text(text) => Some(&text.body),
            Content::Edit(edit) => edit.message.as_deref().and_then(Message::text),
            _ => None,
        }
    }
}

/// Keys of a message object, read without allocating for the known ones.
enum MessageKey {
    From,
    FromUserId,
    FromParentUserId,
    Id,
    Timestamp,
    Type,
    Context,
    Referral,
    Errors,
    GroupId,
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
                    "id" => MessageKey::Id,
                    "timestamp" => MessageKey::Timestamp,
                    "type" => MessageKey::Type,
                    "context" => MessageKey::Context,
                    "referral" => MessageKey::Referral,
                    "errors" => MessageKey::Errors,
                    "group_id" => MessageKey::GroupId,
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
impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MessageVisitor;
        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = Message;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
                let mut message = Message {
                    from: None,
                    from_user_id: None,
                    from_parent_user_id: None,
                    id: None,
                    timestamp: None,
                    kind: MessageType::UnknownLegacy,
                    context: None,
                    referral: None,
                    errors: Vec::new(),
                    group_id: None,
                    content: Content::Empty,
                };
                let mut kind: Option<MessageType> = None;
                // Almost every message has exactly one content object: keep it inline, and any
                // further ones in vectors that stay unallocated.
                let mut first: Option<(ContentKey, Content)> = None;
                let mut typed: Vec<(ContentKey, Content)> = Vec::new();
                let mut raw: Vec<(String, RawJson)> = Vec::new();
                while let Some(key) = map.next_key::<MessageKey>()? {
                    match key {
                        MessageKey::From => message.from = map.next_value_seed(OptText)?,
                        MessageKey::FromUserId => message.from_user_id = map.next_value()?,
                        MessageKey::FromParentUserId => {
                            message.from_parent_user_id = map.next_value()?;
                        }
                        MessageKey::Id => message.id = map.next_value()?,
                        MessageKey::Timestamp => message.timestamp = map.next_value()?,
                        MessageKey::Type => kind = map.next_value()?,
                        MessageKey::Context => message.context = map.next_value()?,
                        MessageKey::Referral => message.referral = map.next_value()?,
                        MessageKey::Errors => {
                            message.errors = map.next_value::<Option<_>>()?.unwrap_or_default();
                        }
                        MessageKey::GroupId => message.group_id = map.next_value_seed(OptText)?,
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
                            Content::Unknown(raw.swap_remove(i).1)
                        } else if let Some((_, content)) = first {
                            content
                        } else if !raw.is_empty() {
                            Content::Unknown(raw.swap_remove(0).1)
                        } else {
                            Content::Empty
                        }
                    }
                };
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
    type Value = Option<Content>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Content>, D::Error> {
        use ContentKey as C;
        fn opt<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
            d: D,
            wrap: fn(T) -> Content,
        ) -> Result<Option<Content>, D::Error> {
            Ok(Option::<T>::deserialize(d)?.map(wrap))
        }
        match self.0 {
            C::Text => opt(d, Content::Text),
            C::Image => opt(d, Content::Image),
            C::Video => opt(d, Content::Video),
            C::Audio => opt(d, Content::Audio),
            C::Document => opt(d, Content::Document),
            C::Sticker => opt(d, Content::Sticker),
            C::Location => opt(d, Content::Location),
            C::Contacts => opt(d, Content::Contacts),
            C::Interactive => opt(d, Content::Interactive),
            C::Button => opt(d, Content::Button),
            C::Reaction => opt(d, Content::Reaction),
            C::Order => opt(d, Content::Order),
            C::System => opt(d, Content::System),
            C::Unsupported => opt(d, Content::Unsupported),
            C::Edit => opt(d, Content::Edit),
            C::Revoke => opt(d, Content::Revoke),
        }
    }
}

impl Payload {
    /// General path: builds the payload from an already parsed `entry` array, element by
    /// element.
    pub(crate) fn from_json(entries: &[Value]) -> Self {
        Self { entries: entries.iter().filter_map(Entry::from_json).collect() }
    }
}

impl Entry {
    fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let changes = object
            .get("changes")
            .and_then(Value::as_array)
            .map(|changes| changes.iter().filter_map(Change::from_json).collect())
            .unwrap_or_default();
        Some(Self {
            id: text_at(value, "id").map(WabaId::new),
            time: object.get("time").and_then(|t| Timestamp::deserialize(t).ok()),
            changes,
        })
    }
}

impl Change {
    fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let field = object
            .get("field")
            .and_then(Value::as_str)
            .map_or_else(|| Field::Unknown("unknown".to_owned()), Field::from);
        let value = object.get("value").unwrap_or(&Value::Null);
        Some(Self { value: ChangeValue::from_json(&field, value), field })
    }
}

/// One event of a WhatsApp webhook, borrowing from the parsed payload.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An inbound message: `whatsapp.message.<type>`.
    Message {
        /// The entry (WABA) it came in.
        entry: &'a Entry,
        /// The value it came in (metadata, contacts).
        value: &'a MessagesValue,
        /// The message.
        message: &'a Message,
    },
    /// A status of a sent message: `whatsapp.status.<status>`.
    Status {
        /// The entry (WABA) it came in.
        entry: &'a Entry,
        /// The value it came in.
        value: &'a MessagesValue,
        /// The status.
        status: &'a Status,
    },
    /// A value-level error: `whatsapp.error`.
    Error {
        /// The entry (WABA) it came in.
        entry: &'a Entry,
        /// The value it came in.
        value: &'a MessagesValue,
        /// The error.
        error: &'a WebhookError,
    },
    /// Any other change (and a `messages` change with nothing in it): `whatsapp.<field>`.
    Change {
        /// The entry (WABA) it came in.
        entry: &'a Entry,
        /// The change.
        change: &'a Change,
    },
}

impl<'a> Event<'a> {
    /// The entry the event came in.
    pub fn entry(&self) -> &'a Entry {
        match *self {
            Self::Message { entry, .. }
            | Self::Status { entry, .. }
            | Self::Error { entry, .. }
            | Self::Change { entry, .. } => entry,
        }
    }

    /// The middle and last parts of the event kind (`("message", "text")`,
    /// `("", "account_update")`).
    pub(crate) fn kind_parts(&self) -> (&'static str, &'a str) {
        match *self {
            Self::Message { message, .. } => ("message", message.kind.as_str()),
            Self::Status { status, .. } => ("status", status.status.as_str()),
            Self::Error { .. } => ("", "error"),
            Self::Change { change, .. } => ("", change.field.as_str()),
        }
    }

    /// The user for messages, the business phone-number id for statuses.
    pub fn sender(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } => message.sender(),
            Self::Status { value, .. } => value.phone_number_id().map(PhoneNumberId::as_str),
            _ => None,
        }
    }

    /// The business phone-number id for messages, the user for statuses.
    pub fn recipient(&self) -> Option<&'a str> {
        match *self {
            Self::Message { value, .. } => value.phone_number_id().map(PhoneNumberId::as_str),
            Self::Status { status, .. } => status.recipient(),
            _ => None,
        }
    }

    /// The message id (`wamid`) of a message or status.
    pub fn message_id(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } => message.id.as_ref().map(MessageId::as_str),
            Self::Status { status, .. } => status.id.as_ref().map(MessageId::as_str),
            _ => None,
        }
    }

    /// When the message was sent or the status happened.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match *self {
            Self::Message { message, .. } => message.timestamp,
            Self::Status { status, .. } => status.timestamp,
            Self::Change { entry, .. } | Self::Error { entry, .. } => entry.time,
        }
    }

    /// The text of a text message or of an edit.
    pub fn text(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } => message.text(),
            _ => None,
        }
    }
}

/// Iterator over the events of a WhatsApp payload, in body order.
#[derive(Clone, Debug)]
pub struct Events<'a> {
    entries: &'a [Entry],
    entry: usize,
    change: usize,
    item: usize,
}

impl<'a> Events<'a> {
    pub(crate) fn new(payload: &'a Payload) -> Self {
        Self { entries: &payload.entries, entry: 0, change: 0, item: 0 }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let entry = self.entries.get(self.entry)?;
            let Some(change) = entry.changes.get(self.change) else {
                self.entry += 1;
                self.change = 0;
                self.item = 0;
                continue;
            };
            let ChangeValue::Messages(value) = &change.value else {
                self.change += 1;
                return Some(Event::Change { entry, change });
            };
            let (m, s, e) = (value.messages.len(), value.statuses.len(), value.errors.len());
            let i = self.item;
            self.item += 1;
            if m + s + e == 0 && i == 0 {
                return Some(Event::Change { entry, change });
            }
            if i < m {
                return Some(Event::Message { entry, value, message: &value.messages[i] });
            }
            if i < m + s {
                return Some(Event::Status { entry, value, status: &value.statuses[i - m] });
            }
            if i < m + s + e {
                return Some(Event::Error { entry, value, error: &value.errors[i - m - s] });
            }
            self.change += 1;
            self.item = 0;
        }
    }
}
