//! Account management and conversions on the fake server: display names, the Official
//! Business Account request, in-app signups, welcome message sequences, conversion datasets
//! and events, and Conversation Routing's thread control, as Meta's pages describe them.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, State, data, invalid, missing, not_found, ok, str_field, success};

/// What the fake server keeps of these endpoints.
#[derive(Debug, Default)]
pub(super) struct Business {
    datasets: BTreeMap<String, String>,
    signups: BTreeMap<String, Value>,
    sequences: BTreeMap<String, Value>,
    oba: BTreeMap<String, Value>,
    display_names: BTreeMap<String, String>,
    /// Conversation Routing: the role owning each `{phone}/{user}` thread.
    thread_roles: BTreeMap<String, String>,
    /// Messenger marketing campaigns (campaign → ad account).
    campaigns: BTreeMap<String, String>,
    /// Messenger marketing subscriptions: (page, token JSON).
    subscriptions: Vec<(String, Value)>,
    /// Conversion events received, per dataset.
    pub(super) events: BTreeMap<String, Vec<Value>>,
}

/// `POST /{phone-number-id}?new_display_name=`: pending review.
pub(super) fn display_name(state: &mut State, phone: &str, name: &str) -> ResponseTemplate {
    if name.trim().is_empty() {
        return missing("new_display_name");
    }
    state.store.business.display_names.insert(phone.to_owned(), name.to_owned());
    success()
}

/// `GET /{phone-number-id}?fields=official_business_account`.
pub(super) fn oba(state: &State, phone: &str) -> ResponseTemplate {
    let status = if state.store.business.oba.contains_key(phone) { "PENDING" } else { "NOT_STARTED" };
    ok(json!({"official_business_account": {"oba_status": status}, "id": phone}))
}

pub(super) fn route(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let business = &mut state.store.business;
    let node = call.segments[0];
    match (call.method, call.segments.as_slice()) {
        ("POST", [waba, "dataset"]) => {
            let dataset = business
                .datasets
                .entry((*waba).to_owned())
                .or_insert_with(|| format!("{}", 1_488_240_000_000 + id));
            ok(json!({ "id": dataset }))
        }
        ("POST", [dataset, "events"]) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(events) = body.get("data").and_then(Value::as_array) else { return missing("data") };
            for event in events {
                let clid = event["user_data"]["ctwa_clid"].as_str().unwrap_or_default();
                if event["action_source"] != "business_messaging"
                    || clid.is_empty()
                    || event["event_name"].as_str().is_none()
                {
                    return invalid(
                        "each event needs event_name, action_source business_messaging and user_data.ctwa_clid",
                    );
                }
            }
            business.events.entry((*dataset).to_owned()).or_default().extend(events.iter().cloned());
            ok(
                json!({"events_received": events.len(), "messages": [], "fbtrace_id": format!("AfakeCapi{id}")}),
            )
        }
        ("POST", [phone, "official_business_account"]) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            if str_field(&body, "business_website_url").is_none() {
                return missing("business_website_url");
            }
            business.oba.insert((*phone).to_owned(), Value::Object(body));
            success()
        }
        ("POST", [waba, "signups"]) => {
            let Some(mut body) = call.json() else { return invalid("a JSON body is required") };
            let first = !business.signups.values().any(|s| s["waba_id"] == *waba);
            if first && body.get("policy").is_none_or(|p| p["accepted"] != true) {
                return invalid("the first signup must accept the terms (policy)");
            }
            body.remove("policy");
            let signup_id = format!("{}", 9_876_543_210_000_000 + id);
            body.insert("id".into(), signup_id.clone().into());
            body.insert("waba_id".into(), (*waba).into());
            body.insert("status".into(), "ACTIVE".into());
            business.signups.insert(signup_id.clone(), Value::Object(body));
            ok(json!({ "id": signup_id }))
        }
        ("GET", [waba, "signups"]) => {
            data(business.signups.values().filter(|s| s["waba_id"] == *waba).cloned().collect())
        }
        (method, ["signups", signup_id]) => {
            let Some(signup) = business.signups.get_mut(*signup_id) else { return not_found(signup_id) };
            if method == "GET" {
                return ok(signup.clone());
            }
            let Some(changes) = call.json() else { return invalid("a JSON body is required") };
            if changes.contains_key("privacy_policy_url") {
                return invalid("privacy_policy_url cannot be changed");
            }
            for (key, value) in changes {
                signup[key] = value;
            }
            success()
        }
        ("POST", [waba, "welcome_message_sequences"]) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(name) = str_field(&body, "name") else { return missing("name") };
            let Some(content) = str_field(&body, "welcome_message_sequence") else {
                return missing("welcome_message_sequence");
            };
            let sequence_id = format!("{}", 186_473_000 + id);
            business.sequences.insert(
                sequence_id.clone(),
                json!({"sequence_id": sequence_id, "name": name,
                "welcome_message_sequence": content, "is_used_in_ad": false, "waba": waba}),
            );
            ok(json!({ "sequence_id": sequence_id }))
        }
        ("GET", [waba, "welcome_message_sequences"]) => {
            let items = business.sequences.values().filter(|s| s["waba"] == *waba).map(|s| {
                let mut s = s.clone();
                s.as_object_mut().map(|m| m.remove("waba"));
                s
            });
            data(items.collect())
        }
        ("DELETE", [_, "welcome_message_sequences"]) => match call.query("sequence_id") {
            Some(sequence) if business.sequences.remove(sequence).is_some() => success(),
            Some(sequence) => not_found(sequence),
            None => missing("sequence_id"),
        },
        _ => not_found(node),
    }
}

