//! Bring your own `reqwest::Client`: your proxy, pool sizes, TLS roots or middleware-free
//! tuning, shared with the rest of your service; the crate adds Graph's base URL, auth,
//! `appsecret_proof`, retries and typed errors on top.
//!
//! Run it with `cargo run --example custom_client`. It sends through the fake Graph server
//! (`testing::FakeGraph`) on 127.0.0.1. To go through a proxy, add
//! `.proxy(reqwest::Proxy::https("http://proxy.internal:3128")?)` to the builder below.

use std::time::Duration;

use meta_messaging::Client;
use meta_messaging::graph::RetryPolicy;
use meta_messaging::testing::FakeGraph;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let graph = FakeGraph::start().await;

    // Your service's HTTP client, tuned once and shared (started from the crate's builder, so it
    // has the crate's TLS: rustls on ring with the system's roots).
    let http = meta_messaging::graph::http_client_builder()?
        .pool_max_idle_per_host(32)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .build()?;

    let client = Client::builder()
        .http_client(http)
        .access_token("EAAG-example-token")
        .app_secret("example-app-secret") // adds appsecret_proof to every call
        .user_agent("acme-gateway/2.3")
        .request_timeout(Duration::from_secs(15))
        .retry(RetryPolicy::default().max_attempts(4))
        .base_url(graph.uri())
        .build()?;

    let sent =
        client.whatsapp("106540352242922").send_text("16505551234", "Sent through our own pool").await?;
    let message = &graph.outbox()[0];
    println!("sent {:?} to {}: {:?}", sent.message_id(), message.to, message.text());
    println!("client: {client:?}"); // Debug never shows the token or the app secret
    Ok(())
}
