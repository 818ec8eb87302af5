//! The crate's client error, its classification, and Meta's Graph error object.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::codes;
use super::redact::scrub;
use super::usage::Usage;

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in the terms a caller acts on.
///
/// Graph error codes are mapped to these classes by one table (see [`GraphApiError`] for the raw
/// code); the mapping follows Meta's error references.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client was configured wrongly (an unparsable base URL, an absolute path, ...).
    Config,
    /// The request broke one of Meta's documented limits and was not sent; see
    /// [`Error::validation_error`].
    Validation,
    /// No connection could be made; the request never reached Meta.
    Connect,
    /// The request or the whole operation timed out; Meta may or may not have acted on it.
    Timeout,
    /// The connection failed while the request or response was in flight.
    Transport,
    /// Meta answered with success, but the body did not have the expected shape.
    Decode,
    /// The access token is expired, invalid or revoked (code 190 and its subcodes, 102, 0):
    /// the customer must re-authorize or the token must be refreshed; retrying cannot help.
    Auth,
    /// The token lacks a permission or the asset is not allowed (codes 3, 10, 200–299, ...).
    Permission,
    /// A rate or throughput limit was hit (codes 4, 17, 32, 613, 80001–80014, 130429, 131048,
    /// 131056, ...). Meta rejected the request, so it is safe to send again later; see
    /// [`Error::retry_after`].
    RateLimited,
    /// A temporary failure on Meta's side (codes 1, 2, 131000, 131016, HTTP 5xx, ...).
    Transient,
    /// A free-form message outside the 24-hour customer-service window (131047, Messenger
    /// 2018278): send a template (WhatsApp) or use a message tag (Messenger).
    OutsideWindow,
    /// A message-template problem (132000-series: parameter mismatch, unknown, paused, ...).
    Template,
    /// The recipient cannot receive this message (131026, 131049, 131050, 551, ...).
    Undeliverable,
    /// Meta rejected a parameter of the request (100, 131008, 131009, ...).
    InvalidRequest,
    /// Any other Graph API error; see [`Error::api_error`] for the code.
    Api,
    /// Not sent: a person has the conversation (refused before the request by a
    /// [`Handoff`](crate::pacing::Handoff)); the bot may answer again after
    /// [`Error::retry_after`].
    HandedOff,
}

impl ErrorKind {
    /// A stable snake-case name (`rate_limited`, `outside_window`, ...), for metrics labels and
    /// logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Validation => "validation",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Decode => "decode",
            Self::Auth => "auth",
            Self::Permission => "permission",
            Self::RateLimited => "rate_limited",
            Self::Transient => "transient",
            Self::OutsideWindow => "outside_window",
            Self::Template => "template",
            Self::Undeliverable => "undeliverable",
            Self::InvalidRequest => "invalid_request",
            Self::Api => "api",
            Self::HandedOff => "handed_off",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Config => "invalid client configuration",
            Self::Validation => "request failed validation",
            Self::Connect => "could not connect to the graph api",
            Self::Timeout => "graph api request timed out",
            Self::Transport => "graph api connection failed",
            Self::Decode => "could not decode the graph api response",
            Self::Auth => "access token rejected",
            Self::Permission => "permission denied",
            Self::RateLimited => "rate limited",
            Self::Transient => "temporary graph api failure",
            Self::OutsideWindow => "outside the customer-service window",
            Self::Template => "message template error",
            Self::Undeliverable => "message undeliverable",
            Self::InvalidRequest => "invalid request",
            Self::Api => "graph api error",
            Self::HandedOff => "paused: a person has the conversation",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The error of every client call.
///
/// Opaque on purpose: match on [`kind`](Error::kind) and ask the helpers the questions callers
/// have: [`is_retryable`](Error::is_retryable), [`is_rate_limited`](Error::is_rate_limited),
/// [`retry_after`](Error::retry_after), [`requires_reauth`](Error::requires_reauth), and
/// [`api_error`](Error::api_error) for everything Meta sent.
///
/// Neither `Display` nor `Debug` ever contains an access token, an app secret or a request URL;
/// Meta's own messages are scrubbed of token-shaped text before they are stored.
///
/// ```
/// # async fn run(client: meta_messaging::Client) {
/// match client.get::<serde_json::Value>("/me").send().await {
///     Ok(me) => println!("{me}"),
///     Err(err) if err.requires_reauth() => eprintln!("ask the customer to reconnect: {err}"),
///     Err(err) if err.is_rate_limited() => eprintln!("slow down for {:?}", err.retry_after()),
///     Err(err) => eprintln!("{err}"),
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: Option<Cow<'static, str>>,
    api: Option<GraphApiError>,
    status: Option<u16>,
    body: Option<String>,
    retry_after: Option<Duration>,
    usage: Option<Usage>,
    validation: Option<ValidationError>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

/// How a failed request may be retried ([`Error::retry_class`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// The request was not processed (rate limited, or no connection was made): retrying is
    /// always safe.
    Safe,
    /// The request may or may not have been processed (a timeout, a transient server error, a
    /// dropped connection): safe to retry for idempotent requests; a send may be duplicated.
    Ambiguous,
    /// Retrying the same request will not help.
    Never,
}

