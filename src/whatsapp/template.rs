//! Message templates: sending them with parameters, and managing them on a WABA.
//!
//! Send-side shapes per the Cloud API [template messages](https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates)
//! guide (Graph API v25.0); management per the WhatsApp Business Management API
//! [message templates](https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates)
//! reference.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::message::MediaSource;
use crate::graph::serde_util::{opt_string_or_integer, string_enum};
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{ValidationError, Violation};

/// Template parameter limits.
pub mod limits {
    /// A body text parameter.
    pub const BODY_TEXT_PARAM: usize = 1024;
    /// A body text parameter when the template has only a body.
    pub const BODY_ONLY_TEXT_PARAM: usize = 32_768;
    /// A header text parameter.
    pub const HEADER_TEXT_PARAM: usize = 60;
    /// Carousel cards.
    pub const CAROUSEL_CARDS: usize = 10;
    /// A named parameter's name.
    pub const PARAMETER_NAME: usize = 20;
}

/// A template message to send.
///
/// ```
/// use meta_messaging::whatsapp::template::{Parameter, Template};
///
/// let template = Template::new("order_update", "en_US")
///     .header([Parameter::image_link("https://example.com/parcel.jpg")])
///     .body([Parameter::text("Jessica"), Parameter::currency("$100.99", "USD", 100_990)])
///     .quick_reply_button(0, "STOP")
///     .url_button(1, "order/8841");
/// assert!(template.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct Template {
    name: String,
    language: String,
    components: Vec<Component>,
    body_only: bool,
}

/// A component of a template message with its parameters.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Component {
    /// Header parameters.
    Header(Vec<Parameter>),
    /// Body parameters.
    Body(Vec<Parameter>),
    /// A button's parameters, by position.
    Button {
        /// `quick_reply`, `url`, `copy_code`, `flow`, `catalog`, `mpm`, ...
        sub_type: ButtonSubType,
        /// The button's position.
        index: u8,
        /// Its parameters.
        parameters: Vec<Parameter>,
    },
    /// Carousel cards.
    Carousel(Vec<Card>),
    /// A limited-time offer's expiry.
    LimitedTimeOffer {
        /// When the offer ends, Unix milliseconds.
        expiration_time_ms: i64,
    },
}

string_enum! {
    /// The sub-type of a template button.
    pub enum ButtonSubType {
        /// Quick reply (payload parameter).
        QuickReply = "quick_reply",
        /// URL with a dynamic suffix (text parameter).
        Url = "url",
        /// Copy code (coupon code parameter).
        CopyCode = "COPY_CODE",
        /// Flow (action parameter).
        Flow = "flow",
        /// Catalog (action parameter).
        Catalog = "catalog",
        /// Multi-product message (action parameter).
        Mpm = "mpm",
        /// Voice call.
        VoiceCall = "voice_call",
    }
}

/// A carousel card.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Card {
    /// Its position.
    pub card_index: u8,
    /// Its components (header, body, buttons).
    pub components: Vec<Component>,
}

impl Card {
    /// A card.
    pub fn new(card_index: u8, components: impl IntoIterator<Item = Component>) -> Self {
        Self { card_index, components: components.into_iter().collect() }
    }
}

/// A template parameter.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Parameter {
    /// For named parameters, the name (lowercase `a-z` and `_`, ≤ 20 characters).
    pub name: Option<String>,
    /// The value.
    pub value: ParameterValue,
}

