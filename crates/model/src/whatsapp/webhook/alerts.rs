//! Flows alerts, account alerts, partner solutions, payment configurations and automatic
//! (click-to-WhatsApp) events: the management fields beside `account_update`.
//!
//! Shapes from Meta's references:
//! [Flows webhooks](https://developers.facebook.com/documentation/business-messaging/whatsapp/flows/guides/flowswebhooks),
//! [`account_alerts`](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_alerts),
//! [`partner_solutions`](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/partner_solutions),
//! [`payment_configuration_update`](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/payment_configuration_update),
//! [`automatic_events`](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/automatic_events).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::messages::Metadata;
use crate::Timestamp;
use crate::graph::serde_util::{
    null_as_default, opt_f64_lenient, opt_integer_or_string, opt_string_or_integer, string_enum,
};
use crate::whatsapp::MessageId;
use crate::whatsapp::flows::{FlowId, FlowStatus};

string_enum! {
    /// The event of a `flows` webhook.
    pub enum FlowWebhookEvent {
        /// The Flow's status changed (or it was created: no `old_status`).
        FlowStatusChange = "FLOW_STATUS_CHANGE",
        /// The error rate of requests from the WhatsApp client crossed a threshold.
        ClientErrorRate = "CLIENT_ERROR_RATE",
        /// The error rate of the Flow's endpoint crossed a threshold.
        EndpointErrorRate = "ENDPOINT_ERROR_RATE",
        /// The endpoint's p90 latency crossed a threshold.
        EndpointLatency = "ENDPOINT_LATENCY",
        /// The endpoint's availability fell below (or recovered above) a threshold.
        EndpointAvailability = "ENDPOINT_AVAILABILITY",
        /// The Flow's version will freeze or expire soon.
        FlowVersionExpiryWarning = "FLOW_VERSION_EXPIRY_WARNING",
    }
}

string_enum! {
    /// Whether a Flows alert fired or cleared.
    pub enum AlertState {
        /// The threshold was crossed.
        Activated = "ACTIVATED",
        /// The metric is back within the threshold.
        Deactivated = "DEACTIVATED",
    }
}

/// `flows`: a Flow's status changed, or one of its health alerts fired or cleared.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowsUpdate {
    /// What happened.
    pub event: Option<FlowWebhookEvent>,
    /// Meta's description.
    pub message: Option<String>,
    /// The Flow.
    pub flow_id: Option<FlowId>,
    /// The status before (`FLOW_STATUS_CHANGE`; absent on creation).
    pub old_status: Option<FlowStatus>,
    /// The status now (`FLOW_STATUS_CHANGE`).
    pub new_status: Option<FlowStatus>,
    /// Fired or cleared (alerts).
    pub alert_state: Option<AlertState>,
    /// The threshold crossed: percent for error rates and availability, milliseconds for
    /// latency.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub threshold: Option<f64>,
    /// Overall error rate, percent (`CLIENT_ERROR_RATE`, `ENDPOINT_ERROR_RATE`).
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub error_rate: Option<f64>,
    /// The errors behind the rate.
    #[serde(deserialize_with = "null_as_default")]
    pub errors: Vec<FlowErrorShare>,
    /// Median latency, milliseconds (`ENDPOINT_LATENCY`).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub p50_latency: Option<i64>,
    /// p90 latency, milliseconds (`ENDPOINT_LATENCY`).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub p90_latency: Option<i64>,
    /// Requests the metric was computed over.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub requests_count: Option<i64>,
    /// Availability, percent (`ENDPOINT_AVAILABILITY`).
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub availability: Option<f64>,
    /// A warning (version freeze or expiry; sometimes on creation).
    pub warning: Option<String>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One error type's share of a Flows error rate.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FlowErrorShare {
    /// `INVALID_SCREEN_TRANSITION`, `PUBLIC_KEY_MISSING`, `CAPABILITY_ERROR`, `TIMEOUT`, ...
    pub error_type: Option<String>,
    /// Its share, percent.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub error_rate: Option<f64>,
    /// How many.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub error_count: Option<i64>,
}

/// `account_alerts`: an alert about the business portfolio or a phone number.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountAlert {
    /// `BUSINESS`, `PHONE_NUMBER`, `CURRENT_STATUS_ID`.
    pub entity_type: Option<String>,
    /// The business portfolio or phone-number id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub entity_id: Option<String>,
    /// The alert.
    pub alert_info: Option<AlertInfo>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The alert of an [`AccountAlert`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AlertInfo {
    /// `CRITICAL`, `INFORMATIONAL`, `WARNING`.
    pub alert_severity: Option<String>,
    /// `ACTIVE`, `NONE`.
    pub alert_status: Option<String>,
    /// `INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED`, `OBA_APPROVED`, `PROFILE_PICTURE_LOST`, ...
    pub alert_type: Option<String>,
    /// Meta's description.
    pub alert_description: Option<String>,
}

/// `partner_solutions`: a multi-partner solution created or updated (the entry's id is the
/// business portfolio).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PartnerSolutionUpdate {
    /// `SOLUTION_CREATED`, `SOLUTION_UPDATED`.
    pub event: Option<String>,
    /// The solution.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub solution_id: Option<String>,
    /// `ACTIVE`, `DEACTIVATED`, `DRAFT`, `INITIATED`, `PENDING_DEACTIVATION`, `REJECTED`.
    pub solution_status: Option<String>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `payment_configuration_update`: a payment gateway configuration (Payments API, India)
/// connected, disconnected or activated.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PaymentConfigurationUpdate {
    /// The name used in `order_details` messages.
    pub configuration_name: Option<String>,
    /// `billdesk`, `payu`, `razorpay`, `zaakpay`.
    pub provider_name: Option<String>,
    /// The gateway's merchant account id.
    pub provider_mid: Option<String>,
    /// `Active`, `Needs Connecting`, `Needs Testing` (as Meta spells them).
    pub status: Option<String>,
    /// When the configuration was created.
    pub created_timestamp: Option<Timestamp>,
    /// When it last changed.
    pub updated_timestamp: Option<Timestamp>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PaymentConfigurationUpdate {
    /// [`status`](Self::status), typed.
    pub fn state(&self) -> Option<super::PaymentConfigurationStatus> {
        self.status.as_deref().map(super::PaymentConfigurationStatus::parse)
    }
}

/// `automatic_events`: purchases and leads Meta detected in click-to-WhatsApp conversations.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AutomaticEvents {
    /// The business number.
    pub metadata: Option<Metadata>,
    /// The events.
    #[serde(deserialize_with = "null_as_default")]
    pub automatic_events: Vec<AutomaticEvent>,
}

/// One detected event.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AutomaticEvent {
    /// The message it was detected in.
    pub id: Option<MessageId>,
    /// `LeadSubmitted`, `Purchase`.
    pub event_name: Option<String>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// The click-to-WhatsApp ad click id.
    pub ctwa_clid: Option<String>,
    /// Purchase amount.
    pub custom_data: Option<PurchaseData>,
}

/// The amount of a detected purchase.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PurchaseData {
    /// ISO 4217.
    pub currency: Option<String>,
    /// The amount.
    #[serde(deserialize_with = "opt_f64_lenient")]
    pub value: Option<f64>,
}
