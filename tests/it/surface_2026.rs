//! Meta's 2026 message kinds and template administration: requests checked against Meta's
//! examples (pages cited per test), answers parsed, limits checked before the request.

use meta_messaging::ErrorKind;
use meta_messaging::testing::FakeGraph;
use meta_messaging::whatsapp::template::{NewTemplate, TemplateCategory};
use meta_messaging::whatsapp::{
    CardAction, MediaCard, Message, Parameter, ReplyButton, Template, VoiceCall, WabaId,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client};

const PHONE: &str = "106540352242922";
const WABA: &str = "102290129340398";

fn sent() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
        "contacts": [{"input": "14085551234", "wa_id": "14085551234"}],
        "messages": [{"id": "wamid.HBgLMTQwODU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}))
}

async fn expect_send(server: &MockServer, body: Value) {
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(body))
        .respond_with(sent())
        .expect(1)
        .mount(server)
        .await;
}

/// Meta's "Send WhatsApp call button messages" example (Calling API, integration patterns).
#[tokio::test]
async fn a_call_button_message_goes_as_meta_shows_it() {
    let server = MockServer::start().await;
    expect_send(&server, json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14085551234",
        "type": "interactive", "interactive": {"type": "voice_call",
        "body": {"text": "You can call us on WhatsApp now for faster service!"},
        "action": {"name": "voice_call", "parameters": {"display_text": "Call on WhatsApp", "ttl_minutes": 100,
            "payload": "payload data"}}}}))
    .await;
    expect_send(
        &server,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14085551234",
        "type": "interactive", "interactive": {"type": "voice_call", "body": {"text": "Call us"},
        "action": {"name": "voice_call"}}}),
    )
    .await;
    let wa = client(&server).whatsapp(PHONE);
    let button = VoiceCall::new().display_text("Call on WhatsApp").ttl_minutes(100).payload("payload data");
    wa.send(
        "14085551234",
        Message::voice_call("You can call us on WhatsApp now for faster service!", button),
    )
    .await
    .unwrap();
    wa.send("14085551234", Message::voice_call("Call us", VoiceCall::new())).await.unwrap();

    for bad in [
        VoiceCall::new().display_text("Call us on WhatsApp now"),
        VoiceCall::new().ttl_minutes(0),
        VoiceCall::new().ttl_minutes(43_201),
        VoiceCall::new().payload("x".repeat(513)),
    ] {
        let refused = wa.send("14085551234", Message::voice_call("Call us", bad.clone())).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Validation, "{bad:?}");
    }
}

