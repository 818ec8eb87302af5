//! Phone-number management: block users, QR codes, marketing messages, conversational
//! components, commerce settings, webhook override; requests and answers from Meta's
//! references.

use meta_messaging::ErrorKind;
use meta_messaging::whatsapp::manage::{ConversationalAutomation, QrImageFormat};
use meta_messaging::whatsapp::{Message, Template};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::client;

const PHONE: &str = "106540352242922";

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn users_are_blocked_listed_and_unblocked() {
    let server = MockServer::start().await;
    let body = json!({"messaging_product": "whatsapp", "block_users": [{"user": "+16505551234"}]});
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/block_users")))
        .and(body_json(&body))
        .respond_with(ok(json!({"messaging_product": "whatsapp",
            "block_users": {"added_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{PHONE}/block_users")))
        .and(body_json(&body))
        .respond_with(ok(json!({"messaging_product": "whatsapp",
            "block_users": {"removed_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/block_users")))
        .respond_with(ok(json!({"data": [{"messaging_product": "whatsapp", "wa_id": "16505551234"}],
            "paging": {"cursors": {"after": "eyJvZA", "before": "eyJ"}}})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let blocked = wa.block_users(["+16505551234"]).await.unwrap();
    assert_eq!(blocked.block_users.added_users[0].wa_id.as_deref(), Some("16505551234"));
    assert_eq!(wa.blocked_users().await.unwrap().data[0].wa_id.as_deref(), Some("16505551234"));
    assert_eq!(wa.unblock_users(["+16505551234"]).await.unwrap().block_users.removed_users.len(), 1);
    assert_eq!(wa.block_users(Vec::<String>::new()).await.unwrap_err().kind(), ErrorKind::Validation);

    // Some users failed: Meta answers 400 with code 139100.
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/block_users")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"messaging_product": "whatsapp",
            "block_users": {"added_users": [], "failed_users": [{"input": "123", "errors": [{"message": "Re-engagement", "code": 131_047}]}]},
            "error": {"message": "(#139100) Failed to block/unblock users", "type": "OAuthException", "code": 139_100,
                "error_data": {"details": "Failed to block some users, see the block_users response list for details"},
                "fbtrace_id": "AbC"}})))
        .with_priority(1)
        .mount(&server)
        .await;
    let err = wa.block_users(["123"]).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().code(), 139_100);
}

#[tokio::test]
async fn qr_codes_are_created_read_updated_and_deleted() {
    const CODE: &str = "4O4YGZEG3RIVE1";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/message_qrdls")))
        .and(body_json(json!({"prefilled_message": "Cyber Monday", "generate_qr_image": "SVG"})))
        .respond_with(ok(json!({"code": CODE, "prefilled_message": "Cyber Monday",
            "deep_link_url": "https://wa.me/message/4O4YGZEG3RIVE1", "qr_image_url": "https://scontent.xx.fbcdn.net/qr.svg"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/message_qrdls")))
        .and(body_json(json!({"code": CODE, "prefilled_message": "Cyber Tuesday"})))
        .respond_with(ok(json!({"code": CODE, "prefilled_message": "Cyber Tuesday", "deep_link_url": "https://wa.me/message/4O4YGZEG3RIVE1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/message_qrdls")))
        .respond_with(ok(json!({"data": [{"code": CODE, "prefilled_message": "Cyber Monday", "deep_link_url": "https://wa.me/message/4O4YGZEG3RIVE1"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/message_qrdls/{CODE}")))
        .respond_with(ok(json!({"data": [{"code": CODE, "prefilled_message": "Cyber Monday", "deep_link_url": "https://wa.me/message/4O4YGZEG3RIVE1"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{PHONE}/message_qrdls/{CODE}")))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let created = wa.create_qr_code("Cyber Monday", QrImageFormat::Svg).await.unwrap();
    assert!(created.qr_image_url.is_some() && created.code.as_deref() == Some(CODE));
    assert_eq!(
        wa.update_qr_code(CODE, "Cyber Tuesday").await.unwrap().prefilled_message.as_deref(),
        Some("Cyber Tuesday")
    );
    assert_eq!(wa.qr_codes().await.unwrap().data.len(), 1);
    assert_eq!(
        wa.qr_code(CODE).await.unwrap().data[0].deep_link_url.as_deref(),
        Some("https://wa.me/message/4O4YGZEG3RIVE1")
    );
    wa.delete_qr_code(CODE).await.unwrap();
    let long = wa.create_qr_code("x".repeat(141), QrImageFormat::Png).await.unwrap_err();
    assert_eq!(long.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn marketing_messages_go_to_their_endpoint_and_only_templates() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/marketing_messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16315552222",
            "type": "template", "template": {"name": "hello_world", "language": {"code": "en"}}})))
        .respond_with(ok(json!({"contacts": [{"input": "16315552222", "wa_id": "16315552222"}],
            "messages": [{"id": "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww"}], "messaging_product": "whatsapp", "success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let sent = wa
        .send_marketing("16315552222", Message::template(Template::new("hello_world", "en")))
        .await
        .unwrap();
    assert_eq!(sent.message_id().unwrap().as_str(), "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww");
    assert_eq!(
        wa.send_marketing("16315552222", Message::text("hi")).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[tokio::test]
async fn conversational_components_commerce_settings_and_webhook_override() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/conversational_automation")))
        .and(body_json(
            json!({"enable_welcome_message": true, "prompts": ["Book a flight", "plan a vacation"],
            "commands": [{"command_name": "tickets", "command_description": "Book flight tickets"}]}),
        ))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(query_param("fields", "conversational_automation"))
        .respond_with(ok(json!({"conversational_automation": {"prompts": ["Find the best hotels in the area"],
            "commands": [{"command_name": "tickets", "command_description": "Book flight tickets"}]}, "id": PHONE})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/whatsapp_commerce_settings")))
        .respond_with(ok(
            json!({"data": [{"id": "527759822865714", "is_cart_enabled": true, "is_catalog_visible": true}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/whatsapp_commerce_settings")))
        .and(query_param("is_cart_enabled", "true"))
        .and(query_param("is_catalog_visible", "false"))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(body_json(json!({"webhook_configuration": {"override_callback_uri": "https://my-phone-alternate-callback.com/webhook",
            "verify_token": "myvoiceismypassport?"}})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(body_json(json!({"webhook_configuration": {"override_callback_uri": ""}})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}")))
        .and(query_param("fields", "webhook_configuration"))
        .respond_with(ok(json!({"webhook_configuration": {"phone_number": "https://my-phone-alternate-callback.com/webhook",
            "application": "https://my-production-callback.com/webhook"}, "id": PHONE})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let automation = ConversationalAutomation::new()
        .welcome_message(true)
        .prompts(["Book a flight", "plan a vacation"])
        .command("tickets", "Book flight tickets");
    wa.set_conversational_automation(&automation).await.unwrap();
    assert_eq!(wa.conversational_automation().await.unwrap().0.commands.unwrap()[0].command_name, "tickets");
    assert_eq!(wa.commerce_settings().await.unwrap().data[0].is_cart_enabled, Some(true));
    wa.set_commerce_settings(true, false).await.unwrap();
    wa.set_webhook_override("https://my-phone-alternate-callback.com/webhook", "myvoiceismypassport?")
        .await
        .unwrap();
    wa.delete_webhook_override().await.unwrap();
    let configuration = wa.webhook_configuration().await.unwrap().0;
    assert_eq!(configuration.application.as_deref(), Some("https://my-production-callback.com/webhook"));
    assert_eq!(
        wa.set_webhook_override("http://insecure.example", "t").await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let too_many = automation.prompts(["p"; 5]);
    assert_eq!(wa.set_conversational_automation(&too_many).await.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn changing_only_the_welcome_message_leaves_prompts_and_commands_alone() {
    let server = MockServer::start().await;
    // Exactly this body: an empty `prompts` or `commands` would remove the saved ones.
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/conversational_automation")))
        .and(body_json(json!({"enable_welcome_message": false})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/conversational_automation")))
        .and(body_json(json!({"commands": []})))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    wa.set_conversational_automation(&ConversationalAutomation::new().welcome_message(false)).await.unwrap();
    wa.set_conversational_automation(&ConversationalAutomation::new().clear_commands()).await.unwrap();
}

/// The Marketing Messages API's options (Meta's "Send marketing messages" page).
#[tokio::test]
async fn marketing_messages_carry_the_product_policy_and_activity_sharing() {
    use meta_messaging::whatsapp::manage::{MarketingOptions, ProductPolicy};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/marketing_messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16315552222",
            "type": "template", "template": {"name": "spring_sale", "language": {"code": "en_US"}},
            "product_policy": "STRICT", "message_activity_sharing": false})))
        .respond_with(ok(json!({"contacts": [{"input": "16315552222", "wa_id": "16315552222"}],
            "messages": [{"id": "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_xx"}], "messaging_product": "whatsapp", "success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let options =
        MarketingOptions::new().product_policy(ProductPolicy::Strict).message_activity_sharing(false);
    let sent = client(&server)
        .whatsapp(PHONE)
        .send_marketing_with(
            "16315552222",
            Message::template(Template::new("spring_sale", "en_US")),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(sent.message_id().unwrap().as_str(), "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_xx");
}
