//! Outbound WhatsApp messages: every send kind, its wire format, and Meta's limits.
//!
//! Wire format per the Cloud API [messages reference](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages)
//! (Graph API v25.0), with Meta's documented limits. Build a [`Message`] with one of its constructors,
//! add options (reply context, callback data), and send it with
//! [`WhatsApp::send`](super::WhatsApp::send). Limits are checked before anything is sent; the
//! first violation comes back as an [`ErrorKind::Validation`](crate::ErrorKind::Validation)
//! error naming the field.

mod carousel;
mod contact;
mod interactive;
mod media;
mod payments;
mod response;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::MessageId;
use super::template::Template;
use crate::graph::validate::{max_chars, not_empty};
use crate::graph::{ValidationError, Violation};

pub use carousel::{CardAction, Carousel, MediaCard, VoiceCall};
pub use contact::*;
pub use interactive::*;
pub use media::*;
pub use payments::{
    Charge, Goods, Money, OrderDetails, OrderItem, OrderState, OrderStatusUpdate, PaymentOrder,
    PaymentSetting,
};
pub use response::*;

/// Meta's documented limits for outbound messages.
pub mod limits {
    /// Text message body.
    pub const TEXT_BODY: usize = 4096;
    /// Media caption.
    pub const CAPTION: usize = 1024;
    /// Interactive body text.
    pub const INTERACTIVE_BODY: usize = 1024;
    /// Interactive header text.
    pub const INTERACTIVE_HEADER: usize = 60;
    /// Interactive footer text.
    pub const INTERACTIVE_FOOTER: usize = 60;
    /// Reply buttons per message.
    pub const REPLY_BUTTONS: usize = 3;
    /// Reply button title.
    pub const BUTTON_TITLE: usize = 20;
    /// Reply button id.
    pub const BUTTON_ID: usize = 256;
    /// List button label.
    pub const LIST_BUTTON: usize = 20;
    /// List sections.
    pub const LIST_SECTIONS: usize = 10;
    /// Rows across all sections of a list.
    pub const LIST_ROWS: usize = 10;
    /// List section title.
    pub const SECTION_TITLE: usize = 24;
    /// List row title.
    pub const ROW_TITLE: usize = 24;
    /// List row description.
    pub const ROW_DESCRIPTION: usize = 72;
    /// List row id.
    pub const ROW_ID: usize = 200;
    /// CTA URL and flow button text.
    pub const CTA_TEXT: usize = 20;
    /// Products across all sections of a product list.
    pub const PRODUCT_LIST_ITEMS: usize = 30;
    /// `biz_opaque_callback_data`.
    pub const CALLBACK_DATA: usize = 512;
}

/// Who a message goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recipient {
    /// A phone number (E.164 digits; a leading `+` is accepted), sent as `to`.
    Phone(String),
    /// A business-scoped user id (BSUID), sent as `recipient`.
    UserId(String),
    /// A group id, sent as `to` with `recipient_type: group`.
    Group(String),
}

impl Recipient {
    /// A phone number.
    pub fn phone(number: impl Into<String>) -> Self {
        Self::Phone(number.into())
    }

    /// A business-scoped user id.
    pub fn user_id(id: impl Into<String>) -> Self {
        Self::UserId(id.into())
    }

    /// A group.
    pub fn group(id: impl Into<String>) -> Self {
        Self::Group(id.into())
    }

    /// The user as webhooks name them: a phone number's digits (no `+`, spaces or dashes), or
    /// the id.
    pub(crate) fn key(&self) -> String {
        match self {
            Self::Phone(phone) => phone.chars().filter(char::is_ascii_digit).collect(),
            Self::UserId(id) | Self::Group(id) => id.clone(),
        }
    }

