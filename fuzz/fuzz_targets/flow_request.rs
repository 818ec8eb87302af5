//! Arbitrary bodies into the Flows data endpoint (see `meta_messaging_fuzz::flow_request`).
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| meta_messaging_fuzz::flow_request(body));
