//! Every endpoint besides the sends: what they are given is kept in memory and answered in
//! Meta's shapes; missing required parameters get Graph's error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use wiremock::{Request, Respond, ResponseTemplate};

use super::{INSTAGRAM_API_PREFIX, INSTAGRAM_PREFIX, Shared, State, check_token, invalid, str_field};

#[path = "business.rs"]
mod business;
#[path = "flows_calls.rs"]
mod flows_calls;
#[path = "payments.rs"]
mod payments;
#[path = "templates.rs"]
mod templates;
use flows_calls::{
    block_users, call_action, calling_settings, encryption, flow_assets, flow_lifecycle, flows, group_edge,
    group_node, groups, marketing, qr_codes, upload_session, username,
};
use templates::without_owner;

/// The path of media downloads on the fake server.
const DOWNLOAD_PREFIX: &str = "/media-download/";
/// Seconds a long-lived token lives, as Meta answers.
const LONG_LIVED_SECONDS: u64 = 5_183_944;

/// What the endpoints keep between calls.
#[derive(Default)]
pub(super) struct Store {
    media: HashMap<String, Media>,
    templates: BTreeMap<String, Value>,
    profiles: HashMap<String, Map<String, Value>>,
    business_profiles: HashMap<String, Map<String, Value>>,
    personas: BTreeMap<String, Value>,
    subscribed: HashSet<String>,
    thread_owners: HashMap<String, String>,
    flows: BTreeMap<String, Value>,
    flow_json: HashMap<String, Vec<u8>>,
    public_keys: HashMap<String, String>,
    calling: HashMap<String, Value>,
    groups: BTreeMap<String, Value>,
    qr_codes: BTreeMap<String, Value>,
    automation: HashMap<String, Value>,
    webhook_overrides: HashMap<String, String>,
    uploads: HashMap<String, usize>,
    usernames: HashMap<String, String>,
    template_groups: BTreeMap<String, Value>,
    business: business::Business,
    payments: payments::Payments,
}

struct Media {
    bytes: Vec<u8>,
    mime: String,
}

/// Which host a path stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Host {
    Facebook,
    Instagram,
    InstagramApi,
}

struct Call<'a> {
    method: &'a str,
    host: Host,
    segments: Vec<&'a str>,
    query: HashMap<String, String>,
    request: &'a Request,
}

impl Call<'_> {
    fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn json(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice::<Value>(&self.request.body) {
            Ok(Value::Object(body)) => Some(body),
            _ => None,
        }
    }

    /// A text field of a multipart form.
    fn form_field(&self, name: &str) -> Option<String> {
        let body = String::from_utf8_lossy(&self.request.body);
        let start = body.find(&format!("name=\"{name}\""))?;
        let value = &body[start..];
        let value = &value[value.find("\r\n\r\n")? + 4..];
        Some(value[..value.find("\r\n")?].to_owned())
    }
}

/// The endpoints, behind the sends in priority.
pub(super) struct Endpoints {
    pub(super) shared: Arc<Shared>,
    pub(super) base: String,
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn success() -> ResponseTemplate {
    ok(json!({"success": true}))
}

fn missing(parameter: &str) -> ResponseTemplate {
    invalid(format!("the parameter {parameter} is required"))
}

fn not_found(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": {
        "message": format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation"),
        "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "AfakeGraph33"}}))
}

fn unknown_path() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({"error": {
        "message": "Unknown path components: the fake Graph server does not model this endpoint",
        "type": "OAuthException", "code": 2500, "fbtrace_id": "AfakeGraph404"}}))
}

fn data(items: Vec<Value>) -> ResponseTemplate {
    let mut page = json!({"paging": {"cursors": {"before": "QVFIUmZAha2U", "after": "QVFIUmZAha2V"}}});
    page["data"] = Value::Array(items);
    ok(page)
}

