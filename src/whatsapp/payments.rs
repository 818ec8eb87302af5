//! Payments API (India): a WABA's payment gateway configurations, and payment lookups and
//! refunds of orders sent with [`Message::order_details`](super::Message::order_details).
//!
//! From Meta's pages "Payments API: payment gateway integration" (lookup, refund) and
//! "Onboarding APIs" (configurations). Payment statuses arrive as webhooks
//! ([`Status::payment`](super::webhook::Status::payment)); a configuration's changes as
//! `payment_configuration_update` ([`PaymentConfigurationUpdate`](super::webhook::PaymentConfigurationUpdate)).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::webhook::{Amount, PaymentConfigurationStatus, PaymentTransaction, Refund};
use super::{WhatsApp, WhatsAppBusinessAccount, request};
use crate::graph::serde_util::{null_as_default, opt_integer_or_string, opt_string_or_integer, string_enum};
use crate::graph::validate::not_empty;
use crate::graph::{Ack, GraphRequest, ValidationError, Violation};

/// The only currency of Payments API India.
const INR: &str = "INR";

string_enum! {
    /// Who takes the payments of a configuration.
    pub enum PaymentProvider {
        /// UPI to the merchant's VPA, no gateway.
        UpiVpa = "upi_vpa",
        /// Razorpay.
        Razorpay = "razorpay",
        /// PayU.
        Payu = "payu",
        /// Zaakpay.
        Zaakpay = "zaakpay",
        /// BillDesk.
        Billdesk = "billdesk",
    }
}

string_enum! {
    /// How fast a refund should reach the user.
    pub enum RefundSpeed {
        /// Instant, where the gateway offers it.
        Instant = "instant",
        /// The gateway's normal speed.
        Normal = "normal",
    }
}

/// A code and what it means (merchant category, purpose).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CodeDescription {
    /// The code.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub code: Option<String>,
    /// What it means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A payment gateway configuration of a WABA.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PaymentConfiguration {
    /// Its name: the `payment_configuration` of `order_details` messages.
    pub configuration_name: Option<String>,
    /// The merchant category code.
    pub merchant_category_code: Option<CodeDescription>,
    /// The purpose code.
    pub purpose_code: Option<CodeDescription>,
    /// `Active`, `Needs_Connecting`, `Needs_Testing`; typed by [`state`](Self::state).
    pub status: Option<String>,
    /// The gateway's merchant id.
    pub provider_mid: Option<String>,
    /// The gateway.
    pub provider_name: Option<PaymentProvider>,
    /// The merchant's UPI address (`upi_vpa`).
    pub merchant_vpa: Option<String>,
    /// When it was created (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub created_timestamp: Option<i64>,
    /// When it last changed.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub updated_timestamp: Option<i64>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PaymentConfiguration {
    /// [`status`](Self::status), typed (either of Meta's spellings).
    pub fn state(&self) -> Option<PaymentConfigurationStatus> {
        self.status.as_deref().map(PaymentConfigurationStatus::parse)
    }
}

/// The configurations of an answer: Meta wraps them as `{"data": [{"payment_configurations": [..]}]}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(from = "ConfigurationPages")]
#[non_exhaustive]
pub struct PaymentConfigurations {
    /// Every configuration the answer held.
    pub configurations: Vec<PaymentConfiguration>,
}

#[derive(Deserialize)]
struct ConfigurationPages {
    #[serde(default, deserialize_with = "null_as_default")]
    data: Vec<ConfigurationPage>,
}

#[derive(Deserialize)]
struct ConfigurationPage {
    #[serde(default, deserialize_with = "null_as_default")]
    payment_configurations: Vec<PaymentConfiguration>,
}

impl From<ConfigurationPages> for PaymentConfigurations {
    fn from(pages: ConfigurationPages) -> Self {
        Self { configurations: pages.data.into_iter().flat_map(|p| p.payment_configurations).collect() }
    }
}

/// A configuration to create. A gateway configuration answers with an OAuth link the merchant
/// opens to connect the gateway account; `upi_vpa` needs the merchant's VPA instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewPaymentConfiguration {
    /// Its name (what `order_details` messages name).
    pub configuration_name: String,
    /// The gateway, or `upi_vpa`.
    pub provider_name: PaymentProvider,
    /// The purpose code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose_code: Option<String>,
    /// The merchant category code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_category_code: Option<String>,
    /// Where the gateway's OAuth flow returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The merchant's UPI address (required for `upi_vpa`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_vpa: Option<String>,
}

