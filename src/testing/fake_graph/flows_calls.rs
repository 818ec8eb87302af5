//! Flows, the business encryption key, the Calling API, Groups, number management, marketing
//! messages and resumable uploads on the fake server.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, State, data, invalid, missing, not_found, ok, str_field, success, without_owner};

const FLOW_CATEGORIES: [&str; 8] = [
    "SIGN_UP",
    "SIGN_IN",
    "APPOINTMENT_BOOKING",
    "LEAD_GENERATION",
    "CONTACT_US",
    "CUSTOMER_SUPPORT",
    "SURVEY",
    "OTHER",
];

/// Meta's validation of a Flow JSON, reduced to what a fake can tell: it must be a JSON object
/// with a `version` and `screens`.
fn flow_json_errors(json: &[u8]) -> Vec<Value> {
    let problem = match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(flow)) if flow.contains_key("version") && flow.contains_key("screens") => {
            return Vec::new();
        }
        Ok(_) => "the Flow JSON needs a version and screens",
        Err(_) => "the Flow JSON is not valid JSON",
    };
    vec![json!({"error": "INVALID_FLOW_JSON", "error_type": "FLOW_JSON_ERROR", "message": problem,
        "line_start": 1, "line_end": 1, "column_start": 1, "column_end": 1, "pointers": []})]
}

pub(super) fn flows(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let owner = call.segments[0];
    if call.method == "GET" {
        let items =
            state.store.flows.values().filter(|f| f["owner"] == owner).map(|f| without_owner(f.clone()));
        return data(items.collect());
    }
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let Some(name) = str_field(&body, "name") else { return missing("name") };
    let categories = body.get("categories").and_then(Value::as_array).cloned().unwrap_or_default();
    if categories.is_empty()
        || categories.iter().any(|c| c.as_str().is_none_or(|c| !FLOW_CATEGORIES.contains(&c)))
    {
        return invalid("categories: at least one of SIGN_UP, SIGN_IN, ... OTHER");
    }
    let flow_id = format!("{}", 1_289_443_000_000_000 + id);
    let errors = body.get("flow_json").and_then(Value::as_str).map(|j| flow_json_errors(j.as_bytes()));
    let mut flow = json!({"id": flow_id, "name": name, "status": "DRAFT", "categories": categories,
        "validation_errors": errors.clone().unwrap_or_default(), "json_version": "7.1", "data_api_version": "3.0",
        "owner": owner});
    if let Some(uri) = body.get("endpoint_uri") {
        flow["endpoint_uri"] = uri.clone();
    }
    if let Some(json) = body.get("flow_json").and_then(Value::as_str) {
        state.store.flow_json.insert(flow_id.clone(), json.as_bytes().to_vec());
    }
    let publish =
        body.get("publish") == Some(&Value::Bool(true)) && errors.as_ref().is_some_and(Vec::is_empty);
    if publish {
        flow["status"] = "PUBLISHED".into();
    }
    state.store.flows.insert(flow_id.clone(), flow);
    match errors {
        Some(errors) => ok(json!({"id": flow_id, "success": true, "validation_errors": errors})),
        None => ok(json!({"id": flow_id})),
    }
}

pub(super) fn flow_assets(state: &mut State, call: &Call<'_>, base: &str) -> ResponseTemplate {
    let flow_id = call.segments[0];
    if !state.store.flows.contains_key(flow_id) {
        return not_found(flow_id);
    }
    if call.method == "GET" {
        return data(vec![json!({"name": "flow.json", "asset_type": "FLOW_JSON",
            "download_url": format!("{base}/flow-assets/{flow_id}/flow.json")})]);
    }
    if call.form_field("name").as_deref() != Some("flow.json")
        || call.form_field("asset_type").as_deref() != Some("FLOW_JSON")
    {
        return invalid("an asset upload is multipart with name=flow.json, asset_type=FLOW_JSON and file");
    }
    let Some(file) = call.form_field("file") else { return missing("file") };
    let errors = flow_json_errors(file.as_bytes());
    if let Some(flow) = state.store.flows.get_mut(flow_id) {
        flow["validation_errors"] = Value::Array(errors.clone());
    }
    state.store.flow_json.insert(flow_id.to_owned(), file.into_bytes());
    ok(json!({"success": true, "validation_errors": errors}))
}

