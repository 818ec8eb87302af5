//! Outbound WhatsApp messages: every send kind, its wire format, and Meta's limits.
//!
//! Wire format per the Cloud API messages reference (Graph API v25.0), summarised in the
//! crate's `meta-api.md` §2; limits per §13. Build a [`Message`] with one of its constructors,
//! add options (reply context, callback data), and send it with
//! [`WhatsApp::send`](super::WhatsApp::send). Limits are checked before anything is sent; the
//! first violation comes back as an [`ErrorKind::Validation`](crate::ErrorKind::Validation)
//! error naming the field.

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::template::Template;
use super::{MediaId, MessageId};
use crate::graph::serde_util::string_enum;
use crate::graph::{ValidationError, Violation};

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

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        let (field, value) = match self {
            Self::Phone(v) | Self::Group(v) => ("to", v),
            Self::UserId(v) => ("recipient", v),
        };
        if value.trim().is_empty() {
            return Err(ValidationError::new(field, Violation::Missing));
        }
        Ok(())
    }
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

pub(crate) fn chars(text: &str) -> usize {
    text.chars().count()
}

pub(crate) fn max_chars(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    // Byte length bounds the character count from above: skip counting short texts.
    if text.len() <= max {
        return Ok(());
    }
    let actual = chars(text);
    if actual > max {
        return Err(ValidationError::new(field, Violation::TooLong { max, actual }));
    }
    Ok(())
}

pub(crate) fn not_empty(field: &'static str, text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() { Err(ValidationError::new(field, Violation::Missing)) } else { Ok(()) }
}

pub(crate) fn max_items(field: &'static str, actual: usize, max: usize) -> Result<(), ValidationError> {
    if actual > max { Err(ValidationError::new(field, Violation::TooMany { max, actual })) } else { Ok(()) }
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

string_enum! {
    /// A media message kind.
    pub enum MediaKind {
        /// Image (JPEG, PNG; ≤ 5 MB).
        Image = "image",
        /// Video (MP4, 3GPP; ≤ 16 MB).
        Video = "video",
        /// Audio (AAC, AMR, MP3, MP4, OGG/Opus; ≤ 16 MB).
        Audio = "audio",
        /// Document (PDF, Office, text; ≤ 100 MB).
        Document = "document",
        /// Sticker (WebP; ≤ 100 KB static, 500 KB animated).
        Sticker = "sticker",
    }
}

/// Where a media message's file comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaSource {
    /// An uploaded media id.
    Id(MediaId),
    /// A public HTTPS URL Meta fetches.
    Link(String),
}

impl MediaSource {
    /// An uploaded media id.
    pub fn id(id: impl Into<MediaId>) -> Self {
        Self::Id(id.into())
    }

    /// A public HTTPS URL.
    pub fn link(url: impl Into<String>) -> Self {
        Self::Link(url.into())
    }
}

impl From<MediaId> for MediaSource {
    fn from(id: MediaId) -> Self {
        Self::Id(id)
    }
}

impl From<&MediaId> for MediaSource {
    fn from(id: &MediaId) -> Self {
        Self::Id(id.clone())
    }
}

/// A media message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaMessage {
    /// The kind.
    pub kind: MediaKind,
    /// The file.
    pub source: MediaSource,
    /// Caption (image, video, document; ≤ 1024 characters).
    pub caption: Option<String>,
    /// File name (document).
    pub filename: Option<String>,
    /// Send an OGG/Opus audio as a voice note.
    pub voice: bool,
}

impl MediaMessage {
    /// A media message without caption.
    pub fn new(kind: MediaKind, source: MediaSource) -> Self {
        Self { kind, source, caption: None, filename: None, voice: false }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match &self.source {
            MediaSource::Id(id) => not_empty("media.id", id.as_str())?,
            MediaSource::Link(link) => {
                not_empty("media.link", link)?;
                if !link.starts_with("https://") && !link.starts_with("http://") {
                    return Err(ValidationError::new(
                        "media.link",
                        Violation::Invalid("must be an http(s) url".into()),
                    ));
                }
            }
        }
        if let Some(caption) = &self.caption {
            if matches!(self.kind, MediaKind::Audio | MediaKind::Sticker) {
                return Err(ValidationError::new(
                    "media.caption",
                    Violation::Invalid("audio and stickers take no caption".into()),
                ));
            }
            max_chars("media.caption", caption, limits::CAPTION)?;
        }
        Ok(())
    }
}

