//! The `flow_endpoint` program driven from outside as its contract says: `FLOW_LISTEN` and
//! `FLOW_PRIVATE_KEY_PEM` and `FLOW_APP_SECRET` set, requests encrypted and signed like Meta's,
//! answers decrypted; unsigned and wrongly signed requests get `432`.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meta_messaging::webhook::Verifier;
use meta_messaging::whatsapp::flows::{FlowEndpoint, client};

const APP_SECRET: &str = "flow-program-app-secret";
use serde_json::json;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_program_answers_every_documented_request() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flows");
    let pem_path = fixtures.join("demo_private_key_pkcs1.pem");
    let public = FlowEndpoint::from_pem(&std::fs::read_to_string(&pem_path).unwrap()).unwrap().public_key();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let binary =
        std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/flow_endpoint");
    let _child = Child(
        Command::new(&binary)
            .env("FLOW_LISTEN", format!("127.0.0.1:{port}"))
            .env("FLOW_PRIVATE_KEY_PEM", &pem_path)
            .env("FLOW_APP_SECRET", APP_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{}: {e}: run `cargo build --example flow_endpoint --all-features`", binary.display())
            }),
    );
    let url = format!("http://127.0.0.1:{port}/flow");
    let http = meta_messaging::testing::http_client();
    let exchange = |request: serde_json::Value| {
        let (http, url, public) = (http.clone(), url.clone(), public.clone());
        async move {
            let sealed = client::seal(&public, &request).unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            let response = loop {
                let signed = http.post(&url).header("x-hub-signature-256", sealed.signature(APP_SECRET));
                if let Ok(response) = signed.body(sealed.body.clone()).send().await {
                    break response;
                }
                assert!(Instant::now() < deadline, "the endpoint never listened");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "text/plain");
            sealed.open(&response.text().await.unwrap()).unwrap()
        }
    };
    assert_eq!(
        exchange(json!({"version": "3.0", "action": "ping"})).await,
        json!({"data": {"status": "active"}})
    );
    assert_eq!(
        exchange(json!({"version": "3.0", "action": "INIT", "flow_token": "tok-7"})).await,
        json!({"screen": "WELCOME", "data": {"token": "tok-7"}})
    );
    let data = json!({"email": "ana@example.com", "consent": true, "items": [1, 2]});
    assert_eq!(
        exchange(json!({"version": "3.0", "action": "data_exchange", "screen": "WELCOME", "flow_token": "tok-7", "data": data}))
            .await,
        json!({"screen": "DONE", "data": {"received": data}})
    );
    assert_eq!(
        exchange(
            json!({"version": "3.0", "action": "data_exchange", "screen": "DONE", "flow_token": "tok-7",
                        "data": {"error": "bad", "error_message": "an error"}})
        )
        .await,
        json!({"data": {"acknowledged": true}})
    );
    let garbage = "{\"encrypted_flow_data\":\"AA\",\"encrypted_aes_key\":\"AA\",\"initial_vector\":\"AA\"}";
    let signature = Verifier::new(APP_SECRET).sign(garbage.as_bytes());
    let response =
        http.post(&url).header("x-hub-signature-256", signature).body(garbage).send().await.unwrap();
    assert_eq!(response.status(), 421);

    // Unsigned, wrongly signed, or signed with another secret: 432 and an empty body.
    let sealed = client::seal(&public, &json!({"version": "3.0", "action": "ping"})).unwrap();
    let wrong_secret = sealed.signature("another-app-secret");
    let tampered = Verifier::new(APP_SECRET).sign(b"another body");
    for signature in [None, Some("sha256=00"), Some(wrong_secret.as_str()), Some(tampered.as_str())] {
        let mut request = http.post(&url).body(sealed.body.clone());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 432, "{signature:?}");
        assert!(response.text().await.unwrap().is_empty());
    }
}

#[test]
fn the_program_refuses_to_serve_without_an_app_secret() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flows");
    let binary =
        std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/flow_endpoint");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = Command::new(&binary)
        .env("FLOW_LISTEN", format!("127.0.0.1:{port}"))
        .env("FLOW_PRIVATE_KEY_PEM", fixtures.join("demo_private_key_pkcs1.pem"))
        .env_remove("FLOW_APP_SECRET")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("FLOW_APP_SECRET"));
}
