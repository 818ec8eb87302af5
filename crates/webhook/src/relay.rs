//! Signing webhooks an app relays onward, per the Standard Webhooks specification (v1).
//!
//! A gateway that receives Meta's webhooks and forwards them to its own customers should sign
//! what it forwards, so each customer can check it came from the gateway. Standard Webhooks is
//! the common scheme (Svix, many SaaS): three headers,
//!
//! - `webhook-id`: a unique id per event, the same across retries (the consumer's idempotency
//!   key),
//! - `webhook-timestamp`: Unix seconds of this attempt,
//! - `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")>`
//!   (one per active secret during a rotation),
//!
//! with secrets written `whsec_<base64>`. [`RelayVerifier`] checks them, with a tolerance
//! window (5 minutes by default) against replays.
//!
//! ```
//! use meta_messaging_webhook::model::Timestamp;
//! use meta_messaging_webhook::relay::{RelaySigner, RelayVerifier, SigningSecret};
//!
//! let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! let signer = RelaySigner::new(&secret);
//! let now = Timestamp::from_unix_seconds(1_614_265_330);
//! let headers = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", now, br#"{"test": 2432232314}"#)?;
//! assert_eq!(headers.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
//!
//! let verifier = RelayVerifier::new(&secret).with_clock(std::sync::Arc::new(
//!     meta_messaging_webhook::clock::ManualClock::new(now),
//! ));
//! verifier.verify(&headers.id, &headers.timestamp, &headers.signature, br#"{"test": 2432232314}"#)?;
//! # Ok::<(), meta_messaging_webhook::relay::RelayError>(())
//! ```

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Timestamp;
use crate::clock::{SharedClock, system};

/// Header carrying the event id.
pub const HEADER_ID: &str = "webhook-id";
/// Header carrying the Unix timestamp of the attempt.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How many signatures of one `webhook-signature` header are compared; later ones are ignored
/// (a header cannot make verification cost more than this many comparisons).
pub const MAX_SIGNATURES: usize = 8;
/// The default replay tolerance: how far a relayed webhook's timestamp may be from now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

const SECRET_PREFIX: &str = "whsec_";
const MAX_ID_LEN: usize = 256;

/// Why relay signing or verification failed; never says what the right signature is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayError {
    /// The secret is not `whsec_<base64>` (or base64) of 24 to 128 bytes (Standard Webhooks asks for at least 24).
    InvalidSecret,
    /// The id is empty, too long, contains a `.` or a non-printable character.
    InvalidId,
    /// A header is missing or empty.
    MissingHeader,
    /// The timestamp header is not an integer.
    InvalidTimestamp,
    /// The timestamp is older than the tolerance.
    TimestampTooOld,
    /// The timestamp is further in the future than the tolerance.
    TimestampTooNew,
    /// No `v1` signature matches.
    NoMatchingSignature,
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSecret => f.write_str("the signing secret is not valid base64 of 24 to 128 bytes"),
            Self::InvalidId => {
                f.write_str("the webhook id must be 1 to 256 printable ascii characters without '.'")
            }
            Self::MissingHeader => f.write_str("a webhook signature header is missing"),
            Self::InvalidTimestamp => f.write_str("the webhook timestamp is not an integer"),
            Self::TimestampTooOld => f.write_str("the webhook timestamp is too old"),
            Self::TimestampTooNew => f.write_str("the webhook timestamp is too far in the future"),
            Self::NoMatchingSignature => f.write_str("no webhook signature matches"),
        }
    }
}

impl std::error::Error for RelayError {}

/// A Standard Webhooks signing secret (the raw key bytes).
#[derive(Clone)]
pub struct SigningSecret(SecretSlice<u8>);

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([REDACTED])")
    }
}

impl SigningSecret {
    /// Parses `whsec_<base64>` (or bare base64).
    ///
    /// # Errors
    ///
    /// [`RelayError::InvalidSecret`].
    pub fn parse(text: &str) -> Result<Self, RelayError> {
        let encoded = text.trim().strip_prefix(SECRET_PREFIX).unwrap_or(text.trim());
        // The decoded bytes are wiped once copied into the secret.
        let bytes = Zeroizing::new(STANDARD.decode(encoded).map_err(|_| RelayError::InvalidSecret)?);
        Self::from_bytes(&bytes)
    }

