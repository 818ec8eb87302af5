//! The token lifecycle: Embedded Signup code exchange, long-lived exchange, `debug_token`,
//! Instagram refresh, revocation, app tokens, and a refresher that renews stored tokens before
//! they expire.
//!
//! Endpoints per Meta's [long-lived token](https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived)
//! and [`debug_token`](https://developers.facebook.com/docs/graph-api/reference/debug_token)
//! references (Graph API v25.0).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use super::{RecordInfo, RefreshMethod, StoreError, TokenRecord, TokenStore};
use crate::clock::{SharedClock, system};
use crate::graph::serde_util::opt_string_or_integer;
use crate::graph::{Ack, GraphRequest, Host, Multipart, RequestSpec};
use crate::{AccessToken, AppSecret, Client, Timestamp};

/// A token returned by `/oauth/access_token` or `refresh_access_token`.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The token (Embedded Signup's docs sometimes name it `business_token`).
    #[serde(alias = "business_token")]
    pub access_token: AccessToken,
    /// `bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds until it expires, when Meta says.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl TokenResponse {
    /// When the token expires, counted from `now`.
    pub fn expires_at(&self, now: Timestamp) -> Option<Timestamp> {
        self.expires_in.map(|s| now.saturating_add(Duration::from_secs(s)))
    }
}

/// A short-lived Instagram user token (one hour) from Instagram Login's code exchange: exchange
/// it for a long-lived one with [`OAuth::exchange_instagram_long_lived`].
#[derive(Clone)]
#[non_exhaustive]
pub struct InstagramToken {
    /// The token.
    pub access_token: AccessToken,
    /// The Instagram user (professional account) id, in the app's scope.
    pub user_id: Option<String>,
    /// The permissions granted.
    pub permissions: Vec<String>,
}

impl fmt::Debug for InstagramToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstagramToken")
            .field("access_token", &self.access_token)
            .field("user_id", &self.user_id)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// One token object of the code exchange.
#[derive(Deserialize)]
struct InstagramTokenFields {
    access_token: AccessToken,
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    user_id: Option<String>,
    #[serde(default)]
    permissions: Option<Permissions>,
}

/// Permissions as Meta sends them: a comma-separated string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Permissions {
    Text(String),
    List(Vec<String>),
}

/// Business Login answers `{"data": [{...}]}`; the older flow answered the object itself.
#[derive(Deserialize)]
#[serde(untagged)]
enum InstagramTokenShape {
    Wrapped { data: Vec<InstagramTokenFields> },
    Flat(InstagramTokenFields),
}

impl<'de> Deserialize<'de> for InstagramToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = match InstagramTokenShape::deserialize(d)? {
            InstagramTokenShape::Flat(fields) => fields,
            InstagramTokenShape::Wrapped { data } => data
                .into_iter()
                .next()
                .ok_or_else(|| serde::de::Error::custom("the code exchange answered no token"))?,
        };
        let permissions = match fields.permissions {
            Some(Permissions::Text(text)) => {
                text.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
            }
            Some(Permissions::List(list)) => list,
            None => Vec::new(),
        };
        Ok(Self { access_token: fields.access_token, user_id: fields.user_id, permissions })
    }
}

/// The answer of `debug_token`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DebugToken {
    /// The app the token belongs to.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub app_id: Option<String>,
    /// `USER`, `PAGE`, `SYSTEM_USER`, `APP`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The app's name.
    #[serde(default)]
    pub application: Option<String>,
    /// Whether the token works now.
    #[serde(default)]
    pub is_valid: bool,
    /// When it expires; `None` for tokens that never expire (Meta sends 0).
    #[serde(default, deserialize_with = "nonzero_time")]
    pub expires_at: Option<Timestamp>,
    /// When access to the user's data expires.
    #[serde(default, deserialize_with = "nonzero_time")]
    pub data_access_expires_at: Option<Timestamp>,
    /// When it was issued.
    #[serde(default, deserialize_with = "nonzero_time")]
    pub issued_at: Option<Timestamp>,
    /// Permissions.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Permissions per asset (which WABAs, Pages).
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    /// The user (or system user).
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// Why the token is invalid, when it is.
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

