//! Arbitrary bytes into `webhook::parse` (see `meta_messaging_fuzz::webhook_parse`).
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| meta_messaging_fuzz::webhook_parse(body));
