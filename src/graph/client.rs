//! The Graph API client and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use hmac::{Hmac, Mac};
use reqwest::Method;
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use tracing::Instrument;
use url::Url;

use super::backoff::{UsageBackoff, UsageGate};
use super::request::{
    Auth, Body, Gate, GraphRequest, Host, RequestSpec, Response, ResponseMeta, Target, request_secrets,
};
use super::retry::{RetryBudget, RetryPolicy};
use super::usage::Usage;
use super::{ApiVersion, Error, ErrorKind, Result};
use crate::{AccessToken, AppSecret};

const DEFAULT_BASE_URL: &str = "https://graph.facebook.com/";
const DEFAULT_INSTAGRAM_BASE_URL: &str = "https://graph.instagram.com/";
const DEFAULT_INSTAGRAM_OAUTH_BASE_URL: &str = "https://api.instagram.com/";
/// Hosts (and their subdomains) that serve Meta's media and may receive the bearer token.
const META_MEDIA_HOSTS: [&str; 6] =
    ["fbsbx.com", "facebook.com", "fbcdn.net", "whatsapp.net", "whatsapp.com", "cdninstagram.com"];
const DEFAULT_USER_AGENT: &str = concat!("meta-messaging/", env!("CARGO_PKG_VERSION"));

/// The Graph API client shared by WhatsApp, Messenger and Instagram.
///
/// Cheap to clone (one `Arc`), `Send + Sync`: build one per process and hand clones to tasks.
/// A client may carry a default access token; [`with_access_token`](Self::with_access_token)
/// returns a clone that uses another token on the same connection pool, which is how one client
/// serves many tenants.
///
/// ```no_run
/// # async fn run() -> Result<(), meta_messaging::Error> {
/// use meta_messaging::Client;
///
/// let client = Client::new(std::env::var("META_ACCESS_TOKEN").unwrap_or_default());
/// let me: serde_json::Value = client.get("/me").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    credentials: Option<Arc<Credentials>>,
}

struct Shared {
    http: reqwest::Client,
    facebook_prefix: String,
    instagram_prefix: String,
    instagram_oauth_prefix: String,
    facebook_origin: url::Origin,
    instagram_origin: url::Origin,
    version: ApiVersion,
    app_secret: Option<AppSecret>,
    instagram_app_secret: Option<AppSecret>,
    user_agent: Option<HeaderValue>,
    retry: RetryPolicy,
    budget: RetryBudget,
    attempt_timeout: Duration,
    total_timeout: Duration,
    max_response_bytes: usize,
    usage_gate: UsageGate,
}

/// An access token with its prepared `Authorization` header and the `appsecret_proof` of each
/// app that may have issued it: the Facebook app's for `graph.facebook.com`, the Instagram app's
/// for `graph.instagram.com` (Instagram Login has its own app id and secret).
pub(crate) struct Credentials {
    pub(crate) token: AccessToken,
    header: Option<HeaderValue>,
    facebook_proof: Option<String>,
    instagram_proof: Option<String>,
}

impl Credentials {
    fn new(token: AccessToken, shared: &Shared) -> Self {
        let header =
            HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).ok().map(|mut value| {
                value.set_sensitive(true);
                value
            });
        let facebook_proof = shared.app_secret.as_ref().map(|secret| appsecret_proof(secret, &token));
        let instagram_proof =
            shared.instagram_app_secret.as_ref().map(|secret| appsecret_proof(secret, &token));
        Self { token, header, facebook_proof, instagram_proof }
    }
}

