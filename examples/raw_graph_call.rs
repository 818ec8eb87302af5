//! A raw Graph call: any endpoint the crate does not model yet, with the same retries, typed
//! errors, usage headers and secret hygiene as the modelled ones.
//!
//! Run it with `cargo run --example raw_graph_call`. It runs against the crate's fake Graph
//! server on 127.0.0.1, with the endpoint mounted on it (as your tests would for an endpoint the
//! fake does not model); with `META_ACCESS_TOKEN` and `META_WABA_ID` set it calls Meta for real.

use meta_messaging::Client;
use meta_messaging::testing::FakeGraph;
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

/// Only the fields you need: unknown fields are ignored.
#[derive(Debug, Deserialize)]
struct PhoneNumbers {
    data: Vec<PhoneNumber>,
}

/// Graph's field names, as sent.
#[derive(Debug, Deserialize)]
#[allow(clippy::struct_field_names)]
struct PhoneNumber {
    id: String,
    display_phone_number: String,
    quality_rating: Option<String>,
}

#[tokio::main]
// Two branches read better as a match: real credentials, or a local mock.
#[allow(clippy::single_match_else)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, waba_id, _server) = match (std::env::var("META_ACCESS_TOKEN"), std::env::var("META_WABA_ID"))
    {
        (Ok(token), Ok(waba)) => (Client::new(token), waba, None),
        _ => {
            let fake = FakeGraph::start().await;
            Mock::given(method("GET"))
                .and(path("/v26.0/102290129340398/phone_numbers"))
                .and(query_param("fields", "id,display_phone_number,quality_rating"))
                .and(header("authorization", "Bearer EAAG-example-token"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("x-app-usage", r#"{"call_count":12,"total_time":4,"total_cputime":3}"#)
                        .set_body_json(json!({"data": [{
                            "id": "106540352242922", "display_phone_number": "+1 555-078-3881",
                            "quality_rating": "GREEN", "verified_name": "Acme"}]})),
                )
                .mount(fake.server())
                .await;
            let client = fake.client("EAAG-example-token");
            (client, "102290129340398".to_owned(), Some(fake))
        }
    };

    let response = client
        .get::<PhoneNumbers>(format!("{waba_id}/phone_numbers"))
        .fields(["id", "display_phone_number", "quality_rating"])
        .send_with_meta()
        .await?;
    for number in &response.data().data {
        println!("{} {} quality {:?}", number.id, number.display_phone_number, number.quality_rating);
    }
    println!("app usage: {:?}", response.meta().usage.app);

    // An unknown endpoint: a typed Graph error, with the token never in the message.
    match client.get::<serde_json::Value>(format!("{waba_id}/no_such_edge")).send().await {
        Ok(value) => println!("unexpected: {value}"),
        Err(error) => println!("error ({:?}): {error}", error.kind()),
    }
    Ok(())
}
