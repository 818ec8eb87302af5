//! Payments API (India) on the fake server: a WABA's payment configurations, lookups of the
//! orders sent with `order_details`, captures (by the test) and refunds, in the shapes of
//! Meta's "Payments API: payment gateway integration" and "Onboarding APIs" pages.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, State, invalid, missing, not_found, ok, str_field, success, unix_now};

/// What the fake server keeps of payments.
#[derive(Debug, Default)]
pub(super) struct Payments {
    /// Configurations by (WABA, name).
    configurations: BTreeMap<(String, String), Value>,
    /// Captured orders by reference id: the transaction, refunds included.
    captured: BTreeMap<String, Value>,
}

/// Marks the order `reference_id` as paid in full (what the user's payment would do).
pub(super) fn capture(state: &mut State, reference_id: &str) -> bool {
    let Some(order) = sent_order(state, None, reference_id) else { return false };
    let now = unix_now();
    let transaction = json!({"id": format!("order_{reference_id}"), "pg_transaction_id": format!("pay_{reference_id}"),
        "type": "razorpay", "status": "success", "created_timestamp": now, "updated_timestamp": now,
        "amount": order["total_amount"], "order_amount": order["total_amount"], "currency": order["currency"],
        "method": {"type": "upi"}, "refunds": []});
    state.store.payments.captured.insert(reference_id.to_owned(), transaction);
    true
}

/// The `order_details` parameters of the order `reference_id` sent (from `phone`, if given).
fn sent_order(state: &State, phone: Option<&str>, reference_id: &str) -> Option<Value> {
    state.outbox.iter().rev().find_map(|sent| {
        let parameters = &sent.body["interactive"]["action"]["parameters"];
        let matches = sent.kind == "interactive"
            && phone.is_none_or(|p| sent.from == p)
            && parameters["reference_id"] == reference_id;
        matches.then(|| parameters.clone())
    })
}

fn configurations_answer(items: Vec<Value>) -> ResponseTemplate {
    ok(json!({"data": [{"payment_configurations": Value::Array(items)}]}))
}

pub(super) fn route(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    match (call.method, call.segments.as_slice()) {
        ("GET", [phone, "payments", configuration, reference]) => {
            lookup(state, phone, configuration, reference)
        }
        ("POST", [phone, "payments_refund"]) => refund(state, call, phone),
        ("GET", [waba, "payment_configurations"]) => {
            let items = state.store.payments.configurations.iter().filter(|((w, _), _)| w == waba);
            configurations_answer(items.map(|(_, c)| c.clone()).collect())
        }
        ("GET", [waba, "payment_configuration", name]) => {
            match state.store.payments.configurations.get(&((*waba).to_owned(), (*name).to_owned())) {
                Some(configuration) => configurations_answer(vec![configuration.clone()]),
                None => not_found(name),
            }
        }
        ("POST", [waba, "payment_configuration"]) => create(state, call, waba),
        ("POST", [waba, "generate_payment_configuration_oauth_link"]) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(name) = str_field(&body, "configuration_name") else {
                return missing("configuration_name");
            };
            if !state.store.payments.configurations.contains_key(&((*waba).to_owned(), name.to_owned())) {
                return not_found(name);
            }
            ok(json!({"oauth_url": format!("https://www.facebook.com/payments/oauth/{name}"),
                "expiration": unix_now() + 3600}))
        }
        ("DELETE", [waba, "payment_configuration"]) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(name) = str_field(&body, "configuration_name") else {
                return missing("configuration_name");
            };
            match state.store.payments.configurations.remove(&((*waba).to_owned(), name.to_owned())) {
                Some(_) => success(),
                None => not_found(name),
            }
        }
        _ => not_found(call.segments.first().copied().unwrap_or_default()),
    }
}

fn create(state: &mut State, call: &Call<'_>, waba: &str) -> ResponseTemplate {
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let Some(name) = str_field(&body, "configuration_name") else { return missing("configuration_name") };
    let Some(provider) = str_field(&body, "provider_name") else { return missing("provider_name") };
    let upi = provider == "upi_vpa";
    if upi && str_field(&body, "merchant_vpa").is_none() {
        return missing("merchant_vpa");
    }
    let key = (waba.to_owned(), name.to_owned());
    if state.store.payments.configurations.contains_key(&key) {
        return invalid(format!("a payment configuration named {name} exists"));
    }
    let now = unix_now();
    let mut configuration = json!({"configuration_name": name, "provider_name": provider,
        "status": if upi { "Active" } else { "Needs_Connecting" }, "created_timestamp": now, "updated_timestamp": now});
    for field in ["merchant_vpa", "purpose_code", "merchant_category_code"] {
        if let Some(value) = str_field(&body, field) {
            configuration[field] = if field == "merchant_vpa" {
                value.into()
            } else {
                json!({"code": value, "description": "Other"})
            };
        }
    }
    state.store.payments.configurations.insert(key, configuration);
    if upi {
        success()
    } else {
        ok(json!({"success": true, "oauth_url": format!("https://www.facebook.com/payments/oauth/{name}"),
            "expiration": now + 3600}))
    }
}

fn lookup(state: &State, phone: &str, configuration: &str, reference: &str) -> ResponseTemplate {
    let Some(order) = sent_order(state, Some(phone), reference) else { return not_found(reference) };
    let configured = order["payment_settings"].as_array().is_some_and(|settings| {
        settings.iter().any(|s| s["payment_gateway"]["configuration_name"] == configuration)
    });
    if !configured {
        return invalid(format!("order {reference} was not sent with payment configuration {configuration}"));
    }
    let mut payment =
        json!({"reference_id": reference, "amount": order["total_amount"], "currency": order["currency"]});
    match state.store.payments.captured.get(reference) {
        Some(transaction) => {
            payment["status"] = "captured".into();
            payment["transactions"] = json!([transaction]);
        }
        None => payment["status"] = "pending".into(),
    }
    ok(json!({ "payments": [payment] }))
}

fn refund(state: &mut State, call: &Call<'_>, phone: &str) -> ResponseTemplate {
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let Some(reference) = str_field(&body, "reference_id") else { return missing("reference_id") };
    if str_field(&body, "payment_config_id").is_none() {
        return missing("payment_config_id");
    }
    let amount = &body.get("amount").cloned().unwrap_or_default();
    let value = amount["value"].as_str().and_then(|v| v.parse::<i64>().ok());
    let (Some(value), Some("INR")) = (value, amount["currency"].as_str()) else {
        return invalid("amount needs currency INR and value, offset as strings");
    };
    if sent_order(state, Some(phone), reference).is_none() {
        return not_found(reference);
    }
    let Some(transaction) = state.store.payments.captured.get_mut(reference) else {
        return invalid(format!("order {reference} has no captured payment to refund"));
    };
    let paid = transaction["amount"]["value"].as_i64().unwrap_or_default();
    let refunds = transaction["refunds"].as_array_mut().expect("refunds is an array");
    let refunded: i64 = refunds.iter().map(|r| r["amount"]["value"].as_i64().unwrap_or_default()).sum();
    if value <= 0 || refunded + value > paid {
        return invalid(format!("refunds of order {reference} would exceed the {paid} paid"));
    }
    let speed = str_field(&body, "speed").unwrap_or("normal");
    let id = format!("rfnd_{reference}_{}", refunds.len() + 1);
    let now = unix_now();
    refunds.push(json!({"id": id, "amount": {"value": value, "offset": 100}, "speed_processed": speed,
        "status": "pending", "created_timestamp": now, "updated_timestamp": now}));
    ok(json!({"id": id, "status": "pending", "speed_processed": speed}))
}