/// `appsecret_proof` = hex(HMAC-SHA256(key = app secret, message = access token)).
pub(crate) fn appsecret_proof(secret: &AppSecret, token: &AccessToken) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(token.expose_secret().as_bytes());
    crate::util::hex_encode(&mac.finalize().into_bytes())
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.facebook_prefix)
            .field("version", &self.shared.version)
            .field("has_access_token", &self.credentials.is_some())
            .field("has_app_secret", &self.shared.app_secret.is_some())
            .field("retry", &self.shared.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with default settings that authenticates with `access_token`.
    ///
    /// # Panics
    ///
    /// If the TLS backend cannot be initialised, like `reqwest::Client::new`; use
    /// [`Client::builder`] to get that as an error instead.
    pub fn new(access_token: impl Into<AccessToken>) -> Self {
        Self::builder().access_token(access_token).build().expect("the default client configuration is valid")
    }

    /// A builder for every other setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A clone of this client that authenticates with `access_token`, sharing the connection
    /// pool, settings and retry budget.
    #[must_use]
    pub fn with_access_token(&self, access_token: impl Into<AccessToken>) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            credentials: Some(self.credentials_for(access_token.into())),
        }
    }

    /// The Graph API version in every path.
    pub fn api_version(&self) -> ApiVersion {
        self.shared.version
    }

    pub(crate) fn credentials_for(&self, token: AccessToken) -> Arc<Credentials> {
        Arc::new(Credentials::new(token, &self.shared))
    }

    /// A raw GET of a Graph path such as `/{id}` or `{id}/phone_numbers`.
    pub fn get<T>(&self, path: impl Into<String>) -> GraphRequest<T> {
        self.request(Method::GET, path)
    }

    /// A raw POST of a Graph path.
    pub fn post<T>(&self, path: impl Into<String>) -> GraphRequest<T> {
        self.request(Method::POST, path)
    }

    /// A raw DELETE of a Graph path.
    pub fn delete<T>(&self, path: impl Into<String>) -> GraphRequest<T> {
        self.request(Method::DELETE, path)
    }

    /// A raw request with any method.
    pub fn request<T>(&self, method: Method, path: impl Into<String>) -> GraphRequest<T> {
        GraphRequest::from_spec(self.clone(), RequestSpec::new(method, Host::Facebook, path))
    }

    /// Sends a request and decodes a JSON body.
    pub(crate) async fn execute_json<T: DeserializeOwned>(&self, spec: RequestSpec) -> Result<Response<T>> {
        let (body, meta) = self.execute(spec).await?;
        // One UTF-8 pass over the body, then parsing from `str`, costs less than serde_json
        // checking every string of a byte slice on its own. A body that is not UTF-8 goes to
        // the slice parser, which reports where it breaks.
        let parsed = match std::str::from_utf8(&body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(&body),
        };
        let data = parsed.map_err(|e| Error::decode(&e, meta.status))?;
        Ok(Response::new(data, meta))
    }

    /// Sends a request with retries and returns the raw body of the successful response.
    pub(crate) async fn execute(&self, spec: RequestSpec) -> Result<(Bytes, ResponseMeta)> {
        let limit = self.shared.max_response_bytes;
        let (mut response, mut meta) = self.execute_response(spec).await?;
        let body = read_body(&mut response, limit).await?;
        meta.headers = std::mem::take(response.headers_mut());
        Ok((body, meta))
    }

    /// Sends a request with retries and returns the successful response with its body unread,
    /// for streaming. The retries cover failures before a success status arrives; a body that
    /// fails midway is the caller's to handle.
    pub(crate) async fn execute_response(
        &self,
        mut spec: RequestSpec,
    ) -> Result<(reqwest::Response, ResponseMeta)> {
        if let Some(error) = spec.error.take() {
            return Err(error);
        }
        let gate = spec.gate.take();
        if let Some(gate) = &gate {
            gate.admit().await?;
        }
        let credentials = match &spec.auth {
            Auth::Client => self.credentials.clone(),
            Auth::Token(credentials) => Some(Arc::clone(credentials)),
            Auth::Anonymous => None,
        };
        let url = self.url_for(&spec, credentials.as_deref())?;
        let span = tracing::debug_span!("graph_request", method = %spec.method, path = spec.log_path());
        let shared = &*self.shared;
        let result = async {
            if let Target::Graph { path, .. } = &spec.target {
                let business_id = path.split('/').next().unwrap_or_default();
                shared.usage_gate.before(business_id, shared.total_timeout).await?;
            }
            let outcome = self.run_attempts(&spec, &url, credentials.as_deref(), gate.as_deref()).await;
            if cfg!(feature = "metrics") {
                let error_kind = outcome.as_ref().err().map_or("none", |e| e.kind().as_str());
                let labels = [
                    ("operation", telemetry_operation(&spec)),
                    ("outcome", crate::telemetry::outcome(&outcome)),
                    ("error_kind", error_kind),
                ];
                crate::telemetry::count(crate::telemetry::GRAPH_REQUESTS, &labels, 1);
            }
            match outcome {
                Ok((response, attempts)) => {
                    // Metadata is built once, here: carried through the attempt loop it made
                    // every layer's future a few hundred bytes larger.
                    let status = response.status().as_u16();
                    let usage = Usage::from_headers(response.headers());
                    shared.usage_gate.observe(&usage);
                    Ok((response, ResponseMeta { status, headers: HeaderMap::new(), usage, attempts }))
                }
                Err(error) => {
                    if let Some(usage) = error.usage() {
                        shared.usage_gate.observe(usage);
                    }
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await;
        if let (Some(gate), Ok(_)) = (&gate, &result) {
            gate.after(None).await;
        }
        result
    }

    /// The attempts of one request, with retries; each failed attempt is shown to the gate.
    async fn run_attempts(
        &self,
        spec: &RequestSpec,
        url: &Url,
        credentials: Option<&Credentials>,
        gate: Option<&dyn Gate>,
    ) -> Result<(reqwest::Response, u32)> {
        let shared = &*self.shared;
        let deadline = Instant::now() + shared.total_timeout;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let timeout = spec.timeout.unwrap_or(shared.attempt_timeout).min(remaining);
            let outcome = if timeout.is_zero() {
                Err(Error::with_kind_and_source(
                    ErrorKind::Timeout,
                    "the operation's total timeout elapsed",
                    None,
                ))
            } else {
                // Timed only when there are metrics to report it to.
                let started = cfg!(feature = "metrics").then(Instant::now);
                let outcome = self.attempt(spec, url, credentials, timeout).await;
                if let Some(started) = started {
                    crate::telemetry::observe(
                        crate::telemetry::GRAPH_REQUEST_SECONDS,
                        &[("operation", telemetry_operation(spec))],
                        started.elapsed().as_secs_f64(),
                    );
                }
                outcome
            };
            let mut error = match outcome {
                Ok(response) => {
                    shared.budget.deposit();
                    tracing::debug!(status = response.status().as_u16(), attempt, "graph request succeeded");
                    return Ok((response, attempt));
                }
                Err(error) => error,
            };
            if let Some(gate) = gate {
                gate.after(Some(&error)).await;
            }
            if attempt >= shared.retry.attempts()
                || !spec.replayable
                || !shared.retry.allows(&error, spec.idempotent)
            {
                tracing::debug!(kind = ?error.kind(), attempt, "graph request failed");
                return Err(error);
            }
            let delay = shared.retry.backoff(attempt).max(error.retry_after().unwrap_or_default());
            if Instant::now() + delay >= deadline {
                tracing::debug!(kind = ?error.kind(), ?delay, "retry would exceed the total timeout");
                error.set_retry_after(Some(delay));
                return Err(error);
            }
            if !shared.budget.withdraw(&error) {
                tracing::debug!(kind = ?error.kind(), "retry budget exhausted");
                return Err(error);
            }
            tracing::debug!(kind = ?error.kind(), attempt, ?delay, "retrying graph request");
            crate::telemetry::count(
                crate::telemetry::GRAPH_RETRIES,
                &[("error_kind", error.kind().as_str())],
                1,
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: a success status gives the response (body unread); any other status reads
    /// the body into a classified error.
    async fn attempt(
        &self,
        spec: &RequestSpec,
        url: &Url,
        credentials: Option<&Credentials>,
        timeout: Duration,
    ) -> Result<reqwest::Response> {
        let shared = &*self.shared;
        // Built in place rather than through `RequestBuilder`, each of whose steps moves the
        // whole request.
        let mut request = reqwest::Request::new(spec.method.clone(), url.clone());
        *request.timeout_mut() = Some(timeout);
        let headers = request.headers_mut();
        if let Some(credentials) = credentials {
            let header = if spec.oauth_scheme {
                HeaderValue::try_from(format!("OAuth {}", credentials.token.expose_secret())).ok().map(
                    |mut value| {
                        value.set_sensitive(true);
                        value
                    },
                )
            } else {
                credentials.header.clone()
            };
            let header = header.ok_or_else(|| {
                Error::config("the access token contains characters not allowed in an http header")
            })?;
            headers.insert(AUTHORIZATION, header);
        }
        if let Some(agent) = &shared.user_agent {
            headers.insert(USER_AGENT, agent.clone());
        }
        match &spec.body {
            Body::Empty => {}
            Body::Json(bytes) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                *request.body_mut() = Some(bytes.clone().into());
            }
            Body::Upload { bytes, offset } => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
                headers.insert("file_offset", HeaderValue::from(*offset));
                *request.body_mut() = Some(
                    bytes.slice(usize::try_from(*offset).unwrap_or(usize::MAX).min(bytes.len())..).into(),
                );
            }
            Body::Multipart(form) => {
                let form = form.encode()?;
                let content_type = HeaderValue::try_from(form.content_type)
                    .map_err(|_| Error::config("invalid multipart content type"))?;
                headers.insert(CONTENT_TYPE, content_type);
                headers.insert(CONTENT_LENGTH, HeaderValue::from(form.length));
                *request.body_mut() = Some(form.body);
            }
        }
        let mut response = shared.http.execute(request).await.map_err(Error::from_reqwest)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let usage = Usage::from_headers(response.headers());
        let body = read_body(&mut response, shared.max_response_bytes).await?;
        let secrets = request_secrets(spec, credentials);
        let mut error = Error::from_response(status, &body, usage, &secrets);
        error.set_retry_after(retry_after_header(response.headers()));
        Err(error)
    }

    /// Whether a download URL may receive the bearer token: Meta's media hosts over HTTPS, or
    /// the configured Graph host (a test server or proxy).
    pub(crate) fn may_send_token_to(&self, url: &Url) -> bool {
        if self.is_graph_url(url) {
            return true;
        }
        url.scheme() == "https"
            && url.host_str().is_some_and(|host| {
                META_MEDIA_HOSTS
                    .iter()
                    .any(|m| host == *m || host.strip_suffix(m).is_some_and(|rest| rest.ends_with('.')))
            })
    }

    fn url_for(&self, spec: &RequestSpec, credentials: Option<&Credentials>) -> Result<Url> {
        let shared = &*self.shared;
        let mut url = match &spec.target {
            Target::Graph { host, path } => {
                let prefix = match host {
                    Host::Facebook => &shared.facebook_prefix,
                    Host::Instagram => &shared.instagram_prefix,
                    Host::InstagramOAuth => &shared.instagram_oauth_prefix,
                };
                let mut full = String::with_capacity(prefix.len() + path.len());
                full.push_str(prefix);
                full.push_str(path);
                Url::parse(&full).map_err(|_| Error::config("request path does not form a valid url"))?
            }
            Target::Absolute(url) => url.clone(),
        };
        // The proof of the app that issued the token, for the host that checks it; none for
        // other hosts (media CDNs, customers' URLs) or a link that already carries one.
        let proof = credentials.and_then(|c| match &spec.target {
            Target::Graph { host: Host::Facebook, .. } => c.facebook_proof.as_deref(),
            Target::Graph { host: Host::Instagram, .. } => c.instagram_proof.as_deref(),
            Target::Absolute(link) if link.query_pairs().any(|(k, _)| k == "appsecret_proof") => None,
            Target::Absolute(link) if link.origin() == shared.facebook_origin => c.facebook_proof.as_deref(),
            Target::Absolute(link) if link.origin() == shared.instagram_origin => {
                c.instagram_proof.as_deref()
            }
            Target::Graph { host: Host::InstagramOAuth, .. } | Target::Absolute(_) => None,
        });
        if !spec.query.is_empty() || !spec.secret_query.is_empty() || proof.is_some() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &spec.query {
                pairs.append_pair(key, value);
            }
            for (key, value) in &spec.secret_query {
                pairs.append_pair(key, secrecy::ExposeSecret::expose_secret(value));
            }
            if let Some(proof) = proof {
                pairs.append_pair("appsecret_proof", proof);
            }
        }
        Ok(url)
    }

    /// Whether `url` points at the configured Graph host, so that following it may carry the
    /// bearer token.
    pub(crate) fn is_graph_url(&self, url: &Url) -> bool {
        url.origin() == self.shared.facebook_origin
    }
}

/// Reads the body chunk by chunk, refusing more than `limit` bytes.
async fn read_body(response: &mut reqwest::Response, limit: usize) -> Result<Bytes> {
    if response.content_length().is_some_and(|len| len > limit as u64) {
        return Err(Error::with_kind_and_source(
            ErrorKind::Decode,
            "response body exceeds the configured limit",
            None,
        ));
    }
    let too_large =
        || Error::with_kind_and_source(ErrorKind::Decode, "response body exceeds the configured limit", None);
    // Graph's answers usually arrive in one chunk: hand it over without copying.
    let Some(first) = response.chunk().await.map_err(Error::from_reqwest)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    let Some(second) = response.chunk().await.map_err(Error::from_reqwest)? else {
        return Ok(first);
    };
    let mut body = BytesMut::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(Error::from_reqwest)?;
    }
    Ok(body.freeze())
}

