//! Durable delivery, each beside its floor in the same run.
//!
//! - **Durable ingest**: verify + parse + dedupe + persist of distinct signed WhatsApp bodies
//!   through the [`Inbox`] (group commit), at 1 and at 32 concurrent requests, against a floor
//!   that INSERTs the same bytes into the same engine with the same durability (one autocommit
//!   per body). SQLite always; PostgreSQL when `META_MESSAGING_POSTGRES_URL` is set. Budget: at
//!   32 concurrent, at least 0.7x the floor's bodies/s.
//! - **Relay delivery**: a [`Worker`] with [`HttpRelay`] forwarding queued events to a local
//!   endpoint that answers `204`, against a bare reqwest POST loop of the same payloads at the
//!   same concurrency (32). Budget: at least 0.9x the loop's events/s.
//!
//! The verdicts come from interleaved rounds (crate, floor, alternating which goes first) and
//! the ratio of median round times, as in the send bench: disk syncs on a shared VM drift more
//! between runs than within one.
//!
//! Run: `cargo bench --bench delivery` (PostgreSQL rows: also set the URL and build with
//! `--features postgres`).

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use futures_util::future::join_all;
use meta_messaging::delivery::{
    DestinationPolicy, HttpRelay, INBOX_QUEUE, InMemoryQueue, Inbox, NewItem, Queue, Worker, WorkerConfig,
};
use meta_messaging::store::SqliteQueue;
use meta_messaging::testing::{SignedWebhook, WebhookBuilder};
use meta_messaging::webhook::Verifier;
use meta_messaging::webhook::relay::SigningSecret;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const APP_SECRET: &str = "bench-app-secret";
const BUDGET: f64 = 0.7;
const ROUNDS: usize = 9;
/// The relay worker's events/s against a bare reqwest POST loop at the same concurrency (#28).
const RELAY_BUDGET: f64 = 0.9;

fn bodies(count: usize, seed: u64) -> Vec<SignedWebhook> {
    (0..count as u64)
        .map(|i| {
            WebhookBuilder::whatsapp("106540352242922")
                .at(1_700_000_000 + seed * 1_000_000 + i * 10)
                .text(
                    &format!("1650555{:04}", i % 97),
                    "Hello, I would like to know where my order #8841 is, thanks!",
                )
                .sign(APP_SECRET)
        })
        .collect()
}

/// What a durable ingest does per request: verify, parse, then store (deduped) before answering.
async fn ingest(verifier: &Verifier, inbox: &Inbox, signed: &SignedWebhook) {
    let webhook = verifier.verify_and_parse(&signed.body, &signed.signature).expect("verified");
    let stored = inbox.store(&signed.body, &webhook).await.expect("stored");
    assert_eq!(stored.stored, 1);
}

/// Runs `work` over `bodies` with `concurrency` requests in flight.
async fn drive<F, Fut>(bodies: &[SignedWebhook], concurrency: usize, work: F) -> Duration
where
    F: Fn(SignedWebhook) -> Fut + Clone,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    for chunk in bodies.chunks(concurrency) {
        join_all(chunk.iter().cloned().map(work.clone())).await;
    }
    start.elapsed()
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// Interleaved rounds of the crate and the floor; returns (crate bodies/s, floor bodies/s).
fn paired<C, F>(per_round: usize, mut ours: C, mut floor: F) -> (f64, f64)
where
    C: FnMut(usize) -> Duration,
    F: FnMut(usize) -> Duration,
{
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            a.push(ours(round));
            b.push(floor(round));
        } else {
            b.push(floor(round));
            a.push(ours(round));
        }
    }
    let rate = |d: Duration| f64::from(u32::try_from(per_round).unwrap_or(u32::MAX)) / d.as_secs_f64();
    (rate(median(&mut a)), rate(median(&mut b)))
}

fn report(label: &str, ours: f64, floor: f64, budget: Option<f64>) {
    let ratio = ours / floor;
    let verdict = match budget {
        Some(min) if ratio >= min => "within budget",
        Some(_) => "UNDER BUDGET",
        None => "no budget",
    };
    println!("  {label:<34} crate {ours:>9.0}/s  floor {floor:>9.0}/s  ratio {ratio:.2}x  {verdict}");
}

/// Durable ingest through `inbox` against `insert` (the floor: the same bytes, one plain INSERT
/// per body), at 1 and at 32 concurrent requests.
fn compare_ingest<F, Fut>(runtime: &tokio::runtime::Runtime, inbox: &Inbox, seed: u64, insert: F)
where
    F: Fn(Vec<u8>) -> Fut + Clone,
    Fut: std::future::Future<Output = ()>,
{
    let verifier = Verifier::new(APP_SECRET);
    for (concurrency, per_round) in [(1usize, 64usize), (32, 512)] {
        let all = bodies(per_round * ROUNDS, seed + concurrency as u64);
        let round_of = |round: usize| &all[round * per_round..(round + 1) * per_round];
        let (ours, floor) = paired(
            per_round,
            |round| {
                runtime.block_on(drive(round_of(round), concurrency, |signed| {
                    let verifier = &verifier;
                    async move { ingest(verifier, inbox, &signed).await }
                }))
            },
            |round| {
                runtime.block_on(drive(round_of(round), concurrency, |signed| {
                    let insert = insert.clone();
                    async move { insert(black_box(signed.body)).await }
                }))
            },
        );
        report(&format!("{concurrency} concurrent"), ours, floor, (concurrency == 32).then_some(BUDGET));
    }
}

