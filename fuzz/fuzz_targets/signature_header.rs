//! Arbitrary signature headers and bodies into `Verifier` (see
//! `meta_messaging_fuzz::signature_header`).
#![no_main]

libfuzzer_sys::fuzz_target!(|input: (&str, &[u8])| meta_messaging_fuzz::signature_header(input.0, input.1));
