//! Drives the `paced_sender` program from outside, as the contract says, and checks what a
//! stand-in for the Graph API saw: no one-second window above `THROUGHPUT` (one message of
//! slack), no recipient above `PAIR_BURST` plus one message per `PAIR_INTERVAL_MS` elapsed.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One run: replicas started at once with the same store and prefix.
pub(crate) struct Run {
    pub(crate) store: String,
    pub(crate) prefix: String,
    pub(crate) replicas: usize,
    pub(crate) throughput: u32,
    pub(crate) pair_interval_ms: u64,
    pub(crate) pair_burst: usize,
    pub(crate) sends: usize,
    pub(crate) concurrency: usize,
}

impl Default for Run {
    fn default() -> Self {
        Self {
            store: "memory".to_owned(),
            prefix: "{mm}".to_owned(),
            replicas: 1,
            throughput: 20,
            pair_interval_ms: 400,
            pair_burst: 2,
            sends: 20,
            concurrency: 8,
        }
    }
}

const RECIPIENTS: [&str; 5] = ["16505551001", "16505551002", "16505551003", "16505551004", "16505551005"];

/// The largest number of instants in any window of `span`.
pub(crate) fn busiest_window(times: &[Instant], span: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= span {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

pub(crate) async fn run_and_check(run: &Run) {
    let arrivals = Arc::new(Mutex::new(Vec::<(Instant, String)>::new()));
    let log = Arc::clone(&arrivals);
    let stand_in = axum::Router::new().route(
        "/{version}/{phone}/messages",
        axum::routing::post(move |body: axum::body::Bytes| {
            let message: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let to = message["to"].as_str().unwrap_or_default().to_owned();
            log.lock().unwrap().push((Instant::now(), to.clone()));
            let answer = serde_json::json!({"messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": format!("wamid.{:016x}", fastrand::u64(..))}]});
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], answer.to_string()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, stand_in).await });

    let binary =
        std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("examples/paced_sender");
    let children: Vec<_> = (0..run.replicas)
        .map(|_| {
            Command::new(&binary)
                .env("GRAPH_BASE_URL", &base)
                .env("PACER_STORE", &run.store)
                .env("PACER_PREFIX", &run.prefix)
                .env("PHONE_NUMBER_ID", "106540352242922")
                .env("THROUGHPUT", run.throughput.to_string())
                .env("PAIR_INTERVAL_MS", run.pair_interval_ms.to_string())
                .env("PAIR_BURST", run.pair_burst.to_string())
                .env("RECIPIENTS", RECIPIENTS.join(","))
                .env("SENDS", run.sends.to_string())
                .env("CONCURRENCY", run.concurrency.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("{}: {e}: build it with `cargo build --example paced_sender`", binary.display())
                })
        })
        .collect();
    for child in children {
        let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");
        assert!(stdout.contains(&format!("{0}/{0} accepted", run.sends)), "{stdout}");
    }
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), run.sends * run.replicas);
    let times: Vec<_> = arrivals.iter().map(|(t, _)| *t).collect();
    let busiest = busiest_window(&times, Duration::from_secs(1));
    assert!(
        busiest <= run.throughput as usize + 1,
        "{busiest} messages in one second for THROUGHPUT={}",
        run.throughput
    );
    for recipient in RECIPIENTS {
        let mut times: Vec<_> = arrivals.iter().filter(|(_, to)| to == recipient).map(|(t, _)| *t).collect();
        times.sort();
        for i in 0..times.len() {
            for j in i..times.len() {
                let elapsed = (times[j] - times[i]).as_millis();
                let allowed =
                    run.pair_burst + usize::try_from(elapsed / u128::from(run.pair_interval_ms)).unwrap();
                assert!(j - i < allowed, "{recipient}: {} messages within {elapsed} ms", j - i + 1);
            }
        }
    }
}