fn token_answer(token: String, expires_in: Option<u64>) -> ResponseTemplate {
    let mut body = json!({"token_type": "bearer"});
    body["access_token"] = Value::String(token);
    if let Some(seconds) = expires_in {
        body["expires_in"] = seconds.into();
    }
    ok(body)
}

impl Respond for Endpoints {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.shared.state();
        state.requests += 1;
        if let Some(error) = state.failures.pop_front() {
            return error.response();
        }
        let path = request.url.path().to_owned();
        let (host, rest) = if let Some(rest) = path.strip_prefix(INSTAGRAM_API_PREFIX) {
            (Host::InstagramApi, rest)
        } else if let Some(rest) = path.strip_prefix(INSTAGRAM_PREFIX) {
            (Host::Instagram, rest)
        } else {
            (Host::Facebook, path.as_str())
        };
        if let Some(id) = rest.strip_prefix(DOWNLOAD_PREFIX) {
            return download(&state, request, id);
        }
        let mut segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        if host != Host::InstagramApi {
            // Graph paths carry the version first.
            if !segments.first().is_some_and(|v| v.starts_with('v') && v.contains('.')) {
                return unknown_path();
            }
            segments.remove(0);
        }
        let query = request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let call = Call { method: request.method.as_str(), host, segments, query, request };
        let id = self.shared.ids.fetch_add(1, Ordering::Relaxed);
        if let Some(answer) = tokens(&call, id) {
            return answer;
        }
        if let Some(refused) = check_token(&state, request) {
            return refused;
        }
        route(&mut state, &call, id, &self.base)
    }
}

/// The token endpoints, which authenticate with the app's credentials instead of a token.
fn tokens(call: &Call<'_>, id: u64) -> Option<ResponseTemplate> {
    let answer = match (call.method, call.host, call.segments.as_slice()) {
        ("GET", Host::Facebook, ["oauth", "access_token"]) => {
            if call.query("client_id").is_none() || call.query("client_secret").is_none() {
                return Some(missing("client_id and client_secret"));
            }
            if call.query("code").is_some() {
                token_answer(format!("EAAfakeBusiness{id:08}"), None)
            } else if call.query("grant_type") == Some("fb_exchange_token") {
                if call.query("fb_exchange_token").is_none() {
                    return Some(missing("fb_exchange_token"));
                }
                token_answer(format!("EAAfakeLongLived{id:08}"), Some(LONG_LIVED_SECONDS))
            } else if call.query("grant_type") == Some("client_credentials") {
                token_answer(
                    format!("{}|fakeAppToken{id:08}", call.query("client_id").unwrap_or_default()),
                    None,
                )
            } else {
                missing("code, fb_exchange_token or grant_type")
            }
        }
        ("GET", Host::Facebook, ["debug_token"]) => {
            let Some(input) = call.query("input_token") else { return Some(missing("input_token")) };
            let app_id =
                call.query("access_token").or(bearer(call)).and_then(|t| t.split('|').next()).unwrap_or("0");
            let now = unix_now();
            ok(json!({"data": {
                "app_id": app_id, "type": "USER", "application": "Fake App", "is_valid": !input.contains("revoked"),
                "expires_at": now + LONG_LIVED_SECONDS, "data_access_expires_at": now + 90 * 86_400, "issued_at": now,
                "scopes": ["whatsapp_business_messaging", "whatsapp_business_management"],
                "granular_scopes": [{"scope": "whatsapp_business_messaging", "target_ids": ["102290129340398"]}],
                "user_id": "10161234567890123"}}))
        }
        ("GET", Host::Instagram, ["access_token"]) => {
            if call.query("grant_type") != Some("ig_exchange_token") {
                return Some(missing("grant_type=ig_exchange_token"));
            }
            if call.query("client_secret").is_none() || call.query("access_token").is_none() {
                return Some(missing("client_secret and access_token"));
            }
            token_answer(format!("IGAAfakeLongLived{id:08}"), Some(LONG_LIVED_SECONDS))
        }
        ("GET", Host::Instagram, ["refresh_access_token"]) => {
            if call.query("grant_type") != Some("ig_refresh_token") || call.query("access_token").is_none() {
                return Some(missing("grant_type=ig_refresh_token and access_token"));
            }
            token_answer(format!("IGAAfakeRefreshed{id:08}"), Some(5_184_000))
        }
        ("POST", Host::InstagramApi, ["oauth", "access_token"]) => {
            for field in ["client_id", "client_secret", "grant_type", "redirect_uri", "code"] {
                if call.form_field(field).is_none_or(|v| v.is_empty()) {
                    return Some(missing(field));
                }
            }
            ok(
                json!({"data": [{"access_token": format!("IGAAfakeShort{id:08}"), "user_id": "17841400000000000",
                "permissions": "instagram_business_basic,instagram_business_manage_messages"}]}),
            )
        }
        _ => return None,
    };
    Some(answer)
}