    /// The user as a list entry of the management endpoints that take phone numbers or
    /// BSUIDs (block users, group participants): `{"user": phone}` or `{"user_id": bsuid}`.
    pub(crate) fn user_entry(&self, field: &'static str) -> Result<serde_json::Value, ValidationError> {
        self.validate()?;
        match self {
            Self::Phone(phone) => Ok(serde_json::json!({ "user": phone })),
            Self::UserId(id) => Ok(serde_json::json!({ "user_id": id })),
            Self::Group(_) => {
                Err(ValidationError::new(field, Violation::Invalid("a group is not a user".into())))
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        let (field, value) = match self {
            Self::Phone(v) | Self::Group(v) => ("to", v),
            Self::UserId(v) => ("recipient", v),
        };
        if value.trim().is_empty() {
            return Err(ValidationError::new(field, Violation::Missing));
        }
        // A business-scoped id (`US.1349…`) is not a phone number: it goes as `recipient`,
        // never as `to`.
        if let Self::Phone(phone) = self {
            if looks_like_bsuid(phone.trim()) {
                return Err(ValidationError::new(
                    "to",
                    Violation::Invalid(
                        "a business-scoped id goes in Recipient::user_id, not as a phone".into(),
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A user by the id webhooks name them with ([`Event::sender`](crate::webhook::Event::sender),
    /// [`Event::user_key`](crate::webhook::Event::user_key)): a phone number goes as `to`, a
    /// business-scoped id as `recipient`.
    ///
    /// ```
    /// use meta_messaging::whatsapp::Recipient;
    ///
    /// assert_eq!(Recipient::user("16505551234"), Recipient::phone("16505551234"));
    /// assert_eq!(Recipient::user("US.13491208655302741918"), Recipient::user_id("US.13491208655302741918"));
    /// ```
    pub fn user(id: impl Into<String>) -> Self {
        let id = id.into();
        if crate::user::is_phone(id.trim()) { Self::Phone(id) } else { Self::UserId(id) }
    }
}

/// Whether `id` has a business-scoped user id's shape: a two-letter country code and a period.
fn looks_like_bsuid(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() > 3 && bytes[..2].iter().all(u8::is_ascii_uppercase) && bytes[2] == b'.'
}

impl From<&str> for Recipient {
    fn from(phone: &str) -> Self {
        Self::Phone(phone.to_owned())
    }
}

impl From<String> for Recipient {
    fn from(phone: String) -> Self {
        Self::Phone(phone)
    }
}

impl From<&String> for Recipient {
    fn from(phone: &String) -> Self {
        Self::Phone(phone.clone())
    }
}

/// An outbound message: content plus the options every kind accepts.
///
/// ```
/// use meta_messaging::whatsapp::message::{Message, ReplyButton};
///
/// let text = Message::text("Your order shipped: https://example.com/t/8841").preview_url(true);
/// let buttons = Message::buttons(
///     "Did the parcel arrive?",
///     [ReplyButton::new("yes", "Yes"), ReplyButton::new("no", "Not yet")],
/// )
/// .footer("Reply any time")
/// .reply_to("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA");
/// assert!(text.validate().is_ok() && buttons.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Message {
    content: Content,
    reply_to: Option<MessageId>,
    callback_data: Option<String>,
    identity_key_hash: Option<String>,
}

/// The content of an outbound message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// `text`.
    Text {
        /// The text (≤ 4096 characters).
        body: String,
        /// Whether to render a preview of the first URL.
        preview_url: bool,
    },
    /// `image`, `video`, `audio`, `document` or `sticker`.
    Media(MediaMessage),
    /// `location`.
    Location(Location),
    /// `contacts`.
    Contacts(Vec<ContactCard>),
    /// `interactive`.
    Interactive(Box<Interactive>),
    /// `template`.
    Template(Box<Template>),
    /// `reaction` (an empty emoji removes it).
    Reaction {
        /// The message reacted to.
        message_id: MessageId,
        /// The emoji, or empty to remove.
        emoji: String,
    },
}

impl Message {
    fn new(content: Content) -> Self {
        Self { content, reply_to: None, callback_data: None, identity_key_hash: None }
    }

    /// A text message.
    pub fn text(body: impl Into<String>) -> Self {
        Self::new(Content::Text { body: body.into(), preview_url: false })
    }

    /// Renders a preview of the first URL of a text message (no effect on other kinds).
    pub fn preview_url(mut self, preview: bool) -> Self {
        if let Content::Text { preview_url, .. } = &mut self.content {
            *preview_url = preview;
        }
        self
    }

    /// A media message.
    pub fn media(media: MediaMessage) -> Self {
        Self::new(Content::Media(media))
    }

    /// An image by uploaded media id or public HTTPS link.
    pub fn image(source: impl Into<MediaSource>) -> Self {
        Self::media(MediaMessage::new(MediaKind::Image, source.into()))
    }

    /// A video.
    pub fn video(source: impl Into<MediaSource>) -> Self {
        Self::media(MediaMessage::new(MediaKind::Video, source.into()))
    }

    /// An audio file or voice note.
    pub fn audio(source: impl Into<MediaSource>) -> Self {
        Self::media(MediaMessage::new(MediaKind::Audio, source.into()))
    }

    /// A voice note: an OGG/Opus audio file shown with a play button and a transcript option
    /// (`audio.voice: true`).
    pub fn voice(source: impl Into<MediaSource>) -> Self {
        let mut media = MediaMessage::new(MediaKind::Audio, source.into());
        media.voice = true;
        Self::media(media)
    }

    /// A document.
    pub fn document(source: impl Into<MediaSource>) -> Self {
        Self::media(MediaMessage::new(MediaKind::Document, source.into()))
    }

    /// A sticker (WebP).
    pub fn sticker(source: impl Into<MediaSource>) -> Self {
        Self::media(MediaMessage::new(MediaKind::Sticker, source.into()))
    }

    /// Sets the caption of an image, video or document.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        if let Content::Media(media) = &mut self.content {
            media.caption = Some(caption.into());
        }
        self
    }

    /// Sets the file name of a document.
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        if let Content::Media(media) = &mut self.content {
            media.filename = Some(filename.into());
        }
        self
    }

    /// A location.
    pub fn location(location: Location) -> Self {
        Self::new(Content::Location(location))
    }

    /// Contact cards.
    pub fn contacts(cards: impl IntoIterator<Item = ContactCard>) -> Self {
        Self::new(Content::Contacts(cards.into_iter().collect()))
    }

    /// An interactive message.
    pub fn interactive(interactive: Interactive) -> Self {
        Self::new(Content::Interactive(Box::new(interactive)))
    }

    /// Reply buttons (1–3) under a body text.
    pub fn buttons(body: impl Into<String>, buttons: impl IntoIterator<Item = ReplyButton>) -> Self {
        Self::interactive(Interactive::new(Some(body.into()), Action::Buttons(buttons.into_iter().collect())))
    }

    /// A list: a button that opens sections of rows.
    pub fn list(
        body: impl Into<String>,
        button: impl Into<String>,
        sections: impl IntoIterator<Item = Section>,
    ) -> Self {
        Self::interactive(Interactive::new(
            Some(body.into()),
            Action::List { button: button.into(), sections: sections.into_iter().collect() },
        ))
    }

    /// A call-to-action button that opens a URL.
    pub fn cta_url(body: impl Into<String>, display_text: impl Into<String>, url: impl Into<String>) -> Self {
        Self::interactive(Interactive::new(
            Some(body.into()),
            Action::CtaUrl { display_text: display_text.into(), url: url.into() },
        ))
    }

    /// A button that opens a flow.
    pub fn flow(body: impl Into<String>, flow: Flow) -> Self {
        Self::interactive(Interactive::new(Some(body.into()), Action::Flow(Box::new(flow))))
    }

    /// Asks the user to share their location.
    pub fn location_request(body: impl Into<String>) -> Self {
        Self::interactive(Interactive::new(Some(body.into()), Action::LocationRequest))
    }

    /// Asks the user's permission to call them (Calling API); the body is optional.
    pub fn call_permission_request(body: Option<String>) -> Self {
        Self::interactive(Interactive::new(body, Action::CallPermissionRequest))
    }

    /// A button that calls the business on WhatsApp (Calling API): `body` says why to call.
    pub fn voice_call(body: impl Into<String>, button: VoiceCall) -> Self {
        Self::interactive(Interactive::new(Some(body.into()), Action::VoiceCall(button)))
    }

    /// 2 to 10 image or video cards that scroll sideways, each with a URL button or quick
    /// replies (the same on every card).
    pub fn media_carousel(body: impl Into<String>, cards: impl IntoIterator<Item = MediaCard>) -> Self {
        Self::interactive(Interactive::new(
            Some(body.into()),
            Action::Carousel(Carousel::Media(cards.into_iter().collect())),
        ))
    }

    /// 2 to 10 products of one catalog as cards that scroll sideways.
    pub fn product_carousel(
        body: impl Into<String>,
        catalog_id: impl Into<String>,
        product_retailer_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self::interactive(Interactive::new(
            Some(body.into()),
            Action::Carousel(Carousel::Products {
                catalog_id: catalog_id.into(),
                product_retailer_ids: product_retailer_ids.into_iter().map(Into::into).collect(),
            }),
        ))
    }

    /// An order to review and pay in the chat (Payments API: Brazil's Pix, boleto and payment
    /// links; India's payment gateways and UPI links).
    pub fn order_details(body: impl Into<String>, details: OrderDetails) -> Self {
        Self::interactive(Interactive::new(Some(body.into()), Action::OrderDetails(Box::new(details))))
    }

    /// Tells the user where their order is.
    pub fn order_status(body: impl Into<String>, update: OrderStatusUpdate) -> Self {
        Self::interactive(Interactive::new(Some(body.into()), Action::OrderStatus(update)))
    }

    /// One product of a catalog.
    pub fn product(catalog_id: impl Into<String>, product_retailer_id: impl Into<String>) -> Self {
        Self::interactive(Interactive::new(
            None,
            Action::Product {
                catalog_id: catalog_id.into(),
                product_retailer_id: product_retailer_id.into(),
            },
        ))
    }

    /// Several products of a catalog in sections; needs a text [`header`](Self::header).
    pub fn product_list(
        body: impl Into<String>,
        catalog_id: impl Into<String>,
        sections: impl IntoIterator<Item = ProductSection>,
    ) -> Self {
        Self::interactive(Interactive::new(
            Some(body.into()),
            Action::ProductList { catalog_id: catalog_id.into(), sections: sections.into_iter().collect() },
        ))
    }

    /// The whole catalog, with a product as thumbnail.
    pub fn catalog(body: impl Into<String>, thumbnail_product_retailer_id: Option<String>) -> Self {
        Self::interactive(Interactive::new(
            Some(body.into()),
            Action::Catalog { thumbnail_product_retailer_id },
        ))
    }

    /// Sets the header of an interactive message.
    pub fn header(mut self, header: impl Into<Header>) -> Self {
        if let Content::Interactive(interactive) = &mut self.content {
            interactive.header = Some(header.into());
        }
        self
    }

    /// Sets the body text of an interactive message (optional on a single product, required
    /// on the others, which take it in their constructor).
    pub fn body(mut self, body: impl Into<String>) -> Self {
        if let Content::Interactive(interactive) = &mut self.content {
            interactive.body = Some(body.into());
        }
        self
    }

    /// Sets the footer of an interactive message.
    pub fn footer(mut self, footer: impl Into<String>) -> Self {
        if let Content::Interactive(interactive) = &mut self.content {
            interactive.footer = Some(footer.into());
        }
        self
    }

    /// A template message.
    pub fn template(template: Template) -> Self {
        Self::new(Content::Template(Box::new(template)))
    }

    /// A reaction to a message.
    pub fn reaction(message_id: impl Into<MessageId>, emoji: impl Into<String>) -> Self {
        Self::new(Content::Reaction { message_id: message_id.into(), emoji: emoji.into() })
    }

    /// Removes this business's reaction from a message.
    pub fn remove_reaction(message_id: impl Into<MessageId>) -> Self {
        Self::reaction(message_id, "")
    }

    /// Quotes a message: the reply shows it above the content.
    pub fn reply_to(mut self, message_id: impl Into<MessageId>) -> Self {
        self.reply_to = Some(message_id.into());
        self
    }

    /// A string (≤ 512 characters) Meta echoes back in the status webhooks of this message.
    pub fn callback_data(mut self, data: impl Into<String>) -> Self {
        self.callback_data = Some(data.into());
        self
    }

    /// Deliver only if the user's identity key hash still matches.
    pub fn recipient_identity_key_hash(mut self, hash: impl Into<String>) -> Self {
        self.identity_key_hash = Some(hash.into());
        self
    }

    /// The content.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// The wire `type` of the message.
    pub fn kind(&self) -> &str {
        match &self.content {
            Content::Text { .. } => "text",
            Content::Media(media) => media.kind.as_str(),
            Content::Location(_) => "location",
            Content::Contacts(_) => "contacts",
            Content::Interactive(_) => "interactive",
            Content::Template(_) => "template",
            Content::Reaction { .. } => "reaction",
        }
    }

    /// Checks Meta's documented limits.
    ///
    /// # Errors
    ///
    /// The first broken limit.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(data) = &self.callback_data {
            max_chars("biz_opaque_callback_data", data, limits::CALLBACK_DATA)?;
        }
        if let Some(id) = &self.reply_to {
            not_empty("context.message_id", id.as_str())?;
        }
        match &self.content {
            Content::Text { body, .. } => {
                not_empty("text.body", body)?;
                max_chars("text.body", body, limits::TEXT_BODY)
            }
            Content::Media(media) => media.validate(),
            Content::Location(location) => location.validate(),
            Content::Contacts(cards) => {
                if cards.is_empty() {
                    return Err(ValidationError::new("contacts", Violation::TooFew { min: 1, actual: 0 }));
                }
                cards.iter().try_for_each(ContactCard::validate)
            }
            Content::Interactive(interactive) => interactive.validate(),
            Content::Template(template) => template.validate(),
            Content::Reaction { message_id, .. } => not_empty("reaction.message_id", message_id.as_str()),
        }
    }
}

/// The request body of a send: `messaging_product`, the recipient, `type`, the content object
/// named by the type, and the options.
pub(crate) struct SendBody {
    pub(crate) to: Recipient,
    pub(crate) message: Message,
}

impl Serialize for SendBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let message = &self.message;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("messaging_product", "whatsapp")?;
        match &self.to {
            Recipient::Phone(to) => {
                map.serialize_entry("recipient_type", "individual")?;
                map.serialize_entry("to", to)?;
            }
            Recipient::UserId(id) => {
                map.serialize_entry("recipient_type", "individual")?;
                map.serialize_entry("recipient", id)?;
            }
            Recipient::Group(id) => {
                map.serialize_entry("recipient_type", "group")?;
                map.serialize_entry("to", id)?;
            }
        }
        let kind = message.kind();
        map.serialize_entry("type", kind)?;
        match &message.content {
            Content::Text { body, preview_url } => {
                map.serialize_entry(kind, &TextBody { preview_url: *preview_url, body })?;
            }
            Content::Media(media) => map.serialize_entry(kind, media)?,
            Content::Location(location) => map.serialize_entry(kind, location)?,
            Content::Contacts(cards) => map.serialize_entry(kind, cards)?,
            Content::Interactive(interactive) => map.serialize_entry(kind, interactive)?,
            Content::Template(template) => map.serialize_entry(kind, template)?,
            Content::Reaction { message_id, emoji } => {
                map.serialize_entry(kind, &ReactionBody { message_id, emoji })?;
            }
        }
        if let Some(id) = &message.reply_to {
            map.serialize_entry("context", &ContextBody { message_id: id })?;
        }
        if let Some(data) = &message.callback_data {
            map.serialize_entry("biz_opaque_callback_data", data)?;
        }
        if let Some(hash) = &message.identity_key_hash {
            map.serialize_entry("recipient_identity_key_hash", hash)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct TextBody<'a> {
    // Meta's default: sent only when a preview is wanted, as in Meta's examples.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    preview_url: bool,
    body: &'a str,
}

#[derive(Serialize)]
struct ReactionBody<'a> {
    message_id: &'a MessageId,
    emoji: &'a str,
}

#[derive(Serialize)]
struct ContextBody<'a> {
    message_id: &'a MessageId,
}
