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

/// Checks Meta's subscription handshake on `url` (a webhook endpoint's URL, query-less): the
/// right token gets the challenge echoed, a wrong one or none gets `403` without echoing it.
pub async fn check_handshake(url: &str, verify_token: &str) {
    let http = meta_messaging::testing::http_client();
    let sep = if url.contains('?') { '&' } else { '?' };
    let ok = http
        .get(format!("{url}{sep}hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=1158201444"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let wrong = http
        .get(format!("{url}{sep}hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let text = wrong.text().await.unwrap();
    assert!(!text.contains("1158201444") && !text.contains(verify_token), "{text}");
    assert_eq!(http.get(url).send().await.unwrap().status(), 403, "no query");
}

/// Sends a chunked body of 2 KiB (eight 256-byte chunks, no declared length) with a well-formed
/// signature header to `path` on `address` (`host:port`) and returns the status line.
pub async fn post_chunked_2k(address: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ntransfer-encoding: chunked\r\nx-hub-signature-256: sha256={}\r\nconnection: close\r\n\r\n",
        "0".repeat(64)
    )
    .into_bytes();
    for _ in 0..8 {
        request.extend_from_slice(b"100\r\n");
        request.extend_from_slice(&[b' '; 256]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await.unwrap();
    String::from_utf8_lossy(&response).lines().next().unwrap_or_default().to_owned()
}

/// Posts `body` to `url` with `signature` as its `X-Hub-Signature-256`.
pub async fn post_with_signature(url: &str, body: &[u8], signature: &str) -> reqwest::Response {
    meta_messaging::testing::http_client()
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}
