//! Conformance with Meta's documented examples: each send kind is built with the crate's API
//! from the values in Meta's own example, sent to a local server, and the body received is
//! compared with Meta's (`tests/fixtures/conformance/meta_send_examples.json`, each entry with
//! the page it comes from).
//!
//! Where Meta's examples disagree with each other, both readings are accepted, and only there:
//! a button `index` as a string or an integer, `sub_type` in either case, coordinates as
//! numbers or numeric strings, and the defaults some examples leave out (a Messenger
//! `messaging_type` of `RESPONSE`, a WhatsApp `recipient_type` of `individual`). Everything else
//! must match exactly.

use meta_messaging::Client;
use meta_messaging::messenger::profile::WebviewHeight;
use meta_messaging::messenger::{
    Attachment, AttachmentKind, Button, Element, Message as PageMessage, Recipient,
};
use meta_messaging::whatsapp::message::{
    ContactAddress, ContactCard, Flow, Header, Location, MediaSource, Message, ProductSection, ReplyButton,
    Row, Section,
};
use meta_messaging::whatsapp::template::{ButtonSubType, Card, Component, Parameter, Template};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{client, fixture_json};

const PHONE: &str = "106540352242922";
const PAGE: &str = "496827783153891";

/// Meta's example for `kind`, and the page it comes from.
fn example(kind: &str) -> (Value, String) {
    let all = fixture_json("conformance/meta_send_examples.json");
    let entry = &all[kind];
    (entry["body"].clone(), entry["source"].as_str().unwrap_or_default().to_owned())
}

/// A server that answers every send like Meta; returns it and a client for it.
async fn stand_in() -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "contacts": [{"input": "x", "wa_id": "x"}],
            "messages": [{"id": "wamid.X"}], "recipient_id": "x", "message_id": "m_X", "success": true})))
        .mount(&server)
        .await;
    let client = client(&server);
    (server, client)
}

/// The one body the server received.
async fn received(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "one request");
    serde_json::from_slice(&requests[0].body).unwrap()
}

