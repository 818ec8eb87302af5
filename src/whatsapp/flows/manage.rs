//! The Flows management API: flows of a WABA, their Flow JSON, lifecycle, preview and metrics,
//! and the business public key the data endpoint's requests are encrypted with.

pub use meta_messaging_model::whatsapp::flows::{FlowId, FlowStatus};

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::graph::serde_util::string_enum;
use crate::graph::validate::not_empty;
use crate::graph::{Ack, GraphRequest, Multipart, Page, RequestSpec, ValidationError, Violation};
use crate::whatsapp::{WhatsApp, WhatsAppBusinessAccount, request};

string_enum! {
    /// What a Flow is for.
    pub enum FlowCategory {
        /// Sign up.
        SignUp = "SIGN_UP",
        /// Sign in.
        SignIn = "SIGN_IN",
        /// Appointment booking.
        AppointmentBooking = "APPOINTMENT_BOOKING",
        /// Lead generation.
        LeadGeneration = "LEAD_GENERATION",
        /// Contact us.
        ContactUs = "CONTACT_US",
        /// Customer support.
        CustomerSupport = "CUSTOMER_SUPPORT",
        /// Survey.
        Survey = "SURVEY",
        /// Shopping.
        Shopping = "SHOPPING",
        /// Anything else.
        Other = "OTHER",
    }
}

/// Where in the Flow JSON a validation error is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowErrorPointer {
    /// First line.
    pub line_start: Option<u32>,
    /// Last line.
    pub line_end: Option<u32>,
    /// First column.
    pub column_start: Option<u32>,
    /// Last column.
    pub column_end: Option<u32>,
    /// The JSON path (`screens[0].layout.children[0].type`).
    pub path: Option<String>,
}

/// A problem Meta found in a Flow JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowValidationError {
    /// The error (`INVALID_PROPERTY_VALUE`, ...).
    pub error: Option<String>,
    /// Its family (`FLOW_JSON_ERROR`, `JSON_SCHEMA_ERROR`, ...).
    pub error_type: Option<String>,
    /// What is wrong.
    pub message: Option<String>,
    /// First line.
    pub line_start: Option<u32>,
    /// Last line.
    pub line_end: Option<u32>,
    /// First column.
    pub column_start: Option<u32>,
    /// Last column.
    pub column_end: Option<u32>,
    /// Every place the error points at.
    pub pointers: Vec<FlowErrorPointer>,
}

/// A Flow's web preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowPreview {
    /// The link (valid 30 days).
    pub preview_url: Option<String>,
    /// When it expires (ISO 8601).
    pub expires_at: Option<String>,
}

/// A Flow as Meta describes it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowInfo {
    /// Its id.
    pub id: Option<FlowId>,
    /// Its name.
    pub name: Option<String>,
    /// Its status.
    pub status: Option<FlowStatus>,
    /// Its categories.
    pub categories: Vec<FlowCategory>,
    /// Problems in its Flow JSON.
    pub validation_errors: Vec<FlowValidationError>,
    /// The Flow JSON version.
    pub json_version: Option<String>,
    /// The data endpoint's API version.
    pub data_api_version: Option<String>,
    /// Its data endpoint.
    pub endpoint_uri: Option<String>,
    /// Its preview, when asked for.
    pub preview: Option<FlowPreview>,
    /// Whether it can be sent, per entity (`AVAILABLE`, `LIMITED`, `BLOCKED`), as Meta sends it.
    pub health_status: Option<serde_json::Value>,
}

/// The fields [`WhatsAppBusinessAccount::flow`] reads.
pub const FLOW_FIELDS: &str = "id,name,categories,preview,status,validation_errors,json_version,data_api_version,endpoint_uri,health_status";

/// A Flow to create: new, or a clone of another.
///
/// ```
/// use meta_messaging::whatsapp::flows::{FlowCategory, NewFlow};
///
/// let flow = NewFlow::new("appointment_booking_v1", [FlowCategory::AppointmentBooking])
///     .endpoint_uri("https://flows.example.com/endpoint");
/// # let _ = flow;
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct NewFlow {
    name: String,
    categories: Vec<FlowCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_json: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    publish: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    clone_flow_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_uri: Option<String>,
}