impl Serialize for MediaMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.source {
            MediaSource::Id(id) => map.serialize_entry("id", id)?,
            MediaSource::Link(link) => map.serialize_entry("link", link)?,
        }
        if let Some(caption) = &self.caption {
            map.serialize_entry("caption", caption)?;
        }
        if let Some(filename) = &self.filename {
            map.serialize_entry("filename", filename)?;
        }
        if self.voice {
            map.serialize_entry("voice", &true)?;
        }
        map.end()
    }
}

/// A location to send.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Place name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Location {
    /// A pin.
    pub fn new(latitude: f64, longitude: f64) -> Self {
        Self { latitude, longitude, name: None, address: None }
    }

    /// A named place.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>, address: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self.address = Some(address.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(ValidationError::new(
                "location.latitude",
                Violation::Invalid("must be within -90..=90".into()),
            ));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(ValidationError::new(
                "location.longitude",
                Violation::Invalid("must be within -180..=180".into()),
            ));
        }
        Ok(())
    }
}

/// A contact card to send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactCard {
    /// Names; `formatted_name` is required.
    pub name: ContactName,
    /// Birthday, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// Phones.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub phones: Vec<ContactPhone>,
    /// Emails.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub emails: Vec<ContactEmail>,
    /// URLs.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub urls: Vec<ContactUrl>,
    /// Organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
}

/// Names of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactName {
    /// The full name as displayed (required).
    pub formatted_name: String,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// A phone of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactPhone {
    /// The number.
    pub phone: String,
    /// `CELL`, `MAIN`, `IPHONE`, `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The WhatsApp id, to show a "message" button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

/// An email of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactEmail {
    /// The address.
    pub email: String,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A URL of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactUrl {
    /// The URL.
    pub url: String,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The organization of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactOrg {
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl ContactCard {
    /// A card with a display name.
    pub fn new(formatted_name: impl Into<String>) -> Self {
        Self {
            name: ContactName { formatted_name: formatted_name.into(), ..ContactName::default() },
            ..Self::default()
        }
    }

    /// Adds a phone.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>, kind: Option<&str>, wa_id: Option<&str>) -> Self {
        self.phones.push(ContactPhone {
            phone: phone.into(),
            kind: kind.map(str::to_owned),
            wa_id: wa_id.map(str::to_owned),
        });
        self
    }

    /// Adds an email.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>, kind: Option<&str>) -> Self {
        self.emails.push(ContactEmail { email: email.into(), kind: kind.map(str::to_owned) });
        self
    }

    /// Adds a URL.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>, kind: Option<&str>) -> Self {
        self.urls.push(ContactUrl { url: url.into(), kind: kind.map(str::to_owned) });
        self
    }

    /// Sets the organization.
    #[must_use]
    pub fn org(mut self, company: impl Into<String>, title: Option<&str>) -> Self {
        self.org = Some(ContactOrg {
            company: Some(company.into()),
            department: None,
            title: title.map(str::to_owned),
        });
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("contacts.name.formatted_name", &self.name.formatted_name)
    }
}

/// The header of an interactive message: text (≤ 60 characters) or media.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Header {
    /// Text.
    Text(String),
    /// Image.
    Image(MediaSource),
    /// Video.
    Video(MediaSource),
    /// Document.
    Document(MediaSource),
}

impl From<&str> for Header {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Header {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl Serialize for Header {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        let (kind, source) = match self {
            Self::Text(text) => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
                return map.end();
            }
            Self::Image(s) => ("image", s),
            Self::Video(s) => ("video", s),
            Self::Document(s) => ("document", s),
        };
        map.serialize_entry("type", kind)?;
        map.serialize_entry(kind, &SourceBody(source))?;
        map.end()
    }
}