fn sqlite_ingest(runtime: &tokio::runtime::Runtime) {
    let dir = std::env::temp_dir().join(format!("mm-bench-delivery-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (queue, floor_pool) = runtime.block_on(async {
        let queue = SqliteQueue::open(dir.join("queue.db").to_str().expect("path")).await.expect("queue");
        // The floor: the same engine, journal and sync level, one plain INSERT per body.
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("floor.db").display()))
            .expect("options")
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        // SQLite has one writer: one connection is plain INSERTs' best rate (more only add lock
        // waits and busy retries, which would flatter the crate).
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("floor");
        sqlx::query("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            .execute(&pool)
            .await
            .expect("floor table");
        (queue, pool)
    });
    let inbox = Inbox::new(Arc::new(queue));
    println!(
        "\ndurable ingest on SQLite (WAL, synchronous=FULL), bodies/s (budget {BUDGET:.1}x at 32 concurrent):"
    );
    compare_ingest(runtime, &inbox, 1, |body| {
        let pool = floor_pool.clone();
        async move {
            sqlx::query("INSERT INTO floor (body) VALUES (?)")
                .bind(body)
                .execute(&pool)
                .await
                .expect("insert");
        }
    });
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "postgres")]
fn postgres_ingest(runtime: &tokio::runtime::Runtime) {
    let Ok(url) = std::env::var("META_MESSAGING_POSTGRES_URL") else {
        println!("\ndurable ingest on PostgreSQL: skipped (META_MESSAGING_POSTGRES_URL is not set)");
        return;
    };
    let schema = format!("mm_bench_{:016x}", fastrand::u64(..));
    let (queue, floor_pool, admin) = runtime.block_on(async {
        let admin =
            sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.expect("postgres");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.expect("schema");
        let options: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options.options([("search_path", schema.as_str())]))
            .await
            .expect("pool");
        sqlx::query("CREATE TABLE floor (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)")
            .execute(&pool)
            .await
            .expect("floor table");
        let queue = meta_messaging::store::PostgresQueue::from_pool(pool.clone()).await.expect("queue");
        (queue, pool, admin)
    });
    let inbox = Inbox::new(Arc::new(queue));
    println!("\ndurable ingest on PostgreSQL (synchronous_commit as the server has it), bodies/s:");
    compare_ingest(runtime, &inbox, 100, |body| {
        let pool = floor_pool.clone();
        async move {
            sqlx::query("INSERT INTO floor (body) VALUES ($1)")
                .bind(body)
                .execute(&pool)
                .await
                .expect("insert");
        }
    });
    runtime.block_on(async {
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin).await.expect("drop");
    });
}

#[cfg(not(feature = "postgres"))]
fn postgres_ingest(_: &tokio::runtime::Runtime) {
    println!("\ndurable ingest on PostgreSQL: skipped (build with --features postgres)");
}

fn relay_delivery(runtime: &tokio::runtime::Runtime) {
    const EVENTS: usize = 512;
    let url = runtime.block_on(async {
        let app = axum::Router::new()
            .route("/hooks", axum::routing::post(|| async { axum::http::StatusCode::NO_CONTENT }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}/hooks")
    });
    let secret = SigningSecret::generate();
    let http = meta_messaging::testing::http_client();
    let payload = br#"{"object":"whatsapp_business_account","kind":"whatsapp.message.text","event":{"id":"wamid.X","type":"text","text":{"body":"hello"}}}"#.to_vec();
    let config = WorkerConfig::default().batch(32).poll_interval(Duration::from_millis(1));
    // The endpoint is on loopback over plain http: the policy must allow it (a default relay
    // refuses both, see `DestinationPolicy`).
    let lab = DestinationPolicy::default().allow_private_targets(true).allow_http(true);
    let relay = HttpRelay::with_policy(&url, &secret, lab).expect("relay");
    println!("\nrelay delivery to a local endpoint, events/s (32 in flight, budget {RELAY_BUDGET:.1}x):");
    let (ours, floor) = paired(
        EVENTS,
        |round| {
            let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
            let items: Vec<NewItem> = (0..EVENTS)
                .map(|i| NewItem::new(format!("{round}-{i}"), format!("c{i}"), payload.clone()))
                .collect();
            runtime.block_on(queue.enqueue(INBOX_QUEUE, &items)).expect("enqueue");
            let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, relay.clone()).config(config.clone());
            let start = Instant::now();
            runtime.block_on(async { while worker.run_once().await.expect("run") > 0 {} });
            start.elapsed()
        },
        |_| {
            let start = Instant::now();
            runtime.block_on(async {
                for _ in 0..EVENTS / 32 {
                    join_all((0..32).map(|_| {
                        http.post(&url)
                            .header("content-type", "application/json")
                            .body(payload.clone())
                            .send()
                    }))
                    .await;
                }
            });
            start.elapsed()
        },
    );
    report("relay worker vs reqwest POST loop", ours, floor, Some(RELAY_BUDGET));
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut criterion = Criterion::default().configure_from_args();
    // One criterion row, so `cargo bench` lists the bench; the verdicts are printed below.
    let verifier = Verifier::new(APP_SECRET);
    let sample = bodies(1, 7).remove(0);
    criterion.bench_function("delivery/event_records", |b| {
        b.iter(|| {
            let webhook = verifier.verify_and_parse(&sample.body, &sample.signature).expect("verified");
            black_box(meta_messaging::delivery::event_records(&sample.body, &webhook).len())
        });
    });
    criterion.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list" || a == "--profile-time") {
        return;
    }
    sqlite_ingest(&runtime);
    postgres_ingest(&runtime);
    relay_delivery(&runtime);
}
