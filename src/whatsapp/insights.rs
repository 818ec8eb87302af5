//! More of a WABA's templates and its analytics: authentication templates upserted in several
//! languages, paused templates resumed, two templates compared, Meta's template library (search
//! and copy), and messaging, conversation, pricing and template analytics.
//!
//! Per Meta's [template](https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates)
//! and [analytics](https://developers.facebook.com/docs/whatsapp/business-management-api/analytics)
//! guides.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::template::CreatedTemplate;
use super::{TemplateId, WhatsAppBusinessAccount, request};
use crate::graph::serde_util::{opt_f64_lenient, opt_integer_or_string, opt_string_or_integer};
use crate::graph::validate::not_empty;
use crate::graph::{GraphRequest, Page, RequestSpec, ValidationError, Violation};

/// An authentication template created or updated in several languages at once.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct AuthenticationTemplate {
    name: String,
    languages: Vec<String>,
    category: &'static str,
    components: Vec<serde_json::Value>,
}

impl AuthenticationTemplate {
    /// A template named `name` in `languages`, with its components in Meta's shape (`BODY` with
    /// `add_security_recommendation`, `FOOTER` with `code_expiration_minutes`, `BUTTONS` with
    /// an `OTP` button).
    pub fn new(
        name: impl Into<String>,
        languages: impl IntoIterator<Item = impl Into<String>>,
        components: impl IntoIterator<Item = serde_json::Value>,
    ) -> Self {
        Self {
            name: name.into(),
            languages: languages.into_iter().map(Into::into).collect(),
            category: "AUTHENTICATION",
            components: components.into_iter().collect(),
        }
    }
}

/// One language of an upserted template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UpsertedTemplate {
    /// Its id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Its review status.
    pub status: Option<String>,
    /// Its language.
    pub language: Option<String>,
}

/// The answer to an unpause.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UnpauseAnswer {
    /// Whether it was resumed.
    pub success: Option<bool>,
    /// Why not, when it was not.
    pub reason: Option<String>,
}

/// A keyed value of a comparison or analytics point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct KeyedValue {
    /// The key (a template id, ...).
    pub key: Option<String>,
    /// A number, when it is one.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub value: Option<f64>,
}

/// One metric of a template comparison.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ComparisonMetric {
    /// `BLOCK_RATE`, `MESSAGE_SENDS`, `TOP_BLOCK_REASON`, ...
    pub metric: Option<String>,
    /// `RELATIVE`, `NUMBER_VALUES`, `STRING_VALUES`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Template ids, best first (relative metrics).
    pub order_by_relative_metric: Vec<String>,
    /// Numbers by template.
    pub number_values: Vec<KeyedValue>,
    /// Text by template, as Meta sends it.
    pub string_values: Vec<serde_json::Value>,
}

/// A template of Meta's library.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LibraryTemplate {
    /// Its id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Its name (copy it by this name).
    pub name: Option<String>,
    /// Its language.
    pub language: Option<String>,
    /// Its category.
    pub category: Option<String>,
    /// Its topic (`PAYMENTS`, ...).
    pub topic: Option<String>,
    /// Its use case (`LOW_BALANCE_WARNING`, ...).
    pub usecase: Option<String>,
    /// Industries it suits.
    pub industry: Vec<String>,
    /// Header text.
    pub header: Option<String>,
    /// Body text with placeholders.
    pub body: Option<String>,
    /// Example body parameters.
    pub body_params: Vec<String>,
    /// Buttons, as Meta describes them.
    pub buttons: Vec<serde_json::Value>,
}

/// A search of Meta's template library; unset filters are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct LibrarySearch {
    filters: Vec<(&'static str, String)>,
}

impl LibrarySearch {
    /// Every template.
    pub fn new() -> Self {
        Self::default()
    }

    fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.filters.push((key, value.into()));
        self
    }

    /// Templates whose text contains `text`.
    pub fn search(self, text: impl Into<String>) -> Self {
        self.with("search", text)
    }

    /// By topic (`ORDER_MANAGEMENT`, `PAYMENTS`, ...).
    pub fn topic(self, topic: impl Into<String>) -> Self {
        self.with("topic", topic)
    }

    /// By use case (`DELIVERY_UPDATE`, ...).
    pub fn usecase(self, usecase: impl Into<String>) -> Self {
        self.with("usecase", usecase)
    }

    /// By industry (`E_COMMERCE`, `FINANCIAL_SERVICES`).
    pub fn industry(self, industry: impl Into<String>) -> Self {
        self.with("industry", industry)
    }

    /// By language (`en_US`).
    pub fn language(self, language: impl Into<String>) -> Self {
        self.with("language", language)
    }
}

/// A copy of a library template into the WABA.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct LibraryTemplateCopy {
    name: String,
    language: String,
    category: String,
    library_template_name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    library_template_button_inputs: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    library_template_body_inputs: Option<serde_json::Value>,
}

