//! Arbitrary bytes as an inbox payload into `StoredEvent` (see `meta_messaging_fuzz::stored_event`).
#![no_main]

libfuzzer_sys::fuzz_target!(|payload: &[u8]| meta_messaging_fuzz::stored_event(payload));