fn bearer<'a>(call: &'a Call<'_>) -> Option<&'a str> {
    call.request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The routing role owning a WhatsApp user's thread (`FakeGraph::thread_role`).
pub(super) fn thread_role(state: &State, phone: &str, user: &str) -> Option<String> {
    business::thread_role(state, phone, user)
}

/// A Messenger user's marketing subscription (`FakeGraph::subscribe`).
pub(super) fn subscribe(state: &mut State, page: &str, psid: &str, topic: &str) -> String {
    business::subscribe(state, page, psid, topic)
}

/// Marks a sent order as paid (the test's stand-in for the user paying).
pub(super) fn capture_payment(state: &mut State, reference_id: &str) -> bool {
    payments::capture(state, reference_id)
}

#[allow(clippy::too_many_lines)] // a routing table: one arm per endpoint
fn route(state: &mut State, call: &Call<'_>, id: u64, base: &str) -> ResponseTemplate {
    match (call.method, call.segments.as_slice()) {
        ("POST", [_, "media"]) => upload(state, call, id),
        ("GET", [_, "payments", _, _] | [_, "payment_configurations" | "payment_configuration", ..])
        | (
            "POST",
            [_, "payments_refund" | "payment_configuration" | "generate_payment_configuration_oauth_link"],
        )
        | ("DELETE", [_, "payment_configuration"]) => payments::route(state, call),
        ("POST", [phone, "thread_control"]) => business::thread_control(state, call, phone, id),
        ("POST", [_, "message_campaign"])
        | ("GET", [_, "notification_message_tokens" | "messenger_call_permissions"]) => {
            business::messenger_marketing(state, call, id)
        }
        ("POST", [_, "register"]) => register(call),
        ("POST", [_, "deregister" | "unpause"]) | ("DELETE", [_, "permissions"]) => success(),
        (
            "POST",
            [
                _,
                "pass_thread_control"
                | "take_thread_control"
                | "request_thread_control"
                | "release_thread_control",
            ],
        ) => thread_control(state, call),
        ("POST", [_, "request_code"]) => match (call.query("code_method"), call.query("language")) {
            (Some("SMS" | "VOICE"), Some(_)) => success(),
            _ => missing("code_method (SMS or VOICE) and language"),
        },
        ("POST", [_, "verify_code"]) => match call.query("code") {
            Some(code) if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) => success(),
            _ => invalid("code must be the 6 digits received"),
        },
        ("GET" | "POST", [_, "whatsapp_business_profile"]) => business_profile(state, call),
        ("GET" | "POST" | "DELETE", [_, "subscribed_apps"]) => subscriptions(state, call),
        ("GET" | "POST", [_, "flows"]) => flows(state, call, id),
        ("GET" | "POST", [_, "assets"]) => flow_assets(state, call, base),
        ("POST", [flow, action @ ("publish" | "deprecate")]) => flow_lifecycle(state, flow, action),
        ("GET" | "POST", [_, "whatsapp_business_encryption"]) => encryption(state, call),
        ("GET" | "POST", [_, "settings"]) => calling_settings(state, call),
        ("POST", [_, "calls"]) => call_action(call, id),
        ("GET" | "POST", [_, "groups"]) => groups(state, call, id),
        ("POST", [_, "upsert_message_templates"]) => match call.json() {
            Some(body)
                if str_field(&body, "name").is_some()
                    && body.get("languages").and_then(Value::as_array).is_some_and(|l| !l.is_empty()) =>
            {
                let languages = body["languages"].as_array().cloned().unwrap_or_default();
                let data = languages.iter().enumerate().map(|(i, language)| {
                    json!({"id": format!("{}", 954_638_000_000_000 + id * 10 + i as u64), "status": "APPROVED", "language": language})
                });
                ok(json!({"data": data.collect::<Vec<_>>()}))
            }
            _ => missing("name and languages"),
        },
        ("GET", [_, "compare"]) => match call.query("template_ids") {
            Some(_) => {
                data(vec![json!({"metric": "MESSAGE_SENDS", "type": "NUMBER_VALUES", "number_values": []})])
            }
            None => missing("template_ids"),
        },
        ("GET", [_, "template_analytics"]) => {
            match (call.query("template_ids"), call.query("start"), call.query("end")) {
                (Some(_), Some(_), Some(_)) => data(vec![
                    json!({"granularity": "DAILY", "product_type": "cloud_api", "data_points": []}),
                ]),
                _ => missing("template_ids, start and end"),
            }
        }
        ("POST", [_, "uploads"]) => {
            match (call.query("file_name"), call.query("file_length"), call.query("file_type")) {
                (Some(_), Some(length), Some(_)) if length.parse::<u64>().is_ok_and(|l| l > 0) => {
                    ok(json!({"id": format!("upload:RkFLRVVQTE9BRA{id:08}?sig=FAKESIG")}))
                }
                _ => missing("file_name, file_length and file_type"),
            }
        }
        (method, [session]) if session.starts_with("upload:") => upload_session(state, call, method, session),
        ("GET" | "POST" | "DELETE", [_, "block_users"]) => block_users(call),
        ("GET" | "POST" | "DELETE", [phone, "username"]) => username(state, call, phone),
        ("GET", [_, "username_suggestions"]) => {
            ok(json!({"data": [{"username_suggestions": ["fake_business", "fake_business_shop"]}]}))
        }
        ("GET" | "POST" | "DELETE", [_, "message_qrdls", ..]) => qr_codes(state, call, id),
        ("POST", [_, "marketing_messages"]) => marketing(state, call, id),
        ("POST", [_, "smb_app_data"]) => match call.json() {
            Some(body)
                if str_field(&body, "messaging_product") == Some("whatsapp")
                    && matches!(str_field(&body, "sync_type"), Some("smb_app_state_sync" | "history")) =>
            {
                ok(json!({"messaging_product": "whatsapp", "request_id": format!("fake-sync-{id:08}")}))
            }
            _ => invalid(
                "messaging_product whatsapp and a sync_type of smb_app_state_sync or history are required",
            ),
        },
        ("POST", [_, "conversational_automation"]) => match call.json() {
            Some(body) => {
                // Like Meta: the fields sent replace theirs, the others stay.
                let saved =
                    state.store.automation.entry(call.segments[0].to_owned()).or_insert_with(|| json!({}));
                if let Value::Object(saved) = saved {
                    saved.extend(body);
                }
                success()
            }
            None => invalid("a JSON body is required"),
        },
        ("GET" | "POST", [_, "whatsapp_commerce_settings"]) => {
            if call.method == "GET" {
                data(vec![
                    json!({"id": "527759822865714", "is_cart_enabled": true, "is_catalog_visible": false}),
                ])
            } else if call.query("is_cart_enabled").is_some() || call.query("is_catalog_visible").is_some() {
                success()
            } else {
                missing("is_cart_enabled or is_catalog_visible")
            }
        }
        ("GET" | "POST" | "DELETE", [group, edge @ ("invite_link" | "participants" | "join_requests")])
            if state.store.groups.contains_key(*group) =>
        {
            group_edge(state, call, group, edge, id)
        }
        (_, [group]) if state.store.groups.contains_key(*group) => group_node(state, call, group),
        ("GET", [_, "call_permissions"]) => match call.query("user_wa_id") {
            Some(_) => ok(json!({"messaging_product": "whatsapp", "permission": {"status": "temporary",
                "expiration_time": unix_now() + 86_400}, "actions": [
                {"action_name": "send_call_permission_request", "can_perform_action": true, "limits": []},
                {"action_name": "start_call", "can_perform_action": true, "limits": []}]})),
            None => missing("user_wa_id"),
        },
        ("GET", [_, "phone_numbers"]) => data(vec![phone_number("106540352242922")]),
        ("GET" | "POST" | "DELETE", [_, "message_templates"]) => templates::templates(state, call, id),
        ("POST", [_, "message_templates", _] | [_, "migrate_message_templates" | "template_groups"])
        | ("GET", [_, "template_group_analytics"]) => templates::admin(state, call, id),
        ("GET", ["message_template_library"]) => templates::library(call),
        ("POST", [_, "dataset" | "events" | "official_business_account"])
        | (_, [_, "signups" | "welcome_message_sequences"] | ["signups", _]) => {
            business::route(state, call, id)
        }
        ("GET" | "POST" | "DELETE", [_, "messenger_profile"]) => messenger_profile(state, call),
        ("GET" | "POST", [_, "personas"]) => personas(state, call, id),
        ("POST", [_, "message_attachments"]) => {
            ok(json!({"attachment_id": format!("{}", 1_857_777_774_000_000 + id)}))
        }
        ("GET", [node, "conversations"]) => conversations(state, node),
        ("GET", [_, "thread_owner"]) => match call.query("recipient") {
            Some(user) => {
                let owner = state.store.thread_owners.get(user).map_or("263902037430900", String::as_str);
                ok(json!({"data": [{"thread_owner": {"app_id": owner}}]}))
            }
            None => missing("recipient"),
        },
        ("GET", [_, "secondary_receivers"]) => {
            data(vec![json!({"id": "263902037430900", "name": "Page Inbox"})])
        }
        ("GET", [_, "comments"]) => data(vec![
            json!({"id": "17870913679156914", "text": "This is awesome!", "timestamp": "2026-11-20T19:16:02+0000", "username": "fake_fan", "hidden": false}),
        ]),
        ("POST", [_, "replies"]) => match call.query("message") {
            Some(_) => ok(json!({"id": format!("{}", 17_873_440_459_000_000 + id)})),
            None => missing("message"),
        },
        ("GET", [group]) if state.store.template_groups.contains_key(*group) => {
            templates::group(state, group)
        }
        ("GET", [node]) => node_read(state, call, node, base),
        ("POST", [node]) => node_write(state, call, node),
        ("DELETE", [node]) => {
            if let Some(flow) = state.store.flows.get(*node) {
                if flow["status"] != "DRAFT" {
                    return invalid("only a draft flow can be deleted");
                }
                state.store.flows.remove(*node);
                return success();
            }
            // A media, a persona, or (any other numeric id) a comment.
            let known =
                state.store.media.remove(*node).is_some() || state.store.personas.remove(*node).is_some();
            if known || call.host == Host::Instagram || node.bytes().all(|b| b.is_ascii_digit()) {
                success()
            } else {
                not_found(node)
            }
        }
        _ => unknown_path(),
    }
}

