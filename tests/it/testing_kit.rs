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

/// Every endpoint the crate calls answers on the fake server, through the crate's own API,
/// and keeps what it was given; requests missing what Meta requires get Graph's error.
#[tokio::test]
async fn fake_graph_serves_every_whatsapp_endpoint() {
    use meta_messaging::whatsapp::account::{BusinessProfileUpdate, CodeMethod, Pin};
    use meta_messaging::whatsapp::media::MediaUpload;
    use meta_messaging::whatsapp::template::{NewTemplate, TemplateCategory};
    let graph = FakeGraph::start().await;
    let client = graph.client(TOKEN);

    // WhatsApp media: upload, look up, download (checked against its SHA-256), delete.
    let wa = client.whatsapp(PHONE);
    let uploaded =
        wa.upload_media(MediaUpload::from_bytes(&b"%PDF-1.7 invoice"[..], "application/pdf")).await.unwrap();
    let info = wa.media_url(uploaded.id.clone()).await.unwrap();
    assert_eq!((info.mime_type.as_deref(), info.file_size), (Some("application/pdf"), Some(16)));
    assert_eq!(&wa.download_media(&info).await.unwrap()[..], b"%PDF-1.7 invoice");
    wa.delete_media(uploaded.id.clone()).await.unwrap();
    assert_eq!(wa.media_url(uploaded.id).await.unwrap_err().api_error().unwrap().code(), 100);

    // Phone number, registration, two-step PIN, business profile.
    assert_eq!(wa.phone_number().await.unwrap().id.as_str(), PHONE);
    let pin = Pin::new("123456").unwrap();
    wa.register(&pin).await.unwrap();
    wa.set_two_step_pin(&pin).await.unwrap();
    wa.request_code(CodeMethod::Sms, "en_US").await.unwrap();
    wa.verify_code("654321").await.unwrap();
    assert_eq!(wa.verify_code("12").await.unwrap_err().api_error().unwrap().code(), 100);
    wa.deregister().await.unwrap();
    wa.update_business_profile(&BusinessProfileUpdate::new().about("Fresh bread daily")).await.unwrap();
    let profile = wa.business_profile().await.unwrap();
    assert_eq!(profile.profile().unwrap().about.as_deref(), Some("Fresh bread daily"));

    // The WABA: templates, phone numbers, webhook subscription.
    let waba = client.whatsapp_business_account("102290129340398");
    let new = NewTemplate::new("order_update", "en_US", TemplateCategory::Utility).component(
        json!({"type": "BODY", "text": "Order {{1}} shipped", "example": {"body_text": [["8841"]]}}),
    );
    let created = waba.create_template(&new).await.unwrap();
    let listed = waba.templates_named("order_update").await.unwrap();
    assert_eq!(listed.data[0].id.as_deref(), Some(created.id.as_str()));
    assert_eq!(waba.template(created.id.clone()).await.unwrap().name.as_deref(), Some("order_update"));
    waba.edit_template(
        created.id.clone(),
        vec![json!({"type": "BODY", "text": "Order {{1}} is on its way"})],
        None,
    )
    .await
    .unwrap();
    waba.delete_template_by_id("order_update", created.id).await.unwrap();
    assert!(waba.templates().await.unwrap().data.is_empty());
    let bad = NewTemplate::new("Order Update!", "en_US", TemplateCategory::Utility)
        .component(json!({"type": "BODY", "text": "x"}));
    assert!(waba.create_template(&bad).await.is_err(), "invalid names are refused");
    assert_eq!(waba.phone_numbers().await.unwrap().data.len(), 1);
    waba.subscribe_app().await.unwrap();
    assert_eq!(waba.subscribed_apps().await.unwrap().data.len(), 1);
    waba.unsubscribe_app().await.unwrap();
    assert!(waba.subscribed_apps().await.unwrap().data.is_empty());

    // A path the fake does not model fails loudly.
    let unknown = client.get::<serde_json::Value>("106540352242922/not_an_edge").await.unwrap_err();
    assert_eq!(unknown.api_error().unwrap().code(), 2500);
}

