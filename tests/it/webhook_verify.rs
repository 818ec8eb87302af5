//! The signature matrix, the corpus signature vectors and the handshake.

use meta_messaging::VerifyToken;
use meta_messaging::webhook::{HandshakeError, Subscription, Verifier, VerifyError};

use crate::support::fixture;

const CORPUS_SECRET: &str = "holdout-test-app-secret-5f3c9a1e";

#[test]
fn every_corpus_signature_verifies() {
    let text = String::from_utf8(fixture("corpus/webhooks/SIGNATURES.txt")).unwrap();
    let verifier = Verifier::new(CORPUS_SECRET);
    let escaping = Verifier::new(CORPUS_SECRET).accept_escaped_unicode(true);
    let wrong = Verifier::new("another-secret").accept_escaped_unicode(true);
    let mut section = "";
    let (mut raw, mut escaped) = (0, 0);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (header, file) = line.split_once(char::is_whitespace).unwrap();
        let body = fixture(&format!("corpus/webhooks/{}", file.trim()));
        assert_eq!(escaping.verify(&body, header), Ok(()), "{section} {file}");
        assert_eq!(wrong.verify(&body, header), Err(VerifyError::Mismatch), "{file}");
        if section == "[RAW]" {
            assert_eq!(verifier.verify(&body, header), Ok(()), "{section} {file}");
            assert_eq!(verifier.sign(&body), header, "{file}");
            raw += 1;
        } else {
            // Signatures over the escaped form of a body that arrived unescaped: only with the
            // opt-in.
            assert_eq!(verifier.verify(&body, header), Err(VerifyError::Mismatch), "{file}");
            escaped += 1;
        }
    }
    assert_eq!(raw, 42);
    assert!(escaped >= 9);
}

#[test]
fn signature_matrix() {
    let body = fixture("corpus/webhooks/wa_message_text_unicode_long.json");
    let verifier = Verifier::new("right-secret");
    let good = verifier.sign(&body);
    let hex = good.strip_prefix("sha256=").unwrap();

    assert_eq!(verifier.verify(&body, &good), Ok(()), "right secret");
    assert_eq!(
        Verifier::new("wrong-secret").verify(&body, &good),
        Err(VerifyError::Mismatch),
        "wrong secret"
    );
    let rotated = Verifier::new("new-secret").with_secret("right-secret");
    assert_eq!(rotated.verify(&body, &good), Ok(()), "second secret");
    assert_eq!(rotated.secret_count(), 2);
    assert_eq!(verifier.verify(&body, ""), Err(VerifyError::MissingHeader), "missing header");
    assert_eq!(verifier.verify_headers(&body, None, None), Err(VerifyError::MissingHeader));
    assert_eq!(verifier.verify(&body, &format!("sha1={hex}")), Err(VerifyError::WrongPrefix), "wrong prefix");
    assert_eq!(verifier.verify(&body, hex), Err(VerifyError::WrongPrefix), "no prefix");
    assert_eq!(verifier.verify(&body, &format!("SHA256={hex}")), Err(VerifyError::WrongPrefix));
    assert_eq!(
        verifier.verify(&body, &format!("sha256={}", hex.to_uppercase())),
        Ok(()),
        "uppercase hex is the same bytes"
    );
    assert_eq!(verifier.verify(&body, &format!(" {good} ")), Ok(()), "surrounding whitespace");
    assert_eq!(
        verifier.verify(&body, &format!("sha256={}", &hex[..63])),
        Err(VerifyError::Malformed),
        "short hex"
    );
    assert_eq!(verifier.verify(&body, &format!("{good}0")), Err(VerifyError::Malformed), "long hex");
    assert_eq!(
        verifier.verify(&body, &format!("sha256={}g", &hex[..63])),
        Err(VerifyError::Malformed),
        "non-hex"
    );
    assert_eq!(verifier.verify(&body, "sha256="), Err(VerifyError::Malformed), "empty signature");
    let mut changed = body.clone();
    let last = changed.len() - 2;
    changed[last] ^= 1;
    assert_eq!(verifier.verify(&changed, &good), Err(VerifyError::Mismatch), "body changed by one byte");
    assert_eq!(verifier.verify(b"", &good), Err(VerifyError::Mismatch), "empty body");
}

