//! Coexistence: the sync request, and a bot that steps back when the business answers from
//! the WhatsApp Business app. Shapes from Meta's "Onboarding WhatsApp Business app users (aka
//! Coexistence)" page and the `smb_message_echoes` webhook reference
//! (<https://developers.facebook.com/documentation/business-messaging/whatsapp/embedded-signup/onboarding-business-app-users>).

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Timestamp;
use meta_messaging::clock::ManualClock;
use meta_messaging::graph::ErrorKind;
use meta_messaging::pacing::{HANDOFF_PAUSE, Handoff, InMemoryLimits};
use meta_messaging::testing::FakeGraph;
use meta_messaging::whatsapp::coexistence::AppSync;
use meta_messaging::whatsapp::{Message, Recipient, Template};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client};

const PHONE: &str = "106540352242922";

#[tokio::test]
async fn contacts_and_history_are_requested_from_the_app() {
    let server = MockServer::start().await;
    for (kind, request_id) in
        [("smb_app_state_sync", "Cg1kMjY5NjAzYTg2MTQ"), ("history", "Cg1kMjY5NjAzYTg2MTU")]
    {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PHONE}/smb_app_data")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({"messaging_product": "whatsapp", "sync_type": kind})))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"messaging_product": "whatsapp", "request_id": request_id})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let wa = client(&server).whatsapp(PHONE);
    let contacts = wa.request_app_sync(AppSync::Contacts).await.unwrap();
    assert_eq!(contacts.request_id.as_deref(), Some("Cg1kMjY5NjAzYTg2MTQ"));
    let history = wa.request_app_sync(AppSync::History).await.unwrap();
    assert_eq!(history.request_id.as_deref(), Some("Cg1kMjY5NjAzYTg2MTU"));
}

#[tokio::test]
async fn a_sync_refused_by_meta_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/smb_app_data")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
            "error_data": {"messaging_product": "whatsapp", "details": "Invalid sync_type"},
            "fbtrace_id": "AZz3kQvYx1Q8bXw2"}})))
        .mount(&server)
        .await;
    let error = client(&server).whatsapp(PHONE).request_app_sync(AppSync::History).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert_eq!(error.api_error().map(|e| e.code()), Some(100));
}

#[tokio::test]
async fn the_fake_graph_answers_sync_requests() {
    let fake = FakeGraph::start().await;
    let answer = fake.client("EAAG-test").whatsapp(PHONE).request_app_sync(AppSync::Contacts).await.unwrap();
    assert!(answer.request_id.is_some_and(|id| !id.is_empty()));
}

/// An echo: the business answered `16505551234` (BSUID `US.13491208655302741918`) from the app.
fn echo(at: i64) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"field":"smb_message_echoes",
        "value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"{PHONE}"}},
        "message_echoes":[{{"from":"15550783881","to":"16505551234","to_user_id":"US.13491208655302741918",
        "id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=","timestamp":"{at}","type":"text",
        "text":{{"body":"I'll take it from here, Pablo."}}}}]}}}}]}}]}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn a_bot_steps_back_when_the_business_answers_from_the_app_on_every_replica() {
    let fake = FakeGraph::start().await;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let store = Arc::new(InMemoryLimits::default());
    let replica = || Handoff::new(Arc::clone(&store)).clock(Arc::new(clock.clone()));
    let (one, two) = (replica(), replica());
    let bot_one = fake.client("EAAG-test").whatsapp(PHONE).with_guard(one.clone());
    let bot_two = fake.client("EAAG-test").whatsapp(PHONE).with_guard(two.clone());

    bot_two.send_text("16505551234", "How can I help?").await.expect("no one else is answering yet");
    // Replica one sees the echo...
    let webhook = meta_messaging::webhook::parse(&echo(1_800_000_000)).unwrap();
    assert_eq!(one.observe(&webhook).await.unwrap(), 1);
    // ...and the bot on replica two steps back, by phone and by BSUID, before any request.
    let requests = fake.request_count();
    for to in [Recipient::from("+1 650 555 1234"), Recipient::user_id("US.13491208655302741918")] {
        let paused = bot_two.send(to, Message::text("Anything else?")).await.unwrap_err();
        assert_eq!(paused.kind(), ErrorKind::HandedOff, "{paused}");
        assert_eq!(paused.retry_after(), Some(HANDOFF_PAUSE));
    }
    assert_eq!(fake.request_count(), requests, "nothing was sent while paused");
    // Another user's conversation and a template to this one still go.
    bot_two.send_text("16505559999", "Hello!").await.unwrap();
    bot_two.send("16505551234", Message::template(Template::new("order_update", "en_US"))).await.unwrap();

    // Each echo renews the pause; when it runs out the bot answers again.
    clock.advance(Duration::from_secs(1800));
    one.observe(&meta_messaging::webhook::parse(&echo(1_800_001_800)).unwrap()).await.unwrap();
    clock.advance(Duration::from_secs(1800));
    assert!(bot_one.send_text("16505551234", "Still there?").await.is_err(), "renewed by the second echo");
    clock.advance(HANDOFF_PAUSE);
    bot_one.send_text("16505551234", "Back to the bot").await.unwrap();

    // An inbox can take and give back a conversation by hand.
    two.pause(PHONE, "16505551234").await.unwrap();
    assert!(one.paused_until(PHONE, "16505551234").await.unwrap().is_some());
    one.resume(PHONE, "16505551234").await.unwrap();
    bot_two.send_text("16505551234", "Resumed").await.unwrap();
}

#[tokio::test]
async fn erasing_a_tenant_forgets_its_paused_conversations() {
    use meta_messaging::delivery::TenantErasure;

    let store = Arc::new(InMemoryLimits::default());
    let handoff = Handoff::new(Arc::clone(&store));
    handoff.pause(PHONE, "16505551234").await.unwrap();
    handoff.pause("106540352240000", "16505551234").await.unwrap();
    let report = TenantErasure::new("acme").business(PHONE).holds(&*store).run().await.unwrap();
    assert_eq!(report.handoffs, 1);
    assert_eq!(handoff.paused_until(PHONE, "16505551234").await.unwrap(), None);
    assert!(
        handoff.paused_until("106540352240000", "16505551234").await.unwrap().is_some(),
        "another tenant's"
    );
}
