//! Secrets never reach Debug, Display, errors or logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use meta_messaging::{AccessToken, AppSecret, Client, VerifyToken};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{APP_SECRET, TOKEN};

#[test]
fn secret_types_redact_debug() {
    let shown = format!(
        "{:?} {:?} {:?}",
        AccessToken::new(TOKEN),
        AppSecret::new(APP_SECRET),
        VerifyToken::new("verify-me-please")
    );
    assert_eq!(shown, "AccessToken([REDACTED]) AppSecret([REDACTED]) VerifyToken([REDACTED])");
}

#[test]
fn client_and_builder_debug_hide_secrets() {
    let builder = Client::builder().access_token(TOKEN).app_secret(APP_SECRET);
    let shown = format!("{builder:?}");
    let client = builder.build().unwrap();
    let shown = format!(
        "{shown} {client:?} {:?}",
        client.get::<Value>("1").secret_query("client_secret", APP_SECRET)
    );
    assert!(shown.contains("has_access_token: true"), "{shown}");
    assert!(!shown.contains(TOKEN) && !shown.contains(APP_SECRET), "{shown}");
}

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
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v25.0/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v25.0/fail"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("upstream said {TOKEN}")))
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .app_secret(APP_SECRET)
        .base_url(server.uri())
        .retry(crate::support::fast_retry())
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