impl LibraryTemplateCopy {
    /// A `UTILITY` copy of `library_template_name`, named `name`.
    pub fn new(
        name: impl Into<String>,
        language: impl Into<String>,
        library_template_name: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            category: "UTILITY".to_owned(),
            library_template_name: library_template_name.into(),
            library_template_button_inputs: Vec::new(),
            library_template_body_inputs: None,
        }
    }

    /// A button input (`{"type": "URL", "url": {"base_url": ..., "url_suffix_example": ...}}`).
    pub fn button_input(mut self, input: serde_json::Value) -> Self {
        self.library_template_button_inputs.push(input);
        self
    }

    /// Body inputs (`{"add_security_recommendation": true, ...}`).
    pub fn body_inputs(mut self, inputs: serde_json::Value) -> Self {
        self.library_template_body_inputs = Some(inputs);
        self
    }
}

/// A time range and grouping for analytics (Unix seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct AnalyticsRange {
    start: i64,
    end: i64,
    granularity: String,
    filters: Vec<String>,
}

impl AnalyticsRange {
    /// From `start` to `end` (Unix seconds) by `granularity` (`DAY`/`MONTH`/`HALF_HOUR` for
    /// messaging analytics; `DAILY`/`MONTHLY`/`HALF_HOUR` for conversation and pricing ones, as
    /// Meta spells them).
    pub fn new(start: i64, end: i64, granularity: impl Into<String>) -> Self {
        Self { start, end, granularity: granularity.into(), filters: Vec::new() }
    }

    /// Only these phone numbers (display numbers).
    pub fn phone_numbers(self, numbers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.list("phone_numbers", numbers)
    }

    /// Broken down by these dimensions (`COUNTRY`, `PHONE`, `PRICING_CATEGORY`, ...).
    pub fn dimensions(self, dimensions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.list("dimensions", dimensions)
    }

    /// Only these country codes.
    pub fn country_codes(self, codes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.list("country_codes", codes)
    }

    fn list(mut self, name: &str, items: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let quoted: Vec<String> =
            items.into_iter().map(|i| format!("\"{}\"", i.into().replace('"', ""))).collect();
        self.filters.push(format!("{name}([{}])", quoted.join(",")));
        self
    }

    fn field(&self, name: &str) -> String {
        let mut field =
            format!("{name}.start({}).end({}).granularity({})", self.start, self.end, self.granularity);
        for filter in &self.filters {
            field.push('.');
            field.push_str(filter);
        }
        field
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if self.end <= self.start {
            return Err(ValidationError::new("end", Violation::Invalid("after start".into())));
        }
        not_empty("granularity", &self.granularity)
    }
}

/// One analytics data point; which fields are set depends on the kind and dimensions.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AnalyticsPoint {
    /// Start (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub start: Option<i64>,
    /// End (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub end: Option<i64>,
    /// Messages sent.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub sent: Option<i64>,
    /// Messages delivered.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub delivered: Option<i64>,
    /// Conversations.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub conversation: Option<i64>,
    /// Messages billed (pricing analytics).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub volume: Option<i64>,
    /// Cost.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub cost: Option<f64>,
    /// Country dimension.
    pub country: Option<String>,
    /// Phone dimension.
    pub phone_number: Option<String>,
    /// Pricing category dimension.
    pub pricing_category: Option<String>,
    /// Pricing type dimension.
    pub pricing_type: Option<String>,
    /// Volume tier (`0:750000`).
    pub tier: Option<String>,
    /// Conversation category dimension.
    pub conversation_category: Option<String>,
    /// Conversation type dimension.
    pub conversation_type: Option<String>,
    /// Conversation direction dimension.
    pub conversation_direction: Option<String>,
}

/// Messaging analytics.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessagingAnalytics {
    /// The granularity.
    pub granularity: Option<String>,
    /// The points.
    pub data_points: Vec<AnalyticsPoint>,
}

/// Conversation or pricing analytics: groups of points.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupedAnalytics {
    /// The groups.
    pub data: Vec<MessagingAnalytics>,
}

/// The answer of an analytics read: the kind asked for is set.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AnalyticsAnswer {
    /// `analytics`.
    pub analytics: Option<MessagingAnalytics>,
    /// `conversation_analytics`.
    pub conversation_analytics: Option<GroupedAnalytics>,
    /// `pricing_analytics`.
    pub pricing_analytics: Option<GroupedAnalytics>,
}

/// Template analytics of one day and template.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateAnalyticsPoint {
    /// The template.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub template_id: Option<String>,
    /// Start (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub start: Option<i64>,
    /// End (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub end: Option<i64>,
    /// Sent.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub sent: Option<i64>,
    /// Delivered.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub delivered: Option<i64>,
    /// Read.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub read: Option<i64>,
    /// Button clicks, as Meta sends them.
    pub clicked: Vec<serde_json::Value>,
    /// Costs, as Meta sends them.
    pub cost: Vec<serde_json::Value>,
}

/// A group of template analytics points.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateAnalytics {
    /// The granularity.
    pub granularity: Option<String>,
    /// The points.
    pub data_points: Vec<TemplateAnalyticsPoint>,
}

