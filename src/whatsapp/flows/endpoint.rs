//! The WhatsApp Flows data endpoint (feature `flows`): authenticate each request, decrypt it,
//! answer it encrypted.
//!
//! A Flow with a server calls your endpoint with a JSON body of three base64 fields, per Meta's
//! [Implementing endpoints for Flows](https://developers.facebook.com/docs/whatsapp/flows/guides/implementingyourflowendpoint):
//!
//! - `encrypted_aes_key`: a fresh AES-128 key, encrypted with your business public key
//!   (RSA-OAEP, SHA-256 for the hash and MGF1);
//! - `initial_vector`: a 16-byte IV;
//! - `encrypted_flow_data`: the request JSON, AES-128-GCM under that key and IV (tag appended).
//!
//! The answer is the response JSON encrypted with the same key and the IV with every bit
//! flipped, base64, as `text/plain`.
//!
//! # Who is calling
//!
//! Anyone can encrypt to your public key, so decryption proves nothing about the caller. Meta
//! signs each request with `X-Hub-Signature-256` (`sha256=` + hex HMAC-SHA256 of the raw body
//! under the app secret); [`FlowEndpoint::respond`] checks it **before any RSA work** and answers
//! `432` with an empty body when it is missing or wrong (Meta's code for a failed request
//! signature). An endpoint given no app secret authenticates nobody, so it answers `432` to
//! everything. From data API version `4.0` (Flow JSON `7.3` and later) the decrypted request
//! also carries `flow_token_signature`, an HS256 JWT under the app secret whose `flow_token`
//! claim is the request's flow token: when present it is verified too (and
//! [`require_flow_token_signature`](FlowEndpoint::require_flow_token_signature) makes it
//! mandatory).
//!
//! # Statuses
//!
//! | status | when |
//! |---|---|
//! | `200` | the encrypted response |
//! | `432` | missing or wrong `X-Hub-Signature-256`, a bad `flow_token_signature`, or a replayed request |
//! | `421` | the body cannot be decrypted (one answer for every cause: the client fetches the public key again) |
//! | `427` | the flow token is invalid or expired ([`FlowError::TokenExpired`], or [`FlowError::TokenRejected`] with an `error_msg` Meta shows the user, encrypted like a response) |
//! | `400`, `500` | a decrypted body that is not a request; a handler failure |
//!
//! # The RSA step
//!
//! The key unwrap decrypts chosen ciphertexts from the network, so it runs on AWS-LC
//! (`aws-lc-rs`, the constant-time, blinded implementation rustls uses), not on the `rsa` crate
//! (whose private-key operation is not constant-time, RUSTSEC-2023-0071); `rsa` only reads,
//! writes and generates keys. One unwrap costs about a millisecond of CPU: the async
//! [`FlowEndpoint::respond_async`] (and the tower service in `meta_messaging::flow_service`)
//! run it on the blocking pool, off the async executor. Several private keys can be loaded for a
//! rotation ([`FlowEndpoint::add_pem`]); they are tried in order.
//!
//! ```no_run
//! use meta_messaging::whatsapp::flows::{FlowRequestAction, FlowEndpoint, FlowResponse};
//!
//! # fn run(pem: &str, body: &[u8], signature: &str) -> Result<(), meta_messaging::whatsapp::flows::FlowError> {
//! let endpoint = FlowEndpoint::from_pem(pem)?.app_secret("app-secret");
//! // `signature`: the request's `X-Hub-Signature-256` header ("" when it has none).
//! let answer = endpoint.respond(body, signature, |request| {
//!     Ok(match request.action {
//!         FlowRequestAction::Init => FlowResponse::screen("WELCOME", serde_json::json!({"name": "Ana"})),
//!         _ => FlowResponse::screen("DONE", serde_json::json!({})),
//!     })
//! });
//! // answer.status: 200, 432, 421 or 427; answer.body: the encrypted response (text/plain).
//! # Ok(()) }
//! ```

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::token_signature::verify_flow_token_signature;
use crate::secret::HmacKeys;

/// AES-128-GCM with the 16-byte IV Flows use.
type FlowCipher = AesGcm<aes::Aes128, U16>;

