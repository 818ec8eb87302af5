//! The content of an inbound message, one type per `type`.

use serde::Deserialize;
use serde::de::Deserializer;

use super::messages::InboundMessage;
use crate::Timestamp;
use crate::graph::serde_util::{
    null_as_default, opt_f64_lenient, opt_integer_or_string, opt_string_or_integer, string_enum,
};
use crate::whatsapp::{MediaId, MessageId};

/// `text` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Text {
    /// The text.
    pub body: String,
}

/// Media content (image, video, audio, document, sticker).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Media {
    /// The media id to download with (valid 7 days).
    pub id: Option<MediaId>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// SHA-256 of the file.
    pub sha256: Option<String>,
    /// Caption (image, video, document).
    pub caption: Option<String>,
    /// File name (document).
    pub filename: Option<String>,
    /// Whether an audio is a voice note.
    pub voice: Option<bool>,
    /// Whether a sticker is animated.
    pub animated: Option<bool>,
    /// A direct download URL (needs the bearer token), sent by newer API versions.
    pub url: Option<String>,
}

/// `location` content.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SharedLocation {
    /// Latitude.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub longitude: Option<f64>,
    /// Place name.
    pub name: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Website of the place.
    pub url: Option<String>,
}

/// A contact card, in `contacts` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SharedContact {
    /// Names.
    pub name: Option<SharedContactName>,
    /// Birthday, `YYYY-MM-DD`.
    pub birthday: Option<String>,
    /// Addresses.
    #[serde(deserialize_with = "null_as_default")]
    pub addresses: Vec<SharedContactAddress>,
    /// Email addresses.
    #[serde(deserialize_with = "null_as_default")]
    pub emails: Vec<SharedContactEmail>,
    /// Organization.
    pub org: Option<SharedContactOrg>,
    /// Phone numbers.
    #[serde(deserialize_with = "null_as_default")]
    pub phones: Vec<SharedContactPhone>,
    /// URLs.
    #[serde(deserialize_with = "null_as_default")]
    pub urls: Vec<SharedContactUrl>,
}

/// A contact's names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SharedContactName {
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub suffix: Option<String>,
    pub prefix: Option<String>,
}

/// A contact's address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SharedContactAddress {
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub country_code: Option<String>,
    /// `HOME`, `WORK`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A contact's email.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SharedContactEmail {
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A contact's organization.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SharedContactOrg {
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}

/// A contact's phone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SharedContactPhone {
    pub phone: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The WhatsApp id of the number, when it has one.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
}

/// A contact's URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SharedContactUrl {
    pub url: Option<String>,
    #[serde(rename = "type")]
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
pub struct InteractiveReply {
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
#[serde(default)]
#[non_exhaustive]
pub struct ReplyChoice {
    /// The id the business gave the button or row.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its description (list rows).
    pub description: Option<String>,
}

/// A flow response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct NfmReply {
    /// `flow`, `address_message`, ...
    pub name: Option<String>,
    /// Text shown in the chat.
    pub body: Option<String>,
    /// The flow's answer, a JSON document in a string.
    pub response_json: Option<String>,
}

impl NfmReply {
    /// The flow's answer decoded: the fields of the final screen and the `flow_token`.
    ///
    /// # Errors
    ///
    /// When there is no `response_json`, or it is not JSON.
    pub fn response(&self) -> serde_json::Result<serde_json::Map<String, serde_json::Value>> {
        let text = self.response_json.as_deref().unwrap_or("null");
        serde_json::from_str(text)
    }

    /// The flow's answer decoded into your own type.
    ///
    /// # Errors
    ///
    /// When there is no `response_json`, or it does not have `T`'s shape.
    pub fn response_as<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.response_json.as_deref().unwrap_or("null"))
    }

    /// The `flow_token` the business sent with the flow, from the answer.
    pub fn flow_token(&self) -> Option<String> {
        self.response().ok()?.get("flow_token")?.as_str().map(str::to_owned)
    }
}

