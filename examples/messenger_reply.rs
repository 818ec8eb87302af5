//! Answer a Messenger user: typing indicator, a text with quick replies, and a card.
//!
//! With real credentials:
//!
//! ```sh
//! META_PAGE_TOKEN=EAAG... MESSENGER_PAGE_ID=496827783153891 MESSENGER_PSID=4146131322999601 \
//!     cargo run --example messenger_reply
//! ```
//!
//! `META_GRAPH_BASE_URL` points the client at another Graph host. Without `META_PAGE_TOKEN`,
//! the example sends to a local mock of the Graph API on 127.0.0.1.

use meta_messaging::Client;
use meta_messaging::messenger::message::{Button, Element, Message, QuickReply, SenderAction};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let mock = if env("META_PAGE_TOKEN").is_none() { Some(local_graph().await) } else { None };
    let token = env("META_PAGE_TOKEN").unwrap_or_else(|| "local-demo-token".to_owned());
    let base_url = mock.as_ref().map(MockServer::uri).or_else(|| env("META_GRAPH_BASE_URL"));
    if let Some(uri) = &mock.as_ref().map(MockServer::uri) {
        println!("no META_PAGE_TOKEN: sending to a local mock at {uri}");
    }
    let mut builder = Client::builder().access_token(token);
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    let page =
        builder.build()?.messenger(env("MESSENGER_PAGE_ID").unwrap_or_else(|| "496827783153891".to_owned()));
    let psid = env("MESSENGER_PSID").unwrap_or_else(|| "4146131322999601".to_owned());

    page.sender_action(psid.as_str(), SenderAction::TypingOn).await?;
    let sent = page
        .send(
            psid.as_str(),
            Message::text("Which size do you wear?")
                .quick_reply(QuickReply::text("M", "SIZE_M"))
                .quick_reply(QuickReply::text("L", "SIZE_L")),
        )
        .await?;
    println!("question sent: {:?}", sent.message_id);
    let card = Element::new("Classic hat")
        .subtitle("Wool, one size")
        .image_url("https://example.com/hat.jpg")
        .button(Button::postback("Buy", "BUY_HAT"))
        .button(Button::url("Details", "https://example.com/hat"));
    let sent = page.send(psid.as_str(), Message::generic([card])).await?;
    println!("card sent: {:?}", sent.message_id);
    Ok(())
}

async fn local_graph() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v\d+\.\d+/\d+/messages$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"recipient_id": "4146131322999601", "message_id": "m_AG5Hz2Uq7tuwNEhX"}),
            ),
        )
        .mount(&server)
        .await;
    server
}
