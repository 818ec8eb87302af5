//! Send a text, a template and an image through the WhatsApp Cloud API.
//!
//! With real credentials:
//!
//! ```sh
//! META_ACCESS_TOKEN=EAAG... WHATSAPP_PHONE_NUMBER_ID=106540352242922 WHATSAPP_TO=16505551234 \
//!     cargo run --example whatsapp_send
//! ```
//!
//! `WHATSAPP_TEMPLATE` names an approved template with one body parameter to send instead of
//! `hello_world`. `META_GRAPH_BASE_URL` points the client at another Graph host (a proxy or a
//! mock). Without
//! `META_ACCESS_TOKEN`, the example starts the crate's fake Graph server (`testing::FakeGraph`)
//! on 127.0.0.1 and sends there, so it runs anywhere.

use meta_messaging::Client;
use meta_messaging::testing::FakeGraph;
use meta_messaging::whatsapp::media::MediaUpload;
use meta_messaging::whatsapp::{MediaSource, Message, Parameter, Template};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let _mock; // keeps the local mock alive when there are no credentials
    let (token, base_url) = if let Some(token) = env("META_ACCESS_TOKEN") {
        (token, env("META_GRAPH_BASE_URL"))
    } else {
        let server = FakeGraph::start().await;
        let uri = server.uri();
        _mock = server;
        println!("no META_ACCESS_TOKEN: sending to a fake Graph server at {uri}");
        ("local-demo-token".to_owned(), Some(uri))
    };
    let phone_number_id = env("WHATSAPP_PHONE_NUMBER_ID").unwrap_or_else(|| "106540352242922".to_owned());
    let to = env("WHATSAPP_TO").unwrap_or_else(|| "16505551234".to_owned());

    let mut builder = Client::builder().access_token(token);
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    let wa = builder.build()?.whatsapp(phone_number_id);

    // A text (only within 24 hours of the user's last message).
    let sent = wa.send(to.as_str(), Message::text("Hello from meta-messaging 👋")).await?;
    println!("text sent: {:?}", sent.message_id());

    // A template (any time); `hello_world` exists on every new WABA. Templates with parameters
    // take them per component: `.body([Parameter::text("Jessica")])`.
    let template = match env("WHATSAPP_TEMPLATE") {
        Some(name) => Template::new(name, "en_US").body([Parameter::text("Jessica")]),
        None => Template::new("hello_world", "en_US"),
    };
    let sent = wa.send(to.as_str(), Message::template(template)).await?;
    println!(
        "template sent: {:?} ({:?})",
        sent.message_id(),
        sent.messages.first().and_then(|m| m.message_status.clone())
    );

    // An image: upload once, send by id.
    let png = include_bytes!("../tests/fixtures/media/pixel.png");
    let uploaded =
        wa.upload_media(MediaUpload::from_bytes(&png[..], "image/png").file_name("pixel.png")).await?;
    let sent =
        wa.send(to.as_str(), Message::image(MediaSource::id(uploaded.id.clone())).caption("A pixel")).await?;
    println!("image {} sent: {:?}", uploaded.id, sent.message_id());
    Ok(())
}
