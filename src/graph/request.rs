//! Request descriptions and the raw request builder.
//!
//! Every endpoint of the crate, typed or raw, becomes a [`RequestSpec`]: method, path, query,
//! body and auth choice. The client replays the same description on each retry, so bodies are
//! kept as cheap-to-clone bytes.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{Client, Credentials};
pub use super::multipart::Multipart;
use super::usage::Usage;
use super::{Error, Result};
use crate::AccessToken;

/// Which Graph host a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// `graph.facebook.com` (or the configured [`base_url`](crate::ClientBuilder::base_url)).
    Facebook,
    /// `graph.instagram.com` (or the configured
    /// [`instagram_base_url`](crate::ClientBuilder::instagram_base_url)), for Instagram API
    /// with Instagram Login.
    Instagram,
    /// `api.instagram.com` (or the configured
    /// [`instagram_oauth_base_url`](crate::ClientBuilder::instagram_oauth_base_url)),
    /// unversioned: Instagram Login's code exchange.
    InstagramOAuth,
}

/// Where a request goes.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// A versioned Graph path such as `123/messages`.
    Graph { host: Host, path: String },
    /// A full URL (a `paging.next` link, a media download URL).
    Absolute(url::Url),
}

/// The body of a request.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Multipart(Multipart),
    /// Raw bytes of a resumable upload, sent from `offset` (the `file_offset` header).
    Upload {
        bytes: Bytes,
        offset: u64,
    },
}

/// Which access token authenticates a request.
#[derive(Clone)]
pub(crate) enum Auth {
    /// The client's token (none if the client has none).
    Client,
    /// A token for this request only.
    Token(Arc<Credentials>),
    /// No `Authorization` header (credentials travel in the query, as for `/oauth/access_token`).
    Anonymous,
}

/// A complete, replayable description of one Graph call.
#[derive(Clone)]
pub(crate) struct RequestSpec {
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) query: Vec<(Cow<'static, str>, String)>,
    pub(crate) secret_query: Vec<(Cow<'static, str>, SecretString)>,
    pub(crate) body: Body,
    pub(crate) auth: Auth,
    pub(crate) idempotent: bool,
    /// `false` when the body can be sent only once (a streamed upload): never retried.
    pub(crate) replayable: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) error: Option<Error>,
    /// Runs before any attempt (pacing, window checks); its error ends the call.
    pub(crate) gate: Option<Arc<dyn Gate>>,
    /// `Authorization: OAuth <token>` instead of `Bearer` (the resumable upload API).
    pub(crate) oauth_scheme: bool,
}

/// A check run before a request is sent.
pub(crate) trait Gate: Send + Sync {
    /// Resolves when the request may go, or fails.
    fn admit(&self) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>>;

    /// Runs after each failed attempt (with its error) and after the success (`None`).
    fn after<'a>(&'a self, error: Option<&'a Error>) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

impl RequestSpec {
    /// A request to a versioned Graph path. GET and DELETE count as idempotent.
    pub(crate) fn new(method: Method, host: Host, path: impl Into<String>) -> Self {
        let idempotent = matches!(method, Method::GET | Method::DELETE | Method::HEAD);
        let path = path.into();
        let error = if path.contains("://") || path.starts_with("//") {
            Some(Error::config("request path must be relative to the graph api base url"))
        } else {
            None
        };
        Self {
            method,
            target: Target::Graph { host, path: path.trim_start_matches('/').to_owned() },
            query: Vec::new(),
            secret_query: Vec::new(),
            body: Body::Empty,
            auth: Auth::Client,
            oauth_scheme: false,
            idempotent,
            replayable: true,
            timeout: None,
            error,
            gate: None,
        }
    }

    /// A request to `/{id}` or `/{id}/{edge}` on the Facebook host, with the id encoded as one
    /// path segment; an empty or dot id fails at send time.
    pub(crate) fn node(method: Method, id: &str, edge: Option<&str>) -> Self {
        let Some(segment) = crate::util::path_segment(id) else {
            let mut spec = Self::new(method, Host::Facebook, "invalid");
            spec.fail(Error::config("an id in the request path is empty or a dot segment"));
            return spec;
        };
        let path = match edge {
            Some(edge) => format!("{segment}/{edge}"),
            None => segment.into_owned(),
        };
        Self::new(method, Host::Facebook, path)
    }