impl NewFlow {
    /// A Flow named `name` (unique in the WABA) in at least one category.
    pub fn new(name: impl Into<String>, categories: impl IntoIterator<Item = FlowCategory>) -> Self {
        Self {
            name: name.into(),
            categories: categories.into_iter().collect(),
            flow_json: None,
            publish: false,
            clone_flow_id: None,
            endpoint_uri: None,
        }
    }

    /// Its Flow JSON, uploaded with the creation (validation errors come back in the answer).
    pub fn flow_json(mut self, flow_json: impl Into<String>) -> Self {
        self.flow_json = Some(flow_json.into());
        self
    }

    /// Publishes it at once (needs a valid Flow JSON).
    pub fn publish(mut self) -> Self {
        self.publish = true;
        self
    }

    /// Starts from a copy of another Flow.
    pub fn clone_of(mut self, flow_id: impl Into<FlowId>) -> Self {
        self.clone_flow_id = Some(flow_id.into().into_string());
        self
    }

    /// Its data endpoint.
    pub fn endpoint_uri(mut self, uri: impl Into<String>) -> Self {
        self.endpoint_uri = Some(uri.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("name", &self.name)?;
        if self.categories.is_empty() {
            return Err(ValidationError::new("categories", Violation::Missing));
        }
        if self.publish && self.flow_json.is_none() {
            return Err(ValidationError::new("publish", Violation::Invalid("needs a flow_json".into())));
        }
        Ok(())
    }
}

/// Changes to a Flow's metadata (only what is set is sent).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct FlowUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<Vec<FlowCategory>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoint_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_id: Option<String>,
}

impl FlowUpdate {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// New categories (at least one).
    pub fn categories(mut self, categories: impl IntoIterator<Item = FlowCategory>) -> Self {
        self.categories = Some(categories.into_iter().collect());
        self
    }

    /// A new data endpoint.
    pub fn endpoint_uri(mut self, uri: impl Into<String>) -> Self {
        self.endpoint_uri = Some(uri.into());
        self
    }

    /// The app the endpoint belongs to.
    pub fn application_id(mut self, id: impl Into<String>) -> Self {
        self.application_id = Some(id.into());
        self
    }
}

/// The answer to a creation or a Flow JSON upload.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowSaved {
    /// The new Flow's id (creations only).
    pub id: Option<FlowId>,
    /// Whether Meta stored it (absent on a creation without Flow JSON).
    pub success: Option<bool>,
    /// Problems in the Flow JSON; a Flow with any cannot be published.
    pub validation_errors: Vec<FlowValidationError>,
}

/// A Flow's asset (its Flow JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowAsset {
    /// `flow.json`.
    pub name: Option<String>,
    /// `FLOW_JSON`.
    pub asset_type: Option<String>,
    /// Where to download it (short-lived).
    pub download_url: Option<String>,
}

string_enum! {
    /// A Flow endpoint metric.
    pub enum FlowMetricName {
        /// Requests sent to the endpoint.
        EndpointRequestCount = "ENDPOINT_REQUEST_COUNT",
        /// Failed requests, by error.
        EndpointRequestError = "ENDPOINT_REQUEST_ERROR",
        /// Share of failed requests.
        EndpointRequestErrorRate = "ENDPOINT_REQUEST_ERROR_RATE",
        /// Latency buckets (seconds, rounded up).
        EndpointRequestLatencySecondsCeil = "ENDPOINT_REQUEST_LATENCY_SECONDS_CEIL",
        /// Health-check outcomes.
        EndpointAvailability = "ENDPOINT_AVAILABILITY",
    }
}

