//! WhatsApp sends: the exact JSON of every message kind, responses, errors and limits.

use meta_messaging::ErrorKind;
use meta_messaging::graph::{RetryPolicy, Violation};
use meta_messaging::whatsapp::MessageId;
use meta_messaging::whatsapp::message::{
    ContactAddress, ContactCard, Flow, Header, Location, MediaSource, Message, MessageStatus, ProductSection,
    Recipient, ReplyButton, Row, Section,
};
use meta_messaging::whatsapp::template::{Card, Component, Parameter, Template};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client, fixture};

const PHONE: &str = "106540352242922";
const WAMID: &str = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA";

fn accepted(status: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
        "messages": [{"id": WAMID, "message_status": status}]
    }))
}

/// Sends `message` and asserts the request body equals `expected` (with the envelope added).
async fn assert_sends(message: Message, expected_content: Value) {
    assert_sends_to("+16505551234".into(), message, expected_content).await;
}

async fn assert_sends_to(to: Recipient, message: Message, expected: Value) {
    let server = MockServer::start().await;
    let mut body =
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+16505551234"});
    for (k, v) in expected.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(&body))
        .respond_with(accepted("accepted"))
        .expect(1)
        .mount(&server)
        .await;
    let sent = client(&server).whatsapp(PHONE).send(to, message).await.unwrap();
    assert_eq!(sent.message_id().map(MessageId::as_str), Some(WAMID));
    assert_eq!(sent.messages[0].message_status, Some(MessageStatus::Accepted));
    assert_eq!(sent.contacts[0].wa_id.as_deref(), Some("16505551234"));
}

#[tokio::test]
async fn text() {
    assert_sends(
        Message::text("See https://example.com").preview_url(true),
        json!({"type": "text", "text": {"preview_url": true, "body": "See https://example.com"}}),
    )
    .await;
}

#[tokio::test]
async fn reply_context_callback_data_and_identity_hash() {
    assert_sends(
        Message::text("Yes").reply_to(WAMID).callback_data("order-8841").recipient_identity_key_hash("Jz3Lq"),
        json!({
            "type": "text", "text": {"body": "Yes"},
            "context": {"message_id": WAMID},
            "biz_opaque_callback_data": "order-8841",
            "recipient_identity_key_hash": "Jz3Lq"
        }),
    )
    .await;
}

#[tokio::test]
async fn recipients_by_user_id_and_group() {
    assert_sends_to(
        Recipient::user_id("US.13491208655302741918"),
        Message::text("hi"),
        json!({"to": null, "recipient": "US.13491208655302741918", "type": "text", "text": {"body": "hi"}}),
    )
    .await;
    assert_sends_to(
        Recipient::group("120363025246125486@g.us"),
        Message::text("hi"),
        json!({"recipient_type": "group", "to": "120363025246125486@g.us", "type": "text", "text": {"body": "hi"}}),
    )
    .await;
}

#[tokio::test]
async fn media_by_id_and_link() {
    assert_sends(
        Message::image(MediaSource::id("1037543291543636")).caption("The receipt"),
        json!({"type": "image", "image": {"id": "1037543291543636", "caption": "The receipt"}}),
    )
    .await;
    assert_sends(
        Message::document(MediaSource::link("https://example.com/r.pdf")).caption("Invoice").filename("r.pdf"),
        json!({"type": "document", "document": {"link": "https://example.com/r.pdf", "caption": "Invoice", "filename": "r.pdf"}}),
    )
    .await;
    assert_sends(
        Message::video(MediaSource::link("https://example.com/a.mp4")),
        json!({"type": "video", "video": {"link": "https://example.com/a.mp4"}}),
    )
    .await;
    assert_sends(
        Message::audio(MediaSource::id("1234567890")),
        json!({"type": "audio", "audio": {"id": "1234567890"}}),
    )
    .await;
    assert_sends(
        Message::sticker(MediaSource::id("1234567890")),
        json!({"type": "sticker", "sticker": {"id": "1234567890"}}),
    )
    .await;
}

