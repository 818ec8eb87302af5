//! Sending a WhatsApp text through the client, next to a bare reqwest POST of the same JSON to
//! the same local server (wiremock on 127.0.0.1, request recording off), sequential and with 64
//! requests in flight. Budget: the client with the pacer off at most 1.10x the floor. The pacer
//! is also measured without contention (each send to a different phone number).
//!
//! Criterion reports each side's time; the verdict comes from interleaved batches run after it
//! (one batch of the client, one of the floor, alternating which goes first; the ratio of the
//! median batch times), because loopback HTTP on a shared 2-vCPU VM drifts far more between
//! runs than the budget allows.
//!
//! Run: `cargo bench --bench send`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use futures_util::future::join_all;
use meta_messaging::Client;
use meta_messaging::pacing::{Pacer, PacerConfig};
use meta_messaging::whatsapp::WhatsApp;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const BUDGET: f64 = 1.10;
const TOKEN: &str = "EAAGbenchTOKEN0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz0123456789";
const TEXT: &str =
    "Your order #8841 has shipped and will arrive tomorrow between 9:00 and 12:00. Reply STOP to opt out.";

struct Setup {
    runtime: tokio::runtime::Runtime,
    _server: MockServer,
    url: String,
    http: reqwest::Client,
    body: Vec<u8>,
    handle: WhatsApp,
    paced_handles: Vec<WhatsApp>,
}

fn setup() -> Setup {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(async {
        let server = MockServer::builder().disable_request_recording().start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
                "messages": [{"id": "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "message_status": "accepted"}]
            })))
            .mount(&server)
            .await;
        server
    });
    let url = format!("{}/v26.0/106540352242922/messages", server.uri());
    let body = serde_json::to_vec(&json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
        "type": "text", "text": {"preview_url": false, "body": TEXT}
    }))
    .expect("json");
    let http = meta_messaging::graph::http_client_builder().expect("TLS").build().expect("reqwest");
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .http_client(http.clone())
        .build()
        .expect("client");
    let pacer = Pacer::new(PacerConfig::default().throughput(1000).pair_interval(std::time::Duration::ZERO));
    let paced_handles =
        (0..1000).map(|i| client.whatsapp(format!("10654035224{i:04}")).with_guard(pacer.clone())).collect();
    Setup {
        runtime,
        _server: server,
        url,
        http,
        body,
        handle: client.whatsapp("106540352242922"),
        paced_handles,
    }
}

async fn floor_send(setup: &Setup) -> usize {
    let response = setup
        .http
        .post(&setup.url)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(setup.body.clone())
        .send()
        .await
        .expect("send");
    response.bytes().await.expect("body").len()
}

async fn crate_send(wa: &WhatsApp) -> usize {
    let sent = wa.send_text("16505551234", TEXT).await.expect("send");
    sent.messages.len()
}

fn bench(c: &mut Criterion, setup: &Setup) {
    let mut group = c.benchmark_group("send");
    let mut turn = 0usize;
    group.throughput(Throughput::Elements(1));
    group.bench_function(BenchmarkId::new("floor", "sequential"), |b| {
        b.iter(|| setup.runtime.block_on(floor_send(black_box(setup))));
    });
    group.bench_function(BenchmarkId::new("crate", "sequential"), |b| {
        b.iter(|| setup.runtime.block_on(crate_send(&setup.handle)));
    });
    group.bench_function(BenchmarkId::new("paced", "sequential"), |b| {
        b.iter(|| {
            turn = (turn + 1) % setup.paced_handles.len();
            setup.runtime.block_on(crate_send(&setup.paced_handles[turn]))
        });
    });
    group.throughput(Throughput::Elements(64));
    group.bench_function(BenchmarkId::new("floor", "64 in flight"), |b| {
        b.iter(|| setup.runtime.block_on(join_all((0..64).map(|_| floor_send(setup)))));
    });
    group.bench_function(BenchmarkId::new("crate", "64 in flight"), |b| {
        b.iter(|| setup.runtime.block_on(join_all((0..64).map(|_| crate_send(&setup.handle)))));
    });
    group.bench_function(BenchmarkId::new("paced", "64 in flight"), |b| {
        b.iter(|| {
            setup.runtime.block_on(join_all((0..64).map(|_| {
                turn = (turn + 1) % setup.paced_handles.len();
                crate_send(&setup.paced_handles[turn])
            })))
        });
    });
    group.finish();
}

/// How many interleaved pairs decide a row's verdict: single sends, and batches of 64 (each
/// side of a row takes well under a second on this machine).
const SEQUENTIAL_PAIRS: usize = 3000;
const CONCURRENT_PAIRS: usize = 375;

/// One batch: `in_flight` concurrent sends.
fn time_batch<F: std::future::Future<Output = usize>>(
    setup: &Setup,
    in_flight: usize,
    mut send: impl FnMut() -> F,
) -> Duration {
    let start = Instant::now();
    let sends: Vec<F> = (0..in_flight).map(|_| send()).collect();
    black_box(setup.runtime.block_on(join_all(sends)));
    start.elapsed()
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort_unstable();
    times[times.len() / 2].as_secs_f64()
}

/// The client against the floor, one batch each in turn (alternating which goes first), and
/// the ratio of the median batch times. HTTP rows on this VM move up to 2x between runs
/// (`perf-limits.md`, caveats): interleaving single batches exposes both sides to the same
/// drift, and medians ignore the stalls a neighbour causes.
fn paired_ratio(setup: &Setup, in_flight: usize, paced: bool) -> (f64, f64, f64) {
    let pairs = if in_flight == 1 { SEQUENTIAL_PAIRS } else { CONCURRENT_PAIRS };
    let mut turn = 0usize;
    let mut client = || {
        let handle = if paced {
            turn = (turn + 1) % setup.paced_handles.len();
            &setup.paced_handles[turn]
        } else {
            &setup.handle
        };
        crate_send(handle)
    };
    // Unmeasured rounds to fill the connection pool for this concurrency.
    for _ in 0..3 {
        time_batch(setup, in_flight, || floor_send(setup));
        time_batch(setup, in_flight, &mut client);
    }
    let mut floor = Vec::with_capacity(pairs);
    let mut ours = Vec::with_capacity(pairs);
    for pair in 0..pairs {
        if pair % 2 == 0 {
            floor.push(time_batch(setup, in_flight, || floor_send(setup)));
            ours.push(time_batch(setup, in_flight, &mut client));
        } else {
            ours.push(time_batch(setup, in_flight, &mut client));
            floor.push(time_batch(setup, in_flight, || floor_send(setup)));
        }
    }
    let (floor, ours) = (median(&mut floor), median(&mut ours));
    (ours / floor, floor, ours)
}

fn main() {
    let setup = setup();
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &setup);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list" || a == "--profile-time") {
        return;
    }
    println!(
        "\nsend text, client vs bare reqwest POST, median batch times over interleaved pairs \
         (budget {BUDGET:.2}x with the pacer off):"
    );
    for (id, in_flight) in [("sequential", 1), ("64 in flight", 64)] {
        for (label, paced) in [("pacer off", false), ("pacer on", true)] {
            let (ratio, floor, ours) = paired_ratio(&setup, in_flight, paced);
            let verdict = match (paced, ratio <= BUDGET) {
                (false, true) => "within budget",
                (false, false) => "OVER BUDGET",
                (true, _) => "no budget",
            };
            println!(
                "  {id:>13} {label:>9}: floor {:>8.1} µs  client {:>8.1} µs  ratio {ratio:.2}x  {verdict}",
                floor * 1e6,
                ours * 1e6
            );
        }
    }
}