impl NewPaymentConfiguration {
    /// A configuration named `name` with `provider`.
    pub fn new(name: impl Into<String>, provider: PaymentProvider) -> Self {
        Self {
            configuration_name: name.into(),
            provider_name: provider,
            purpose_code: None,
            merchant_category_code: None,
            redirect_url: None,
            merchant_vpa: None,
        }
    }

    /// Sets the purpose code.
    #[must_use]
    pub fn purpose_code(mut self, code: impl Into<String>) -> Self {
        self.purpose_code = Some(code.into());
        self
    }

    /// Sets the merchant category code.
    #[must_use]
    pub fn merchant_category_code(mut self, code: impl Into<String>) -> Self {
        self.merchant_category_code = Some(code.into());
        self
    }

    /// Sets where the gateway's OAuth flow returns (`https`).
    #[must_use]
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// Sets the merchant's UPI address.
    #[must_use]
    pub fn merchant_vpa(mut self, vpa: impl Into<String>) -> Self {
        self.merchant_vpa = Some(vpa.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("configuration_name", &self.configuration_name)?;
        if let Some(url) = &self.redirect_url {
            if !url.starts_with("https://") {
                return Err(ValidationError::new("redirect_url", Violation::Invalid("an https URL".into())));
            }
        }
        match (&self.provider_name, &self.merchant_vpa) {
            (PaymentProvider::UpiVpa, None) => Err(ValidationError::new("merchant_vpa", Violation::Missing)),
            (PaymentProvider::UpiVpa, Some(vpa)) if !vpa.contains('@') => Err(ValidationError::new(
                "merchant_vpa",
                Violation::Invalid("a UPI address (name@bank)".into()),
            )),
            _ => Ok(()),
        }
    }
}

/// The answer to creating a configuration or regenerating its OAuth link.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PaymentConfigurationLink {
    /// Whether Meta took the request.
    pub success: Option<bool>,
    /// The link the merchant opens to connect the gateway account.
    pub oauth_url: Option<String>,
    /// When the link expires (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub expiration: Option<i64>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The payments of a lookup (`{"payments": [..]}`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PaymentLookup {
    /// The payments of the order.
    #[serde(deserialize_with = "null_as_default")]
    pub payments: Vec<OrderPayment>,
}

/// An order's payment, as the lookup answers it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct OrderPayment {
    /// The order's `reference_id`.
    pub reference_id: Option<String>,
    /// `pending` or `captured`.
    pub status: Option<String>,
    /// The amount due.
    pub amount: Option<Amount>,
    /// `INR`.
    pub currency: Option<String>,
    /// The gateway's transactions, each with its refunds.
    #[serde(deserialize_with = "null_as_default")]
    pub transactions: Vec<LookupTransaction>,
    /// Keys this version does not model (gateway pass-through fields), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl OrderPayment {
    /// Whether the payment was captured.
    pub fn is_captured(&self) -> bool {
        self.status.as_deref() == Some("captured")
    }
}

/// A transaction of a looked-up payment: the webhook's transaction, its amounts and refunds.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LookupTransaction {
    /// The gateway's side (ids, gateway, status, times, method, error).
    #[serde(flatten)]
    pub transaction: PaymentTransaction,
    /// What was paid.
    pub amount: Option<Amount>,
    /// What the order asked.
    pub order_amount: Option<Amount>,
    /// Its refunds.
    #[serde(deserialize_with = "null_as_default")]
    pub refunds: Vec<Refund>,
}

/// A refund to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentRefund {
    /// The order's `reference_id`.
    pub reference_id: String,
    /// The payment configuration the order was paid through (`payment_config_id`).
    pub payment_config_id: String,
    /// Hundredths of a rupee.
    pub amount: i64,
    /// How fast, if not the gateway's default.
    pub speed: Option<RefundSpeed>,
}

impl PaymentRefund {
    /// A refund of `amount` hundredths of a rupee of order `reference_id`.
    pub fn new(reference_id: impl Into<String>, payment_config_id: impl Into<String>, amount: i64) -> Self {
        Self {
            reference_id: reference_id.into(),
            payment_config_id: payment_config_id.into(),
            amount,
            speed: None,
        }
    }