#[tokio::test]
async fn location_and_contacts() {
    assert_sends(
        Message::location(Location::new(37.4847, -122.1473).named("Meta HQ", "1 Hacker Way")),
        json!({"type": "location", "location": {"latitude": 37.4847, "longitude": -122.1473, "name": "Meta HQ", "address": "1 Hacker Way"}}),
    )
    .await;
    let card = ContactCard::new("John Smith")
        .phone("+1 650 555 1234", Some("CELL"), Some("16505551234"))
        .email("j@example.com", Some("WORK"))
        .url("https://example.com", None)
        .org("Example Inc", Some("CTO"));
    assert_sends(
        Message::contacts([card]),
        json!({"type": "contacts", "contacts": [{
            "name": {"formatted_name": "John Smith"},
            "phones": [{"phone": "+1 650 555 1234", "type": "CELL", "wa_id": "16505551234"}],
            "emails": [{"email": "j@example.com", "type": "WORK"}],
            "urls": [{"url": "https://example.com"}],
            "org": {"company": "Example Inc", "title": "CTO"}
        }]}),
    )
    .await;
}

/// Meta's contact-card example, every documented field (Cloud API messages reference,
/// <https://developers.facebook.com/docs/whatsapp/cloud-api/messages/contacts-messages>).
#[tokio::test]
async fn contact_card_with_every_documented_field() {
    let card = ContactCard::new("John Smith")
        .names("John", "Smith")
        .middle_name("Edward")
        .affixes("Dr.", "Jr.")
        .birthday("1990-02-28")
        .address(
            ContactAddress::new()
                .street("1 Hacker Way")
                .city("Menlo Park")
                .state("CA")
                .zip("94025")
                .country("United States", "us")
                .kind("WORK"),
        )
        .email("j@example.com", Some("WORK"))
        .org("Example Inc", Some("CTO"))
        .department("Engineering")
        .phone("+1 650 555 1234", Some("CELL"), Some("16505551234"))
        .url("https://example.com", Some("WORK"));
    assert_sends(
        Message::contacts([card]),
        json!({"type": "contacts", "contacts": [{
            "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith",
                     "middle_name": "Edward", "suffix": "Jr.", "prefix": "Dr."},
            "birthday": "1990-02-28",
            "addresses": [{"street": "1 Hacker Way", "city": "Menlo Park", "state": "CA", "zip": "94025",
                           "country": "United States", "country_code": "us", "type": "WORK"}],
            "emails": [{"email": "j@example.com", "type": "WORK"}],
            "org": {"company": "Example Inc", "department": "Engineering", "title": "CTO"},
            "phones": [{"phone": "+1 650 555 1234", "type": "CELL", "wa_id": "16505551234"}],
            "urls": [{"url": "https://example.com", "type": "WORK"}]
        }]}),
    )
    .await;
}

#[tokio::test]
async fn voice_notes_product_body_and_flow_navigation_without_data() {
    assert_sends(
        Message::voice(MediaSource::id("1234567890")),
        json!({"type": "audio", "audio": {"id": "1234567890", "voice": true}}),
    )
    .await;
    assert_sends(
        Message::product("194836987003835", "CAT-7").body("Our best seller").footer("Ships in 2 days"),
        json!({"type": "interactive", "interactive": {"type": "product",
            "body": {"text": "Our best seller"}, "footer": {"text": "Ships in 2 days"},
            "action": {"catalog_id": "194836987003835", "product_retailer_id": "CAT-7"}}}),
    )
    .await;
    // Meta requires `data` to be a non-empty object when present: `{}` sends none.
    assert_sends(
        Message::flow("Book now", Flow::by_id("1234", "tok-1", "Book").navigate("WELCOME", json!({}))),
        json!({"type": "interactive", "interactive": {"type": "flow", "body": {"text": "Book now"},
            "action": {"name": "flow", "parameters": {
                "flow_message_version": "3", "flow_token": "tok-1", "flow_id": "1234", "flow_cta": "Book",
                "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME"}}}}}),
    )
    .await;
    let err = Message::flow("Book now", Flow::by_id("1234", "tok-1", "Book").navigate("WELCOME", json!([1])))
        .validate()
        .unwrap_err();
    assert_eq!(err.field(), "interactive.action.parameters.flow_action_payload.data");
}