/// The value of a template parameter.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParameterValue {
    /// Text.
    Text(String),
    /// Currency, with a fallback text.
    Currency {
        /// Shown where localisation fails.
        fallback_value: String,
        /// ISO 4217 code.
        code: String,
        /// The amount times 1000.
        amount_1000: i64,
    },
    /// Date and time, as text.
    DateTime {
        /// The text shown.
        fallback_value: String,
    },
    /// Image (header).
    Image(MediaSource),
    /// Video (header).
    Video(MediaSource),
    /// Document (header), with an optional file name.
    Document(MediaSource, Option<String>),
    /// Location (header).
    Location {
        /// Latitude.
        latitude: f64,
        /// Longitude.
        longitude: f64,
        /// Name (required).
        name: String,
        /// Address (required).
        address: String,
    },
    /// Quick-reply payload.
    Payload(String),
    /// Coupon code (copy-code button).
    CouponCode(String),
    /// Button action (`flow_token`, `flow_action_data`, `thumbnail_product_retailer_id`, ...).
    Action(serde_json::Value),
    /// A WhatsApp group, whose invite link Meta puts in the message (group invite templates).
    GroupId(String),
    /// Product (header of product templates).
    Product {
        /// Catalog.
        catalog_id: String,
        /// Product.
        product_retailer_id: String,
    },
}

impl Parameter {
    fn positional(value: ParameterValue) -> Self {
        Self { name: None, value }
    }

    /// A text parameter.
    pub fn text(text: impl Into<String>) -> Self {
        Self::positional(ParameterValue::Text(text.into()))
    }

    /// A currency parameter.
    pub fn currency(fallback_value: impl Into<String>, code: impl Into<String>, amount_1000: i64) -> Self {
        Self::positional(ParameterValue::Currency {
            fallback_value: fallback_value.into(),
            code: code.into(),
            amount_1000,
        })
    }

    /// A date-time parameter.
    pub fn date_time(fallback_value: impl Into<String>) -> Self {
        Self::positional(ParameterValue::DateTime { fallback_value: fallback_value.into() })
    }

    /// An image by link.
    pub fn image_link(url: impl Into<String>) -> Self {
        Self::positional(ParameterValue::Image(MediaSource::link(url)))
    }

    /// An image, video or document by source.
    pub fn image(source: impl Into<MediaSource>) -> Self {
        Self::positional(ParameterValue::Image(source.into()))
    }

    /// A video.
    pub fn video(source: impl Into<MediaSource>) -> Self {
        Self::positional(ParameterValue::Video(source.into()))
    }

    /// A document, with an optional file name.
    pub fn document(source: impl Into<MediaSource>, filename: Option<String>) -> Self {
        Self::positional(ParameterValue::Document(source.into(), filename))
    }

    /// A location header.
    pub fn location(
        latitude: f64,
        longitude: f64,
        name: impl Into<String>,
        address: impl Into<String>,
    ) -> Self {
        Self::positional(ParameterValue::Location {
            latitude,
            longitude,
            name: name.into(),
            address: address.into(),
        })
    }

    /// A quick-reply payload.
    pub fn payload(payload: impl Into<String>) -> Self {
        Self::positional(ParameterValue::Payload(payload.into()))
    }

    /// A coupon code.
    pub fn coupon_code(code: impl Into<String>) -> Self {
        Self::positional(ParameterValue::CouponCode(code.into()))
    }

    /// A button action.
    pub fn action(action: serde_json::Value) -> Self {
        Self::positional(ParameterValue::Action(action))
    }

    /// A group invite: Meta turns the group id into the group's invite link on delivery.
    pub fn group_id(group_id: impl Into<String>) -> Self {
        Self::positional(ParameterValue::GroupId(group_id.into()))
    }

    /// A product header.
    pub fn product(catalog_id: impl Into<String>, product_retailer_id: impl Into<String>) -> Self {
        Self::positional(ParameterValue::Product {
            catalog_id: catalog_id.into(),
            product_retailer_id: product_retailer_id.into(),
        })
    }

    /// Makes this a named parameter (`{{first_name}}` in the template).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn kind(&self) -> &'static str {
        match self.value {
            ParameterValue::Text(_) => "text",
            ParameterValue::Currency { .. } => "currency",
            ParameterValue::DateTime { .. } => "date_time",
            ParameterValue::Image(_) => "image",
            ParameterValue::Video(_) => "video",
            ParameterValue::Document(..) => "document",
            ParameterValue::Location { .. } => "location",
            ParameterValue::Payload(_) => "payload",
            ParameterValue::CouponCode(_) => "coupon_code",
            ParameterValue::Action(_) => "action",
            ParameterValue::Product { .. } => "product",
            ParameterValue::GroupId(_) => "group_id",
        }
    }
}