/// `Retry-After` in delta-seconds (the form Meta and proxies use).
fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(24 * 3600)))
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use meta_messaging::Client;
/// use meta_messaging::graph::{ApiVersion, RetryPolicy};
///
/// let client = Client::builder()
///     .access_token("EAAG...")
///     .app_secret("app-secret")                 // adds appsecret_proof to every call
///     .api_version(ApiVersion::new(24, 0))
///     .base_url("http://127.0.0.1:8080")        // a mock server or a proxy
///     .request_timeout(Duration::from_secs(20))
///     .retry(RetryPolicy::default().max_attempts(4))
///     .build()?;
/// assert_eq!(client.api_version().to_string(), "v24.0");
/// # Ok::<(), meta_messaging::Error>(())
/// ```
#[must_use]
pub struct ClientBuilder {
    access_token: Option<AccessToken>,
    app_secret: Option<AppSecret>,
    instagram_app_secret: Option<AppSecret>,
    base_url: String,
    instagram_base_url: String,
    instagram_oauth_base_url: String,
    version: ApiVersion,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    total_timeout: Duration,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    max_response_bytes: usize,
    usage_backoff: UsageBackoff,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            access_token: None,
            app_secret: None,
            instagram_app_secret: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            instagram_base_url: DEFAULT_INSTAGRAM_BASE_URL.to_owned(),
            instagram_oauth_base_url: DEFAULT_INSTAGRAM_OAUTH_BASE_URL.to_owned(),
            version: ApiVersion::DEFAULT,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(90),
            user_agent: None,
            http: None,
            retry: RetryPolicy::default(),
            max_response_bytes: 16 * 1024 * 1024,
            usage_backoff: UsageBackoff::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("has_access_token", &self.access_token.is_some())
            .field("has_app_secret", &self.app_secret.is_some())
            .field("has_instagram_app_secret", &self.instagram_app_secret.is_some())
            .field("base_url", &self.base_url)
            .field("instagram_base_url", &self.instagram_base_url)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The default access token of the client.
    pub fn access_token(mut self, token: impl Into<AccessToken>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// The app secret: when set, every authenticated call to `graph.facebook.com` carries
    /// `appsecret_proof` (HMAC-SHA256 of the token), as Meta requires when "Require App Secret"
    /// is on.
    pub fn app_secret(mut self, secret: impl Into<AppSecret>) -> Self {
        self.app_secret = Some(secret.into());
        self
    }

    /// The Instagram app's secret (Instagram Login has its own app id and secret): when set,
    /// authenticated calls to `graph.instagram.com` carry an `appsecret_proof` made with it.
    /// Without it they carry none: a proof made with the Facebook app's secret is always wrong
    /// there.
    pub fn instagram_app_secret(mut self, secret: impl Into<AppSecret>) -> Self {
        self.instagram_app_secret = Some(secret.into());
        self
    }

    /// The Graph API base URL, `https://graph.facebook.com/` by default; set it to a mock
    /// server in tests or to a proxy.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The base URL of Instagram API with Instagram Login, `https://graph.instagram.com/` by
    /// default.
    pub fn instagram_base_url(mut self, url: impl Into<String>) -> Self {
        self.instagram_base_url = url.into();
        self
    }

    /// The base URL of Instagram Login's code exchange, `https://api.instagram.com/` by default
    /// (unversioned).
    pub fn instagram_oauth_base_url(mut self, url: impl Into<String>) -> Self {
        self.instagram_oauth_base_url = url.into();
        self
    }

    /// The Graph API version, [`ApiVersion::DEFAULT`] unless set.
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// How long to wait for a TCP/TLS connection (10 s by default). Ignored with
    /// [`http_client`](Self::http_client), whose own setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The timeout of one attempt, from connecting to the last byte of the body (30 s by
    /// default).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The timeout of a whole call, retries and waits included (90 s by default).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// The `User-Agent` header, `meta-messaging/<version>` by default.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Uses a reqwest client you configured (proxy, TLS roots, pool settings).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The retry policy; see [`RetryPolicy`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How to react to rate-limit usage headers; see [`UsageBackoff`] (on by default).
    pub fn usage_backoff(mut self, backoff: UsageBackoff) -> Self {
        self.usage_backoff = backoff;
        self
    }

    /// The largest response body accepted (16 MiB by default); larger bodies fail with
    /// [`ErrorKind::Decode`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when a base URL does not parse as an `http(s)` URL or the user agent
    /// is not a valid header value; [`ErrorKind::Config`] too if the TLS backend fails to start.
    pub fn build(self) -> Result<Client> {
        let facebook = normalize_base(&self.base_url)?;
        let instagram = normalize_base(&self.instagram_base_url)?;
        let instagram_oauth = normalize_base(&self.instagram_oauth_base_url)?;
        let user_agent = match &self.user_agent {
            Some(agent) => Some(
                HeaderValue::try_from(agent.as_str())
                    .map_err(|_| Error::config("the user agent is not a valid header value"))?,
            ),
            None if self.http.is_some() => Some(HeaderValue::from_static(DEFAULT_USER_AGENT)),
            None => None,
        };
        let http = match self.http {
            Some(http) => http,
            // No redirects: Graph never redirects an API call, and a redirected media download
            // would leave the host allow-list checked only on its first URL (or go to HTTP).
            None => super::http_client_builder()?
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.connect_timeout)
                .user_agent(self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT))
                .build()
                .map_err(Error::from_reqwest)?,
        };
        let user_agent = if self.user_agent.is_some() || user_agent.is_some() { user_agent } else { None };
        let shared = Shared {
            http,
            facebook_prefix: format!("{facebook}{}/", self.version),
            instagram_prefix: format!("{instagram}{}/", self.version),
            instagram_oauth_prefix: instagram_oauth.to_string(),
            facebook_origin: facebook.origin(),
            instagram_origin: instagram.origin(),
            version: self.version,
            app_secret: self.app_secret,
            instagram_app_secret: self.instagram_app_secret,
            user_agent,
            retry: self.retry,
            budget: RetryBudget::new(),
            attempt_timeout: self.attempt_timeout,
            total_timeout: self.total_timeout,
            max_response_bytes: self.max_response_bytes,
            usage_gate: UsageGate::new(self.usage_backoff),
        };
        let credentials = self.access_token.map(|token| Arc::new(Credentials::new(token, &shared)));
        Ok(Client { shared: Arc::new(shared), credentials })
    }
}