/// `POST /{phone-number-id}/media`: multipart with `messaging_product=whatsapp`, `type` and
/// `file`; the file is kept for lookup and download.
fn upload(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    let content_type = call.request.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(boundary) = content_type.strip_prefix("multipart/form-data; boundary=") else {
        return invalid("a media upload is multipart with messaging_product, type and file");
    };
    if call.form_field("messaging_product").as_deref() != Some("whatsapp")
        || call.form_field("type").is_none()
    {
        return invalid("a media upload is multipart with messaging_product, type and file");
    }
    let body = &call.request.body;
    let Some(file) = find(body, b"name=\"file\"") else {
        return invalid("a media upload is multipart with messaging_product, type and file");
    };
    let part = &body[file..];
    let Some(headers_end) = find(part, b"\r\n\r\n") else { return invalid("malformed multipart") };
    let headers = String::from_utf8_lossy(&part[..headers_end]);
    let mime = headers
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: ").or_else(|| l.strip_prefix("content-type: ")))
        .unwrap_or("application/octet-stream")
        .to_owned();
    let content = &part[headers_end + 4..];
    let end = find(content, format!("\r\n--{boundary}").as_bytes()).unwrap_or(content.len());
    let media_id = format!("{}", 1_037_543_291_000_000 + id);
    state.store.media.insert(media_id.clone(), Media { bytes: content[..end].to_vec(), mime });
    ok(json!({"id": media_id}))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn download(state: &State, request: &Request, id: &str) -> ResponseTemplate {
    if check_token(state, request).is_some() {
        return ResponseTemplate::new(401);
    }
    match state.store.media.get(id) {
        Some(media) => ResponseTemplate::new(200)
            .insert_header("content-type", media.mime.as_str())
            .set_body_bytes(media.bytes.clone()),
        None => ResponseTemplate::new(404),
    }
}

fn register(call: &Call<'_>) -> ResponseTemplate {
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    match (str_field(&body, "messaging_product"), str_field(&body, "pin")) {
        (Some("whatsapp"), Some(pin)) if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) => {
            success()
        }
        _ => invalid("messaging_product \"whatsapp\" and a 6-digit pin are required"),
    }
}

