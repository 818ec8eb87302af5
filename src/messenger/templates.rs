//! Utility templates of a Page: search Meta's template library, clone a library template or
//! create one of the Page's own, list them. Meta approves utility templates within seconds;
//! send one with [`Message::utility_template`](super::message::Message::utility_template).
//! Per Meta's [utility messages](https://developers.facebook.com/docs/messenger-platform/send-messages/utility-messages)
//! guide; needs the `page_utility_messaging` permission.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::Messenger;
use crate::graph::serde_util::opt_string_or_integer;
use crate::graph::validate::not_empty;
use crate::graph::{GraphRequest, Page, RequestSpec};

/// A template of Meta's library or of the Page, as listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UtilityTemplateInfo {
    /// Its id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Its name (clone a library template by this name).
    pub name: Option<String>,
    /// Its language.
    pub language: Option<String>,
    /// `UTILITY`.
    pub category: Option<String>,
    /// Approval status (`APPROVED`, ...), for the Page's own templates.
    pub status: Option<String>,
    /// Library topic (`ORDER_MANAGEMENT`, ...).
    pub topic: Option<String>,
    /// Library use case (`DELIVERY_CONFIRMATION`, ...).
    pub usecase: Option<String>,
    /// Industries it suits.
    pub industry: Vec<String>,
    /// Body text with its placeholders.
    pub body: Option<String>,
    /// Example values of the body parameters.
    pub body_params: Vec<String>,
    /// Types of the body parameters (`TEXT`, ...).
    pub body_param_types: Vec<String>,
    /// Buttons, as Meta describes them.
    pub buttons: Vec<serde_json::Value>,
}

/// A template the Page creates: its own components, or a clone of a library template.
///
/// ```
/// use meta_messaging::messenger::templates::NewUtilityTemplate;
/// use serde_json::json;
///
/// let own = NewUtilityTemplate::new("order_delivery_update", "en").component(json!({
///     "type": "BODY",
///     "text": "Good news! Your order #{{1}} is on its way.",
///     "example": {"body_text": [["566701"]]}
/// }));
/// let cloned = NewUtilityTemplate::from_library("order_confirmation", "en_US", "order_confirmation_1");
/// # let _ = (own, cloned);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct NewUtilityTemplate {
    name: String,
    language: String,
    category: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    library_template_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    library_template_body_inputs: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    library_template_button_inputs: Vec<serde_json::Value>,
}

impl NewUtilityTemplate {
    /// A template of the Page's own: add its components (`HEADER`, `BODY`, `BUTTONS`, with
    /// examples for every placeholder) in Meta's shape.
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            category: "UTILITY",
            parameter_format: None,
            components: Vec::new(),
            library_template_name: None,
            library_template_body_inputs: Vec::new(),
            library_template_button_inputs: Vec::new(),
        }
    }

    /// A clone of the library template `library_template_name`.
    pub fn from_library(
        name: impl Into<String>,
        language: impl Into<String>,
        library_template_name: impl Into<String>,
    ) -> Self {
        let mut template = Self::new(name, language);
        template.library_template_name = Some(library_template_name.into());
        template
    }

    /// Adds a component (`{"type": "BODY", "text": ..., "example": ...}`).
    pub fn component(mut self, component: serde_json::Value) -> Self {
        self.components.push(component);
        self
    }

    /// Uses named parameters (`{{order_id}}`) instead of positional ones.
    pub fn named_parameters(mut self) -> Self {
        self.parameter_format = Some("NAMED");
        self
    }

    /// A library clone's body input (`{"type": "body", "text": ...}`).
    pub fn body_input(mut self, input: serde_json::Value) -> Self {
        self.library_template_body_inputs.push(input);
        self
    }

    /// A library clone's button input (`{"type": "URL", "text": ..., "url": {"base_url": ...}}`).
    pub fn button_input(mut self, input: serde_json::Value) -> Self {
        self.library_template_button_inputs.push(input);
        self
    }

    fn validate(&self) -> Result<(), crate::graph::ValidationError> {
        not_empty("name", &self.name)?;
        not_empty("language", &self.language)?;
        if self.library_template_name.is_none() && self.components.is_empty() {
            return Err(crate::graph::ValidationError::new(
                "components",
                crate::graph::Violation::Invalid("a template of the Page's own needs components".into()),
            ));
        }
        Ok(())
    }
}

/// The answer to a template creation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CreatedUtilityTemplate {
    /// Its id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// `APPROVED` within seconds, or another status.
    pub status: Option<String>,
    /// `UTILITY`.
    pub category: Option<String>,
}

impl Messenger {
    /// Searches Meta's utility template library by name or content
    /// (`GET /message_template_library`), optionally in one language.
    pub fn utility_template_library(
        &self,
        name_or_content: impl Into<String>,
        language: Option<&str>,
    ) -> GraphRequest<Page<UtilityTemplateInfo>> {
        let mut spec = RequestSpec::node(Method::GET, "message_template_library", None);
        spec.query.push(("name_or_content".into(), name_or_content.into()));
        if let Some(language) = language {
            spec.query.push(("language".into(), language.to_owned()));
        }
        self.target.request(spec)
    }

    /// The Page's utility templates, optionally those named `name`.
    pub fn utility_templates(&self, name: Option<&str>) -> GraphRequest<Page<UtilityTemplateInfo>> {
        let mut spec = self.target.spec(Method::GET, Some("message_templates"));
        if let Some(name) = name {
            spec.query.push(("name".into(), name.to_owned()));
        }
        self.target.request(spec)
    }

    /// Creates a utility template of the Page (`POST /{page-id}/message_templates`): its own
    /// components, or a clone of a library template.
    pub fn create_utility_template(
        &self,
        template: &NewUtilityTemplate,
    ) -> GraphRequest<CreatedUtilityTemplate> {
        let mut spec = self.target.spec(Method::POST, Some("message_templates"));
        spec.set_json(template);
        if let Err(invalid) = template.validate() {
            spec.fail(invalid.into());
        }
        self.target.request(spec)
    }
}
