//! Payments in the chat and conversion events: requests checked against Meta's Payments API
//! (Brazil, India) and Conversions API for business messaging pages, answers parsed, payment
//! statuses typed.

use meta_messaging::ErrorKind;
use meta_messaging::testing::FakeGraph;
use meta_messaging::whatsapp::conversions::{ConversionEvent, ConversionEventName};
use meta_messaging::whatsapp::webhook::{StatusKind, WhatsAppChangeValue};
use meta_messaging::whatsapp::{
    Charge, Goods, Message, Money, OrderDetails, OrderItem, OrderState, OrderStatusUpdate, PaymentSetting,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";

fn sent() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
        "contacts": [{"input": "5511987654321", "wa_id": "5511987654321"}], "messages": [{"id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ"}]}))
}

fn cake() -> OrderDetails {
    OrderDetails::new(
        "ord-1234",
        Goods::Physical,
        "BRL",
        [OrderItem::new("1234567", "Cake", Money::new(50_000), 1)],
        Charge::new(0),
    )
}

/// Meta's Brazil orders page: an order with a Pix code, a boleto and a payment link.
#[tokio::test]
async fn a_brazilian_order_goes_as_meta_shows_it_with_totals_that_add_up() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511987654321",
            "type": "interactive", "interactive": {"type": "order_details", "body": {"text": "Your order is ready to pay"},
            "action": {"name": "review_and_pay", "parameters": {
                "reference_id": "ord-1234", "type": "physical-goods", "payment_type": "br",
                "payment_settings": [
                    {"type": "pix_dynamic_code", "pix_dynamic_code": {"code": "00020101021226700014br.gov.bcb.pix",
                        "merchant_name": "Lucky Shrub", "key": "39580525000189", "key_type": "CNPJ"}},
                    {"type": "boleto", "boleto": {"digitable_line": "03399026944140000002628346101018898510000008848"}},
                    {"type": "payment_link", "payment_link": {"uri": "https://pay.example.com/ord-1234"}}],
                "currency": "BRL", "total_amount": {"value": 51_000, "offset": 100},
                "order": {"status": "pending", "items": [{"retailer_id": "1234567", "name": "Cake",
                    "amount": {"value": 50_000, "offset": 100}, "quantity": 1}],
                    "subtotal": {"value": 50_000, "offset": 100}, "tax": {"value": 0, "offset": 100},
                    "shipping": {"value": 1500, "offset": 100, "description": "Motoboy"},
                    "discount": {"value": 500, "offset": 100, "description": "Welcome"}}}}}})))
        .respond_with(sent())
        .expect(1)
        .mount(&server)
        .await;
    let order = cake()
        .shipping(Charge::new(1500).description("Motoboy"))
        .discount(Charge::new(500).description("Welcome"))
        .pay_with(PaymentSetting::Pix {
            code: "00020101021226700014br.gov.bcb.pix".into(),
            merchant_name: "Lucky Shrub".into(),
            key: "39580525000189".into(),
            key_type: "CNPJ".into(),
        })
        .pay_with(PaymentSetting::Boleto {
            digitable_line: "03399026944140000002628346101018898510000008848".into(),
        })
        .pay_with(PaymentSetting::PaymentLink { uri: "https://pay.example.com/ord-1234".into() });
    assert_eq!(order.total(), Money::new(51_000), "50000 + 0 tax + 1500 shipping - 500 discount");
    let wa = client(&server).whatsapp(PHONE);
    wa.send("5511987654321", Message::order_details("Your order is ready to pay", order)).await.unwrap();

    let invalid = |details: OrderDetails| {
        let wa = wa.clone();
        async move { wa.send("5511987654321", Message::order_details("Pay", details)).await.unwrap_err().kind() }
    };
    let link = PaymentSetting::PaymentLink { uri: "https://pay.example.com".into() };
    assert_eq!(invalid(cake()).await, ErrorKind::Validation, "no way to pay");
    let bad_reference = OrderDetails::new(
        "ord 1",
        Goods::Digital,
        "BRL",
        [OrderItem::new("1", "Cake", Money::new(1), 1)],
        Charge::new(0),
    );
    assert_eq!(invalid(bad_reference.pay_with(link.clone())).await, ErrorKind::Validation);
    let no_items = OrderDetails::new("ord-2", Goods::Digital, "BRL", [], Charge::new(0));
    assert_eq!(invalid(no_items.pay_with(link.clone())).await, ErrorKind::Validation);
    let long_india = OrderDetails::new(
        "x".repeat(36),
        Goods::Digital,
        "INR",
        [OrderItem::new("1", "Tea", Money::new(100), 1)],
        Charge::new(0),
    );
    assert_eq!(invalid(long_india.pay_with(link)).await, ErrorKind::Validation, "India: 35 characters");
}

