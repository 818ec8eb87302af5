//! Messenger and Instagram: exact requests of every endpoint, both Instagram hosts, limits.

use futures_util::TryStreamExt;
use meta_messaging::ErrorKind;
use meta_messaging::messenger::message::{
    Attachment, AttachmentKind, AttachmentSource, Button, Element, Message, MessageTag, NotificationType,
    QuickReply, Recipient, SenderAction, UtilityParameter, UtilityTemplate,
};
use meta_messaging::messenger::profile::{
    Greeting, IceBreaker, IceBreakers, MenuItem, MessengerProfile, PersistentMenu, WebviewHeight,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client, fixture};

const PAGE: &str = "496827783153891";
const IG: &str = "17841400000000000";
const PSID: &str = "4146131322999601";
const MID: &str = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM";

fn sent() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"recipient_id": PSID, "message_id": MID}))
}

async fn assert_page_send(message: Message, to: Recipient, expected: Value) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(&expected))
        .respond_with(sent())
        .expect(1)
        .mount(&server)
        .await;
    let response = client(&server).messenger(PAGE).send(to, message).await.unwrap();
    assert_eq!((response.recipient_id(), response.message_id().map(|m| m.as_str())), (Some(PSID), Some(MID)));
}

#[tokio::test]
async fn text_quick_replies_metadata_reply_persona_notification() {
    let message = Message::text("Pick a colour:")
        .quick_reply(QuickReply::text("Red", "RED"))
        .quick_reply(QuickReply::UserEmail)
        .metadata("crm-42")
        .reply_to(MID)
        .persona("1234567")
        .notification(NotificationType::SilentPush)
        .update();
    assert_page_send(
        message,
        PSID.into(),
        json!({
            "recipient": {"id": PSID}, "messaging_type": "UPDATE",
            "message": {"text": "Pick a colour:", "metadata": "crm-42", "quick_replies": [
                {"content_type": "text", "title": "Red", "payload": "RED"}, {"content_type": "user_email"}]},
            "reply_to": {"mid": MID}, "persona_id": "1234567", "notification_type": "SILENT_PUSH"
        }),
    )
    .await;
}

#[tokio::test]
async fn attachments_by_url_id_and_several_images() {
    assert_page_send(
        Message::attachment(Attachment::url(AttachmentKind::Image, "https://x.example/a.jpg").reusable()),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
               "message": {"attachment": {"type": "image", "payload": {"url": "https://x.example/a.jpg", "is_reusable": true}}}}),
    )
    .await;
    assert_page_send(
        Message::attachment(Attachment::id(AttachmentKind::File, "1745504518999123")),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
               "message": {"attachment": {"type": "file", "payload": {"attachment_id": "1745504518999123"}}}}),
    )
    .await;
    assert_page_send(
        Message::images([
            Attachment::url(AttachmentKind::Image, "https://x.example/1.jpg"),
            Attachment::id(AttachmentKind::Image, "99"),
        ]),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"attachments": [
            {"type": "image", "payload": {"url": "https://x.example/1.jpg"}},
            {"type": "image", "payload": {"attachment_id": "99"}}]}}),
    )
    .await;
}

#[tokio::test]
async fn generic_button_and_media_templates() {
    assert_page_send(
        Message::generic([Element::new("Welcome!")
            .subtitle("We have the right hat for everyone.")
            .image_url("https://x.example/hat.jpg")
            .default_url("https://x.example/")
            .button(Button::url("View Website", "https://x.example/"))
            .button(Button::postback("Start Chatting", "START"))]),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "template",
            "payload": {"template_type": "generic", "elements": [{
                "title": "Welcome!", "subtitle": "We have the right hat for everyone.", "image_url": "https://x.example/hat.jpg",
                "default_action": {"type": "web_url", "url": "https://x.example/"},
                "buttons": [{"type": "web_url", "url": "https://x.example/", "title": "View Website"},
                            {"type": "postback", "title": "Start Chatting", "payload": "START"}]}]}}}}),
    )
    .await;
    assert_page_send(
        Message::buttons("What next?", [Button::call("Call us", "+15105551234")]),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "template",
            "payload": {"template_type": "button", "text": "What next?",
                        "buttons": [{"type": "phone_number", "title": "Call us", "payload": "+15105551234"}]}}}}),
    )
    .await;
    assert_page_send(
        Message::media(AttachmentKind::Video, AttachmentSource::Id("555".into()), [Button::postback("More", "MORE")]),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "template",
            "payload": {"template_type": "media", "elements": [{"media_type": "video", "attachment_id": "555",
                        "buttons": [{"type": "postback", "title": "More", "payload": "MORE"}]}]}}}}),
    )
    .await;
}

