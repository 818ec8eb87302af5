//! Arbitrary bodies into the Flows data endpoint: never panics; anything it cannot decrypt gets
//! 421 (or a handler's status), never a 200 with a response it did not make.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use meta_messaging::whatsapp::flows::{FlowEndpoint, FlowResponse};

fn endpoint() -> &'static FlowEndpoint {
    static ENDPOINT: OnceLock<FlowEndpoint> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        FlowEndpoint::from_pem(include_str!("../../tests/fixtures/flows/demo_private_key_pkcs8.pem")).unwrap()
    })
}

fuzz_target!(|body: &[u8]| {
    let answer = endpoint().respond(body, |_| Ok(FlowResponse::active()));
    assert!(matches!(answer.status, 200 | 400 | 421), "{}", answer.status);
    if answer.status != 200 {
        assert!(answer.body.is_empty());
    }
});
