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
//! the example sends to the crate's fake Graph server (`testing::FakeGraph`) on 127.0.0.1.

use meta_messaging::Client;
use meta_messaging::messenger::{Button, Element, Message, QuickReply, SenderAction};
use meta_messaging::testing::FakeGraph;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let fake = if env("META_PAGE_TOKEN").is_none() { Some(FakeGraph::start().await) } else { None };
    let token = env("META_PAGE_TOKEN").unwrap_or_else(|| "local-demo-token".to_owned());
    let base_url = fake.as_ref().map(FakeGraph::uri).or_else(|| env("META_GRAPH_BASE_URL"));
    if let Some(uri) = &fake.as_ref().map(FakeGraph::uri) {
        println!("no META_PAGE_TOKEN: sending to a fake Graph server at {uri}");
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
    println!("question sent: {:?}", sent.message_id());
    let card = Element::new("Classic hat")
        .subtitle("Wool, one size")
        .image_url("https://example.com/hat.jpg")
        .button(Button::postback("Buy", "BUY_HAT"))
        .button(Button::url("Details", "https://example.com/hat"));
    let sent = page.send(psid.as_str(), Message::generic([card])).await?;
    println!("card sent: {:?}", sent.message_id());
    if let Some(fake) = fake {
        println!("the fake server recorded {} sends", fake.outbox().len());
    }
    Ok(())
}