#[tokio::test]
async fn tags_utility_templates_and_user_refs() {
    assert_page_send(
        Message::text("An agent here").tag(MessageTag::HumanAgent),
        Recipient::UserRef("ref-123".into()),
        json!({"recipient": {"user_ref": "ref-123"}, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT",
               "message": {"text": "An agent here"}}),
    )
    .await;
    // Meta's utility-message examples: a body parameter and a postback button; a header, a
    // named body parameter and a URL suffix.
    assert_page_send(
        Message::utility_template(
            UtilityTemplate::new("jaspers_market_order_confirmation_update_us", "en")
                .body(["confirmed"])
                .postback_button("12345"),
        ),
        "25381719828140932".into(),
        json!({"recipient": {"id": "25381719828140932"}, "messaging_type": "UTILITY", "message": {"template": {
            "name": "jaspers_market_order_confirmation_update_us", "language": {"code": "en"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "confirmed"}]},
                {"type": "buttons", "parameters": [{"type": "POSTBACK", "payload": "12345"}]}]}}}),
    )
    .await;
    assert_page_send(
        Message::utility_template(
            UtilityTemplate::new("order_delivery_update", "en")
                .header_text("Order")
                .body([UtilityParameter::named("order_id", "566701")])
                .url_button("1234"),
        ),
        PSID.into(),
        json!({"recipient": {"id": PSID}, "messaging_type": "UTILITY", "message": {"template": {
            "name": "order_delivery_update", "language": {"code": "en"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "Order"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "566701", "parameter_name": "order_id"}]},
                {"type": "buttons", "parameters": [{"type": "URL", "url": "1234"}]}]}}}),
    )
    .await;
}