/// Applies the documented tolerances to both sides.
fn normalize(value: &mut Value, expected_has_messaging_type: bool) {
    match value {
        Value::Object(map) => {
            if let Some(index) = map.get("index").and_then(Value::as_str).and_then(|s| s.parse::<u64>().ok())
            {
                map.insert("index".to_owned(), index.into());
            }
            if let Some(sub_type) = map.get("sub_type").and_then(Value::as_str) {
                let lower = sub_type.to_ascii_lowercase();
                map.insert("sub_type".to_owned(), lower.into());
            }
            for key in ["latitude", "longitude"] {
                if let Some(number) = map.get(key).and_then(Value::as_str).and_then(|s| s.parse::<f64>().ok())
                {
                    map.insert(key.to_owned(), number.into());
                }
            }
            if !expected_has_messaging_type && map.get("messaging_type") == Some(&json!("RESPONSE")) {
                map.remove("messaging_type");
            }
            // `individual` is the default recipient type; some of Meta's examples leave it out.
            if map.get("recipient_type") == Some(&json!("individual")) {
                map.remove("recipient_type");
            }
            for child in map.values_mut() {
                normalize(child, true);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| normalize(i, true)),
        _ => {}
    }
}

fn assert_conforms(kind: &str, mut sent: Value) {
    let (mut expected, source) = example(kind);
    let has_messaging_type = expected.get("messaging_type").is_some();
    normalize(&mut expected, has_messaging_type);
    normalize(&mut sent, has_messaging_type);
    assert_eq!(sent, expected, "{kind} differs from Meta's example at {source}");
}

/// Sends `message` to Meta's recipient of `kind` and checks the body.
async fn whatsapp(kind: &str, message: Message) {
    let (server, client) = stand_in().await;
    let (expected, _) = example(kind);
    let to = expected["to"].as_str().unwrap().to_owned();
    client.whatsapp(PHONE).send(to.as_str(), message).await.unwrap();
    assert_conforms(kind, received(&server).await);
}

#[tokio::test]
async fn whatsapp_text_media_location_and_reaction_match_meta() {
    whatsapp("wa_text", Message::text("Hello!")).await;
    whatsapp(
        "wa_text_preview_url",
        Message::text(
            "As requested, here's the link to our latest product: https://www.meta.com/quest/quest-3/",
        )
        .preview_url(true),
    )
    .await;
    whatsapp(
        "wa_reply_context",
        Message::text("You're welcome, Pablo!")
            .reply_to("wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTdCNTg5RjY1MEMyRjlGMjRGNgA="),
    )
    .await;
    whatsapp(
        "wa_image_id",
        Message::image(MediaSource::id("1479537139650973")).caption("The best succulent ever?"),
    )
    .await;
    whatsapp("wa_audio", Message::voice(MediaSource::id("1013859600285441"))).await;
    whatsapp("wa_video", Message::video(MediaSource::id("1166846181421424")).caption("A succulent eclipse!"))
        .await;
    whatsapp(
        "wa_document",
        Message::document(MediaSource::id("1376223850470843"))
            .filename("order_abc123.pdf")
            .caption("Your order confirmation (PDF)"),
    )
    .await;
    whatsapp("wa_sticker", Message::sticker(MediaSource::id("798882015472548"))).await;
    whatsapp(
        "wa_location",
        Message::location(
            Location::new(37.442_162_518_686_83, -122.161_535_820_493_94)
                .named("Philz Coffee", "101 Forest Ave, Palo Alto, CA 94301"),
        ),
    )
    .await;
    whatsapp(
        "wa_reaction",
        Message::reaction("wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQUZCMTY0MDc2MUYwNzBDNTY5MAA=", "😀"),
    )
    .await;
}

#[tokio::test]
async fn whatsapp_contact_card_matches_meta() {
    let office = ContactAddress::new()
        .street("1 Lucky Shrub Way")
        .city("Menlo Park")
        .state("CA")
        .zip("94025")
        .country("United States", "US")
        .kind("Office");
    let pop_up = ContactAddress::new()
        .street("1 Hacker Way")
        .city("Menlo Park")
        .state("CA")
        .zip("94025")
        .country("United States", "US")
        .kind("Pop-Up");
    let card = ContactCard::new("Barbara J. Johnson")
        .names("Barbara", "Johnson")
        .middle_name("Joana")
        .affixes("Dr.", "Esq.")
        .birthday("1999-01-23")
        .address(office)
        .address(pop_up)
        .email("bjohnson@luckyshrub.com", Some("Work"))
        .email("bjohnson@luckyshrubplants.com", Some("Work (old)"))
        .org("Lucky Shrub", Some("Lead Counsel"))
        .department("Legal")
        .phone("+16505559999", Some("Landline"), None)
        .phone("+19175559999", Some("Mobile"), Some("19175559999"))
        .url("https://www.luckyshrub.com", Some("Company"))
        .url("https://www.facebook.com/luckyshrubplants", Some("Company (FB)"));
    whatsapp("wa_contacts", Message::contacts([card])).await;
}

#[tokio::test]
async fn whatsapp_interactive_messages_match_meta() {
    whatsapp(
        "wa_interactive_button",
        Message::buttons(
            "Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you need to reschedule. Thank you!",
            [ReplyButton::new("change-button", "Change"), ReplyButton::new("cancel-button", "Cancel")],
        )
        .header(Header::Image(MediaSource::id("2762702990552401")))
        .footer("Lucky Shrub: Your gateway to succulents!™"),
    )
    .await;
    whatsapp(
        "wa_interactive_list",
        Message::list(
            "Which shipping option do you prefer?",
            "Shipping Options",
            [
                Section::new(
                    "I want it ASAP!",
                    [
                        Row::new("priority_express", "Priority Mail Express")
                            .description("Next Day to 2 Days"),
                        Row::new("priority_mail", "Priority Mail").description("1–3 Days"),
                    ],
                ),
                Section::new(
                    "I can wait a bit",
                    [
                        Row::new("usps_ground_advantage", "USPS Ground Advantage").description("2–5 Days"),
                        Row::new("media_mail", "Media Mail").description("2–8 Days"),
                    ],
                ),
            ],
        )
        .header(Header::Text("Choose Shipping Option".into()))
        .footer("Lucky Shrub: Your gateway to succulents™"),
    )
    .await;
    whatsapp(
        "wa_interactive_cta_url",
        Message::cta_url(
            "Tap the button below to see available dates.",
            "See Dates",
            "https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4",
        )
        .header(Header::Image(MediaSource::link(
            "https://www.luckyshrub.com/assets/lucky-shrub-banner-logo-v1.png",
        )))
        .footer("Dates subject to change."),
    )
    .await;
    whatsapp(
        "wa_interactive_flow",
        Message::flow("Flow message body", Flow::by_name("appointment_booking_v1", "", "Book!"))
            .header(Header::Text("Flow message header".into()))
            .footer("Flow message footer"),
    )
    .await;
    whatsapp(
        "wa_location_request",
        Message::location_request(
            "Let's start with your pickup. You can either manually *enter an address* or *share your current location*.",
        ),
    )
    .await;
    whatsapp(
        "wa_interactive_product",
        Message::product("CATALOG_ID", "ID_TEST_ITEM_1").body("BODY_TEXT").footer("FOOTER_TEXT"),
    )
    .await;
    whatsapp(
        "wa_interactive_product_list",
        Message::product_list(
            "BODY_CONTENT",
            "CATALOG_ID",
            [
                ProductSection::new("SECTION_TITLE", ["PRODUCT-SKU", "PRODUCT-SKU"]),
                ProductSection::new("SECTION_TITLE", ["PRODUCT-SKU", "PRODUCT-SKU"]),
            ],
        )
        .header(Header::Text("HEADER_CONTENT".into()))
        .footer("FOOTER_CONTENT"),
    )
    .await;
    whatsapp(
        "wa_catalog_message",
        Message::catalog(
            "Hello! Thanks for your interest. Ordering is easy. Just visit our catalog and add items to purchase.",
            Some("2lc20305pt".to_owned()),
        )
        .footer("Best grocery deals on WhatsApp!"),
    )
    .await;
}

#[tokio::test]
async fn whatsapp_templates_match_meta() {
    whatsapp(
        "wa_template_text",
        Message::template(
            Template::new("order_confirmation", "en_US")
                .body([Parameter::text("Jessica"), Parameter::text("SKBUP2-4CPIG9")]),
        ),
    )
    .await;
    whatsapp(
        "wa_template_named_parameters",
        Message::template(Template::new("order_confirmation", "en_US").body([
            Parameter::text("Jessica").named("first_name"),
            Parameter::text("SKBUP2-4CPIG9").named("order_number"),
        ])),
    )
    .await;
    whatsapp(
        "wa_template_media_header",
        Message::template(
            Template::new("welcome_discount_template", "en_US")
                .header([Parameter::image(MediaSource::id("1339522734477770"))])
                .body([
                    Parameter::text("Jessica").named("first_name"),
                    Parameter::text("WELCOME25").named("discount_code"),
                    Parameter::text("25%").named("discount_amount"),
                ]),
        ),
    )
    .await;
    whatsapp(
        "wa_template_coupon_code",
        Message::template(
            Template::new("coupon_code_fall2023_25off", "en_US")
                .body([Parameter::text("25OFF"), Parameter::text("25%")])
                .copy_code_button(1, "25OFF"),
        ),
    )
    .await;
    whatsapp(
        "wa_template_authentication_otp",
        Message::template(Template::one_time_password("verification_code", "en_US", "J$FpnYnP")),
    )
    .await;
    let card = |index: u8, image: &str, more: &str, slug: &str| {
        Card::new(
            index,
            [
                Component::Header(vec![Parameter::image(MediaSource::id(image))]),
                Component::Button {
                    sub_type: ButtonSubType::QuickReply,
                    index: 0,
                    parameters: vec![Parameter::payload(more)],
                },
                Component::Button {
                    sub_type: ButtonSubType::Url,
                    index: 1,
                    parameters: vec![Parameter::text(slug)],
                },
            ],
        )
    };
    whatsapp(
        "wa_template_carousel",
        Message::template(
            Template::new("carousel_template_media_cards_v1", "en_US")
                .body([Parameter::text("Pablo"), Parameter::text("20%"), Parameter::text("20OFF")])
                .carousel([
                    card(0, "1558081531584829", "more-aloes", "blue-elf"),
                    card(1, "861236878885705", "more-crassulas", "buddhas-temple"),
                    card(2, "1587064918516321", "more-echeverias", "black-prince"),
                ]),
        ),
    )
    .await;
    whatsapp(
        "wa_template_limited_time_offer",
        Message::template(
            Template::new("limited_time_offer_caribbean_pkg_2023", "en_US")
                .header([Parameter::image(MediaSource::id("1602186516975000"))])
                .body([Parameter::text("Pablo"), Parameter::text("CARIBE25")])
                .component(Component::LimitedTimeOffer { expiration_time_ms: 1_209_600_000 })
                .copy_code_button(0, "CARIBE25")
                .url_button(1, "n3mtql"),
        ),
    )
    .await;
}

#[tokio::test]
async fn whatsapp_read_receipts_match_meta() {
    let (_, message_id) = ("", "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA");
    let (server, client) = stand_in().await;
    client.whatsapp(PHONE).mark_read(message_id).await.unwrap();
    assert_conforms("wa_mark_read", received(&server).await);
    let (server, client) = stand_in().await;
    client.whatsapp(PHONE).mark_read_with_typing(message_id).await.unwrap();
    assert_conforms("wa_typing_indicator", received(&server).await);
}

/// Sends `message` to Meta's Messenger recipient of `kind` and checks the body.
async fn messenger(kind: &str, to: Recipient, message: Option<PageMessage>) {
    let (server, client) = stand_in().await;
    let page = client.messenger(PAGE);
    match message {
        Some(message) => page.send(to, message).await.map(drop).unwrap(),
        None => {
            page.sender_action(to, meta_messaging::messenger::SenderAction::TypingOn)
                .await
                .map(drop)
                .unwrap();
        }
    }
    assert_conforms(kind, received(&server).await);
}

#[tokio::test]
async fn messenger_sends_match_meta() {
    use meta_messaging::messenger::QuickReply;
    messenger("msgr_text", Recipient::id("<PSID>"), Some(PageMessage::text("Hello, world!"))).await;
    messenger(
        "msgr_image_url",
        Recipient::id("1254459154682919"),
        Some(PageMessage::attachment(
            Attachment::url(AttachmentKind::Image, "http://www.messenger-rocks.com/image.jpg").reusable(),
        )),
    )
    .await;
    let reply = |title: &str, image: &str| {
        let QuickReply::Text { title, payload, .. } = QuickReply::text(title, "{POSTBACK_PAYLOAD}") else {
            unreachable!()
        };
        QuickReply::Text { title, payload, image_url: Some(image.to_owned()) }
    };
    messenger(
        "msgr_quick_replies",
        Recipient::id("{PSID}"),
        Some(
            PageMessage::text("Pick a color:")
                .quick_reply(reply("Red", "http://example.com/img/red.png"))
                .quick_reply(reply("Green", "http://example.com/img/green.png")),
        ),
    )
    .await;
    let element = Element::new("Welcome!")
        .image_url("https://raw.githubusercontent.com/fbsamples/original-coast-clothing/main/public/styles/male-work.jpg")
        .subtitle("We have the right hat for everyone.")
        .default_url("https://www.originalcoastclothing.com/")
        .default_webview_height(WebviewHeight::Tall)
        .button(Button::url("View Website", "https://www.originalcoastclothing.com/"))
        .button(Button::postback("Start Chatting", "DEVELOPER_DEFINED_PAYLOAD"));
    messenger("msgr_generic_template", Recipient::id("<PSID>"), Some(PageMessage::generic([element]))).await;
    messenger(
        "msgr_button_template",
        Recipient::id("{PSID}"),
        Some(PageMessage::buttons(
            "What do you want to do next?",
            [Button::url("Visit Messenger", "https://www.messenger.com")],
        )),
    )
    .await;
    messenger("msgr_sender_action_typing_on", Recipient::id("<PSID>"), None).await;
    messenger(
        "msgr_private_reply",
        Recipient::comment("17865799348089039"),
        Some(PageMessage::text("Thanks for liking our logo! How can I help?")),
    )
    .await;
}

#[test]
fn every_example_is_exercised_and_cites_meta() {
    let all = fixture_json("conformance/meta_send_examples.json");
    let here = include_str!("conformance.rs");
    for (kind, entry) in all.as_object().unwrap().iter().filter(|(k, _)| !k.starts_with('_')) {
        assert!(here.contains(&format!("\"{kind}\"")), "{kind} has no conformance check");
        let source = entry["source"].as_str().unwrap_or_default();
        assert!(source.starts_with("https://developers.facebook.com/"), "{kind}: {source}");
    }
}
