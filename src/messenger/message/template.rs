//! Attachments, buttons and structured templates (generic, button, media).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::graph::serde_util::string_enum;
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{ValidationError, Violation};

use super::{AttachmentKind, limits};
use crate::messenger::profile::WebviewHeight;

/// A media attachment: by URL (optionally saved for reuse) or by a saved attachment id.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attachment {
    /// Its kind.
    pub kind: AttachmentKind,
    /// Where it comes from.
    pub source: AttachmentSource,
}

/// Where an attachment comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachmentSource {
    /// A URL Meta fetches; `reusable` asks Meta to return an attachment id for reuse.
    Url {
        /// The URL.
        url: String,
        /// Save for reuse.
        reusable: bool,
    },
    /// A saved attachment id (Page-private, 90 days).
    Id(String),
}

impl Attachment {
    /// An attachment by URL.
    pub fn url(kind: AttachmentKind, url: impl Into<String>) -> Self {
        Self { kind, source: AttachmentSource::Url { url: url.into(), reusable: false } }
    }

    /// An attachment by saved id.
    pub fn id(kind: AttachmentKind, attachment_id: impl Into<String>) -> Self {
        Self { kind, source: AttachmentSource::Id(attachment_id.into()) }
    }

    /// Asks Meta to save a URL attachment for reuse (the response carries its id).
    #[must_use]
    pub fn reusable(mut self) -> Self {
        if let AttachmentSource::Url { reusable, .. } = &mut self.source {
            *reusable = true;
        }
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        match &self.source {
            AttachmentSource::Url { url, .. } => {
                if url.starts_with("https://") || url.starts_with("http://") {
                    Ok(())
                } else {
                    Err(ValidationError::new(
                        "message.attachment.payload.url",
                        Violation::Invalid("must be an http(s) url".into()),
                    ))
                }
            }
            AttachmentSource::Id(id) => not_empty("message.attachment.payload.attachment_id", id),
        }
    }
}

impl Serialize for Attachment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", &self.kind)?;
        let payload = match &self.source {
            AttachmentSource::Url { url, reusable: true } => {
                serde_json::json!({"url": url, "is_reusable": true})
            }
            AttachmentSource::Url { url, reusable: false } => serde_json::json!({"url": url}),
            AttachmentSource::Id(id) => serde_json::json!({"attachment_id": id}),
        };
        map.serialize_entry("payload", &payload)?;
        map.end()
    }
}

/// A button of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Button {
    /// Opens a URL.
    WebUrl {
        /// Label (≤ 20 characters).
        title: String,
        /// The URL.
        url: String,
    },
    /// Sends a `postback` webhook.
    Postback {
        /// Label (≤ 20 characters).
        title: String,
        /// Payload (≤ 1000 characters).
        payload: String,
    },
    /// Calls a number (`+<country code><number>`).
    PhoneNumber {
        /// Label (≤ 20 characters).
        title: String,
        /// The number.
        phone_number: String,
    },
}

impl Button {
    /// A URL button.
    pub fn url(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self::WebUrl { title: title.into(), url: url.into() }
    }

    /// A postback button.
    pub fn postback(title: impl Into<String>, payload: impl Into<String>) -> Self {
        Self::Postback { title: title.into(), payload: payload.into() }
    }