impl Error {
    fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: None,
                api: None,
                status: None,
                body: None,
                retry_after: None,
                usage: None,
                validation: None,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Self {
        let mut err = Self::new(ErrorKind::Config);
        err.inner.message = Some(message.into());
        err
    }

    pub(crate) fn validation(error: ValidationError) -> Self {
        let mut err = Self::new(ErrorKind::Validation);
        err.inner.validation = Some(error);
        err
    }

    pub(crate) fn with_kind_and_source(
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
        source: Option<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        let mut err = Self::new(kind);
        err.inner.message = Some(message.into());
        err.inner.source = source.map(Arc::from);
        err
    }

    /// A send held back by a pacing limit for longer than the policy allows
    /// ([`ErrorKind::RateLimited`], with [`retry_after`](Self::retry_after) set): for
    /// [`SendGuard`](super::SendGuard)s that pace.
    pub fn paced(what: &'static str, retry_after: Duration) -> Self {
        let mut err = Self::new(ErrorKind::RateLimited);
        err.inner.message =
            Some(Cow::Owned(format!("paced locally: {what} allows the next message in {retry_after:?}")));
        err.inner.retry_after = Some(retry_after);
        err
    }

    /// A send refused by a [`SendGuard`](super::SendGuard) before its request, as `kind` (for
    /// example [`ErrorKind::Undeliverable`] for a recipient Meta said to leave alone for now),
    /// with `message` saying why.
    pub fn guarded(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        let mut err = Self::new(kind);
        err.inner.message = Some(message.into());
        err
    }

    /// A free-form send outside the customer-service window, refused before the request
    /// ([`ErrorKind::OutsideWindow`]): for [`SendGuard`](super::SendGuard)s that check windows.
    /// `message` says why and what to do instead.
    pub fn outside_window(message: impl Into<Cow<'static, str>>) -> Self {
        let mut err = Self::new(ErrorKind::OutsideWindow);
        err.inner.message = Some(message.into());
        err
    }