impl Serialize for Parameter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let kind = self.kind();
        map.serialize_entry("type", kind)?;
        if let Some(name) = &self.name {
            map.serialize_entry("parameter_name", name)?;
        }
        let source = |source: &MediaSource| match source {
            MediaSource::Id(id) => serde_json::json!({"id": id}),
            MediaSource::Link(link) => serde_json::json!({"link": link}),
        };
        match &self.value {
            ParameterValue::Text(text) => map.serialize_entry(kind, text)?,
            ParameterValue::Currency { fallback_value, code, amount_1000 } => map.serialize_entry(
                kind,
                &serde_json::json!({"fallback_value": fallback_value, "code": code, "amount_1000": amount_1000}),
            )?,
            ParameterValue::DateTime { fallback_value } => {
                map.serialize_entry(kind, &serde_json::json!({"fallback_value": fallback_value}))?;
            }
            ParameterValue::Image(s) | ParameterValue::Video(s) => map.serialize_entry(kind, &source(s))?,
            ParameterValue::Document(s, filename) => {
                let mut value = source(s);
                if let Some(filename) = filename {
                    value["filename"] = filename.clone().into();
                }
                map.serialize_entry(kind, &value)?;
            }
            ParameterValue::Location { latitude, longitude, name, address } => map.serialize_entry(
                kind,
                &serde_json::json!({"latitude": latitude, "longitude": longitude, "name": name, "address": address}),
            )?,
            ParameterValue::Payload(p) => map.serialize_entry(kind, p)?,
            ParameterValue::CouponCode(c) | ParameterValue::GroupId(c) => map.serialize_entry(kind, c)?,
            ParameterValue::Action(a) => map.serialize_entry(kind, a)?,
            ParameterValue::Product { catalog_id, product_retailer_id } => map.serialize_entry(
                kind,
                &serde_json::json!({"catalog_id": catalog_id, "product_retailer_id": product_retailer_id}),
            )?,
        }
        map.end()
    }
}

impl Serialize for Component {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Header(parameters) => {
                map.serialize_entry("type", "header")?;
                map.serialize_entry("parameters", parameters)?;
            }
            Self::Body(parameters) => {
                map.serialize_entry("type", "body")?;
                map.serialize_entry("parameters", parameters)?;
            }
            Self::Button { sub_type, index, parameters } => {
                map.serialize_entry("type", "button")?;
                map.serialize_entry("sub_type", sub_type)?;
                map.serialize_entry("index", index)?;
                map.serialize_entry("parameters", parameters)?;
            }
            Self::Carousel(cards) => {
                #[derive(Serialize)]
                struct CardBody<'a> {
                    card_index: u8,
                    components: &'a [Component],
                }
                map.serialize_entry("type", "carousel")?;
                let cards: Vec<CardBody<'_>> = cards
                    .iter()
                    .map(|c| CardBody { card_index: c.card_index, components: &c.components })
                    .collect();
                map.serialize_entry("cards", &cards)?;
            }
            Self::LimitedTimeOffer { expiration_time_ms } => {
                map.serialize_entry("type", "limited_time_offer")?;
                map.serialize_entry(
                    "parameters",
                    &serde_json::json!([{"type": "limited_time_offer", "limited_time_offer": {"expiration_time_ms": expiration_time_ms}}]),
                )?;
            }
        }
        map.end()
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("language", &serde_json::json!({ "code": self.language }))?;
        if !self.components.is_empty() {
            map.serialize_entry("components", &self.components)?;
        }
        map.end()
    }
}