/// Meta's India payment gateway page: an order paid through Razorpay; its order status.
#[tokio::test]
async fn an_indian_order_and_its_status_go_as_meta_shows_them() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919876543210",
            "type": "interactive", "interactive": {"type": "order_details", "body": {"text": "Pay for your tea"},
            "action": {"name": "review_and_pay", "parameters": {"reference_id": "r1", "type": "physical-goods",
                "payment_settings": [{"type": "payment_gateway", "payment_gateway": {"type": "razorpay", "configuration_name": "razorpay-prod"}}],
                "currency": "INR", "total_amount": {"value": 21_000, "offset": 100},
                "order": {"status": "pending", "items": [{"retailer_id": "tea-1", "name": "Masala tea",
                    "amount": {"value": 10_000, "offset": 100}, "quantity": 2}],
                    "subtotal": {"value": 20_000, "offset": 100}, "tax": {"value": 1000, "offset": 100, "description": "GST"}}}}}})))
        .respond_with(sent())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919876543210",
            "type": "interactive", "interactive": {"type": "order_status", "body": {"text": "Your order shipped"},
            "action": {"name": "review_order", "parameters": {"reference_id": "r1",
                "order": {"status": "shipped", "description": "Courier: Delhivery"}}}}})))
        .respond_with(sent())
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let tea = OrderDetails::new(
        "r1",
        Goods::Physical,
        "INR",
        [OrderItem::new("tea-1", "Masala tea", Money::new(10_000), 2)],
        Charge::new(1000).description("GST"),
    )
    .pay_with(PaymentSetting::PaymentGateway {
        gateway: "razorpay".into(),
        configuration_name: "razorpay-prod".into(),
    });
    wa.send("919876543210", Message::order_details("Pay for your tea", tea)).await.unwrap();
    let shipped = OrderStatusUpdate::new("r1", OrderState::Shipped).description("Courier: Delhivery");
    wa.send("919876543210", Message::order_status("Your order shipped", shipped)).await.unwrap();
    let long = OrderStatusUpdate::new("r1", OrderState::Canceled).description("x".repeat(121));
    assert_eq!(
        wa.send("919876543210", Message::order_status("No", long)).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
}

/// A payment status as Meta's India payment gateway page shows it (step 4).
#[test]
fn a_payment_status_is_typed() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",
        "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
        "statuses":[{"id":"gBGGFlB5YjhvAgnhuF1qIUvCo7A","recipient_id":"919876543210","type":"payment","status":"captured",
          "payment":{"reference_id":"r1","amount":{"value":21000,"offset":100},"currency":"INR",
            "transaction":{"id":"order_Nn1b7bC0xq","pg_transaction_id":"pay_Nn1bB9wCj","type":"razorpay","status":"success",
              "created_timestamp":1700000000,"updated_timestamp":"1700000100","method":{"type":"upi"}},
            "receipt":"receipt-r1","notes":{"shop":"tea"}},
          "timestamp":"1700000100"}]}}]}]}"#;
    let webhook = meta_messaging::webhook::parse(body).unwrap();
    let meta_messaging::webhook::Webhook::WhatsApp(payload) = &webhook else { panic!("whatsapp") };
    let WhatsAppChangeValue::Messages(value) = &payload.entries[0].changes[0].value else {
        panic!("messages")
    };
    let status = &value.statuses[0];
    assert_eq!(status.status, StatusKind::Captured);
    assert_eq!(status.status_type.as_deref(), Some("payment"));
    let payment = status.payment.as_ref().unwrap().get().unwrap();
    assert_eq!(payment.reference_id.as_deref(), Some("r1"));
    assert_eq!(payment.amount.and_then(|a| a.value), Some(21_000));
    let transaction = payment.transaction.as_ref().unwrap();
    assert_eq!(transaction.status.as_deref(), Some("success"));
    assert_eq!(transaction.updated_timestamp, Some(1_700_000_100));
    assert_eq!(payment.other["receipt"], "receipt-r1", "gateway fields kept as sent");
}