    /// A secret from raw bytes (24 to 128, as Standard Webhooks asks).
    ///
    /// # Errors
    ///
    /// [`RelayError::InvalidSecret`] for another length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RelayError> {
        if !(24..=128).contains(&bytes.len()) {
            return Err(RelayError::InvalidSecret);
        }
        Ok(Self(SecretSlice::from(bytes.to_vec())))
    }

    /// A new random 32-byte secret from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// If the operating system has no random source.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(bytes.as_mut()).expect("the operating system provides randomness");
        Self(SecretSlice::from(bytes.to_vec()))
    }

    /// The secret as `whsec_<base64>`, to hand to the consumer once. Treat the result as a
    /// secret: it is wiped from memory when dropped.
    pub fn expose_whsec(&self) -> Zeroizing<String> {
        let mut text = Zeroizing::new(String::with_capacity(SECRET_PREFIX.len() + 4 * 128 / 3 + 4));
        text.push_str(SECRET_PREFIX);
        STANDARD.encode_string(self.0.expose_secret(), &mut text);
        text
    }

    fn key(&self) -> Hmac<Sha256> {
        Hmac::new_from_slice(self.0.expose_secret()).expect("HMAC accepts keys of any length")
    }
}

/// The three headers of a signed relay request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayHeaders {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: String,
    /// `webhook-signature`.
    pub signature: String,
}

impl RelayHeaders {
    /// The headers as `(name, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            (HEADER_ID, self.id.as_str()),
            (HEADER_TIMESTAMP, self.timestamp.as_str()),
            (HEADER_SIGNATURE, self.signature.as_str()),
        ]
        .into_iter()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic() && b != b'.')
}

fn mac(key: &Hmac<Sha256>, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = key.clone();
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Signs relayed webhooks.
#[derive(Clone)]
pub struct RelaySigner {
    keys: Vec<Hmac<Sha256>>,
}

impl fmt::Debug for RelaySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelaySigner").field("secrets", &self.keys.len()).finish()
    }
}

impl RelaySigner {
    /// A signer with one secret.
    pub fn new(secret: &SigningSecret) -> Self {
        Self { keys: vec![secret.key()] }
    }

    /// Also signs with `secret` (during a rotation, consumers accept either).
    #[must_use]
    pub fn with_secret(mut self, secret: &SigningSecret) -> Self {
        self.keys.push(secret.key());
        self
    }

    /// The headers for `body` sent as event `id` at `timestamp`.
    ///
    /// # Errors
    ///
    /// [`RelayError::InvalidId`] for an id that is empty, over 256 characters, or contains `.`
    /// or non-printable characters.
    pub fn sign(&self, id: &str, timestamp: Timestamp, body: &[u8]) -> Result<RelayHeaders, RelayError> {
        if !valid_id(id) {
            return Err(RelayError::InvalidId);
        }
        let ts = timestamp.unix_seconds().to_string();
        let signature = self
            .keys
            .iter()
            .map(|key| format!("v1,{}", STANDARD.encode(mac(key, id, &ts, body).finalize().into_bytes())))
            .collect::<Vec<_>>()
            .join(" ");
        Ok(RelayHeaders { id: id.to_owned(), timestamp: ts, signature })
    }
}

/// Verifies relayed webhooks (what a consumer of a relay runs).
#[derive(Clone)]
pub struct RelayVerifier {
    keys: Vec<Hmac<Sha256>>,
    tolerance: Duration,
    clock: SharedClock,
}

impl fmt::Debug for RelayVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayVerifier")
            .field("secrets", &self.keys.len())
            .field("tolerance", &self.tolerance)
            .finish_non_exhaustive()
    }
}

impl RelayVerifier {
    /// A verifier for one secret, with the default 5-minute tolerance.
    pub fn new(secret: &SigningSecret) -> Self {
        Self { keys: vec![secret.key()], tolerance: DEFAULT_TOLERANCE, clock: system() }
    }

    /// Also accepts signatures made with `secret`.
    #[must_use]
    pub fn with_secret(mut self, secret: &SigningSecret) -> Self {
        self.keys.push(secret.key());
        self
    }

    /// How far the timestamp may be from now, either way.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Uses `clock` for "now" (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the three header values against the body.
    ///
    /// # Errors
    ///
    /// [`RelayError`] naming the failed check.
    pub fn verify(&self, id: &str, timestamp: &str, signature: &str, body: &[u8]) -> Result<(), RelayError> {
        if id.is_empty() || timestamp.trim().is_empty() || signature.trim().is_empty() {
            return Err(RelayError::MissingHeader);
        }
        if !valid_id(id) {
            return Err(RelayError::InvalidId);
        }
        let ts = timestamp.trim();
        let seconds: i64 = ts.parse().map_err(|_| RelayError::InvalidTimestamp)?;
        let sent = Timestamp::from_unix_seconds(seconds);
        let now = self.clock.now();
        if now.duration_since(sent) > self.tolerance {
            return Err(RelayError::TimestampTooOld);
        }
        if sent.duration_since(now) > self.tolerance {
            return Err(RelayError::TimestampTooNew);
        }
        // One MAC per secret, whatever the header holds; then each listed signature (at most
        // MAX_SIGNATURES) is compared with those in constant time.
        let expected: Vec<[u8; 32]> =
            self.keys.iter().map(|key| mac(key, id, ts, body).finalize().into_bytes().into()).collect();
        let matched = signatures(signature).take(MAX_SIGNATURES).any(|tag| {
            expected.iter().any(|want| bool::from(subtle::ConstantTimeEq::ct_eq(&want[..], &tag[..])))
        });
        if matched { Ok(()) } else { Err(RelayError::NoMatchingSignature) }
    }
}

