//! Page utility templates as sent: a template approved for the Page, its parameters, sent with
//! `messaging_type: UTILITY` (Messenger's replacement for the retired message tags).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::graph::ValidationError;
use crate::graph::validate::not_empty;

/// A utility template to send, by name and language.
///
/// ```
/// use meta_messaging::messenger::message::{Message, UtilityTemplate};
///
/// let update = UtilityTemplate::new("order_delivery_update", "en")
///     .header_text("Order")
///     .body(["566701"])
///     .postback_button("TRACK_566701");
/// assert!(Message::utility_template(update).validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct UtilityTemplate {
    name: String,
    language: String,
    header: Vec<UtilityParameter>,
    body: Vec<UtilityParameter>,
    buttons: Vec<UtilityButton>,
}

/// A text parameter, positional or named.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UtilityParameter {
    /// The value.
    pub text: String,
    /// The name, for templates created with named parameters.
    pub name: Option<String>,
}

impl UtilityParameter {
    /// A named parameter (`{{order_id}}`).
    pub fn named(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self { text: text.into(), name: Some(name.into()) }
    }
}

impl<T: Into<String>> From<T> for UtilityParameter {
    fn from(text: T) -> Self {
        Self { text: text.into(), name: None }
    }
}

/// A button's parameter, in the order of the template's buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UtilityButton {
    /// A postback button's payload.
    Postback(String),
    /// A URL button's dynamic suffix.
    Url(String),
}

impl UtilityTemplate {
    /// A template by name and language code.
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            header: Vec::new(),
            body: Vec::new(),
            buttons: Vec::new(),
        }
    }

    /// The header's text parameter.
    pub fn header_text(mut self, text: impl Into<UtilityParameter>) -> Self {
        self.header = vec![text.into()];
        self
    }

    /// The body's parameters, in order.
    pub fn body<P: Into<UtilityParameter>>(mut self, parameters: impl IntoIterator<Item = P>) -> Self {
        self.body = parameters.into_iter().map(Into::into).collect();
        self
    }

    /// The next button's postback payload.
    pub fn postback_button(mut self, payload: impl Into<String>) -> Self {
        self.buttons.push(UtilityButton::Postback(payload.into()));
        self
    }

    /// The next button's URL suffix.
    pub fn url_button(mut self, suffix: impl Into<String>) -> Self {
        self.buttons.push(UtilityButton::Url(suffix.into()));
        self
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        not_empty("message.template.name", &self.name)?;
        not_empty("message.template.language.code", &self.language)
    }
}

struct Parameters<'a>(&'a [UtilityParameter]);

impl Serialize for Parameters<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|p| {
            let mut value = serde_json::json!({"type": "text", "text": p.text});
            if let Some(name) = &p.name {
                value["parameter_name"] = name.as_str().into();
            }
            value
        }))
    }
}

impl Serialize for UtilityTemplate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut components = Vec::new();
        if !self.header.is_empty() {
            components.push(serde_json::json!({"type": "header", "parameters": Parameters(&self.header)}));
        }
        if !self.body.is_empty() {
            components.push(serde_json::json!({"type": "body", "parameters": Parameters(&self.body)}));
        }
        if !self.buttons.is_empty() {
            let buttons: Vec<_> = self
                .buttons
                .iter()
                .map(|b| match b {
                    UtilityButton::Postback(payload) => {
                        serde_json::json!({"type": "POSTBACK", "payload": payload})
                    }
                    UtilityButton::Url(suffix) => serde_json::json!({"type": "URL", "url": suffix}),
                })
                .collect();
            components.push(serde_json::json!({"type": "buttons", "parameters": buttons}));
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("language", &serde_json::json!({ "code": self.language }))?;
        if !components.is_empty() {
            map.serialize_entry("components", &components)?;
        }
        map.end()
    }
}