#[tokio::test]
async fn interactive_buttons_and_list() {
    assert_sends(
        Message::buttons("Did it arrive?", [ReplyButton::new("yes", "Yes"), ReplyButton::new("no", "No")])
            .header(Header::Image(MediaSource::link("https://example.com/p.jpg")))
            .footer("Thanks"),
        json!({"type": "interactive", "interactive": {
            "type": "button",
            "header": {"type": "image", "image": {"link": "https://example.com/p.jpg"}},
            "body": {"text": "Did it arrive?"},
            "footer": {"text": "Thanks"},
            "action": {"buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}}
            ]}
        }}),
    )
    .await;
    assert_sends(
        Message::list(
            "Pick a slot",
            "Slots",
            [
                Section::new("Morning", [Row::new("m9", "9:00").description("Early")]),
                Section::new("Afternoon", [Row::new("a2", "14:00")]),
            ],
        )
        .header("Booking"),
        json!({"type": "interactive", "interactive": {
            "type": "list",
            "header": {"type": "text", "text": "Booking"},
            "body": {"text": "Pick a slot"},
            "action": {"button": "Slots", "sections": [
                {"title": "Morning", "rows": [{"id": "m9", "title": "9:00", "description": "Early"}]},
                {"title": "Afternoon", "rows": [{"id": "a2", "title": "14:00"}]}
            ]}
        }}),
    )
    .await;
}

#[tokio::test]
async fn interactive_cta_flow_location_product_catalog() {
    assert_sends(
        Message::cta_url("Track it", "Track", "https://example.com/t/1"),
        json!({"type": "interactive", "interactive": {"type": "cta_url", "body": {"text": "Track it"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Track", "url": "https://example.com/t/1"}}}}),
    )
    .await;
    assert_sends(
        Message::flow("Book now", Flow::by_id("1234", "tok-1", "Book").navigate("WELCOME", json!({"x": 1}))),
        json!({"type": "interactive", "interactive": {"type": "flow", "body": {"text": "Book now"},
            "action": {"name": "flow", "parameters": {
                "flow_message_version": "3", "flow_token": "tok-1", "flow_id": "1234", "flow_cta": "Book",
                "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME", "data": {"x": 1}}}}}}),
    )
    .await;
    assert_sends(
        Message::location_request("Where should we deliver?"),
        json!({"type": "interactive", "interactive": {"type": "location_request_message",
            "body": {"text": "Where should we deliver?"}, "action": {"name": "send_location"}}}),
    )
    .await;
    assert_sends(
        Message::product("cat-1", "sku-9"),
        json!({"type": "interactive", "interactive": {"type": "product",
            "action": {"catalog_id": "cat-1", "product_retailer_id": "sku-9"}}}),
    )
    .await;
    assert_sends(
        Message::product_list("Our picks", "cat-1", [ProductSection::new("Shoes", ["sku-1", "sku-2"])])
            .header("Sale"),
        json!({"type": "interactive", "interactive": {"type": "product_list",
            "header": {"type": "text", "text": "Sale"}, "body": {"text": "Our picks"},
            "action": {"catalog_id": "cat-1", "sections": [{"title": "Shoes",
                "product_items": [{"product_retailer_id": "sku-1"}, {"product_retailer_id": "sku-2"}]}]}}}),
    )
    .await;
    assert_sends(
        Message::catalog("Browse", Some("sku-1".into())),
        json!({"type": "interactive", "interactive": {"type": "catalog_message", "body": {"text": "Browse"},
            "action": {"name": "catalog_message", "parameters": {"thumbnail_product_retailer_id": "sku-1"}}}}),
    )
    .await;
}

#[tokio::test]
async fn template_with_every_parameter_kind() {
    let template = Template::new("order_update", "en_US")
        .header([Parameter::image_link("https://x/y.jpg")])
        .body([
            Parameter::text("Jessica"),
            Parameter::currency("$100.99", "USD", 100_990),
            Parameter::date_time("February 25, 1977"),
        ])
        .quick_reply_button(0, "STOP")
        .url_button(1, "order/8841")
        .copy_code_button(2, "SAVE25")
        .flow_button(3, "t", json!({}));
    assert_sends(
        Message::template(template),
        json!({"type": "template", "template": {
            "name": "order_update", "language": {"code": "en_US"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/y.jpg"}}]},
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Jessica"},
                    {"type": "currency", "currency": {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100_990}},
                    {"type": "date_time", "date_time": {"fallback_value": "February 25, 1977"}}]},
                {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "STOP"}]},
                {"type": "button", "sub_type": "url", "index": 1, "parameters": [{"type": "text", "text": "order/8841"}]},
                {"type": "button", "sub_type": "COPY_CODE", "index": 2, "parameters": [{"type": "coupon_code", "coupon_code": "SAVE25"}]},
                {"type": "button", "sub_type": "flow", "index": 3, "parameters": [{"type": "action", "action": {"flow_token": "t", "flow_action_data": {}}}]}
            ]}}),
    )
    .await;
}

