//! Arbitrary Standard Webhooks headers into `RelayVerifier` (see
//! `meta_messaging_fuzz::relay_signature`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: (&str, &str, &str, &[u8])| {
    meta_messaging_fuzz::relay_signature(input.0, input.1, input.2, input.3);
});