#[test]
fn reserialized_json_is_rejected() {
    // Meta's body escapes `/` and non-ASCII; a framework that parses and re-serializes changes
    // the bytes, and the signature must then fail.
    let body = fixture("corpus/webhooks/wa_message_text_escaped_ascii.json");
    let verifier = Verifier::new("s3cret");
    let header = verifier.sign(&body);
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let reserialized = serde_json::to_vec(&value).unwrap();
    assert_ne!(reserialized, body);
    assert_eq!(verifier.verify(&reserialized, &header), Err(VerifyError::Mismatch));
    assert_eq!(verifier.verify(&body, &header), Ok(()));
}

#[test]
fn escaped_unicode_fallback_only_applies_to_non_ascii_bodies() {
    let verifier = Verifier::new("k").accept_escaped_unicode(true);
    let ascii = br#"{"a":"\u00e9"}"#;
    let raw_of_unicode = verifier.sign("{\"a\":\"é\"}".as_bytes());
    // The signature of the unicode body does not validate the escaped body, nor the reverse
    // for a pure-ASCII body: the fallback is one-way, from raw UTF-8 to the escaped form.
    assert_eq!(verifier.verify(ascii, &raw_of_unicode), Err(VerifyError::Mismatch));
    let escaped_sig = verifier.sign(ascii);
    assert_eq!(verifier.verify("{\"a\":\"é\"}".as_bytes(), &escaped_sig), Ok(()));
}

#[test]
fn legacy_sha1_is_opt_in() {
    let body = br#"{"object":"page","entry":[]}"#;
    // HMAC-SHA1(key "k", body), computed independently with Python's hmac module.
    let computed = "sha1=9a09686f7c3ac855e01edd243ee7fc98425533a1".to_owned();
    let verifier = Verifier::new("k");
    assert_eq!(verifier.verify_headers(body, None, Some(&computed)), Err(VerifyError::LegacyNotAccepted));
    let legacy = Verifier::new("other").with_secret("k").accept_legacy_sha1(true);
    assert_eq!(legacy.verify_headers(body, None, Some(&computed)), Ok(()));
    assert_eq!(legacy.verify_legacy_sha1(b"{}", &computed), Err(VerifyError::Mismatch));
    assert_eq!(legacy.verify_legacy_sha1(body, "sha1=00"), Err(VerifyError::Malformed));
    // When the SHA-256 header is present, it alone decides.
    assert_eq!(legacy.verify_headers(body, Some("sha256=00"), Some(&computed)), Err(VerifyError::Malformed));
}

#[test]
fn errors_and_debug_never_show_secrets_or_signatures() {
    let verifier = Verifier::new("very-secret-app-secret");
    let body = b"{}";
    let good = verifier.sign(body);
    let err = verifier.verify(b"{ }", &good).unwrap_err();
    let shown = format!("{err} {err:?} {verifier:?}");
    assert!(!shown.contains("very-secret-app-secret"));
    assert!(!shown.contains(good.strip_prefix("sha256=").unwrap()));
}

#[test]
fn handshake() {
    let expected = VerifyToken::new("my-verify-token");
    let ok = Subscription::from_query(
        "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token",
    );
    assert_eq!(ok.verify(&expected), Ok("1158201444"));
    let encoded = Subscription::from_query(
        "hub.verify_token=my%2Dverify%2Dtoken&hub.mode=subscribe&hub.challenge=abc_DEF-1.2",
    );
    assert_eq!(encoded.verify(&expected), Ok("abc_DEF-1.2"));
    let cases = [
        ("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=my-verify-token", HandshakeError::WrongMode),
        ("hub.challenge=1&hub.verify_token=my-verify-token", HandshakeError::WrongMode),
        ("hub.mode=subscribe&hub.challenge=1", HandshakeError::MissingToken),
        ("hub.mode=subscribe&hub.challenge=1&hub.verify_token=my-verify-toke", HandshakeError::TokenMismatch),
        (
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=my-verify-token-longer",
            HandshakeError::TokenMismatch,
        ),
        ("hub.mode=subscribe&hub.verify_token=my-verify-token", HandshakeError::MissingChallenge),
        (
            "hub.mode=subscribe&hub.challenge=&hub.verify_token=my-verify-token",
            HandshakeError::MissingChallenge,
        ),
        (
            "hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=my-verify-token",
            HandshakeError::InvalidChallenge,
        ),
    ];
    for (query, error) in cases {
        assert_eq!(Subscription::from_query(query).verify(&expected), Err(error), "{query}");
    }
    let shown = format!("{:?}", Subscription::from_query("hub.verify_token=my-verify-token"));
    assert!(!shown.contains("my-verify-token"), "{shown}");
}

