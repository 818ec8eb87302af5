//! The `testing` feature: the fake Graph server and the signed webhook builder.

use meta_messaging::ErrorKind;
use meta_messaging::Platform;
use meta_messaging::messenger::message::SenderAction;
use meta_messaging::testing::{FakeError, FakeGraph, WebhookBuilder};
use meta_messaging::webhook::{Verifier, VerifyError};
use serde_json::json;

use crate::support::{APP_SECRET, TOKEN};

const PHONE: &str = "106540352242922";
const PAGE: &str = "109876543210987";
const IG: &str = "17841400000000001";

#[tokio::test]
async fn whatsapp_sends_are_validated_recorded_and_answered_with_ids() {
    let graph = FakeGraph::start().await;
    let wa = graph.client(TOKEN).whatsapp(PHONE);

    let first = wa.send_text("16505551234", "Your order has shipped").await.unwrap();
    let second = wa.send_text("16505551234", "It arrives tomorrow").await.unwrap();
    let (first_id, second_id) = (first.message_id().unwrap(), second.message_id().unwrap());
    assert!(first_id.as_str().starts_with("wamid."), "{first_id:?}");
    assert_ne!(first_id, second_id, "every message gets its own id");
    wa.mark_read("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA").await.unwrap();

    let outbox = graph.outbox();
    assert_eq!(outbox.len(), 3);
    assert_eq!(outbox[0].platform, Platform::WhatsApp);
    assert_eq!((outbox[0].from.as_str(), outbox[0].to.as_str()), (PHONE, "16505551234"));
    assert_eq!((outbox[0].kind.as_str(), outbox[0].text()), ("text", Some("Your order has shipped")));
    assert_eq!(outbox[0].message_id.as_deref(), Some(first_id.as_str()));
    assert_eq!(outbox[1].text(), Some("It arrives tomorrow"));
    assert_eq!(outbox[2].kind, "read");
    assert_eq!(graph.take_outbox().len(), 3);
    assert!(graph.outbox().is_empty());
}

#[tokio::test]
async fn messenger_and_instagram_sends_are_told_apart() {
    let graph = FakeGraph::start().await;
    graph.instagram_account(IG);
    let client = graph.client(TOKEN);

    let sent = client.messenger(PAGE).send_text("24512345678901234", "Hello from the Page").await.unwrap();
    assert!(sent.message_id().unwrap().as_str().starts_with("m_"));
    assert_eq!(sent.recipient_id(), Some("24512345678901234"));
    client.messenger(PAGE).sender_action("24512345678901234", SenderAction::TypingOn).await.unwrap();
    client.instagram(IG).send_text("340282366841710300949128137443944319", "Hi on Instagram").await.unwrap();
    client
        .instagram("17841400000000099")
        .with_instagram_login()
        .send_text("340282366841710300949128137443944320", "Hi through Instagram Login")
        .await
        .unwrap();

    let outbox = graph.outbox();
    let summary: Vec<_> =
        outbox.iter().map(|m| (m.platform, m.from.as_str(), m.kind.as_str(), m.text())).collect();
    assert_eq!(
        summary,
        [
            (Platform::Messenger, PAGE, "text", Some("Hello from the Page")),
            (Platform::Messenger, PAGE, "typing_on", None),
            (Platform::Instagram, IG, "text", Some("Hi on Instagram")),
            (Platform::Instagram, "17841400000000099", "text", Some("Hi through Instagram Login")),
        ]
    );
    assert_eq!(outbox[1].message_id, None, "sender actions create no message");
}

#[tokio::test]
async fn injected_errors_are_meta_s_and_classified() {
    let graph = FakeGraph::start().await;
    let wa = graph.client(TOKEN).whatsapp(PHONE);

    graph.fail_next(FakeError::ExpiredToken);
    let expired = wa.send_text("16505551234", "hi").await.unwrap_err();
    assert!(expired.requires_reauth());
    assert_eq!(expired.api_error().unwrap().code(), 190);

    graph.fail_next(FakeError::ReEngagement);
    let outside = wa.send_text("16505551234", "hi").await.unwrap_err();
    assert_eq!(outside.kind(), ErrorKind::OutsideWindow);
    assert_eq!(outside.api_error().unwrap().code(), 131_047);

    graph.fail_next(FakeError::Custom { status: 502, body: "<html>Bad Gateway</html>".to_owned() });
    let server_error = wa.send_text("16505551234", "hi").await.unwrap_err();
    assert!(server_error.is_retryable(), "{server_error}");
    assert_eq!(server_error.status(), Some(502));
    assert!(graph.outbox().is_empty(), "refused requests are not recorded");
}

