//! Webhook ingestion end to end over HTTP: the axum `WebhookRouter` in memory mode (cap, verify,
//! parse, dedupe, hand-off to a handler) against two floors, each served on one thread, with
//! `wrk` (one thread, 32 connections) posting distinct signed WhatsApp bodies to each in
//! alternating runs:
//!
//! - a bare axum route that reads the bodies and answers 200 (budget: the router at least 0.9x);
//! - the same route that also checks the signature and parses the body with the crate's
//!   functions, to show what the router adds beyond the work every webhook endpoint must do.
//!
//! Needs `wrk` on the PATH (`apt-get install wrk`); without it the bench says so and measures
//! nothing. Run: `cargo bench --bench ingest_http`.

use std::hint::black_box;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

use axum::http::StatusCode;
use meta_messaging::axum::{Delivery, WebhookRouter};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::{InMemoryDeduplicator, Verifier, parse};

const APP_SECRET: &str = "ingest-bench-secret";
const BUDGET: f64 = 0.9;
const BODIES: u64 = 4096;
const ROUNDS: usize = 5;

/// Starts `app` on its own thread with a one-thread runtime; returns its address.
fn serve(app: axum::Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("address")).expect("send");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{}/", rx.recv().expect("address"))
}

/// A wrk script cycling through distinct signed bodies.
fn script() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("mm-ingest-{}.lua", std::process::id()));
    let mut file = std::fs::File::create(&path).expect("script");
    writeln!(file, "local bodies = {{").expect("write");
    let mut signatures = Vec::new();
    for i in 0..BODIES {
        let signed = WebhookBuilder::whatsapp("106540352242922")
            .at(1_700_000_000 + i * 10)
            .text(
                &format!("1650555{:04}", i % 997),
                "Hello, I would like to know where my order #8841 is, thanks!",
            )
            .status_delivered(&format!("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI{i:016X}"), "16505551234")
            .sign(APP_SECRET);
        writeln!(file, "[==[{}]==],", String::from_utf8_lossy(&signed.body)).expect("write");
        signatures.push(signed.signature);
    }
    writeln!(file, "}}\nlocal signatures = {{").expect("write");
    for signature in signatures {
        writeln!(file, "\"{signature}\",").expect("write");
    }
    writeln!(
        file,
        "}}\nlocal i = 0\nrequest = function()\n  i = i % #bodies + 1\n  return wrk.format(\"POST\", \"/\", \
         {{[\"Content-Type\"] = \"application/json\", [\"X-Hub-Signature-256\"] = signatures[i]}}, bodies[i])\nend"
    )
    .expect("write");
    path
}

/// Requests per second `wrk` reached against `url`, with the non-2xx count.
fn wrk(url: &str, script: &std::path::Path) -> (f64, u64) {
    let output =
        Command::new("wrk").args(["-t1", "-c32", "-d3s", "-s"]).arg(script).arg(url).output().expect("wrk");
    let text = String::from_utf8_lossy(&output.stdout);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk's output:\n{text}"));
    let errors = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (rate, errors)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("ingest_http bench: wrk is not installed (apt-get install wrk); nothing measured");
        return;
    }
    let bare = serve(axum::Router::new().route(
        "/",
        axum::routing::post(|body: axum::body::Bytes| async move {
            black_box(body.len());
            StatusCode::OK
        }),
    ));
    let verifier = Verifier::new(APP_SECRET);
    let checked = serve(axum::Router::new().route(
        "/",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
            let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or("");
            if verifier.verify(&body, signature).is_err() {
                return StatusCode::UNAUTHORIZED;
            }
            match parse(&body) {
                Ok(webhook) => {
                    black_box(webhook.events().count());
                    StatusCode::OK
                }
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    ));
    // A dedupe smaller than the cycle of bodies: every request is a fresh event.
    let router = serve(
        WebhookRouter::new(Verifier::new(APP_SECRET), "bench-token")
            .dedupe(InMemoryDeduplicator::new(1024, Duration::from_secs(3600)))
            .handler(|delivery: Delivery| async move {
                black_box(delivery.events().count());
            })
            .into_router(),
    );
    let script = script();
    let urls = [&bare, &checked, &router];
    for url in urls {
        wrk(url, &script); // warm up
    }
    let mut rates: [Vec<f64>; 3] = Default::default();
    for round in 0..ROUNDS {
        for offset in 0..urls.len() {
            let which = (round + offset) % urls.len();
            let (rate, errors) = wrk(urls[which], &script);
            assert_eq!(errors, 0, "non-2xx answers from {}", urls[which]);
            rates[which].push(rate);
        }
    }
    let [bare, checked, router] = rates.map(median);
    let ratio = router / bare;
    println!("\nwebhook ingestion over HTTP, one server thread, wrk -t1 -c32, {ROUNDS} alternating rounds:");
    println!(
        "  bare axum route reading the body  {bare:>9.0} req/s\n  \
         same route + verify + parse       {checked:>9.0} req/s  ({:.2}x of bare)\n  \
         WebhookRouter (in memory)         {router:>9.0} req/s  ratio {ratio:.2}x of bare (budget {BUDGET:.1}x: {}), \
         {:.2}x of the verify + parse route",
        checked / bare,
        if ratio >= BUDGET { "within" } else { "UNDER" },
        router / checked,
    );
    std::fs::remove_file(script).ok();
}