/// The decoded `v1` signatures of a `webhook-signature` header; other versions and malformed
/// entries are skipped.
pub fn signatures(header: &str) -> impl Iterator<Item = [u8; 32]> + '_ {
    header.split_ascii_whitespace().filter_map(|item| {
        let (version, encoded) = item.split_once(',')?;
        if version != "v1" || encoded.len() != 44 {
            return None;
        }
        let mut tag = [0u8; 32];
        match STANDARD.decode_slice(encoded, &mut tag) {
            Ok(32) => Some(tag),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::ManualClock;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    fn verifier(now: i64) -> RelayVerifier {
        RelayVerifier::new(&SigningSecret::parse(SECRET).unwrap())
            .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(now))))
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // The example of the Standard Webhooks specification.
        let signer = RelaySigner::new(&SigningSecret::parse(SECRET).unwrap());
        let headers = signer.sign(ID, Timestamp::from_unix_seconds(1_614_265_330), BODY).unwrap();
        assert_eq!(headers.timestamp, "1614265330");
        assert_eq!(headers.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn verification_matrix() {
        let v = verifier(1_614_265_330);
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(v.verify(ID, "1614265330", sig, BODY), Ok(()));
        assert_eq!(v.verify(ID, "1614265330", &format!("v1a,xyz {sig}"), BODY), Ok(()));
        assert_eq!(
            v.verify(ID, "1614265330", sig, b"{\"test\": 2432232315}"),
            Err(RelayError::NoMatchingSignature)
        );
        assert_eq!(v.verify("msg_other", "1614265330", sig, BODY), Err(RelayError::NoMatchingSignature));
        assert_eq!(v.verify(ID, "1614265331", sig, BODY), Err(RelayError::NoMatchingSignature));
        assert_eq!(v.verify(ID, "1614265330", "v2,abc", BODY), Err(RelayError::NoMatchingSignature));
        assert_eq!(v.verify(ID, "1614265330", "", BODY), Err(RelayError::MissingHeader));
        assert_eq!(v.verify(ID, "soon", sig, BODY), Err(RelayError::InvalidTimestamp));
        assert_eq!(v.verify("a.b", "1614265330", sig, BODY), Err(RelayError::InvalidId));
        assert_eq!(
            verifier(1_614_265_330 + 301).verify(ID, "1614265330", sig, BODY),
            Err(RelayError::TimestampTooOld)
        );
        assert_eq!(
            verifier(1_614_265_330 - 301).verify(ID, "1614265330", sig, BODY),
            Err(RelayError::TimestampTooNew)
        );
        assert_eq!(verifier(1_614_265_330 + 300).verify(ID, "1614265330", sig, BODY), Ok(()));
    }

    #[test]
    fn rotation_signs_with_every_secret() {
        let old = SigningSecret::parse(SECRET).unwrap();
        let new = SigningSecret::generate();
        let signer = RelaySigner::new(&new).with_secret(&old);
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        let headers = signer.sign("evt_1", now, BODY).unwrap();
        assert_eq!(headers.signature.split(' ').count(), 2);
        let clock: SharedClock = Arc::new(ManualClock::new(now));
        for secret in [old, new] {
            let v = RelayVerifier::new(&secret).with_clock(Arc::clone(&clock));
            assert_eq!(v.verify(&headers.id, &headers.timestamp, &headers.signature, BODY), Ok(()));
        }
    }

    #[test]
    fn secrets_round_trip_and_are_checked() {
        let secret = SigningSecret::generate();
        // The exposed text is wiped when dropped.
        let text: Zeroizing<String> = secret.expose_whsec();
        assert!(text.starts_with("whsec_") && text.len() == 6 + 44, "{}", text.len());
        let again = SigningSecret::parse(&text).unwrap();
        assert_eq!(*again.expose_whsec(), *secret.expose_whsec());
        assert_eq!(format!("{secret:?}"), "SigningSecret([REDACTED])");
        assert!(SigningSecret::parse("whsec_!!!").is_err());
        assert!(SigningSecret::parse("whsec_AAAA").is_err(), "too short");
        assert!(RelaySigner::new(&secret).sign("", Timestamp::from_unix_seconds(1), b"").is_err());
    }
}