/// Why a Flows request could not be answered normally.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlowError {
    /// The private key PEM could not be read (not PKCS#8 or PKCS#1, or encrypted).
    InvalidKey,
    /// The request is not authenticated: `X-Hub-Signature-256` missing or wrong, no app
    /// secret configured, a bad `flow_token_signature`, or a replayed request. Answer `432`.
    Signature,
    /// The body could not be decrypted. One error for every cause (not the envelope, not
    /// base64, not for this key, tampered), so the answer tells a prober nothing. Answer `421`
    /// so the client refreshes the public key.
    Decrypt,
    /// The decrypted request is not the documented JSON.
    Request,
    /// The flow token is expired or unknown to the business: answer `427`.
    TokenExpired,
    /// The flow token is refused with a message Meta shows the user: answer `427` with
    /// `{"error_msg": ...}`, encrypted like a response.
    TokenRejected(String),
    /// The handler failed otherwise: answer `500`.
    Handler(String),
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidKey => {
                f.write_str("flows: the private key is not an unencrypted PKCS#8 or PKCS#1 RSA key in PEM")
            }
            Self::Signature => f.write_str("flows: the request is not signed by Meta"),
            Self::Decrypt => f.write_str("flows: the request could not be decrypted"),
            Self::Request => f.write_str("flows: the decrypted request is not a Flows request"),
            Self::TokenExpired => f.write_str("flows: the flow token is no longer valid"),
            Self::TokenRejected(_) => f.write_str("flows: the flow token is refused"),
            Self::Handler(inner) => write!(f, "flows: {inner}"),
        }
    }
}

impl std::error::Error for FlowError {}

impl FlowError {
    /// The HTTP status Meta expects for this error: `432`, `421`, `427`, `400` or `500`.
    pub fn status(&self) -> u16 {
        match self {
            Self::Signature => 432,
            Self::Decrypt => 421,
            Self::TokenExpired | Self::TokenRejected(_) => 427,
            Self::Request => 400,
            Self::InvalidKey | Self::Handler(_) => 500,
        }
    }
}

/// What the Flow asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlowRequestAction {
    /// The health check: answer [`FlowResponse::active`].
    Ping,
    /// The Flow opens.
    Init,
    /// The user went back a screen (with `refresh_on_back`).
    Back,
    /// A screen submitted data.
    DataExchange,
    /// An action this version does not know, as sent.
    Unknown(String),
}

impl FlowRequestAction {
    fn parse(action: &str) -> Self {
        match action {
            "ping" => Self::Ping,
            "INIT" => Self::Init,
            "BACK" => Self::Back,
            "data_exchange" => Self::DataExchange,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// A decrypted Flows request.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FlowRequest {
    /// The data API version (`3.0`).
    pub version: Option<String>,
    /// What the Flow asks for.
    pub action: FlowRequestAction,
    /// The screen the request comes from.
    pub screen: Option<String>,
    /// The screen's data (for an error notification: `error` and `error_message`).
    pub data: Option<Value>,
    /// The token the business gave the Flow when it sent it.
    pub flow_token: Option<String>,
    /// Meta's signature of the flow token (data API `4.0` and later): an HS256 JWT under the
    /// app secret. [`FlowEndpoint::respond`] has verified it when present.
    pub flow_token_signature: Option<String>,
}

impl FlowRequest {
    /// Whether this is an error notification: the client reports that a response of yours was
    /// invalid (`data.error`). Acknowledge it with [`FlowResponse::acknowledge_error`].
    pub fn is_error_notification(&self) -> bool {
        self.action != FlowRequestAction::Ping && self.data.as_ref().is_some_and(|d| d.get("error").is_some())
    }

    fn from_json(json: &[u8]) -> Result<Self, FlowError> {
        #[derive(Deserialize)]
        struct Raw {
            version: Option<String>,
            action: Option<String>,
            screen: Option<String>,
            data: Option<Value>,
            flow_token: Option<String>,
            flow_token_signature: Option<String>,
        }
        let raw: Raw = serde_json::from_slice(json).map_err(|_| FlowError::Request)?;
        let action = raw.action.ok_or(FlowError::Request)?;
        Ok(Self {
            version: raw.version,
            action: FlowRequestAction::parse(&action),
            screen: raw.screen,
            data: raw.data,
            flow_token: raw.flow_token,
            flow_token_signature: raw.flow_token_signature.filter(|s| !s.trim().is_empty()),
        })
    }
}

/// A response to a Flows request, serialized as Meta documents it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FlowResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    screen: Option<String>,
    data: Value,
}

impl FlowResponse {
    /// The next screen and its data: `{"screen": "...", "data": {...}}`.
    pub fn screen(name: impl Into<String>, data: Value) -> Self {
        Self { screen: Some(name.into()), data }
    }