#[tokio::test]
async fn template_named_parameters_documents_locations_and_carousel() {
    let template = Template::new("welcome", "en")
        .header([Parameter::document(MediaSource::id("55"), Some("terms.pdf".into())).named("terms")])
        .body([Parameter::text("Ana").named("first_name")]);
    assert_sends(
        Message::template(template),
        json!({"type": "template", "template": {"name": "welcome", "language": {"code": "en"},
            "components": [
                {"type": "header", "parameters": [{"type": "document", "parameter_name": "terms", "document": {"id": "55", "filename": "terms.pdf"}}]},
                {"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Ana"}]}]}}),
    )
    .await;
    let carousel = Template::new("offers", "en").body([Parameter::text("you")]).carousel([Card::new(
        0,
        [
            Component::Header(vec![Parameter::image(MediaSource::id("77"))]),
            Component::Body(vec![Parameter::text("20%")]),
        ],
    )]);
    assert_sends(
        Message::template(carousel),
        json!({"type": "template", "template": {"name": "offers", "language": {"code": "en"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "you"}]},
                {"type": "carousel", "cards": [{"card_index": 0, "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"id": "77"}}]},
                    {"type": "body", "parameters": [{"type": "text", "text": "20%"}]}]}]}]}}),
    )
    .await;
    let location =
        Template::new("pickup", "en").header([Parameter::location(1.5, 2.5, "Depot", "1 Main St")]);
    assert_sends(
        Message::template(location),
        json!({"type": "template", "template": {"name": "pickup", "language": {"code": "en"},
            "components": [{"type": "header", "parameters": [{"type": "location", "location": {"latitude": 1.5, "longitude": 2.5, "name": "Depot", "address": "1 Main St"}}]}]}}),
    )
    .await;
    assert_sends(
        Message::template(Template::one_time_password("auth_code", "en_US", "123456")),
        json!({"type": "template", "template": {"name": "auth_code", "language": {"code": "en_US"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": "123456"}]},
                {"type": "button", "sub_type": "url", "index": 0, "parameters": [{"type": "text", "text": "123456"}]}]}}),
    )
    .await;
}

#[tokio::test]
async fn reactions() {
    assert_sends(
        Message::reaction(WAMID, "👍"),
        json!({"type": "reaction", "reaction": {"message_id": WAMID, "emoji": "👍"}}),
    )
    .await;
    assert_sends(
        Message::remove_reaction(WAMID),
        json!({"type": "reaction", "reaction": {"message_id": WAMID, "emoji": ""}}),
    )
    .await;
}

#[tokio::test]
async fn held_templates_and_bsuid_contacts_parse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "US.1349", "user_id": "US.1349"}],
            "messages": [{"id": WAMID, "message_status": "held_for_quality_assessment"}]
        })))
        .mount(&server)
        .await;
    let sent = client(&server)
        .whatsapp(PHONE)
        .send(Recipient::user_id("US.1349"), Message::template(Template::new("promo", "en")))
        .await
        .unwrap();
    assert_eq!(sent.messages[0].message_status, Some(MessageStatus::HeldForQualityAssessment));
    assert_eq!(sent.contacts[0].wa_id, None);
    assert_eq!(sent.contacts[0].user_id.as_deref(), Some("US.1349"));
}

