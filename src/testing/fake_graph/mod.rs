//! A fake Graph API server for every endpoint the crate calls.

mod endpoints;
mod sends;

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::Client;
use crate::Platform;
use crate::graph::RetryPolicy;

/// The path prefix that stands for `graph.instagram.com` (Instagram Login) on the fake server.
const INSTAGRAM_PREFIX: &str = "/instagram";
/// The path prefix that stands for `api.instagram.com` (Instagram Login's code exchange).
const INSTAGRAM_API_PREFIX: &str = "/instagram-api";

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
    /// `400`, code 131049: a marketing message not delivered "to maintain healthy ecosystem
    /// engagement" (the user's marketing limit; not retryable within 24 hours).
    MarketingLimit,
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
            Self::MarketingLimit => (
                400,
                json!({"error": {"message": "(#131049) This message was not delivered to maintain healthy ecosystem engagement.",
                    "type": "OAuthException", "code": 131_049,
                    "error_data": {"messaging_product": "whatsapp", "details": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},
                    "fbtrace_id": "AfakeGraph131049"}}),
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
    /// The message as JSON: `{"platform", "from", "to", "kind", "message_id", "body"}` (the
    /// form `GET /_fake/outbox` answers).
    pub fn to_json(&self) -> Value {
        json!({"platform": self.platform.as_str(), "from": self.from, "to": self.to, "kind": self.kind,
            "message_id": self.message_id, "body": self.body})
    }

    /// Reads the JSON form back (from another process's `GET /_fake/outbox`); `None` when it
    /// is not one.
    pub fn from_json(value: &Value) -> Option<Self> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            platform: match value.get("platform")?.as_str()? {
                "whatsapp" => Platform::WhatsApp,
                "instagram" => Platform::Instagram,
                _ => Platform::Messenger,
            },
            from: text("from")?,
            to: text("to")?,
            kind: text("kind")?,
            message_id: text("message_id"),
            body: value.get("body")?.clone(),
        })
    }

    /// The text of a text message, if it is one.
    pub fn text(&self) -> Option<&str> {
        match self.platform {
            Platform::WhatsApp => self.body.pointer("/text/body"),
            _ => self.body.pointer("/message/text"),
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
    /// Everything the other endpoints create or set, by kind and id.
    store: endpoints::Store,
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

/// A local Graph API server for every endpoint the crate calls, on all three platforms.
///
/// `POST /{node}/messages` (WhatsApp, Messenger, Instagram through either host) is validated,
/// recorded and answered like Meta does. The other endpoints keep what they are given in
/// memory and answer in Meta's shapes: media (upload, lookup, download, delete), message
/// templates, phone numbers, registration, two-step PIN, business profile, webhook
/// subscriptions, the Messenger profile, personas, saved attachments, conversations, user
/// profiles, thread control, Page utility templates, Instagram comments, and the token
/// endpoints (code and long-lived exchanges, Instagram Login, `debug_token`, revocation).
/// Each checks the parameters Meta requires and answers a Graph error otherwise; a path it
/// does not know answers `404` with a Graph error, so a call the fake does not model fails
/// loudly. Mount more mocks on [`server`](Self::server) to override any of them.
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
        Self::serve(MockServer::builder().start().await).await
    }

    /// Starts the server on `address` (for a fake Graph a restarted process finds at the same
    /// URL, or one run apart: see the `fake_graph` example). The outbox is also readable over
    /// HTTP: `GET /_fake/outbox` answers it as a JSON array ([`OutboxMessage::to_json`]).
    ///
    /// # Errors
    ///
    /// The I/O error when `address` cannot be bound.
    pub async fn start_on(address: std::net::SocketAddr) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(address)?;
        Ok(Self::serve(MockServer::builder().listener(listener).start().await).await)
    }

    async fn serve(server: MockServer) -> Self {
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), ids: AtomicU64::new(1) });
        Mock::given(method("POST"))
            .and(path_regex(r"^(/instagram)?/v\d+\.\d+/[^/]+/messages$"))
            .respond_with(Responder { shared: Arc::clone(&shared) })
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(wiremock::matchers::path(OUTBOX_PATH))
            .respond_with(OutboxRoute { shared: Arc::clone(&shared) })
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(endpoints::Endpoints { shared: Arc::clone(&shared), base: server.uri() })
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
            .instagram_oauth_base_url(format!("{}{INSTAGRAM_API_PREFIX}", self.uri()))
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

    /// Subscribes Messenger user `psid` to `page_id`'s marketing messages on `topic` (what the
    /// user's yes to a marketing opt-in does) and returns the subscription token, which
    /// `notification_message_tokens` then lists.
    pub fn subscribe(&self, page_id: &str, psid: &str, topic: &str) -> String {
        endpoints::subscribe(&mut self.shared.state(), page_id, psid, topic)
    }

    /// The routing role that owns `user`'s thread on `phone_number_id` after the thread
    /// controls it was sent (`None` when released or never set).
    pub fn thread_role(&self, phone_number_id: &str, user: &str) -> Option<String> {
        endpoints::thread_role(&self.shared.state(), phone_number_id, user)
    }

    /// Marks the order `reference_id` (sent with `order_details`) as paid in full through a
    /// gateway, so payment lookups answer `captured` and refunds can be asked; `false` when no
    /// such order was sent.
    pub fn capture_payment(&self, reference_id: &str) -> bool {
        endpoints::capture_payment(&mut self.shared.state(), reference_id)
    }

    /// The messages accepted so far, in order.
    pub fn outbox(&self) -> Vec<OutboxMessage> {
        self.shared.state().outbox.clone()
    }

    /// Empties the outbox and returns what it held.
    pub fn take_outbox(&self) -> Vec<OutboxMessage> {
        std::mem::take(&mut self.shared.state().outbox)
    }

    /// How many requests arrived, refused ones included.
    pub fn request_count(&self) -> usize {
        self.shared.state().requests
    }
}