fn thread_control(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let Some(user) = body.get("recipient").and_then(|r| r.get("id")).and_then(Value::as_str) else {
        return missing("recipient");
    };
    if call.segments[1] == "pass_thread_control" {
        let Some(app) = body.get("target_app_id").filter(|v| v.is_u64() || v.is_string()) else {
            return missing("target_app_id");
        };
        let app = app.as_u64().map_or_else(|| app.as_str().unwrap_or_default().to_owned(), |n| n.to_string());
        state.store.thread_owners.insert(user.to_owned(), app);
    }
    success()
}

fn business_profile(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let phone = call.segments[0].to_owned();
    if call.method == "GET" {
        let mut profile = state.store.business_profiles.get(&phone).cloned().unwrap_or_default();
        profile.insert("messaging_product".to_owned(), "whatsapp".into());
        return data(vec![Value::Object(profile)]);
    }
    let Some(mut body) = call.json() else { return invalid("a JSON body is required") };
    if str_field(&body, "messaging_product") != Some("whatsapp") {
        return missing("messaging_product");
    }
    body.remove("messaging_product");
    state.store.business_profiles.entry(phone).or_default().extend(body);
    success()
}

fn subscriptions(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let waba = call.segments[0].to_owned();
    match call.method {
        "GET" => {
            let apps = if state.store.subscribed.contains(&waba) {
                vec![
                    json!({"whatsapp_business_api_data": {"id": "1234567890", "link": "https://www.example.com", "name": "Fake App"}}),
                ]
            } else {
                Vec::new()
            };
            data(apps)
        }
        "POST" => {
            state.store.subscribed.insert(waba);
            success()
        }
        _ => {
            state.store.subscribed.remove(&waba);
            success()
        }
    }
}