pub(super) fn flow_lifecycle(state: &mut State, flow_id: &str, action: &str) -> ResponseTemplate {
    let Some(flow) = state.store.flows.get_mut(flow_id) else { return not_found(flow_id) };
    match action {
        "publish" if flow["validation_errors"].as_array().is_some_and(|e| !e.is_empty()) => {
            invalid("a flow with validation errors cannot be published")
        }
        "publish" if !state.store.flow_json.contains_key(flow_id) => invalid("upload a Flow JSON first"),
        "publish" => {
            flow["status"] = "PUBLISHED".into();
            success()
        }
        _ if flow["status"] != "PUBLISHED" => invalid("only a published flow can be deprecated"),
        _ => {
            flow["status"] = "DEPRECATED".into();
            success()
        }
    }
}

pub(super) fn encryption(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let phone = call.segments[0].to_owned();
    if call.method == "GET" {
        let keys =
            state.store.public_keys.get(&phone).map(
                |pem| json!({"business_public_key": pem, "business_public_key_signature_status": "VALID"}),
            );
        return ok(json!({"data": keys.into_iter().collect::<Vec<_>>()}));
    }
    match call.form_field("business_public_key") {
        Some(pem) if pem.contains("-----BEGIN PUBLIC KEY-----") => {
            state.store.public_keys.insert(phone, pem);
            success()
        }
        _ => missing("business_public_key (a PEM public key)"),
    }
}

pub(super) fn calling_settings(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let phone = call.segments[0].to_owned();
    if call.method == "GET" {
        let calling =
            state.store.calling.get(&phone).cloned().unwrap_or_else(|| json!({"status": "DISABLED"}));
        return ok(json!({"calling": calling}));
    }
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let Some(Value::Object(calling)) = body.get("calling") else { return missing("calling") };
    let stored = state.store.calling.entry(phone).or_insert_with(|| json!({}));
    for (key, value) in calling {
        stored[key] = value.clone();
    }
    success()
}

pub(super) fn call_action(call: &Call<'_>, id: u64) -> ResponseTemplate {
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    if str_field(&body, "messaging_product") != Some("whatsapp") {
        return missing("messaging_product");
    }
    let sdp = |kind: &str| body.get("session").is_some_and(|s| s["sdp_type"] == kind && s["sdp"].is_string());
    match str_field(&body, "action") {
        Some("connect")
            if (str_field(&body, "to").is_some() || str_field(&body, "recipient").is_some())
                && sdp("offer") =>
        {
            ok(json!({"messaging_product": "whatsapp", "calls": [{"id": format!("wacid.FAKE{id:012}")}]}))
        }
        Some("connect") => invalid("connect needs to and an SDP offer"),
        Some(action @ ("pre_accept" | "accept" | "reject" | "terminate")) => {
            if str_field(&body, "call_id").is_none() {
                return missing("call_id");
            }
            if matches!(action, "pre_accept" | "accept") && !sdp("answer") {
                return invalid("pre_accept and accept need an SDP answer");
            }
            ok(json!({"messaging_product": "whatsapp", "success": true}))
        }
        _ => missing("action (connect, pre_accept, accept, reject or terminate)"),
    }
}

/// `POST /{phone}/groups` creates a group at once (Meta confirms by webhook; the fake also
/// answers the id); `GET` lists them in Meta's `data.groups` shape.
pub(super) fn groups(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let owner = call.segments[0];
    if call.method == "GET" {
        let groups: Vec<Value> = state
            .store
            .groups
            .values()
            .filter(|g| g["owner"] == owner)
            .map(|g| json!({"id": g["id"], "subject": g["subject"], "created_at": g["creation_timestamp"]}))
            .collect();
        return ok(
            json!({"data": {"groups": groups}, "paging": {"cursors": {"after": "MTAx", "before": "NDMy"}}}),
        );
    }
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let Some(subject) = str_field(&body, "subject").filter(|s| s.chars().count() <= 128) else {
        return missing("subject (1 to 128 characters)");
    };
    let group_id = format!("Y2FwaV9ncm91cDpGQUtF{id:012}");
    let mode = str_field(&body, "join_approval_mode").unwrap_or("auto_approve");
    state.store.groups.insert(group_id.clone(), json!({"id": group_id, "subject": subject,
        "description": body.get("description").cloned().unwrap_or(Value::Null), "participants": [],
        "total_participant_count": 0, "suspended": false, "creation_timestamp": 1_764_000_000,
        "join_approval_mode": mode, "owner": owner, "invite_link": format!("https://chat.whatsapp.com/FAKE{id}")}));
    ok(json!({"messaging_product": "whatsapp", "id": group_id}))
}