/// Meta's Conversions API for business messaging guide: the dataset and a purchase event.
#[tokio::test]
async fn conversion_events_go_to_the_wabas_dataset() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/dataset")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1488240005555555"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v26.0/1488240005555555/events"))
        .and(body_json(json!({"data": [
            {"event_name": "Purchase", "event_time": 1_675_999_999, "action_source": "business_messaging",
             "messaging_channel": "whatsapp", "user_data": {"whatsapp_business_account_id": WABA, "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ"},
             "custom_data": {"currency": "USD", "value": 123.0}},
            {"event_name": "LeadSubmitted", "event_time": 1_675_999_000, "action_source": "business_messaging",
             "messaging_channel": "whatsapp", "user_data": {"whatsapp_business_account_id": WABA, "ctwa_clid": "ARAkLkA8rmlFeiCktEJR"}}],
            "partner_agent": "meta-messaging"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"events_received": 2, "messages": [],
            "fbtrace_id": "AaBbCcDdEeFf"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v26.0/999/events"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"message": "Invalid parameter",
            "type": "OAuthException", "code": 100, "error_subcode": 2_804_003,
            "error_user_msg": "The timestamp for this event is too far in the past.", "fbtrace_id": "AxYz"}}),
        ))
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let dataset = waba.dataset().await.unwrap().id.unwrap();
    let events = [
        ConversionEvent::purchase(1_675_999_999, "ARAkLkA8rmlFeiCktEJQ", 123.0, "USD"),
        ConversionEvent::new(ConversionEventName::LeadSubmitted, 1_675_999_000, "ARAkLkA8rmlFeiCktEJR"),
    ];
    let received = waba.send_conversions(&dataset, events, Some("meta-messaging")).await.unwrap();
    assert_eq!(received.events_received, Some(2));
    let old = waba.send_conversions(
        "999",
        [ConversionEvent::new(ConversionEventName::LeadSubmitted, 1, "c")],
        None,
    );
    assert_eq!(old.await.unwrap_err().kind(), ErrorKind::InvalidRequest);
    // A purchase needs its value; a click id is required.
    let no_value = ConversionEvent::new(ConversionEventName::Purchase, 1_675_999_999, "ARAk");
    assert_eq!(
        waba.send_conversions(&dataset, [no_value], None).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let no_click = ConversionEvent::new(ConversionEventName::LeadSubmitted, 1_675_999_999, "");
    assert_eq!(
        waba.send_conversions(&dataset, [no_click], None).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[tokio::test]
async fn the_fake_graph_takes_orders_and_conversions() {
    let fake = FakeGraph::start().await;
    let client = fake.client("EAAG-test");
    let order = cake().pay_with(PaymentSetting::PaymentLink { uri: "https://pay.example.com/1".into() });
    client.whatsapp(PHONE).send("5511987654321", Message::order_details("Pay", order)).await.unwrap();
    assert_eq!(fake.outbox()[0].body["interactive"]["type"], "order_details");
    let waba = client.whatsapp_business_account(WABA);
    let dataset = waba.dataset().await.unwrap().id.unwrap();
    assert_eq!(waba.dataset().await.unwrap().id.unwrap(), dataset, "the same dataset on every call");
    let sent = waba.send_conversions(
        &dataset,
        [ConversionEvent::purchase(1_800_000_000, "ARAk", 10.0, "BRL")],
        None,
    );
    assert_eq!(sent.await.unwrap().events_received, Some(1));
}