#[tokio::test]
async fn rate_limits_are_retried_but_an_ambiguous_5xx_on_a_send_is_not() {
    let graph = FakeGraph::start().await;
    let wa = graph.client(TOKEN).whatsapp(PHONE);
    graph.fail_next(FakeError::Throughput);
    graph.fail_next(FakeError::PairRateLimit);
    wa.send_text("16505551234", "eventually").await.unwrap();
    assert_eq!(graph.request_count(), 3, "two refusals, then the accepted send");
    assert_eq!(graph.outbox().len(), 1);

    // A 5xx may hide a message that went out: retrying a send could deliver it twice.
    graph.fail_next(FakeError::ServiceUnavailable);
    let unavailable = wa.send_text("16505551234", "maybe sent").await.unwrap_err();
    assert_eq!(unavailable.kind(), ErrorKind::Transient);
    assert_eq!(graph.request_count(), 4);
    assert_eq!(graph.outbox().len(), 1);
}

#[tokio::test]
async fn invalid_requests_get_graph_s_invalid_parameter_error() {
    let graph = FakeGraph::start().await;
    let client = graph.client(TOKEN);

    let bad_type = client
        .post::<serde_json::Value>(format!("{PHONE}/messages"))
        .json(&json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "hologram", "hologram": {}}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_type.api_error().unwrap().code(), 100);
    assert!(bad_type.to_string().contains("Invalid parameter"), "{bad_type}");

    let no_text = client
        .post::<serde_json::Value>(format!("{PAGE}/messages"))
        .json(&json!({"recipient": {"id": "245"}, "message": {"text": ""}}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(no_text.api_error().unwrap().code(), 100);

    let tag_missing = client
        .post::<serde_json::Value>(format!("{PAGE}/messages"))
        .json(&json!({"recipient": {"id": "245"}, "messaging_type": "MESSAGE_TAG", "message": {"text": "x"}}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(tag_missing.api_error().unwrap().code(), 100);

    let unknown = client.get::<serde_json::Value>(format!("{PHONE}/whatever")).send().await.unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    assert!(graph.outbox().is_empty());
}

#[tokio::test]
async fn a_required_token_refuses_others() {
    let graph = FakeGraph::start().await;
    graph.require_token(TOKEN);
    let wrong = graph.client("EAAGsomeoneElsesToken").whatsapp(PHONE).send_text("1", "x").await.unwrap_err();
    assert_eq!(wrong.api_error().unwrap().code(), 190);
    assert!(!wrong.to_string().contains("EAAGsomeoneElsesToken"));
    graph.client(TOKEN).whatsapp(PHONE).send_text("16505551234", "x").await.unwrap();
    assert_eq!(graph.outbox().len(), 1);
}

#[test]
fn built_webhooks_verify_parse_and_carry_every_event() {
    let wa = WebhookBuilder::whatsapp(PHONE)
        .text("16505551234", "Hi! Où est ma commande ? 📦")
        .image("16505551234", "1479537139650973")
        .button("447700900123", "TRACK_ORDER", "Track")
        .status("wamid.OUT1", "16505551234", "read")
        .sign(APP_SECRET);
    let parsed = Verifier::new(APP_SECRET).verify_and_parse(&wa.body, &wa.signature).unwrap();
    let events: Vec<_> =
        parsed.events().map(|e| (e.kind().to_string(), e.sender().map(str::to_owned))).collect();
    assert_eq!(
        events,
        [
            ("whatsapp.message.text".to_owned(), Some("16505551234".to_owned())),
            ("whatsapp.message.image".to_owned(), Some("16505551234".to_owned())),
            ("whatsapp.message.interactive".to_owned(), Some("447700900123".to_owned())),
            // A status is sent by the business number.
            ("whatsapp.status.read".to_owned(), Some(PHONE.to_owned())),
        ]
    );
    let text = parsed.events().next().unwrap();
    assert_eq!(text.text(), Some("Hi! Où est ma commande ? 📦"));
    let raw = String::from_utf8(wa.body.clone()).unwrap();
    assert!(
        raw.is_ascii() && raw.contains("\\u00f9") && raw.contains("\\ud83d\\udce6"),
        "escaped like Meta: {raw}"
    );

    for (builder, object, prefix) in [
        (WebhookBuilder::messenger(PAGE), "page", "messenger"),
        (WebhookBuilder::instagram(IG), "instagram", "instagram"),
    ] {
        let signed = builder
            .text("24512345678901234", "hello")
            .image("24512345678901234", "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg")
            .button("24512345678901234", "GET_STARTED", "Get Started")
            .sign(APP_SECRET);
        let parsed = Verifier::new(APP_SECRET).verify_and_parse(&signed.body, &signed.signature).unwrap();
        assert_eq!(parsed.object(), object);
        let events: Vec<_> = parsed.events().collect();
        assert_eq!(events.len(), 3);
        assert!(events.iter().all(|e| e.kind().to_string().starts_with(prefix)), "{object}");
        assert!(events.iter().all(|e| e.sender() == Some("24512345678901234")));
        assert_eq!(events[0].text(), Some("hello"));
        assert!(String::from_utf8_lossy(&signed.body).contains("https:\\/\\/scontent"));
    }
}

#[test]
fn built_webhooks_are_deterministic_so_redeliveries_can_be_built() {
    let build =
        || WebhookBuilder::whatsapp(PHONE).at(1_763_900_000).text("16505551234", "again").sign(APP_SECRET);
    let (a, b) = (build(), build());
    assert_eq!(a.body, b.body);
    assert_eq!(a.signature, b.signature);
    let other =
        WebhookBuilder::whatsapp(PHONE).at(1_763_900_001).text("16505551234", "again").sign(APP_SECRET);
    assert_ne!(a.body, other.body);
}

#[test]
fn re_serializing_a_built_body_breaks_its_signature() {
    let signed = WebhookBuilder::messenger(PAGE)
        .image("245", "https://scontent.xx.fbcdn.net/v/photo.jpg")
        .sign(APP_SECRET);
    let reserialized =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&signed.body).unwrap()).unwrap();
    assert_ne!(reserialized, signed.body);
    assert_eq!(
        Verifier::new(APP_SECRET).verify(&reserialized, &signed.signature),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn builders_for_other_accounts_or_senders_never_share_ids() {
    let id = |account: &str, sender: &str| {
        let body = WebhookBuilder::whatsapp(account).text(sender, "hi").build_json();
        body.pointer("/entry/0/changes/0/value/messages/0/id").unwrap().as_str().unwrap().to_owned()
    };
    assert_ne!(id(PHONE, "16505551234"), id(PHONE, "16505559999"));
    assert_ne!(id(PHONE, "16505551234"), id("106540352249999", "16505551234"));
    assert_eq!(id(PHONE, "16505551234"), id(PHONE, "16505551234"), "deterministic");
    let mid = |page: &str| {
        let body = WebhookBuilder::messenger(page).text("245", "hi").build_json();
        body.pointer("/entry/0/messaging/0/message/mid").unwrap().as_str().unwrap().to_owned()
    };
    assert_ne!(mid(PAGE), mid("109876543219999"));
}

#[tokio::test]
async fn media_uploads_get_an_id_and_malformed_uploads_an_error() {
    use meta_messaging::whatsapp::media::MediaUpload;

    let fake = FakeGraph::start().await;
    let wa = fake.client(TOKEN).whatsapp("106540352242922");
    let png = crate::support::fixture("media/pixel.png");
    let uploaded =
        wa.upload_media(MediaUpload::from_bytes(png, "image/png").file_name("pixel.png")).await.unwrap();
    assert!(uploaded.id.as_str().chars().all(|c| c.is_ascii_digit()) && !uploaded.id.as_str().is_empty());
    // A JSON body is not an upload.
    let error = fake
        .client(TOKEN)
        .post::<serde_json::Value>("106540352242922/media")
        .json(&json!({"messaging_product": "whatsapp"}))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error}");
}
