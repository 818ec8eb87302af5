//! Webhook core: verify + parse + walk every event, next to its floor.
//!
//! Floor (same bytes, same run): HMAC-SHA256 of the body with a pre-keyed state and a
//! constant-time compare, plus `serde_json` into a minimal typed struct (the fields a hand-rolled
//! handler would read) and a walk over its messages and statuses. Budget: at most 1.3x.
//! Beside it, the minimal floor: the same walk over borrowed `&str` fields (`Cow` where Meta
//! escapes), with no allocation per field; target at most 1.4x.
//!
//! Run: `cargo bench --bench webhook`. The ratios are printed after criterion's report.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use meta_messaging::webhook::{Verifier, parse};
use serde::Deserialize;
use sha2::Sha256;

const SECRET: &str = "bench-app-secret-0123456789";
const BUDGET: f64 = 1.3;
/// The ratio #26 asks for against the minimal borrowed floor.
const BORROWED_TARGET: f64 = 1.4;

/// A WhatsApp `messages` body with `messages` text messages and `statuses` statuses, compact as
/// Meta sends it.
fn body(messages: usize, statuses: usize) -> Vec<u8> {
    let contacts: Vec<String> = (0..messages.min(2))
        .map(|i| format!(r#"{{"profile":{{"name":"Customer {i}"}},"wa_id":"1650555{i:04}"}}"#))
        .collect();
    let messages: Vec<String> = (0..messages)
        .map(|i| {
            format!(
                r#"{{"from":"1650555{:04}","id":"wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdFQjE4RjlBQ0Y2MkU3RDU5{i:04}MwA=","timestamp":"1763800{:03}","text":{{"body":"Hello, is my order #{i} on its way? Thanks \u00e9\u00e8 \/"}},"type":"text"}}"#,
                i % 2,
                i % 1000
            )
        })
        .collect();
    let statuses: Vec<String> = (0..statuses)
        .map(|i| {
            format!(
                r#"{{"id":"wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3{i:04}RTcA","status":"delivered","timestamp":"1763800{:03}","recipient_id":"16505551234","conversation":{{"id":"b3f1a7c0d2e4f6a8b0c2d4e6f8a0b2c4","origin":{{"type":"service"}}}},"pricing":{{"billable":false,"pricing_model":"PMP","category":"service","type":"free_customer_service"}}}}"#,
                i % 1000
            )
        })
        .collect();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}},"contacts":[{}],"messages":[{}],"statuses":[{}]}},"field":"messages"}}]}}]}}"#,
        contacts.join(","),
        messages.join(","),
        statuses.join(",")
    )
    .into_bytes()
}

// `status` mirrors Meta's field name.
#[allow(clippy::struct_field_names)]
mod floor {
    use super::Deserialize;