string_enum! {
    /// How metric data points are grouped.
    pub enum FlowMetricGranularity {
        /// One point a day.
        Day = "DAY",
        /// One point an hour.
        Hour = "HOUR",
        /// One point for the whole range.
        Lifetime = "LIFETIME",
    }
}

/// One value of a metric data point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowMetricValue {
    /// What it counts (`value`, an error name, a latency bucket, `succeeded`...).
    pub key: Option<String>,
    /// The value (Meta sends some as strings).
    #[serde(deserialize_with = "crate::graph::serde_util::opt_f64_lenient")]
    pub value: Option<f64>,
}

/// A metric data point.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowMetricPoint {
    /// When (ISO 8601).
    pub timestamp: Option<String>,
    /// Its values.
    pub data: Vec<FlowMetricValue>,
}

/// A Flow metric over a range.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowMetric {
    /// The metric.
    pub name: Option<FlowMetricName>,
    /// Its granularity.
    pub granularity: Option<FlowMetricGranularity>,
    /// Its points.
    pub data_points: Vec<FlowMetricPoint>,
}

/// The answer of [`WhatsAppBusinessAccount::flow_metric`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowMetricAnswer {
    /// The Flow.
    pub id: Option<FlowId>,
    /// The metric.
    pub metric: FlowMetric,
}

/// The business public key registered for a phone number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BusinessPublicKey {
    /// The PEM (Meta's answer may leave it out).
    pub business_public_key: Option<String>,
    /// `VALID`, or `MISMATCH` when the key changed since it was signed.
    pub business_public_key_signature_status: Option<String>,
}

/// `{"data": [key]}`, or the key itself (older answers).
#[derive(Deserialize)]
#[serde(untagged)]
enum KeyAnswer {
    Wrapped { data: Vec<BusinessPublicKey> },
    Flat(BusinessPublicKey),
}

impl<'de> Deserialize<'de> for BusinessPublicKeyAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(match KeyAnswer::deserialize(d)? {
            KeyAnswer::Wrapped { data } => data.into_iter().next(),
            KeyAnswer::Flat(key) => Some(key),
        }))
    }
}

/// The answer of [`WhatsApp::business_public_key`]: the key, if one is registered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BusinessPublicKeyAnswer(pub Option<BusinessPublicKey>);

fn flow_spec(method: Method, flow_id: &FlowId, edge: Option<&str>) -> RequestSpec {
    RequestSpec::node(method, flow_id.as_str(), edge)
}

impl WhatsAppBusinessAccount {
    /// The WABA's Flows, paged.
    pub fn flows(&self) -> GraphRequest<Page<FlowInfo>> {
        request(&self.client, self.spec(Method::GET, "flows"))
    }