    /// Wraps a transport error from reqwest, dropping its URL (which may carry secrets).
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            ErrorKind::Timeout
        } else if error.is_connect() {
            ErrorKind::Connect
        } else if error.is_builder() {
            ErrorKind::Config
        } else {
            ErrorKind::Transport
        };
        let mut err = Self::new(kind);
        err.inner.source = Some(Arc::new(error.without_url()));
        err
    }

    /// A success response whose body did not decode. Only the position and category of the
    /// serde error are kept: its message may quote the body, which may hold a token.
    pub(crate) fn decode(error: &serde_json::Error, status: u16) -> Self {
        let category = match error.classify() {
            serde_json::error::Category::Io => "i/o error",
            serde_json::error::Category::Syntax => "invalid json",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "truncated json",
        };
        let mut err = Self::new(ErrorKind::Decode);
        err.inner.message =
            Some(Cow::Owned(format!("{category} at line {} column {}", error.line(), error.column())));
        err.inner.status = Some(status);
        err
    }

    /// An HTTP error response. `secrets` are scrubbed from everything kept.
    pub(crate) fn from_response(status: u16, body: &[u8], usage: Usage, secrets: &[&str]) -> Self {
        const MAX_KEPT_BODY: usize = 8 * 1024;
        // Scrub the whole text, then cut it: cutting first could leave the head of a secret
        // that straddles the cut, which the exact-match scrub would no longer see.
        let mut text = scrub(&String::from_utf8_lossy(body), secrets);
        if text.len() > MAX_KEPT_BODY {
            let mut end = MAX_KEPT_BODY;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        let api = GraphApiError::parse(status, body, &text, secrets);
        let kind = match &api {
            Some(api) => codes::classify(api.code, api.error_subcode, api.is_transient == Some(true)),
            None => codes::classify_status(status),
        };
        let mut err = Self::new(kind);
        err.inner.status = Some(status);
        err.inner.api = api;
        if err.inner.api.is_none() {
            err.inner.body = Some(text);
        }
        err.inner.retry_after = usage.regain_access_after();
        err.inner.usage = Some(usage);
        err
    }

    pub(crate) fn set_retry_after(&mut self, delay: Option<Duration>) {
        if let Some(delay) = delay {
            let current = self.inner.retry_after.unwrap_or_default();
            self.inner.retry_after = Some(current.max(delay));
        }
    }

    /// The class of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Whether trying again later may succeed: rate limits, temporary failures on Meta's side,
    /// connection failures, timeouts and other transport failures
    /// ([`retry_class`](Self::retry_class) is not [`RetryClass::Never`]).
    ///
    /// For a request that sends a message, only [`RetryClass::Safe`] failures prove Meta did not
    /// accept it; the client's automatic retries follow that rule.
    pub fn is_retryable(&self) -> bool {
        self.retry_class() != RetryClass::Never
    }

    /// How this failure may be retried: the one classification behind
    /// [`is_retryable`](Self::is_retryable) and the client's [`RetryPolicy`](super::RetryPolicy).
    pub fn retry_class(&self) -> RetryClass {
        match self.inner.kind {
            ErrorKind::RateLimited | ErrorKind::Connect => RetryClass::Safe,
            ErrorKind::Transient | ErrorKind::Timeout | ErrorKind::Transport => RetryClass::Ambiguous,
            _ => RetryClass::Never,
        }
    }

    /// Whether a rate or throughput limit was hit.
    pub fn is_rate_limited(&self) -> bool {
        self.inner.kind == ErrorKind::RateLimited
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// How long Meta asked to wait, from the `Retry-After` header or the
    /// `estimated_time_to_regain_access` of the usage headers.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the access token is no longer usable (code 190 and its subcodes, 102, 0): refresh
    /// it or ask the customer to reconnect; never retry with the same token.
    pub fn requires_reauth(&self) -> bool {
        self.inner.kind == ErrorKind::Auth
    }

    /// The Graph error object Meta sent, when the body had one.
    pub fn api_error(&self) -> Option<&GraphApiError> {
        self.inner.api.as_ref()
    }

    /// The broken limit, for [`ErrorKind::Validation`].
    pub fn validation_error(&self) -> Option<&ValidationError> {
        self.inner.validation.as_ref()
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// Meta's trace id of the failed call, for support requests.
    pub fn fbtrace_id(&self) -> Option<&str> {
        self.inner.api.as_ref().and_then(GraphApiError::fbtrace_id)
    }

    /// The usage headers of the failed response.
    pub fn usage(&self) -> Option<&Usage> {
        self.inner.usage.as_ref()
    }

    /// The response body (scrubbed of secrets, at most 8 KiB) when it held no Graph error
    /// object, such as a proxy's HTML error page.
    pub fn raw_body(&self) -> Option<&str> {
        self.inner.body.as_deref().or_else(|| self.inner.api.as_ref().map(GraphApiError::raw_body))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.inner.kind.label())?;
        if let Some(api) = &self.inner.api {
            write!(f, ": (#{}", api.code)?;
            if let Some(sub) = api.error_subcode {
                write!(f, "/{sub}")?;
            }
            write!(f, ") {}", api.message)?;
        } else if let Some(validation) = &self.inner.validation {
            write!(f, ": {validation}")?;
        } else if let Some(message) = &self.inner.message {
            write!(f, ": {message}")?;
        } else if let Some(status) = self.inner.status {
            write!(f, ": http status {status}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(message) = &self.inner.message {
            d.field("message", message);
        }
        if let Some(status) = self.inner.status {
            d.field("status", &status);
        }
        if let Some(api) = &self.inner.api {
            d.field("api", api);
        }
        if let Some(validation) = &self.inner.validation {
            d.field("validation", validation);
        }
        if let Some(retry_after) = self.inner.retry_after {
            d.field("retry_after", &retry_after);
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish_non_exhaustive()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner.source {
            Some(source) => Some(&**source),
            None => None,
        }
    }
}

/// Everything Meta sent in a Graph error object (`{"error": {...}}`), plus the HTTP status and
/// the raw body.
///
/// Text fields are scrubbed of the request's secrets and of anything shaped like an access
/// token before they are stored.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphApiError {
    status: u16,
    code: i64,
    error_subcode: Option<i64>,
    error_type: Option<String>,
    message: String,
    error_user_title: Option<String>,
    error_user_msg: Option<String>,
    fbtrace_id: Option<String>,
    is_transient: Option<bool>,
    error_data: Option<Value>,
    raw_body: String,
}

impl GraphApiError {
    /// Reads the `error` object leniently: codes may be numbers or numeric strings,
    /// `error_data` an object or a string; anything else missing is `None`.
    fn parse(status: u16, body: &[u8], scrubbed_body: &str, secrets: &[&str]) -> Option<Self> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let error = value.get("error")?.as_object()?;
        let int = |key: &str| -> Option<i64> {
            match error.get(key)? {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
        };
        let text = |key: &str| -> Option<String> { error.get(key)?.as_str().map(|s| scrub(s, secrets)) };
        let code = int("code")?;
        let mut error_data = error.get("error_data").cloned();
        if let Some(data) = &mut error_data {
            scrub_value(data, secrets);
        }
        Some(Self {
            status,
            code,
            error_subcode: int("error_subcode"),
            error_type: text("type"),
            message: text("message").unwrap_or_default(),
            error_user_title: text("error_user_title"),
            error_user_msg: text("error_user_msg"),
            fbtrace_id: text("fbtrace_id"),
            is_transient: error.get("is_transient").and_then(Value::as_bool),
            error_data,
            raw_body: scrubbed_body.to_owned(),
        })
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Meta's error `code` (for example 190, 100, 131047).
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The `error_subcode`, when Meta sent one (deprecated for WhatsApp).
    pub fn error_subcode(&self) -> Option<i64> {
        self.error_subcode
    }

    /// The `type`, such as `OAuthException`.
    pub fn error_type(&self) -> Option<&str> {
        self.error_type.as_deref()
    }

    /// The developer-facing `message`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `error_user_title`, meant for end users.
    pub fn error_user_title(&self) -> Option<&str> {
        self.error_user_title.as_deref()
    }

    /// The `error_user_msg`, meant for end users.
    pub fn error_user_msg(&self) -> Option<&str> {
        self.error_user_msg.as_deref()
    }

    /// The `fbtrace_id` to quote to Meta support.
    pub fn fbtrace_id(&self) -> Option<&str> {
        self.fbtrace_id.as_deref()
    }

    /// The `is_transient` flag, which only some products send.
    pub fn is_transient(&self) -> Option<bool> {
        self.is_transient
    }

    /// The `error_data` as sent: usually an object (`{"messaging_product", "details"}`),
    /// sometimes a string.
    pub fn error_data(&self) -> Option<&Value> {
        self.error_data.as_ref()
    }

    /// `error_data.details`, WhatsApp's explanation of the error.
    pub fn details(&self) -> Option<&str> {
        self.error_data.as_ref()?.get("details")?.as_str()
    }

    /// The whole response body as text (scrubbed, at most 8 KiB).
    pub fn raw_body(&self) -> &str {
        &self.raw_body
    }
}

fn scrub_value(value: &mut Value, secrets: &[&str]) {
    match value {
        Value::String(s) => *s = scrub(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => {
            // Keys can carry secrets too (`{"EAAG…": …}`): rebuild the map with scrubbed keys.
            *map = std::mem::take(map)
                .into_iter()
                .map(|(key, mut value)| {
                    scrub_value(&mut value, secrets);
                    (scrub(&key, secrets), value)
                })
                .collect();
        }
        _ => {}
    }
}

/// A request that breaks one of Meta's documented limits, found before anything was sent.
///
/// ```
/// use meta_messaging::graph::{ValidationError, Violation};
///
/// let err = ValidationError::new("text.body", Violation::TooLong { max: 4096, actual: 5000 });
/// assert_eq!(err.to_string(), "text.body: too long (5000 > 4096 characters)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    field: Cow<'static, str>,
    violation: Violation,
}

/// The limit a [`ValidationError`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Text longer than allowed, counted in characters.
    TooLong {
        /// The limit.
        max: usize,
        /// What the request had.
        actual: usize,
    },
    /// More items than allowed.
    TooMany {
        /// The limit.
        max: usize,
        /// What the request had.
        actual: usize,
    },
    /// Fewer items than required.
    TooFew {
        /// The minimum.
        min: usize,
        /// What the request had.
        actual: usize,
    },
    /// A required value is missing or empty.
    Missing,
    /// Two items that must differ are equal (button ids, titles).
    Duplicate,
    /// Any other rule, explained.
    Invalid(Cow<'static, str>),
}

impl ValidationError {
    /// A violation of `field` (a dotted path into the request, such as `interactive.action.buttons`).
    pub fn new(field: impl Into<Cow<'static, str>>, violation: Violation) -> Self {
        Self { field: field.into(), violation }
    }

    /// The field at fault.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule it broke.
    pub fn violation(&self) -> &Violation {
        &self.violation
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.field)?;
        match &self.violation {
            Violation::TooLong { max, actual } => {
                write!(f, "too long ({actual} > {max} characters)")
            }
            Violation::TooMany { max, actual } => write!(f, "too many ({actual} > {max})"),
            Violation::TooFew { min, actual } => write!(f, "too few ({actual} < {min})"),
            Violation::Missing => f.write_str("missing or empty"),
            Violation::Duplicate => f.write_str("duplicate value"),
            Violation::Invalid(reason) => f.write_str(reason),
        }
    }
}

impl StdError for ValidationError {}

impl From<ValidationError> for Error {
    fn from(error: ValidationError) -> Self {
        Self::validation(error)
    }
}
