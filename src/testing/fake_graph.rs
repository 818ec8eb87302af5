//! A fake Graph API server for the messaging endpoints.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::Client;
use crate::Platform;
use crate::graph::RetryPolicy;

/// The path prefix that stands for `graph.instagram.com` (Instagram Login) on the fake server.
const INSTAGRAM_PREFIX: &str = "/instagram";

/// WhatsApp message types the Cloud API accepts, each sent under a key of the same name.
const WHATSAPP_TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];
const WHATSAPP_TEXT_MAX: usize = 4096;
const MESSENGER_TEXT_MAX: usize = 2000;
const SENDER_ACTIONS: &[&str] = &["typing_on", "typing_off", "mark_seen", "react", "unreact"];

/// An error the fake server answers the next request with, as Meta sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FakeError {
    /// `401`, code 190, subcode 463: the access token expired.
    ExpiredToken,
    /// `400`, code 130429: the phone number's throughput was reached (retryable).
    Throughput,
    /// `400`, code 131056: too many messages to the same recipient (retryable).
    PairRateLimit,
    /// `400`, code 131047: more than 24 hours since the customer last wrote.
    ReEngagement,
    /// `503`, code 2: a transient server error (retryable).
    ServiceUnavailable,
    /// Any status and body.
    Custom {
        /// The HTTP status.
        status: u16,
        /// The body, sent as is.
        body: String,
    },
}

impl FakeError {
    fn response(&self) -> ResponseTemplate {
        let (status, body) = match self {
            Self::ExpiredToken => (
                401,
                json!({"error": {"message": "Error validating access token: Session has expired on Friday, 14-Nov-25 04:00:00 PST.",
                    "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "AfakeGraph190xQ"}}),
            ),
            Self::Throughput => (
                400,
                json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130_429,
                    "error_data": {"messaging_product": "whatsapp", "details": "Cloud API message throughput has been reached."},
                    "fbtrace_id": "AfakeGraph130429"}}),
            ),
            Self::PairRateLimit => (
                400,
                json!({"error": {"message": "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                    "type": "OAuthException", "code": 131_056, "error_subcode": 2_494_055,
                    "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},
                    "fbtrace_id": "AfakeGraph131056"}}),
            ),
            Self::ReEngagement => (
                400,
                json!({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131_047,
                    "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
                    "fbtrace_id": "AfakeGraph131047"}}),
            ),
            Self::ServiceUnavailable => (
                503,
                json!({"error": {"message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException", "is_transient": true, "code": 2, "fbtrace_id": "AfakeGraph2xx"}}),
            ),
            Self::Custom { status, body } => {
                return ResponseTemplate::new(*status)
                    .insert_header("content-type", "application/json")
                    .set_body_string(body.clone());
            }
        };
        ResponseTemplate::new(status).set_body_json(body)
    }
}

/// One message the fake server accepted.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OutboxMessage {
    /// The platform: from the body for WhatsApp; Instagram for the Instagram host and for
    /// accounts registered with [`FakeGraph::instagram_account`]; Messenger otherwise.
    pub platform: Platform,
    /// The sending node: phone number id, Page id, Instagram account id or `me`.
    pub from: String,
    /// The recipient: WhatsApp number, PSID, IGSID, or the comment/post/user-ref id.
    pub to: String,
    /// What was sent: the WhatsApp `type`, or `text`, `attachment`, `attachments`, a sender
    /// action (`typing_on`, `mark_seen`, `react`, ...) or `read` for a WhatsApp read receipt.
    pub kind: String,
    /// The id the server answered with (`wamid.…` or `m_…`), if any.
    pub message_id: Option<String>,
    /// The JSON body, as sent.
    pub body: Value,
}

impl OutboxMessage {
    /// The text of a text message, if it is one.
    pub fn text(&self) -> Option<&str> {
        match self.platform {
            Platform::WhatsApp => self.body.pointer("/text/body"),
            Platform::Messenger | Platform::Instagram => self.body.pointer("/message/text"),
        }
        .and_then(Value::as_str)
    }
}