struct SourceBody<'a>(&'a MediaSource);

impl Serialize for SourceBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self.0 {
            MediaSource::Id(id) => map.serialize_entry("id", id)?,
            MediaSource::Link(link) => map.serialize_entry("link", link)?,
        }
        map.end()
    }
}

/// An interactive message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Interactive {
    /// Header.
    pub header: Option<Header>,
    /// Body text (≤ 1024 characters).
    pub body: Option<String>,
    /// Footer text (≤ 60 characters).
    pub footer: Option<String>,
    /// What the user can do.
    pub action: Action,
}

/// The action of an interactive message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Reply buttons (`button`).
    Buttons(Vec<ReplyButton>),
    /// A list (`list`).
    List {
        /// The label of the button that opens the list.
        button: String,
        /// Its sections.
        sections: Vec<Section>,
    },
    /// A URL button (`cta_url`).
    CtaUrl {
        /// Button text.
        display_text: String,
        /// The URL.
        url: String,
    },
    /// A flow (`flow`).
    Flow(Box<Flow>),
    /// A location request (`location_request_message`).
    LocationRequest,
    /// One product (`product`).
    Product {
        /// Catalog.
        catalog_id: String,
        /// Product.
        product_retailer_id: String,
    },
    /// Products in sections (`product_list`).
    ProductList {
        /// Catalog.
        catalog_id: String,
        /// Sections.
        sections: Vec<ProductSection>,
    },
    /// The catalog (`catalog_message`).
    Catalog {
        /// The product shown as thumbnail.
        thumbnail_product_retailer_id: Option<String>,
    },
}

impl Interactive {
    /// An interactive message with a body and an action.
    pub fn new(body: Option<String>, action: Action) -> Self {
        Self { header: None, body, footer: None, action }
    }

    fn kind(&self) -> &'static str {
        match self.action {
            Action::Buttons(_) => "button",
            Action::List { .. } => "list",
            Action::CtaUrl { .. } => "cta_url",
            Action::Flow(_) => "flow",
            Action::LocationRequest => "location_request_message",
            Action::Product { .. } => "product",
            Action::ProductList { .. } => "product_list",
            Action::Catalog { .. } => "catalog_message",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(body) = &self.body {
            max_chars("interactive.body.text", body, limits::INTERACTIVE_BODY)?;
        }
        if let Some(footer) = &self.footer {
            max_chars("interactive.footer.text", footer, limits::INTERACTIVE_FOOTER)?;
        }
        if let Some(Header::Text(text)) = &self.header {
            not_empty("interactive.header.text", text)?;
            max_chars("interactive.header.text", text, limits::INTERACTIVE_HEADER)?;
        }
        let needs_body = !matches!(self.action, Action::Product { .. });
        if needs_body && self.body.as_deref().is_none_or(|b| b.trim().is_empty()) {
            return Err(ValidationError::new("interactive.body.text", Violation::Missing));
        }
        match &self.action {
            Action::Buttons(buttons) => validate_buttons(buttons),
            Action::List { button, sections } => {
                if matches!(self.header, Some(Header::Image(_) | Header::Video(_) | Header::Document(_))) {
                    return Err(ValidationError::new(
                        "interactive.header",
                        Violation::Invalid("lists take a text header only".into()),
                    ));
                }
                validate_list(button, sections)
            }
            Action::CtaUrl { display_text, url } => {
                not_empty("interactive.action.parameters.display_text", display_text)?;
                max_chars("interactive.action.parameters.display_text", display_text, limits::CTA_TEXT)?;
                if !url.starts_with("https://") && !url.starts_with("http://") {
                    return Err(ValidationError::new(
                        "interactive.action.parameters.url",
                        Violation::Invalid("must be an http(s) url".into()),
                    ));
                }
                Ok(())
            }
            Action::Flow(flow) => flow.validate(),
            Action::LocationRequest | Action::Catalog { .. } => {
                if self.header.is_some() {
                    return Err(ValidationError::new(
                        "interactive.header",
                        Violation::Invalid("not allowed here".into()),
                    ));
                }
                Ok(())
            }
            Action::Product { catalog_id, product_retailer_id } => {
                if self.header.is_some() {
                    return Err(ValidationError::new(
                        "interactive.header",
                        Violation::Invalid("not allowed here".into()),
                    ));
                }
                not_empty("interactive.action.catalog_id", catalog_id)?;
                not_empty("interactive.action.product_retailer_id", product_retailer_id)
            }
            Action::ProductList { catalog_id, sections } => {
                if !matches!(self.header, Some(Header::Text(_))) {
                    return Err(ValidationError::new("interactive.header", Violation::Missing));
                }
                not_empty("interactive.action.catalog_id", catalog_id)?;
                validate_product_sections(sections)
            }
        }
    }
}

