//! The fake Graph API server as a process of its own: for crash and multi-process tests, and
//! for trying a bot without Meta.
//!
//! | variable | meaning |
//! |---|---|
//! | `FAKE_GRAPH_LISTEN` | the address to listen on (default `127.0.0.1:8808`) |
//! | `FAKE_GRAPH_TOKEN` | the only access token accepted (default: any non-empty token) |
//!
//! It prints `listening on http://ADDRESS` once ready and serves until stopped. Point a client
//! at it with `ClientBuilder::base_url`; read what it accepted with `GET /_fake/outbox` (or
//! `meta_messaging::testing::read_outbox`).
//!
//! Run: `cargo run --example fake_graph --features testing`

use meta_messaging::testing::FakeGraph;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen = std::env::var("FAKE_GRAPH_LISTEN").unwrap_or_else(|_| "127.0.0.1:8808".to_owned());
    let graph = FakeGraph::start_on(listen.parse()?).await?;
    if let Ok(token) = std::env::var("FAKE_GRAPH_TOKEN") {
        graph.require_token(&token);
    }
    println!("listening on {}", graph.uri());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