    /// Appends `/{segment}` to the Graph path, with `segment` (caller-given: an id, a code, a
    /// reference) escaped as one path segment; an empty or dot segment fails the request as
    /// `field` missing.
    pub(crate) fn push_segment(&mut self, field: &'static str, segment: &str) {
        match (crate::util::path_segment(segment), &mut self.target) {
            (Some(escaped), Target::Graph { path, .. }) => {
                path.push('/');
                path.push_str(&escaped);
            }
            (None, _) => self.fail(super::ValidationError::new(field, super::Violation::Missing).into()),
            (Some(_), Target::Absolute(_)) => {
                self.fail(Error::config("a path segment cannot extend an absolute url"));
            }
        }
    }

    /// Records the first problem found while building; it is returned at send time.
    pub(crate) fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    pub(crate) fn set_json<B: Serialize + ?Sized>(&mut self, body: &B) {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Body::Json(Bytes::from(bytes)),
            Err(_) => self.fail(Error::config("request body could not be serialized to json")),
        }
    }

    /// The path for logs: never the query, which may carry credentials.
    pub(crate) fn log_path(&self) -> &str {
        match &self.target {
            Target::Graph { path, .. } => path,
            Target::Absolute(url) => url.path(),
        }
    }
}

impl fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            .field("path", &self.log_path())
            .field("query", &self.query)
            .field("secret_query", &self.secret_query.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("idempotent", &self.idempotent)
            .field("gated", &self.gate.is_some())
            .finish_non_exhaustive()
    }
}

/// Status, headers and rate-limit usage of a successful response.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: u16,
    /// All response headers.
    pub headers: HeaderMap,
    /// The parsed usage headers.
    pub usage: Usage,
    /// How many attempts the call took (1 when it was not retried).
    pub attempts: u32,
}

impl ResponseMeta {
    /// Meta's trace id (`x-fb-trace-id`), for support requests.
    pub fn fbtrace_id(&self) -> Option<&str> {
        self.headers.get("x-fb-trace-id")?.to_str().ok()
    }

    /// Meta's request id (`x-fb-request-id`).
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("x-fb-request-id")?.to_str().ok()
    }
}

/// A decoded response body with its [`ResponseMeta`].
#[derive(Clone, Debug)]
pub struct Response<T> {
    data: T,
    meta: ResponseMeta,
}

impl<T> Response<T> {
    pub(crate) fn new(data: T, meta: ResponseMeta) -> Self {
        Self { data, meta }
    }

    /// The decoded body.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Status, headers and usage.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The decoded body, dropping the metadata.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Body and metadata.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.data, self.meta)
    }
}

/// The answer of Graph mutations, `{"success": true}`.
///
/// A body with `"success": false` does not decode as `Ack`, so the call fails with
/// [`ErrorKind::Decode`](crate::ErrorKind::Decode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack;

impl<'de> serde::Deserialize<'de> for Ack {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Success {
            success: bool,
        }
        let body = Success::deserialize(d)?;
        if body.success {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom("graph api answered success: false"))
        }
    }
}

/// A raw Graph API call: the escape hatch for endpoints the crate does not model.
///
/// Made by [`Client::get`], [`Client::post`], [`Client::delete`] or [`Client::request`]; sent
/// by `.await` or [`send`](Self::send), which decode the body as `T` (use
/// `serde_json::Value` for anything). Errors, retries, usage headers and secret handling are the
/// same as for the typed endpoints.
///
/// ```no_run
/// # async fn run() -> Result<(), meta_messaging::Error> {
/// use meta_messaging::Client;
///
/// let client = Client::new("EAAG...");
/// let profile: serde_json::Value = client
///     .get("/106540352242922/whatsapp_business_profile")
///     .fields(["about", "email", "websites"])
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "requests do nothing unless awaited or sent"]
pub struct GraphRequest<T> {
    client: Client,
    spec: RequestSpec,
    _response: PhantomData<fn() -> T>,
}

