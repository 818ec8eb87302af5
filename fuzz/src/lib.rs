//! The fuzz targets' bodies, shared by the libFuzzer binaries (`fuzz_targets/`, coverage-guided) and the
//! stable mutation engine that runs them in every `cargo test` (`tests/fuzz.rs`). Each one
//! panics only on a broken property, never on input.

use std::sync::Arc;

use futures_util::FutureExt;
use meta_messaging::Timestamp;
use meta_messaging::clock::ManualClock;
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, StoredBlob,
    TokenKey, TokenRecord, TokenStore,
};
use meta_messaging::webhook::relay::{RelaySigner, RelayVerifier, SigningSecret, signatures};
use meta_messaging::webhook::{self, Verifier};

/// Arbitrary bytes into `webhook::parse`: never panics, and every event of a parsed body answers
/// its helpers.
///
/// The one walk holds on every input that parses: the inbox writes one record per event, each
/// event's site locates a piece of the body, and each record reads back as an event of the same
/// kind.
pub fn webhook_parse(body: &[u8]) {
    let Ok(parsed) = webhook::parse(body) else { return };
    let records = meta_messaging::delivery::event_records(body, &parsed);
    let mut events = 0;
    for ((site, event), record) in parsed.events_with_sites().zip(&records) {
        events += 1;
        let _ = (event.sender(), event.recipient(), event.text(), event.dedupe_key(), event.user());
        let text = std::str::from_utf8(body).expect("a parsed body is UTF-8");
        let raw = site.locate(body).expect("every event's site is in the body");
        assert!(text.contains(raw), "the site cut bytes that are not the body's");
        let stored = meta_messaging::delivery::StoredEvent::from_payload(&record.payload)
            .expect("every record reads back");
        assert_eq!(stored.kind(), event.kind().to_string(), "a record read back as another kind");
    }
    assert_eq!(events, records.len(), "one record per event");
    assert_eq!(events, parsed.events().count());
}

/// Arbitrary bytes as an inbox item's payload: `StoredEvent` never panics, and what it reads
/// answers its helpers.
pub fn stored_event(payload: &[u8]) {
    if let Ok(stored) = meta_messaging::delivery::StoredEvent::from_payload(payload) {
        // The stored kind, or (for a record of an older release that held a whole change) the
        // first of its events: there is always one.
        let event = stored.event().expect("a stored event that reads has its event");
        assert!(stored.events().any(|e| e.kind() == event.kind()));
        let _ = (stored.text(), stored.user_key(), stored.business(), stored.account(), stored.raw_event());
    }
}

/// Arbitrary signature headers and bodies into `Verifier`: never panics, never accepts a header
/// that is not the body's signature.
pub fn signature_header(header: &str, body: &[u8]) {
    let verifier = Verifier::new("fuzz-secret").accept_legacy_sha1(true);
    let right = verifier.sign(body);
    if verifier.verify(body, header).is_ok() {
        // Only the right tag passes, in either hex case and with surrounding whitespace.
        assert_eq!(header.trim().to_ascii_lowercase(), right, "accepted a wrong signature");
    }
    let _ = verifier.verify_headers(body, None, Some(header));
    assert!(verifier.verify(body, &right).is_ok());
}

/// Arbitrary Standard Webhooks headers into `RelayVerifier`: never panics; a signature made by
/// the signer always verifies.
pub fn relay_signature(id: &str, timestamp: &str, signature: &str, body: &[u8]) {
    let secret = SigningSecret::from_bytes(b"fuzz-secret-fuzz-secret-32-bytes").expect("a valid secret");
    let now = Timestamp::from_unix_seconds(1_700_000_000);
    let verifier = RelayVerifier::new(&secret).with_clock(Arc::new(ManualClock::new(now)));
    let _ = verifier.verify(id, timestamp, signature, body);
    let _ = signatures(signature).count();
    if let Ok(headers) = RelaySigner::new(&secret).sign(id, now, body) {
        assert!(verifier.verify(&headers.id, &headers.timestamp, &headers.signature, body).is_ok());
    }
}