    /// The health-check answer: `{"data": {"status": "active"}}`.
    pub fn active() -> Self {
        Self { screen: None, data: serde_json::json!({"status": "active"}) }
    }

    /// The answer to an error notification: `{"data": {"acknowledged": true}}`.
    pub fn acknowledge_error() -> Self {
        Self { screen: None, data: serde_json::json!({"acknowledged": true}) }
    }

    /// Closes the Flow: the `SUCCESS` screen with the parameters the business receives in the
    /// `nfm_reply` webhook.
    pub fn close(flow_token: &str, params: Value) -> Self {
        Self {
            screen: Some("SUCCESS".to_owned()),
            data: serde_json::json!({"extension_message_response": {"params": merge_token(params, flow_token)}}),
        }
    }
}

fn merge_token(params: Value, flow_token: &str) -> Value {
    match params {
        Value::Object(mut map) => {
            map.insert("flow_token".to_owned(), Value::from(flow_token));
            Value::Object(map)
        }
        _ => serde_json::json!({"flow_token": flow_token}),
    }
}

/// The encrypted body Meta's client posts.
#[derive(Deserialize)]
struct Envelope {
    encrypted_flow_data: String,
    encrypted_aes_key: String,
    initial_vector: String,
}

/// A request decrypted, with what its response must be encrypted with.
pub struct Decrypted {
    /// The request.
    pub request: FlowRequest,
    key: Zeroizing<[u8; 16]>,
    iv: [u8; 16],
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted").field("request", &self.request).finish_non_exhaustive()
    }
}

impl Decrypted {
    /// The response encrypted for this request: AES-128-GCM under the request's key with the
    /// IV's bits flipped, base64.
    pub fn encrypt(&self, response: &FlowResponse) -> String {
        let json = serde_json::to_vec(response).unwrap_or_default();
        encrypt_with(&self.key, &flip(self.iv), &json)
    }
}

impl Decrypted {
    fn encrypt_json(&self, json: &Value) -> String {
        let bytes = serde_json::to_vec(json).unwrap_or_default();
        encrypt_with(&self.key, &flip(self.iv), &bytes)
    }
}

fn flip(iv: [u8; 16]) -> [u8; 16] {
    iv.map(|b| !b)
}

fn encrypt_with(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> String {
    let cipher = FlowCipher::new(key.into());
    // Encryption with a valid key and nonce size cannot fail.
    let sealed = cipher.encrypt(Nonce::<U16>::from_slice(iv), plaintext).unwrap_or_default();
    STANDARD.encode(sealed)
}

/// What to answer Meta: a status and a `text/plain` body (empty unless `200`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowAnswer {
    /// `200`, `432`, `421`, `427`, `400` or `500`.
    pub status: u16,
    /// The encrypted response (base64), for `200`; for a `427` with a message, the encrypted
    /// `{"error_msg": ...}`; empty otherwise.
    pub body: String,
}

impl FlowAnswer {
    fn empty(error: &FlowError) -> Self {
        Self { status: error.status(), body: String::new() }
    }
}

/// One business private key: `rsa` holds it for export and the public key, AWS-LC decrypts.
struct FlowKey {
    rsa: RsaPrivateKey,
    oaep: OaepPrivateDecryptingKey,
}

impl FlowKey {
    fn new(rsa: RsaPrivateKey) -> Result<Self, FlowError> {
        let der = rsa.to_pkcs8_der().map_err(|_| FlowError::InvalidKey)?;
        let key = PrivateDecryptingKey::from_pkcs8(der.as_bytes()).map_err(|_| FlowError::InvalidKey)?;
        let oaep = OaepPrivateDecryptingKey::new(key).map_err(|_| FlowError::InvalidKey)?;
        Ok(Self { rsa, oaep })
    }

    fn from_pem(pem: &str) -> Result<Self, FlowError> {
        let rsa = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| FlowError::InvalidKey)?;
        Self::new(rsa)
    }

    /// Unwraps an AES-128 key: constant-time, blinded RSA-OAEP (SHA-256, MGF1-SHA-256).
    fn unwrap(&self, wrapped: &[u8]) -> Option<Zeroizing<[u8; 16]>> {
        let mut output = Zeroizing::new(vec![0u8; self.oaep.min_output_size()]);
        let plaintext = self.oaep.decrypt(&OAEP_SHA256_MGF1SHA256, wrapped, &mut output, None).ok()?;
        let key: [u8; 16] = (&*plaintext).try_into().ok()?;
        Some(Zeroizing::new(key))
    }
}

