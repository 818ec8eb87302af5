//! Arbitrary text as a Flows `flow_token_signature` (see `meta_messaging_fuzz::flow_token_signature`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| meta_messaging_fuzz::flow_token_signature(&String::from_utf8_lossy(bytes)));
