//! Payments in the chat: the `order_details` message (review and pay: Brazil's Pix, boleto and
//! payment links, India's payment gateways and UPI links) and the `order_status` message, per
//! Meta's "Payments API" pages for
//! [Brazil](https://developers.facebook.com/documentation/business-messaging/whatsapp/payments/payments-br/orders)
//! and [India](https://developers.facebook.com/documentation/business-messaging/whatsapp/payments/payments-in/pg).

use serde::Serialize;

use crate::graph::serde_util::string_enum;
use crate::graph::validate::{max_chars, not_empty};
use crate::graph::{ValidationError, Violation};

/// Amounts are sent as `value / 100`.
const OFFSET: i64 = 100;
/// Item names and the charges' descriptions.
const NAME: usize = 60;

/// An amount in minor units: `Money::new(1999)` is 19.99 (`{"value": 1999, "offset": 100}`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Money {
    /// The amount times 100.
    pub value: i64,
    /// Always `100`.
    pub offset: i64,
}

impl Money {
    /// `value` hundredths of the currency.
    pub fn new(value: i64) -> Self {
        Self { value, offset: OFFSET }
    }
}

/// A charge added to or taken off an order (tax, shipping, discount).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Charge {
    /// The amount times 100.
    pub value: i64,
    /// Always `100`.
    pub offset: i64,
    /// What it is (≤ 60 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Charge {
    /// A charge of `value` hundredths.
    pub fn new(value: i64) -> Self {
        Self { value, offset: OFFSET, description: None }
    }

    /// What it is.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OrderItem {
    /// The product's id in your catalog or system.
    pub retailer_id: String,
    /// Its name (≤ 60 characters).
    pub name: String,
    /// The unit price.
    pub amount: Money,
    /// A sale price replacing `amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sale_amount: Option<Money>,
    /// How many.
    pub quantity: u32,
}

impl OrderItem {
    /// `quantity` of a product at a unit price.
    pub fn new(
        retailer_id: impl Into<String>,
        name: impl Into<String>,
        amount: Money,
        quantity: u32,
    ) -> Self {
        Self { retailer_id: retailer_id.into(), name: name.into(), amount, sale_amount: None, quantity }
    }

    /// A sale price.
    #[must_use]
    pub fn sale(mut self, price: Money) -> Self {
        self.sale_amount = Some(price);
        self
    }

    fn line_total(&self) -> i64 {
        self.sale_amount.unwrap_or(self.amount).value.saturating_mul(i64::from(self.quantity))
    }
}

string_enum! {
    /// What an order sells.
    pub enum Goods {
        /// Services, subscriptions, tickets.
        Digital = "digital-goods",
        /// Things that are shipped.
        Physical = "physical-goods",
    }
}

/// How the user can pay an order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaymentSetting {
    /// Brazil: a dynamic Pix code the user copies into their bank app.
    Pix {
        /// The Pix copy-and-paste code.
        code: String,
        /// The account holder's name.
        merchant_name: String,
        /// The Pix key.
        key: String,
        /// `CPF`, `CNPJ`, `EMAIL`, `PHONE` or `EVP`.
        key_type: String,
    },
    /// Brazil: a boleto's digitable line.
    Boleto {
        /// The line.
        digitable_line: String,
    },
    /// A payment link (Brazil).
    PaymentLink {
        /// The link.
        uri: String,
    },
    /// India: a payment gateway configured for the WABA (`razorpay`, `payu`, `billdesk`,
    /// `zaakpay`).
    PaymentGateway {
        /// The gateway.
        gateway: String,
        /// The configuration's name in the WABA.
        configuration_name: String,
    },
    /// India: a UPI intent link (`upi://pay?pa=...`).
    UpiIntentLink {
        /// The link.
        link: String,
    },
}

impl Serialize for PaymentSetting {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (kind, body) = match self {
            Self::Pix { code, merchant_name, key, key_type } => (
                "pix_dynamic_code",
                serde_json::json!({"code": code, "merchant_name": merchant_name, "key": key, "key_type": key_type}),
            ),
            Self::Boleto { digitable_line } => {
                ("boleto", serde_json::json!({ "digitable_line": digitable_line }))
            }
            Self::PaymentLink { uri } => ("payment_link", serde_json::json!({ "uri": uri })),
            Self::PaymentGateway { gateway, configuration_name } => (
                "payment_gateway",
                serde_json::json!({"type": gateway, "configuration_name": configuration_name}),
            ),
            Self::UpiIntentLink { link } => ("upi_intent_link", serde_json::json!({ "link": link })),
        };
        let mut value = serde_json::Map::new();
        value.insert("type".to_owned(), kind.into());
        value.insert(kind.to_owned(), body);
        value.serialize(serializer)
    }
}

/// The order of an `order_details` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PaymentOrder {
    /// `pending`: an order to pay.
    pub status: &'static str,
    /// The catalog the items come from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_id: Option<String>,
    /// The lines (at least one).
    pub items: Vec<OrderItem>,
    /// Σ price × quantity.
    pub subtotal: Money,
    /// Tax (0 allowed).
    pub tax: Charge,
    /// Shipping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Charge>,
    /// Discount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<Charge>,
}

/// What an `order_details` message asks the user to pay; the totals are computed from the
/// items and charges, so they always add up as Meta requires.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderDetails {
    /// Your unique id of the order (Brazil: ≤ 60, India: ≤ 35 characters of letters, digits,
    /// `_`, `-`, `.`).
    pub reference_id: String,
    /// What is sold.
    pub goods: Goods,
    /// `BRL` or `INR`.
    pub currency: String,
    /// The order.
    pub order: PaymentOrder,
    /// How it can be paid.
    pub payment_settings: Vec<PaymentSetting>,
}

