//! Message templates on the fake server: create, list, delete, the library, archiving,
//! migration and template groups, as Meta's template pages describe them.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, State, data, invalid, missing, not_found, ok, str_field, success};

const TEMPLATE_CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

pub(super) fn templates(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let owner = call.segments[0];
    match call.method {
        "GET" => {
            let name = call.query("name");
            let items = state
                .store
                .templates
                .values()
                .filter(|t| t["owner"] == owner && name.is_none_or(|n| t["name"] == n))
                .map(|t| without_owner(t.clone()))
                .collect();
            data(items)
        }
        "POST" => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(name) = str_field(&body, "name") else { return missing("name") };
            if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                || name.len() > 512
            {
                return invalid("name may hold lowercase letters, digits and underscores only");
            }
            if str_field(&body, "language").is_none() {
                return missing("language");
            }
            let category = str_field(&body, "category").unwrap_or_default().to_owned();
            if !TEMPLATE_CATEGORIES.contains(&category.as_str()) {
                return invalid("category must be MARKETING, UTILITY or AUTHENTICATION");
            }
            let cloned = body.contains_key("library_template_name");
            if !cloned && body.get("components").is_none_or(|c| c.as_array().is_none_or(Vec::is_empty)) {
                return missing("components");
            }
            let template_id = format!("{}", 594_425_479_000_000 + id);
            // Library clones are approved at once, as Meta does; the rest wait for review.
            let status = if cloned { "APPROVED" } else { "PENDING" };
            let mut stored = body;
            stored.insert("id".to_owned(), template_id.clone().into());
            stored.insert("status".to_owned(), status.into());
            stored.insert("owner".to_owned(), owner.into());
            state.store.templates.insert(template_id.clone(), Value::Object(stored));
            ok(json!({"id": template_id, "status": status, "category": category}))
        }
        _ => {
            let Some(name) = call.query("name") else { return missing("name") };
            let hsm_id = call.query("hsm_id");
            let before = state.store.templates.len();
            state.store.templates.retain(|id, t| {
                !(t["owner"] == owner && t["name"] == name && hsm_id.is_none_or(|h| h == id))
            });
            if state.store.templates.len() == before { not_found(name) } else { success() }
        }
    }
}

/// A stored template or flow without the fake's owner mark.
pub(super) fn without_owner(mut template: Value) -> Value {
    if let Some(map) = template.as_object_mut() {
        map.remove("owner");
    }
    template
}

pub(super) fn library(call: &Call<'_>) -> ResponseTemplate {
    if call.query("name_or_content").is_none()
        && call.query("search").is_none()
        && call.query("topic").is_none()
    {
        return missing("name_or_content (Messenger) or search/topic (WhatsApp)");
    }
    data(vec![json!({"name": "order_confirmation_1", "language": call.query("language").unwrap_or("en"),
        "category": "UTILITY", "topic": "ORDER_MANAGEMENT", "usecase": "DELIVERY_CONFIRMATION", "industry": ["E_COMMERCE"],
        "body": "{{1}}, your order was successfully delivered!", "body_params": ["John"], "body_param_types": ["TEXT"],
        "buttons": [{"type": "URL", "text": "Manage order", "url": "https://www.example.com"}], "id": "7635027653257090"})])
}

/// Archive, unarchive, migration, template groups and their analytics.
pub(super) fn admin(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let owner = call.segments[0];
    let ids = |body: &serde_json::Map<String, Value>, key: &str| -> Vec<String> {
        body.get(key)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect())
            .unwrap_or_default()
    };
    match call.segments.as_slice() {
        [_, "message_templates", action @ ("archive" | "unarchive")] => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let (archive, mut done, mut failed) = (*action == "archive", Vec::new(), serde_json::Map::new());
            for template_id in ids(&body, "hsm_ids") {
                let template = state.store.templates.get_mut(&template_id).filter(|t| t["owner"] == owner);
                let Some(template) = template else {
                    failed.insert(template_id, "Template not found".into());
                    continue;
                };
                let status = template["status"].as_str().unwrap_or_default().to_owned();
                match (archive, status.as_str()) {
                    (true, "APPROVED" | "REJECTED") => {
                        template["previous_status"] = status.into();
                        template["status"] = "ARCHIVED".into();
                        done.push(template_id);
                    }
                    (true, _) => {
                        failed.insert(
                            template_id,
                            "Only approved or rejected templates can be archived".into(),
                        );
                    }
                    (false, "ARCHIVED") => {
                        template["status"] = template["previous_status"].take();
                        done.push(template_id);
                    }
                    (false, _) => {
                        failed.insert(template_id, "Template is not archived".into());
                    }
                }
            }
            ok(json!({format!("{action}d_templates"): done, "failed_templates": failed}))
        }
        [_, "migrate_message_templates"] => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(source) = str_field(&body, "source_waba_id") else { return missing("source_waba_id") };
            let source: Vec<Value> = state
                .store
                .templates
                .values()
                .filter(|t| t["owner"] == source && t["status"] == "APPROVED")
                .cloned()
                .collect();
            let mut migrated = Vec::new();
            for (n, mut template) in source.into_iter().enumerate() {
                let template_id = format!("{}", 594_425_479_500_000 + id * 1000 + n as u64);
                template["id"] = template_id.clone().into();
                template["owner"] = owner.into();
                state.store.templates.insert(template_id.clone(), template);
                migrated.push(template_id);
            }
            ok(json!({"migrated_templates": migrated, "failed_templates": {}}))
        }
        [_, "template_groups"] => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(name) = str_field(&body, "name") else { return missing("name") };
            let templates = ids(&body, "whatsapp_business_templates");
            if templates.is_empty() {
                return missing("whatsapp_business_templates");
            }
            let group_id = format!("{}", 9_020_555_671_000_000 + id);
            let group = json!({"id": group_id, "name": name, "description": body.get("description"),
                "whatsapp_business_account": owner, "templates": templates});
            state.store.template_groups.insert(group_id.clone(), group);
            ok(json!({ "id": group_id }))
        }
        [_, "template_group_analytics"] => match call.query("template_group_ids") {
            Some(groups) => {
                let points: Vec<Value> = groups
                    .trim_matches(['[', ']'])
                    .split(',')
                    .map(|group| {
                        json!({"template_group_id": group.trim(), "start": call.query("start"),
                        "end": call.query("end"), "sent": 0, "delivered": 0, "read": 0})
                    })
                    .collect();
                data(vec![json!({"granularity": "DAILY", "data_points": points})])
            }
            None => missing("template_group_ids"),
        },
        _ => not_found(call.segments.join("/").as_str()),
    }
}

/// `GET /{template-group-id}`.
pub(super) fn group(state: &State, group_id: &str) -> ResponseTemplate {
    let group = &state.store.template_groups[group_id];
    let templates: Vec<Value> = group["templates"]
        .as_array()
        .map(|ids| ids.iter().map(|id| json!({ "id": id })).collect())
        .unwrap_or_default();
    ok(json!({"id": group["id"], "name": group["name"], "description": group["description"],
        "whatsapp_business_account": group["whatsapp_business_account"],
        "whatsapp_business_templates": {"data": templates}}))
}
