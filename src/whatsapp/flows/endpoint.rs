//! The WhatsApp Flows data endpoint (feature `flows`): decrypt each request, answer it encrypted.
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
//! flipped, base64, as `text/plain`. A body that cannot be decrypted gets `421` (the client
//! fetches the public key again); an expired flow token gets `427`.
//!
//! [`FlowEndpoint::respond`] does all of it around a handler of yours, for any framework:
//!
//! ```no_run
//! use meta_messaging::whatsapp::flows::{FlowRequestAction, FlowEndpoint, FlowResponse};
//!
//! # fn run(pem: &str, body: &[u8]) -> Result<(), meta_messaging::whatsapp::flows::FlowError> {
//! let endpoint = FlowEndpoint::from_pem(pem)?;
//! let answer = endpoint.respond(body, |request| {
//!     Ok(match request.action {
//!         FlowRequestAction::Init => FlowResponse::screen("WELCOME", serde_json::json!({"name": "Ana"})),
//!         _ => FlowResponse::screen("DONE", serde_json::json!({})),
//!     })
//! });
//! // answer.status: 200, 421 or 427; answer.body: the encrypted response (text/plain).
//! # Ok(()) }
//! ```
//!
//! The cryptography is `RustCrypto`'s (`rsa`, `aes-gcm`), never hand-written. `rsa` 0.9 is not
//! constant-time in its private-key operation (RUSTSEC-2023-0071): an attacker who can time many
//! decryptions of chosen ciphertexts might learn the key. Keep the endpoint's timing out of
//! reach where you can, and rotate the business key if it was exposed for long.

use std::fmt;

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use zeroize::Zeroizing;

/// AES-128-GCM with the 16-byte IV Flows use.
type FlowCipher = AesGcm<aes::Aes128, U16>;

/// Why a Flows request could not be answered normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The private key PEM could not be read (not PKCS#8 or PKCS#1, or encrypted).
    #[error("flows: the private key is not an unencrypted PKCS#8 or PKCS#1 RSA key in PEM")]
    InvalidKey,
    /// The body could not be decrypted: not the expected JSON, not base64, not for this key,
    /// or tampered. Answer `421` so the client refreshes the public key.
    #[error("flows: the request could not be decrypted ({0})")]
    Decrypt(&'static str),
    /// The decrypted request is not the documented JSON.
    #[error("flows: the decrypted request is not a Flows request")]
    Request,
    /// The flow token is expired or unknown to the business: answer `427`.
    #[error("flows: the flow token is no longer valid")]
    TokenExpired,
    /// The handler failed otherwise: answer `500`.
    #[error("flows: {0}")]
    Handler(String),
}