fn phone_number(id: &str) -> Value {
    json!({"id": id, "display_phone_number": "+1 555-010-0199", "verified_name": "Fake Business",
        "quality_rating": "GREEN", "whatsapp_business_manager_messaging_limit": "TIER_1K",
        "throughput": {"level": "STANDARD"}, "code_verification_status": "VERIFIED", "name_status": "APPROVED",
        "platform_type": "CLOUD_API"})
}

fn messenger_profile(state: &mut State, call: &Call<'_>) -> ResponseTemplate {
    let node = call.segments[0].to_owned();
    match call.method {
        "GET" => {
            let Some(fields) = call.query("fields") else { return missing("fields") };
            let profile = state.store.profiles.get(&node);
            let selected: Map<String, Value> = fields
                .split(',')
                .filter_map(|f| profile.and_then(|p| p.get(f)).map(|v| (f.to_owned(), v.clone())))
                .collect();
            ok(json!({"data": if selected.is_empty() { vec![] } else { vec![Value::Object(selected)] }}))
        }
        "POST" => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            if body.is_empty() {
                return invalid("set at least one property");
            }
            state.store.profiles.entry(node).or_default().extend(body);
            ok(json!({"result": "success"}))
        }
        _ => {
            let Some(body) = call.json() else { return invalid("a JSON body is required") };
            let Some(fields) = body.get("fields").and_then(Value::as_array) else { return missing("fields") };
            if let Some(profile) = state.store.profiles.get_mut(&node) {
                for field in fields.iter().filter_map(Value::as_str) {
                    profile.remove(field);
                }
            }
            ok(json!({"result": "success"}))
        }
    }
}

