//! Arbitrary bytes into `webhook::parse`: never panics, and every event of a parsed body answers
//! its helpers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meta_messaging::webhook;

fuzz_target!(|body: &[u8]| {
    if let Ok(parsed) = webhook::parse(body) {
        for event in parsed.events() {
            let _ = (event.kind().to_string(), event.sender(), event.recipient(), event.text(), event.dedupe_key());
        }
    }
});