/// The answer of [`WhatsAppBusinessAccount::enable_template_insights`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct InsightsEnabled {
    /// The WABA.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

impl WhatsAppBusinessAccount {
    /// Creates or updates an authentication template in several languages at once.
    pub fn upsert_authentication_template(
        &self,
        template: &AuthenticationTemplate,
    ) -> GraphRequest<Page<UpsertedTemplate>> {
        let mut spec = self.spec(Method::POST, "upsert_message_templates");
        spec.set_json(template);
        if template.languages.is_empty() {
            spec.fail(ValidationError::new("languages", Violation::Missing).into());
        }
        request(&self.client, spec)
    }

    /// Resumes a template Meta paused for low quality.
    pub fn unpause_template(&self, template_id: impl Into<TemplateId>) -> GraphRequest<UnpauseAnswer> {
        request(&self.client, RequestSpec::node(Method::POST, template_id.into().as_str(), Some("unpause")))
    }

    /// Compares two templates over 7, 30, 60 or 90 days ending at `end` (Unix seconds).
    pub fn compare_templates(
        &self,
        template_id: impl Into<TemplateId>,
        other_id: impl Into<TemplateId>,
        start: i64,
        end: i64,
    ) -> GraphRequest<Page<ComparisonMetric>> {
        let mut spec = RequestSpec::node(Method::GET, template_id.into().as_str(), Some("compare"));
        spec.query.push(("template_ids".into(), format!("[{}]", other_id.into().as_str())));
        spec.query.push(("start".into(), start.to_string()));
        spec.query.push(("end".into(), end.to_string()));
        if ![604_800, 2_592_000, 5_184_000, 7_776_000].contains(&(end - start)) {
            spec.fail(
                ValidationError::new("end", Violation::Invalid("7, 30, 60 or 90 days after start".into()))
                    .into(),
            );
        }
        request(&self.client, spec)
    }

    /// Searches Meta's template library.
    pub fn template_library(&self, search: &LibrarySearch) -> GraphRequest<Page<LibraryTemplate>> {
        let mut spec = RequestSpec::node(Method::GET, "message_template_library", None);
        for (key, value) in &search.filters {
            spec.query.push(((*key).into(), value.clone()));
        }
        request(&self.client, spec)
    }

    /// Copies a library template into the WABA (approved at once).
    pub fn create_template_from_library(&self, copy: &LibraryTemplateCopy) -> GraphRequest<CreatedTemplate> {
        let mut spec = self.spec(Method::POST, "message_templates");
        spec.set_json(copy);
        if let Err(invalid) = not_empty("name", &copy.name)
            .and_then(|()| not_empty("library_template_name", &copy.library_template_name))
        {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    fn analytics(&self, name: &str, range: &AnalyticsRange) -> GraphRequest<AnalyticsAnswer> {
        let mut spec = RequestSpec::node(Method::GET, self.waba_id.as_str(), None);
        spec.query.push(("fields".into(), range.field(name)));
        if let Err(invalid) = range.validate() {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    /// Messages sent and delivered (`analytics`).
    pub fn messaging_analytics(&self, range: &AnalyticsRange) -> GraphRequest<AnalyticsAnswer> {
        self.analytics("analytics", range)
    }

    /// Conversations and their cost (`conversation_analytics`).
    pub fn conversation_analytics(&self, range: &AnalyticsRange) -> GraphRequest<AnalyticsAnswer> {
        self.analytics("conversation_analytics", range)
    }

    /// Billed messages and their cost (`pricing_analytics`).
    pub fn pricing_analytics(&self, range: &AnalyticsRange) -> GraphRequest<AnalyticsAnswer> {
        self.analytics("pricing_analytics", range)
    }

    /// Daily analytics of up to 10 templates (insights must be on: see
    /// [`enable_template_insights`](Self::enable_template_insights)).
    pub fn template_analytics(
        &self,
        template_ids: impl IntoIterator<Item = impl Into<TemplateId>>,
        start: i64,
        end: i64,
    ) -> GraphRequest<Page<TemplateAnalytics>> {
        let ids: Vec<String> = template_ids.into_iter().map(|id| id.into().into_string()).collect();
        let mut spec = self.spec(Method::GET, "template_analytics");
        spec.query.push(("start".into(), start.to_string()));
        spec.query.push(("end".into(), end.to_string()));
        spec.query.push(("granularity".into(), "DAILY".to_owned()));
        spec.query.push(("template_ids".into(), format!("[{}]", ids.join(","))));
        if ids.is_empty() || ids.len() > 10 {
            spec.fail(
                ValidationError::new("template_ids", Violation::Invalid("1 to 10 templates".into())).into(),
            );
        }
        request(&self.client, spec)
    }

    /// Turns template analytics on for the WABA (Meta cannot turn them off again); answers the
    /// WABA's id.
    pub fn enable_template_insights(&self) -> GraphRequest<InsightsEnabled> {
        let mut spec = RequestSpec::node(Method::POST, self.waba_id.as_str(), None);
        spec.query.push(("is_enabled_for_insights".into(), "true".to_owned()));
        request(&self.client, spec)
    }
}
