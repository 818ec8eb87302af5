//! Answer on Instagram: a DM reply, a reaction, and a private reply to a comment, with either
//! login.
//!
//! With Instagram Login (graph.instagram.com, Instagram user token):
//!
//! ```sh
//! IG_TOKEN=IGAA... IG_ACCOUNT_ID=17841400000000000 IG_USER=1234567890123456 IG_LOGIN=instagram \
//!     cargo run --example instagram_reply
//! ```
//!
//! With Facebook Login, set `IG_TOKEN` to the Page token and `IG_ACCOUNT_ID` to the linked Page
//! id, and leave `IG_LOGIN` unset. `IG_COMMENT_ID` and `IG_MESSAGE_ID` enable the private reply
//! and the reaction. `META_GRAPH_BASE_URL` / `META_INSTAGRAM_BASE_URL` point at other hosts;
//! without `IG_TOKEN` the example sends to the crate's fake Graph server (`testing::FakeGraph`).

use meta_messaging::Client;
use meta_messaging::instagram::{Message, QuickReply};
use meta_messaging::testing::FakeGraph;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let mock = if env("IG_TOKEN").is_none() { Some(FakeGraph::start().await) } else { None };
    let mut builder =
        Client::builder().access_token(env("IG_TOKEN").unwrap_or_else(|| "local-demo-token".to_owned()));
    if let Some(server) = &mock {
        println!("no IG_TOKEN: sending to a fake Graph server at {}", server.uri());
        builder = builder.base_url(server.uri()).instagram_base_url(server.instagram_uri());
    } else {
        if let Some(url) = env("META_GRAPH_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(url) = env("META_INSTAGRAM_BASE_URL") {
            builder = builder.instagram_base_url(url);
        }
    }
    let mut ig =
        builder.build()?.instagram(env("IG_ACCOUNT_ID").unwrap_or_else(|| "17841400000000000".to_owned()));
    if env("IG_LOGIN").as_deref() == Some("instagram") || mock.is_some() {
        ig = ig.with_instagram_login();
    }
    let user = env("IG_USER").unwrap_or_else(|| "1234567890123456".to_owned());

    let sent = ig
        .send(
            user.as_str(),
            Message::text("Thanks for your message! Want our price list?")
                .quick_reply(QuickReply::text("Yes", "PRICES")),
        )
        .await?;
    println!("reply sent: {:?}", sent.message_id());
    let message_id = env("IG_MESSAGE_ID").or_else(|| mock.as_ref().map(|_| "aWdfZAG06".to_owned()));
    if let Some(mid) = message_id {
        ig.react(user.as_str(), &mid, "love").await?;
        println!("reacted to {mid}");
    }
    let comment = env("IG_COMMENT_ID").or_else(|| mock.as_ref().map(|_| "17890000000000001".to_owned()));
    if let Some(comment) = comment {
        let sent = ig.private_reply(&comment, "We sent you the details in a DM").await?;
        println!("private reply to comment {comment}: {:?}", sent.message_id());
    }
    Ok(())
}
