//! The Flows management API and the business encryption key: exact requests, Meta's answers
//! (Flows API reference, Business Encryption API reference).

use futures_util::TryStreamExt;
use meta_messaging::ErrorKind;
use meta_messaging::whatsapp::flows::{
    FlowCategory, FlowMetricGranularity, FlowMetricName, FlowStatus, FlowUpdate, NewFlow,
};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::client;

const WABA: &str = "102290129340398";
const PHONE: &str = "106540352242922";
const FLOW: &str = "1289443000000001";

fn validation_error() -> serde_json::Value {
    json!({"error": "INVALID_PROPERTY_VALUE", "error_type": "FLOW_JSON_ERROR",
        "message": "Invalid value found for property 'type'.", "line_start": 10, "line_end": 10,
        "column_start": 21, "column_end": 34,
        "pointers": [{"line_start": 10, "line_end": 10, "column_start": 21, "column_end": 34,
                      "path": "screens [0]. layout.children [0].type"}]})
}

#[tokio::test]
async fn flows_are_listed_created_read_updated_and_their_json_uploaded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/flows")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "flow-1", "name": "flow 1", "status": "DRAFT", "categories": ["CONTACT_US"], "validation_errors": []}],
            "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/flows")))
        .and(body_json(json!({"name": "appointment_booking_v1", "categories": ["APPOINTMENT_BOOKING"],
            "flow_json": "{\"version\":\"7.1\"}", "endpoint_uri": "https://flows.example.com/endpoint"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"id": FLOW, "success": true, "validation_errors": [validation_error()]}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{FLOW}")))
        .and(query_param("fields", "id,name,categories,preview,status,validation_errors,json_version,data_api_version,endpoint_uri,health_status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": FLOW, "name": "appointment_booking_v1", "status": "DRAFT", "categories": ["LEAD_GENERATION"],
            "validation_errors": [], "json_version": "3.0", "data_api_version": "3.0",
            "endpoint_uri": "https://example.com",
            "preview": {"preview_url": "https://business.facebook.com/wa/manage/flows/55000/preview/?token=b9d6",
                        "expires_at": "2023-05-21T11:18:09+0000"},
            "health_status": {"can_send_message": "BLOCKED", "entities": []}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{FLOW}")))
        .and(body_json(json!({"name": "booking_v2", "categories": ["APPOINTMENT_BOOKING", "SURVEY"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{FLOW}/assets")))
        .and(|r: &Request| {
            let body = String::from_utf8_lossy(&r.body);
            body.contains("name=\"name\"\r\n\r\nflow.json\r\n")
                && body.contains("name=\"asset_type\"\r\n\r\nFLOW_JSON\r\n")
                && body.contains("filename=\"flow.json\"")
                && body.contains("Content-Type: application/json")
                && body.contains("{\"version\":\"7.1\",\"screens\":[]}")
        })
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "validation_errors": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{FLOW}/assets")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"name": "flow.json",
            "asset_type": "FLOW_JSON", "download_url": "https://scontent.xx.fbcdn.net/m1/v/t0.57323-24/An_Hq0jnfJ"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let flows: Vec<_> = waba.flows().items().try_collect().await.unwrap();
    assert_eq!(
        (flows[0].status.clone(), flows[0].categories.clone()),
        (Some(FlowStatus::Draft), vec![FlowCategory::ContactUs])
    );
    let created = waba
        .create_flow(
            &NewFlow::new("appointment_booking_v1", [FlowCategory::AppointmentBooking])
                .flow_json("{\"version\":\"7.1\"}")
                .endpoint_uri("https://flows.example.com/endpoint"),
        )
        .await
        .unwrap();
    assert_eq!(created.id.as_ref().map(|i| i.as_str()), Some(FLOW));
    let error = &created.validation_errors[0];
    assert_eq!(
        (error.line_start, error.pointers[0].path.as_deref()),
        (Some(10), Some("screens [0]. layout.children [0].type"))
    );
    let flow = waba.flow(FLOW).await.unwrap();
    assert_eq!(flow.preview.unwrap().expires_at.as_deref(), Some("2023-05-21T11:18:09+0000"));
    assert_eq!(flow.health_status.unwrap()["can_send_message"], "BLOCKED");
    let update = FlowUpdate::new()
        .name("booking_v2")
        .categories([FlowCategory::AppointmentBooking, FlowCategory::Survey]);
    waba.update_flow(FLOW, &update).await.unwrap();
    let uploaded = waba.upload_flow_json(FLOW, "{\"version\":\"7.1\",\"screens\":[]}").await.unwrap();
    assert_eq!((uploaded.success, uploaded.validation_errors.len()), (Some(true), 0));
    let assets: Vec<_> = waba.flow_assets(FLOW).items().try_collect().await.unwrap();
    assert!(assets[0].download_url.as_deref().is_some_and(|u| u.starts_with("https://scontent")));
}

#[tokio::test]
async fn flow_requests_are_checked_before_sending() {
    // Checked before sending: no category, publish without a Flow JSON, empty categories.
    let server = MockServer::start().await;
    let waba = client(&server).whatsapp_business_account(WABA);
    assert_eq!(waba.create_flow(&NewFlow::new("x", [])).await.unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(
        waba.create_flow(&NewFlow::new("x", [FlowCategory::Other]).publish()).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        waba.update_flow(FLOW, &FlowUpdate::new().categories([])).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn flow_lifecycle_preview_and_metrics() {
    let server = MockServer::start().await;
    for edge in ["publish", "deprecate"] {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{FLOW}/{edge}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{FLOW}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{FLOW}")))
        .and(query_param("fields", "preview.invalidate(true)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"preview": {
            "preview_url": "https://business.facebook.com/wa/manage/flows/550/preview/?token=b9d6",
            "expires_at": "2023-05-21T11:18:09+0000"}, "id": FLOW})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{FLOW}")))
        .and(query_param(
            "fields",
            "metric.name(ENDPOINT_REQUEST_ERROR_RATE).granularity(DAY).since(2024-01-28).until(2024-01-30)",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": FLOW, "metric": {
            "name": "ENDPOINT_REQUEST_ERROR_RATE", "granularity": "DAY", "data_points": [
                {"timestamp": "2024-01-28T08:00:00+0000", "data": [{"key": "value", "value": "0.12625250501002"}]},
                {"timestamp": "2024-01-29T08:00:00+0000", "data": [{"key": "value", "value": 0.05}]}]}})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    waba.publish_flow(FLOW).await.unwrap();
    waba.deprecate_flow(FLOW).await.unwrap();
    waba.delete_flow(FLOW).await.unwrap();
    let preview = waba.flow_preview(FLOW, true).await.unwrap().preview.unwrap();
    assert!(preview.preview_url.unwrap().contains("/preview/"));
    let metric = waba
        .flow_metric(
            FLOW,
            FlowMetricName::EndpointRequestErrorRate,
            FlowMetricGranularity::Day,
            "2024-01-28",
            "2024-01-30",
        )
        .await
        .unwrap()
        .metric;
    let values: Vec<_> = metric.data_points.iter().map(|p| p.data[0].value).collect();
    assert_eq!(values, [Some(0.126_252_505_010_02), Some(0.05)], "numbers and numeric strings");
}

#[tokio::test]
async fn the_business_public_key_is_registered_and_read_back() {
    const PEM: &str =
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/whatsapp_business_encryption")))
        .and(|r: &Request| {
            String::from_utf8_lossy(&r.body)
                .contains(&format!("name=\"business_public_key\"\r\n\r\n{PEM}\r\n"))
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/whatsapp_business_encryption")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"business_public_key": PEM, "business_public_key_signature_status": "VALID"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    wa.set_business_public_key(PEM).await.unwrap();
    let key = wa.business_public_key().await.unwrap().0.unwrap();
    assert_eq!(key.business_public_key_signature_status.as_deref(), Some("VALID"));
    assert_eq!(wa.set_business_public_key("not a pem").await.unwrap_err().kind(), ErrorKind::Validation);
    // The older, unwrapped answer reads the same.
    let flat: meta_messaging::whatsapp::flows::BusinessPublicKeyAnswer =
        serde_json::from_value(json!({"business_public_key_signature_status": "MISMATCH"})).unwrap();
    assert_eq!(flat.0.unwrap().business_public_key_signature_status.as_deref(), Some("MISMATCH"));
}
