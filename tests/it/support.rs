//! Shared helpers: a wiremock server per test and a client pointed at it.

use std::path::PathBuf;
use std::time::Duration;

use meta_messaging::Client;
use meta_messaging::graph::RetryPolicy;
use wiremock::MockServer;

/// A token-shaped test token; tests assert it never appears in output.
pub const TOKEN: &str = "EAAGtestTOKEN0123456789abcdefghijklmnopSECRET";
/// A test app secret.
pub const APP_SECRET: &str = "test-app-secret-5f3c9a1e77";

/// Fast retries for tests: no waiting beyond a few milliseconds.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(20))
}

/// A client with the test token and fast retries, pointed at `server`.
pub fn client(server: &MockServer) -> Client {
    Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .instagram_base_url(format!("{}/ig", server.uri()))
        .retry(fast_retry())
        .build()
        .expect("test client builds")
}

/// The path of a file under `tests/fixtures`.
pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
}

/// The bytes of a file under `tests/fixtures`.
pub fn fixture(relative: &str) -> Vec<u8> {
    std::fs::read(fixture_path(relative)).unwrap_or_else(|e| panic!("fixture {relative}: {e}"))
}

/// A JSON file under `tests/fixtures`.
pub fn fixture_json(relative: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(relative)).unwrap_or_else(|e| panic!("fixture {relative}: {e}"))
}