/// A permission limited to some assets.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GranularScope {
    /// The permission.
    pub scope: String,
    /// The assets (WABA ids, Page ids); absent means all.
    #[serde(default)]
    pub target_ids: Vec<String>,
}

/// `0` means "never" in `debug_token`.
fn nonzero_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let time = Option::<Timestamp>::deserialize(d)?;
    Ok(time.filter(|t| t.unix_millis() != 0))
}

/// The answer of `GET /debug_token`: `{"data": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DebugTokenResponse {
    /// The token's details.
    pub data: DebugToken,
}

/// OAuth and token endpoints of an app. Get it with [`Client::oauth`].
///
/// App credentials travel in the query of Meta's token endpoints; they are kept out of logs,
/// `Debug` and errors like every secret.
#[derive(Clone)]
pub struct OAuth {
    client: Client,
    app_id: String,
    app_secret: AppSecret,
}

impl fmt::Debug for OAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth")
            .field("app_id", &self.app_id)
            .field("app_secret", &self.app_secret)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The token endpoints of an app.
    pub fn oauth(&self, app_id: impl Into<String>, app_secret: impl Into<AppSecret>) -> OAuth {
        OAuth { client: self.clone(), app_id: app_id.into(), app_secret: app_secret.into() }
    }
}

impl OAuth {
    fn token_request(&self) -> GraphRequest<TokenResponse> {
        GraphRequest::from_spec(
            self.client.clone(),
            RequestSpec::new(Method::GET, Host::Facebook, "oauth/access_token"),
        )
        .without_access_token()
        .query("client_id", &self.app_id)
        .secret_query("client_secret", self.app_secret.expose_secret())
    }

    /// Exchanges an Embedded Signup code for the customer's business token.
    pub fn exchange_code(&self, code: impl Into<String>) -> GraphRequest<TokenResponse> {
        self.token_request().secret_query("code", code)
    }

