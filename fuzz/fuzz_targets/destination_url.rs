//! Arbitrary text as a relay destination (see `meta_messaging_fuzz::destination_url`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| meta_messaging_fuzz::destination_url(&String::from_utf8_lossy(bytes)));