impl Template {
    /// A template by name and language code (such as `en_US`).
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        Self { name: name.into(), language: language.into(), components: Vec::new(), body_only: false }
    }

    /// Declares that the template has a body and nothing else (no header, footer or buttons),
    /// which lets each body text parameter run to 32,768 characters instead of 1,024. Only the
    /// template's definition says so: a send carrying body parameters alone may still be for a
    /// template with a static header, footer or buttons.
    pub fn body_only(mut self) -> Self {
        self.body_only = true;
        self
    }

    /// Adds any component.
    pub fn component(mut self, component: Component) -> Self {
        self.components.push(component);
        self
    }

    /// Header parameters.
    pub fn header(self, parameters: impl IntoIterator<Item = Parameter>) -> Self {
        self.component(Component::Header(parameters.into_iter().collect()))
    }

    /// Body parameters.
    pub fn body(self, parameters: impl IntoIterator<Item = Parameter>) -> Self {
        self.component(Component::Body(parameters.into_iter().collect()))
    }

    /// A quick-reply button's payload.
    pub fn quick_reply_button(self, index: u8, payload: impl Into<String>) -> Self {
        self.component(Component::Button {
            sub_type: ButtonSubType::QuickReply,
            index,
            parameters: vec![Parameter::payload(payload)],
        })
    }

    /// A URL button's dynamic suffix.
    pub fn url_button(self, index: u8, suffix: impl Into<String>) -> Self {
        self.component(Component::Button {
            sub_type: ButtonSubType::Url,
            index,
            parameters: vec![Parameter::text(suffix)],
        })
    }

    /// A copy-code button's code.
    pub fn copy_code_button(self, index: u8, code: impl Into<String>) -> Self {
        self.component(Component::Button {
            sub_type: ButtonSubType::CopyCode,
            index,
            parameters: vec![Parameter::coupon_code(code)],
        })
    }

    /// A flow button's token and initial data.
    pub fn flow_button(
        self,
        index: u8,
        flow_token: impl Into<String>,
        flow_action_data: serde_json::Value,
    ) -> Self {
        self.component(Component::Button {
            sub_type: ButtonSubType::Flow,
            index,
            parameters: vec![Parameter::action({
                let mut action = serde_json::Map::new();
                action.insert("flow_token".to_owned(), flow_token.into().into());
                action.insert("flow_action_data".to_owned(), flow_action_data);
                action.into()
            })],
        })
    }

    /// An authentication (OTP) template: the code in the body and in the copy-code/one-tap URL
    /// button at index 0.
    pub fn one_time_password(
        name: impl Into<String>,
        language: impl Into<String>,
        code: impl Into<String>,
    ) -> Self {
        let code = code.into();
        Self::new(name, language).body([Parameter::text(code.clone())]).url_button(0, code)
    }

    /// Carousel cards.
    pub fn carousel(self, cards: impl IntoIterator<Item = Card>) -> Self {
        self.component(Component::Carousel(cards.into_iter().collect()))
    }

    /// The template name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the documented parameter rules: text lengths, named-parameter names, no mix of
    /// named and positional parameters, required location fields, card count.
    ///
    /// # Errors
    ///
    /// The first broken rule.
    pub fn validate(&self) -> Result<(), ValidationError> {
        not_empty("template.name", &self.name)?;
        not_empty("template.language.code", &self.language)?;
        let body_only = self.body_only;
        if body_only && self.components.iter().any(|c| !matches!(c, Component::Body(_))) {
            return Err(ValidationError::new(
                "template.components",
                Violation::Invalid("a body-only template takes body parameters only".into()),
            ));
        }
        let (mut named, mut positional) = (false, false);
        let mut check = |component: &Component| -> Result<(), ValidationError> {
            let (params, text_max, field): (&[Parameter], usize, &'static str) = match component {
                Component::Header(p) => {
                    (p, limits::HEADER_TEXT_PARAM, "template.components.header.parameters")
                }
                Component::Body(p) => (
                    p,
                    if body_only { limits::BODY_ONLY_TEXT_PARAM } else { limits::BODY_TEXT_PARAM },
                    "template.components.body.parameters",
                ),
                Component::Button { parameters, .. } => {
                    (parameters, usize::MAX, "template.components.button.parameters")
                }
                Component::Carousel(cards) => {
                    max_items("template.components.carousel.cards", cards.len(), limits::CAROUSEL_CARDS)?;
                    return Ok(());
                }
                Component::LimitedTimeOffer { .. } => return Ok(()),
            };
            // Meta's rule on mixing covers header text and body parameters only: button
            // parameters (payloads, URL suffixes, coupon codes, flow actions) and media headers
            // are never named.
            let counts_for_mix = matches!(component, Component::Header(_) | Component::Body(_));
            for p in params {
                let mixable = counts_for_mix && matches!(p.value, ParameterValue::Text(_));
                match &p.name {
                    Some(name) => {
                        named |= mixable;
                        let ok = !name.is_empty()
                            && name.len() <= limits::PARAMETER_NAME
                            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                        if !ok {
                            return Err(ValidationError::new(
                                "template.parameter_name",
                                Violation::Invalid("lowercase a-z and _, at most 20 characters".into()),
                            ));
                        }
                    }
                    None => positional |= mixable,
                }
                match &p.value {
                    ParameterValue::Text(text) => {
                        not_empty(field, text)?;
                        max_chars(field, text, text_max)?;
                    }
                    ParameterValue::Location { name, address, .. } => {
                        not_empty("template.components.header.parameters.location.name", name)?;
                        not_empty("template.components.header.parameters.location.address", address)?;
                    }
                    _ => {}
                }
            }
            Ok(())
        };
        for component in &self.components {
            check(component)?;
            if let Component::Carousel(cards) = component {
                for card in cards {
                    card.components.iter().try_for_each(&mut check)?;
                }
            }
        }
        if named && positional {
            return Err(ValidationError::new(
                "template.components",
                Violation::Invalid("do not mix named and positional parameters".into()),
            ));
        }
        Ok(())
    }
}