fn validate_buttons(buttons: &[ReplyButton]) -> Result<(), ValidationError> {
    const FIELD: &str = "interactive.action.buttons";
    if buttons.is_empty() {
        return Err(ValidationError::new(FIELD, Violation::TooFew { min: 1, actual: 0 }));
    }
    max_items(FIELD, buttons.len(), limits::REPLY_BUTTONS)?;
    for (i, button) in buttons.iter().enumerate() {
        not_empty("interactive.action.buttons.reply.id", &button.id)?;
        max_chars("interactive.action.buttons.reply.id", &button.id, limits::BUTTON_ID)?;
        not_empty("interactive.action.buttons.reply.title", &button.title)?;
        max_chars("interactive.action.buttons.reply.title", &button.title, limits::BUTTON_TITLE)?;
        if buttons[..i].iter().any(|b| b.id == button.id || b.title == button.title) {
            return Err(ValidationError::new(FIELD, Violation::Duplicate));
        }
    }
    Ok(())
}

fn validate_list(button: &str, sections: &[Section]) -> Result<(), ValidationError> {
    not_empty("interactive.action.button", button)?;
    max_chars("interactive.action.button", button, limits::LIST_BUTTON)?;
    if sections.is_empty() {
        return Err(ValidationError::new(
            "interactive.action.sections",
            Violation::TooFew { min: 1, actual: 0 },
        ));
    }
    max_items("interactive.action.sections", sections.len(), limits::LIST_SECTIONS)?;
    let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
    max_items("interactive.action.sections.rows", rows, limits::LIST_ROWS)?;
    let mut seen: Vec<&str> = Vec::with_capacity(rows);
    for section in sections {
        match &section.title {
            Some(title) => max_chars("interactive.action.sections.title", title, limits::SECTION_TITLE)?,
            None if sections.len() > 1 => {
                return Err(ValidationError::new("interactive.action.sections.title", Violation::Missing));
            }
            None => {}
        }
        if section.rows.is_empty() {
            return Err(ValidationError::new(
                "interactive.action.sections.rows",
                Violation::TooFew { min: 1, actual: 0 },
            ));
        }
        for row in &section.rows {
            not_empty("interactive.action.sections.rows.id", &row.id)?;
            max_chars("interactive.action.sections.rows.id", &row.id, limits::ROW_ID)?;
            not_empty("interactive.action.sections.rows.title", &row.title)?;
            max_chars("interactive.action.sections.rows.title", &row.title, limits::ROW_TITLE)?;
            if let Some(description) = &row.description {
                max_chars(
                    "interactive.action.sections.rows.description",
                    description,
                    limits::ROW_DESCRIPTION,
                )?;
            }
            if seen.contains(&row.id.as_str()) {
                return Err(ValidationError::new(
                    "interactive.action.sections.rows.id",
                    Violation::Duplicate,
                ));
            }
            seen.push(&row.id);
        }
    }
    Ok(())
}

fn validate_product_sections(sections: &[ProductSection]) -> Result<(), ValidationError> {
    if sections.is_empty() {
        return Err(ValidationError::new(
            "interactive.action.sections",
            Violation::TooFew { min: 1, actual: 0 },
        ));
    }
    max_items("interactive.action.sections", sections.len(), limits::LIST_SECTIONS)?;
    let items: usize = sections.iter().map(|s| s.product_retailer_ids.len()).sum();
    max_items("interactive.action.sections.product_items", items, limits::PRODUCT_LIST_ITEMS)?;
    for section in sections {
        not_empty("interactive.action.sections.title", &section.title)?;
        if section.product_retailer_ids.is_empty() {
            return Err(ValidationError::new(
                "interactive.action.sections.product_items",
                Violation::TooFew { min: 1, actual: 0 },
            ));
        }
    }
    Ok(())
}

