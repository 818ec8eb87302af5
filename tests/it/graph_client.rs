//! Request shape, success parsing, response metadata and usage headers.

use std::time::Duration;

use meta_messaging::graph::{ApiVersion, ErrorKind, Multipart, UseCaseType};
use meta_messaging::{AccessToken, AppSecret, Client};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{APP_SECRET, TOKEN, client, fast_retry};

/// hex(HMAC-SHA256(key = APP_SECRET, message = TOKEN)), computed independently with Python's
/// `hmac` module.
const PROOF: &str = "571234149e43804a04338c2039cf7d1f2b0be2fb4cc022fdc035595de28e1d54";
/// The same for the token `other-tenant-token-77`.
const OTHER_PROOF: &str = "c8a6b56224e1c51e76820ddca22015f0ebc2e770947f1553b192a2d294c486e7";

#[tokio::test]
async fn get_sends_bearer_version_fields_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/106540352242922"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("user-agent", concat!("meta-messaging/", env!("CARGO_PKG_VERSION"))))
        .and(query_param("fields", "id,display_phone_number,quality_rating"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "106540352242922",
            "display_phone_number": "+1 555-096-7852",
            "quality_rating": "GREEN"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let body: Value = client(&server)
        .get("/106540352242922")
        .fields(["id", "display_phone_number", "quality_rating"])
        .await
        .unwrap();
    assert_eq!(body["quality_rating"], "GREEN");
}

#[tokio::test]
async fn appsecret_proof_is_added_when_an_app_secret_is_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v24.0/me"))
        .and(query_param("appsecret_proof", PROOF))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .app_secret(APP_SECRET)
        .api_version(ApiVersion::new(24, 0))
        .base_url(server.uri())
        .build()
        .unwrap();
    let me: Value = client.get("me").await.unwrap();
    assert_eq!(me["id"], "1");
}

#[tokio::test]
async fn post_sends_the_exact_json_body() {
    let server = MockServer::start().await;
    let body = json!({
        "messaging_product": "whatsapp",
        "to": "16505551234",
        "type": "text",
        "text": {"body": "héllo / 👋"}
    });
    Mock::given(method("POST"))
        .and(path("/v26.0/106540352242922/messages"))
        .and(header("content-type", "application/json"))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "message_status": "accepted"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sent: Value = client(&server).post("/106540352242922/messages").json(&body).await.unwrap();
    assert_eq!(sent["messages"][0]["message_status"], "accepted");
}

