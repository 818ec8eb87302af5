//! Retry sequences: what is retried, how often, and how long the client waits.

use std::time::{Duration, Instant};

use meta_messaging::graph::RetryPolicy;
use meta_messaging::{Client, ErrorKind};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client, fast_retry, fixture};

fn error_response(status: u16, file: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_bytes(fixture(&format!("errors/{file}")))
}

async fn mount_failures_then_success(server: &MockServer, failures: u64, failure: ResponseTemplate) {
    Mock::given(method("POST"))
        .respond_with(failure.clone())
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .respond_with(failure)
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_throttled_send_is_retried_until_it_succeeds() {
    let server = MockServer::start().await;
    mount_failures_then_success(&server, 2, error_response(400, "130429_throughput.json")).await;
    let response =
        client(&server).post::<Value>("1/messages").json(&json!({"to": "1"})).send_with_meta().await.unwrap();
    assert_eq!(response.meta().attempts, 3);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_transient_get_is_retried() {
    let server = MockServer::start().await;
    mount_failures_then_success(&server, 1, error_response(503, "2_service_unavailable.json")).await;
    let response = client(&server).get::<Value>("1").send_with_meta().await.unwrap();
    assert_eq!(response.meta().attempts, 2);
}

#[tokio::test]
async fn a_transient_error_on_a_send_is_not_retried() {
    let server = MockServer::start().await;
    mount_failures_then_success(&server, 1, error_response(500, "131000_something_went_wrong.json")).await;
    let err = client(&server).post::<Value>("1/messages").json(&json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_send_that_opts_in_is_retried_after_a_transient_error() {
    let server = MockServer::start().await;
    mount_failures_then_success(&server, 1, error_response(500, "131000_something_went_wrong.json")).await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry().retry_ambiguous_sends(true))
        .build()
        .unwrap();
    let response = client.post::<Value>("1/messages").json(&json!({})).send_with_meta().await.unwrap();
    assert_eq!(response.meta().attempts, 2);
}

#[tokio::test]
async fn a_send_is_not_retried_after_a_timeout_but_a_get_is() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(400)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(400)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .request_timeout(Duration::from_millis(100))
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = client.post::<Value>("1/messages").json(&json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_timeout() && err.is_retryable());
    let posts = server.received_requests().await.unwrap();
    assert_eq!(posts.len(), 1, "the send must not be repeated");

    let err = client.get::<Value>("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len() - posts.len(), 3, "the GET is tried max_attempts times");
}

#[tokio::test]
async fn non_retryable_errors_are_returned_at_once() {
    let server = MockServer::start().await;
    mount_failures_then_success(&server, 1, error_response(400, "100_invalid_parameter.json")).await;
    let err = client(&server).get::<Value>("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    mount_failures_then_success(
        &server,
        1,
        error_response(429, "4_app_rate_limit.json").insert_header("retry-after", "1"),
    )
    .await;
    let started = Instant::now();
    let response = client(&server).get::<Value>("1").send_with_meta().await.unwrap();
    assert_eq!(response.meta().attempts, 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
}

#[tokio::test]
async fn a_wait_longer_than_the_total_timeout_fails_fast_with_retry_after() {
    let server = MockServer::start().await;
    let buc = r#"{"102290129340398":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":40,"total_time":40,"estimated_time_to_regain_access":19}]}"#;
    mount_failures_then_success(
        &server,
        1,
        error_response(400, "80007_waba_rate_limit.json").insert_header("x-business-use-case-usage", buc),
    )
    .await;
    let started = Instant::now();
    let err = client(&server).get::<Value>("1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(19 * 60)));
    assert_eq!(err.usage().unwrap().business_use_case[0].call_count, 100.0);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_disabled_policy_makes_one_attempt() {
    let server = MockServer::start().await;
    mount_failures_then_success(&server, 1, error_response(400, "130429_throughput.json")).await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client.get::<Value>("1").await.unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