fn personas(state: &mut State, call: &Call<'_>, id: u64) -> ResponseTemplate {
    if call.method == "GET" {
        return data(state.store.personas.values().cloned().collect());
    }
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    let (Some(name), Some(picture)) = (str_field(&body, "name"), str_field(&body, "profile_picture_url"))
    else {
        return missing("name and profile_picture_url");
    };
    let persona_id = format!("{}", 202_111_000_000 + id);
    state
        .store
        .personas
        .insert(persona_id.clone(), json!({"id": persona_id, "name": name, "profile_picture_url": picture}));
    ok(json!({"id": persona_id}))
}

fn conversations(state: &State, node: &str) -> ResponseTemplate {
    let mut users: Vec<&str> =
        state.outbox.iter().filter(|m| m.from == node).map(|m| m.to.as_str()).collect();
    users.sort_unstable();
    users.dedup();
    data(
        users
            .iter()
            .map(|u| json!({"id": format!("t_{u}"), "updated_time": "2026-11-29T10:00:00+0000"}))
            .collect(),
    )
}

/// `GET /{id}`: a media, template, persona or sent message by id, else a phone number or a user
/// profile by the fields asked.
fn node_read(state: &State, call: &Call<'_>, node: &str, base: &str) -> ResponseTemplate {
    if let Some(media) = state.store.media.get(node) {
        let sha256 = crate::util::hex_encode(&Sha256::digest(&media.bytes));
        return ok(json!({"messaging_product": "whatsapp", "url": format!("{base}{DOWNLOAD_PREFIX}{node}"),
            "mime_type": media.mime, "sha256": sha256, "file_size": media.bytes.len(), "id": node}));
    }
    if let Some(template) = state.store.templates.get(node) {
        return ok(without_owner(template.clone()));
    }
    if let Some(flow) = state.store.flows.get(node) {
        let fields = call.query("fields").unwrap_or_default();
        if fields.starts_with("preview.") {
            return ok(json!({"id": node, "preview": {
                "preview_url": format!("https://business.facebook.com/wa/manage/flows/{node}/preview/?token=fake"),
                "expires_at": "2026-12-29T10:00:00+0000"}}));
        }
        if let Some(metric) = fields.strip_prefix("metric.name(") {
            let name = metric.split(')').next().unwrap_or_default();
            return ok(json!({"id": node, "metric": {"name": name, "granularity": "DAY", "data_points": [
                {"timestamp": "2026-11-28T08:00:00+0000", "data": [{"key": "value", "value": 0}]}]}}));
        }
        return ok(without_owner(flow.clone()));
    }
    if let Some(persona) = state.store.personas.get(node) {
        return ok(persona.clone());
    }
    if let Some(sent) = state.outbox.iter().find(|m| m.message_id.as_deref() == Some(node)) {
        return ok(json!({"id": node, "created_time": "2026-11-29T10:00:00+0000", "from": {"id": sent.from},
            "to": {"data": [{"id": sent.to}]}, "message": sent.text().unwrap_or_default()}));
    }
    let fields = call.query("fields").unwrap_or_default();
    for kind in ["analytics", "conversation_analytics", "pricing_analytics"] {
        if fields.starts_with(&format!("{kind}.start(")) {
            let answer = if kind == "analytics" { json!({"data_points": []}) } else { json!({"data": []}) };
            return ok(json!({ kind: answer, "id": node }));
        }
    }
    if fields == "official_business_account" {
        return business::oba(state, node);
    }
    if fields == "marketing_messages_onboarding_status" {
        return ok(json!({"marketing_messages_onboarding_status": "ONBOARDED", "id": node}));
    }
    if fields == "conversational_automation" {
        let automation = state.store.automation.get(node).cloned().unwrap_or_else(|| json!({}));
        return ok(json!({"conversational_automation": automation, "id": node}));
    }
    if fields == "webhook_configuration" {
        let mut configuration = json!({"application": format!("{base}/webhooks/meta")});
        if let Some(uri) = state.store.webhook_overrides.get(node) {
            configuration["phone_number"] = uri.as_str().into();
        }
        return ok(json!({"webhook_configuration": configuration, "id": node}));
    }
    if fields.contains("display_phone_number") {
        ok(phone_number(node))
    } else if fields.contains("username") {
        ok(json!({"name": "Fake User", "username": "fake_user", "profile_pic": "https://example.com/p.jpg",
            "follower_count": 1234, "is_user_follow_business": true, "is_business_follow_user": false, "is_verified_user": false}))
    } else if fields.contains("first_name") {
        ok(
            json!({"first_name": "Fake", "last_name": "User", "profile_pic": "https://example.com/p.jpg", "id": node}),
        )
    } else {
        not_found(node)
    }
}