pub(super) fn group_node(state: &mut State, call: &Call<'_>, group: &str) -> ResponseTemplate {
    match call.method {
        "GET" => state.store.groups.get(group).map_or_else(
            || not_found(group),
            |g| {
                let mut info = without_owner(g.clone());
                info["messaging_product"] = "whatsapp".into();
                ok(info)
            },
        ),
        "POST" => {
            if call.form_field("messaging_product").as_deref() != Some("whatsapp") {
                return missing("messaging_product");
            }
            if let Some(stored) = state.store.groups.get_mut(group) {
                for key in ["subject", "description"] {
                    if let Some(value) = call.form_field(key) {
                        stored[key] = value.into();
                    }
                }
            }
            ok(json!({"messaging_product": "whatsapp"}))
        }
        _ => {
            state.store.groups.remove(group);
            ok(json!({"messaging_product": "whatsapp"}))
        }
    }
}

pub(super) fn group_edge(
    state: &mut State,
    call: &Call<'_>,
    group: &str,
    edge: &str,
    id: u64,
) -> ResponseTemplate {
    let Some(stored) = state.store.groups.get_mut(group) else { return not_found(group) };
    match (call.method, edge) {
        ("GET", "invite_link") => {
            ok(json!({"messaging_product": "whatsapp", "invite_link": stored["invite_link"]}))
        }
        ("POST", "invite_link") => {
            stored["invite_link"] = format!("https://chat.whatsapp.com/FAKE{id}").into();
            ok(json!({"messaging_product": "whatsapp", "invite_link": stored["invite_link"]}))
        }
        ("DELETE", "participants") => {
            let count =
                call.json().and_then(|b| b.get("participants").and_then(Value::as_array).map(Vec::len));
            match count {
                Some(1..=8) => ok(json!({"messaging_product": "whatsapp"})),
                _ => invalid("participants: 1 to 8 {\"user\": ...} objects"),
            }
        }
        ("GET", "join_requests") => data(Vec::new()),
        ("POST" | "DELETE", "join_requests") => {
            let ids = call.json().and_then(|b| b.get("join_requests").and_then(Value::as_array).cloned());
            let Some(ids) = ids.filter(|ids| !ids.is_empty()) else { return missing("join_requests") };
            let key = if call.method == "POST" { "approved_join_requests" } else { "rejected_join_requests" };
            ok(json!({"messaging_product": "whatsapp", key: ids}))
        }
        _ => invalid("unsupported group operation"),
    }
}

/// Block, unblock and list users: 1 to 1000 `{"user": phone}` or `{"user_id": bsuid}` objects.
pub(super) fn block_users(call: &Call<'_>) -> ResponseTemplate {
    if call.method == "GET" {
        return data(Vec::new());
    }
    let users =
        call.json().and_then(|b| b.get("block_users").and_then(Value::as_array).cloned()).unwrap_or_default();
    if users.is_empty() || users.len() > 1000 {
        return missing("block_users (1 to 1000 users)");
    }
    let key = if call.method == "POST" { "added_users" } else { "removed_users" };
    let done: Vec<Value> = users
        .iter()
        .filter_map(|u| {
            match (u.get("user").and_then(Value::as_str), u.get("user_id").and_then(Value::as_str)) {
                (Some(phone), _) => Some(json!({"input": phone, "wa_id": phone.trim_start_matches('+')})),
                (None, Some(user_id)) => Some(json!({"input": user_id, "user_id": user_id})),
                (None, None) => None,
            }
        })
        .collect();
    ok(json!({"messaging_product": "whatsapp", "block_users": { key: done }}))
}

