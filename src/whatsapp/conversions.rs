//! The Conversions API for business messaging: tell Meta which click-to-WhatsApp ad
//! conversations led to a purchase or a lead, per Meta's
//! [onboarding guide](https://developers.facebook.com/documentation/ads-commerce/conversions-api/business-messaging).
//! The ad click id (`ctwa_clid`) arrives on the user's first message
//! (`InboundMessage::referral`); the WABA's dataset is read (or created) with
//! [`WhatsAppBusinessAccount::dataset`]. Meta does not dedupe these events: send each once.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{WhatsAppBusinessAccount, request};
use crate::graph::serde_util::{null_as_default, opt_string_or_integer, string_enum};
use crate::graph::validate::not_empty;
use crate::graph::{GraphRequest, RequestSpec, ValidationError, Violation};

/// Events per request.
const EVENTS_MAX: usize = 1000;

string_enum! {
    /// What happened after the ad click.
    pub enum ConversionEventName {
        /// A purchase (needs a value and currency).
        Purchase = "Purchase",
        /// A lead.
        LeadSubmitted = "LeadSubmitted",
        /// Checkout started.
        InitiateCheckout = "InitiateCheckout",
        /// Added to cart.
        AddToCart = "AddToCart",
        /// Viewed a product.
        ViewContent = "ViewContent",
        /// Order created.
        OrderCreated = "OrderCreated",
        /// Order shipped.
        OrderShipped = "OrderShipped",
        /// Order delivered.
        OrderDelivered = "OrderDelivered",
        /// Order canceled.
        OrderCanceled = "OrderCanceled",
        /// Order returned.
        OrderReturned = "OrderReturned",
        /// Cart abandoned.
        CartAbandoned = "CartAbandoned",
        /// A qualified lead.
        QualifiedLead = "QualifiedLead",
        /// A rating given.
        RatingProvided = "RatingProvided",
        /// A review given.
        ReviewProvided = "ReviewProvided",
    }
}

/// One conversion of a click-to-WhatsApp conversation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ConversionEvent {
    /// What happened.
    pub event_name: ConversionEventName,
    /// When (Unix seconds; Meta refuses events over 7 days old).
    pub event_time: i64,
    /// The ad click id from the conversation's first message.
    pub ctwa_clid: String,
    /// The value and its ISO 4217 currency.
    pub value: Option<(f64, String)>,
}

impl ConversionEvent {
    /// `event_name` at `event_time` for the conversation the click `ctwa_clid` started.
    pub fn new(event_name: ConversionEventName, event_time: i64, ctwa_clid: impl Into<String>) -> Self {
        Self { event_name, event_time, ctwa_clid: ctwa_clid.into(), value: None }
    }

    /// A purchase worth `value` in `currency`.
    pub fn purchase(
        event_time: i64,
        ctwa_clid: impl Into<String>,
        value: f64,
        currency: impl Into<String>,
    ) -> Self {
        Self::new(ConversionEventName::Purchase, event_time, ctwa_clid).value(value, currency)
    }

    /// The event's value.
    #[must_use]
    pub fn value(mut self, value: f64, currency: impl Into<String>) -> Self {
        self.value = Some((value, currency.into()));
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("user_data.ctwa_clid", &self.ctwa_clid)?;
        if self.event_time <= 0 {
            return Err(ValidationError::new("event_time", Violation::Invalid("Unix seconds".into())));
        }
        match &self.value {
            Some((value, currency)) => {
                if !value.is_finite() || *value < 0.0 {
                    return Err(ValidationError::new(
                        "custom_data.value",
                        Violation::Invalid("0 or more".into()),
                    ));
                }
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(ValidationError::new(
                        "custom_data.currency",
                        Violation::Invalid("ISO 4217".into()),
                    ));
                }
                Ok(())
            }
            None if self.event_name == ConversionEventName::Purchase => {
                Err(ValidationError::new("custom_data", Violation::Missing))
            }
            None => Ok(()),
        }
    }

    fn to_json(&self, waba_id: &str) -> serde_json::Value {
        let mut event = json!({
            "event_name": self.event_name.as_str(),
            "event_time": self.event_time,
            "action_source": "business_messaging",
            "messaging_channel": "whatsapp",
            "user_data": {"whatsapp_business_account_id": waba_id, "ctwa_clid": self.ctwa_clid},
        });
        if let Some((value, currency)) = &self.value {
            event["custom_data"] = json!({"currency": currency, "value": value});
        }
        event
    }
}

/// The WABA's dataset for conversion events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Dataset {
    /// Its id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

/// Meta's answer to conversion events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EventsReceived {
    /// How many events Meta took.
    pub events_received: Option<u64>,
    /// Warnings about them.
    #[serde(deserialize_with = "null_as_default")]
    pub messages: Vec<serde_json::Value>,
    /// Meta's trace id.
    pub fbtrace_id: Option<String>,
}

impl WhatsAppBusinessAccount {
    /// The WABA's dataset for conversion events: created on the first call, the same id after
    /// (`POST /{waba-id}/dataset`).
    pub fn dataset(&self) -> GraphRequest<Dataset> {
        let mut spec = self.spec(Method::POST, "dataset");
        spec.idempotent = true;
        request(&self.client, spec)
    }

    /// Sends up to 1,000 conversion events of this WABA's click-to-WhatsApp conversations to
    /// `dataset_id` (`POST /{dataset-id}/events`); `partner_agent` names your platform.
    pub fn send_conversions(
        &self,
        dataset_id: &str,
        events: impl IntoIterator<Item = ConversionEvent>,
        partner_agent: Option<&str>,
    ) -> GraphRequest<EventsReceived> {
        let events: Vec<ConversionEvent> = events.into_iter().collect();
        let mut spec = RequestSpec::node(Method::POST, dataset_id, Some("events"));
        let check = if events.is_empty() || events.len() > EVENTS_MAX {
            Err(ValidationError::new("data", Violation::Invalid(format!("1 to {EVENTS_MAX} events").into())))
        } else {
            events.iter().try_for_each(ConversionEvent::validate)
        };
        if let Err(invalid) = check {
            spec.fail(invalid.into());
        }
        let data: Vec<serde_json::Value> = events.iter().map(|e| e.to_json(self.waba_id.as_str())).collect();
        let mut body = json!({ "data": data });
        if let Some(agent) = partner_agent {
            body["partner_agent"] = agent.into();
        }
        spec.set_json(&body);
        request(&self.client, spec)
    }
}