/// `POST /{phone-number-id}/thread_control`: Conversation Routing's pass, take and release, as
/// the Conversation Routing pages describe the body; the owner's role is kept per user.
pub(super) fn thread_control(state: &mut State, call: &Call<'_>, phone: &str, id: u64) -> ResponseTemplate {
    const ROLES: [&str; 6] = ["customer_service", "marketing", "utility", "ctwa", "ai_agent", "escalation"];
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return missing("messaging_product");
    }
    let user = match (str_field(&body, "to"), str_field(&body, "recipient")) {
        (Some(user), None) | (None, Some(user)) => user.to_owned(),
        _ => return invalid("exactly one of to and recipient is required"),
    };
    if str_field(&body, "metadata").is_some_and(|m| m.chars().count() > 2000) {
        return invalid("metadata is at most 2000 characters");
    }
    let action = str_field(&body, "action").unwrap_or_default();
    if action != "pass" && body.contains_key("control_pass") {
        return invalid("control_pass goes with action pass only");
    }
    let owners = &mut state.store.business.thread_roles;
    let key = format!("{phone}/{user}");
    match action {
        "pass" => {
            let role = body.get("control_pass").map_or(Some("escalation"), |c| c["target_role"].as_str());
            let Some(role) = role.filter(|r| ROLES.contains(r)) else {
                return invalid("control_pass.target_role is not a routing role");
            };
            owners.insert(key, role.to_owned());
        }
        "take" => {
            owners.insert(key, "escalation".to_owned());
        }
        "release" => {
            owners.remove(&key);
        }
        _ => return invalid("action is pass, take or release"),
    }
    ok(json!({"messaging_product": "whatsapp", "request_id": format!("REQ_{id}")}))
}

/// The routing role that owns `user`'s thread on `phone`, if a thread control set one.
pub(super) fn thread_role(state: &State, phone: &str, user: &str) -> Option<String> {
    state.store.business.thread_roles.get(&format!("{phone}/{user}")).cloned()
}

/// Marketing messages on Messenger: campaigns, subscription tokens and call permissions.
pub(super) fn messenger_marketing(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    match (call.method, call.segments.as_slice()) {
        ("POST", [account, "message_campaign"]) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            if str_field(&body, "name").is_none() || str_field(&body, "page_id").is_none() {
                return missing("name and page_id");
            }
            let campaign = format!("{}", 120_210_000_000_000 + id);
            state.store.business.campaigns.insert(campaign.clone(), (*account).to_owned());
            ok(json!({ "id": campaign }))
        }
        ("GET", [page, "notification_message_tokens"]) => {
            let tokens = state.store.business.subscriptions.iter().filter(|(p, _)| p == page);
            data(tokens.map(|(_, token)| token.clone()).collect())
        }
        ("GET", [_, "messenger_call_permissions"]) => match call.query("psid") {
            Some(_) => ok(json!({"permission": {"status": "no_permission"}, "actions": [
                {"action_name": "send_call_permission_request", "can_perform": true,
                    "limits": [{"time_period": "PT24H", "max_allowed": 2, "current_usage": 0}]},
                {"action_name": "start_call", "can_perform": false}]})),
            None => missing("psid"),
        },
        _ => not_found(call.segments[0]),
    }
}

/// A user of `page` subscribed to `topic`: the token a send would use.
pub(super) fn subscribe(state: &mut State, page: &str, psid: &str, topic: &str) -> String {
    let subscriptions = &mut state.store.business.subscriptions;
    let token = format!("{:x}{}", 0x7a11_0000_u64 + subscriptions.len() as u64, psid.len());
    subscriptions.push((
        page.to_owned(),
        json!({"notification_messages_token": token, "recipient_id": psid, "topic_title": topic,
            "notification_messages_reoptin": "ENABLED", "creation_timestamp": 1_767_225_600,
            "user_token_status": "NOT_REFRESHED", "notification_messages_timezone": "UTC"}),
    ));
    token
}