#[derive(Default)]
struct State {
    outbox: Vec<OutboxMessage>,
    failures: VecDeque<FakeError>,
    instagram_accounts: HashSet<String>,
    token: Option<String>,
    requests: usize,
}

struct Shared {
    state: Mutex<State>,
    ids: AtomicU64,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A local Graph API server for the messaging endpoints of all three platforms.
///
/// `POST /{node}/messages` (WhatsApp, Messenger, Instagram through either host) is validated,
/// recorded and answered like Meta does, and `POST /{phone-number-id}/media` accepts a
/// multipart upload with a media id; everything else answers `404` with a Graph error, so a
/// call the fake does not know fails loudly. Mount more mocks on [`server`](Self::server) for
/// other endpoints.
pub struct FakeGraph {
    server: MockServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for FakeGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state();
        f.debug_struct("FakeGraph")
            .field("uri", &self.server.uri())
            .field("sent", &state.outbox.len())
            .field("pending_failures", &state.failures.len())
            .finish_non_exhaustive()
    }
}

impl FakeGraph {
    /// Starts the server on 127.0.0.1 (a random port).
    pub async fn start() -> Self {
        let server = MockServer::builder().start().await;
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), ids: AtomicU64::new(1) });
        Mock::given(method("POST"))
            .and(path_regex(r"^(/instagram)?/v\d+\.\d+/[^/]+/messages$"))
            .respond_with(Responder { shared: Arc::clone(&shared) })
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/v\d+\.\d+/[^/]+/media$"))
            .respond_with(MediaUpload { shared: Arc::clone(&shared) })
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
                "message": "Unknown path components: the fake Graph server does not model this endpoint",
                "type": "OAuthException", "code": 2500, "fbtrace_id": "AfakeGraph404"}})))
            .with_priority(u8::MAX)
            .mount(&server)
            .await;
        Self { server, shared }
    }

    /// The base URL (`http://127.0.0.1:<port>`).
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The base URL standing for `graph.instagram.com`.
    pub fn instagram_uri(&self) -> String {
        format!("{}{INSTAGRAM_PREFIX}", self.server.uri())
    }

    /// The underlying wiremock server, to mount mocks for other endpoints.
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A client pointed at this server (both hosts) with `access_token`, retrying quickly
    /// (10 ms first backoff) so retry paths do not slow tests down.
    ///
    /// # Panics
    ///
    /// Never in practice: the server's URL is always a valid base URL.
    pub fn client(&self, access_token: &str) -> Client {
        // The server's own URL always parses as a base URL; a failure is a bug in this module.
        #[allow(clippy::expect_used)]
        Client::builder()
            .access_token(access_token)
            .base_url(self.uri())
            .instagram_base_url(self.instagram_uri())
            .retry(
                RetryPolicy::default()
                    .initial_backoff(Duration::from_millis(10))
                    .max_backoff(Duration::from_millis(50)),
            )
            .build()
            .expect("the fake server's URL is a valid base URL")
    }

    /// Accepts only `token` from now on; other tokens get code 190 like an invalid token.
    /// By default any non-empty token is accepted.
    pub fn require_token(&self, token: &str) {
        self.shared.state().token = Some(token.to_owned());
    }

    /// Records sends from the Page-linked account `id` as Instagram (with Facebook Login the
    /// Send API path is the same as Messenger's).
    pub fn instagram_account(&self, id: &str) {
        self.shared.state().instagram_accounts.insert(id.to_owned());
    }

    /// Answers the next messaging request with `error` (queued: call it twice to fail twice).
    /// Requests refused this way are not recorded in the outbox.
    pub fn fail_next(&self, error: FakeError) {
        self.shared.state().failures.push_back(error);
    }

    /// The messages accepted so far, in order.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.shared.state().outbox.clone()
    }

    /// Empties the outbox and returns what it held.
    pub fn take_outbox(&self) -> Vec<OutboxMessage> {
        std::mem::take(&mut self.shared.state().outbox)
    }

    /// How many messaging requests arrived, refused ones included.
    pub fn request_count(&self) -> usize {
        self.shared.state().requests
    }
}

struct Responder {
    shared: Arc<Shared>,
}

