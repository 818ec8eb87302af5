//! A paced sender: WhatsApp texts through the crate's handle with a pacer attached, in-process or
//! shared by every replica through Redis. Configured only by the environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `GRAPH_BASE_URL` | the Graph API (or a stand-in, `http://127.0.0.1:9000`) |
//! | `PACER_STORE` | `redis://...`, shared by every replica; `memory` for this process alone |
//! | `PACER_PREFIX` | the key prefix in Redis (replicas that share limits share it) |
//! | `PHONE_NUMBER_ID` | the sending number |
//! | `THROUGHPUT` | messages per second for that number, all replicas together |
//! | `PAIR_INTERVAL_MS`, `PAIR_BURST` | the pair rate: a burst, then one message per interval per recipient |
//! | `RECIPIENTS` | comma-separated phone numbers |
//! | `SENDS` | how many texts this replica sends, round-robin over the recipients |
//! | `CONCURRENCY` | sends in flight in this replica |
//!
//! Every message goes to `{GRAPH_BASE_URL}/{version}/{PHONE_NUMBER_ID}/messages`; the pacer
//! waits for each slot (never fails fast). It prints one summary line and exits 0 when every
//! send was accepted. Replicas sharing a Redis store and prefix together stay within the
//! limits: the pacer runs a little under them (3% under the throughput, 5% + 10 ms over the pair
//! interval) so network jitter between the pacer and the server cannot push a window over.
//!
//! ```sh
//! GRAPH_BASE_URL=http://127.0.0.1:9000 PACER_STORE=redis://127.0.0.1:6379 PACER_PREFIX='{demo}' \
//! PHONE_NUMBER_ID=106540352242922 THROUGHPUT=20 PAIR_INTERVAL_MS=1000 PAIR_BURST=2 \
//! RECIPIENTS=16505551234,16505551235 SENDS=40 CONCURRENCY=8 cargo run --example paced_sender --all-features
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use meta_messaging::Client;
use meta_messaging::pacing::{OutagePolicy, Pacer, PacerConfig, PacingPolicy};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn env(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

fn number<T: std::str::FromStr>(name: &str) -> Result<T, Failure> {
    env(name)?.trim().parse().map_err(|_| format!("{name} must be a number").into())
}

/// The pacer's limits: a little inside the configured ones, so that jitter between the moment
/// a slot is granted and the moment the server sees the request cannot push a window over.
fn config(throughput: u32, pair_interval: Duration, pair_burst: u32) -> PacerConfig {
    let paced = if throughput >= 20 { throughput - throughput.div_ceil(33) } else { throughput };
    PacerConfig::default()
        .throughput(paced)
        .throughput_burst(1)
        .pair_interval(pair_interval.mul_f64(1.05) + Duration::from_millis(10))
        .pair_burst(pair_burst)
        .policy(PacingPolicy::Wait { max_wait: Duration::from_secs(3600) })
}

async fn pacer(store: &str, prefix: &str, config: PacerConfig) -> Result<Pacer, Failure> {
    if store == "memory" {
        return Ok(Pacer::new(config));
    }
    if store.starts_with("redis://") || store.starts_with("rediss://") {
        #[cfg(feature = "redis")]
        {
            let limits = meta_messaging::store::RedisLimits::connect(store).await?.prefix(prefix);
            // Redis away: fail closed rather than risk passing the shared limits.
            return Ok(Pacer::shared(config, limits, OutagePolicy::FailClosed));
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = (prefix, OutagePolicy::FailClosed);
            return Err("built without the `redis` feature: build with --all-features".into());
        }
    }
    Err("PACER_STORE must be redis://... or memory".into())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let base_url = env("GRAPH_BASE_URL")?;
    let store = env("PACER_STORE")?;
    let prefix = std::env::var("PACER_PREFIX").unwrap_or_else(|_| "{mm}".to_owned());
    let phone = env("PHONE_NUMBER_ID")?;
    let throughput: u32 = number("THROUGHPUT")?;
    let pair_interval = Duration::from_millis(number("PAIR_INTERVAL_MS")?);
    let pair_burst: u32 = number("PAIR_BURST")?;
    let recipients: Vec<String> =
        env("RECIPIENTS")?.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect();
    let sends: usize = number("SENDS")?;
    let concurrency: usize = number::<usize>("CONCURRENCY")?.max(1);
    if recipients.is_empty() || throughput == 0 || pair_burst == 0 {
        return Err("RECIPIENTS, THROUGHPUT and PAIR_BURST must not be empty or zero".into());
    }

    let pacer = pacer(&store, &prefix, config(throughput, pair_interval, pair_burst)).await?;
    let token = std::env::var("META_ACCESS_TOKEN").unwrap_or_else(|_| "paced-sender-token".to_owned());
    let client = Client::builder().access_token(token).base_url(base_url).build()?;
    let whatsapp = client.whatsapp(phone.as_str()).with_guard(pacer);

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recipients = Arc::new(recipients);
    let workers: Vec<_> = (0..concurrency.min(sends.max(1)))
        .map(|_| {
            let (whatsapp, next, accepted, failures, recipients) = (
                whatsapp.clone(),
                Arc::clone(&next),
                Arc::clone(&accepted),
                Arc::clone(&failures),
                Arc::clone(&recipients),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= sends {
                        return;
                    }
                    let to = recipients[i % recipients.len()].as_str();
                    match whatsapp.send_text(to, format!("paced message {i}")).await {
                        Ok(_) => {
                            accepted.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(error) => failures
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("{to}: {error}")),
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    let accepted = accepted.load(Ordering::SeqCst);
    let failures = failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    println!(
        "paced_sender: {accepted}/{sends} accepted in {:.2}s (store {}, throughput {throughput}/s, pair {} per {}ms){}",
        started.elapsed().as_secs_f64(),
        if store == "memory" { "memory" } else { "redis" },
        pair_burst,
        pair_interval.as_millis(),
        failures.first().map(|f| format!("; first failure: {f}")).unwrap_or_default()
    );
    if accepted == sends {
        Ok(())
    } else {
        Err(format!("{} of {sends} sends failed", sends - accepted).into())
    }
}
