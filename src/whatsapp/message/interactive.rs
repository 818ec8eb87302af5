//! Interactive messages: reply buttons, lists, CTA URL, Flows, location requests, products,
//! call buttons and carousels.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::carousel::{Cards, Carousel, VoiceCall};
use super::limits;
use super::media::MediaSource;
use super::payments::{OrderDetails, OrderStatusUpdate};
use crate::graph::serde_util::string_enum;
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{ValidationError, Violation};

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
    /// Asks the user's permission to call them (`call_permission_request`, Calling API).
    CallPermissionRequest,
    /// A button that calls the business on WhatsApp (`voice_call`, Calling API).
    VoiceCall(VoiceCall),
    /// 2 to 10 media or product cards that scroll sideways (`carousel`).
    Carousel(Carousel),
    /// An order to review and pay (`order_details`, Payments API Brazil and India).
    OrderDetails(Box<OrderDetails>),
    /// An order's new state (`order_status`).
    OrderStatus(OrderStatusUpdate),
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
            Action::CallPermissionRequest => "call_permission_request",
            Action::VoiceCall(_) => "voice_call",
            Action::Carousel(_) => "carousel",
            Action::OrderDetails(_) => "order_details",
            Action::OrderStatus(_) => "order_status",
        }
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
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
        // A single product and a call permission request may go without a body.
        let needs_body = !matches!(self.action, Action::Product { .. } | Action::CallPermissionRequest);
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
            Action::VoiceCall(call) => call.validate(),
            Action::OrderDetails(details) => details.validate(),
            Action::OrderStatus(update) => update.validate(),
            Action::Carousel(carousel) => {
                if self.header.is_some() || self.footer.is_some() {
                    return Err(ValidationError::new(
                        "interactive",
                        Violation::Invalid("a carousel has a body and cards only".into()),
                    ));
                }
                carousel.validate()
            }
            Action::LocationRequest | Action::Catalog { .. } | Action::CallPermissionRequest => {
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
            Action::CallPermissionRequest => map.serialize_entry("name", "call_permission_request")?,
            Action::VoiceCall(call) => {
                map.serialize_entry("name", "voice_call")?;
                if *call != VoiceCall::default() {
                    map.serialize_entry("parameters", call)?;
                }
            }
            Action::Carousel(carousel) => map.serialize_entry("cards", &Cards(carousel))?,
            Action::OrderDetails(details) => {
                map.serialize_entry("name", "review_and_pay")?;
                map.serialize_entry("parameters", details)?;
            }
            Action::OrderStatus(update) => {
                map.serialize_entry("name", "review_order")?;
                map.serialize_entry("parameters", update)?;
            }
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
    /// A token you choose, returned in the flow response (optional: empty sends none).
    #[serde(skip_serializing_if = "String::is_empty")]
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

    /// Opens `screen` with `data` (a JSON object; `null` or `{}` sends no `data`, which Meta
    /// requires to be a non-empty object when present).
    #[must_use]
    pub fn navigate(mut self, screen: impl Into<String>, data: serde_json::Value) -> Self {
        self.flow_action = Some(FlowAction::Navigate);
        let mut payload = serde_json::Map::new();
        payload.insert("screen".to_owned(), screen.into().into());
        let empty = data.is_null() || data.as_object().is_some_and(serde_json::Map::is_empty);
        if !empty {
            payload.insert("data".to_owned(), data);
        }
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

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        const FIELD: &str = "interactive.action.parameters";
        let id = self.flow_id.as_deref().filter(|s| !s.is_empty());
        let name = self.flow_name.as_deref().filter(|s| !s.is_empty());
        if id.is_some() == name.is_some() {
            return Err(ValidationError::new(
                FIELD,
                Violation::Invalid("set exactly one of flow_id and flow_name".into()),
            ));
        }
        not_empty("interactive.action.parameters.flow_cta", &self.flow_cta)?;
        max_chars("interactive.action.parameters.flow_cta", &self.flow_cta, limits::CTA_TEXT)?;
        if let Some(data) = self.flow_action_payload.as_ref().and_then(|p| p.get("data")) {
            if !data.is_object() {
                return Err(ValidationError::new(
                    "interactive.action.parameters.flow_action_payload.data",
                    Violation::Invalid("must be a JSON object".into()),
                ));
            }
        }
        if self.flow_action_payload.is_some() && self.flow_action != Some(FlowAction::Navigate) {
            return Err(ValidationError::new(
                "interactive.action.parameters.flow_action_payload",
                Violation::Invalid("only for navigate".into()),
            ));
        }
        Ok(())
    }
}