/// The path that answers the outbox as JSON.
pub const OUTBOX_PATH: &str = "/_fake/outbox";

struct OutboxRoute {
    shared: Arc<Shared>,
}

impl wiremock::Respond for OutboxRoute {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let outbox: Vec<Value> = self.shared.state().outbox.iter().map(OutboxMessage::to_json).collect();
        ResponseTemplate::new(200).set_body_json(outbox)
    }
}

struct Responder {
    shared: Arc<Shared>,
}

/// A request the server refuses with Graph's "invalid parameter" error.
fn invalid(details: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": {
        "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
        "error_data": {"details": details.into()}, "fbtrace_id": "AfakeGraph100"}}))
}

fn bearer_token(request: &Request) -> Option<String> {
    let header = request.headers.get("authorization").and_then(|v| v.to_str().ok());
    if let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("OAuth "))) {
        return Some(token.to_owned());
    }
    request.url.query_pairs().find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
}

fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The refusal of a request without a token (code 2500) or with another token than the
/// required one (code 190), as Graph answers; `None` when the token is fine.
fn check_token(state: &State, request: &Request) -> Option<ResponseTemplate> {
    match (bearer_token(request), &state.token) {
        (None, _) => Some(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "An active access token must be used to query information about the current user.",
            "type": "OAuthException", "code": 2500, "fbtrace_id": "AfakeGraph2500"}}))),
        (Some(sent), Some(required)) if sent != *required => {
            Some(ResponseTemplate::new(401).set_body_json(json!({"error": {
                "message": "Invalid OAuth access token - Cannot parse access token",
                "type": "OAuthException", "code": 190, "fbtrace_id": "AfakeGraph190"}})))
        }
        _ => None,
    }
}

/// What a send produced.
struct Accepted {
    platform: Platform,
    to: String,
    kind: String,
    message_id: Option<String>,
    response: Value,
}

/// Reads the outbox of a fake Graph server running in another process (`GET /_fake/outbox` at
/// `base_url`, as the `fake_graph` example serves it).
///
/// # Errors
///
/// An I/O error when the server cannot be reached or does not answer an outbox.
pub async fn read_outbox(base_url: &str) -> std::io::Result<Vec<OutboxMessage>> {
    let url = format!("{}{OUTBOX_PATH}", base_url.trim_end_matches('/'));
    let response = crate::testing::http_client().get(url).send().await.map_err(std::io::Error::other)?;
    let bytes = response.bytes().await.map_err(std::io::Error::other)?;
    let items: Vec<Value> = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    items
        .iter()
        .map(OutboxMessage::from_json)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| std::io::Error::other("not an outbox"))
}
