//! A relay: receive Meta's webhooks, verify them, and forward each one to a customer's endpoint
//! signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
//!
//! Run it with `cargo run --example relay`. Everything runs on 127.0.0.1: the gateway (the axum
//! webhook router, with a bounded channel so a slow downstream turns into `503` and Meta
//! redelivers later), a downstream customer endpoint that checks the relay signature with
//! `RelayVerifier`, and signed webhooks built with `testing::WebhookBuilder`.
//!
//! The `webhook-id` is the digest of Meta's body: stable across Meta's redeliveries and the
//! relay's own retries, so the customer can use it as an idempotency key.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use meta_messaging::Timestamp;
use meta_messaging::axum::{Delivery, WebhookRouter};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::relay::{RelaySigner, RelayVerifier, SigningSecret};
use meta_messaging::webhook::{InMemoryDeduplicator, Verifier, body_digest};
use tokio::sync::mpsc;

const APP_SECRET: &str = "relay-example-app-secret";

/// The customer's endpoint: verifies the relay signature before trusting anything.
fn downstream(verifier: &RelayVerifier, headers: &HeaderMap, body: &[u8]) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    match verifier.verify(
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        body,
    ) {
        Ok(()) => {
            println!("  customer: verified {} ({} bytes)", header("webhook-id"), body.len());
            StatusCode::NO_CONTENT
        }
        Err(error) => {
            println!("  customer: rejected: {error}");
            StatusCode::UNAUTHORIZED
        }
    }
}

/// Forwards one delivery, retrying transient failures with the same `webhook-id`.
async fn forward(http: &reqwest::Client, signer: &RelaySigner, url: &str, delivery: &Delivery) -> bool {
    let id = format!("msg_{}", body_digest(delivery.body()).trim_start_matches("sha256:"));
    for attempt in 1..=3u32 {
        let Ok(headers) = signer.sign(&id, Timestamp::now(), delivery.body()) else { return false };
        let mut request =
            http.post(url).header("content-type", "application/json").body(delivery.body().clone());
        for (name, value) in headers.iter() {
            request = request.header(name, value);
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => return true,
            Ok(response) if response.status().is_client_error() => return false,
            _ => tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await,
        }
    }
    false
}

async fn bind(app: axum::Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The customer's signing secret, shared with them once (`whsec_...`).
    let secret = SigningSecret::generate();
    let customer_verifier = RelayVerifier::new(&secret);
    let customer = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let status = downstream(&customer_verifier, &headers, &body);
            async move { status }
        }),
    );
    let customer_url = format!("{}/hooks", bind(customer).await?);

    // The gateway: Meta's webhooks in, a bounded queue, one forwarding worker.
    let (sender, mut queue) = mpsc::channel::<Delivery>(256);
    let gateway = WebhookRouter::new(Verifier::new(APP_SECRET), "relay-verify-token")
        .dedupe(InMemoryDeduplicator::default())
        .channel(sender)
        .into_router();
    let gateway_url = bind(gateway).await?;
    let signer = RelaySigner::new(&secret);
    let forwarded = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&forwarded);
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        while let Some(delivery) = queue.recv().await {
            let events = delivery.events().count();
            if forward(&http, &signer, &customer_url, &delivery).await {
                count.fetch_add(1, Ordering::SeqCst);
                println!("gateway: forwarded a delivery with {events} new event(s)");
            } else {
                println!("gateway: gave up on a delivery (keep it in a dead-letter store)");
            }
        }
    });

    // Meta posts two webhooks, then redelivers the first.
    let http = reqwest::Client::new();
    let first = WebhookBuilder::whatsapp("106540352242922")
        .text("16505551234", "Where is my parcel?")
        .status_delivered("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "16505551234")
        .sign(APP_SECRET);
    let second =
        WebhookBuilder::messenger("109876543210987").text("24512345678901234", "hello").sign(APP_SECRET);
    for (label, signed) in [("WhatsApp batch", &first), ("Messenger text", &second), ("redelivery", &first)] {
        println!("Meta -> gateway: {label}: {}", signed.post(&http, &gateway_url).await?.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let forwarded = forwarded.load(Ordering::SeqCst);
    println!("forwarded {forwarded} deliveries; the redelivery was dropped by dedupe");
    if forwarded == 2 {
        Ok(())
    } else {
        Err(format!("expected 2 forwarded deliveries, got {forwarded}").into())
    }
}
