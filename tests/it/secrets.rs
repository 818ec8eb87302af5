//! Secrets never reach Debug or Display (logs: `tests/logging.rs`).

use meta_messaging::{AccessToken, AppSecret, Client, VerifyToken};
use serde_json::Value;

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
