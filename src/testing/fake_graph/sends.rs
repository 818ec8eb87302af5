//! `POST /{node}/messages`: WhatsApp and Send API bodies validated like Meta does, recorded in
//! the outbox, answered with message ids.

use std::sync::atomic::Ordering;

use serde_json::{Map, Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::{
    Accepted, INSTAGRAM_PREFIX, MESSENGER_TEXT_MAX, OutboxMessage, Responder, SENDER_ACTIONS,
    WHATSAPP_TEXT_MAX, WHATSAPP_TYPES, check_token, invalid, str_field,
};
use crate::Platform;

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.shared.state();
        state.requests += 1;
        if let Some(error) = state.failures.pop_front() {
            return error.response();
        }
        if let Some(refused) = check_token(&state, request) {
            return refused;
        }
        let path = request.url.path();
        let instagram_host = path.starts_with(INSTAGRAM_PREFIX);
        let from = path.rsplit('/').nth(1).unwrap_or_default().to_owned();
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return invalid("the request body must be a JSON object");
        };
        let id = self.shared.ids.fetch_add(1, Ordering::Relaxed);
        let outcome = if from.starts_with("act_") {
            marketing_api(&body, id)
        } else if body.get("messaging_product").is_some() {
            whatsapp(&body, id)
        } else {
            let platform = if instagram_host || state.instagram_accounts.contains(&from) {
                Platform::Instagram
            } else {
                Platform::Messenger
            };
            send_api(&body, id, platform)
        };
        match outcome {
            Ok(accepted) => {
                state.outbox.push(OutboxMessage {
                    platform: accepted.platform,
                    from,
                    to: accepted.to,
                    kind: accepted.kind,
                    message_id: accepted.message_id,
                    body: Value::Object(body),
                });
                ResponseTemplate::new(200).set_body_json(accepted.response)
            }
            Err(details) => invalid(details),
        }
    }
}

pub(super) fn whatsapp(body: &Map<String, Value>, id: u64) -> Result<Accepted, String> {
    if str_field(body, "messaging_product") != Some("whatsapp") {
        return Err("messaging_product must be \"whatsapp\"".to_owned());
    }
    if str_field(body, "status") == Some("read") {
        let message_id = str_field(body, "message_id").ok_or("a read receipt needs message_id")?;
        return Ok(Accepted {
            platform: Platform::WhatsApp,
            to: message_id.to_owned(),
            kind: "read".to_owned(),
            message_id: None,
            response: json!({"success": true}),
        });
    }
    // A phone number in `to`, or a business-scoped id in `recipient` (`to` wins when both).
    let by_phone = str_field(body, "to");
    let to = by_phone
        .or_else(|| str_field(body, "recipient"))
        .ok_or("the parameter to (or recipient) is required")?;
    let contact = if by_phone.is_some() {
        json!({"input": to, "wa_id": to.trim_start_matches('+')})
    } else {
        json!({"input": to, "user_id": to})
    };
    let kind = str_field(body, "type").unwrap_or("text");
    if !WHATSAPP_TYPES.contains(&kind) {
        return Err(format!("unknown message type {kind:?}"));
    }
    let Some(Value::Object(content)) = body.get(kind) else {
        return Err(format!("a {kind} message needs a {kind} object"));
    };
    if kind == "text" {
        let text = str_field(content, "body").ok_or("text.body is required")?;
        if text.chars().count() > WHATSAPP_TEXT_MAX {
            return Err(format!("text.body is longer than {WHATSAPP_TEXT_MAX} characters"));
        }
    }
    let message_id = format!("wamid.HBgLRkFLRUdSQVBIFQIAERgS{id:016X}AA==");
    Ok(Accepted {
        platform: Platform::WhatsApp,
        to: to.to_owned(),
        kind: kind.to_owned(),
        response: json!({
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": message_id, "message_status": "accepted"}],
        }),
        message_id: Some(message_id),
    })
}

pub(super) fn send_api(body: &Map<String, Value>, id: u64, platform: Platform) -> Result<Accepted, String> {
    let Some(Value::Object(recipient)) = body.get("recipient") else {
        return Err("the parameter recipient is required".to_owned());
    };
    let to = ["id", "user_ref", "comment_id", "post_id", "notification_messages_token"]
        .iter()
        .find_map(|key| str_field(recipient, key))
        .ok_or("recipient needs one of id, user_ref, comment_id, post_id")?;
    if let Some(messaging_type) = str_field(body, "messaging_type") {
        if !["RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY"].contains(&messaging_type) {
            return Err(format!("unknown messaging_type {messaging_type:?}"));
        }
        if messaging_type == "MESSAGE_TAG" && str_field(body, "tag").is_none() {
            return Err("messaging_type MESSAGE_TAG needs a tag".to_owned());
        }
    }
    let (kind, message_id) = match (body.get("message"), str_field(body, "sender_action")) {
        (Some(Value::Object(message)), None) => {
            let kind = ["text", "attachment", "attachments", "template"]
                .into_iter()
                .find(|key| message.contains_key(*key))
                .ok_or("message needs text, attachment, attachments or template")?;
            if kind == "template" && str_field(body, "messaging_type") != Some("UTILITY") {
                return Err("a utility template is sent with messaging_type UTILITY".to_owned());
            }
            if let Some(text) = message.get("text") {
                let text = text.as_str().ok_or("message.text must be a string")?;
                if text.is_empty() || text.chars().count() > MESSENGER_TEXT_MAX {
                    return Err(format!("message.text must have 1 to {MESSENGER_TEXT_MAX} characters"));
                }
            }
            (kind.to_owned(), Some(format!("m_FAKEGRAPH{id:012}")))
        }
        (None, Some(action)) if SENDER_ACTIONS.contains(&action) => (action.to_owned(), None),
        (None, Some(action)) => return Err(format!("unknown sender_action {action:?}")),
        _ => return Err("exactly one of message and sender_action is required".to_owned()),
    };
    let response = match &message_id {
        Some(mid) => json!({"recipient_id": to, "message_id": mid}),
        None => json!({"recipient_id": to}),
    };
    Ok(Accepted { platform, to: to.to_owned(), kind, message_id, response })
}

/// `POST /act_{ad-account}/messages`: the Marketing Message API for Messenger, per Meta's
/// "Marketing Messages on Messenger: send messages" page.
fn marketing_api(body: &Map<String, Value>, id: u64) -> Result<Accepted, String> {
    let campaign = str_field(body, "message_id").ok_or("message_id (the campaign id) is required")?;
    let token = body
        .get("messenger_delivery_data")
        .and_then(|d| d.get("subscription_token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or("messenger_delivery_data.subscription_token is required")?;
    let message = body.get("message").and_then(Value::as_object).ok_or("message is required")?;
    if message.get("text").is_none() && message.get("attachment").is_none() {
        return Err("message needs text or an attachment".to_owned());
    }
    if message.get("text").and_then(Value::as_str).is_some_and(|t| t.chars().count() > MESSENGER_TEXT_MAX) {
        return Err(format!("text is at most {MESSENGER_TEXT_MAX} characters"));
    }
    let tracking = format!("{id:08x}-fake-{campaign}-{id:012}");
    Ok(Accepted {
        platform: Platform::Messenger,
        to: token.to_owned(),
        kind: "marketing_message".to_owned(),
        message_id: Some(tracking.clone()),
        response: json!({"success": true, "marketing_message_tracking_id": tracking}),
    })
}
