//! The Flows data endpoint against vectors made by another implementation (Python's
//! `cryptography`, `tests/fixtures/flows/vectors.json`), and its error statuses.

use meta_messaging::webhook::Verifier;
use meta_messaging::whatsapp::flows::{
    FlowEndpoint, FlowError, FlowRequestAction, FlowResponse, client, sign_flow_token,
};
use serde_json::{Value, json};

use crate::support::fixture;

const APP_SECRET: &str = "flows-test-app-secret";

fn endpoint(file: &str) -> FlowEndpoint {
    FlowEndpoint::from_pem(&String::from_utf8(fixture(&format!("flows/{file}"))).unwrap())
        .unwrap()
        .app_secret(APP_SECRET)
}

/// The `X-Hub-Signature-256` Meta would send with `body`.
fn sign(body: &[u8]) -> String {
    Verifier::new(APP_SECRET).sign(body)
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
    let answer = endpoint.respond(ping.body.as_bytes(), &ping.signature(APP_SECRET), |_| {
        panic!("the health check is answered by the endpoint")
    });
    assert_eq!(answer.status, 200);
    assert_eq!(ping.open(&answer.body).unwrap(), json!({"data": {"status": "active"}}));

    let init =
        client::seal(&public, &json!({"version": "3.0", "action": "INIT", "flow_token": "t-1"})).unwrap();
    let answer = endpoint.respond(init.body.as_bytes(), &init.signature(APP_SECRET), |request| {
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
    let body = body.to_string();
    assert_eq!(endpoint.respond(body.as_bytes(), &sign(body.as_bytes()), |_| unreachable!()).status, 421);
    // A wrapped key that is not for this private key.
    let foreign = foreign_key_body();
    assert_eq!(
        endpoint.respond(foreign.as_bytes(), &sign(foreign.as_bytes()), |_| unreachable!()).status,
        421
    );
    for malformed in
        ["", "{}", "not json", r#"{"encrypted_flow_data":"@@","encrypted_aes_key":"x","initial_vector":"y"}"#]
    {
        let answer = endpoint.respond(malformed.as_bytes(), &sign(malformed.as_bytes()), |_| unreachable!());
        assert_eq!((answer.status, answer.body.as_str()), (421, ""), "{malformed}");
    }
    let body = vector["body"].to_string();
    let answer = endpoint.respond(body.as_bytes(), &sign(body.as_bytes()), |_| Err(FlowError::TokenExpired));
    assert_eq!((answer.status, answer.body.as_str()), (427, ""));
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

#[test]
fn unsigned_and_wrongly_signed_requests_get_432_before_any_rsa_work() {
    let endpoint = endpoint("demo_private_key_pkcs8.pem").replay_cache(64);
    let sealed =
        client::seal(&endpoint.public_key(), &json!({"version": "3.0", "action": "INIT", "flow_token": "t"}))
            .unwrap();
    let body = sealed.body.as_bytes();
    for signature in [
        String::new(),
        "sha256=".to_owned(),
        "sha256=00".to_owned(),
        sealed.signature("another-app-secret"),
        sign(b"another body"),
        sign(body).replace("sha256=", "sha1="),
    ] {
        let answer = endpoint.respond(body, &signature, |_| unreachable!("never handled"));
        assert_eq!((answer.status, answer.body.as_str()), (432, ""), "{signature:?}");
    }
    assert_eq!(endpoint.rsa_operations(), 0, "no RSA operation ran for an unauthenticated request");
    // Nothing reached the decryption step either: the replay cache never saw the body, so the
    // same body, now signed, is answered.
    let answer =
        endpoint.respond(body, &sealed.signature(APP_SECRET), |_| Ok(FlowResponse::screen("A", json!({}))));
    assert_eq!(answer.status, 200);
    assert_eq!(endpoint.rsa_operations(), 1);
    // Replayed: refused before a second RSA operation.
    let again = endpoint.respond(body, &sealed.signature(APP_SECRET), |_| unreachable!());
    assert_eq!(again.status, 432);
    assert_eq!(endpoint.rsa_operations(), 1);

    // An endpoint without an app secret authenticates nobody.
    let keyless =
        FlowEndpoint::from_pem(&String::from_utf8(fixture("flows/demo_private_key_pkcs8.pem")).unwrap())
            .unwrap()
            .app_secret("   ");
    assert_eq!(keyless.respond(body, &sign(body), |_| unreachable!()).status, 432);
    assert_eq!(keyless.rsa_operations(), 0);
}

#[test]
fn the_flow_token_signature_is_verified_when_present_and_required_on_request() {
    let endpoint = endpoint("demo_private_key_pkcs8.pem");
    let public = endpoint.public_key();
    let exchange = |endpoint: &FlowEndpoint, request: Value| {
        let sealed = client::seal(&public, &request).unwrap();
        endpoint.respond(sealed.body.as_bytes(), &sealed.signature(APP_SECRET), |request| {
            assert!(request.flow_token_signature.is_some() || request.version.as_deref() != Some("4.0"));
            Ok(FlowResponse::screen("OK", json!({})))
        })
    };
    let signed = |token: &str, secret: &str| json!({"version": "4.0", "action": "INIT", "flow_token": "tok-1", "flow_token_signature": sign_flow_token(secret, token)});
    assert_eq!(exchange(&endpoint, signed("tok-1", APP_SECRET)).status, 200);
    assert_eq!(exchange(&endpoint, signed("tok-2", APP_SECRET)).status, 432, "a signature of another token");
    assert_eq!(exchange(&endpoint, signed("tok-1", "another-secret")).status, 432, "another app's signature");
    let unsigned = json!({"version": "3.0", "action": "INIT", "flow_token": "tok-1"});
    assert_eq!(exchange(&endpoint, unsigned.clone()).status, 200, "optional by default");
    let strict = crate::flows::endpoint("demo_private_key_pkcs8.pem").require_flow_token_signature(true);
    assert_eq!(exchange(&strict, unsigned).status, 432);
    assert_eq!(exchange(&strict, signed("tok-1", APP_SECRET)).status, 200);
}

#[test]
fn keys_rotate_and_427_carries_an_encrypted_error_message() {
    let current = FlowEndpoint::generate().unwrap();
    let old_pem = String::from_utf8(fixture("flows/demo_private_key_pkcs8.pem")).unwrap();
    let old = FlowEndpoint::from_pem(&old_pem).unwrap();
    let rotating = FlowEndpoint::from_pem(&current.private_key_pem().unwrap())
        .unwrap()
        .add_pem(&old_pem)
        .unwrap()
        .app_secret("old-app-secret")
        .app_secret(APP_SECRET);
    assert_eq!(rotating.public_key(), current.public_key(), "the first key is the current one");
    for public in [current.public_key(), old.public_key()] {
        let sealed =
            client::seal(&public, &json!({"version": "3.0", "action": "INIT", "flow_token": "t"})).unwrap();
        let answer = rotating.respond(sealed.body.as_bytes(), &sealed.signature(APP_SECRET), |_| {
            Err(FlowError::TokenRejected("This order was already placed".into()))
        });
        assert_eq!(answer.status, 427);
        assert_eq!(sealed.open(&answer.body).unwrap(), json!({"error_msg": "This order was already placed"}));
        // The previous app secret still authenticates during its rotation.
        let answer = rotating.respond(sealed.body.as_bytes(), &sealed.signature("old-app-secret"), |_| {
            Ok(FlowResponse::screen("A", json!({})))
        });
        assert_eq!(answer.status, 200);
    }
    let stranger = FlowEndpoint::generate().unwrap();
    let sealed = client::seal(&stranger.public_key(), &json!({"version": "3.0", "action": "ping"})).unwrap();
    let answer = rotating.respond(sealed.body.as_bytes(), &sealed.signature(APP_SECRET), |_| unreachable!());
    assert_eq!((answer.status, answer.body.as_str()), (421, ""), "no key opens it: one generic answer");
    assert_eq!(FlowError::Decrypt.to_string(), "flows: the request could not be decrypted");
}

#[tokio::test]
async fn the_tower_service_serves_signed_requests_off_the_executor() {
    use meta_messaging::flow_service::FlowService;
    use meta_messaging::whatsapp::flows::FlowRequest;
    let endpoint = endpoint("demo_private_key_pkcs8.pem");
    let public = endpoint.public_key();
    let service = FlowService::new(endpoint, |request: &FlowRequest| {
        Ok(FlowResponse::screen("WELCOME", json!({"token": request.flow_token})))
    });
    let app = meta_messaging::axum::flow_router(service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = meta_messaging::testing::http_client();
    let sealed =
        client::seal(&public, &json!({"version": "3.0", "action": "INIT", "flow_token": "tok-9"})).unwrap();
    let response = http
        .post(&url)
        .header("x-hub-signature-256", sealed.signature(APP_SECRET))
        .body(sealed.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(
        sealed.open(&response.text().await.unwrap()).unwrap(),
        json!({"screen": "WELCOME", "data": {"token": "tok-9"}})
    );
    let unsigned = http.post(&url).body(sealed.body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 432);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 405);
    let huge = http
        .post(&url)
        .header("x-hub-signature-256", "sha256=00")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
}

#[tokio::test]
async fn keys_rotate_through_the_token_vault() {
    use meta_messaging::token::{
        DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, TokenStore, flow_keys, store_flow_key,
    };
    let vault = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
    assert!(flow_keys(&vault, "acme", "106540352242922").await.unwrap().is_empty());
    assert_eq!(FlowEndpoint::from_pems::<&str>(&[]).unwrap_err(), FlowError::InvalidKey);
    let (old, new) = (FlowEndpoint::generate().unwrap(), FlowEndpoint::generate().unwrap());
    store_flow_key(&vault, "acme", "106540352242922", &old.private_key_pem().unwrap()).await.unwrap();
    store_flow_key(&vault, "acme", "106540352242922", &new.private_key_pem().unwrap()).await.unwrap();
    let pems = flow_keys(&vault, "acme", "106540352242922").await.unwrap();
    assert_eq!(pems.len(), 2);
    let endpoint = FlowEndpoint::from_pems(&pems).unwrap().app_secret(APP_SECRET);
    assert_eq!(endpoint.public_key(), new.public_key(), "the current key first");
    for public in [new.public_key(), old.public_key()] {
        let sealed = client::seal(&public, &json!({"version": "3.0", "action": "ping"})).unwrap();
        assert_eq!(
            endpoint
                .respond(sealed.body.as_bytes(), &sealed.signature(APP_SECRET), |_| unreachable!())
                .status,
            200
        );
    }
    // A third key pushes the oldest out; the vault never holds a key in the clear.
    let newest = FlowEndpoint::generate().unwrap();
    store_flow_key(&vault, "acme", "106540352242922", &newest.private_key_pem().unwrap()).await.unwrap();
    let endpoint =
        FlowEndpoint::from_pems(&flow_keys(&vault, "acme", "106540352242922").await.unwrap()).unwrap();
    assert_eq!(endpoint.public_key(), newest.public_key());
    let sealed = client::seal(&old.public_key(), &json!({"version": "3.0", "action": "ping"})).unwrap();
    assert_eq!(
        endpoint
            .app_secret(APP_SECRET)
            .respond(sealed.body.as_bytes(), &sealed.signature(APP_SECRET), |_| unreachable!())
            .status,
        421
    );
    assert_eq!(vault.list_tenant("acme").await.unwrap().len(), 2);
}