impl FlowError {
    /// The HTTP status Meta expects for this error: `421`, `427`, `400` or `500`.
    pub fn status(&self) -> u16 {
        match self {
            Self::Decrypt(_) => 421,
            Self::TokenExpired => 427,
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
        }
        let raw: Raw = serde_json::from_slice(json).map_err(|_| FlowError::Request)?;
        let action = raw.action.ok_or(FlowError::Request)?;
        Ok(Self {
            version: raw.version,
            action: FlowRequestAction::parse(&action),
            screen: raw.screen,
            data: raw.data,
            flow_token: raw.flow_token,
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
    /// `200`, `421`, `427`, `400` or `500`.
    pub status: u16,
    /// The encrypted response (base64), for `200`.
    pub body: String,
}

/// The business's side of the Flows data endpoint: its private key, and the decrypt/encrypt
/// steps around your handler.
pub struct FlowEndpoint {
    key: RsaPrivateKey,
}

impl fmt::Debug for FlowEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowEndpoint").field("key", &"[REDACTED]").finish()
    }
}

impl FlowEndpoint {
    /// The endpoint for an unencrypted RSA private key in PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] for anything else.
    pub fn from_pem(pem: &str) -> Result<Self, FlowError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| FlowError::InvalidKey)?;
        Ok(Self { key })
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
        Ok(Self { key })
    }

    /// The public key, to upload to the phone number (`whatsapp_business_encryption`).
    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
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
        Ok(Self { key })
    }

    /// The private key as PKCS#8 PEM, wiped from memory when dropped.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] if it cannot be encoded.
    pub fn private_key_pem(&self) -> Result<Zeroizing<String>, FlowError> {
        use rsa::pkcs8::EncodePrivateKey;
        let pem = self.key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).map_err(|_| FlowError::InvalidKey)?;
        Ok(Zeroizing::new(pem.as_str().to_owned()))
    }

    /// The public key as PEM (`BEGIN PUBLIC KEY`), the form Meta's key upload takes.
    ///
    /// # Errors
    ///
    /// [`FlowError::InvalidKey`] if it cannot be encoded.
    pub fn public_key_pem(&self) -> Result<String, FlowError> {
        use rsa::pkcs8::EncodePublicKey;
        self.key
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|_| FlowError::InvalidKey)
    }

    /// Decrypts a request body.
    ///
    /// # Errors
    ///
    /// [`FlowError::Decrypt`] (answer `421`) when the body is not the documented envelope or
    /// does not open with this key; [`FlowError::Request`] when the plaintext is not a request.
    pub fn decrypt(&self, body: &[u8]) -> Result<Decrypted, FlowError> {
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|_| FlowError::Decrypt("not the envelope"))?;
        let decode = |text: &str| STANDARD.decode(text.trim()).map_err(|_| FlowError::Decrypt("not base64"));
        let wrapped = decode(&envelope.encrypted_aes_key)?;
        let iv: [u8; 16] = decode(&envelope.initial_vector)?
            .try_into()
            .map_err(|_| FlowError::Decrypt("the IV is not 16 bytes"))?;
        let sealed = decode(&envelope.encrypted_flow_data)?;
        let key = Zeroizing::new(
            self.key
                .decrypt(Oaep::new::<Sha256>(), &wrapped)
                .map_err(|_| FlowError::Decrypt("the key does not unwrap"))?,
        );
        let key: Zeroizing<[u8; 16]> = Zeroizing::new(
            key.as_slice().try_into().map_err(|_| FlowError::Decrypt("the AES key is not 128 bits"))?,
        );
        let cipher = FlowCipher::new(key.as_ref().into());
        let plaintext = Zeroizing::new(
            cipher
                .decrypt(Nonce::<U16>::from_slice(&iv), sealed.as_slice())
                .map_err(|_| FlowError::Decrypt("the data does not open"))?,
        );
        let request = FlowRequest::from_json(&plaintext)?;
        Ok(Decrypted { request, key, iv })
    }

    /// The whole endpoint: decrypts `body`, answers the health check itself, hands every other
    /// request to `handler`, and encrypts its response. Undecryptable bodies get `421`; a
    /// handler's [`FlowError::TokenExpired`] gets `427`.
    pub fn respond(
        &self,
        body: &[u8],
        handler: impl FnOnce(&FlowRequest) -> Result<FlowResponse, FlowError>,
    ) -> FlowAnswer {
        let decrypted = match self.decrypt(body) {
            Ok(decrypted) => decrypted,
            Err(error) => return FlowAnswer { status: error.status(), body: String::new() },
        };
        let response = if decrypted.request.action == FlowRequestAction::Ping {
            Ok(FlowResponse::active())
        } else {
            handler(&decrypted.request)
        };
        match response {
            Ok(response) => FlowAnswer { status: 200, body: decrypted.encrypt(&response) },
            Err(error) => FlowAnswer { status: error.status(), body: String::new() },
        }
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
        /// Decrypts the endpoint's answer to this request.
        ///
        /// # Errors
        ///
        /// [`FlowError::Decrypt`] when the answer is not base64 or does not open.
        pub fn open(&self, answer: &str) -> Result<serde_json::Value, FlowError> {
            let sealed = STANDARD.decode(answer.trim()).map_err(|_| FlowError::Decrypt("not base64"))?;
            let plaintext = FlowCipher::new(self.key.as_ref().into())
                .decrypt(Nonce::<U16>::from_slice(&flip(self.iv)), sealed.as_slice())
                .map_err(|_| FlowError::Decrypt("the answer does not open"))?;
            serde_json::from_slice(&plaintext).map_err(|_| FlowError::Request)
        }
    }
}