#[tokio::test]
async fn fake_graph_serves_every_messenger_and_instagram_endpoint() {
    use meta_messaging::messenger::profile::{Greeting, MessengerProfile};
    use meta_messaging::messenger::templates::NewUtilityTemplate;
    use meta_messaging::messenger::{Attachment, AttachmentKind, Message as PageMessage};
    let graph = FakeGraph::start().await;
    let client = graph.client(TOKEN);

    // Messenger: profile, personas, attachments, conversations, users, thread control,
    // utility templates.
    let page = client.messenger(PAGE);
    page.set_messenger_profile(&MessengerProfile::new().greeting(Greeting::new("default", "Hello!")))
        .await
        .unwrap();
    let read = page.messenger_profile(&["greeting"]).await.unwrap();
    assert_eq!(read.data[0].greeting.as_ref().unwrap()[0].text, "Hello!");
    page.delete_messenger_profile(&["greeting"]).await.unwrap();
    assert!(page.messenger_profile(&["greeting"]).await.unwrap().data.is_empty());
    let persona = page.create_persona("Ana from support", "https://example.com/ana.png").await.unwrap();
    assert_eq!(page.persona(persona.id.clone()).await.unwrap().name.as_deref(), Some("Ana from support"));
    assert_eq!(page.personas().await.unwrap().data.len(), 1);
    page.delete_persona(persona.id).await.unwrap();
    let saved = page
        .save_attachment(&Attachment::url(AttachmentKind::Image, "https://example.com/a.jpg"))
        .await
        .unwrap();
    assert!(!saved.attachment_id.is_empty());
    page.upload_attachment(AttachmentKind::Image, &b"\x89PNG"[..], "image/png", "a.png").await.unwrap();
    let sent = page.send_text("24512345678901234", "Hi").await.unwrap();
    let conversations = page.conversations().await.unwrap();
    assert_eq!(conversations.data[0].id, "t_24512345678901234");
    let message = page.conversation_message(sent.message_id().unwrap()).await.unwrap();
    assert_eq!(message.message.as_deref(), Some("Hi"));
    assert_eq!(page.user_profile("24512345678901234").await.unwrap().first_name.as_deref(), Some("Fake"));
    page.handover().pass("24512345678901234", "1234567890", None).await.unwrap();
    let owner = page.handover().owner("24512345678901234").await.unwrap().owner.unwrap();
    assert_eq!(owner.app_id.as_deref(), Some("1234567890"));
    page.handover().take("24512345678901234", None).await.unwrap();
    page.handover().request("24512345678901234", None).await.unwrap();
    page.handover().release("24512345678901234").await.unwrap();
    assert_eq!(page.handover().secondary_receivers().await.unwrap().data.len(), 1);
    let library = page.utility_template_library("order", Some("en")).await.unwrap();
    let clone = NewUtilityTemplate::from_library("order_done", "en", library.data[0].name.clone().unwrap());
    assert_eq!(page.create_utility_template(&clone).await.unwrap().status.as_deref(), Some("APPROVED"));
    assert_eq!(page.utility_templates(Some("order_done")).await.unwrap().data.len(), 1);
    page.send(
        "24512345678901234",
        PageMessage::utility_template(meta_messaging::messenger::message::UtilityTemplate::new(
            "order_done",
            "en",
        )),
    )
    .await
    .unwrap();

    // Instagram: comments and profiles on the Instagram host.
    let ig = client.instagram(IG).with_instagram_login();
    let comments = ig.comments("17895695668004550").await.unwrap();
    let comment = comments.data[0].id.clone().unwrap();
    ig.reply_to_comment(comment.clone(), "Thanks!").await.unwrap();
    ig.hide_comment(comment.clone(), true).await.unwrap();
    ig.delete_comment(comment).await.unwrap();
    assert_eq!(ig.user_profile("1347718906245839").await.unwrap().username.as_deref(), Some("fake_user"));
}

#[tokio::test]
async fn fake_graph_serves_the_token_endpoints() {
    let graph = FakeGraph::start().await;
    let client = graph.client(TOKEN);

    // Tokens: Facebook Login and Embedded Signup, debug_token, Instagram Login, revocation.
    let oauth = client.oauth("1234567890", "fake-app-secret");
    let business = oauth.exchange_code("es-code").await.unwrap();
    let long = oauth.exchange_long_lived(&business.access_token).await.unwrap();
    assert!(long.expires_in.is_some());
    assert!(oauth.app_access_token().await.unwrap().access_token.expose_secret().starts_with("1234567890|"));
    assert!(oauth.debug_token(&long.access_token).await.unwrap().data.is_valid);
    let short = oauth.exchange_instagram_code("ig-code#_", "https://example.com/cb").await.unwrap();
    let ig_long = oauth.exchange_instagram_long_lived(&short.access_token).await.unwrap();
    let renewed = oauth.refresh_instagram_token(&ig_long.access_token).await.unwrap();
    assert_ne!(renewed.access_token.expose_secret(), ig_long.access_token.expose_secret());
    oauth.revoke(&long.access_token, "10161234567890123").await.unwrap();
}