/// The digests seen, and their order for eviction.
type Seen = (HashSet<[u8; 32]>, VecDeque<[u8; 32]>);

/// A bounded set of the (wrapped key, IV) pairs already seen: a request posted twice is
/// refused the second time.
struct ReplayCache {
    capacity: usize,
    seen: Mutex<Seen>,
}

impl ReplayCache {
    /// Records the pair; `false` when it was seen before.
    fn insert(&self, wrapped: &[u8], iv: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::new().chain_update(wrapped).chain_update(iv).finalize().into();
        let mut guard = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *guard;
        if !set.insert(digest) {
            return false;
        }
        order.push_back(digest);
        while order.len() > self.capacity {
            if let Some(oldest) = order.pop_front() {
                set.remove(&oldest);
            }
        }
        true
    }
}

/// A handler of decrypted Flows requests, for [`FlowEndpoint::respond_async`] and the tower
/// service. Any `Fn(&FlowRequest) -> Result<FlowResponse, FlowError>` is one; implement the
/// trait for handlers that await.
#[async_trait::async_trait]
pub trait FlowHandler: Send + Sync + 'static {
    /// The response to `request` (never called for the health check, which the endpoint
    /// answers).
    ///
    /// # Errors
    ///
    /// A [`FlowError`] whose [`status`](FlowError::status) is answered.
    async fn handle(&self, request: &FlowRequest) -> Result<FlowResponse, FlowError>;
}

#[async_trait::async_trait]
impl<F> FlowHandler for F
where
    F: Fn(&FlowRequest) -> Result<FlowResponse, FlowError> + Send + Sync + 'static,
{
    async fn handle(&self, request: &FlowRequest) -> Result<FlowResponse, FlowError> {
        self(request)
    }
}

/// The business's side of the Flows data endpoint: its private keys, the app secret that
/// authenticates Meta's requests, and the verify/decrypt/encrypt steps around your handler.
pub struct FlowEndpoint {
    keys: Vec<FlowKey>,
    secrets: HmacKeys,
    require_token_signature: bool,
    replay: Option<ReplayCache>,
    rsa_operations: AtomicU64,
}

impl fmt::Debug for FlowEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowEndpoint")
            .field("keys", &self.keys.len())
            .field("app_secrets", &self.secrets.len())
            .field("require_flow_token_signature", &self.require_token_signature)
            .field("replay_cache", &self.replay.as_ref().map(|cache| cache.capacity))
            .finish_non_exhaustive()
    }
}

impl FlowEndpoint {
    fn with_key(key: FlowKey) -> Self {
        Self {
            keys: vec![key],
            secrets: HmacKeys::default(),
            require_token_signature: false,
            replay: None,
            rsa_operations: AtomicU64::new(0),
        }
    }

    /// The endpoint for an unencrypted RSA private key in PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`). Give it the app secret
    /// ([`app_secret`](Self::app_secret)) before serving: until then it answers `432`.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] for anything else.
    pub fn from_pem(pem: &str) -> Result<Self, FlowError> {
        Ok(Self::with_key(FlowKey::from_pem(pem)?))
    }

    /// The endpoint for a passphrase-protected PKCS#8 key (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2
    /// with PBKDF2 or scrypt), as `openssl genpkey -aes256` or Python's `cryptography` write it.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] for another format or a wrong passphrase.
    pub fn from_encrypted_pem(pem: &str, passphrase: &str) -> Result<Self, FlowError> {
        let key = RsaPrivateKey::from_pkcs8_encrypted_pem(pem, passphrase.as_bytes())
            .map_err(|_| FlowError::InvalidKey)?;
        Ok(Self::with_key(FlowKey::new(key)?))
    }

