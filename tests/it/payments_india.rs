//! Payments API (India) management and the Marketing Messages API onboarding read: requests
//! checked against Meta's pages ("Payments API: payment gateway integration", "Onboarding APIs",
//! "Marketing Messages API for WhatsApp: onboarding"), answers and Graph errors parsed, and the
//! same flows on FakeGraph.

use meta_messaging::ErrorKind;
use meta_messaging::testing::FakeGraph;
use meta_messaging::whatsapp::account_admin::MarketingOnboardingStatus;
use meta_messaging::whatsapp::payments::{
    NewPaymentConfiguration, PaymentProvider, PaymentRefund, RefundSpeed,
};
use meta_messaging::whatsapp::webhook::PaymentConfigurationStatus;
use meta_messaging::whatsapp::{Charge, Goods, Message, Money, OrderDetails, OrderItem, PaymentSetting};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// The lookup answer of Meta's payment gateway page (step 5), a captured Razorpay payment with a refund.
fn captured_lookup() -> serde_json::Value {
    json!({"payments": [{"reference_id": "r1", "status": "captured", "amount": {"offset": 100, "value": 21000},
        "currency": "INR", "transactions": [{"id": "order_NDKRaT2qfVzbPl", "pg_transaction_id": "pay_NDKRlE4hJn7Vjq",
            "type": "razorpay", "status": "success", "created_timestamp": 1_772_129_215, "updated_timestamp": 1_772_129_215,
            "amount": {"offset": 100, "value": 21000}, "order_amount": {"offset": 100, "value": 21000}, "currency": "INR",
            "method": {"type": "upi"}, "refunds": [{"id": "rfnd_NDKS1", "amount": {"offset": 100, "value": 5000},
                "speed_processed": "normal", "status": "success", "created_timestamp": 1_772_130_000,
                "updated_timestamp": 1_772_130_100}]}], "receipt": "receipt-r1"}]})
}

#[tokio::test]
async fn a_payment_is_looked_up_and_refunded_as_meta_shows_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/payments/razorpay-prod/r1")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(captured_lookup()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/payments_refund")))
        .and(body_json(json!({"reference_id": "r1", "speed": "normal", "payment_config_id": "razorpay-prod",
            "amount": {"currency": "INR", "value": "5000", "offset": "100"}})))
        .respond_with(ok(json!({"id": "rfnd_NDKS1", "status": "pending", "speed_processed": "normal"})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let lookup = wa.payment("razorpay-prod", "r1").await.unwrap();
    let [payment] = &lookup.payments[..] else { panic!("{lookup:?}") };
    assert!(payment.is_captured());
    assert_eq!(payment.amount.and_then(|a| a.value), Some(21_000));
    assert_eq!(payment.other["receipt"], "receipt-r1", "gateway pass-through fields are kept");
    let transaction = &payment.transactions[0];
    assert_eq!(transaction.transaction.pg_transaction_id.as_deref(), Some("pay_NDKRlE4hJn7Vjq"));
    assert_eq!(transaction.transaction.method.as_ref().map(|m| m["type"].clone()), Some(json!("upi")));
    assert_eq!(transaction.refunds[0].status.as_deref(), Some("success"));
    let refund = PaymentRefund::new("r1", "razorpay-prod", 5000).speed(RefundSpeed::Normal);
    let accepted = wa.refund_payment(&refund).await.unwrap();
    assert_eq!((accepted.id.as_deref(), accepted.status.as_deref()), (Some("rfnd_NDKS1"), Some("pending")));

    // Checked before any request (the mocks above expect exactly one call each).
    let bad = [PaymentRefund::new("r1", "razorpay-prod", 0), PaymentRefund::new("", "razorpay-prod", 10)];
    for refund in bad {
        assert_eq!(wa.refund_payment(&refund).await.unwrap_err().kind(), ErrorKind::Validation);
    }
    assert_eq!(wa.payment("razorpay-prod", "").await.unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(wa.payment("..", "r1").await.unwrap_err().kind(), ErrorKind::Validation, "no dot segments");
}

#[tokio::test]
async fn a_refund_graph_error_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/payments_refund")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "(#100) Invalid parameter",
            "type": "OAuthException", "code": 100, "error_data": {"details": "Refund amount exceeds the captured amount"},
            "fbtrace_id": "AbCdEf"}})))
        .mount(&server)
        .await;
    let error = client(&server)
        .whatsapp(PHONE)
        .refund_payment(&PaymentRefund::new("r1", "razorpay-prod", 90_000))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        error.api_error().and_then(|e| e.details()),
        Some("Refund amount exceeds the captured amount")
    );
}