impl<T> Clone for GraphRequest<T> {
    fn clone(&self) -> Self {
        Self { client: self.client.clone(), spec: self.spec.clone(), _response: PhantomData }
    }
}

impl<T> fmt::Debug for GraphRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphRequest").field("spec", &self.spec).finish_non_exhaustive()
    }
}

impl<T> GraphRequest<T> {
    pub(crate) fn from_spec(client: Client, spec: RequestSpec) -> Self {
        Self { client, spec, _response: PhantomData }
    }

    pub(crate) fn spec_mut(&mut self) -> &mut RequestSpec {
        &mut self.spec
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Adds a query parameter.
    #[allow(clippy::needless_pass_by_value)] // `impl ToString` by value reads best at call sites
    pub fn query(mut self, key: impl Into<Cow<'static, str>>, value: impl ToString) -> Self {
        self.spec.query.push((key.into(), value.to_string()));
        self
    }

    /// Adds a query parameter whose value is a secret: it is kept out of `Debug`, logs and
    /// errors like a token.
    pub fn secret_query(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.spec.secret_query.push((key.into(), SecretString::from(value.into())));
        self
    }

    /// Sets `fields=a,b,c`.
    pub fn fields<I, S>(self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = fields.into_iter().fold(String::new(), |mut acc, f| {
            if !acc.is_empty() {
                acc.push(',');
            }
            acc.push_str(f.as_ref());
            acc
        });
        self.query("fields", joined)
    }

    /// Sends `body` as JSON.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.spec.set_json(body);
        self
    }

    /// Sends a multipart form.
    pub fn multipart(mut self, form: Multipart) -> Self {
        self.spec.replayable = form.is_replayable();
        self.spec.body = Body::Multipart(form);
        self
    }

    /// Authenticates this request with `token` instead of the client's.
    pub fn access_token(mut self, token: impl Into<AccessToken>) -> Self {
        self.spec.auth = Auth::Token(self.client.credentials_for(token.into()));
        self
    }

    /// Marks the request as safe to repeat (or not), which decides whether timeouts and
    /// transient errors are retried. GET and DELETE are idempotent by default, POST is not.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.spec.idempotent = idempotent;
        self
    }

    /// Sends the request without an `Authorization` header, for endpoints whose credentials
    /// travel in the query (such as `/oauth/access_token`; add them with
    /// [`secret_query`](Self::secret_query)).
    pub fn without_access_token(mut self) -> Self {
        self.spec.auth = Auth::Anonymous;
        self
    }

    /// Sends the request to another Graph host, such as [`Host::Instagram`].
    pub fn host(mut self, host: Host) -> Self {
        if let Target::Graph { host: current, .. } = &mut self.spec.target {
            *current = host;
        }
        self
    }

    /// Overrides the client's per-attempt timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec.timeout = Some(timeout);
        self
    }
}

impl<T: DeserializeOwned> GraphRequest<T> {
    /// Sends the request and decodes the body.
    ///
    /// # Errors
    ///
    /// Any [`Error`]: transport failures, Graph errors (classified by code), or a body that is
    /// not a `T` ([`ErrorKind::Decode`](crate::ErrorKind::Decode)).
    pub async fn send(self) -> Result<T> {
        // Straight to the client, not through `send_with_meta`: one future layer less to move.
        self.client.execute_json(self.spec).await.map(Response::into_data)
    }

    /// Sends the request and returns the body with status, headers and usage.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_with_meta(self) -> Result<Response<T>> {
        self.client.execute_json(self.spec).await
    }
}

impl<T> IntoFuture for GraphRequest<T>
where
    T: DeserializeOwned + Send + 'static,
{
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The secrets a request carries, for scrubbing error text.
pub(crate) fn request_secrets<'a>(
    spec: &'a RequestSpec,
    credentials: Option<&'a Credentials>,
) -> Vec<&'a str> {
    let mut secrets: Vec<&str> = spec.secret_query.iter().map(|(_, v)| v.expose_secret()).collect();
    if let Some(credentials) = credentials {
        secrets.push(credentials.token.expose_secret());
    }
    secrets
}