    /// Exchanges a code from a Login redirect (with the same `redirect_uri`) for a token.
    pub fn exchange_code_with_redirect(
        &self,
        code: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> GraphRequest<TokenResponse> {
        self.exchange_code(code).query("redirect_uri", redirect_uri.into())
    }

    /// Exchanges a short-lived user token (or a long-lived one still valid) for a long-lived
    /// one (about 60 days).
    pub fn exchange_long_lived(&self, token: &AccessToken) -> GraphRequest<TokenResponse> {
        self.token_request()
            .query("grant_type", "fb_exchange_token")
            .secret_query("fb_exchange_token", token.expose_secret())
    }

    /// An app access token (`client_credentials`).
    pub fn app_access_token(&self) -> GraphRequest<TokenResponse> {
        self.token_request().query("grant_type", "client_credentials")
    }

    /// Inspects a token with the app's credentials (`{app-id}|{app-secret}`): validity, expiry,
    /// data-access expiry, scopes and granular scopes.
    pub fn debug_token(&self, token: &AccessToken) -> GraphRequest<DebugTokenResponse> {
        // Built at its exact size: turned into a secret without a reallocation, which could
        // leave an unwiped copy of the app secret behind.
        let secret = self.app_secret.expose_secret();
        let mut app_token = String::with_capacity(self.app_id.len() + 1 + secret.len());
        app_token.push_str(&self.app_id);
        app_token.push('|');
        app_token.push_str(secret);
        GraphRequest::from_spec(
            self.client.clone(),
            RequestSpec::new(Method::GET, Host::Facebook, "debug_token"),
        )
        .secret_query("input_token", token.expose_secret())
        .access_token(app_token)
    }

    /// Exchanges the code of an Instagram Login redirect (Business Login for Instagram) for a
    /// short-lived Instagram user token: `POST api.instagram.com/oauth/access_token`, with the
    /// same `redirect_uri`. Use the Instagram app's id and secret for this `OAuth`. The `#_`
    /// Meta appends to the redirect is dropped from the code.
    pub fn exchange_instagram_code(
        &self,
        code: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> GraphRequest<InstagramToken> {
        let code = code.into();
        let form = Multipart::new()
            .text("client_id", self.app_id.clone())
            .secret_text("client_secret", self.app_secret.expose_secret())
            .text("grant_type", "authorization_code")
            .text("redirect_uri", redirect_uri)
            .secret_text("code", code.trim_end_matches("#_"));
        GraphRequest::from_spec(
            self.client.clone(),
            RequestSpec::new(Method::POST, Host::InstagramOAuth, "oauth/access_token"),
        )
        .without_access_token()
        .multipart(form)
    }

    /// Exchanges a short-lived Instagram user token for a long-lived one (60 days):
    /// `GET graph.instagram.com/access_token?grant_type=ig_exchange_token`, with the Instagram
    /// app's secret. Renew it later with [`refresh_instagram_token`](Self::refresh_instagram_token).
    pub fn exchange_instagram_long_lived(&self, token: &AccessToken) -> GraphRequest<TokenResponse> {
        GraphRequest::from_spec(
            self.client.clone(),
            RequestSpec::new(Method::GET, Host::Instagram, "access_token"),
        )
        .without_access_token()
        .query("grant_type", "ig_exchange_token")
        .secret_query("client_secret", self.app_secret.expose_secret())
        .secret_query("access_token", token.expose_secret())
    }

    /// Refreshes a long-lived Instagram-Login token (at least 24 hours old) for another 60
    /// days, on the Instagram host.
    pub fn refresh_instagram_token(&self, token: &AccessToken) -> GraphRequest<TokenResponse> {
        GraphRequest::from_spec(
            self.client.clone(),
            RequestSpec::new(Method::GET, Host::Instagram, "refresh_access_token"),
        )
        .without_access_token()
        .query("grant_type", "ig_refresh_token")
        .secret_query("access_token", token.expose_secret())
    }

    /// Revokes every permission a user granted the app (disconnect), with the user's token.
    pub fn revoke(&self, user_token: &AccessToken, user_id: impl Into<String>) -> GraphRequest<Ack> {
        GraphRequest::from_spec(
            self.client.clone(),
            RequestSpec::node(Method::DELETE, &user_id.into(), Some("permissions")),
        )
        .access_token(user_token)
    }
}

/// What happened to one record in a refresh run.
#[derive(Debug)]
#[non_exhaustive]
pub enum RefreshOutcome {
    /// Renewed and stored, with its new expiry.
    Refreshed(RecordInfo),
    /// The token is dead (error 190 and its subcodes): the customer must reconnect.
    NeedsReauth(RecordInfo, crate::Error),
    /// No refresh method for this token (system-user, Page, API keys): renew it by hand.
    NotRefreshable(RecordInfo),
    /// A failure that may pass (network, rate limit); it is tried again next run.
    Failed(RecordInfo, crate::Error),
    /// The stored record did not open (wrong key, tampered) when it was read for the refresh;
    /// the other records go on.
    Unreadable(RecordInfo, StoreError),
    /// Meta answered, but the expiry did not move later: Meta documents the long-lived exchange
    /// for short-lived tokens, and re-exchanging a long-lived Facebook token may hand back one
    /// that still ends when the old one did. Whatever Meta returned is stored; the customer
    /// must log in again before the expiry in the record.
    NotExtended(RecordInfo),
}

/// The outcome of [`Refresher::run_once`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RefreshReport {
    /// One outcome per record that was due.
    pub outcomes: Vec<RefreshOutcome>,
}

impl RefreshReport {
    /// The records that need the customer to reconnect.
    pub fn needs_reauth(&self) -> impl Iterator<Item = &RecordInfo> {
        self.outcomes.iter().filter_map(|o| match o {
            RefreshOutcome::NeedsReauth(info, _) | RefreshOutcome::NotExtended(info) => Some(info),
            _ => None,
        })
    }