#[tokio::test]
async fn fake_graph_serves_flows_calling_and_groups() {
    let graph = FakeGraph::start().await;
    let client = graph.client(TOKEN);
    let wa = client.whatsapp(PHONE);
    let waba = client.whatsapp_business_account("102290129340398");
    // Flows: create (a bad Flow JSON comes back with its errors), upload, publish, preview,
    // metrics, deprecate; only drafts delete. The business encryption key.
    use meta_messaging::whatsapp::flows::{
        FlowCategory, FlowMetricGranularity, FlowMetricName, FlowStatus, NewFlow,
    };
    let created = waba
        .create_flow(&NewFlow::new("booking", [FlowCategory::AppointmentBooking]).flow_json("{"))
        .await
        .unwrap();
    assert_eq!(created.validation_errors.len(), 1);
    let flow = created.id.unwrap();
    assert!(waba.publish_flow(flow.clone()).await.is_err(), "a flow with errors does not publish");
    let uploaded = waba.upload_flow_json(flow.clone(), r#"{"version":"7.1","screens":[]}"#).await.unwrap();
    assert!(uploaded.validation_errors.is_empty());
    waba.publish_flow(flow.clone()).await.unwrap();
    assert_eq!(waba.flow(flow.clone()).await.unwrap().status, Some(FlowStatus::Published));
    assert!(waba.flow_preview(flow.clone(), false).await.unwrap().preview.unwrap().preview_url.is_some());
    let metric = waba
        .flow_metric(
            flow.clone(),
            FlowMetricName::EndpointRequestCount,
            FlowMetricGranularity::Day,
            "2026-11-01",
            "2026-11-28",
        )
        .await
        .unwrap();
    assert_eq!(metric.metric.name, Some(FlowMetricName::EndpointRequestCount));
    assert!(waba.delete_flow(flow.clone()).await.is_err(), "only drafts delete");
    waba.deprecate_flow(flow).await.unwrap();
    assert_eq!(waba.flows().await.unwrap().data.len(), 1);
    assert!(wa.business_public_key().await.unwrap().0.is_none());
    wa.set_business_public_key("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----").await.unwrap();
    assert_eq!(
        wa.business_public_key().await.unwrap().0.unwrap().business_public_key_signature_status.as_deref(),
        Some("VALID")
    );

    // Calling: settings, a call started and ended, permissions.
    use meta_messaging::whatsapp::calling::{CallingSettings, FeatureStatus};
    wa.update_calling_settings(&CallingSettings::new().status(FeatureStatus::Enabled)).await.unwrap();
    let settings = wa.calling_settings().await.unwrap();
    assert_eq!(settings.calling.unwrap().status, Some(FeatureStatus::Enabled));
    let started = wa.start_call("16505551234", "v=0", None).await.unwrap();
    wa.terminate_call(started.call_id().unwrap()).await.unwrap();
    assert!(wa.call_permissions("16505551234").await.unwrap().permission.is_some());

    // Management: block users, QR codes, marketing messages, prompts, commerce, webhook override.
    use meta_messaging::whatsapp::manage::{ConversationalAutomation, QrImageFormat};
    assert_eq!(wa.block_users(["+16505551234"]).await.unwrap().block_users.added_users.len(), 1);
    wa.unblock_users(["+16505551234"]).await.unwrap();
    let qr = wa.create_qr_code("Cyber Monday", QrImageFormat::Png).await.unwrap();
    let code = qr.code.unwrap();
    wa.update_qr_code(code.clone(), "Cyber Tuesday").await.unwrap();
    assert_eq!(
        wa.qr_code(code.clone()).await.unwrap().data[0].prefilled_message.as_deref(),
        Some("Cyber Tuesday")
    );
    wa.delete_qr_code(code).await.unwrap();
    let template =
        meta_messaging::whatsapp::Message::template(meta_messaging::whatsapp::Template::new("promo", "en"));
    wa.send_marketing("16505551234", template).await.unwrap();
    wa.set_conversational_automation(&ConversationalAutomation::new().prompts(["Track my order"]))
        .await
        .unwrap();
    assert!(wa.conversational_automation().await.unwrap().0.prompts.is_some());
    wa.set_commerce_settings(true, true).await.unwrap();
    wa.set_webhook_override("https://example.com/hook", "token").await.unwrap();
    assert_eq!(
        wa.webhook_configuration().await.unwrap().0.phone_number.as_deref(),
        Some("https://example.com/hook")
    );

    // The resumable upload API.
    let handle =
        client.upload_file("1234567890", "header.jpg", "image/jpeg", &b"\xff\xd8jpeg"[..]).await.unwrap();
    assert!(handle.h.starts_with("4::"));

    // Template extras and analytics.
    use meta_messaging::whatsapp::insights::{AnalyticsRange, AuthenticationTemplate, LibrarySearch};
    let otp = AuthenticationTemplate::new(
        "otp",
        ["en_US", "fr"],
        [json!({"type": "BODY", "add_security_recommendation": true})],
    );
    assert_eq!(waba.upsert_authentication_template(&otp).await.unwrap().data.len(), 2);
    waba.unpause_template("954638012257287").await.unwrap();
    assert!(!waba.template_library(&LibrarySearch::new().search("order")).await.unwrap().data.is_empty());
    let range = AnalyticsRange::new(1_764_000_000, 1_764_086_400, "DAILY");
    assert!(waba.pricing_analytics(&range).await.unwrap().pricing_analytics.is_some());
    assert_eq!(waba.enable_template_insights().await.unwrap().id.as_deref(), Some("102290129340398"));
    waba.template_analytics(["954638012257287"], 1_764_000_000, 1_764_086_400).await.unwrap();

    // Groups: create, list, read, share, update, remove a participant, delete.
    use meta_messaging::whatsapp::groups::NewGroup;
    let created = wa.create_group(&NewGroup::new("Lucky Shrub VIPs")).await.unwrap();
    let group = created.id.unwrap();
    assert_eq!(wa.groups(None, None).await.unwrap().groups.len(), 1);
    assert!(wa.group_invite_link(group.clone()).await.unwrap().invite_link.is_some());
    wa.update_group(group.clone(), Some("VIP club"), None).await.unwrap();
    assert_eq!(wa.group(group.clone()).await.unwrap().subject.as_deref(), Some("VIP club"));
    wa.remove_group_participants(group.clone(), ["16505551234"]).await.unwrap();
    wa.delete_group(group.clone()).await.unwrap();
    assert!(wa.group(group).await.is_err(), "deleted");
}

#[tokio::test]
async fn built_webhooks_are_stamped_now_so_a_first_reply_is_inside_the_window() {
    use meta_messaging::pacing::WindowTracker;
    let body = WebhookBuilder::whatsapp("106540352242922").text("16505551234", "hi").build();
    let webhook = meta_messaging::webhook::parse(&body).unwrap();
    let stamped = webhook.events().next().unwrap().timestamp().unwrap().unix_seconds();
    assert!((meta_messaging::Timestamp::now().unix_seconds() - stamped).abs() < 60, "{stamped}");
    let windows = WindowTracker::in_memory();
    windows.observe(&webhook).await.unwrap();
    assert!(windows.status("106540352242922", "16505551234").await.unwrap().is_open());
    // A fixed time is still one call away.
    let fixed =
        WebhookBuilder::whatsapp("106540352242922").at(1_763_800_400).text("16505551234", "hi").build();
    let fixed = meta_messaging::webhook::parse(&fixed).unwrap();
    assert_eq!(fixed.events().next().unwrap().timestamp().unwrap().unix_seconds(), 1_763_800_400);
}

#[tokio::test]
async fn fake_graph_keeps_prompts_when_only_the_welcome_message_changes() {
    let fake = FakeGraph::start().await;
    let wa = fake.client("EAAG-test").whatsapp("106540352242922");
    wa.set_conversational_automation(
        &meta_messaging::whatsapp::manage::ConversationalAutomation::new().prompts(["Track my order"]),
    )
    .await
    .unwrap();
    wa.set_conversational_automation(
        &meta_messaging::whatsapp::manage::ConversationalAutomation::new().welcome_message(true),
    )
    .await
    .unwrap();
    let saved = wa.conversational_automation().await.unwrap().0;
    assert_eq!(saved.prompts, Some(vec!["Track my order".to_owned()]));
    assert_eq!(saved.enable_welcome_message, Some(true));
}