/// The Page's utility templates, per Meta's utility-messages guide: library search, a clone,
/// one of the Page's own, the list.
#[tokio::test]
async fn utility_template_library_clone_create_and_list() {
    use meta_messaging::messenger::templates::NewUtilityTemplate;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/message_template_library"))
        .and(query_param("name_or_content", "order"))
        .and(query_param("language", "en"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{
            "name": "order_confirmation_1", "language": "en", "category": "UTILITY", "topic": "ORDER_MANAGEMENT",
            "usecase": "DELIVERY_CONFIRMATION", "industry": ["E_COMMERCE"],
            "body": "{{1}}, your order was successfully delivered!\n\nYou can track your package and manage your order below.",
            "body_params": ["John"], "body_param_types": ["TEXT"],
            "buttons": [{"type": "URL", "text": "Manage order", "url": "https://www.example.com"}], "id": "7635027653257090"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/message_templates")))
        .and(body_json(json!({
            "name": "jaspers_market_order_confirmation_1", "category": "UTILITY", "language": "en_US",
            "library_template_name": "order_confirmation_1",
            "library_template_body_inputs": [{"type": "body", "text": "{{1}}, your order was successfully delivered!"}],
            "library_template_button_inputs": [{"type": "URL", "text": "Manage your order", "url": {"base_url": "https://www.jaspersmarket.com/"}}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "102295129340398", "status": "APPROVED", "category": "UTILITY"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/message_templates")))
        .and(body_json(json!({
            "name": "jaspers_market_order_delivery_update_us", "language": "en", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Good news! Your order #{{1}} is on its way. Thank you for your order!",
                            "example": {"body_text": [["566701"]]}}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "104595129340398", "status": "APPROVED", "category": "UTILITY"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/message_templates")))
        .and(query_param("name", "jaspers_market_order_delivery_update_us"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{
            "name": "jaspers_market_order_delivery_update_us", "language": "en", "category": "UTILITY",
            "status": "APPROVED", "id": "104595129340398"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let library: Vec<_> =
        page.utility_template_library("order", Some("en")).items().try_collect().await.unwrap();
    assert_eq!((library[0].name.as_deref(), library[0].body_params.len()), (Some("order_confirmation_1"), 1));
    let clone = NewUtilityTemplate::from_library("jaspers_market_order_confirmation_1", "en_US", "order_confirmation_1")
        .body_input(json!({"type": "body", "text": "{{1}}, your order was successfully delivered!"}))
        .button_input(json!({"type": "URL", "text": "Manage your order", "url": {"base_url": "https://www.jaspersmarket.com/"}}));
    let created = page.create_utility_template(&clone).await.unwrap();
    assert_eq!(
        (created.id.as_deref(), created.status.as_deref()),
        (Some("102295129340398"), Some("APPROVED"))
    );
    let own = NewUtilityTemplate::new("jaspers_market_order_delivery_update_us", "en").component(json!({
        "type": "BODY", "text": "Good news! Your order #{{1}} is on its way. Thank you for your order!",
        "example": {"body_text": [["566701"]]}}));
    assert_eq!(page.create_utility_template(&own).await.unwrap().id.as_deref(), Some("104595129340398"));
    let listed: Vec<_> = page
        .utility_templates(Some("jaspers_market_order_delivery_update_us"))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed[0].status.as_deref(), Some("APPROVED"));
    let empty = NewUtilityTemplate::new("no_components", "en");
    assert_eq!(page.create_utility_template(&empty).await.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn sender_actions_and_reactions() {
    let server = MockServer::start().await;
    for body in [
        json!({"recipient": {"id": PSID}, "sender_action": "typing_on"}),
        json!({"recipient": {"id": PSID}, "sender_action": "mark_seen"}),
        json!({"recipient": {"id": PSID}, "sender_action": "react", "payload": {"message_id": MID, "reaction": "😊"}}),
        json!({"recipient": {"id": PSID}, "sender_action": "unreact", "payload": {"message_id": MID}}),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/messages")))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"recipient_id": PSID})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let page = client(&server).messenger(PAGE);
    page.sender_action(PSID, SenderAction::TypingOn).await.unwrap();
    page.sender_action(PSID, SenderAction::MarkSeen).await.unwrap();
    page.react(PSID, MID, "😊").await.unwrap();
    page.unreact(PSID, MID).await.unwrap();
}

#[tokio::test]
async fn attachments_upload_and_save() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/messages")))
        .and(body_string_contains(r#"name="recipient""#))
        .and(body_string_contains(format!(r#"{{"id":"{PSID}"}}"#)))
        .and(body_string_contains(r#"{"attachment":{"payload":{"is_reusable":true},"type":"image"}}"#))
        .and(body_string_contains(r#"name="filedata"; filename="shirt.png""#))
        .and(body_string_contains("name=\"messaging_type\"\r\n\r\nRESPONSE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"recipient_id": PSID, "message_id": MID, "attachment_id": "1857777774821032"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/message_attachments")))
        .and(body_json(json!({"message": {"attachment": {"type": "video", "payload": {"url": "https://x.example/v.mp4", "is_reusable": true}}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"attachment_id": "1857777774821033"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/message_attachments")))
        .and(body_string_contains(r#"name="filedata"; filename="doc.pdf""#))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"attachment_id": 1_857_777_774_821_034_u64})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let sent = page
        .send_upload(
            PSID,
            AttachmentKind::Image,
            bytes::Bytes::from_static(b"PNG"),
            "image/png",
            "shirt.png",
            true,
        )
        .await
        .unwrap();
    assert_eq!(sent.attachment_id(), Some("1857777774821032"));
    let saved = page
        .save_attachment(&Attachment::url(AttachmentKind::Video, "https://x.example/v.mp4"))
        .await
        .unwrap();
    assert_eq!(saved.attachment_id, "1857777774821033");
    let uploaded = page
        .upload_attachment(
            AttachmentKind::File,
            bytes::Bytes::from_static(b"%PDF"),
            "application/pdf",
            "doc.pdf",
        )
        .await
        .unwrap();
    assert_eq!(uploaded.attachment_id, "1857777774821034");
}

#[tokio::test]
async fn personas_and_user_profile() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/personas")))
        .and(body_json(json!({"name": "Adam", "profile_picture_url": "https://x.example/adam.jpg"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "311216893207044"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/311216893207044"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "Adam", "profile_picture_url": "https://x.example/adam.jpg", "id": "311216893207044"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/personas")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"name": "Adam", "id": "311216893207044"}], "paging": {"cursors": {"before": "A", "after": "B"}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v26.0/311216893207044"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PSID}")))
        .and(query_param("fields", "first_name,last_name,profile_pic"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"first_name": "Peter", "last_name": "Chang", "profile_pic": "https://x.example/p.jpg", "id": PSID})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    assert_eq!(
        page.create_persona("Adam", "https://x.example/adam.jpg").await.unwrap().id,
        "311216893207044"
    );
    assert_eq!(page.persona("311216893207044").await.unwrap().name.as_deref(), Some("Adam"));
    let all: Vec<_> = page.personas().items().try_collect().await.unwrap();
    assert_eq!(all.len(), 1);
    page.delete_persona("311216893207044").await.unwrap();
    let profile = page.user_profile(PSID).await.unwrap();
    assert_eq!((profile.first_name.as_deref(), profile.id.as_deref()), (Some("Peter"), Some(PSID)));
    assert_eq!(
        page.create_persona("x".repeat(51), "https://x").await.unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[tokio::test]
async fn messenger_profile_get_set_delete() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/messenger_profile")))
        .and(query_param("fields", "get_started,greeting"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"get_started": {"payload": "GET_STARTED"}, "greeting": [{"locale": "default", "text": "Hi {{user_first_name}}!"}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/messenger_profile")))
        .and(body_json(json!({
            "get_started": {"payload": "GET_STARTED"},
            "greeting": [{"locale": "default", "text": "Hello!"}],
            "ice_breakers": [{"locale": "default", "call_to_actions": [{"question": "Where are you?", "payload": "WHERE"}]}],
            "whitelisted_domains": ["https://shop.example"]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{PAGE}/messenger_profile")))
        .and(body_json(json!({"fields": ["get_started", "greeting"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let current = page.messenger_profile(&["get_started", "greeting"]).await.unwrap();
    assert_eq!(current.data[0].get_started.as_ref().unwrap().payload, "GET_STARTED");
    let profile = MessengerProfile::new()
        .get_started("GET_STARTED")
        .greeting(Greeting::new("default", "Hello!"))
        .ice_breakers(IceBreakers::new("default", [IceBreaker::new("Where are you?", "WHERE")]))
        .whitelisted_domains(["https://shop.example"]);
    assert_eq!(page.set_messenger_profile(&profile).await.unwrap().result.as_deref(), Some("success"));
    page.delete_messenger_profile(&["get_started", "greeting"]).await.unwrap();
    let no_default = MessengerProfile::new().greeting(Greeting::new("en_US", "Hi"));
    assert_eq!(page.set_messenger_profile(&no_default).await.unwrap_err().kind(), ErrorKind::Validation);
}

/// Meta's persistent-menu example (Messenger Platform, "Persistent Menu"): set, read back
/// typed, delete; items checked locally first.
#[tokio::test]
async fn persistent_menu_set_get_delete() {
    let meta_menu = json!([{
        "locale": "default",
        "composer_input_disabled": false,
        "call_to_actions": [
            {"type": "postback", "title": "Talk to an agent", "payload": "CARE_HELP"},
            {"type": "postback", "title": "Outfit suggestions", "payload": "CURATION"},
            {"type": "web_url", "title": "Shop now", "url": "https://www.originalcoastclothing.com/", "webview_height_ratio": "full"}
        ]
    }]);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/messenger_profile")))
        .and(body_json(json!({"persistent_menu": meta_menu})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/messenger_profile")))
        .and(query_param("fields", "persistent_menu"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"persistent_menu": [{
            "locale": "default", "composer_input_disabled": false,
            "call_to_actions": [
                {"type": "postback", "title": "Talk to an agent", "payload": "CARE_HELP"},
                {"type": "nested", "title": "More", "call_to_actions": [{"type": "postback", "title": "Hours", "payload": "HOURS"}]},
                {"type": "game_play", "title": "Play"}
            ]}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{PAGE}/messenger_profile")))
        .and(body_json(json!({"fields": ["persistent_menu"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let menu = PersistentMenu::new(
        "default",
        [
            MenuItem::postback("Talk to an agent", "CARE_HELP"),
            MenuItem::postback("Outfit suggestions", "CURATION"),
            MenuItem::web_url("Shop now", "https://www.originalcoastclothing.com/")
                .webview_height(WebviewHeight::Full),
        ],
    );
    let profile = MessengerProfile::new().persistent_menu(menu);
    assert_eq!(page.set_messenger_profile(&profile).await.unwrap().result.as_deref(), Some("success"));
    let read = page.messenger_profile(&["persistent_menu"]).await.unwrap();
    let items = &read.data[0].persistent_menu.as_ref().unwrap()[0].call_to_actions;
    assert_eq!(items[0], MenuItem::postback("Talk to an agent", "CARE_HELP"));
    let MenuItem::Nested { call_to_actions, .. } = &items[1] else { panic!("{:?}", items[1]) };
    assert_eq!(call_to_actions[0].title(), Some("Hours"));
    assert!(matches!(&items[2], MenuItem::Unknown(raw) if raw["type"] == "game_play"), "kept as sent");
    page.delete_messenger_profile(&["persistent_menu"]).await.unwrap();

    let too_long = MessengerProfile::new()
        .persistent_menu(PersistentMenu::new("default", [MenuItem::postback("x".repeat(31), "P")]));
    let err = page.set_messenger_profile(&too_long).await.unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "persistent_menu.call_to_actions.title");
    // Nested items read back, but Meta refuses them since v8.0: refused locally.
    let nested = read.data[0].persistent_menu.clone().unwrap().remove(0);
    let err = page.set_messenger_profile(&MessengerProfile::new().persistent_menu(nested));
    assert_eq!(
        err.await.unwrap_err().validation_error().unwrap().field(),
        "persistent_menu.call_to_actions.type"
    );
    let no_default = MessengerProfile::new().persistent_menu(PersistentMenu::new("en_US", []));
    assert_eq!(page.set_messenger_profile(&no_default).await.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn conversations_and_messages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/conversations")))
        .and(query_param("platform", "messenger"))
        .and(query_param("user_id", PSID))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"data": [{"id": "t_10161", "updated_time": "2026-11-20T10:00:00+0000"}]}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{MID}")))
        .and(query_param("fields", "id,created_time,from,to,message"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": MID, "created_time": "2026-11-20T10:00:00+0000", "from": {"id": PSID}, "message": "hi"})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let conversations: Vec<_> = page.conversations_with(PSID).items().try_collect().await.unwrap();
    assert_eq!(conversations[0].id, "t_10161");
    assert_eq!(page.conversation_message(MID).await.unwrap().message.as_deref(), Some("hi"));
}

#[tokio::test]
async fn messenger_limits_and_window_errors() {
    let cases = [
        (Message::text("x".repeat(2001)), "message.text"),
        (
            Message::text("hi").quick_reply(QuickReply::text("x".repeat(21), "P")),
            "message.quick_replies.title",
        ),
        (
            (0..14).fold(Message::text("hi"), |m, i| m.quick_reply(QuickReply::text(format!("q{i}"), "P"))),
            "message.quick_replies",
        ),
        (Message::generic((0..11).map(|i| Element::new(format!("e{i}")).subtitle("s"))), "elements"),
        (Message::generic([Element::new("only a title")]), "elements"),
        (Message::generic([Element::new("x".repeat(81)).subtitle("s")]), "elements.title"),
        (
            Message::generic([
                (0..4).fold(Element::new("t"), |e, i| e.button(Button::postback(format!("b{i}"), "P")))
            ]),
            "elements.buttons",
        ),
        (Message::buttons("x".repeat(641), [Button::postback("a", "A")]), "text"),
        (Message::buttons("q", []), "buttons"),
        (Message::buttons("q", [Button::call("Call", "5105551234")]), "buttons.payload"),
        (
            Message::images(
                (0..31).map(|_| Attachment::url(AttachmentKind::Image, "https://x.example/i.jpg")),
            ),
            "message.attachments",
        ),
        (Message::text("hi").tag(MessageTag::from("ACCOUNT_UPDATE")), "tag"),
        (Message::text("hi").metadata("x".repeat(1001)), "message.metadata"),
        (Message::utility_template(UtilityTemplate::new("", "en")), "message.template.name"),
    ];
    for (message, field) in cases {
        let err = message.validate().unwrap_err();
        assert_eq!(err.field(), field, "{err}");
    }
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_bytes(fixture("errors/10_2018278_outside_window.json")),
        )
        .mount(&server)
        .await;
    let err = client(&server).messenger(PAGE).send_text(PSID, "late").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideWindow);
    let err = client(&server).messenger(PAGE).send_text("", "hi").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn instagram_on_both_hosts() {
    for instagram_login in [false, true] {
        let server = MockServer::start().await;
        let (prefix, node) = if instagram_login { ("/ig/v26.0", IG) } else { ("/v26.0", PAGE) };
        for body in [
            json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Hello"}}),
            json!({"recipient": {"comment_id": "17890000000000001"}, "messaging_type": "RESPONSE", "message": {"text": "We sent you a DM"}}),
            json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "like_heart"}}}),
            json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "audio", "payload": {"url": "https://x.example/a.m4a"}}}}),
            json!({"recipient": {"id": PSID}, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT", "message": {"text": "An agent"}}),
            json!({"recipient": {"id": PSID}, "sender_action": "react", "payload": {"message_id": MID, "reaction": "love"}}),
            json!({"recipient": {"id": PSID}, "sender_action": "unreact", "payload": {"message_id": MID}}),
            json!({"recipient": {"id": PSID}, "sender_action": "typing_on"}),
        ] {
            Mock::given(method("POST"))
                .and(path(format!("{prefix}/{node}/messages")))
                .and(body_json(body))
                .respond_with(sent())
                .expect(1)
                .mount(&server)
                .await;
        }
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/{PSID}")))
            .and(query_param("fields", "name,username,profile_pic,follower_count,is_user_follow_business,is_business_follow_user,is_verified_user"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": null, "username": "peter_chang_live", "follower_count": 1234, "is_user_follow_business": false, "is_business_follow_user": true, "id": PSID})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("{prefix}/{node}/messenger_profile")))
            .and(query_param("platform", "instagram"))
            .and(body_json(json!({"platform": "instagram", "ice_breakers": [{"locale": "default", "call_to_actions": [{"question": "Prices?", "payload": "PRICES"}]}]})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/{node}/messenger_profile")))
            .and(query_param("fields", "ice_breakers"))
            .and(query_param("platform", "instagram"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"ice_breakers": [{"locale": "default", "call_to_actions": [{"question": "Prices?", "payload": "PRICES"}]}]}]})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("{prefix}/{node}/messenger_profile")))
            .and(body_json(json!({"fields": ["ice_breakers"], "platform": "instagram"})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": "success"})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{prefix}/{node}/conversations")))
            .and(query_param("platform", "instagram"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"data": [{"id": "aWdfZAG06", "updated_time": "2026-11-20T10:00:00+0000"}]}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let mut ig = client(&server).instagram(node);
        if instagram_login {
            ig = ig.with_instagram_login();
        }
        assert_eq!(ig.is_instagram_login(), instagram_login);
        ig.send_text(PSID, "Hello").await.unwrap();
        ig.private_reply("17890000000000001", "We sent you a DM").await.unwrap();
        ig.send(PSID, Message::like_heart()).await.unwrap();
        ig.send(PSID, Message::attachment(Attachment::url(AttachmentKind::Audio, "https://x.example/a.m4a")))
            .await
            .unwrap();
        ig.send(PSID, Message::text("An agent").tag(MessageTag::HumanAgent)).await.unwrap();
        ig.react(PSID, MID, "love").await.unwrap();
        ig.unreact(PSID, MID).await.unwrap();
        ig.sender_action(PSID, SenderAction::TypingOn).await.unwrap();
        let profile = ig.user_profile(PSID).await.unwrap();
        assert_eq!(
            (profile.username.as_deref(), profile.name, profile.follower_count),
            (Some("peter_chang_live"), None, Some(1234))
        );
        ig.set_ice_breakers(vec![IceBreakers::new("default", [IceBreaker::new("Prices?", "PRICES")])])
            .await
            .unwrap();
        assert_eq!(
            ig.ice_breakers().await.unwrap().data[0].ice_breakers.as_ref().unwrap()[0].call_to_actions.len(),
            1
        );
        ig.delete_ice_breakers().await.unwrap();
        let conversations: Vec<_> = ig.conversations().items().try_collect().await.unwrap();
        assert_eq!(conversations[0].id, "aWdfZAG06");
    }
}

#[tokio::test]
async fn instagram_limits_and_errors() {
    let server = MockServer::start().await;
    let ig = client(&server).instagram(IG).with_instagram_login();
    // 1000 bytes, not characters: 500 two-byte characters fit, 501 do not.
    let err = ig.send_text(PSID, "é".repeat(501)).await.unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "message.text");
    let err = ig
        .send(
            PSID,
            Message::images(
                (0..11).map(|_| Attachment::url(AttachmentKind::Image, "https://x.example/i.jpg")),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "message.attachments");
    let err = ig.send(PSID, Message::text("x").tag(MessageTag::from("CUSTOMER_FEEDBACK"))).await.unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "tag");
    let many = vec![IceBreakers::new("default", (0..5).map(|i| IceBreaker::new(format!("q{i}"), "P")))];
    assert_eq!(ig.set_ice_breakers(many).await.unwrap_err().kind(), ErrorKind::Validation);
    assert!(server.received_requests().await.unwrap().is_empty());
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(403).set_body_bytes(fixture("errors/10_2534022_ig_outside_window.json")),
        )
        .mount(&server)
        .await;
    let err = ig.send_text(PSID, "é".repeat(500)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideWindow);
}

#[tokio::test]
async fn typed_ids_convert_and_reach_the_wire() {
    use meta_messaging::instagram::{Igsid, InstagramAccountId};
    use meta_messaging::messenger::{Mid, PageId, Psid};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/messages")))
        .and(body_json(json!({
            "recipient": {"id": PSID}, "sender_action": "react",
            "payload": {"message_id": MID, "reaction": "love"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"recipient_id": PSID})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{IG}/conversations")))
        .and(query_param("platform", "instagram"))
        .and(query_param("user_id", "1234567890123456"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "aWdfZAG06"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PageId::new(PAGE));
    assert_eq!(page.page_id(), &PageId::from(PAGE));
    let reacted = page.react(Psid::new(PSID), Mid::new(MID), "love").await.unwrap();
    assert_eq!((reacted.recipient_id(), reacted.message_id()), (Some(PSID), None));

    let ig = client(&server).instagram(InstagramAccountId::new(IG));
    assert_eq!(ig.account_id().as_str(), IG);
    let conversations: Vec<_> =
        ig.conversations_with(Igsid::new("1234567890123456")).items().try_collect().await.unwrap();
    assert_eq!(conversations[0].id, "aWdfZAG06");
}

#[tokio::test]
async fn uploads_and_saved_attachments_are_checked_before_sending() {
    let server = MockServer::start().await;
    let page = client(&server).messenger(PAGE);
    let err = page
        .send_upload(Recipient::id(""), AttachmentKind::Image, &b"\x89PNG"[..], "image/png", "a.png", false)
        .await
        .unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "recipient");
    let err = page
        .save_attachment(&Attachment::url(AttachmentKind::Image, "ftp://x.example/a.png"))
        .await
        .unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "message.attachment.payload.url");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Handover / Conversation Routing, requests and answers as in Meta's Handover Protocol
/// reference (a routed take answers with the new owner instead of `success`).
#[tokio::test]
async fn thread_control_pass_take_request_release_and_owner() {
    use meta_messaging::messenger::handover::PAGE_INBOX_APP_ID;
    let server = MockServer::start().await;
    let post = |edge: &str, body: Value, answer: Value| {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/{edge}")))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
    };
    post(
        "pass_thread_control",
        json!({"recipient": {"id": PSID}, "target_app_id": 263_902_037_430_900_u64, "metadata": "to a person"}),
        json!({"success": true}),
    )
    .mount(&server)
    .await;
    post(
        "take_thread_control",
        json!({"recipient": {"id": PSID}}),
        json!({"data": [{"thread_owner": {"app_id": "1234567890", "expiration": 1_766_000_000}}]}),
    )
    .mount(&server)
    .await;
    post(
        "request_thread_control",
        json!({"recipient": {"id": PSID}, "metadata": "please"}),
        json!({"success": true}),
    )
    .mount(&server)
    .await;
    post("release_thread_control", json!({"recipient": {"id": PSID}}), json!({"success": true}))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/thread_owner")))
        .and(query_param("recipient", PSID))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"thread_owner": {"app_id": 12_345_678_910_u64}}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/secondary_receivers")))
        .and(query_param("fields", "id,name"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "12345678910", "name": "David's Composer"}, {"id": "23456789101", "name": "Messenger Rocks"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    assert!(page.handover().pass(PSID, PAGE_INBOX_APP_ID, Some("to a person".into())).await.unwrap().success);
    let taken = page.handover().take(PSID, None).await.unwrap();
    assert!(taken.success);
    assert_eq!(taken.thread_owner.unwrap().app_id.as_deref(), Some("1234567890"));
    assert!(page.handover().request(PSID, Some("please".into())).await.unwrap().success);
    assert!(page.handover().release(PSID).await.unwrap().success);
    let owner = page.handover().owner(PSID).await.unwrap().owner.unwrap();
    assert_eq!(owner.app_id.as_deref(), Some("12345678910"));
    let receivers: Vec<_> = page.handover().secondary_receivers().items().try_collect().await.unwrap();
    assert_eq!(receivers[1].name.as_deref(), Some("Messenger Rocks"));
    // An empty recipient is refused before anything is sent.
    let err = page.handover().take(Recipient::id(""), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
}

/// Instagram comment moderation, per Meta's IG Comment reference: list, reply publicly, hide,
/// unhide, delete.
#[tokio::test]
async fn instagram_comment_moderation() {
    const COMMENT: &str = "17870913679156914";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/17895695668004550/comments"))
        .and(query_param("fields", "id,text,timestamp,username,hidden"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"timestamp": "2017-08-31T19:16:02+0000", "text": "This is awesome!", "id": COMMENT},
            {"timestamp": "2017-08-31T18:10:30+0000", "text": "*Sniff*", "id": "17873440459141021", "hidden": true}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/ig/v26.0/{COMMENT}/replies")))
        .and(query_param("message", "Thanks! Check your DMs"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "17873440459141021"})))
        .expect(1)
        .mount(&server)
        .await;
    for hide in ["true", "false"] {
        Mock::given(method("POST"))
            .and(path(format!("/ig/v26.0/{COMMENT}")))
            .and(query_param("hide", hide))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("DELETE"))
        .and(path(format!("/ig/v26.0/{COMMENT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/ig/v26.0/{IG}/pass_thread_control")))
        .and(body_json(json!({"recipient": {"id": PSID}, "target_app_id": 1_217_981_644_879_628_u64})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let ig = client(&server).instagram(IG).with_instagram_login();
    let inbox = meta_messaging::messenger::handover::INSTAGRAM_INBOX_APP_ID;
    assert!(ig.handover().pass(PSID, inbox, None).await.unwrap().success, "on the Instagram host");
    let comments: Vec<_> = ig.comments("17895695668004550").items().try_collect().await.unwrap();
    assert_eq!(comments[0].id.as_ref().map(|c| c.as_str()), Some(COMMENT));
    assert_eq!((comments[1].text.as_deref(), comments[1].hidden), (Some("*Sniff*"), Some(true)));
    assert_eq!(ig.reply_to_comment(COMMENT, "Thanks! Check your DMs").await.unwrap().id, "17873440459141021");
    ig.hide_comment(COMMENT, true).await.unwrap();
    ig.hide_comment(COMMENT, false).await.unwrap();
    ig.delete_comment(COMMENT).await.unwrap();
    assert_eq!(ig.reply_to_comment(COMMENT, "").await.unwrap_err().kind(), ErrorKind::Validation);
}
