//! The Flows data endpoint against vectors made by another implementation (Python's
//! `cryptography`, `tests/fixtures/flows/vectors.json`), and its error statuses.

use meta_messaging::whatsapp::flows::{FlowEndpoint, FlowError, FlowRequestAction, FlowResponse, client};
use serde_json::{Value, json};

use crate::support::fixture;

fn endpoint(file: &str) -> FlowEndpoint {
    FlowEndpoint::from_pem(&String::from_utf8(fixture(&format!("flows/{file}"))).unwrap()).unwrap()
}

fn vectors() -> Vec<Value> {
    let all: Value = serde_json::from_slice(&fixture("flows/vectors.json")).unwrap();
    all["vectors"].as_array().unwrap().clone()
}

#[test]
fn decrypts_requests_encrypted_by_another_implementation_with_either_pem() {
    for pem in ["demo_private_key_pkcs8.pem", "demo_private_key_pkcs1.pem"] {
        let endpoint = endpoint(pem);
        for vector in vectors() {
            let body = vector["body"].to_string();
            let decrypted = endpoint.decrypt(body.as_bytes()).unwrap();
            let request = &vector["request"];
            assert_eq!(
                decrypted.request.version.as_deref(),
                request["version"].as_str(),
                "{}",
                vector["name"]
            );
            assert_eq!(decrypted.request.flow_token.as_deref(), request["flow_token"].as_str());
            assert_eq!(decrypted.request.data.as_ref(), request.get("data"));
            // The response encrypts exactly as the other implementation does it.
            let response = FlowResponse::screen("WELCOME", json!({"token": "flows-builder-6f1b2c"}));
            assert_eq!(
                decrypted.encrypt(&response),
                vector["encrypted_response"].as_str().unwrap(),
                "{}",
                vector["name"]
            );
        }
    }
}

#[test]
fn actions_and_error_notifications_are_told_apart() {
    let endpoint = endpoint("demo_private_key_pkcs8.pem");
    let actions: Vec<(FlowRequestAction, bool)> = vectors()
        .iter()
        .map(|v| {
            let request = endpoint.decrypt(v["body"].to_string().as_bytes()).unwrap().request;
            let notification = request.is_error_notification();
            (request.action, notification)
        })
        .collect();
    assert_eq!(
        actions,
        [
            (FlowRequestAction::Ping, false),
            (FlowRequestAction::Init, false),
            (FlowRequestAction::DataExchange, false),
            (FlowRequestAction::DataExchange, true)
        ]
    );
}

#[test]
fn respond_answers_the_health_check_and_the_handler_round_trips() {
    let endpoint = endpoint("demo_private_key_pkcs8.pem");
    let public = endpoint.public_key();
    let ping = client::seal(&public, &json!({"version": "3.0", "action": "ping"})).unwrap();
    let answer =
        endpoint.respond(ping.body.as_bytes(), |_| panic!("the health check is answered by the endpoint"));
    assert_eq!(answer.status, 200);
    assert_eq!(ping.open(&answer.body).unwrap(), json!({"data": {"status": "active"}}));

    let init =
        client::seal(&public, &json!({"version": "3.0", "action": "INIT", "flow_token": "t-1"})).unwrap();
    let answer = endpoint.respond(init.body.as_bytes(), |request| {
        Ok(FlowResponse::screen("WELCOME", json!({"token": request.flow_token})))
    });
    assert_eq!(init.open(&answer.body).unwrap(), json!({"screen": "WELCOME", "data": {"token": "t-1"}}));
}

#[test]
fn tampered_foreign_and_malformed_bodies_get_421_and_expired_tokens_427() {
    let endpoint = endpoint("demo_private_key_pkcs8.pem");
    let vector = &vectors()[1];
    // A flipped bit in the data: the GCM tag fails.
    let mut body = vector["body"].clone();
    let data = body["encrypted_flow_data"].as_str().unwrap().to_owned();
    let mut bytes = base64_decode(&data);
    bytes[3] ^= 1;
    body["encrypted_flow_data"] = Value::from(base64_encode(&bytes));
    assert_eq!(endpoint.respond(body.to_string().as_bytes(), |_| unreachable!()).status, 421);
    // A wrapped key that is not for this private key.
    let foreign = foreign_key_body();
    assert_eq!(endpoint.respond(foreign.as_bytes(), |_| unreachable!()).status, 421);
    for malformed in
        ["", "{}", "not json", r#"{"encrypted_flow_data":"@@","encrypted_aes_key":"x","initial_vector":"y"}"#]
    {
        let answer = endpoint.respond(malformed.as_bytes(), |_| unreachable!());
        assert_eq!((answer.status, answer.body.as_str()), (421, ""), "{malformed}");
    }
    let answer = endpoint.respond(vector["body"].to_string().as_bytes(), |_| Err(FlowError::TokenExpired));
    assert_eq!(answer.status, 427);
    assert!(FlowEndpoint::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").is_err());
    assert!(!format!("{endpoint:?}").contains("BEGIN"), "the key never reaches Debug");
}

/// A sealed ping whose wrapped AES key was replaced with bytes no holder of the private key
/// produced: OAEP refuses to unwrap it.
fn foreign_key_body() -> String {
    let endpoint = endpoint("demo_private_key_pkcs1.pem");
    let sealed = client::seal(&endpoint.public_key(), &json!({"version": "3.0", "action": "ping"})).unwrap();
    let mut body: Value = serde_json::from_str(&sealed.body).unwrap();
    body["encrypted_aes_key"] = Value::from(base64_encode(&[7u8; 256]));
    body.to_string()
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_generated_key_pair_round_trips_through_its_pems() {
    let generated = FlowEndpoint::generate().unwrap();
    let private = generated.private_key_pem().unwrap();
    let public = generated.public_key_pem().unwrap();
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----")
            && public.starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(!format!("{generated:?}").contains("PRIVATE"), "no key material in Debug");
    let reloaded = FlowEndpoint::from_pem(&private).unwrap();
    let request = json!({"version": "3.0", "action": "ping"});
    let sealed = client::seal(&generated.public_key(), &request).unwrap();
    let decrypted = reloaded.decrypt(sealed.body.as_bytes()).unwrap();
    assert_eq!(decrypted.request.action, FlowRequestAction::Ping);
}

#[test]
fn a_passphrase_protected_key_loads_with_its_passphrase_only() {
    let pem = String::from_utf8(fixture("flows/demo_private_key_pkcs8_encrypted.pem")).unwrap();
    let endpoint = FlowEndpoint::from_encrypted_pem(&pem, "correct horse battery staple").unwrap();
    let plain = crate::flows::endpoint("demo_private_key_pkcs8.pem");
    assert_eq!(endpoint.public_key(), plain.public_key(), "the same key as the unencrypted fixture");
    let vector = &vectors()[0];
    let decrypted = endpoint.decrypt(vector["body"].to_string().as_bytes()).unwrap();
    assert_eq!(decrypted.request.action, FlowRequestAction::Ping);
    assert_eq!(FlowEndpoint::from_encrypted_pem(&pem, "wrong").unwrap_err(), FlowError::InvalidKey);
    assert_eq!(FlowEndpoint::from_pem(&pem).unwrap_err(), FlowError::InvalidKey, "needs its passphrase");
}