    /// A new business key pair (RSA 2048, from the operating system's random source). Keep
    /// [`private_key_pem`](Self::private_key_pem) secret (the token vault holds it well) and
    /// upload [`public_key_pem`](Self::public_key_pem) with
    /// [`WhatsApp::set_business_public_key`](crate::whatsapp::WhatsApp::set_business_public_key).
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] if the key cannot be generated.
    pub fn generate() -> Result<Self, FlowError> {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|_| FlowError::InvalidKey)?;
        Ok(Self::with_key(FlowKey::new(key)?))
    }

    /// The endpoint for several private keys (PEM, as [`from_pem`](Self::from_pem)), tried in
    /// order: the current key first, then the previous ones of a rotation. With the token vault:
    /// `FlowEndpoint::from_pems(&token::flow_keys(&vault, tenant, phone_number_id).await?)`.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] when a PEM is not a key, or there is none.
    pub fn from_pems<P: AsRef<str>>(pems: &[P]) -> Result<Self, FlowError> {
        let (first, rest) = pems.split_first().ok_or(FlowError::InvalidKey)?;
        rest.iter().try_fold(Self::from_pem(first.as_ref())?, |endpoint, pem| endpoint.add_pem(pem.as_ref()))
    }

    /// Also decrypts with another private key (PEM, as [`from_pem`](Self::from_pem)): during a
    /// rotation, the new key first and the old one after it, until every client has fetched the
    /// new public key. Keys are tried in the order they were added.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] when the PEM is not a key.
    pub fn add_pem(mut self, pem: &str) -> Result<Self, FlowError> {
        self.keys.push(FlowKey::from_pem(pem)?);
        Ok(self)
    }

    /// The app secret Meta signs requests with (`X-Hub-Signature-256`, and the
    /// `flow_token_signature` JWT). Call it again to accept a second secret during a rotation.
    /// An empty or whitespace-only secret is ignored.
    #[must_use]
    pub fn app_secret(mut self, app_secret: impl Into<crate::AppSecret>) -> Self {
        self.secrets.add(&app_secret.into());
        self
    }

    /// Refuses (`432`) decrypted requests that carry no `flow_token_signature`. Off by default:
    /// Meta sends it only from data API `4.0` with Flow JSON `7.3` or later, so turn it on once
    /// every Flow this endpoint serves is on those versions.
    #[must_use]
    pub fn require_flow_token_signature(mut self, require: bool) -> Self {
        self.require_token_signature = require;
        self
    }

    /// Remembers the last `capacity` (wrapped key, IV) pairs and refuses (`432`) a request that
    /// repeats one: a captured request replayed within the window is not answered again. Off
    /// by default (0). The cache is per process: replicas each keep their own.
    #[must_use]
    pub fn replay_cache(mut self, capacity: usize) -> Self {
        self.replay = (capacity > 0).then(|| ReplayCache {
            capacity,
            seen: Mutex::new((HashSet::with_capacity(capacity.min(1 << 16)), VecDeque::new())),
        });
        self
    }

    /// The public key of the first (current) private key, to upload to the phone number
    /// (`whatsapp_business_encryption`).
    pub fn public_key(&self) -> RsaPublicKey {
        self.keys[0].rsa.to_public_key()
    }

    /// The first (current) private key as PKCS#8 PEM, wiped from memory when dropped.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] if it cannot be encoded.
    pub fn private_key_pem(&self) -> Result<Zeroizing<String>, FlowError> {
        let pem =
            self.keys[0].rsa.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).map_err(|_| FlowError::InvalidKey)?;
        Ok(Zeroizing::new(pem.as_str().to_owned()))
    }

    /// The public key as PEM (`BEGIN PUBLIC KEY`), the form Meta's key upload takes.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] if it cannot be encoded.
    pub fn public_key_pem(&self) -> Result<String, FlowError> {
        use rsa::pkcs8::EncodePublicKey;
        self.public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).map_err(|_| FlowError::InvalidKey)
    }

    /// How many RSA private-key operations this endpoint has run: one per key tried per
    /// request that passed the signature check. A number to watch (and to test with: an
    /// unsigned request never adds to it).
    pub fn rsa_operations(&self) -> u64 {
        self.rsa_operations.load(Ordering::Relaxed)
    }

    /// Checks `X-Hub-Signature-256` over the raw body: the first step, before any RSA work.
    ///
    /// # Errors
    ///
    /// [`FlowError::Signature`] when it is missing or wrong, or no app secret is configured.
    pub fn verify_signature(&self, body: &[u8], x_hub_signature_256: &str) -> Result<(), FlowError> {
        if self.secrets.verify_header(body, x_hub_signature_256) { Ok(()) } else { Err(FlowError::Signature) }
    }

    /// Decrypts a request body, without authenticating it: the low-level step
    /// [`respond`](Self::respond) runs after [`verify_signature`](Self::verify_signature). Use
    /// it only behind a check of your own.
    ///
    /// # Errors
    ///
    /// [`FlowError::Decrypt`] (answer `421`) when the body is not the documented envelope or
    /// does not open with any key; [`FlowError::Signature`] for a replayed request (with a
    /// [replay cache](Self::replay_cache)); [`FlowError::Request`] when the plaintext is not a
    /// request.
    pub fn decrypt(&self, body: &[u8]) -> Result<Decrypted, FlowError> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(|_| FlowError::Decrypt)?;
        let decode = |text: &str| STANDARD.decode(text.trim()).map_err(|_| FlowError::Decrypt);
        let wrapped = decode(&envelope.encrypted_aes_key)?;
        let iv: [u8; 16] = decode(&envelope.initial_vector)?.try_into().map_err(|_| FlowError::Decrypt)?;
        let sealed = decode(&envelope.encrypted_flow_data)?;
        if let Some(replay) = &self.replay {
            if !replay.insert(&wrapped, &iv) {
                return Err(FlowError::Signature);
            }
        }
        let key = self
            .keys
            .iter()
            .find_map(|key| {
                self.rsa_operations.fetch_add(1, Ordering::Relaxed);
                key.unwrap(&wrapped)
            })
            .ok_or(FlowError::Decrypt)?;
        let cipher = FlowCipher::new(key.as_ref().into());
        let plaintext = Zeroizing::new(
            cipher
                .decrypt(Nonce::<U16>::from_slice(&iv), sealed.as_slice())
                .map_err(|_| FlowError::Decrypt)?,
        );
        let request = FlowRequest::from_json(&plaintext)?;
        Ok(Decrypted { request, key, iv })
    }

    /// Verifies the request's `flow_token_signature` (when present, or when required).
    fn check_token_signature(&self, request: &FlowRequest) -> Result<(), FlowError> {
        match &request.flow_token_signature {
            Some(jwt) => verify_flow_token_signature(jwt, &self.secrets, request.flow_token.as_deref()),
            None if !self.require_token_signature => Ok(()),
            None => Err(FlowError::Signature),
        }
    }

    /// Authenticates and decrypts: signature, then RSA, then the token signature.
    fn open(&self, body: &[u8], x_hub_signature_256: &str) -> Result<Decrypted, FlowError> {
        self.verify_signature(body, x_hub_signature_256)?;
        let decrypted = self.decrypt(body)?;
        self.check_token_signature(&decrypted.request)?;
        Ok(decrypted)
    }

    /// The answer to a decrypted request, given the handler's outcome.
    fn finish(decrypted: &Decrypted, response: Result<FlowResponse, FlowError>) -> FlowAnswer {
        match response {
            Ok(response) => FlowAnswer { status: 200, body: decrypted.encrypt(&response) },
            Err(FlowError::TokenRejected(message)) => FlowAnswer {
                status: 427,
                body: decrypted.encrypt_json(&serde_json::json!({ "error_msg": message })),
            },
            Err(error) => FlowAnswer::empty(&error),
        }
    }

    /// The whole endpoint, synchronously: verifies `X-Hub-Signature-256` (`432` before any RSA
    /// work), decrypts `body` (`421`), verifies `flow_token_signature`, answers the health
    /// check itself, hands every other request to `handler`, and encrypts its response. A
    /// handler's [`FlowError::TokenExpired`] or [`FlowError::TokenRejected`] gets `427`.
    ///
    /// The RSA step costs about a millisecond of CPU: in async code prefer
    /// [`respond_async`](Self::respond_async), which runs it on the blocking pool.
    pub fn respond(
        &self,
        body: &[u8],
        x_hub_signature_256: &str,
        handler: impl FnOnce(&FlowRequest) -> Result<FlowResponse, FlowError>,
    ) -> FlowAnswer {
        let decrypted = match self.open(body, x_hub_signature_256) {
            Ok(decrypted) => decrypted,
            Err(error) => return FlowAnswer::empty(&error),
        };
        let response = if decrypted.request.action == FlowRequestAction::Ping {
            Ok(FlowResponse::active())
        } else {
            handler(&decrypted.request)
        };
        Self::finish(&decrypted, response)
    }

    /// [`respond`](Self::respond) for async code: the signature is checked inline (a cheap
    /// HMAC), the RSA unwrap runs on tokio's blocking pool, and `handler` is awaited.
    pub async fn respond_async(
        self: &Arc<Self>,
        body: bytes::Bytes,
        x_hub_signature_256: &str,
        handler: &dyn FlowHandler,
    ) -> FlowAnswer {
        if let Err(error) = self.verify_signature(&body, x_hub_signature_256) {
            return FlowAnswer::empty(&error);
        }
        let endpoint = Arc::clone(self);
        let opened = tokio::task::spawn_blocking(move || {
            let decrypted = endpoint.decrypt(&body)?;
            endpoint.check_token_signature(&decrypted.request)?;
            Ok::<_, FlowError>(decrypted)
        })
        .await
        .unwrap_or_else(|_| Err(FlowError::Handler("the decryption task failed".to_owned())));
        let decrypted = match opened {
            Ok(decrypted) => decrypted,
            Err(error) => return FlowAnswer::empty(&error),
        };
        let response = if decrypted.request.action == FlowRequestAction::Ping {
            Ok(FlowResponse::active())
        } else {
            handler.handle(&decrypted.request).await
        };
        Self::finish(&decrypted, response)
    }
}