fn normalize_base(raw: &str) -> Result<Url> {
    let mut text = raw.trim().to_owned();
    if !text.ends_with('/') {
        text.push('/');
    }
    let url = Url::parse(&text).map_err(|_| Error::config("the base url does not parse"))?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.cannot_be_a_base() {
        return Err(Error::config("the base url must be an http(s) url without a query"));
    }
    Ok(url)
}

/// The `operation` label of a request: `send` for a `/messages` call, `other` otherwise.
fn telemetry_operation(spec: &RequestSpec) -> &'static str {
    if spec.log_path().ends_with("messages") { "send" } else { "other" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn client_is_send_sync_clone() {
        assert_send_sync_clone::<Client>();
    }

    #[test]
    fn appsecret_proof_matches_a_known_vector() {
        // HMAC-SHA256(key = "key", "The quick brown fox jumps over the lazy dog") from RFC-style
        // published test vectors.
        let proof = appsecret_proof(
            &AppSecret::from("key"),
            &AccessToken::from("The quick brown fox jumps over the lazy dog"),
        );
        assert_eq!(proof, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(Client::builder().base_url("ftp://x").build().is_err());
        assert!(Client::builder().base_url("not a url").build().is_err());
        assert!(Client::builder().base_url("http://127.0.0.1:9/?a=b").build().is_err());
        let client = Client::builder().base_url("http://127.0.0.1:9/prefix").build().unwrap();
        assert_eq!(client.shared.facebook_prefix, "http://127.0.0.1:9/prefix/v26.0/");
    }
}
