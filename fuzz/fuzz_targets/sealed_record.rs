//! Arbitrary bytes as a stored vault record (see `meta_messaging_fuzz::sealed_record`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| meta_messaging_fuzz::sealed_record(bytes));