    /// Sets the speed.
    #[must_use]
    pub fn speed(mut self, speed: RefundSpeed) -> Self {
        self.speed = Some(speed);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("reference_id", &self.reference_id)?;
        not_empty("payment_config_id", &self.payment_config_id)?;
        if self.amount <= 0 {
            return Err(ValidationError::new("amount.value", Violation::Invalid("must be above 0".into())));
        }
        Ok(())
    }

    /// The body as Meta's page shows it: the amount's numbers as strings, `offset` 100.
    fn to_json(&self) -> Value {
        let mut body = json!({
            "reference_id": self.reference_id,
            "payment_config_id": self.payment_config_id,
            "amount": {"currency": INR, "value": self.amount.to_string(), "offset": "100"},
        });
        if let Some(speed) = &self.speed {
            body["speed"] = speed.as_str().into();
        }
        body
    }
}

/// The answer to a refund: it settles later (`refunds` of a lookup, or a payment status).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RefundAccepted {
    /// The refund's id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// `pending`, `failed` or `completed`.
    pub status: Option<String>,
    /// `instant` or `normal`.
    pub speed_processed: Option<String>,
}

impl WhatsApp {
    /// Looks up the payment of order `reference_id` paid through `payment_configuration`
    /// (`GET /{phone-number-id}/payments/{configuration}/{reference-id}`).
    pub fn payment(&self, payment_configuration: &str, reference_id: &str) -> GraphRequest<PaymentLookup> {
        let mut spec = self.spec(Method::GET, Some("payments"));
        spec.push_segment("payment_configuration", payment_configuration);
        spec.push_segment("reference_id", reference_id);
        request(&self.client, spec)
    }

    /// Refunds (part of) a captured payment (`POST /{phone-number-id}/payments_refund`). Not
    /// retried on an ambiguous failure: look the payment up before asking again.
    pub fn refund_payment(&self, refund: &PaymentRefund) -> GraphRequest<RefundAccepted> {
        let mut spec = self.spec(Method::POST, Some("payments_refund"));
        if let Err(invalid) = refund.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(&refund.to_json());
        request(&self.client, spec)
    }
}

impl WhatsAppBusinessAccount {
    /// The WABA's payment configurations (`GET /{waba-id}/payment_configurations`).
    pub fn payment_configurations(&self) -> GraphRequest<PaymentConfigurations> {
        request(&self.client, self.spec(Method::GET, "payment_configurations"))
    }

    /// One payment configuration (`GET /{waba-id}/payment_configuration/{name}`).
    pub fn payment_configuration(&self, name: &str) -> GraphRequest<PaymentConfigurations> {
        let mut spec = self.spec(Method::GET, "payment_configuration");
        spec.push_segment("configuration_name", name);
        request(&self.client, spec)
    }

    /// Creates a payment configuration (`POST /{waba-id}/payment_configuration`); a gateway's
    /// answer carries the OAuth link to connect it.
    pub fn create_payment_configuration(
        &self,
        configuration: &NewPaymentConfiguration,
    ) -> GraphRequest<PaymentConfigurationLink> {
        let mut spec = self.spec(Method::POST, "payment_configuration");
        if let Err(invalid) = configuration.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(configuration);
        request(&self.client, spec)
    }

    /// A new OAuth link for a gateway configuration whose link expired
    /// (`POST /{waba-id}/generate_payment_configuration_oauth_link`).
    pub fn regenerate_payment_oauth_link(
        &self,
        name: &str,
        redirect_url: Option<&str>,
    ) -> GraphRequest<PaymentConfigurationLink> {
        let mut spec = self.spec(Method::POST, "generate_payment_configuration_oauth_link");
        if let Err(invalid) = not_empty("configuration_name", name) {
            spec.fail(invalid.into());
        }
        let mut body = json!({ "configuration_name": name });
        if let Some(url) = redirect_url {
            body["redirect_url"] = url.into();
        }
        spec.set_json(&body);
        request(&self.client, spec)
    }

    /// Deletes a payment configuration (`DELETE /{waba-id}/payment_configuration`, the name in
    /// the body).
    pub fn delete_payment_configuration(&self, name: &str) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::DELETE, "payment_configuration");
        if let Err(invalid) = not_empty("configuration_name", name) {
            spec.fail(invalid.into());
        }
        spec.set_json(&json!({ "configuration_name": name }));
        request(&self.client, spec)
    }
}