impl Serialize for Interactive {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", self.kind())?;
        if let Some(header) = &self.header {
            map.serialize_entry("header", header)?;
        }
        if let Some(body) = &self.body {
            map.serialize_entry("body", &TextObject { text: body })?;
        }
        if let Some(footer) = &self.footer {
            map.serialize_entry("footer", &TextObject { text: footer })?;
        }
        map.serialize_entry("action", &ActionBody(&self.action))?;
        map.end()
    }
}

#[derive(Serialize)]
struct TextObject<'a> {
    text: &'a str,
}

struct ActionBody<'a>(&'a Action);

impl Serialize for ActionBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Reply<'a> {
            r#type: &'static str,
            reply: &'a ReplyButton,
        }
        #[derive(Serialize)]
        struct ProductItem<'a> {
            product_retailer_id: &'a str,
        }
        #[derive(Serialize)]
        struct ProductSectionBody<'a> {
            title: &'a str,
            product_items: Vec<ProductItem<'a>>,
        }
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            Action::Buttons(buttons) => {
                let replies: Vec<Reply<'_>> =
                    buttons.iter().map(|reply| Reply { r#type: "reply", reply }).collect();
                map.serialize_entry("buttons", &replies)?;
            }
            Action::List { button, sections } => {
                map.serialize_entry("button", button)?;
                map.serialize_entry("sections", sections)?;
            }
            Action::CtaUrl { display_text, url } => {
                map.serialize_entry("name", "cta_url")?;
                map.serialize_entry(
                    "parameters",
                    &serde_json::json!({"display_text": display_text, "url": url}),
                )?;
            }
            Action::Flow(flow) => {
                map.serialize_entry("name", "flow")?;
                map.serialize_entry("parameters", flow)?;
            }
            Action::LocationRequest => map.serialize_entry("name", "send_location")?,
            Action::Product { catalog_id, product_retailer_id } => {
                map.serialize_entry("catalog_id", catalog_id)?;
                map.serialize_entry("product_retailer_id", product_retailer_id)?;
            }
            Action::ProductList { catalog_id, sections } => {
                map.serialize_entry("catalog_id", catalog_id)?;
                let sections: Vec<ProductSectionBody<'_>> = sections
                    .iter()
                    .map(|s| ProductSectionBody {
                        title: &s.title,
                        product_items: s
                            .product_retailer_ids
                            .iter()
                            .map(|id| ProductItem { product_retailer_id: id })
                            .collect(),
                    })
                    .collect();
                map.serialize_entry("sections", &sections)?;
            }
            Action::Catalog { thumbnail_product_retailer_id } => {
                map.serialize_entry("name", "catalog_message")?;
                if let Some(id) = thumbnail_product_retailer_id {
                    map.serialize_entry(
                        "parameters",
                        &serde_json::json!({"thumbnail_product_retailer_id": id}),
                    )?;
                }
            }
        }
        map.end()
    }
}

/// A reply button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReplyButton {
    /// The id you get back when the user taps it (≤ 256 characters).
    pub id: String,
    /// The label (≤ 20 characters).
    pub title: String,
}

impl ReplyButton {
    /// A button.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self { id: id.into(), title: title.into() }
    }
}

/// A section of a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Section {
    /// Title (≤ 24 characters; required when there are several sections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Rows.
    pub rows: Vec<Row>,
}

impl Section {
    /// A section.
    pub fn new(title: impl Into<String>, rows: impl IntoIterator<Item = Row>) -> Self {
        Self { title: Some(title.into()), rows: rows.into_iter().collect() }
    }

    /// A section without a title (only valid as the sole section).
    pub fn untitled(rows: impl IntoIterator<Item = Row>) -> Self {
        Self { title: None, rows: rows.into_iter().collect() }
    }
}