impl OrderDetails {
    /// An order in `currency` of `items`, with `tax` (hundredths; 0 allowed).
    pub fn new(
        reference_id: impl Into<String>,
        goods: Goods,
        currency: impl Into<String>,
        items: impl IntoIterator<Item = OrderItem>,
        tax: Charge,
    ) -> Self {
        let items: Vec<OrderItem> = items.into_iter().collect();
        let subtotal = Money::new(items.iter().map(OrderItem::line_total).fold(0, i64::saturating_add));
        Self {
            reference_id: reference_id.into(),
            goods,
            currency: currency.into(),
            order: PaymentOrder {
                status: "pending",
                catalog_id: None,
                items,
                subtotal,
                tax,
                shipping: None,
                discount: None,
            },
            payment_settings: Vec::new(),
        }
    }

    /// Adds a way to pay.
    #[must_use]
    pub fn pay_with(mut self, setting: PaymentSetting) -> Self {
        self.payment_settings.push(setting);
        self
    }

    /// Shipping.
    #[must_use]
    pub fn shipping(mut self, shipping: Charge) -> Self {
        self.order.shipping = Some(shipping);
        self
    }

    /// A discount.
    #[must_use]
    pub fn discount(mut self, discount: Charge) -> Self {
        self.order.discount = Some(discount);
        self
    }

    /// The catalog the items come from.
    #[must_use]
    pub fn catalog(mut self, catalog_id: impl Into<String>) -> Self {
        self.order.catalog_id = Some(catalog_id.into());
        self
    }

    /// subtotal + tax + shipping − discount.
    pub fn total(&self) -> Money {
        let order = &self.order;
        let charge = |c: &Option<Charge>| c.as_ref().map_or(0, |c| c.value);
        Money::new(
            order
                .subtotal
                .value
                .saturating_add(order.tax.value)
                .saturating_add(charge(&order.shipping))
                .saturating_sub(charge(&order.discount)),
        )
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        let limit = if self.currency == "INR" { 35 } else { 60 };
        not_empty("reference_id", &self.reference_id)?;
        max_chars("reference_id", &self.reference_id, limit)?;
        if !self.reference_id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            return Err(ValidationError::new(
                "reference_id",
                Violation::Invalid("letters, digits, _ - . only".into()),
            ));
        }
        if !matches!(self.currency.as_str(), "BRL" | "INR") {
            return Err(ValidationError::new("currency", Violation::Invalid("BRL or INR".into())));
        }
        if self.order.items.is_empty() {
            return Err(ValidationError::new("order.items", Violation::TooFew { min: 1, actual: 0 }));
        }
        for item in &self.order.items {
            not_empty("order.items.retailer_id", &item.retailer_id)?;
            not_empty("order.items.name", &item.name)?;
            max_chars("order.items.name", &item.name, NAME)?;
            if item.quantity == 0 {
                return Err(ValidationError::new(
                    "order.items.quantity",
                    Violation::Invalid("at least 1".into()),
                ));
            }
        }
        let charges = [Some(&self.order.tax), self.order.shipping.as_ref(), self.order.discount.as_ref()];
        for description in charges.into_iter().flatten().filter_map(|c| c.description.as_deref()) {
            max_chars("order.description", description, NAME)?;
        }
        if self.payment_settings.is_empty() {
            return Err(ValidationError::new("payment_settings", Violation::Missing));
        }
        if self.total().value <= 0 {
            return Err(ValidationError::new("total_amount", Violation::Invalid("must be above 0".into())));
        }
        Ok(())
    }
}

impl Serialize for OrderDetails {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut parameters = serde_json::json!({
            "reference_id": self.reference_id,
            "type": self.goods.as_str(),
            "payment_settings": self.payment_settings,
            "currency": self.currency,
            "total_amount": self.total(),
            "order": self.order,
        });
        if self.currency == "BRL" {
            parameters["payment_type"] = "br".into();
        }
        parameters.serialize(serializer)
    }
}

string_enum! {
    /// Where an order is, for an `order_status` message.
    pub enum OrderState {
        /// Being prepared.
        Processing = "processing",
        /// Part of it shipped.
        PartiallyShipped = "partially_shipped",
        /// Shipped.
        Shipped = "shipped",
        /// Done (final).
        Completed = "completed",
        /// Canceled (final).
        Canceled = "canceled",
    }
}

/// The parameters of an `order_status` message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderStatusUpdate {
    /// The order's `reference_id`.
    pub reference_id: String,
    /// Its new state.
    pub state: OrderState,
    /// Why (≤ 120 characters), e.g. the cancelation reason.
    pub description: Option<String>,
}

impl OrderStatusUpdate {
    /// The order `reference_id` is now `state`.
    pub fn new(reference_id: impl Into<String>, state: OrderState) -> Self {
        Self { reference_id: reference_id.into(), state, description: None }
    }

    /// Why (≤ 120 characters).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        not_empty("reference_id", &self.reference_id)?;
        if let Some(description) = &self.description {
            max_chars("order.description", description, 120)?;
        }
        Ok(())
    }
}

impl Serialize for OrderStatusUpdate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut order = serde_json::json!({ "status": self.state.as_str() });
        if let Some(description) = &self.description {
            order["description"] = description.clone().into();
        }
        serde_json::json!({"reference_id": self.reference_id, "order": order}).serialize(serializer)
    }
}
