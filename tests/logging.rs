//! Secrets never reach logs or errors. A binary of its own: the test installs a global
//! `tracing` subscriber, which must not race with other tests' callsite registrations.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meta_messaging::Client;
use meta_messaging::graph::RetryPolicy;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "EAAGtestTOKEN0123456789abcdefghijklmnopSECRET";
const APP_SECRET: &str = "test-app-secret-5f3c9a1e77";

/// A `MakeWriter` that appends every log line to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn logs_and_errors_never_contain_secrets() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v26.0/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v26.0/fail"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("upstream said {TOKEN}")))
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .app_secret(APP_SECRET)
        .base_url(server.uri())
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap();
    let _: Value = client.get("ok").secret_query("client_secret", "query-secret-0987").await.unwrap();
    let err =
        client.get::<Value>("fail").secret_query("fb_exchange_token", "query-secret-0987").await.unwrap_err();
    let error_text = format!("{err} {err:?} {:?}", err.raw_body());
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("graph_request"), "spans are logged: {logs}");
    assert!(logs.contains("retrying graph request"), "retries are logged: {logs}");
    for secret in [TOKEN, APP_SECRET, "query-secret-0987"] {
        assert!(!logs.contains(secret), "log leaked {secret}: {logs}");
        assert!(!error_text.contains(secret), "error leaked {secret}: {error_text}");
    }
}