/// The client's side, as Meta's WhatsApp client does it: for tests, demos and tools that
/// exercise an endpoint without Meta.
pub mod client {
    use super::{FlowCipher, FlowError, Nonce, STANDARD, U16, encrypt_with, flip};
    use aes_gcm::aead::{Aead, KeyInit};
    use base64::Engine;
    use rsa::{Oaep, RsaPublicKey};
    use sha2::Sha256;
    use zeroize::Zeroizing;

    /// An encrypted request and the key and IV to read its answer with.
    pub struct Sealed {
        /// The JSON body to post.
        pub body: String,
        key: Zeroizing<[u8; 16]>,
        iv: [u8; 16],
    }

    impl std::fmt::Debug for Sealed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Sealed").field("body", &self.body).finish_non_exhaustive()
        }
    }

    /// Encrypts `request` (JSON) for the endpoint whose public key is `public`, with a fresh key
    /// and IV.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] when the public key cannot wrap a key (too small).
    pub fn seal(public: &RsaPublicKey, request: &serde_json::Value) -> Result<Sealed, FlowError> {
        let mut key = Zeroizing::new([0u8; 16]);
        let mut iv = [0u8; 16];
        getrandom::getrandom(key.as_mut()).map_err(|_| FlowError::InvalidKey)?;
        getrandom::getrandom(&mut iv).map_err(|_| FlowError::InvalidKey)?;
        let wrapped = public
            .encrypt(&mut rsa::rand_core::OsRng, Oaep::new::<Sha256>(), key.as_ref())
            .map_err(|_| FlowError::InvalidKey)?;
        let data = encrypt_with(&key, &iv, &serde_json::to_vec(request).unwrap_or_default());
        let body = serde_json::json!({
            "encrypted_flow_data": data,
            "encrypted_aes_key": STANDARD.encode(wrapped),
            "initial_vector": STANDARD.encode(iv),
        })
        .to_string();
        Ok(Sealed { body, key, iv })
    }

    impl Sealed {
        /// The `X-Hub-Signature-256` header Meta sends with this body, under `app_secret` (empty
        /// for a blank secret, which is no key).
        pub fn signature(&self, app_secret: &str) -> String {
            let mut keys = crate::secret::HmacKeys::default();
            keys.add(&crate::AppSecret::from(app_secret));
            keys.sign(self.body.as_bytes())
        }

        /// Decrypts the endpoint's answer to this request.
        ///
        /// # Errors
        ///
        /// [`FlowError::Decrypt`] when the answer is not base64 or does not open.
        pub fn open(&self, answer: &str) -> Result<serde_json::Value, FlowError> {
            let sealed = STANDARD.decode(answer.trim()).map_err(|_| FlowError::Decrypt)?;
            let plaintext = FlowCipher::new(self.key.as_ref().into())
                .decrypt(Nonce::<U16>::from_slice(&flip(self.iv)), sealed.as_slice())
                .map_err(|_| FlowError::Decrypt)?;
            serde_json::from_slice(&plaintext).map_err(|_| FlowError::Request)
        }
    }
}
