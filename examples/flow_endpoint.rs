//! A WhatsApp Flows data endpoint.
//!
//! With no configuration (`cargo run --example flow_endpoint --all-features`) it runs an offline
//! demo: it starts the endpoint on 127.0.0.1 with a demo key, encrypts requests the way Meta's
//! WhatsApp client does (RSA-OAEP-wrapped AES-128 key, AES-128-GCM body), posts them, and
//! decrypts the answers.
//!
//! With `FLOW_LISTEN` (host:port) and `FLOW_PRIVATE_KEY_PEM` (path to the business's RSA private
//! key, PKCS#8 or PKCS#1 PEM, unencrypted) set, it serves the endpoint at `POST /flow`:
//!
//! | request | answer (encrypted, `text/plain`) |
//! |---|---|
//! | `ping` | `{"data":{"status":"active"}}` |
//! | `INIT` | screen `WELCOME`, `data` `{"token": <flow_token>}` |
//! | `data_exchange` | screen `DONE`, `data` `{"received": <the request's data>}` |
//! | an error notification (`data.error`) | `{"data":{"acknowledged":true}}` |
//! | a body that cannot be decrypted | `421` |

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meta_messaging::whatsapp::flows::{FlowEndpoint, FlowRequest, FlowRequestAction, FlowResponse, client};
use serde_json::json;
use std::sync::Arc;

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

fn router(endpoint: Arc<FlowEndpoint>) -> axum::Router {
    axum::Router::new().route(
        "/flow",
        axum::routing::post(move |body: axum::body::Bytes| {
            let answer = endpoint.respond(&body, |request| Ok(answer(request)));
            async move {
                let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let response: Response =
                    (status, [(header::CONTENT_TYPE, "text/plain")], answer.body).into_response();
                response
            }
        }),
    )
}

async fn serve(listen: &str, pem_path: &str) -> Result<(), Failure> {
    let pem =
        std::fs::read_to_string(pem_path).map_err(|e| format!("FLOW_PRIVATE_KEY_PEM {pem_path}: {e}"))?;
    let endpoint = Arc::new(FlowEndpoint::from_pem(&pem)?);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("flow endpoint: listening on http://{}/flow", listener.local_addr()?);
    axum::serve(listener, router(endpoint)).await?;
    Ok(())
}

async fn demo() -> Result<(), Failure> {
    let endpoint =
        Arc::new(FlowEndpoint::from_pem(include_str!("../tests/fixtures/flows/demo_private_key_pkcs8.pem"))?);
    let public = endpoint.public_key();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/flow", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router(endpoint)).await });
    let http = reqwest::Client::new();
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
        let response = http.post(&url).body(sealed.body.clone()).send().await?;
        let status = response.status();
        let answer = sealed.open(&response.text().await?)?;
        println!("{} -> {status} {answer}", request["action"]);
    }
    let garbage = http
        .post(&url)
        .body(r#"{"encrypted_flow_data":"AAAA","encrypted_aes_key":"AAAA","initial_vector":"AAAA"}"#)
        .send()
        .await?;
    println!("undecryptable body -> {}", garbage.status());
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
