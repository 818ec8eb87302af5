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
