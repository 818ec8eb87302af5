//! WhatsApp media, phone numbers, registration, profile, templates and subscriptions.

use futures_util::TryStreamExt;
use meta_messaging::ErrorKind;
use meta_messaging::whatsapp::account::{
    BusinessProfileUpdate, CodeMethod, CodeVerificationStatus, MessagingLimitTier, Pin, ThroughputLevel,
    Vertical,
};
use meta_messaging::whatsapp::media::MediaUpload;
use meta_messaging::whatsapp::template::{NewTemplate, QualityRating, TemplateCategory, TemplateStatus};
use meta_messaging::{Client, VerifyToken};
use serde_json::json;
use wiremock::matchers::{
    body_json, body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{TOKEN, client, fast_retry, fixture};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"success": true}))
}

fn bearer() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
}

fn no_body() -> impl wiremock::Match {
    |request: &Request| request.body.is_empty()
}

#[tokio::test]
async fn upload_media_sends_a_multipart_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/media")))
        .and(bearer())
        .and(|r: &Request| {
            r.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("multipart/form-data"))
        })
        .and(body_string_contains("name=\"messaging_product\"\r\n\r\nwhatsapp"))
        .and(body_string_contains("name=\"type\"\r\n\r\napplication/pdf"))
        .and(body_string_contains("name=\"file\"; filename=\"invoice.pdf\""))
        .and(body_string_contains("%PDF-1.7 fake"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1037543291543636"})))
        .expect(1)
        .mount(&server)
        .await;
    let upload = MediaUpload::from_bytes(&b"%PDF-1.7 fake"[..], "application/pdf").file_name("invoice.pdf");
    let uploaded = client(&server).whatsapp(PHONE).upload_media(upload).await.unwrap();
    assert_eq!(uploaded.id.as_str(), "1037543291543636");
}

#[tokio::test]
async fn upload_from_a_path_and_from_a_stream() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/media")))
        .and(body_string_contains("name=\"type\"\r\n\r\nimage/png"))
        .and(body_string_contains("filename=\"logo.png\""))
        .and(body_string_contains("PNG-BYTES"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/media")))
        .and(body_string_contains("name=\"type\"\r\n\r\naudio/ogg"))
        .and(body_string_contains("chunk-1chunk-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "2"})))
        .expect(1)
        .mount(&server)
        .await;
    let dir = std::env::temp_dir().join(format!("meta-messaging-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("logo.png");
    std::fs::write(&file, b"PNG-BYTES").unwrap();
    let wa = client(&server).whatsapp(PHONE);
    let from_path = MediaUpload::from_path(&file).await.unwrap();
    assert_eq!(wa.upload_media(from_path).await.unwrap().id.as_str(), "1");
    let chunks = futures_util::stream::iter([
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"chunk-1")),
        Ok(bytes::Bytes::from_static(b"chunk-2")),
    ]);
    let streamed = MediaUpload::from_stream(chunks, 14, "audio/ogg").file_name("voice.ogg");
    assert_eq!(wa.upload_media(streamed).await.unwrap().id.as_str(), "2");
    std::fs::remove_dir_all(dir).unwrap();
    let err = MediaUpload::from_path("notes.exe").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn uploads_outside_the_limits_are_refused_locally() {
    let server = MockServer::start().await;
    let wa = client(&server).whatsapp(PHONE);
    for upload in [
        MediaUpload::from_bytes(vec![0u8; 5 * 1024 * 1024 + 1], "image/jpeg"),
        MediaUpload::from_bytes(vec![0u8; 10], "image/gif"),
        MediaUpload::from_bytes(Vec::new(), "image/png"),
        MediaUpload::from_bytes(vec![0u8; 501 * 1024], "image/webp"),
    ] {
        let err = wa.upload_media(upload).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn streamed_uploads_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).set_body_bytes(fixture("errors/4_app_rate_limit.json")))
        .expect(1)
        .mount(&server)
        .await;
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"abc"))]);
    let err = client(&server)
        .whatsapp(PHONE)
        .upload_media(MediaUpload::from_stream(chunks, 3, "audio/ogg"))
        .await
        .unwrap_err();
    assert!(err.is_rate_limited());
}