/// QR codes: create and update on the collection, read and delete by code.
pub(super) fn qr_codes(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let code = call.segments.get(2).copied();
    match (call.method, code) {
        ("GET", None) => data(state.store.qr_codes.values().cloned().collect()),
        ("GET", Some(code)) => match state.store.qr_codes.get(code) {
            Some(qr) => data(vec![qr.clone()]),
            None => not_found(code),
        },
        ("DELETE", Some(code)) => match state.store.qr_codes.remove(code) {
            Some(_) => success(),
            None => not_found(code),
        },
        ("POST", None) => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(message) = str_field(&body, "prefilled_message").filter(|m| m.chars().count() <= 140)
            else {
                return missing("prefilled_message (1 to 140 characters)");
            };
            let code = str_field(&body, "code").map_or_else(|| format!("FAKEQR{id:08}"), str::to_owned);
            let mut qr = json!({"code": code, "prefilled_message": message,
                "deep_link_url": format!("https://wa.me/message/{code}")});
            if let Some(format) = str_field(&body, "generate_qr_image") {
                qr["qr_image_url"] =
                    format!("https://scontent.xx.fbcdn.net/qr/{code}.{}", format.to_ascii_lowercase()).into();
            }
            state.store.qr_codes.insert(code, qr.clone());
            ok(qr)
        }
        _ => invalid("unsupported QR code operation"),
    }
}

/// `POST /{phone}/marketing_messages`: a template send, answered like `/messages` plus `success`.
pub(super) fn marketing(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    if str_field(&body, "type") != Some("template") {
        return ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "(#100) Invalid parameter",
            "type": "OAuthException", "code": 100, "error_data": {"details": "Message must be a template message."}}}));
    }
    match super::super::sends::whatsapp(&body, id) {
        Ok(accepted) => {
            let mut response = accepted.response;
            response["success"] = true.into();
            state.outbox.push(super::super::OutboxMessage {
                platform: accepted.platform,
                from: call.segments[0].to_owned(),
                to: accepted.to,
                kind: "marketing_template".to_owned(),
                message_id: accepted.message_id,
                body: Value::Object(body),
            });
            ok(response)
        }
        Err(details) => invalid(details),
    }
}

/// A resumable upload session: `OAuth` authorization, the bytes from `file_offset`.
pub(super) fn upload_session(
    state: &mut State,
    call: &Call<'_>,
    method: &str,
    session: &str,
) -> ResponseTemplate {
    let oauth = call
        .request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("OAuth "));
    if !oauth {
        return invalid("an upload session takes Authorization: OAuth <token>");
    }
    let received = state.store.uploads.get(session).copied().unwrap_or(0);
    if method == "GET" {
        return ok(json!({"id": session, "file_offset": received}));
    }
    let offset = call
        .request
        .headers
        .get("file_offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match offset {
        Some(offset) if offset <= received => {
            state.store.uploads.insert(session.to_owned(), offset + call.request.body.len());
            ok(json!({"h": format!("4::RkFLRQ==:{session}")}))
        }
        _ => invalid("file_offset is missing or past what was received"),
    }
}

/// A phone number's username: set (taken names end in `_taken`), read, delete.
pub(super) fn username(state: &mut State, call: &Call<'_>, phone: &str) -> ResponseTemplate {
    match call.method {
        "POST" => match call.json().and_then(|b| str_field(&b, "username").map(str::to_owned)) {
            Some(name) if name.ends_with("_taken") => {
                ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": "The username is not available.", "type": "OAuthException", "code": 147_001,
                "fbtrace_id": "AfakeGraph147001"}}))
            }
            Some(name) if !name.trim().is_empty() => {
                state.store.usernames.insert(phone.to_owned(), name);
                ok(json!({"status": "approved"}))
            }
            _ => missing("username"),
        },
        "GET" => match state.store.usernames.get(phone) {
            Some(name) => ok(json!({"username": name, "status": "approved"})),
            None => ok(json!({})),
        },
        _ => ok(json!({"success": state.store.usernames.remove(phone).is_some()})),
    }
}