    /// A call button.
    pub fn call(title: impl Into<String>, phone_number: impl Into<String>) -> Self {
        Self::PhoneNumber { title: title.into(), phone_number: phone_number.into() }
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        let (Self::WebUrl { title, .. } | Self::Postback { title, .. } | Self::PhoneNumber { title, .. }) =
            self;
        not_empty("buttons.title", title)?;
        max_chars("buttons.title", title, limits::TITLE)?;
        match self {
            Self::Postback { payload, .. } => max_chars("buttons.payload", payload, limits::PAYLOAD),
            Self::PhoneNumber { phone_number, .. } if !phone_number.starts_with('+') => {
                Err(ValidationError::new(
                    "buttons.payload",
                    Violation::Invalid("a phone number starts with + and the country code".into()),
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Serialize for Button {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        match self {
            Self::WebUrl { title, url } => {
                map.serialize_entry("type", "web_url")?;
                map.serialize_entry("url", url)?;
                map.serialize_entry("title", title)?;
            }
            Self::Postback { title, payload } => {
                map.serialize_entry("type", "postback")?;
                map.serialize_entry("title", title)?;
                map.serialize_entry("payload", payload)?;
            }
            Self::PhoneNumber { title, phone_number } => {
                map.serialize_entry("type", "phone_number")?;
                map.serialize_entry("title", title)?;
                map.serialize_entry("payload", phone_number)?;
            }
        }
        map.end()
    }
}

/// An element (card) of a generic template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Element {
    /// Title (≤ 80 characters).
    pub title: String,
    /// Subtitle (≤ 80 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// Image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// What tapping the card opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_action: Option<DefaultAction>,
    /// Up to 3 buttons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

/// The URL a generic template element opens when tapped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DefaultAction {
    /// Always `web_url`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The URL.
    pub url: String,
    /// How tall the web view opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webview_height_ratio: Option<WebviewHeight>,
}

impl Element {
    /// A card with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            subtitle: None,
            image_url: None,
            default_action: None,
            buttons: Vec::new(),
        }
    }

    /// Sets the subtitle.
    #[must_use]
    pub fn subtitle(mut self, subtitle: impl Into<String>) -> Self {
        self.subtitle = Some(subtitle.into());
        self
    }

    /// Sets the image.
    #[must_use]
    pub fn image_url(mut self, url: impl Into<String>) -> Self {
        self.image_url = Some(url.into());
        self
    }

    /// Opens `url` when the card is tapped.
    #[must_use]
    pub fn default_url(mut self, url: impl Into<String>) -> Self {
        self.default_action =
            Some(DefaultAction { kind: "web_url", url: url.into(), webview_height_ratio: None });
        self
    }

    /// Sets how tall the default action's web view opens.
    #[must_use]
    pub fn default_webview_height(mut self, height: WebviewHeight) -> Self {
        if let Some(action) = &mut self.default_action {
            action.webview_height_ratio = Some(height);
        }
        self
    }

    /// Adds a button.
    #[must_use]
    pub fn button(mut self, button: Button) -> Self {
        self.buttons.push(button);
        self
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        not_empty("elements.title", &self.title)?;
        max_chars("elements.title", &self.title, limits::ELEMENT_TEXT)?;
        if let Some(subtitle) = &self.subtitle {
            max_chars("elements.subtitle", subtitle, limits::ELEMENT_TEXT)?;
        }
        if self.subtitle.is_none()
            && self.image_url.is_none()
            && self.default_action.is_none()
            && self.buttons.is_empty()
        {
            return Err(ValidationError::new(
                "elements",
                Violation::Invalid("an element needs a subtitle, image, default action or button".into()),
            ));
        }
        max_items("elements.buttons", self.buttons.len(), limits::BUTTONS)?;
        self.buttons.iter().try_for_each(Button::validate)
    }
}

/// A structured template.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StructuredTemplate {
    /// Cards in a carousel (≤ 10).
    Generic(Vec<Element>),
    /// Text (≤ 640 characters) with 1–3 buttons.
    Button {
        /// The text.
        text: String,
        /// The buttons.
        buttons: Vec<Button>,
    },
    /// One image or video (by saved attachment id or Facebook URL) with optional buttons.
    Media {
        /// `image` or `video`.
        media_type: AttachmentKind,
        /// The media.
        source: AttachmentSource,
        /// Buttons.
        buttons: Vec<Button>,
    },
    /// Asks the user's permission to call them (`calling_optin`, Messenger calling); the
    /// answer arrives as a `call_permission_reply` event.
    CallPermissionRequest,
    /// Asks the user to subscribe to marketing messages (`notification_messages`); a yes
    /// arrives as a `messaging_optins` event with the subscription token.
    MarketingOptIn(MarketingOptIn),
}

string_enum! {
    /// The text of a marketing opt-in's button.
    pub enum OptInCta {
        /// "Allow messages".
        Allow = "ALLOW",
        /// "Get messages".
        Get = "GET",
        /// "Get updates" (Meta's default).
        GetUpdates = "GET_UPDATES",
        /// "Opt in".
        OptIn = "OPT_IN",
        /// "Sign up".
        SignUp = "SIGN_UP",
    }
}

/// A marketing messages opt-in request, per Meta's "Marketing Messages" page: sent in the
/// 24-hour window, at most once a week with the same title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MarketingOptIn {
    /// Returned in the opt-in webhook (required).
    pub payload: String,
    /// The topic the user subscribes to (≤ 65 characters; Meta shows "Updates and
    /// promotions" without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// The user's time zone for delivery (`UTC`, an IANA id).
    #[serde(rename = "notification_messages_timezone", skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The button's text.
    #[serde(rename = "notification_messages_cta_text", skip_serializing_if = "Option::is_none")]
    pub cta_text: Option<OptInCta>,
}

