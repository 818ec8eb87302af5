//! Account management of 2026 (display names, Official Business Account, in-app signups,
//! welcome message sequences) and Messenger calling permission: requests checked against
//! Meta's pages, answers and errors parsed.

use meta_messaging::ErrorKind;
use meta_messaging::messenger::webhook::MessagingEvent;
use meta_messaging::testing::FakeGraph;
use meta_messaging::whatsapp::account_admin::{ObaRequest, Signup, WelcomeSequence};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::client;

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Meta's "Display names" and "Official business accounts" pages.
#[tokio::test]
async fn display_names_and_the_official_business_account_are_requested() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(query_param("new_display_name", "Lucky Shrub"))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/official_business_account")))
        .and(body_json(json!({"business_website_url": "https://www.luckyshrub.com",
            "primary_country_of_operation": "United States of America", "primary_language": "English",
            "supporting_links": ["https://news.example.com/lucky-shrub"], "parent_business_or_brand": "Lucky Shrub Inc"})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(query_param("fields", "official_business_account"))
        .respond_with(ok(json!({"official_business_account": {"oba_status": "NOT_STARTED"}, "id": PHONE})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    wa.request_display_name("Lucky Shrub").await.unwrap();
    let mut oba = ObaRequest::new("https://www.luckyshrub.com", "United States of America", "English")
        .link("https://news.example.com/lucky-shrub");
    oba.parent_business_or_brand = Some("Lucky Shrub Inc".into());
    wa.request_official_business_account(&oba).await.unwrap();
    assert_eq!(wa.official_business_account().await.unwrap().0.oba_status.as_deref(), Some("NOT_STARTED"));

    let insecure = ObaRequest::new("http://www.luckyshrub.com", "Brazil", "Portuguese");
    assert_eq!(
        wa.request_official_business_account(&insecure).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let too_many = (0..6).fold(ObaRequest::new("https://a.example", "Brazil", "Portuguese"), |o, i| {
        o.link(format!("https://{i}.example"))
    });
    assert_eq!(
        wa.request_official_business_account(&too_many).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(wa.request_display_name("  ").await.unwrap_err().kind(), ErrorKind::Validation);
}

/// Meta's "In-app signup" page: create (accepting the terms), read, disable; a Graph error.
#[tokio::test]
async fn in_app_signups_are_created_read_and_disabled() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/signups")))
        .and(body_json(json!({"signup_message": "Get 10% off your first order!",
            "confirmation_message": "Welcome! Your code is {{promo_code}}", "privacy_policy_url": "https://www.luckyshrub.com/privacy",
            "website_url": "https://www.luckyshrub.com", "promo_code": "WELCOME10", "display_name": "Lucky Shrub",
            "policy": {"tos": "https://www.facebook.com/legal/ads-manager-marketing-messages-terms", "accepted": true}})))
        .respond_with(ok(json!({"id": "9876543210123456"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/signups/9876543210123456"))
        .respond_with(ok(json!({"id": "9876543210123456", "waba_id": WABA, "signup_message": "Get 10% off your first order!",
            "status": "ACTIVE", "promo_code": "WELCOME10"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v26.0/signups/9876543210123456"))
        .and(body_json(json!({"status": "DISABLED"})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/signups/404"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "Signup not found",
            "type": "OAuthException", "code": 2_494_164, "fbtrace_id": "AsIgNuP"}})),
        )
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let signup = Signup::new()
        .signup_message("Get 10% off your first order!")
        .confirmation_message("Welcome! Your code is {{promo_code}}")
        .privacy_policy_url("https://www.luckyshrub.com/privacy")
        .website_url("https://www.luckyshrub.com")
        .promo_code("WELCOME10")
        .display_name("Lucky Shrub");
    let created = waba.create_signup(&signup, true).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("9876543210123456"));
    assert_eq!(waba.signup("9876543210123456").await.unwrap().status.as_deref(), Some("ACTIVE"));
    waba.update_signup("9876543210123456", &Signup::disabled()).await.unwrap();
    assert_eq!(waba.signup("404").await.unwrap_err().api_error().map(|e| e.code()), Some(2_494_164));
    let no_code = Signup::new().confirmation_message("Code: {{promo_code}}");
    assert_eq!(waba.create_signup(&no_code, false).await.unwrap_err().kind(), ErrorKind::Validation);
    // A signup id is one escaped path segment: an empty or dot id never reaches Graph.
    let before = server.received_requests().await.unwrap().len();
    for bad in ["", ".", ".."] {
        assert_eq!(waba.signup(bad).await.unwrap_err().kind(), ErrorKind::Validation, "{bad:?}");
    }
    waba.signup("a/b").await.unwrap_err();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), before + 1);
    assert_eq!(requests[before].url.path(), "/v26.0/signups/a%2Fb");
}

/// Meta's "Welcome message sequences" page (click-to-WhatsApp ads).
#[tokio::test]
async fn welcome_sequences_are_created_listed_and_deleted() {
    let server = MockServer::start().await;
    let sequence = WelcomeSequence::new("Hi! Ready to sign up as a driver?")
        .autofill("Hello! I want to sign up.")
        .ice_breaker("Requirements")
        .ice_breaker("Pay");
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/welcome_message_sequences")))
        .and(body_json(json!({"name": "Driver sign-up",
            "welcome_message_sequence": serde_json::to_string(&sequence).unwrap()})))
        .respond_with(ok(json!({"sequence_id": "186473890"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{WABA}/welcome_message_sequences")))
        .and(query_param("sequence_id", "186473890"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "Sequence is used in an active ad",
            "type": "OAuthException", "code": 4_027_012, "fbtrace_id": "AwElC"}})),
        )
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    assert_eq!(
        waba.create_welcome_sequence("Driver sign-up", &sequence).await.unwrap().id.as_deref(),
        Some("186473890")
    );
    let refused = waba.delete_welcome_sequence("186473890").await.unwrap_err();
    assert_eq!(refused.api_error().map(|e| e.code()), Some(4_027_012));
    let no_text = WelcomeSequence::default();
    assert_eq!(waba.create_welcome_sequence("x", &no_text).await.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn the_fake_graph_keeps_signups_sequences_and_the_oba_request() {
    let fake = FakeGraph::start().await;
    let client = fake.client("EAAG-test");
    let waba = client.whatsapp_business_account(WABA);
    let signup = Signup::new().signup_message("Join us");
    assert_eq!(
        waba.create_signup(&signup, false).await.unwrap_err().kind(),
        ErrorKind::InvalidRequest,
        "the first signup must accept the terms"
    );
    let id = waba.create_signup(&signup, true).await.unwrap().id.unwrap();
    assert_eq!(waba.signups().await.unwrap().data.len(), 1);
    waba.update_signup(&id, &Signup::disabled()).await.unwrap();
    assert_eq!(waba.signup(&id).await.unwrap().status.as_deref(), Some("DISABLED"));
    let sequence = WelcomeSequence::new("Hi");
    let sequence_id = waba.create_welcome_sequence("Hello", &sequence).await.unwrap().id.unwrap();
    assert_eq!(waba.welcome_sequences().await.unwrap().data.len(), 1);
    waba.delete_welcome_sequence(&sequence_id).await.unwrap();
    let wa = client.whatsapp(PHONE);
    assert_eq!(wa.official_business_account().await.unwrap().0.oba_status.as_deref(), Some("NOT_STARTED"));
    wa.request_official_business_account(&ObaRequest::new("https://a.example", "Brazil", "Portuguese"))
        .await
        .unwrap();
    assert_ne!(wa.official_business_account().await.unwrap().0.oba_status.as_deref(), Some("NOT_STARTED"));
    wa.request_display_name("Lucky Shrub").await.unwrap();
}

/// Meta's Messenger calling pages: the permission request and the user's answer.
#[tokio::test]
async fn a_messenger_call_permission_is_requested_and_its_reply_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v26.0/496827783153891/messages"))
        .and(body_json(json!({"recipient": {"id": "24512345678901234"}, "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": "template", "payload": {"template_type": "calling_optin"}}}})))
        .respond_with(ok(json!({"recipient_id": "24512345678901234", "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger("496827783153891");
    page.send("24512345678901234", meta_messaging::messenger::Message::call_permission_request())
        .await
        .unwrap();

    let body = br#"{"object":"page","entry":[{"id":"496827783153891","time":1671644824000,"messaging":[{
        "sender":{"id":"24512345678901234"},"recipient":{"id":"496827783153891"},"timestamp":1671644824,
        "call_permission_reply":{"response":"approve","expiration_timestamp":"1672249624"}}]}]}"#;
    let webhook = meta_messaging::webhook::parse(body).unwrap();
    let event = webhook.events().next().unwrap();
    assert_eq!(event.kind().to_string(), "messenger.call_permission_reply");
    let meta_messaging::webhook::Event::Messenger(
        meta_messaging::messenger::webhook::MessengerEvent::Messaging { item, .. },
    ) = event
    else {
        panic!("a messaging item")
    };
    let MessagingEvent::CallPermissionReply(reply) = &item.event else { panic!("typed: {item:?}") };
    assert!(reply.approved());
    assert_eq!(reply.expiration_timestamp.map(|t| t.unix_seconds()), Some(1_672_249_624));
}

/// A display name Meta refuses at once arrives as a typed Graph error.
#[tokio::test]
async fn a_refused_display_name_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(query_param("new_display_name", "WhatsApp Official"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
            "error_data": {"messaging_product": "whatsapp", "details": "The display name does not follow the display name guidelines"},
            "fbtrace_id": "AdIsPlAy"}})))
        .mount(&server)
        .await;
    let refused =
        client(&server).whatsapp(PHONE).request_display_name("WhatsApp Official").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidRequest);
    assert_eq!(refused.api_error().map(|e| e.code()), Some(100));
}