/// Meta's "Onboarding APIs" page: list, get, create (with the OAuth link), regenerate, delete.
#[tokio::test]
async fn payment_configurations_are_listed_created_and_deleted() {
    let server = MockServer::start().await;
    let configuration = json!({"configuration_name": "razorpay-prod", "merchant_category_code": {"code": "0000", "description": "Test MCC Code"},
        "purpose_code": {"code": "00", "description": "Test Purpose Code"}, "status": "Needs_Testing",
        "provider_mid": "acc_GP4lfNA0iIMn5B", "provider_name": "razorpay", "created_timestamp": 1_748_827_100, "updated_timestamp": 1_749_320_300});
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/payment_configurations")))
        .respond_with(ok(json!({"data": [{"payment_configurations": [configuration.clone()]}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/payment_configuration/razorpay-prod")))
        .respond_with(ok(json!({"data": [{"payment_configurations": [configuration]}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/payment_configuration")))
        .and(body_json(json!({"configuration_name": "payu-test", "provider_name": "payu", "purpose_code": "00",
            "merchant_category_code": "0000", "redirect_url": "https://www.luckyshrub.com/payments"})))
        .respond_with(ok(json!({"success": true, "oauth_url": "https://www.facebook.com/payments/oauth/abc", "expiration": 1_749_400_000})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/generate_payment_configuration_oauth_link")))
        .and(body_json(json!({"configuration_name": "payu-test"})))
        .respond_with(ok(
            json!({"oauth_url": "https://www.facebook.com/payments/oauth/def", "expiration": 1_749_500_000}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{WABA}/payment_configuration")))
        .and(body_json(json!({"configuration_name": "payu-test"})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let listed = waba.payment_configurations().await.unwrap().configurations;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state(), Some(PaymentConfigurationStatus::NeedsTesting));
    assert_eq!(listed[0].provider_name, Some(PaymentProvider::Razorpay));
    assert_eq!(listed[0].merchant_category_code.as_ref().and_then(|c| c.code.as_deref()), Some("0000"));
    assert_eq!(waba.payment_configuration("razorpay-prod").await.unwrap().configurations, listed);
    let new = NewPaymentConfiguration::new("payu-test", PaymentProvider::Payu)
        .purpose_code("00")
        .merchant_category_code("0000")
        .redirect_url("https://www.luckyshrub.com/payments");
    let created = waba.create_payment_configuration(&new).await.unwrap();
    assert_eq!(created.oauth_url.as_deref(), Some("https://www.facebook.com/payments/oauth/abc"));
    let again = waba.regenerate_payment_oauth_link("payu-test", None).await.unwrap();
    assert_eq!(again.expiration, Some(1_749_500_000));
    waba.delete_payment_configuration("payu-test").await.unwrap();

    let invalid = [
        NewPaymentConfiguration::new("upi", PaymentProvider::UpiVpa),
        NewPaymentConfiguration::new("upi", PaymentProvider::UpiVpa).merchant_vpa("not-a-vpa"),
        NewPaymentConfiguration::new("", PaymentProvider::Razorpay),
        NewPaymentConfiguration::new("rp", PaymentProvider::Razorpay).redirect_url("http://insecure.example"),
    ];
    for configuration in invalid {
        let error = waba.create_payment_configuration(&configuration).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Validation, "{configuration:?}");
    }
}

/// Meta's Marketing Messages API onboarding page.
#[tokio::test]
async fn the_marketing_messages_onboarding_status_is_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}")))
        .and(query_param("fields", "marketing_messages_onboarding_status"))
        .respond_with(ok(json!({"marketing_messages_onboarding_status": "ELIGIBLE", "id": "25002526842541"})))
        .expect(1)
        .mount(&server)
        .await;
    let status =
        client(&server).whatsapp_business_account(WABA).marketing_messages_onboarding_status().await.unwrap();
    assert_eq!(status.marketing_messages_onboarding_status, Some(MarketingOnboardingStatus::Eligible));
    assert!(!status.is_onboarded());
    let unknown: MarketingOnboardingStatus = serde_json::from_value(json!("PENDING_SOMETHING_NEW")).unwrap();
    assert_eq!(unknown.as_str(), "PENDING_SOMETHING_NEW", "new values round-trip");
}

/// FakeGraph: a configuration, an order paid through it, its lookup before and after capture,
/// refunds up to the amount paid.
#[tokio::test]
async fn fake_graph_takes_an_indian_order_from_configuration_to_refund() {
    let fake = FakeGraph::start().await;
    let client = fake.client("EAAG-test");
    let waba = client.whatsapp_business_account(WABA);
    let created = waba
        .create_payment_configuration(&NewPaymentConfiguration::new("rzp", PaymentProvider::Razorpay))
        .await;
    assert!(created.unwrap().oauth_url.is_some());
    let listed = waba.payment_configurations().await.unwrap().configurations;
    assert_eq!(listed[0].state(), Some(PaymentConfigurationStatus::NeedsConnecting));
    let wa = client.whatsapp(PHONE);
    let order = OrderDetails::new(
        "r9",
        Goods::Physical,
        "INR",
        [OrderItem::new("tea", "Tea", Money::new(10_000), 1)],
        Charge::new(0),
    )
    .pay_with(PaymentSetting::PaymentGateway {
        gateway: "razorpay".into(),
        configuration_name: "rzp".into(),
    });
    wa.send("919876543210", Message::order_details("Pay", order)).await.unwrap();

    let pending = wa.payment("rzp", "r9").await.unwrap();
    assert_eq!(pending.payments[0].status.as_deref(), Some("pending"));
    assert_eq!(wa.payment("other", "r9").await.unwrap_err().kind(), ErrorKind::InvalidRequest);
    let early = wa.refund_payment(&PaymentRefund::new("r9", "rzp", 100)).await.unwrap_err();
    assert_eq!(early.kind(), ErrorKind::InvalidRequest, "nothing captured yet");

    assert!(fake.capture_payment("r9") && !fake.capture_payment("unknown"));
    assert!(wa.payment("rzp", "r9").await.unwrap().payments[0].is_captured());
    wa.refund_payment(&PaymentRefund::new("r9", "rzp", 6_000)).await.unwrap();
    let over = wa.refund_payment(&PaymentRefund::new("r9", "rzp", 5_000)).await.unwrap_err();
    assert_eq!(over.kind(), ErrorKind::InvalidRequest, "6,000 + 5,000 > 10,000 paid");
    wa.refund_payment(&PaymentRefund::new("r9", "rzp", 4_000).speed(RefundSpeed::Instant)).await.unwrap();
    let refunds = &wa.payment("rzp", "r9").await.unwrap().payments[0].transactions[0].refunds;
    assert_eq!(
        refunds.iter().map(|r| r.amount.and_then(|a| a.value)).collect::<Vec<_>>(),
        [Some(6_000), Some(4_000)]
    );
    assert_eq!(refunds[1].speed_processed.as_deref(), Some("instant"));

    assert!(waba.marketing_messages_onboarding_status().await.unwrap().is_onboarded());
    waba.delete_payment_configuration("rzp").await.unwrap();
    assert!(waba.payment_configurations().await.unwrap().configurations.is_empty());
}