/// Arbitrary bytes as a stored record: the vault never panics, and only a record it sealed
/// opens.
pub fn sealed_record(bytes: &[u8]) {
    let blobs = InMemoryBlobStore::default();
    let key_bytes = DataKey::from_bytes(&[7u8; 32]).expect("a 32-byte key");
    let store = EncryptedTokenStore::new(blobs.clone(), Keyring::new(1, key_bytes));
    let key = TokenKey::new("fuzz", Channel::WhatsApp, "1", SecretKind::AccessToken);
    let put = blobs.put(&key, StoredBlob::new(bytes.to_vec(), 1, None)).now_or_never();
    assert!(matches!(put, Some(Ok(()))));
    assert!(matches!(store.get(&key).now_or_never(), Some(Err(_))), "random bytes never open");
    let secret = String::from_utf8_lossy(bytes).into_owned();
    let put = store.put(TokenRecord::new(key.clone(), secret.as_str())).now_or_never();
    assert!(matches!(put, Some(Ok(()))));
    let Some(Ok(Some(record))) = store.get(&key).now_or_never() else { panic!("a sealed record opens") };
    assert_eq!(record.secret.expose_secret(), secret);
}

/// The app secret the fuzzed Flows endpoint is given.
#[cfg(feature = "flows")]
const FUZZ_APP_SECRET: &str = "fuzz-app-secret";

/// Arbitrary bodies into the Flows data endpoint: never panics; anything it cannot decrypt gets
/// 421 (or 400), never a 200 with a response it did not make.
#[cfg(feature = "flows")]
pub fn flow_request(body: &[u8]) {
    use meta_messaging::whatsapp::flows::{FlowEndpoint, FlowResponse};
    use std::sync::OnceLock;
    static ENDPOINT: OnceLock<FlowEndpoint> = OnceLock::new();
    let endpoint = ENDPOINT.get_or_init(|| {
        FlowEndpoint::from_pem(include_str!("../../tests/fixtures/flows/demo_private_key_pkcs8.pem"))
            .expect("the demo key loads")
            .app_secret(FUZZ_APP_SECRET)
    });
    // Unsigned: refused before decryption.
    assert_eq!(endpoint.respond(body, "", |_| Ok(FlowResponse::active())).status, 432);
    // Signed, so the input reaches the decryption step.
    let signature = meta_messaging::webhook::Verifier::new(FUZZ_APP_SECRET).sign(body);
    let answer = endpoint.respond(body, &signature, |_| Ok(FlowResponse::active()));
    assert!(matches!(answer.status, 200 | 400 | 421), "{}", answer.status);
    if answer.status != 200 {
        assert!(answer.body.is_empty());
    }
}

/// Arbitrary text as a tenant's relay destination: the policy never panics, and what it accepts
/// is `https`, without credentials, and never an IP literal it refuses.
pub fn destination_url(text: &str) {
    use meta_messaging::delivery::{AddressClass, DestinationPolicy, classify};
    use std::net::IpAddr;
    let policy = DestinationPolicy::default();
    if let Ok(url) = policy.check_url(text) {
        assert_eq!(url.scheme(), "https", "{text:?}");
        assert!(url.username().is_empty() && url.password().is_none(), "{text:?}");
        if let Some(host) = url.host_str() {
            if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
                assert_eq!(classify(ip), AddressClass::Public, "{text:?}");
            }
        }
    }
    if let Ok(ip) = text.trim().parse::<IpAddr>() {
        assert_eq!(policy.permits(ip), classify(ip) == AddressClass::Public);
    }
}

/// Arbitrary text as a Flows `flow_token_signature`: never panics, never verifies unless it is
/// the token Meta would sign, and a signed token of any flow token verifies.
#[cfg(feature = "flows")]
pub fn flow_token_signature(text: &str) {
    use meta_messaging::whatsapp::flows::{sign_flow_token, verify_flow_token};
    const SECRET: &str = "fuzz-app-secret";
    const FLOW_TOKEN: &str = "fuzz-flow-token";
    if verify_flow_token(text, SECRET, FLOW_TOKEN).is_ok() {
        assert_eq!(text.trim(), sign_flow_token(SECRET, FLOW_TOKEN), "only Meta's token verifies");
    }
    if text.len() < 1024 {
        assert!(verify_flow_token(&sign_flow_token(SECRET, text), SECRET, text).is_ok());
        assert!(verify_flow_token(&sign_flow_token("another-secret", text), SECRET, text).is_err());
    }
}
