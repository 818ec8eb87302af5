//! Conversation Routing on WhatsApp: thread control (pass, take, release) checked against the
//! request shapes of Meta's Conversation Routing pages, and a bot that steps back when the
//! escalation partner takes its thread (`messaging_handovers`, Meta's webhook reference
//! <https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messaging-handovers/>).

use std::sync::Arc;

use meta_messaging::graph::ErrorKind;
use meta_messaging::pacing::{Handoff, InMemoryLimits};
use meta_messaging::testing::FakeGraph;
use meta_messaging::webhook::parse;
use meta_messaging::whatsapp::Recipient;
use meta_messaging::whatsapp::webhook::RoutingRole;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client, fixture};

const PHONE: &str = "106540352242922";
const BSUID: &str = "US.13491208655302741918";

fn accepted(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp", "request_id": id}))
}

#[tokio::test]
async fn threads_are_passed_taken_and_released_as_meta_shows_it() {
    let server = MockServer::start().await;
    let control = |body: serde_json::Value, id: &str| {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PHONE}/thread_control")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(body_json(body))
            .respond_with(accepted(id))
            .expect(1)
    };
    control(
        json!({"messaging_product": "whatsapp", "recipient": BSUID, "action": "pass",
        "metadata": "WhatsApp user requested human agent", "control_pass": {"target_role": "ai_agent"}}),
        "REQ_1",
    )
    .mount(&server)
    .await;
    control(json!({"messaging_product": "whatsapp", "to": "15551234567", "action": "pass"}), "REQ_2")
        .mount(&server)
        .await;
    control(
        json!({"messaging_product": "whatsapp", "recipient": BSUID, "action": "take", "metadata": "Human agent stepping in"}),
        "REQ_3",
    )
    .mount(&server)
    .await;
    control(json!({"messaging_product": "whatsapp", "to": "15551234567", "action": "release"}), "REQ_4")
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let passed = wa
        .pass_thread(
            Recipient::user_id(BSUID),
            Some(RoutingRole::AiAgent),
            Some("WhatsApp user requested human agent"),
        )
        .await
        .unwrap();
    assert_eq!(passed.request_id.as_deref(), Some("REQ_1"));
    wa.pass_thread("15551234567", None, None).await.unwrap();
    wa.take_thread(Recipient::user_id(BSUID), Some("Human agent stepping in")).await.unwrap();
    assert_eq!(wa.release_thread("15551234567").await.unwrap().request_id.as_deref(), Some("REQ_4"));

    // Checked before any request (each mock above expects exactly one call).
    let long = "x".repeat(2001);
    assert_eq!(wa.take_thread("15551234567", Some(&long)).await.unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(
        wa.release_thread(Recipient::group("Y2FwaV9ncm91cA")).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(wa.release_thread("").await.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn a_take_refused_by_meta_is_a_typed_graph_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/thread_control")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#2494191) Take thread control is not permitted", "type": "OAuthException",
            "code": 2_494_191, "error_data": {"details": "Only the escalation partner can take a thread"},
            "fbtrace_id": "AzRoUtInG"}})))
        .mount(&server)
        .await;
    let error = client(&server).whatsapp(PHONE).take_thread("15551234567", None).await.unwrap_err();
    assert_eq!(error.api_error().map(|e| e.code()), Some(2_494_191));
    assert_eq!(
        error.api_error().and_then(|e| e.details()),
        Some("Only the escalation partner can take a thread")
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn the_fake_graph_keeps_who_owns_a_thread() {
    let fake = FakeGraph::start().await;
    let wa = fake.client("EAAG-test").whatsapp(PHONE);
    wa.pass_thread(Recipient::user_id(BSUID), Some(RoutingRole::AiAgent), None).await.unwrap();
    assert_eq!(fake.thread_role(PHONE, BSUID).as_deref(), Some("ai_agent"));
    wa.take_thread(Recipient::user_id(BSUID), Some("Human agent stepping in")).await.unwrap();
    assert_eq!(fake.thread_role(PHONE, BSUID).as_deref(), Some("escalation"));
    wa.release_thread(Recipient::user_id(BSUID)).await.unwrap();
    assert_eq!(fake.thread_role(PHONE, BSUID), None);
    let unknown = wa.pass_thread("16505551234", Some(RoutingRole::Unknown("boss".into())), None).await;
    assert_eq!(unknown.unwrap_err().kind(), ErrorKind::InvalidRequest, "not a routing role");
}

#[tokio::test]
async fn a_bot_steps_back_when_its_thread_is_taken_and_resumes_when_it_is_passed_back() {
    let fake = FakeGraph::start().await;
    let handoff = Handoff::new(Arc::new(InMemoryLimits::default()));
    let bot = fake.client("EAAG-test").whatsapp(PHONE).with_guard(handoff.clone());
    bot.send_text("16505551234", "How can I help?").await.unwrap();

    let taken = parse(&fixture("webhooks/whatsapp/wa_messaging_handovers_control_taken.json")).unwrap();
    assert_eq!(handoff.observe(&taken).await.unwrap(), 1);
    let paused = bot.send_text("16505551234", "Anything else?").await.unwrap_err();
    assert_eq!(paused.kind(), ErrorKind::HandedOff, "{paused}");
    bot.send_text("16505559999", "Hello!").await.expect("another user's thread is the bot's");

    let given_back = parse(&fixture("webhooks/whatsapp/wa_messaging_handovers_control_passed.json")).unwrap();
    assert_eq!(handoff.observe(&given_back).await.unwrap(), 1);
    bot.send_text("16505551234", "Back with you").await.expect("the thread was passed back");
    // A standby event is read, never a reason to answer or to pause.
    let standby = parse(&fixture("webhooks/whatsapp/wa_standby_inbound_message.json")).unwrap();
    assert_eq!(handoff.observe(&standby).await.unwrap(), 0);
    // A sender without a digit is no user: nothing is paused under an empty key.
    let text =
        String::from_utf8(fixture("webhooks/whatsapp/wa_messaging_handovers_control_taken.json")).unwrap();
    let nameless = text.replace(r#""phone_number":"16505551234""#, r#""phone_number":"+""#);
    let nameless = parse(nameless.as_bytes()).unwrap();
    assert_eq!(handoff.observe(&nameless).await.unwrap(), 0);
    bot.send_text("16505551234", "Still here").await.expect("nobody was paused");
}