#[tokio::test]
async fn outside_the_window_is_a_typed_error_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_bytes(fixture("errors/131047_reengagement.json")))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).whatsapp(PHONE).send_text("16505551234", "hi").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideWindow);
    assert!(err.api_error().unwrap().details().unwrap().contains("24 hours"));
}

#[tokio::test]
async fn pair_rate_limit_is_retried_for_sends() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_bytes(fixture("errors/131056_pair_rate.json")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(accepted("accepted")).with_priority(2).mount(&server).await;
    let sent = client(&server).whatsapp(PHONE).send_text("16505551234", "hi").send_with_meta().await.unwrap();
    assert_eq!(sent.meta().attempts, 2);
}

fn violation_of(message: Message) -> (String, Violation) {
    let err = message.validate().unwrap_err();
    (err.field().to_owned(), err.violation().clone())
}

#[test]
fn limits_are_checked_before_sending() {
    let long = |n: usize| "é".repeat(n);
    let cases: Vec<(Message, &str)> = vec![
        (Message::text(long(4097)), "text.body"),
        (Message::text("  "), "text.body"),
        (Message::image(MediaSource::id("1")).caption(long(1025)), "media.caption"),
        (Message::audio(MediaSource::id("1")).caption("no"), "media.caption"),
        (Message::image(MediaSource::link("ftp://x")), "media.link"),
        (
            Message::buttons("q", (0..4).map(|i| ReplyButton::new(format!("b{i}"), format!("B{i}")))),
            "interactive.action.buttons",
        ),
        (
            Message::buttons("q", [ReplyButton::new("a", "A"), ReplyButton::new("a", "B")]),
            "interactive.action.buttons",
        ),
        (Message::buttons("q", [ReplyButton::new("a", long(21))]), "interactive.action.buttons.reply.title"),
        (Message::buttons("q", [ReplyButton::new(long(257), "A")]), "interactive.action.buttons.reply.id"),
        (Message::buttons("q", Vec::<ReplyButton>::new()), "interactive.action.buttons"),
        (Message::buttons("", [ReplyButton::new("a", "A")]), "interactive.body.text"),
        (Message::buttons(long(1025), [ReplyButton::new("a", "A")]), "interactive.body.text"),
        (Message::buttons("q", [ReplyButton::new("a", "A")]).header(long(61)), "interactive.header.text"),
        (Message::buttons("q", [ReplyButton::new("a", "A")]).footer(long(61)), "interactive.footer.text"),
        (
            Message::list("q", "Open", [Section::new("s", (0..11).map(|i| Row::new(format!("r{i}"), "R")))]),
            "interactive.action.sections.rows",
        ),
        (
            Message::list("q", "Open", [Section::new("s", [Row::new("r", long(25))])]),
            "interactive.action.sections.rows.title",
        ),
        (
            Message::list("q", "Open", [Section::new("s", [Row::new("r", "R").description(long(73))])]),
            "interactive.action.sections.rows.description",
        ),
        (
            Message::list(
                "q",
                "Open",
                [Section::untitled([Row::new("a", "A")]), Section::untitled([Row::new("b", "B")])],
            ),
            "interactive.action.sections.title",
        ),
        (
            Message::list("q", long(21), [Section::untitled([Row::new("a", "A")])]),
            "interactive.action.button",
        ),
        (Message::cta_url("q", long(21), "https://x"), "interactive.action.parameters.display_text"),
        (Message::flow("q", Flow::by_id("1", "tok", "")), "interactive.action.parameters.flow_cta"),
        (Message::flow("q", Flow::by_id("", "t", "Go")), "interactive.action.parameters"),
        (Message::flow("q", Flow::by_name("n", "t", long(21))), "interactive.action.parameters.flow_cta"),
        (Message::product_list("q", "cat", [ProductSection::new("s", ["a"])]), "interactive.header"),
        (
            Message::product_list("q", "cat", [ProductSection::new("s", (0..31).map(|i| format!("p{i}")))])
                .header("h"),
            "interactive.action.sections.product_items",
        ),
        (Message::text("x").callback_data(long(513)), "biz_opaque_callback_data"),
        (Message::location(Location::new(91.0, 0.0)), "location.latitude"),
        (
            Message::template(Template::new("t", "en").header([Parameter::text(long(61))])),
            "template.components.header.parameters",
        ),
        (
            Message::template(
                Template::new("t", "en").header([Parameter::text("h")]).body([Parameter::text(long(1025))]),
            ),
            "template.components.body.parameters",
        ),
        (
            Message::template(
                Template::new("t", "en").body([Parameter::text("a").named("a"), Parameter::text("b")]),
            ),
            "template.components",
        ),
        (
            Message::template(Template::new("t", "en").body([Parameter::text("a").named("Bad-Name")])),
            "template.parameter_name",
        ),
        (Message::contacts(Vec::new()), "contacts"),
    ];
    for (message, field) in cases {
        let (got, violation) = violation_of(message);
        assert_eq!(got, field, "{violation:?}");
    }
    let (_, violation) = violation_of(Message::text(long(4097)));
    assert_eq!(violation, Violation::TooLong { max: 4096, actual: 4097 });
}

