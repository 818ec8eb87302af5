//! Authentication template upsert, unpause, comparison, the template library and analytics,
//! with the requests and answers of Meta's guides.

use meta_messaging::ErrorKind;
use meta_messaging::whatsapp::insights::{
    AnalyticsRange, AuthenticationTemplate, LibrarySearch, LibraryTemplateCopy,
};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::client;

const WABA: &str = "102290129340398";

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn templates_are_upserted_unpaused_compared_and_copied_from_the_library() {
    let server = MockServer::start().await;
    let components = vec![
        json!({"type": "BODY", "add_security_recommendation": true}),
        json!({"type": "FOOTER", "code_expiration_minutes": 10}),
        json!({"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}),
    ];
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/upsert_message_templates")))
        .and(body_json(
            json!({"name": "authentication_code_copy_code_button", "languages": ["en_US", "es_ES", "fr"],
            "category": "AUTHENTICATION", "components": components}),
        ))
        .respond_with(ok(
            json!({"data": [{"id": "954638012257287", "status": "APPROVED", "language": "en_US"},
            {"id": "969725527415202", "status": "APPROVED", "language": "es_ES"},
            {"id": "969725527415203", "status": "APPROVED", "language": "fr"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v26.0/954638012257287/unpause"))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/5289179717853347/compare"))
        .and(query_param("template_ids", "[1533406637136032]"))
        .and(query_param("start", "1674240000"))
        .and(query_param("end", "1674844800"))
        .respond_with(ok(json!({"data": [
            {"metric": "BLOCK_RATE", "type": "RELATIVE", "order_by_relative_metric": ["1533406637136032", "5289179717853347"]},
            {"metric": "MESSAGE_SENDS", "type": "NUMBER_VALUES", "number_values": [{"key": "5289179717853347", "value": 1273},
                {"key": "1533406637136032", "value": 1042}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/message_template_library"))
        .and(query_param("search", "balance"))
        .and(query_param("topic", "PAYMENTS"))
        .respond_with(ok(json!({"data": [{"name": "low_balance_warning_1", "language": "en_US", "category": "UTILITY",
            "topic": "PAYMENTS", "usecase": "LOW_BALANCE_WARNING", "industry": ["FINANCIAL_SERVICES"],
            "header": "Your account balance is low", "body": "Hi {{1}}, ...", "body_params": ["Jim"],
            "buttons": [{"type": "URL", "text": "Make a deposit", "url": "https://www.example.com/"}], "id": "7147013345418927"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(body_json(json!({"name": "my_delivery_update", "language": "en_US", "category": "UTILITY",
            "library_template_name": "delivery_update_1",
            "library_template_button_inputs": [{"type": "URL", "url": {"base_url": "https://www.example.com/{{1}}",
                "url_suffix_example": "https://www.example.com/order_update"}},
                {"type": "PHONE_NUMBER", "phone_number": "+16315551010"}]})))
        .respond_with(ok(json!({"id": "1122334455", "status": "APPROVED", "category": "UTILITY"})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let upserted = waba
        .upsert_authentication_template(&AuthenticationTemplate::new(
            "authentication_code_copy_code_button",
            ["en_US", "es_ES", "fr"],
            components,
        ))
        .await
        .unwrap();
    assert_eq!(upserted.data.len(), 3);
    assert_eq!(waba.unpause_template("954638012257287").await.unwrap().success, Some(true));
    let comparison = waba
        .compare_templates("5289179717853347", "1533406637136032", 1_674_240_000, 1_674_844_800)
        .await
        .unwrap();
    assert_eq!(comparison.data[1].number_values[0].value, Some(1273.0));
    let library =
        waba.template_library(&LibrarySearch::new().search("balance").topic("PAYMENTS")).await.unwrap();
    assert_eq!(library.data[0].usecase.as_deref(), Some("LOW_BALANCE_WARNING"));
    let copy = LibraryTemplateCopy::new("my_delivery_update", "en_US", "delivery_update_1")
        .button_input(json!({"type": "URL", "url": {"base_url": "https://www.example.com/{{1}}",
            "url_suffix_example": "https://www.example.com/order_update"}}))
        .button_input(json!({"type": "PHONE_NUMBER", "phone_number": "+16315551010"}));
    assert_eq!(waba.create_template_from_library(&copy).await.unwrap().id, "1122334455");
    let bad_window = waba.compare_templates("1", "2", 0, 1000).await.unwrap_err();
    assert_eq!(bad_window.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn analytics_of_messages_conversations_pricing_and_templates() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}")))
        .and(query_param("fields", "analytics.start(1543543200).end(1543629600).granularity(DAY).phone_numbers([\"16505550111\"])"))
        .respond_with(ok(json!({"analytics": {"phone_numbers": ["16505550111"], "granularity": "DAY",
            "data_points": [{"start": 1_543_543_200, "end": 1_543_629_600, "sent": 196_093, "delivered": 179_715}]}, "id": WABA})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}")))
        .and(query_param("fields", "pricing_analytics.start(1749106800).end(1749193200).granularity(DAILY).dimensions([\"COUNTRY\",\"TIER\"])"))
        .respond_with(ok(json!({"pricing_analytics": {"data": [{"data_points": [{"start": 1_749_106_800, "end": 1_749_193_200,
            "country": "IN", "tier": "0:750000", "pricing_type": "REGULAR", "pricing_category": "AUTHENTICATION_INTERNATIONAL",
            "volume": 2, "cost": 4.6}]}]}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/template_analytics")))
        .and(query_param("template_ids", "[2632273056924580]"))
        .and(query_param("granularity", "DAILY"))
        .respond_with(ok(json!({"data": [{"granularity": "DAILY", "product_type": "cloud_api", "data_points": [
            {"template_id": "2632273056924580", "start": 1_718_064_000, "end": 1_718_150_400, "sent": 1, "delivered": 1, "read": 1,
             "clicked": [{"type": "quick_reply_button", "button_content": "Contact Support", "count": 108}],
             "cost": [{"type": "amount_spent", "value": 0.03}]}]}], "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}")))
        .and(query_param("is_enabled_for_insights", "true"))
        .respond_with(ok(json!({"id": 102_290_129_340_398_u64})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let messaging = waba
        .messaging_analytics(
            &AnalyticsRange::new(1_543_543_200, 1_543_629_600, "DAY").phone_numbers(["16505550111"]),
        )
        .await
        .unwrap();
    assert_eq!(messaging.analytics.unwrap().data_points[0].delivered, Some(179_715));
    let pricing = waba
        .pricing_analytics(
            &AnalyticsRange::new(1_749_106_800, 1_749_193_200, "DAILY").dimensions(["COUNTRY", "TIER"]),
        )
        .await
        .unwrap();
    let point = &pricing.pricing_analytics.unwrap().data[0].data_points[0];
    assert_eq!((point.tier.as_deref(), point.cost), (Some("0:750000"), Some(4.6)));
    let templates =
        waba.template_analytics(["2632273056924580"], 1_718_064_000, 1_718_150_400).await.unwrap();
    assert_eq!(templates.data[0].data_points[0].read, Some(1));
    assert_eq!(waba.enable_template_insights().await.unwrap().id.as_deref(), Some(WABA));
    let backwards = waba.conversation_analytics(&AnalyticsRange::new(10, 5, "DAILY")).await.unwrap_err();
    assert_eq!(backwards.kind(), ErrorKind::Validation);
}
