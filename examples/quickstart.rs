//! Quickstart: receive a signed WhatsApp webhook and answer it, with no credentials.
//!
//! Run it with `cargo run --example quickstart`. It starts a local mock of the Graph API on
//! 127.0.0.1, builds the body Meta would POST to your webhook (signed with an app secret),
//! verifies the signature over the raw bytes, parses it, drops a redelivery, and answers each
//! text message through the client, printing a transcript.
//!
//! In a real deployment, the body and `X-Hub-Signature-256` come from Meta's POST to your
//! endpoint, the app secret from your app dashboard, and the client talks to
//! `https://graph.facebook.com` with your access token.

use meta_messaging::Client;
use meta_messaging::webhook::{self, InMemoryDeduplicator, Verifier};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP_SECRET: &str = "quickstart-app-secret";
const ACCESS_TOKEN: &str = "quickstart-access-token";
const PHONE_NUMBER_ID: &str = "106540352242922";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A stand-in for graph.facebook.com that accepts sends from our phone number.
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}/messages")))
        .and(header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "message_status": "accepted"}]
        })))
        .mount(&graph)
        .await;
    let client = Client::builder().access_token(ACCESS_TOKEN).base_url(graph.uri()).build()?;

    // 2. What Meta would POST to your webhook: two messages batched in one body.
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Kerry"}, "wa_id": "16505551234"}],
            "messages": [
                {"from": "16505551234", "id": "wamid.1", "timestamp": "1763800000", "type": "text", "text": {"body": "Hi! Is my order on its way?"}},
                {"from": "16505551234", "id": "wamid.2", "timestamp": "1763800005", "type": "reaction", "reaction": {"message_id": "wamid.0", "emoji": "👍"}}
            ]}}]}]
    })
    .to_string()
    .into_bytes();
    let verifier = Verifier::new(APP_SECRET);
    let signature = verifier.sign(&body); // Meta sends this as X-Hub-Signature-256.

    // 3. Your webhook handler: verify the raw bytes, parse, dedupe, answer. The same body is
    //    delivered twice, as Meta may do.
    let dedupe = InMemoryDeduplicator::default();
    for delivery in 1..=2 {
        println!("webhook delivery {delivery}: {} bytes", body.len());
        let payload = verifier.verify_and_parse(&body, &signature)?;
        let fresh = webhook::new_events(&dedupe, &payload).await?;
        if fresh.is_empty() {
            println!("  (redelivery: every event already handled)");
        }
        for event in fresh {
            println!("  <- {} from {}", event.kind(), event.sender().unwrap_or("?"));
            if let (Some(text), Some(user)) = (event.text(), event.sender()) {
                let reply = format!("You said: {text}");
                let sent: Value = client
                    .post(format!("{PHONE_NUMBER_ID}/messages"))
                    .json(&json!({
                        "messaging_product": "whatsapp",
                        "to": user,
                        "type": "text",
                        "text": {"body": reply}
                    }))
                    .await?;
                println!("  -> {reply:?} (message id {})", sent["messages"][0]["id"].as_str().unwrap_or("?"));
            }
        }
    }

    // 4. A forged request is refused before parsing.
    let forged = verifier.verify(br#"{"object":"whatsapp_business_account","entry":[]}"#, &signature);
    println!("forged body: {}", forged.map_or_else(|e| e.to_string(), |()| "accepted".to_owned()));
    Ok(())
}