impl MarketingOptIn {
    /// An opt-in whose webhook carries `payload`.
    pub fn new(payload: impl Into<String>) -> Self {
        Self { payload: payload.into(), title: None, image_url: None, timezone: None, cta_text: None }
    }

    /// Sets the topic (≤ 65 characters).
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the image.
    #[must_use]
    pub fn image_url(mut self, url: impl Into<String>) -> Self {
        self.image_url = Some(url.into());
        self
    }

    /// Sets the delivery time zone.
    #[must_use]
    pub fn timezone(mut self, zone: impl Into<String>) -> Self {
        self.timezone = Some(zone.into());
        self
    }

    /// Sets the button's text.
    #[must_use]
    pub fn cta_text(mut self, cta: OptInCta) -> Self {
        self.cta_text = Some(cta);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("payload", &self.payload)?;
        if let Some(title) = &self.title {
            max_chars("title", title, limits::OPT_IN_TITLE)?;
        }
        Ok(())
    }
}

impl StructuredTemplate {
    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::CallPermissionRequest => Ok(()),
            Self::MarketingOptIn(opt_in) => opt_in.validate(),
            Self::Generic(elements) => {
                if elements.is_empty() {
                    return Err(ValidationError::new("elements", Violation::TooFew { min: 1, actual: 0 }));
                }
                max_items("elements", elements.len(), limits::GENERIC_ELEMENTS)?;
                elements.iter().try_for_each(Element::validate)
            }
            Self::Button { text, buttons } => {
                not_empty("text", text)?;
                max_chars("text", text, limits::BUTTON_TEMPLATE_TEXT)?;
                if buttons.is_empty() {
                    return Err(ValidationError::new("buttons", Violation::TooFew { min: 1, actual: 0 }));
                }
                max_items("buttons", buttons.len(), limits::BUTTONS)?;
                buttons.iter().try_for_each(Button::validate)
            }
            Self::Media { media_type, buttons, .. } => {
                if !matches!(media_type, AttachmentKind::Image | AttachmentKind::Video) {
                    return Err(ValidationError::new(
                        "elements.media_type",
                        Violation::Invalid("image or video only".into()),
                    ));
                }
                max_items("elements.buttons", buttons.len(), limits::BUTTONS)?;
                buttons.iter().try_for_each(Button::validate)
            }
        }
    }
}

impl Serialize for StructuredTemplate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let payload = match self {
            Self::Generic(elements) => serde_json::json!({"template_type": "generic", "elements": elements}),
            Self::Button { text, buttons } => {
                serde_json::json!({"template_type": "button", "text": text, "buttons": buttons})
            }
            Self::Media { media_type, source, buttons } => {
                let mut element = serde_json::json!({"media_type": media_type});
                match source {
                    AttachmentSource::Url { url, .. } => element["url"] = url.clone().into(),
                    AttachmentSource::Id(id) => element["attachment_id"] = id.clone().into(),
                }
                if !buttons.is_empty() {
                    element["buttons"] = serde_json::to_value(buttons).map_err(serde::ser::Error::custom)?;
                }
                serde_json::json!({"template_type": "media", "elements": [element]})
            }
            Self::CallPermissionRequest => serde_json::json!({"template_type": "calling_optin"}),
            Self::MarketingOptIn(opt_in) => {
                let mut payload = serde_json::to_value(opt_in).map_err(serde::ser::Error::custom)?;
                payload["template_type"] = "notification_messages".into();
                payload
            }
        };
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", "template")?;
        map.serialize_entry("payload", &payload)?;
        map.end()
    }
}