#[test]
fn an_empty_app_secret_never_verifies_anything() {
    use meta_messaging::webhook::{Verifier, VerifyError};
    let body = br#"{"object":"page","entry":[]}"#;
    let empty = Verifier::new("");
    // What an attacker would compute with the empty key.
    let forged = Verifier::new("x").with_secret("").sign(body);
    let with_empty_key = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"").unwrap();
        mac.update(body);
        format!(
            "sha256={}",
            mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    assert_eq!(empty.verify(body, &with_empty_key), Err(VerifyError::NoSecret));
    assert_eq!(empty.check_headers(Some(&with_empty_key), None), Err(VerifyError::NoSecret));
    assert_eq!(empty.sign(body), "");
    assert!(Verifier::try_new("").is_err());
    // An empty secret added beside a real one adds no key.
    let mixed = Verifier::new("real-secret").with_secret("");
    assert_eq!(mixed.secret_count(), 1);
    assert_eq!(mixed.verify(body, &with_empty_key), Err(VerifyError::Mismatch));
    assert!(mixed.verify(body, &forged).is_err() || forged == Verifier::new("x").sign(body));
    // The handshake with an empty expected token refuses even an empty given token.
    let subscription = meta_messaging::webhook::Subscription::from_query(
        "hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
    );
    assert_eq!(
        subscription.verify(&meta_messaging::VerifyToken::from("")),
        Err(meta_messaging::webhook::HandshakeError::NoExpectedToken)
    );
}

#[test]
fn the_escaped_unicode_form_is_an_opt_in() {
    use meta_messaging::webhook::{Verifier, VerifyError};
    // Meta's documented example: the signature covers the escaped form of a non-ASCII body.
    let body = "Let's pretend this body is equal to the message object and can handle unicode characters like みどりいろ and J'ai mangé des pâtes";
    let escaped_sig = "sha256=0363007aabdf1ab579f35936651a460fb5fa1aaf40df98b1264446b72cc96688";
    assert_eq!(
        Verifier::new("YOUR_APP_SECRET").verify(body.as_bytes(), escaped_sig),
        Err(VerifyError::Mismatch)
    );
    let opted_in = Verifier::new("YOUR_APP_SECRET").accept_escaped_unicode(true);
    assert_eq!(opted_in.verify(body.as_bytes(), escaped_sig), Ok(()));
}

#[test]
fn header_shape_is_checked_without_the_body() {
    use meta_messaging::webhook::{Verifier, VerifyError};
    let verifier = Verifier::new("s");
    assert_eq!(verifier.check_headers(None, None), Err(VerifyError::MissingHeader));
    assert_eq!(verifier.check_headers(Some("sha256=zz"), None), Err(VerifyError::Malformed));
    assert_eq!(verifier.check_headers(Some("md5=00"), None), Err(VerifyError::WrongPrefix));
    assert_eq!(
        verifier.check_headers(None, Some(&format!("sha1={}", "0".repeat(40)))),
        Err(VerifyError::LegacyNotAccepted)
    );
    assert_eq!(verifier.check_headers(Some(&format!("sha256={}", "0".repeat(64))), None), Ok(()));
}

#[test]
fn relay_secrets_are_at_least_24_bytes_and_signatures_past_the_cap_are_ignored() {
    use meta_messaging::Timestamp;
    use meta_messaging::webhook::relay::{MAX_SIGNATURES, RelaySigner, RelayVerifier, SigningSecret};
    assert!(SigningSecret::from_bytes(&[7u8; 23]).is_err());
    let secret = SigningSecret::from_bytes(&[7u8; 24]).unwrap();
    let now = Timestamp::now();
    let headers = RelaySigner::new(&secret).sign("msg_1", now, b"{}").unwrap();
    let verifier = RelayVerifier::new(&secret);
    assert!(verifier.verify(&headers.id, &headers.timestamp, &headers.signature, b"{}").is_ok());
    // The right signature listed after MAX_SIGNATURES wrong ones is not looked at.
    let wrong = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let padded = format!("{} {}", [wrong; MAX_SIGNATURES].join(" "), headers.signature);
    assert!(verifier.verify(&headers.id, &headers.timestamp, &padded, b"{}").is_err());
    let within = format!("{} {}", [wrong; MAX_SIGNATURES - 1].join(" "), headers.signature);
    assert!(verifier.verify(&headers.id, &headers.timestamp, &within, b"{}").is_ok());
}
