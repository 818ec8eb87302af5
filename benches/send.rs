//! Sending a WhatsApp text through the client, next to a bare reqwest POST of the same JSON to
//! the same local server (wiremock on 127.0.0.1, request recording off), sequential and with 64
//! requests in flight. Budget: the client with the pacer off at most 1.10x the floor. The pacer
//! is also measured without contention (each send to a different phone number).
//!
//! Criterion reports each side's time; the verdict comes from paired repetitions run after it
//! (client and floor back to back, alternating order, median ratio), because loopback HTTP on
//! a shared 2-vCPU VM drifts far more between runs than the budget allows.
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
    let url = format!("{}/v25.0/106540352242922/messages", server.uri());
    let body = serde_json::to_vec(&json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
        "type": "text", "text": {"preview_url": false, "body": TEXT}
    }))
    .expect("json");
    let http = reqwest::Client::builder().build().expect("reqwest");
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .http_client(http.clone())
        .build()
        .expect("client");
    let pacer = Pacer::new(PacerConfig::default().throughput(1000).pair_interval(std::time::Duration::ZERO));
    let paced_handles =
        (0..1000).map(|i| client.whatsapp(format!("10654035224{i:04}")).with_pacer(pacer.clone())).collect();
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

/// How many paired repetitions decide the verdict (odd, for a median).
const REPS: usize = 21;

/// One side of a paired repetition: `batches` rounds of `in_flight` concurrent sends.
fn time_batches<F: std::future::Future<Output = usize>>(
    setup: &Setup,
    batches: usize,
    in_flight: usize,
    mut send: impl FnMut() -> F,
) -> Duration {
    let start = Instant::now();
    for _ in 0..batches {
        let sends: Vec<F> = (0..in_flight).map(|_| send()).collect();
        black_box(setup.runtime.block_on(join_all(sends)));
    }
    start.elapsed()
}

/// The client against the floor, back to back and alternating which runs first, `REPS` times;
/// returns the sorted per-repetition ratios. HTTP rows on this VM move up to 2x between
/// runs (`perf-limits.md`, caveats), so a single criterion run of each says little about the ratio.
fn paired_ratios(setup: &Setup, in_flight: usize, paced: bool) -> Vec<f64> {
    let batches = if in_flight == 1 { 1000 } else { 60 };
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
    // One unmeasured round to fill the connection pool for this concurrency.
    time_batches(setup, 2, in_flight, || floor_send(setup));
    time_batches(setup, 2, in_flight, &mut client);
    let mut ratios: Vec<f64> = (0..REPS)
        .map(|rep| {
            let (floor, ours) = if rep % 2 == 0 {
                let floor = time_batches(setup, batches, in_flight, || floor_send(setup));
                (floor, time_batches(setup, batches, in_flight, &mut client))
            } else {
                let ours = time_batches(setup, batches, in_flight, &mut client);
                (time_batches(setup, batches, in_flight, || floor_send(setup)), ours)
            };
            ours.as_secs_f64() / floor.as_secs_f64()
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios
}

fn main() {
    let setup = setup();
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &setup);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    println!(
        "\nsend text, client vs bare reqwest POST, median of {REPS} paired repetitions \
         (budget {BUDGET:.2}x with the pacer off):"
    );
    for (id, in_flight) in [("sequential", 1), ("64 in flight", 64)] {
        for (label, paced) in [("pacer off", false), ("pacer on", true)] {
            let ratios = paired_ratios(&setup, in_flight, paced);
            let median = ratios[ratios.len() / 2];
            let verdict = match (paced, median <= BUDGET) {
                (false, true) => "within budget",
                (false, false) => "OVER BUDGET",
                (true, _) => "no budget",
            };
            println!(
                "  {id:>13} {label:>9}: ratio {median:.2}x (range {:.2}x..{:.2}x)  {verdict}",
                ratios[0],
                ratios[ratios.len() - 1]
            );
        }
    }
}