/// An answer to a call permission request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallPermissionReply {
    /// `accept` or `reject` (WhatsApp), `approve` or `reject` (Messenger).
    pub response: Option<String>,
    /// Whether the permission is permanent.
    pub is_permanent: Option<bool>,
    /// When a temporary permission ends.
    pub expiration_timestamp: Option<Timestamp>,
    /// Where the answer came from.
    pub response_source: Option<String>,
}

impl CallPermissionReply {
    /// Whether the user allowed the business to call them.
    pub fn approved(&self) -> bool {
        matches!(self.response.as_deref(), Some("accept" | "approve"))
    }
}

/// `button` content: a tap on a template quick-reply button.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateButtonReply {
    /// The payload the business set on the button.
    pub payload: Option<String>,
    /// The button text.
    pub text: Option<String>,
}

/// `reaction` content. An empty or missing emoji removes the reaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct InboundReaction {
    /// The message reacted to.
    pub message_id: Option<MessageId>,
    /// The emoji.
    pub emoji: Option<String>,
}

impl InboundReaction {
    /// Whether this removes an earlier reaction.
    pub fn is_removal(&self) -> bool {
        self.emoji.as_deref().is_none_or(str::is_empty)
    }
}

/// `order` content.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Order {
    /// The catalog.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub catalog_id: Option<String>,
    /// The user's note.
    pub text: Option<String>,
    /// The products.
    #[serde(deserialize_with = "null_as_default")]
    pub product_items: Vec<ProductItem>,
}

/// A product of an order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ProductItem {
    /// The retailer's product id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub product_retailer_id: Option<String>,
    /// How many.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub quantity: Option<i64>,
    /// Unit price.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub item_price: Option<f64>,
    /// Currency code.
    pub currency: Option<String>,
}

/// `system` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct System {
    /// Text describing the change.
    pub body: Option<String>,
    /// `user_changed_number`, `customer_changed_number`, `customer_identity_changed`,
    /// `user_changed_user_id`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The user's new WhatsApp id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// Deprecated name of `wa_id`.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub new_wa_id: Option<String>,
    /// The user's business-scoped id.
    pub user_id: Option<String>,
    /// The previous business-scoped id.
    pub previous_user_id: Option<String>,
    /// The user's parent business-scoped id, for businesses with several portfolios.
    pub parent_user_id: Option<String>,
    /// The customer (legacy).
    pub customer: Option<String>,
    /// Identity hash (legacy).
    pub identity: Option<String>,
}

/// `unsupported` content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UnsupportedContent {
    /// The type WhatsApp did not deliver, such as `poll`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `edit` content: the user edited an earlier message.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Edit {
    /// The edited message.
    pub original_message_id: Option<MessageId>,
    /// The new version.
    pub message: Option<Box<InboundMessage>>,
}

impl<'de> Deserialize<'de> for Edit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            original_message_id: Option<MessageId>,
            #[serde(default)]
            message: Option<InboundMessage>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(Self { original_message_id: raw.original_message_id, message: raw.message.map(Box::new) })
    }
}

/// `revoke` content: the user deleted a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Revoke {
    /// The deleted message.
    pub original_message_id: Option<MessageId>,
}

/// What a message replies to or was forwarded from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Context {
    /// The sender of the quoted message.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub from: Option<String>,
    /// The quoted message.
    pub id: Option<MessageId>,
    /// Forwarded.
    pub forwarded: Option<bool>,
    /// Forwarded many times.
    pub frequently_forwarded: Option<bool>,
    /// The product the user asked about.
    pub referred_product: Option<ReferredProduct>,
}

/// A product a message refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReferredProduct {
    /// The catalog.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub catalog_id: Option<String>,
    /// The retailer's product id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub product_retailer_id: Option<String>,
}

/// Click-to-WhatsApp referral: the ad or post a conversation started from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct AdReferral {
    pub source_url: Option<String>,
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub source_id: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
    /// `image` or `video`.
    pub media_type: Option<String>,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub thumbnail_url: Option<String>,
    /// Click id for conversion reporting.
    pub ctwa_clid: Option<String>,
    pub welcome_message: Option<WelcomeMessage>,
}

/// The welcome message of a Click-to-WhatsApp ad.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WelcomeMessage {
    /// Its text.
    pub text: Option<String>,
}