string_enum! {
    /// The review status of a template.
    pub enum TemplateStatus {
        /// Approved: can be sent.
        Approved = "APPROVED",
        /// In review.
        Pending = "PENDING",
        /// Rejected.
        Rejected = "REJECTED",
        /// Paused for low quality.
        Paused = "PAUSED",
        /// Disabled.
        Disabled = "DISABLED",
        /// Appealed.
        InAppeal = "IN_APPEAL",
        /// Being deleted.
        PendingDeletion = "PENDING_DELETION",
        /// Deleted.
        Deleted = "DELETED",
        /// Over the template limit.
        LimitExceeded = "LIMIT_EXCEEDED",
        /// Archived.
        Archived = "ARCHIVED",
    }
}

string_enum! {
    /// The category of a template.
    pub enum TemplateCategory {
        /// Marketing.
        Marketing = "MARKETING",
        /// Utility.
        Utility = "UTILITY",
        /// Authentication.
        Authentication = "AUTHENTICATION",
    }
}

string_enum! {
    /// A quality rating (templates and phone numbers).
    pub enum QualityRating {
        /// High.
        Green = "GREEN",
        /// Medium.
        Yellow = "YELLOW",
        /// Low.
        Red = "RED",
        /// Not rated yet.
        NotRated = "UNKNOWN",
    }
}

/// A template as returned by the management API.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MessageTemplate {
    /// Template id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Language code.
    #[serde(default)]
    pub language: Option<String>,
    /// Review status.
    #[serde(default)]
    pub status: Option<TemplateStatus>,
    /// Category.
    #[serde(default)]
    pub category: Option<TemplateCategory>,
    /// `positional` or `named`.
    #[serde(default)]
    pub parameter_format: Option<String>,
    /// Components, as Meta returns them.
    #[serde(default)]
    pub components: Vec<serde_json::Value>,
    /// Quality score.
    #[serde(default)]
    pub quality_score: Option<QualityScore>,
    /// Why it was rejected.
    #[serde(default)]
    pub rejected_reason: Option<String>,
}