/// Meta's "Interactive media carousel messages" page: URL-button cards and quick-reply cards.
#[tokio::test]
async fn media_carousels_go_as_meta_shows_them_and_their_limits_hold() {
    let server = MockServer::start().await;
    let url_card = |i: usize| {
        json!({"card_index": i, "type": "cta_url",
        "header": {"type": "image", "image": {"link": format!("https://www.example.com/shoe{i}.png")}},
        "body": {"text": "Exclusive deal for running shoes."},
        "action": {"name": "cta_url", "parameters": {"display_text": "Shop now", "url": format!("https://shop.example.com/{i}")}}})
    };
    expect_send(&server, json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14085551234",
        "type": "interactive", "interactive": {"type": "carousel", "body": {"text": "Check out our latest offers!"},
        "action": {"cards": [url_card(0), url_card(1)]}}}))
    .await;
    let reply_card = |i: usize| {
        json!({"card_index": i, "type": "cta_url",
        "header": {"type": "video", "video": {"link": format!("https://www.example.com/clip{i}.mp4")}},
        "action": {"buttons": [{"type": "quick_reply", "quick_reply": {"id": format!("more-{i}"), "title": "Tell me more"}},
            {"type": "quick_reply", "quick_reply": {"id": format!("no-{i}"), "title": "Not now"}}]}})
    };
    expect_send(
        &server,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14085551234",
        "type": "interactive", "interactive": {"type": "carousel", "body": {"text": "Which one?"},
        "action": {"cards": [reply_card(0), reply_card(1), reply_card(2)]}}}),
    )
    .await;
    let wa = client(&server).whatsapp(PHONE);
    let url = |i: usize| {
        MediaCard::image(
            meta_messaging::whatsapp::MediaSource::link(format!("https://www.example.com/shoe{i}.png")),
            CardAction::Url { display_text: "Shop now".into(), url: format!("https://shop.example.com/{i}") },
        )
        .body("Exclusive deal for running shoes.")
    };
    wa.send("14085551234", Message::media_carousel("Check out our latest offers!", [url(0), url(1)]))
        .await
        .unwrap();
    let replies = |i: usize| {
        MediaCard::video(
            meta_messaging::whatsapp::MediaSource::link(format!("https://www.example.com/clip{i}.mp4")),
            CardAction::QuickReplies(vec![
                ReplyButton::new(format!("more-{i}"), "Tell me more"),
                ReplyButton::new(format!("no-{i}"), "Not now"),
            ]),
        )
    };
    wa.send("14085551234", Message::media_carousel("Which one?", (0..3).map(replies))).await.unwrap();

    let refused = |message: Message| {
        let wa = wa.clone();
        async move { wa.send("14085551234", message).await.unwrap_err().kind() }
    };
    assert_eq!(refused(Message::media_carousel("One card", [url(0)])).await, ErrorKind::Validation);
    assert_eq!(refused(Message::media_carousel("Eleven", (0..11).map(url))).await, ErrorKind::Validation);
    assert_eq!(refused(Message::media_carousel("Mixed", [url(0), replies(1)])).await, ErrorKind::Validation);
    assert_eq!(
        refused(Message::media_carousel("Long", [url(0), url(1).body("x".repeat(161))])).await,
        ErrorKind::Validation
    );
    assert_eq!(
        refused(Message::media_carousel("Header", [url(0), url(1)]).header("Not allowed")).await,
        ErrorKind::Validation
    );
}

/// Meta's "Interactive product carousel messages" page.
#[tokio::test]
async fn product_carousels_go_as_meta_shows_them() {
    let server = MockServer::start().await;
    expect_send(&server, json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14085551234",
        "type": "interactive", "interactive": {"type": "carousel", "body": {"text": "Which option do you prefer?"},
        "action": {"cards": [
            {"card_index": 0, "type": "product", "action": {"product_retailer_id": "abc123xyz", "catalog_id": "123456789"}},
            {"card_index": 1, "type": "product", "action": {"product_retailer_id": "def456uvw", "catalog_id": "123456789"}}]}}}))
    .await;
    let wa = client(&server).whatsapp(PHONE);
    wa.send(
        "14085551234",
        Message::product_carousel("Which option do you prefer?", "123456789", ["abc123xyz", "def456uvw"]),
    )
    .await
    .unwrap();
    let duplicate = Message::product_carousel("Again", "123456789", ["abc123xyz", "abc123xyz"]);
    assert_eq!(wa.send("14085551234", duplicate).await.unwrap_err().kind(), ErrorKind::Validation);
}

