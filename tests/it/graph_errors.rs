//! Every Graph error fixture maps to the documented class, and keeps what Meta sent.

use meta_messaging::graph::RetryPolicy;
use meta_messaging::{Client, ErrorKind};
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, fixture, fixture_json};

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Auth => "Auth",
        ErrorKind::RateLimited => "RateLimited",
        ErrorKind::OutsideWindow => "OutsideWindow",
        ErrorKind::Permission => "Permission",
        ErrorKind::Transient => "Transient",
        ErrorKind::Template => "Template",
        ErrorKind::Undeliverable => "Undeliverable",
        ErrorKind::InvalidRequest => "InvalidRequest",
        ErrorKind::Api => "Api",
        other => panic!("unexpected kind for an http error: {other:?}"),
    }
}

#[tokio::test]
async fn every_error_fixture_is_classified_as_the_oracle_says() {
    let oracle = fixture_json("errors/ORACLE.json");
    let oracle = oracle.as_object().unwrap();
    assert!(oracle.len() >= 40, "the error corpus shrank");
    let server = MockServer::start().await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    for (file, expected) in oracle {
        server.reset().await;
        let status = u16::try_from(expected["http_status"].as_u64().unwrap()).unwrap();
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_bytes(fixture(&format!("errors/{file}"))))
            .expect(1)
            .mount(&server)
            .await;
        let err = client.get::<Value>("1").await.expect_err(file);
        assert_eq!(kind_name(err.kind()), expected["kind"], "{file}: {err}");
        assert_eq!(err.status(), Some(status), "{file}");
        assert_eq!(err.is_retryable(), expected["retryable"], "{file}");
        assert_eq!(err.is_rate_limited(), expected["rate_limited"], "{file}");
        assert_eq!(err.requires_reauth(), expected["requires_reauth"], "{file}");
        assert_eq!(err.fbtrace_id(), expected["fbtrace_id"].as_str(), "{file}");
        if let Some(code) = expected["code"].as_i64() {
            let api = err.api_error().unwrap_or_else(|| panic!("{file}: no api error"));
            assert_eq!(api.code(), code, "{file}");
            assert_eq!(api.error_subcode(), expected["subcode"].as_i64(), "{file}");
            assert_eq!(api.details(), expected["details"].as_str(), "{file}");
            assert_eq!(api.status(), status, "{file}");
            assert!(!api.message().is_empty(), "{file}: message kept");
            assert!(err.to_string().contains(&format!("(#{code}")), "{file}: {err}");
        } else {
            assert!(err.api_error().is_none(), "{file}");
            assert!(err.raw_body().is_some(), "{file}: raw body kept");
        }
    }
}

#[tokio::test]
async fn every_field_of_the_error_object_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_bytes(fixture("errors/100_invalid_parameter.json")))
        .mount(&server)
        .await;
    let client = Client::builder().access_token(TOKEN).base_url(server.uri()).build().unwrap();
    let err = client.get::<Value>("1").await.unwrap_err();
    let api = err.api_error().unwrap();
    let raw: Value = serde_json::from_slice(&fixture("errors/100_invalid_parameter.json")).unwrap();
    let e = &raw["error"];
    assert_eq!(api.message(), e["message"].as_str().unwrap());
    assert_eq!(api.error_type(), e["type"].as_str());
    assert_eq!(api.error_user_title(), e["error_user_title"].as_str());
    assert_eq!(api.error_user_msg(), e["error_user_msg"].as_str());
    assert_eq!(api.error_data(), e.get("error_data"));
    assert_eq!(api.is_transient(), e["is_transient"].as_bool());
    assert_eq!(serde_json::from_str::<Value>(api.raw_body()).unwrap(), raw);
}

#[tokio::test]
async fn token_shaped_text_in_meta_messages_is_redacted() {
    let server = MockServer::start().await;
    let echoed = format!(
        r#"{{"error":{{"message":"Invalid token {TOKEN} for app","type":"OAuthException","code":190,"error_data":{{"details":"{TOKEN}"}}}}}}"#
    );
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v26.0/echo"))
        .respond_with(ResponseTemplate::new(401).set_body_string(echoed))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/v26.0/malformed"))
        .respond_with(ResponseTemplate::new(401).set_body_bytes(fixture("errors/190_malformed_token.json")))
        .mount(&server)
        .await;
    let client = Client::builder().access_token(TOKEN).base_url(server.uri()).build().unwrap();
    for path in ["echo", "malformed"] {
        let err = client.get::<Value>(path).await.unwrap_err();
        assert!(err.requires_reauth());
        let api = err.api_error().unwrap();
        let everything =
            format!("{err} | {err:?} | {} | {} | {:?}", api.message(), api.raw_body(), api.error_data());
        for secret in [TOKEN, "EAAGm0PX4ZCpsBAKZAnotARealTokenZDZD"] {
            assert!(!everything.contains(secret), "{path}: {everything}");
        }
        assert!(everything.contains("[REDACTED]"), "{path}");
    }
}

#[tokio::test]
async fn a_secret_across_the_kept_length_and_in_object_keys_is_scrubbed() {
    let server = MockServer::start().await;
    // A non-Graph error body whose 8 KiB cut falls inside the request's token.
    let mut body = "x".repeat(8 * 1024 - 10);
    body.push_str(TOKEN);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string(body))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // A Graph error whose error_data has the token as an object key.
    let keyed = serde_json::json!({"error": {"message": "bad", "type": "OAuthException", "code": 100,
        "error_data": {TOKEN: "echoed"}, "fbtrace_id": "A"}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(keyed))
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let first = client.get::<Value>("me").await.unwrap_err();
    let raw = first.raw_body().unwrap();
    assert!(raw.len() <= 8 * 1024);
    assert!(!raw.contains(&TOKEN[..8]), "no head of the token survives the cut");
    let second = client.get::<Value>("me").await.unwrap_err();
    let data = second.api_error().unwrap().error_data().unwrap().to_string();
    assert!(!data.contains(TOKEN) && data.contains("echoed"), "{data}");
}