    #[derive(Deserialize)]
    pub(crate) struct Envelope {
        pub(crate) entry: Vec<Entry>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Entry {
        pub(crate) changes: Vec<Change>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Change {
        pub(crate) value: Value,
    }
    #[derive(Deserialize)]
    pub(crate) struct Value {
        #[serde(default)]
        pub(crate) metadata: Option<Metadata>,
        #[serde(default)]
        pub(crate) contacts: Vec<Contact>,
        #[serde(default)]
        pub(crate) messages: Vec<Message>,
        #[serde(default)]
        pub(crate) statuses: Vec<Status>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Metadata {
        pub(crate) phone_number_id: String,
    }
    #[derive(Deserialize)]
    pub(crate) struct Contact {
        pub(crate) wa_id: String,
    }
    #[derive(Deserialize)]
    pub(crate) struct Message {
        pub(crate) from: String,
        pub(crate) id: String,
        pub(crate) timestamp: String,
        #[serde(rename = "type")]
        pub(crate) kind: String,
        #[serde(default)]
        pub(crate) text: Option<Text>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Text {
        pub(crate) body: String,
    }
    #[derive(Deserialize)]
    pub(crate) struct Status {
        pub(crate) id: String,
        pub(crate) status: String,
        pub(crate) timestamp: String,
        pub(crate) recipient_id: String,
    }
}

/// The floors' walk: the same fields a hand-rolled handler reads, over either floor's structs.
macro_rules! walk {
    ($envelope:expr) => {{
        let mut n = 0;
        for entry in &$envelope.entry {
            for change in &entry.changes {
                let v = &change.value;
                n += v.metadata.as_ref().map_or(0, |m| m.phone_number_id.len())
                    + v.contacts.iter().map(|c| c.wa_id.len()).sum::<usize>();
                for m in &v.messages {
                    n += m.id.len()
                        + m.from.len()
                        + m.timestamp.len()
                        + m.kind.len()
                        + m.text.as_ref().map_or(0, |t| t.body.len());
                }
                for s in &v.statuses {
                    n += s.id.len() + s.status.len() + s.timestamp.len() + s.recipient_id.len();
                }
            }
        }
        n
    }};
}

/// The minimal floor: the same walk over borrowed fields (`Cow` only where Meta escapes).
#[allow(clippy::struct_field_names)]
mod borrowed {
    use std::borrow::Cow;

    use super::Deserialize;

    #[derive(Deserialize)]
    pub(crate) struct Envelope<'a> {
        #[serde(borrow)]
        pub(crate) entry: Vec<Entry<'a>>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Entry<'a> {
        #[serde(borrow)]
        pub(crate) changes: Vec<Change<'a>>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Change<'a> {
        #[serde(borrow)]
        pub(crate) value: Value<'a>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Value<'a> {
        #[serde(borrow, default)]
        pub(crate) metadata: Option<Metadata<'a>>,
        #[serde(borrow, default)]
        pub(crate) contacts: Vec<Contact<'a>>,
        #[serde(borrow, default)]
        pub(crate) messages: Vec<Message<'a>>,
        #[serde(borrow, default)]
        pub(crate) statuses: Vec<Status<'a>>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Metadata<'a> {
        pub(crate) phone_number_id: &'a str,
    }
    #[derive(Deserialize)]
    pub(crate) struct Contact<'a> {
        pub(crate) wa_id: &'a str,
    }
    #[derive(Deserialize)]
    pub(crate) struct Message<'a> {
        pub(crate) from: &'a str,
        pub(crate) id: &'a str,
        pub(crate) timestamp: &'a str,
        #[serde(rename = "type")]
        pub(crate) kind: &'a str,
        #[serde(borrow, default)]
        pub(crate) text: Option<Text<'a>>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Text<'a> {
        #[serde(borrow)]
        pub(crate) body: Cow<'a, str>,
    }
    #[derive(Deserialize)]
    pub(crate) struct Status<'a> {
        pub(crate) id: &'a str,
        pub(crate) status: &'a str,
        pub(crate) timestamp: &'a str,
        pub(crate) recipient_id: &'a str,
    }
}

fn borrowed_run(key: &Hmac<Sha256>, body: &[u8], tag: &[u8; 32]) -> usize {
    key.clone().chain_update(body).verify_slice(tag).expect("floor signature");
    let envelope: borrowed::Envelope<'_> = serde_json::from_slice(body).expect("floor parse");
    walk!(envelope)
}

fn floor_run(key: &Hmac<Sha256>, body: &[u8], tag: &[u8; 32]) -> usize {
    key.clone().chain_update(body).verify_slice(tag).expect("floor signature");
    let envelope: floor::Envelope = serde_json::from_slice(body).expect("floor parse");
    walk!(envelope)
}

fn crate_run(verifier: &Verifier, body: &[u8], header: &str) -> usize {
    verifier.verify(body, header).expect("crate signature");
    let webhook = parse(body).expect("crate parse");
    let mut n = 0;
    for event in webhook.events() {
        n += event.kind().name().len()
            + event.message_id().map_or(0, str::len)
            + event.sender().map_or(0, str::len)
            + event.text().map_or(0, str::len);
    }
    n
}

fn bench(c: &mut Criterion) -> Vec<(String, String, String)> {
    let verifier = Verifier::new(SECRET);
    let key = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    let mut pairs = Vec::new();
    let mut group = c.benchmark_group("webhook");
    for (label, body) in [("0.5KiB", body(1, 0)), ("1.5KiB", body(2, 2)), ("64KiB", body(120, 120))] {
        let header = verifier.sign(&body);
        let tag: [u8; 32] = key.clone().chain_update(&body).finalize().into_bytes().into();
        assert!(crate_run(&verifier, &body, &header) > 0 && floor_run(&key, &body, &tag) > 0);
        assert_eq!(borrowed_run(&key, &body, &tag), floor_run(&key, &body, &tag));
        let id = format!("{label} ({} B)", body.len());
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("floor", &id), &body, |b, body| {
            b.iter(|| floor_run(black_box(&key), black_box(body), black_box(&tag)));
        });
        group.bench_with_input(BenchmarkId::new("borrowed_floor", &id), &body, |b, body| {
            b.iter(|| borrowed_run(black_box(&key), black_box(body), black_box(&tag)));
        });
        group.bench_with_input(BenchmarkId::new("crate", &id), &body, |b, body| {
            b.iter(|| crate_run(black_box(&verifier), black_box(body), black_box(&header)));
        });
        pairs.push(("webhook".to_owned(), id.clone(), id));
    }
    group.finish();
    pairs
}

/// Reads the median of one benchmark from criterion's saved estimates.
fn median_ns(group: &str, function: &str, id: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let dir = |s: &str| s.replace(['/', '(', ')', ' ', '.'], "_");
    let candidates = [
        format!("{target}/criterion/{group}/{function}/{}/new/estimates.json", dir(id)),
        format!("{target}/criterion/{group}/{function}/{id}/new/estimates.json"),
    ];
    let text = candidates.iter().find_map(|p| std::fs::read_to_string(p).ok())?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let pairs = bench(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    println!("\nwebhook verify + parse + walk, crate vs floor (budget {BUDGET:.2}x):");
    report(&pairs, "floor", BUDGET, ("within budget", "OVER BUDGET"));
    println!("\nthe same, crate vs the minimal borrowed floor (target {BORROWED_TARGET:.2}x, #26):");
    report(&pairs, "borrowed_floor", BORROWED_TARGET, ("within target", "over target"));
}

/// Prints the crate's median beside the `floor` benchmark's for each body, and the verdict
/// against `limit`.
fn report(pairs: &[(String, String, String)], floor: &str, limit: f64, verdicts: (&str, &str)) {
    for (group, id, _) in pairs {
        match (median_ns(group, floor, id), median_ns(group, "crate", id)) {
            (Some(floor), Some(ours)) => {
                let ratio = ours / floor;
                let verdict = if ratio <= limit { verdicts.0 } else { verdicts.1 };
                println!(
                    "  {id:>18}: floor {floor:>10.0} ns  crate {ours:>10.0} ns  ratio {ratio:.2}x  {verdict}"
                );
            }
            _ => println!("  {id:>18}: estimates not found (run without filters)"),
        }
    }
}
