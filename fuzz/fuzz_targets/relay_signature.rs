//! Arbitrary Standard Webhooks headers into `RelayVerifier`: never panics; a signature made by the
//! signer always verifies.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use meta_messaging::Timestamp;
use meta_messaging::clock::ManualClock;
use meta_messaging::webhook::relay::{RelaySigner, RelayVerifier, SigningSecret, signatures};

fuzz_target!(|input: (&str, &str, &str, &[u8])| {
    let (id, timestamp, signature, body) = input;
    let secret = SigningSecret::from_bytes(b"fuzz-secret-fuzz-secret-32-bytes").unwrap();
    let now = Timestamp::from_unix_seconds(1_700_000_000);
    let verifier = RelayVerifier::new(&secret).with_clock(Arc::new(ManualClock::new(now)));
    let _ = verifier.verify(id, timestamp, signature, body);
    let _ = signatures(signature).count();
    if let Ok(headers) = RelaySigner::new(&secret).sign(id, now, body) {
        assert!(verifier.verify(&headers.id, &headers.timestamp, &headers.signature, body).is_ok());
    }
});