#[tokio::test]
async fn media_url_download_and_delete() {
    let server = MockServer::start().await;
    let file = b"\xff\xd8\xff\xe0 a small jpeg".to_vec();
    let sha = sha256_hex(&file);
    let download_url = format!(
        "{}/whatsapp_business/attachments/?mid=1037543291543636&ext=1763800000&hash=ATsS",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/v26.0/1037543291543636"))
        .and(query_param("phone_number_id", PHONE))
        .and(bearer())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "url": download_url, "mime_type": "image/jpeg",
            "sha256": sha, "file_size": file.len().to_string(), "id": "1037543291543636"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/whatsapp_business/attachments/"))
        .and(query_param("mid", "1037543291543636"))
        .and(bearer())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(file.clone()))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v26.0/1037543291543636"))
        .and(query_param("phone_number_id", PHONE))
        .and(bearer())
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let info = wa.media_url("1037543291543636").await.unwrap();
    assert_eq!((info.file_size, info.mime_type.as_deref()), (Some(file.len() as i64), Some("image/jpeg")));
    let bytes = wa.download_media(&info).await.unwrap();
    assert_eq!(bytes.as_ref(), file.as_slice());
    let chunks: Vec<bytes::Bytes> =
        wa.download_media(&info).stream().await.unwrap().try_collect().await.unwrap();
    assert_eq!(chunks.concat(), file);
    wa.delete_media("1037543291543636").await.unwrap();
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn downloads_are_bounded_checked_and_host_restricted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![7u8; 4096]))
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let url = format!("{}/big", server.uri());
    let err = wa.download_media_url(&url, None).max_bytes(1000).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("1000-byte limit"), "{err}");
    let wrong = sha256_hex(b"something else");
    let err = wa.download_media_url(&url, Some(&wrong)).await.unwrap_err();
    assert!(err.to_string().contains("sha256"), "{err}");
    let right = sha256_hex(&[7u8; 4096]);
    assert_eq!(wa.download_media_url(&url, Some(&right)).await.unwrap().len(), 4096);
    // A reported value that is not a SHA-256 is never skipped; a missing one is visible and can
    // be required (neither sends a request).
    let err = wa.download_media_url(&url, Some("not-a-digest")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.to_string().contains("not 32 bytes"), "{err}");
    assert!(wa.download_media_url(&url, Some(&right)).is_checked());
    assert!(!wa.download_media_url(&url, None).is_checked());
    let err = wa.download_media_url(&url, None).require_checksum(true).await.unwrap_err();
    assert!(err.to_string().contains("no sha256"), "{err}");
    // The token is never sent to a host that is not Meta's.
    let err = wa.download_media_url("https://evil.example/steal", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = wa.download_media_url("http://lookaside.fbsbx.com/x", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "plain http is refused");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn phone_number_details_and_list() {
    let server = MockServer::start().await;
    let number = json!({
        "verified_name": "Test Number", "code_verification_status": "NOT_VERIFIED",
        "display_phone_number": "+1 555-096-7852", "quality_rating": "GREEN", "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"}, "messaging_limit_tier": "TIER_2K", "id": "277321005464405",
        "is_pin_enabled": true, "last_onboarded_time": "2024-05-02T09:00:00+0000"
    });
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(query_param("fields", meta_messaging::whatsapp::account::PHONE_NUMBER_FIELDS))
        .and(bearer())
        .respond_with(ResponseTemplate::new(200).set_body_json(&number))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/phone_numbers")))
        .and(query_param("fields", meta_messaging::whatsapp::account::PHONE_NUMBER_FIELDS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [number, {"id": "2", "quality_rating": "PURPLE"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let info = client.whatsapp(PHONE).phone_number().await.unwrap();
    assert_eq!(info.quality_rating, Some(QualityRating::Green));
    assert_eq!(info.messaging_limit_tier, Some(MessagingLimitTier::Tier2K));
    assert_eq!(info.throughput.unwrap().level, Some(ThroughputLevel::Standard));
    assert_eq!(info.code_verification_status, Some(CodeVerificationStatus::NotVerified));
    assert_eq!(info.last_onboarded_time, None, "iso dates are tolerated, not failed");
    let numbers: Vec<_> =
        client.whatsapp_business_account(WABA).phone_numbers().items().try_collect().await.unwrap();
    assert_eq!(numbers.len(), 2);
    assert_eq!(numbers[1].quality_rating.as_ref().unwrap().as_str(), "PURPLE");
}

#[tokio::test]
async fn verification_and_registration() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/request_code")))
        .and(query_param("code_method", "SMS"))
        .and(query_param("language", "en_US"))
        .and(no_body())
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/verify_code")))
        .and(query_param("code", "654321"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/register")))
        .and(body_json(json!({"messaging_product": "whatsapp", "pin": "123456"})))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/register")))
        .and(body_json(
            json!({"messaging_product": "whatsapp", "pin": "123456", "data_localization_region": "DE"}),
        ))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/deregister")))
        .and(no_body())
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(body_json(json!({"pin": "222333"})))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let pin = Pin::new("123456").unwrap();
    assert_eq!(format!("{pin:?}"), "Pin([REDACTED])");
    wa.request_code(CodeMethod::Sms, "en_US").await.unwrap();
    wa.verify_code("654321").await.unwrap();
    wa.register(&pin).await.unwrap();
    wa.register_in(&pin, Some("DE")).await.unwrap();
    wa.deregister().await.unwrap();
    wa.set_two_step_pin(&Pin::new("222333").unwrap()).await.unwrap();
    for bad in ["12345", "1234567", "12a456", ""] {
        assert!(Pin::new(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn registration_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_bytes(fixture("errors/133010_not_registered.json")))
        .mount(&server)
        .await;
    let err = client(&server).whatsapp(PHONE).deregister().await.unwrap_err();
    assert_eq!(err.api_error().unwrap().code(), 133_010);
}

#[tokio::test]
async fn business_profile_get_and_update() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/whatsapp_business_profile")))
        .and(query_param("fields", "about,address,description,email,profile_picture_url,websites,vertical"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{
            "about": "We sell shoes", "address": "1 Main St", "description": "Shoes", "email": "a@example.com",
            "messaging_product": "whatsapp", "profile_picture_url": "https://pps.whatsapp.net/x.jpg",
            "websites": ["https://example.com"], "vertical": "RETAIL"
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/whatsapp_business_profile")))
        .and(body_json(json!({"messaging_product": "whatsapp", "about": "Open 9-17", "websites": ["https://example.com", "https://shop.example.com"], "vertical": "RETAIL"})))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let profile = wa.business_profile().await.unwrap().into_profile().unwrap();
    assert_eq!(profile.vertical, Some(Vertical::Retail));
    assert_eq!(profile.websites, ["https://example.com"]);
    let update = BusinessProfileUpdate::new()
        .about("Open 9-17")
        .websites(["https://example.com", "https://shop.example.com"])
        .vertical(Vertical::Retail);
    wa.update_business_profile(&update).await.unwrap();
    for bad in [
        BusinessProfileUpdate::new().about("x".repeat(140)),
        BusinessProfileUpdate::new().websites(["https://a", "https://b", "https://c"]),
        BusinessProfileUpdate::new().websites(["example.com"]),
        BusinessProfileUpdate::new().email("x".repeat(129)),
    ] {
        assert_eq!(wa.update_business_profile(&bad).await.unwrap_err().kind(), ErrorKind::Validation);
    }
}

#[tokio::test]
async fn templates_list_get_create_edit_delete() {
    let server = MockServer::start().await;
    let fields = meta_messaging::whatsapp::TEMPLATE_FIELDS;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(query_param("fields", fields))
        .and(query_param("status", "APPROVED"))
        .and(query_param_is_missing("after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"name": "order_update", "status": "APPROVED", "category": "UTILITY", "language": "en_US",
                      "id": "594425479261596", "components": [{"type": "BODY", "text": "Hi {{1}}"}],
                      "quality_score": {"score": "GREEN"}}],
            "paging": {"cursors": {"before": "A", "after": "B"}, "next": format!("{}/v26.0/{WABA}/message_templates?after=B", server.uri())}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(query_param("after", "B"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"name": "promo", "status": "PAUSED", "category": "MARKETING", "language": "es", "id": 594425479261597_u64}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/594425479261596"))
        .and(query_param("fields", fields))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "594425479261596", "name": "order_update", "status": "REJECTED", "rejected_reason": "INVALID_FORMAT"})))
        .expect(1)
        .mount(&server)
        .await;
    let component =
        json!({"type": "BODY", "text": "Hi {{1}}, your order shipped.", "example": {"body_text": [["Ana"]]}});
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(body_json(json!({"name": "order_update", "language": "en_US", "category": "UTILITY", "components": [component.clone()]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "594425479261596", "status": "PENDING", "category": "UTILITY"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v26.0/594425479261596"))
        .and(body_json(json!({"components": [component.clone()], "category": "MARKETING"})))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(query_param("name", "order_update"))
        .and(query_param_is_missing("hsm_id"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(query_param("name", "promo"))
        .and(query_param("hsm_id", "594425479261597"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let all: Vec<_> = waba.templates().query("status", "APPROVED").items().try_collect().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].status, Some(TemplateStatus::Approved));
    assert_eq!(all[0].quality_score.as_ref().unwrap().score, Some(QualityRating::Green));
    assert_eq!(
        (all[1].id.as_deref(), all[1].status.clone()),
        (Some("594425479261597"), Some(TemplateStatus::Paused))
    );
    let one = waba.template("594425479261596").await.unwrap();
    assert_eq!(one.rejected_reason.as_deref(), Some("INVALID_FORMAT"));
    let created = waba
        .create_template(
            &NewTemplate::new("order_update", "en_US", TemplateCategory::Utility)
                .component(component.clone()),
        )
        .await
        .unwrap();
    assert_eq!((created.id.as_str(), created.status), ("594425479261596", Some(TemplateStatus::Pending)));
    waba.edit_template("594425479261596", vec![component], Some(TemplateCategory::Marketing)).await.unwrap();
    waba.delete_template("order_update").await.unwrap();
    waba.delete_template_by_id("promo", "594425479261597").await.unwrap();
    let err = waba
        .create_template(&NewTemplate::new("Bad Name", "en", TemplateCategory::Utility))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn template_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(404).set_body_bytes(fixture("errors/132001_template_not_found.json")),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .whatsapp(PHONE)
        .send(
            "16505551234",
            meta_messaging::whatsapp::message::Message::template(
                meta_messaging::whatsapp::template::Template::new("missing", "en"),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Template);
}

#[tokio::test]
async fn subscribed_apps_list_subscribe_unsubscribe() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/subscribed_apps")))
        .and(bearer())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{
            "whatsapp_business_api_data": {"link": "https://www.example.com", "name": "Gateway", "id": 7_234_001_234_567_u64},
            "override_callback_uri": "https://hooks.example.com/wa"
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/subscribed_apps")))
        .and(no_body())
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/subscribed_apps")))
        .and(body_json(
            json!({"override_callback_uri": "https://hooks.example.com/tenant-7", "verify_token": "vt-123"}),
        ))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{WABA}/subscribed_apps")))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let apps = waba.subscribed_apps().await.unwrap();
    let app = apps.data[0].whatsapp_business_api_data.as_ref().unwrap();
    assert_eq!((app.id.as_deref(), app.name.as_deref()), (Some("7234001234567"), Some("Gateway")));
    waba.subscribe_app().await.unwrap();
    waba.subscribe_app_with_callback("https://hooks.example.com/tenant-7", &VerifyToken::new("vt-123"))
        .await
        .unwrap();
    waba.unsubscribe_app().await.unwrap();
    let err = waba.subscribe_app_with_callback("http://insecure", &VerifyToken::new("x")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn a_tenant_token_overrides_per_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tenant-42-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder().base_url(server.uri()).retry(fast_retry()).build().unwrap();
    let apps = client
        .whatsapp_business_account(WABA)
        .subscribed_apps()
        .access_token("tenant-42-token")
        .await
        .unwrap();
    assert!(apps.data.is_empty());
}

#[test]
fn the_messaging_limit_comes_from_the_current_field() {
    use meta_messaging::whatsapp::account::{MessagingLimitTier, PhoneNumber};
    let number: PhoneNumber = serde_json::from_value(serde_json::json!({
        "id": "106540352242922", "messaging_limit_tier": null,
        "whatsapp_business_manager_messaging_limit": "TIER_2K"
    }))
    .unwrap();
    assert_eq!(number.messaging_limit(), Some(&MessagingLimitTier::Tier2K));
    assert!(
        meta_messaging::whatsapp::account::PHONE_NUMBER_FIELDS
            .contains("whatsapp_business_manager_messaging_limit")
    );
}