#[tokio::test]
async fn per_request_and_per_client_token_overrides() {
    let server = MockServer::start().await;
    for token in ["tenant-a-token-0001", "tenant-b-token-0002"] {
        Mock::given(method("GET"))
            .and(path("/v26.0/me"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": token})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let a: Value = client.get("me").access_token("tenant-a-token-0001").await.unwrap();
    let b: Value = client.with_access_token(AccessToken::new("tenant-b-token-0002")).get("me").await.unwrap();
    assert_eq!(
        (a["token"].as_str(), b["token"].as_str()),
        (Some("tenant-a-token-0001"), Some("tenant-b-token-0002"))
    );
}

#[tokio::test]
async fn proof_follows_the_overriding_token() {
    let server = MockServer::start().await;
    Mock::given(query_param("appsecret_proof", OTHER_PROOF))
        .and(header("authorization", "Bearer other-tenant-token-77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let client =
        Client::builder().app_secret(AppSecret::new(APP_SECRET)).base_url(server.uri()).build().unwrap();
    let _: Value = client.get("me").access_token("other-tenant-token-77").await.unwrap();
}

#[tokio::test]
async fn response_meta_keeps_status_headers_trace_id_and_usage() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-fb-trace-id", "Az8or2yhqkZfEZ-_4Qn_Bam")
                .insert_header("x-fb-request-id", "A1b2C3")
                .insert_header("x-app-usage", r#"{"call_count":28,"total_time":25.5,"total_cputime":"12"}"#)
                .insert_header(
                    "x-business-use-case-usage",
                    r#"{"102290129340398":[{"type":"whatsapp_business_management","call_count":95,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":0},{"type":"future_use_case","call_count":3,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":2}],"bad":"x"}"#,
                )
                .insert_header("x-ad-account-usage", r#"{"acc_id_util_pct":9.67,"reset_time_duration":100,"ads_api_access_tier":"standard_access"}"#)
                .set_body_json(json!({"success": true})),
        )
        .mount(&server)
        .await;
    let response = client(&server).get::<Value>("1/x").send_with_meta().await.unwrap();
    let meta = response.meta();
    assert_eq!(meta.status, 200);
    assert_eq!(meta.attempts, 1);
    assert_eq!(meta.fbtrace_id(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
    assert_eq!(meta.request_id(), Some("A1b2C3"));
    let app = meta.usage.app.as_ref().unwrap();
    assert_eq!((app.call_count, app.total_time, app.total_cputime), (28.0, 25.5, 12.0));
    assert_eq!(meta.usage.business_use_case.len(), 2);
    let waba = &meta.usage.business_use_case[0];
    assert_eq!(waba.business_id, "102290129340398");
    assert_eq!(waba.kind, UseCaseType::WhatsAppBusinessManagement);
    assert_eq!(waba.call_count, 95.0);
    assert_eq!(meta.usage.business_use_case[1].kind.as_str(), "future_use_case");
    assert_eq!(meta.usage.regain_access_after(), Some(Duration::from_secs(120)));
    assert_eq!(meta.usage.max_percent(), 95.0);
    let ads = meta.usage.ad_account.as_ref().unwrap();
    assert_eq!((ads.acc_id_util_pct, ads.reset_time_duration), (9.67, Some(Duration::from_secs(100))));
    assert_eq!(response.into_data()["success"], true);
}

#[tokio::test]
async fn malformed_usage_headers_are_ignored() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-app-usage", "{not json")
                .insert_header("x-business-use-case-usage", "[1,2]")
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    let response = client(&server).get::<Value>("1").send_with_meta().await.unwrap();
    assert!(response.meta().usage.is_empty());
}

#[tokio::test]
async fn multipart_upload_sends_fields_and_file() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v26.0/106540352242922/media"))
        .and(header_prefix("content-type", "multipart/form-data; boundary="))
        .and(body_string_contains("name=\"messaging_product\"\r\n\r\nwhatsapp"))
        .and(body_string_contains("filename=\"cat.png\""))
        .and(body_string_contains("Content-Type: image/png"))
        .and(body_string_contains("PNGDATA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1037543291543636"})))
        .expect(1)
        .mount(&server)
        .await;
    let form = Multipart::new().text("messaging_product", "whatsapp").text("type", "image/png").file(
        "file",
        &b"PNGDATA"[..],
        Some("cat.png".into()),
        "image/png",
    );
    let uploaded: Value = client(&server).post("106540352242922/media").multipart(form).await.unwrap();
    assert_eq!(uploaded["id"], "1037543291543636");
}

fn header_prefix(name: &'static str, prefix: &'static str) -> impl wiremock::Match {
    move |request: &Request| {
        request.headers.get(name).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(prefix))
    }
}

#[tokio::test]
async fn success_bodies_of_the_wrong_shape_are_decode_errors_without_content() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(r#"{{"id": "{TOKEN}"}}"#)))
        .mount(&server)
        .await;
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Numeric {
        id: u64,
    }
    let err = client(&server).get::<Numeric>("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.status(), Some(200));
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("unexpected shape at line 1"), "{shown}");
    assert!(!shown.contains(TOKEN) && !shown.contains("EAAG"), "{shown}");

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let err = client(&server).get::<Value>("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);

    // Not UTF-8: still a decode error that says where the body breaks.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(b"{\"id\": \"1\xff\"}".to_vec(), "application/json"),
        )
        .mount(&server)
        .await;
    let err = client(&server).get::<Value>("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("line 1 column"), "{err}");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("\"{}\"", "x".repeat(4096))))
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .max_response_bytes(1024)
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = client.get::<Value>("1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("exceeds the configured limit"));
}

#[tokio::test]
async fn absolute_paths_are_refused_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server).get::<Value>("https://evil.example/steal").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(fast_retry().max_attempts(2))
        .build()
        .unwrap();
    let err = client.post::<Value>("1/messages").json(&json!({})).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(err.is_retryable());
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[tokio::test]
async fn anonymous_requests_and_the_instagram_host() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .and(query_param("client_secret", APP_SECRET))
        .and(|request: &Request| !request.headers.contains_key("authorization"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "x", "token_type": "bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/me"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user_id": "17841400000000000"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let token: Value = client
        .get("oauth/access_token")
        .without_access_token()
        .secret_query("client_secret", APP_SECRET)
        .await
        .unwrap();
    assert_eq!(token["token_type"], "bearer");
    let me: Value = client.get("me").host(meta_messaging::graph::Host::Instagram).await.unwrap();
    assert_eq!(me["user_id"], "17841400000000000");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/stolen", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let client = crate::support::client(&server);
    let error = client.get::<serde_json::Value>("me").await.unwrap_err();
    assert_eq!(error.status(), Some(302));
    assert!(elsewhere.received_requests().await.unwrap().is_empty(), "the token never went elsewhere");
}

#[test]
fn v26_is_the_default_and_v25_stays_reachable() {
    use meta_messaging::graph::ApiVersion;
    assert_eq!(ApiVersion::V26_0.to_string(), "v26.0");
    assert_eq!(ApiVersion::DEFAULT, ApiVersion::V26_0);
    assert!(ApiVersion::V26_0 > ApiVersion::V25_0);
}

/// Meta's resumable upload: a session, the bytes with `OAuth` auth and `file_offset`, a
/// resume from where the upload stopped, the handle.
#[tokio::test]
async fn resumable_upload_sessions_bytes_resume_and_handle() {
    const SESSION: &str = "upload:MTphdHRhY2htZW50OjlhZGNkYzE5?sig=ARZqkGCA_uQMxC8nHKI";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v26.0/1234567890/uploads"))
        .and(query_param("file_name", "header.jpg"))
        .and(query_param("file_length", "10"))
        .and(query_param("file_type", "image/jpeg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": SESSION})))
        .expect(1)
        .mount(&server)
        .await;
    for (offset, body) in [("0", &b"0123456789"[..]), ("6", &b"6789"[..])] {
        Mock::given(method("POST"))
            .and(path("/v26.0/upload:MTphdHRhY2htZW50OjlhZGNkYzE5"))
            .and(query_param("sig", "ARZqkGCA_uQMxC8nHKI"))
            .and(header("authorization", format!("OAuth {}", crate::support::TOKEN).as_str()))
            .and(header("file_offset", offset))
            .and(move |r: &wiremock::Request| r.body == body)
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"h": "4::aW1hZ2UvanBlZw==:ARZ"})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v26.0/upload:MTphdHRhY2htZW50OjlhZGNkYzE5"))
        .and(query_param("sig", "ARZqkGCA_uQMxC8nHKI"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"id": "upload:MTphdHRhY2htZW50OjlhZGNkYzE5", "file_offset": 6}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = crate::support::client(&server);
    let handle =
        client.upload_file("1234567890", "header.jpg", "image/jpeg", &b"0123456789"[..]).await.unwrap();
    assert_eq!(handle.h, "4::aW1hZ2UvanBlZw==:ARZ");
    let status = client.upload_status(SESSION).await.unwrap();
    let offset = u64::try_from(status.file_offset.unwrap()).unwrap();
    assert_eq!(
        client.upload_bytes(SESSION, &b"0123456789"[..], offset).await.unwrap().h,
        "4::aW1hZ2UvanBlZw==:ARZ"
    );
    let err = client.upload_bytes("../me", &b"x"[..], 0).await.unwrap_err();
    assert_eq!(err.kind(), meta_messaging::ErrorKind::Validation);
}