/// A template's quality score.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct QualityScore {
    /// The score.
    #[serde(default)]
    pub score: Option<QualityRating>,
}

/// A template to create.
///
/// ```
/// use meta_messaging::whatsapp::template::{NewTemplate, TemplateCategory};
///
/// let template = NewTemplate::new("order_update", "en_US", TemplateCategory::Utility)
///     .component(serde_json::json!({"type": "BODY", "text": "Hi {{1}}, your order shipped.",
///                                    "example": {"body_text": [["Ana"]]}}));
/// assert!(template.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct NewTemplate {
    name: String,
    language: String,
    category: TemplateCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_send_ttl_seconds: Option<i64>,
    components: Vec<serde_json::Value>,
}

impl NewTemplate {
    /// A template with a name (lowercase letters, digits and `_`), language and category.
    pub fn new(name: impl Into<String>, language: impl Into<String>, category: TemplateCategory) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            category,
            parameter_format: None,
            message_send_ttl_seconds: None,
            components: Vec::new(),
        }
    }

    /// Adds a component in Meta's shape (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`).
    pub fn component(mut self, component: serde_json::Value) -> Self {
        self.components.push(component);
        self
    }

    /// Uses named parameters (`{{first_name}}`) instead of positional ones.
    pub fn named_parameters(mut self) -> Self {
        self.parameter_format = Some("named".to_owned());
        self
    }

    /// Does nothing: Meta dropped `allow_category_change` in April 2025 (it sets the category
    /// it finds right), so it is no longer sent.
    #[deprecated(
        since = "0.1.0",
        note = "Meta dropped allow_category_change in April 2025; it is no longer sent"
    )]
    pub fn allow_category_change(self, _allow: bool) -> Self {
        self
    }

    /// How long Meta keeps trying to deliver a message of this template before dropping it
    /// (`message_send_ttl_seconds`): authentication 30 to 900 seconds, utility 30 to 43,200,
    /// marketing 43,200 to 2,592,000 (Marketing Messages API sends only); `-1` means 30 days
    /// for authentication and utility.
    pub fn message_send_ttl(mut self, seconds: i64) -> Self {
        self.message_send_ttl_seconds = Some(seconds);
        self
    }

    /// Checks the name and that there is a body.
    ///
    /// # Errors
    ///
    /// The first broken rule.
    pub fn validate(&self) -> Result<(), ValidationError> {
        not_empty("name", &self.name)?;
        max_chars("name", &self.name, 512)?;
        if !self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(ValidationError::new(
                "name",
                Violation::Invalid("lowercase letters, digits and _ only".into()),
            ));
        }
        not_empty("language", &self.language)?;
        if let Some(ttl) = self.message_send_ttl_seconds {
            let allowed = match self.category {
                TemplateCategory::Authentication => ttl == -1 || (30..=900).contains(&ttl),
                TemplateCategory::Utility => ttl == -1 || (30..=43_200).contains(&ttl),
                TemplateCategory::Marketing => (43_200..=2_592_000).contains(&ttl),
                _ => true,
            };
            if !allowed {
                return Err(ValidationError::new(
                    "message_send_ttl_seconds",
                    Violation::Invalid("out of the category's range".into()),
                ));
            }
        }
        let has_body = self.components.iter().any(|c| {
            c.get("type").and_then(serde_json::Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("body"))
        });
        if !has_body {
            return Err(ValidationError::new(
                "components",
                Violation::Invalid("a BODY component is required".into()),
            ));
        }
        Ok(())
    }
}

/// The answer to a template creation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CreatedTemplate {
    /// Template id.
    #[serde(deserialize_with = "crate::graph::serde_util::string_or_integer")]
    pub id: String,
    /// Review status.
    #[serde(default)]
    pub status: Option<TemplateStatus>,
    /// Category (possibly changed by Meta).
    #[serde(default)]
    pub category: Option<TemplateCategory>,
}
