//! The GET subscription handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`).

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

use crate::VerifyToken;

/// The longest challenge echoed back.
const MAX_CHALLENGE_LEN: usize = 256;

/// Why a subscription handshake was refused (answer 403).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// `hub.mode` is missing or not `subscribe`.
    WrongMode,
    /// `hub.verify_token` is missing.
    MissingToken,
    /// `hub.verify_token` does not match.
    TokenMismatch,
    /// The expected verify token is empty (a missing configuration value): no handshake
    /// succeeds until it is set.
    NoExpectedToken,
    /// `hub.challenge` is missing or empty.
    MissingChallenge,
    /// `hub.challenge` is not a short token of letters, digits, `-`, `_` or `.` (Meta sends an
    /// integer); refused rather than reflected.
    InvalidChallenge,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongMode => f.write_str("hub.mode is not subscribe"),
            Self::MissingToken => f.write_str("hub.verify_token is missing"),
            Self::TokenMismatch => f.write_str("hub.verify_token does not match"),
            Self::NoExpectedToken => {
                f.write_str("the expected verify token is empty: check the configuration")
            }
            Self::MissingChallenge => f.write_str("hub.challenge is missing"),
            Self::InvalidChallenge => f.write_str("hub.challenge is not a plain token"),
        }
    }
}

impl std::error::Error for HandshakeError {}

/// The query of Meta's subscription request: `GET {callback}?hub.mode=subscribe&
/// hub.challenge=1158201444&hub.verify_token=...`.
///
/// ```
/// use meta_messaging_webhook::VerifyToken;
/// use meta_messaging_webhook::Subscription;
///
/// let expected = VerifyToken::new("my-verify-token");
/// let query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token";
/// let subscription = Subscription::from_query(query);
/// let challenge = subscription.verify(&expected)?;
/// assert_eq!(challenge, "1158201444"); // answer 200 with this as the body
/// # Ok::<(), meta_messaging_webhook::HandshakeError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// `hub.mode`.
    pub mode: Option<String>,
    /// `hub.verify_token`.
    pub verify_token: Option<String>,
    /// `hub.challenge`.
    pub challenge: Option<String>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("mode", &self.mode)
            .field("verify_token", &self.verify_token.as_ref().map(|_| "[REDACTED]"))
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Subscription {
    /// Reads the three parameters from a raw (percent-encoded) query string, with or without
    /// the leading `?`.
    pub fn from_query(query: &str) -> Self {
        let mut subscription = Self::default();
        for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let slot = match key.as_ref() {
                "hub.mode" => &mut subscription.mode,
                "hub.verify_token" => &mut subscription.verify_token,
                "hub.challenge" => &mut subscription.challenge,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        subscription
    }

    /// Checks the request and returns the challenge to answer with (status 200, body = the
    /// challenge). The token is compared in constant time.
    ///
    /// # Errors
    ///
    /// [`HandshakeError`]: answer 403.
    pub fn verify(&self, expected: &VerifyToken) -> Result<&str, HandshakeError> {
        if expected.expose_secret().is_empty() {
            return Err(HandshakeError::NoExpectedToken);
        }
        if self.mode.as_deref() != Some("subscribe") {
            return Err(HandshakeError::WrongMode);
        }
        let token = self.verify_token.as_deref().ok_or(HandshakeError::MissingToken)?;
        // Comparing digests hides the expected token's length as well as its content.
        let given = Sha256::digest(token.as_bytes());
        let wanted = Sha256::digest(expected.expose_secret().as_bytes());
        if !bool::from(given.ct_eq(&wanted)) {
            return Err(HandshakeError::TokenMismatch);
        }
        let challenge =
            self.challenge.as_deref().filter(|c| !c.is_empty()).ok_or(HandshakeError::MissingChallenge)?;
        let plain = challenge.len() <= MAX_CHALLENGE_LEN
            && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if plain { Ok(challenge) } else { Err(HandshakeError::InvalidChallenge) }
    }
}