/// `POST /{id}`: a template edit, a two-step PIN, or hiding a comment.
fn node_write(state: &mut State, call: &Call<'_>, node: &str) -> ResponseTemplate {
    if call.query("is_enabled_for_insights") == Some("true") {
        return ok(json!({ "id": node }));
    }
    if let Some(name) = call.query("new_display_name") {
        return business::display_name(state, node, name);
    }
    if let Some(hide) = call.query("hide") {
        return if matches!(hide, "true" | "false") {
            success()
        } else {
            invalid("hide must be true or false")
        };
    }
    let Some(body) = call.json() else { return invalid("a JSON body is required") };
    if let Some(flow) = state.store.flows.get_mut(node) {
        if body.get("categories").is_some_and(|c| c.as_array().is_none_or(Vec::is_empty)) {
            return missing("categories");
        }
        for key in ["name", "categories", "endpoint_uri"] {
            if let Some(value) = body.get(key) {
                flow[key] = value.clone();
            }
        }
        return success();
    }
    if let Some(template) = state.store.templates.get_mut(node) {
        let Some(components) = body.get("components") else { return missing("components") };
        template["components"] = components.clone();
        if let Some(category) = body.get("category") {
            template["category"] = category.clone();
        }
        return success();
    }
    if let Some(configuration) = body.get("webhook_configuration") {
        let uri = configuration.get("override_callback_uri").and_then(Value::as_str).unwrap_or_default();
        if uri.is_empty() {
            state.store.webhook_overrides.remove(node);
        } else {
            state.store.webhook_overrides.insert(node.to_owned(), uri.to_owned());
        }
        return success();
    }
    match str_field(&body, "pin") {
        Some(pin) if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) => success(),
        Some(_) => invalid("pin must be 6 digits"),
        None => not_found(node),
    }
}