/// A row of a list section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Row {
    /// The id you get back (≤ 200 characters).
    pub id: String,
    /// Title (≤ 24 characters).
    pub title: String,
    /// Description (≤ 72 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Row {
    /// A row.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self { id: id.into(), title: title.into(), description: None }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A section of a product list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProductSection {
    /// Title.
    pub title: String,
    /// Retailer ids of its products.
    pub product_retailer_ids: Vec<String>,
}

impl ProductSection {
    /// A section.
    pub fn new(
        title: impl Into<String>,
        product_retailer_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            title: title.into(),
            product_retailer_ids: product_retailer_ids.into_iter().map(Into::into).collect(),
        }
    }
}

string_enum! {
    /// How a flow opens.
    pub enum FlowAction {
        /// Opens a screen (with `flow_action_payload`).
        Navigate = "navigate",
        /// Calls your data endpoint first.
        DataExchange = "data_exchange",
    }
}

/// The flow behind a flow button.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Flow {
    /// Always `3`.
    pub flow_message_version: Cow<'static, str>,
    /// A token you choose, returned in the flow response.
    pub flow_token: String,
    /// The flow id (or use `flow_name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    /// The flow name (or use `flow_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    /// Button text (≤ 20 characters, no emoji).
    pub flow_cta: String,
    /// `published` (default) or `draft`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// How it opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_action: Option<FlowAction>,
    /// The first screen and its data, for `navigate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_action_payload: Option<serde_json::Value>,
}

impl Flow {
    /// A published flow by id.
    pub fn by_id(flow_id: impl Into<String>, flow_token: impl Into<String>, cta: impl Into<String>) -> Self {
        Self {
            flow_message_version: Cow::Borrowed("3"),
            flow_token: flow_token.into(),
            flow_id: Some(flow_id.into()),
            flow_name: None,
            flow_cta: cta.into(),
            mode: None,
            flow_action: None,
            flow_action_payload: None,
        }
    }

    /// A published flow by name.
    pub fn by_name(
        flow_name: impl Into<String>,
        flow_token: impl Into<String>,
        cta: impl Into<String>,
    ) -> Self {
        Self { flow_id: None, flow_name: Some(flow_name.into()), ..Self::by_id("", flow_token, cta) }
    }

    /// Opens `screen` with `data`.
    #[must_use]
    pub fn navigate(mut self, screen: impl Into<String>, data: serde_json::Value) -> Self {
        self.flow_action = Some(FlowAction::Navigate);
        let mut payload = serde_json::Map::new();
        payload.insert("screen".to_owned(), screen.into().into());
        payload.insert("data".to_owned(), data);
        self.flow_action_payload = Some(payload.into());
        self
    }

    /// Calls your data endpoint first.
    #[must_use]
    pub fn data_exchange(mut self) -> Self {
        self.flow_action = Some(FlowAction::DataExchange);
        self.flow_action_payload = None;
        self
    }

    /// Sends the draft version (for testing).
    #[must_use]
    pub fn draft(mut self) -> Self {
        self.mode = Some("draft".to_owned());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        const FIELD: &str = "interactive.action.parameters";
        let id = self.flow_id.as_deref().filter(|s| !s.is_empty());
        let name = self.flow_name.as_deref().filter(|s| !s.is_empty());
        if id.is_some() == name.is_some() {
            return Err(ValidationError::new(
                FIELD,
                Violation::Invalid("set exactly one of flow_id and flow_name".into()),
            ));
        }
        not_empty("interactive.action.parameters.flow_token", &self.flow_token)?;
        not_empty("interactive.action.parameters.flow_cta", &self.flow_cta)?;
        max_chars("interactive.action.parameters.flow_cta", &self.flow_cta, limits::CTA_TEXT)?;
        if self.flow_action_payload.is_some() && self.flow_action != Some(FlowAction::Navigate) {
            return Err(ValidationError::new(
                "interactive.action.parameters.flow_action_payload",
                Violation::Invalid("only for navigate".into()),
            ));
        }
        Ok(())
    }
}

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
