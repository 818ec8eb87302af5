//! Usernames and business-scoped user ids on the management side: the business username API,
//! and every endpoint that takes a user by BSUID (requests as Meta's business-scoped user ids
//! page documents them), then a username-only user answered end to end on the fake Graph.

use meta_messaging::whatsapp::usernames::UsernameStatus;
use meta_messaging::whatsapp::{Message, Recipient, Template};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::client;

const PHONE: &str = "106540352242922";
const BSUID: &str = "US.13491208655302741918";

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn the_business_username_is_set_read_suggested_and_deleted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/username")))
        .and(body_json(json!({"username": "jaspers.market"})))
        .respond_with(ok(json!({"status": "reserved"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/username")))
        .respond_with(ok(json!({"username": "jaspers.market", "status": "approved"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/username_suggestions")))
        .respond_with(ok(json!({"data": [{"username_suggestions": ["jaspers.market", "jaspersmarket"]}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{PHONE}/username")))
        .respond_with(ok(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    assert_eq!(wa.set_username("jaspers.market").await.unwrap().status, Some(UsernameStatus::Reserved));
    let current = wa.username().await.unwrap();
    assert_eq!(
        (current.username.as_deref(), current.status),
        (Some("jaspers.market"), Some(UsernameStatus::Approved))
    );
    let suggestions = wa.username_suggestions().await.unwrap();
    assert_eq!(suggestions.all().collect::<Vec<_>>(), ["jaspers.market", "jaspersmarket"]);
    wa.delete_username().await.unwrap();
    // Checked before the request: no request is made for these.
    for bad in ["", "  ", "jaspers market", "@jaspers"] {
        assert_eq!(
            wa.set_username(bad).await.unwrap_err().kind(),
            meta_messaging::ErrorKind::Validation,
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn an_unavailable_username_is_a_typed_graph_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/username")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "Username is not available", "type": "OAuthException", "code": 147001,
            "fbtrace_id": "A1b2C3"}})))
        .mount(&server)
        .await;
    let error = client(&server).whatsapp(PHONE).set_username("taken.name").await.unwrap_err();
    assert_eq!(error.api_error().unwrap().code(), 147_001);
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn users_are_blocked_called_checked_and_removed_by_bsuid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/block_users")))
        .and(body_json(json!({"messaging_product": "whatsapp",
            "block_users": [{"user": "+16505551234"}, {"user_id": BSUID}]})))
        .respond_with(ok(json!({"messaging_product": "whatsapp", "block_users": {"added_users": [
            {"input": "+16505551234", "wa_id": "16505551234"}, {"input": BSUID, "user_id": BSUID}]}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/block_users")))
        .respond_with(ok(json!({"data": [{"messaging_product": "whatsapp", "user_id": BSUID,
            "parent_user_id": "US.ENT.11815799212886844830"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/calls")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient": BSUID, "action": "connect",
            "session": {"sdp_type": "offer", "sdp": "v=0"}})))
        .respond_with(ok(
            json!({"messaging_product": "whatsapp", "calls": [{"id": "wacid.ABGGFjFVU2AfAgo6V"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/call_permissions")))
        .and(query_param("recipient", BSUID))
        .respond_with(ok(
            json!({"messaging_product": "whatsapp", "permission": {"status": "granted"}, "actions": []}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v26.0/GROUP_ID_1/participants"))
        .and(body_json(json!({"messaging_product": "whatsapp", "participants": [{"user_id": BSUID}]})))
        .respond_with(ok(json!({"messaging_product": "whatsapp", "success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let blocked =
        wa.block_users([Recipient::phone("+16505551234"), Recipient::user_id(BSUID)]).await.unwrap();
    assert_eq!(blocked.block_users.added_users[1].user_id.as_deref(), Some(BSUID));
    assert_eq!(blocked.block_users.added_users[1].wa_id, None);
    let listed = wa.blocked_users().await.unwrap();
    assert_eq!(listed.data[0].user_id.as_deref(), Some(BSUID));
    assert_eq!(listed.data[0].wa_id, None);
    wa.start_call(Recipient::user_id(BSUID), "v=0", None).await.unwrap();
    wa.call_permissions(Recipient::user_id(BSUID)).await.unwrap();
    wa.remove_group_participants("GROUP_ID_1", [Recipient::user_id(BSUID)]).await.unwrap();
    // Refused before the request: parent ids cannot be blocked, a group is not a user.
    let parent = wa.block_users([Recipient::user_id("US.ENT.11815799212886844830")]).await.unwrap_err();
    assert_eq!(parent.kind(), meta_messaging::ErrorKind::Validation);
    let group = wa.block_users([Recipient::group("GROUP_ID_1")]).await.unwrap_err();
    assert_eq!(group.kind(), meta_messaging::ErrorKind::Validation);
    assert_eq!(
        wa.start_call(Recipient::group("GROUP_ID_1"), "v=0", None).await.unwrap_err().kind(),
        meta_messaging::ErrorKind::Validation
    );
}

#[tokio::test]
async fn messages_templates_and_marketing_messages_go_to_a_bsuid_as_recipient() {
    let server = MockServer::start().await;
    let answer =
        ok(json!({"messaging_product": "whatsapp", "contacts": [{"input": BSUID, "user_id": BSUID}],
        "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]}));
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "recipient": BSUID,
            "type": "text", "text": {"body": "Blue is in stock."}}),
        ))
        .respond_with(answer.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/marketing_messages")))
        .and(body_json(
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "recipient": BSUID,
            "type": "template", "template": {"name": "spring_sale", "language": {"code": "en_US"}}}),
        ))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let sent = wa.send(Recipient::user_id(BSUID), Message::text("Blue is in stock.")).await.unwrap();
    assert_eq!(sent.contacts[0].user_id.as_deref(), Some(BSUID));
    assert_eq!(sent.contacts[0].wa_id, None);
    wa.send_marketing(Recipient::user_id(BSUID), Message::template(Template::new("spring_sale", "en_US")))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_call_permission_request_needs_no_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "recipient": BSUID,
            "type": "interactive", "interactive": {"type": "call_permission_request",
            "action": {"name": "call_permission_request"}}}),
        ))
        .respond_with(ok(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": BSUID, "user_id": BSUID}],
            "messages": [{"id": "wamid.X"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let message = Message::call_permission_request(None);
    assert!(message.validate().is_ok());
    client(&server).whatsapp(PHONE).send(Recipient::user_id(BSUID), message).await.unwrap();
}

#[tokio::test]
async fn a_username_only_user_is_answered_end_to_end_on_the_fake_graph() {
    use meta_messaging::identity::{IdentityDirectory, InMemoryIdentityStore};
    use meta_messaging::testing::{FakeGraph, WebhookBuilder};
    let graph = FakeGraph::start().await;
    let client = graph.client("EAAG-username-test");
    let wa = client.whatsapp(PHONE);
    // The business claims its username.
    assert_eq!(wa.set_username("jaspers.market").await.unwrap().status, Some(UsernameStatus::Approved));
    assert_eq!(wa.username().await.unwrap().username.as_deref(), Some("jaspers.market"));
    assert!(wa.set_username("someone_taken").await.unwrap_err().api_error().is_some());
    // A user with a username and no phone writes.
    let body =
        WebhookBuilder::whatsapp(PHONE).username_text(BSUID, "sheena.n", "Do you ship to Pune?").build();
    assert!(!String::from_utf8_lossy(&body).contains(r#""from":"#), "no phone anywhere");
    let webhook = meta_messaging::webhook::parse(&body).unwrap();
    let event = webhook.events().next().unwrap();
    assert_eq!(event.sender(), Some(BSUID));
    assert_eq!(event.user().unwrap().username.as_deref(), Some("sheena.n"));
    let directory = IdentityDirectory::new(InMemoryIdentityStore::default());
    directory.learn(&webhook).await.unwrap();
    // The bot answers the user it knows by BSUID only.
    let to = Recipient::user_id(event.user_key().unwrap());
    let sent = wa.send(to, Message::text("Yes, in 2 days.")).await.unwrap();
    assert_eq!(sent.contacts[0].user_id.as_deref(), Some(BSUID));
    let outbox = graph.outbox();
    let reply = outbox.last().unwrap();
    assert_eq!((reply.to.as_str(), reply.kind.as_str()), (BSUID, "text"));
    assert_eq!(reply.body["recipient"], BSUID);
    assert!(reply.body.get("to").is_none());
    // Blocked by BSUID too.
    let blocked = wa.block_users([Recipient::user_id(BSUID)]).await.unwrap();
    assert_eq!(blocked.block_users.added_users[0].user_id.as_deref(), Some(BSUID));
}

#[tokio::test]
async fn a_bsuid_is_never_sent_as_a_phone_number() {
    let server = MockServer::start().await;
    let wa = client(&server).whatsapp(PHONE);
    for bsuid in [BSUID, "US.ENT.11815799212886844830"] {
        let refused = wa.send(bsuid, Message::text("hi")).await.unwrap_err();
        assert_eq!(refused.kind(), meta_messaging::ErrorKind::Validation, "{bsuid}");
        assert!(refused.to_string().contains("Recipient::user_id"), "{refused}");
    }
    for refused in [
        wa.start_call(BSUID, "v=0", None).await.unwrap_err(),
        wa.call_permissions(BSUID).await.unwrap_err(),
        wa.block_users([BSUID]).await.unwrap_err(),
        wa.remove_group_participants("GROUP_ID_1", [BSUID]).await.unwrap_err(),
    ] {
        assert_eq!(refused.kind(), meta_messaging::ErrorKind::Validation, "{refused}");
    }
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing was sent");
}

/// A guard that refuses every send, counting what it saw.
#[derive(Debug, Default)]
struct RefuseAll(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl meta_messaging::graph::SendGuard for RefuseAll {
    async fn admit(&self, _: &meta_messaging::graph::Outbound) -> Result<(), meta_messaging::Error> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(meta_messaging::Error::outside_window("refused by the test guard"))
    }
}

#[tokio::test]
async fn every_message_sending_endpoint_passes_the_guards() {
    let server = MockServer::start().await;
    let graph = client(&server);
    let guard = std::sync::Arc::new(RefuseAll::default());
    let wa = graph.whatsapp(PHONE).with_guard(std::sync::Arc::clone(&guard));
    let page = graph.messenger("109876543210987").with_guard(std::sync::Arc::clone(&guard));
    let ig = graph.instagram("17841400000000001").with_guard(std::sync::Arc::clone(&guard));
    let template = || Message::template(Template::new("spring_sale", "en_US"));
    let png = bytes::Bytes::from_static(b"\\x89PNG");
    let sends: Vec<(&str, meta_messaging::Result<()>)> = vec![
        ("whatsapp send", wa.send("16505551234", Message::text("hi")).await.map(drop)),
        ("whatsapp send_text", wa.send_text("16505551234", "hi").await.map(drop)),
        ("whatsapp react", wa.react("16505551234", "wamid.X", "👍").await.map(drop)),
        ("whatsapp send_marketing", wa.send_marketing("16505551234", template()).await.map(drop)),
        (
            "whatsapp send_marketing_with",
            wa.send_marketing_with(
                "16505551234",
                template(),
                &meta_messaging::whatsapp::manage::MarketingOptions::new(),
            )
            .await
            .map(drop),
        ),
        (
            "whatsapp voice_call",
            wa.send(
                "16505551234",
                Message::voice_call("Call us", meta_messaging::whatsapp::VoiceCall::new()),
            )
            .await
            .map(drop),
        ),
        (
            "messenger call_permission_request",
            page.send("24512345678901234", meta_messaging::messenger::Message::call_permission_request())
                .await
                .map(drop),
        ),
        ("messenger send_text", page.send_text("24512345678901234", "hi").await.map(drop)),
        (
            "messenger send_marketing_message",
            page.send_marketing_message(
                "act_1234567890",
                "120210000000001",
                "7178504651785463412",
                meta_messaging::messenger::Message::text("hi"),
                None,
            )
            .await
            .map(drop),
        ),
        (
            "messenger marketing_opt_in",
            page.send(
                "24512345678901234",
                meta_messaging::messenger::Message::marketing_opt_in(
                    meta_messaging::messenger::message::MarketingOptIn::new("P"),
                ),
            )
            .await
            .map(drop),
        ),
        (
            "messenger send_upload",
            page.send_upload(
                "24512345678901234",
                meta_messaging::messenger::AttachmentKind::Image,
                png.clone(),
                "image/png",
                "a.png",
                false,
            )
            .await
            .map(drop),
        ),
        ("instagram send_text", ig.send_text("340282366841710300949128137443944319", "hi").await.map(drop)),
    ];
    for (name, outcome) in &sends {
        let error = outcome.as_ref().unwrap_err();
        assert_eq!(error.kind(), meta_messaging::ErrorKind::OutsideWindow, "{name}: {error}");
    }
    assert_eq!(guard.0.load(std::sync::atomic::Ordering::SeqCst), sends.len(), "every send asked the guard");
    assert!(server.received_requests().await.unwrap().is_empty(), "no send reached Meta");
}
