//! Payment statuses (Payments API India): a `statuses[]` item with `type: payment`, per Meta's
//! [payment gateway integration page](https://developers.facebook.com/documentation/business-messaging/whatsapp/payments/payments-in/pg).
//! Brazil's payment methods (Pix, boleto, payment links) are settled outside WhatsApp and send
//! no payment status.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::graph::serde_util::{null_as_default, opt_integer_or_string, opt_string_or_integer};

/// An amount: `value / offset` in the currency (`offset` is `100`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Amount {
    /// The amount times `offset`.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub value: Option<i64>,
    /// `100`.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub offset: Option<i64>,
}

/// The payment of a payment status.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PaymentUpdate {
    /// The order's `reference_id` from the `order_details` message.
    pub reference_id: Option<String>,
    /// What was paid.
    pub amount: Option<Amount>,
    /// `INR`.
    pub currency: Option<String>,
    /// The gateway's transaction.
    pub transaction: Option<PaymentTransaction>,
    /// Refunds of this payment.
    #[serde(deserialize_with = "null_as_default")]
    pub refunds: Vec<Refund>,
    /// Gateway fields passed through (`receipt`, `notes`, `udf1`..., `extra1`...), as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The gateway's side of a payment.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PaymentTransaction {
    /// The gateway's order id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// The gateway's payment id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub pg_transaction_id: Option<String>,
    /// The gateway (`razorpay`, `payu`, `billdesk`, `zaakpay`, `upi`).
    #[serde(rename = "type")]
    pub gateway: Option<String>,
    /// `pending`, `success` or `failed`.
    pub status: Option<String>,
    /// When it started (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub created_timestamp: Option<i64>,
    /// When it last changed.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub updated_timestamp: Option<i64>,
    /// How the user paid: `{"type": "upi" | "card" | "wallet" | "netbanking"}`.
    pub method: Option<Map<String, Value>>,
    /// Why it failed: `{"code", "reason"}`.
    pub error: Option<Map<String, Value>>,
}

/// A refund of a payment.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Refund {
    /// The refund's id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// How much.
    pub amount: Option<Amount>,
    /// `instant` or `normal`.
    pub speed_processed: Option<String>,
    /// `pending`, `success` or `failed`.
    pub status: Option<String>,
    /// When it started (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub created_timestamp: Option<i64>,
    /// When it last changed.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub updated_timestamp: Option<i64>,
}

/// The state of a payment gateway configuration. Meta spells it `Needs Connecting` in the
/// `payment_configuration_update` webhook and `Needs_Connecting` in the Onboarding API: both
/// read the same here.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaymentConfigurationStatus {
    /// Payments can be taken.
    Active,
    /// The gateway account is not connected yet (finish the OAuth link).
    NeedsConnecting,
    /// Connected, waiting for a test payment.
    NeedsTesting,
    /// A state this version does not know, as sent.
    Unknown(String),
}

impl PaymentConfigurationStatus {
    /// Reads Meta's text in either spelling (case, spaces or underscores).
    pub fn parse(text: &str) -> Self {
        let normal: String =
            text.trim().chars().map(|c| if c == ' ' { '_' } else { c.to_ascii_lowercase() }).collect();
        match normal.as_str() {
            "active" => Self::Active,
            "needs_connecting" => Self::NeedsConnecting,
            "needs_testing" => Self::NeedsTesting,
            _ => Self::Unknown(text.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentConfigurationStatus as S;

    #[test]
    fn both_spellings_of_a_configuration_state_read_the_same() {
        assert_eq!(S::parse("Needs Connecting"), S::NeedsConnecting);
        assert_eq!(S::parse("Needs_Connecting"), S::NeedsConnecting);
        assert_eq!(S::parse("Needs Testing"), S::NeedsTesting);
        assert_eq!(S::parse("Active"), S::Active);
        assert_eq!(S::parse("Suspended"), S::Unknown("Suspended".into()));
    }
}