    /// How many were refreshed.
    pub fn refreshed(&self) -> usize {
        self.outcomes.iter().filter(|o| matches!(o, RefreshOutcome::Refreshed(_))).count()
    }
}

/// Renews stored tokens before they expire.
///
/// Each run finds the records expiring within the window (7 days by default), refreshes those
/// that can be refreshed (long-lived Facebook user tokens by re-exchange, Instagram-Login tokens
/// by `ig_refresh_token`), stores the new token and expiry, and reports those that need the
/// customer to re-authorize (error 190) without retrying them. Run it on a timer.
///
/// ```no_run
/// # async fn run(store: std::sync::Arc<dyn meta_messaging::token::TokenStore>) -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::Client;
/// use meta_messaging::token::Refresher;
///
/// let oauth = Client::builder().build().unwrap().oauth("1234567890", "app-secret");
/// let report = Refresher::new(store, oauth).run_once().await?;
/// for record in report.needs_reauth() {
///     eprintln!("ask {} to reconnect {}", record.key.tenant, record.key.asset_id);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Refresher {
    store: Arc<dyn TokenStore>,
    oauth: OAuth,
    window: Duration,
    clock: SharedClock,
}

impl Refresher {
    /// A refresher with a 7-day window.
    pub fn new(store: Arc<dyn TokenStore>, oauth: OAuth) -> Self {
        Self { store, oauth, window: Duration::from_secs(7 * 24 * 3600), clock: system() }
    }

    /// How long before expiry a token is renewed.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Uses `clock` for "now" (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Refreshes every record due now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails; Graph failures are reported per record instead.
    pub async fn run_once(&self) -> Result<RefreshReport, StoreError> {
        let now = self.clock.now();
        let due = self.store.expiring_before(now.saturating_add(self.window)).await?;
        let mut report = RefreshReport::default();
        for info in due {
            let outcome = match self.refresh(info.clone(), now).await {
                Ok(outcome) => outcome,
                Err(error) if !error.is_retryable() => RefreshOutcome::Unreadable(info, error),
                Err(error) => return Err(error),
            };
            report.outcomes.push(outcome);
        }
        Ok(report)
    }

    async fn refresh(&self, info: RecordInfo, now: Timestamp) -> Result<RefreshOutcome, StoreError> {
        let Some(record) = self.store.get(&info.key).await? else {
            return Ok(RefreshOutcome::Failed(
                info,
                crate::Error::config("the record was deleted during the refresh run"),
            ));
        };
        let token = AccessToken::from(record.secret.clone());
        let request = match record.metadata.refresh {
            RefreshMethod::FacebookExchange => self.oauth.exchange_long_lived(&token),
            RefreshMethod::InstagramRefresh => self.oauth.refresh_instagram_token(&token),
            _ => return Ok(RefreshOutcome::NotRefreshable(info)),
        };
        match request.await {
            Ok(response) => {
                let mut metadata = record.metadata.clone();
                // No `expires_in` says nothing about the new token's lifetime: keep the expiry we
                // knew, so the record still comes up for refresh (erasing it meant never again).
                metadata.expires_at = response.expires_at(now).or(record.metadata.expires_at);
                metadata.issued_at = Some(now);
                let extended = match (metadata.expires_at, record.metadata.expires_at) {
                    (Some(new), Some(old)) => new > old,
                    (new, _) => new.is_some(),
                };
                let renewed =
                    TokenRecord { key: record.key.clone(), secret: response.access_token.into(), metadata };
                let info = renewed.info();
                self.store.put(renewed).await?;
                Ok(if extended { RefreshOutcome::Refreshed(info) } else { RefreshOutcome::NotExtended(info) })
            }
            Err(error) if error.requires_reauth() => Ok(RefreshOutcome::NeedsReauth(info, error)),
            Err(error) => Ok(RefreshOutcome::Failed(info, error)),
        }
    }
}