/// `POST /{phone-number-id}/media`: a multipart upload with `messaging_product=whatsapp`, a
/// `type` and a `file`, answered with a media id as Meta does.
struct MediaUpload {
    shared: Arc<Shared>,
}

impl Respond for MediaUpload {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.shared.state();
        state.requests += 1;
        if let Some(error) = state.failures.pop_front() {
            return error.response();
        }
        if bearer_token(request).is_none() {
            return invalid("an access token is required");
        }
        let multipart = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let body = String::from_utf8_lossy(&request.body);
        let has = |field: &str| body.contains(&format!("name=\"{field}\""));
        if !multipart
            || !has("file")
            || !has("type")
            || !body.contains("whatsapp")
            || !has("messaging_product")
        {
            return invalid("a media upload is multipart with messaging_product, type and file");
        }
        let id = self.shared.ids.fetch_add(1, Ordering::Relaxed);
        ResponseTemplate::new(200).set_body_json(json!({"id": format!("{}", 1_037_543_291_000_000 + id)}))
    }
}

/// A request the server refuses with Graph's "invalid parameter" error.
fn invalid(details: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": {
        "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
        "error_data": {"details": details.into()}, "fbtrace_id": "AfakeGraph100"}}))
}

fn bearer_token(request: &Request) -> Option<String> {
    let header = request.headers.get("authorization").and_then(|v| v.to_str().ok());
    if let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) {
        return Some(token.to_owned());
    }
    request.url.query_pairs().find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
}

fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.shared.state();
        state.requests += 1;
        if let Some(error) = state.failures.pop_front() {
            return error.response();
        }
        match (bearer_token(request), &state.token) {
            (None, _) => {
                return ResponseTemplate::new(400).set_body_json(json!({"error": {
                    "message": "An active access token must be used to query information about the current user.",
                    "type": "OAuthException", "code": 2500, "fbtrace_id": "AfakeGraph2500"}}));
            }
            (Some(sent), Some(required)) if sent != *required => {
                return ResponseTemplate::new(401).set_body_json(json!({"error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException", "code": 190, "fbtrace_id": "AfakeGraph190"}}));
            }
            _ => {}
        }
        let path = request.url.path();
        let instagram_host = path.starts_with(INSTAGRAM_PREFIX);
        let from = path.rsplit('/').nth(1).unwrap_or_default().to_owned();
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return invalid("the request body must be a JSON object");
        };
        let id = self.shared.ids.fetch_add(1, Ordering::Relaxed);
        let outcome = if body.get("messaging_product").is_some() {
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

struct Accepted {
    platform: Platform,
    to: String,
    kind: String,
    message_id: Option<String>,
    response: Value,
}

fn whatsapp(body: &Map<String, Value>, id: u64) -> Result<Accepted, String> {
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
    let to = str_field(body, "to").ok_or("the parameter to is required")?;
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
            "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
            "messages": [{"id": message_id, "message_status": "accepted"}],
        }),
        message_id: Some(message_id),
    })
}

fn send_api(body: &Map<String, Value>, id: u64, platform: Platform) -> Result<Accepted, String> {
    let Some(Value::Object(recipient)) = body.get("recipient") else {
        return Err("the parameter recipient is required".to_owned());
    };
    let to = ["id", "user_ref", "comment_id", "post_id", "notification_messages_token"]
        .iter()
        .find_map(|key| str_field(recipient, key))
        .ok_or("recipient needs one of id, user_ref, comment_id, post_id")?;
    if let Some(messaging_type) = str_field(body, "messaging_type") {
        if !["RESPONSE", "UPDATE", "MESSAGE_TAG"].contains(&messaging_type) {
            return Err(format!("unknown messaging_type {messaging_type:?}"));
        }
        if messaging_type == "MESSAGE_TAG" && str_field(body, "tag").is_none() {
            return Err("messaging_type MESSAGE_TAG needs a tag".to_owned());
        }
    }
    let (kind, message_id) = match (body.get("message"), str_field(body, "sender_action")) {
        (Some(Value::Object(message)), None) => {
            let kind = ["text", "attachment", "attachments"]
                .into_iter()
                .find(|key| message.contains_key(*key))
                .ok_or("message needs text, attachment or attachments")?;
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