/// Meta's groups reference: a group invite template carries the group id, which Meta turns into
/// the invite link.
#[tokio::test]
async fn a_group_invite_template_carries_the_group_id() {
    let server = MockServer::start().await;
    expect_send(&server, json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "14085551234",
        "type": "template", "template": {"name": "group_invite_link", "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "group_id", "group_id": "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"}]}]}}))
    .await;
    let template = Template::new("group_invite_link", "en")
        .body([Parameter::group_id("Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD")]);
    client(&server).whatsapp(PHONE).send("14085551234", Message::template(template)).await.unwrap();
}

/// Meta's "Time-to-live" page: per-category ranges; `allow_category_change` is no longer sent.
#[tokio::test]
#[allow(deprecated)]
async fn template_time_to_live_is_sent_within_its_category_range() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/message_templates")))
        .and(body_json(json!({"name": "otp_code", "language": "en_US", "category": "AUTHENTICATION",
            "message_send_ttl_seconds": 120, "components": [{"type": "BODY", "add_security_recommendation": true}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "594425479261596", "status": "PENDING",
            "category": "AUTHENTICATION"})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let otp = NewTemplate::new("otp_code", "en_US", TemplateCategory::Authentication)
        .component(json!({"type": "BODY", "add_security_recommendation": true}))
        .allow_category_change(true)
        .message_send_ttl(120);
    assert_eq!(waba.create_template(&otp).await.unwrap().id, "594425479261596");
    for (category, ttl) in [
        (TemplateCategory::Authentication, 901),
        (TemplateCategory::Utility, 43_201),
        (TemplateCategory::Marketing, 3600),
        (TemplateCategory::Utility, 29),
    ] {
        let template = NewTemplate::new("promo", "en_US", category.clone())
            .component(json!({"type": "BODY", "text": "Hi"}))
            .message_send_ttl(ttl);
        assert_eq!(waba.create_template(&template).await.unwrap_err().kind(), ErrorKind::Validation, "{ttl}");
    }
    let forever = NewTemplate::new("receipt", "en_US", TemplateCategory::Utility)
        .component(json!({"type": "BODY", "text": "Hi"}))
        .message_send_ttl(-1);
    assert!(forever.validate().is_ok(), "-1 is 30 days for utility");
}

/// Meta's "Template archival" and "Template migration" pages.
#[tokio::test]
async fn templates_are_archived_unarchived_and_migrated() {
    let server = MockServer::start().await;
    for (edge, body, answer) in [
        (
            "message_templates/archive",
            json!({"hsm_ids": ["1234567890", "9876543210"]}),
            json!({"archived_templates": ["1234567890"], "failed_templates": {"9876543210": "Only approved or rejected templates can be archived"}}),
        ),
        (
            "message_templates/unarchive",
            json!({"hsm_ids": ["1234567890"]}),
            json!({"unarchived_templates": ["1234567890"], "failed_templates": {}}),
        ),
        (
            "migrate_message_templates",
            json!({"source_waba_id": "104996122399160", "page_number": 0, "count": 500}),
            json!({"migrated_templates": ["1473688840035974", "1019077935977160"], "failed_templates": {"1266312671276732": "Template already exists in destination WABA"}}),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{WABA}/{edge}")))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
    }
    let waba = client(&server).whatsapp_business_account(WABA);
    let archived = waba.archive_templates(["1234567890", "9876543210"]).await.unwrap();
    assert_eq!(archived.done, ["1234567890"]);
    assert_eq!(
        archived.failed_templates["9876543210"],
        "Only approved or rejected templates can be archived"
    );
    assert_eq!(waba.unarchive_templates(["1234567890"]).await.unwrap().done, ["1234567890"]);
    let migrated = waba.migrate_templates(&WabaId::from("104996122399160"), 0).await.unwrap();
    assert_eq!(migrated.done.len(), 2);
    assert_eq!(migrated.failed_templates.len(), 1);
    let too_many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    assert_eq!(waba.archive_templates(too_many).await.unwrap_err().kind(), ErrorKind::Validation);
}

/// Meta's "Template groups" page and the analytics page's template group section.
#[tokio::test]
async fn template_groups_are_created_read_and_measured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/template_groups")))
        .and(body_json(
            json!({"name": "Black Friday 2024", "description": "Templates for the Black Friday campaign",
            "whatsapp_business_templates": [278_077_987_957_091_u64, 1_202_866_021_519_446_u64]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "9020555671393375"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/9020555671393375"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "Black Friday 2024",
            "description": "Templates for the Black Friday campaign", "creation_time": "2024-11-01T10:00:00+0000",
            "update_time": "2024-11-02T10:00:00+0000", "whatsapp_business_account": {"id": WABA},
            "whatsapp_business_templates": {"data": [{"id": "278077987957091"}, {"id": "1202866021519446"}]},
            "id": "9020555671393375"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{WABA}/template_group_analytics")))
        .and(query_param("template_group_ids", "[9020555671393375]"))
        .and(query_param("granularity", "daily"))
        .and(query_param("start", "1738465116"))
        .and(query_param("end", "1739559516"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"granularity": "DAILY", "data_points": [
            {"template_group_id": "9020555671393375", "start": 1738454400, "end": 1738540800, "sent": 1200, "delivered": 1180, "read": 950}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    let created = waba
        .create_template_group(
            "Black Friday 2024",
            Some("Templates for the Black Friday campaign".to_owned()),
            ["278077987957091", "1202866021519446"],
        )
        .await
        .unwrap();
    assert_eq!(created.id.as_deref(), Some("9020555671393375"));
    let group = waba.template_group("9020555671393375").await.unwrap();
    assert_eq!(group.whatsapp_business_templates.map(|page| page.data.len()), Some(2));
    let analytics =
        waba.template_group_analytics(["9020555671393375"], 1_738_465_116, 1_739_559_516).await.unwrap();
    assert_eq!(analytics.data[0].data_points[0].read, Some(950));
    let none: [&str; 0] = [];
    assert_eq!(waba.template_group_analytics(none, 0, 1).await.unwrap_err().kind(), ErrorKind::Validation);
}

/// Meta's calling troubleshooting table: a call without the user's permission.
#[tokio::test]
async fn a_call_without_permission_is_a_permission_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": "No approved call permission from the recipient",
            "type": "OAuthException", "code": 138006, "error_data": {"messaging_product": "whatsapp",
            "details": "No approved call permission from the recipient"}, "fbtrace_id": "AbCdEf138006"}}),
        ))
        .mount(&server)
        .await;
    let refused = client(&server).whatsapp(PHONE).send_text("14085551234", "hi").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Permission);
    assert_eq!(refused.api_error().map(|e| e.code()), Some(138_006));
}

#[tokio::test]
async fn the_fake_graph_archives_migrates_and_groups_templates() {
    let fake = FakeGraph::start().await;
    let client = fake.client("EAAG-test");
    let (source, destination) =
        (client.whatsapp_business_account("104996122399160"), client.whatsapp_business_account(WABA));
    // A library clone is approved at once on the fake server.
    let clone = NewTemplate::new("order_confirmation", "en_US", TemplateCategory::Utility)
        .component(json!({"type": "BODY", "text": "Your order {{1}} is confirmed."}));
    let created = source.create_template(&clone).await.unwrap();
    let archived = source.archive_templates([created.id.clone()]).await.unwrap();
    assert!(archived.done.is_empty(), "a pending template cannot be archived: {archived:?}");
    assert_eq!(archived.failed_templates.len(), 1);
    let group = destination.create_template_group("Launch", None, ["278077987957091"]).await.unwrap();
    let read = destination.template_group(group.id.unwrap()).await.unwrap();
    assert_eq!(read.name.as_deref(), Some("Launch"));
    let migrated = destination.migrate_templates(&WabaId::from("104996122399160"), 0).await.unwrap();
    assert!(migrated.done.is_empty(), "only approved templates migrate");
}

/// Graph errors of the template administration calls arrive typed, with Meta's code.
#[tokio::test]
async fn template_administration_errors_are_typed() {
    let server = MockServer::start().await;
    let error = |code: i64, message: &str| {
        ResponseTemplate::new(400)
            .set_body_json(json!({"error": {"message": message, "type": "OAuthException",
            "code": code, "fbtrace_id": "AtEmPlAtE"}}))
    };
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/message_templates/archive")))
        .respond_with(error(200, "(#200) Permissions error"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/template_groups")))
        .respond_with(error(100, "(#100) A template group with this name already exists"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{WABA}/migrate_message_templates")))
        .respond_with(error(100, "(#100) The source WABA is not owned by the same business"))
        .mount(&server)
        .await;
    let waba = client(&server).whatsapp_business_account(WABA);
    assert_eq!(waba.archive_templates(["1234567890"]).await.unwrap_err().kind(), ErrorKind::Permission);
    let duplicate =
        waba.create_template_group("Black Friday 2024", None, ["278077987957091"]).await.unwrap_err();
    assert_eq!(duplicate.kind(), ErrorKind::InvalidRequest);
    let foreign = waba.migrate_templates(&WabaId::from("104996122399160"), 0).await.unwrap_err();
    assert_eq!(foreign.api_error().map(|e| e.code()), Some(100));
}