#[test]
fn the_long_body_limit_needs_a_template_declared_body_only() {
    let long = |n: usize| "é".repeat(n);
    // A template declared body-only allows long text parameters; body parameters alone do not
    // say so (the template may have a static header, footer or buttons).
    assert!(
        Message::template(Template::new("t", "en").body_only().body([Parameter::text(long(5000))]))
            .validate()
            .is_ok()
    );
    let (field, violation) =
        violation_of(Message::template(Template::new("t", "en").body([Parameter::text(long(1025))])));
    assert_eq!(
        (field.as_str(), violation),
        ("template.components.body.parameters", Violation::TooLong { max: 1024, actual: 1025 })
    );
    let (field, _) = violation_of(Message::template(
        Template::new("t", "en").body_only().header([Parameter::text("x")]).body([Parameter::text("y")]),
    ));
    assert_eq!(field, "template.components");
}

#[tokio::test]
async fn invalid_messages_never_reach_meta() {
    let server = MockServer::start().await;
    let wa = client(&server).whatsapp(PHONE);
    let err = wa.send("16505551234", Message::text("x".repeat(5000))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation_error().unwrap().field(), "text.body");
    assert!(err.to_string().contains("text.body: too long (5000 > 4096 characters)"), "{err}");
    let err = wa.send("", Message::text("hi")).await.unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "to");
    let err = client(&server).whatsapp("..").send_text("1", "hi").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn mark_read_and_typing_indicator() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "status": "read", "message_id": WAMID})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "status": "read", "message_id": WAMID, "typing_indicator": {"type": "text"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    wa.mark_read(WAMID).await.unwrap();
    wa.mark_read_with_typing(WAMID).await.unwrap();
}

#[tokio::test]
async fn success_false_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": false})))
        .mount(&server)
        .await;
    let client = meta_messaging::Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client.whatsapp(PHONE).mark_read(WAMID).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[test]
fn named_body_parameters_go_with_buttons_and_media_headers() {
    use meta_messaging::whatsapp::message::MediaSource;
    use meta_messaging::whatsapp::template::{Parameter, Template};
    // Meta's named-parameter example with a quick-reply button and an image header: valid.
    let template = Template::new("order_confirmation", "en_US")
        .header([Parameter::image(MediaSource::link("https://example.com/banner.png"))])
        .body([
            Parameter::text("Jessica").named("first_name"),
            Parameter::text("SKBUP2-4CPIG9").named("order_number"),
        ])
        .quick_reply_button(0, "UNSUBSCRIBE");
    assert_eq!(template.validate(), Ok(()));
    // Header text and body parameters still may not mix.
    let mixed = Template::new("t", "en_US")
        .header([Parameter::text("Hi")])
        .body([Parameter::text("Jessica").named("first_name")]);
    assert!(mixed.validate().is_err());
}
