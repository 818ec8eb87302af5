//! A WhatsApp Flows data endpoint.
//!
//! With no configuration (`cargo run --example flow_endpoint --all-features`) it runs an offline
//! demo: it starts the endpoint on 127.0.0.1 with a demo key, encrypts requests the way Meta's
//! WhatsApp client does (RSA-OAEP-wrapped AES-128 key, AES-128-GCM body), posts them, and
//! decrypts the answers.
//!
//! With `FLOW_LISTEN` (host:port) and `FLOW_PRIVATE_KEY_PEM` (path to the business's RSA private
//! key, PKCS#8 or PKCS#1 PEM, unencrypted) set, it serves the endpoint at `POST /flow`.
//! `FLOW_APP_SECRET` (the app secret, required with `FLOW_LISTEN`) authenticates Meta: a request
//! without a valid `X-Hub-Signature-256` (`sha256=` + hex HMAC-SHA256 of the raw body under that
//! secret) gets `432` with an empty body, before any decryption.
//!
//! | request | answer (encrypted, `text/plain`) |
//! |---|---|
//! | no or a wrong `X-Hub-Signature-256` | `432`, empty |
//! | `ping` | `{"data":{"status":"active"}}` |
//! | `INIT` | screen `WELCOME`, `data` `{"token": <flow_token>}` |
//! | `data_exchange` | screen `DONE`, `data` `{"received": <the request's data>}` |
//! | an error notification (`data.error`) | `{"data":{"acknowledged":true}}` |
//! | a body that cannot be decrypted | `421` |

use axum::http::StatusCode;
use meta_messaging::axum::flow_router;
use meta_messaging::flow_service::FlowService;
use meta_messaging::whatsapp::flows::{
    FlowEndpoint, FlowError, FlowRequest, FlowRequestAction, FlowResponse, client,
};
use serde_json::json;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The business logic of this demo Flow.
fn answer(request: &FlowRequest) -> FlowResponse {
    if request.is_error_notification() {
        return FlowResponse::acknowledge_error();
    }
    match request.action {
        FlowRequestAction::DataExchange => FlowResponse::screen("DONE", json!({"received": request.data})),
        // INIT, BACK and anything newer: the first screen.
        _ => FlowResponse::screen("WELCOME", json!({"token": request.flow_token})),
    }
}

fn router(endpoint: FlowEndpoint) -> axum::Router {
    let service = FlowService::new(endpoint, |request: &FlowRequest| Ok::<_, FlowError>(answer(request)));
    axum::Router::new().nest_service("/flow", flow_router(service))
}

async fn serve(listen: &str, pem_path: &str) -> Result<(), Failure> {
    let app_secret = std::env::var("FLOW_APP_SECRET")
        .ok()
        .filter(|secret| !secret.trim().is_empty())
        .ok_or("FLOW_APP_SECRET is not set: the endpoint cannot authenticate Meta's requests without it")?;
    let pem =
        std::fs::read_to_string(pem_path).map_err(|e| format!("FLOW_PRIVATE_KEY_PEM {pem_path}: {e}"))?;
    let endpoint = FlowEndpoint::from_pem(&pem)?.app_secret(app_secret.as_str());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("flow endpoint: listening on http://{}/flow", listener.local_addr()?);
    axum::serve(listener, router(endpoint)).await?;
    Ok(())
}

async fn demo() -> Result<(), Failure> {
    const APP_SECRET: &str = "flow-example-app-secret";
    let endpoint =
        FlowEndpoint::from_pem(include_str!("../tests/fixtures/flows/demo_private_key_pkcs8.pem"))?
            .app_secret(APP_SECRET);
    let public = endpoint.public_key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/flow", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router(endpoint)).await });
    let http = meta_messaging::graph::http_client_builder()?.build()?;
    let requests = [
        json!({"version": "3.0", "action": "ping"}),
        json!({"version": "3.0", "action": "INIT", "flow_token": "demo-token-42"}),
        json!({"version": "3.0", "action": "data_exchange", "screen": "WELCOME", "flow_token": "demo-token-42",
               "data": {"name": "Ana", "plan": "pro"}}),
        json!({"version": "3.0", "action": "data_exchange", "screen": "DONE", "flow_token": "demo-token-42",
               "data": {"error": "invalid-screen", "error_message": "demo error notification"}}),
    ];
    for request in &requests {
        let sealed = client::seal(&public, request)?;
        let response = http
            .post(&url)
            .header("x-hub-signature-256", sealed.signature(APP_SECRET))
            .body(sealed.body.clone())
            .send()
            .await?;
        let status = response.status();
        let answer = sealed.open(&response.text().await?)?;
        println!("{} -> {status} {answer}", request["action"]);
    }
    // Unsigned: refused before any decryption.
    let unsigned = client::seal(&public, &requests[1])?;
    let refused = http.post(&url).body(unsigned.body.clone()).send().await?;
    println!("unsigned request -> {}", refused.status());
    if refused.status().as_u16() != 432 {
        return Err("an unsigned request must get 432".into());
    }
    let garbage = r#"{"encrypted_flow_data":"AAAA","encrypted_aes_key":"AAAA","initial_vector":"AAAA"}"#;
    let signature = meta_messaging::webhook::Verifier::new(APP_SECRET).sign(garbage.as_bytes());
    let garbage = http.post(&url).header("x-hub-signature-256", signature).body(garbage).send().await?;
    println!("signed but undecryptable body -> {}", garbage.status());
    if garbage.status() != StatusCode::MISDIRECTED_REQUEST {
        return Err("an undecryptable body must get 421".into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    match (std::env::var("FLOW_LISTEN"), std::env::var("FLOW_PRIVATE_KEY_PEM")) {
        (Ok(listen), Ok(pem)) => serve(&listen, &pem).await,
        _ => demo().await,
    }
}