    /// Creates a Flow (or a clone); answers its id and, with Flow JSON, its validation errors.
    pub fn create_flow(&self, flow: &NewFlow) -> GraphRequest<FlowSaved> {
        let mut spec = self.spec(Method::POST, "flows");
        spec.set_json(flow);
        if let Err(invalid) = flow.validate() {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    /// A Flow ([`FLOW_FIELDS`]).
    pub fn flow(&self, flow_id: impl Into<FlowId>) -> GraphRequest<FlowInfo> {
        let mut spec = flow_spec(Method::GET, &flow_id.into(), None);
        spec.query.push(("fields".into(), FLOW_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// Updates a Flow's metadata.
    pub fn update_flow(&self, flow_id: impl Into<FlowId>, update: &FlowUpdate) -> GraphRequest<Ack> {
        let mut spec = flow_spec(Method::POST, &flow_id.into(), None);
        spec.set_json(update);
        if update.categories.as_ref().is_some_and(Vec::is_empty) {
            spec.fail(ValidationError::new("categories", Violation::Missing).into());
        }
        request(&self.client, spec)
    }

    /// Uploads a Flow's JSON (`flow.json`, ≤ 10 MB); answers Meta's validation errors.
    pub fn upload_flow_json(
        &self,
        flow_id: impl Into<FlowId>,
        flow_json: impl Into<String>,
    ) -> GraphRequest<FlowSaved> {
        let json = flow_json.into();
        let mut spec = flow_spec(Method::POST, &flow_id.into(), Some("assets"));
        if json.len() > 10 * 1024 * 1024 {
            spec.fail(ValidationError::new("file", Violation::Invalid("larger than 10 MB".into())).into());
        }
        let form = Multipart::new().text("name", "flow.json").text("asset_type", "FLOW_JSON").file(
            "file",
            json.into_bytes(),
            Some("flow.json".to_owned()),
            "application/json",
        );
        request::<FlowSaved>(&self.client, spec).multipart(form)
    }

    /// A Flow's assets (its Flow JSON, with a download link).
    pub fn flow_assets(&self, flow_id: impl Into<FlowId>) -> GraphRequest<Page<FlowAsset>> {
        request(&self.client, flow_spec(Method::GET, &flow_id.into(), Some("assets")))
    }

    /// Publishes a Flow (it can no longer be edited).
    pub fn publish_flow(&self, flow_id: impl Into<FlowId>) -> GraphRequest<Ack> {
        request(&self.client, flow_spec(Method::POST, &flow_id.into(), Some("publish")))
    }

    /// Deprecates a published Flow.
    pub fn deprecate_flow(&self, flow_id: impl Into<FlowId>) -> GraphRequest<Ack> {
        request(&self.client, flow_spec(Method::POST, &flow_id.into(), Some("deprecate")))
    }

    /// Deletes a draft Flow.
    pub fn delete_flow(&self, flow_id: impl Into<FlowId>) -> GraphRequest<Ack> {
        request(&self.client, flow_spec(Method::DELETE, &flow_id.into(), None))
    }

    /// A Flow's preview link (in [`FlowInfo::preview`]); `invalidate` asks for a new one (the
    /// old one stops working).
    pub fn flow_preview(&self, flow_id: impl Into<FlowId>, invalidate: bool) -> GraphRequest<FlowInfo> {
        let mut spec = flow_spec(Method::GET, &flow_id.into(), None);
        spec.query.push(("fields".into(), format!("preview.invalidate({invalidate})")));
        request(&self.client, spec)
    }

    /// A Flow endpoint metric between two dates (`YYYY-MM-DD`). Meta announced the metrics API's
    /// deprecation for 2026-04-30; Flows with fewer than 250 requests get an error.
    #[allow(clippy::needless_pass_by_value)] // owned like every other argument
    pub fn flow_metric(
        &self,
        flow_id: impl Into<FlowId>,
        name: FlowMetricName,
        granularity: FlowMetricGranularity,
        since: &str,
        until: &str,
    ) -> GraphRequest<FlowMetricAnswer> {
        let mut spec = flow_spec(Method::GET, &flow_id.into(), None);
        let field = format!(
            "metric.name({}).granularity({}).since({since}).until({until})",
            name.as_str(),
            granularity.as_str()
        );
        spec.query.push(("fields".into(), field));
        request(&self.client, spec)
    }
}

impl WhatsApp {
    /// Registers the business public key (PEM, RSA 2048) the Flows client encrypts requests
    /// to the data endpoint with; replaces any earlier key.
    pub fn set_business_public_key(&self, public_key_pem: impl Into<String>) -> GraphRequest<Ack> {
        let pem = public_key_pem.into();
        let mut spec = self.spec(Method::POST, Some("whatsapp_business_encryption"));
        if !pem.contains("-----BEGIN PUBLIC KEY-----") {
            spec.fail(
                ValidationError::new("business_public_key", Violation::Invalid("a PEM public key".into()))
                    .into(),
            );
        }
        request::<Ack>(&self.client, spec).multipart(Multipart::new().text("business_public_key", pem))
    }

    /// The registered business public key and its signature status.
    pub fn business_public_key(&self) -> GraphRequest<BusinessPublicKeyAnswer> {
        request(&self.client, self.spec(Method::GET, Some("whatsapp_business_encryption")))
    }
}
