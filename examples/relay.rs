//! A durable relay: receive Meta's webhooks, store each event before answering, and forward every
//! event to a customer's endpoint with Standard Webhooks signatures, retrying until it answers
//! `2xx`.
//!
//! With no configuration (`cargo run --example relay`) it runs an offline demo on 127.0.0.1: a
//! customer endpoint that fails its first calls, Meta's posts built with `WebhookBuilder`, and
//! the relay's queue in a temporary SQLite file.
//!
//! With `RELAY_TARGET_URL` set it is a production-shaped relay, configured by the environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `RELAY_LISTEN` | host:port to bind (default `127.0.0.1:8080`) |
//! | `META_APP_SECRET` | the app secret that signs Meta's webhooks |
//! | `META_VERIFY_TOKEN` | the subscription handshake's verify token |
//! | `RELAY_STORE` | `sqlite://PATH`, or a `postgres://` URL several replicas share |
//! | `RELAY_TARGET_URL` | the customer's endpoint |
//! | `RELAY_SIGNING_SECRET` | the customer's Standard Webhooks secret (`whsec_...`) |
//! | `RELAY_ALLOW_PRIVATE_TARGETS` | optional: `1` allows a target on a loopback, private, link-local, unique-local or unspecified address, and plain `http` (tests, on-premise customers); unset, such a target is refused at start and never connected to |
//! | `RELAY_RATE_PER_SECOND` | optional: at most this many deliveries a second to the target, held together by every replica sharing `RELAY_STORE` (an event over the rate waits for its slot; the wait is not an attempt); unset, no limit |
//! | `RELAY_RATE_BURST` | optional, with `RELAY_RATE_PER_SECOND`: deliveries allowed at once (default 1) |
//! | `RELAY_TARGET_SUBJECT` | with a `nats://` or `amqp://` target: the NATS subject, or the AMQP routing key |
//! | `RELAY_TARGET_EXCHANGE` | optional, with an `amqp://` target: the exchange (default: the default exchange, which routes by queue name) |
//!
//! Built with the `nats` or `amqp` feature, `RELAY_TARGET_URL` may also be a broker:
//! `nats://[user:password@]host:port` publishes each event to the NATS JetStream subject
//! `RELAY_TARGET_SUBJECT` (its `Nats-Msg-Id` is the event's stable `webhook-id`, so the stream
//! drops a retried duplicate), `amqp://[user:password@]host:port/vhost` to a RabbitMQ exchange
//! as a persistent message with publisher confirms (`message_id` = the `webhook-id`). Both carry
//! the Standard Webhooks headers, are held to the same address rules, and are retried until the
//! broker takes them.
//!
//! Unless `RELAY_ALLOW_PRIVATE_TARGETS=1`, the target must be an `https` URL whose host resolves
//! to public addresses only: the relay refuses to start otherwise (one line on stderr, exit
//! status 1), and checks every connection again (a name that later resolves to a private
//! address is never connected to: its events are dead-lettered as `destination address not
//! allowed`).
//!
//! It serves `GET` (handshake) and `POST` (events) at `/webhooks/meta`. A `200` means the body's
//! events are stored; killed at any moment and restarted, it loses none of them. While the store
//! is unreachable it answers `503` (Meta redelivers) and recovers by itself.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use meta_messaging::axum::WebhookRouter;
use meta_messaging::delivery::{
    CircuitBreaker, DestinationError, DestinationGuard, DestinationPolicy, DestinationStore, Handler,
    HttpRelay, INBOX_QUEUE, Inbox, Item, Queue, Worker, WorkerConfig,
};
#[cfg(feature = "postgres")]
use meta_messaging::store::PostgresQueue;
use meta_messaging::store::SqliteQueue;
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::Verifier;
use meta_messaging::webhook::relay::{RelayVerifier, SigningSecret};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The relay's queue, from `RELAY_STORE`, and the destination's rate state beside its items.
async fn open_store(url: &str) -> Result<(Arc<dyn Queue>, Arc<dyn DestinationStore>), Failure> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let queue = Arc::new(SqliteQueue::open(path).await?);
        return Ok((Arc::clone(&queue) as Arc<dyn Queue>, queue));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // Lazy: the relay starts (and answers 503) even while the server is down.
        #[cfg(feature = "postgres")]
        {
            let queue = Arc::new(PostgresQueue::connect_lazy(url)?);
            return Ok((Arc::clone(&queue) as Arc<dyn Queue>, queue));
        }
        #[cfg(not(feature = "postgres"))]
        return Err("built without the `postgres` feature: build with --all-features".into());
    }
    Err("RELAY_STORE must be sqlite://PATH or a postgres:// URL".into())
}

/// The target's rate from `RELAY_RATE_PER_SECOND` and `RELAY_RATE_BURST`: `None` when unset.
fn target_rate() -> Result<Option<(u32, u32)>, Failure> {
    let number = |name: &str, default: Option<u32>| -> Result<Option<u32>, Failure> {
        match std::env::var(name) {
            Ok(value) => match value.trim().parse::<u32>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(format!("{name} must be a whole number above 0, not {value:?}").into()),
            },
            Err(_) => Ok(default),
        }
    };
    let Some(rate) = number("RELAY_RATE_PER_SECOND", None)? else { return Ok(None) };
    Ok(Some((rate, number("RELAY_RATE_BURST", Some(1))?.unwrap_or(1))))
}

/// The broker schemes this build relays to (their relays check the address themselves).
const BROKERS: &[&str] = &[
    #[cfg(feature = "nats")]
    "nats://",
    #[cfg(feature = "amqp")]
    "amqp://",
];

/// A broker target the policy refused, in the words of `check_target`.
#[cfg(any(feature = "nats", feature = "amqp"))]
fn refused(e: &DestinationError) -> Failure {
    format!("RELAY_TARGET_URL refused: {e} (RELAY_ALLOW_PRIVATE_TARGETS=1 allows a private address)").into()
}

/// The target's handler: an `https` endpoint, or (with the `nats` / `amqp` features) a broker.
async fn target_handler(
    target: &str,
    secret: &SigningSecret,
    policy: DestinationPolicy,
) -> Result<Arc<dyn Handler>, Failure> {
    let scheme = target.trim().split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        #[cfg(feature = "nats")]
        Some("nats") => {
            let subject = env("RELAY_TARGET_SUBJECT")?;
            let relay = meta_messaging::delivery::NatsRelay::connect(target, &subject, &policy).await;
            return Ok(Arc::new(relay.map_err(|e| refused(&e))?.signed(secret)));
        }
        #[cfg(feature = "amqp")]
        Some("amqp") => {
            let (exchange, key) =
                (std::env::var("RELAY_TARGET_EXCHANGE").unwrap_or_default(), env("RELAY_TARGET_SUBJECT")?);
            let relay = meta_messaging::delivery::AmqpRelay::connect(target, &exchange, &key, &policy).await;
            return Ok(Arc::new(relay.map_err(|e| refused(&e))?.signed(secret)));
        }
        _ => {}
    }
    // The relay's promise is "retried until the customer answers 2xx": no status is final.
    let relay = HttpRelay::with_policy(target, secret, policy)?
        .dead_letter_client_errors(false)
        .timeout(Duration::from_secs(10))
        .circuit_breaker(CircuitBreaker::new(20, Duration::from_secs(2)));
    Ok(Arc::new(relay))
}

/// Forwarding that keeps trying: a customer back after an outage gets its events within seconds.
fn relay_worker(
    (queue, destinations): (Arc<dyn Queue>, Arc<dyn DestinationStore>),
    target: Arc<dyn Handler>,
    rate: Option<(u32, u32)>,
) -> Worker {
    let relay = move |item: Item| {
        let target = Arc::clone(&target);
        async move { target.handle(&item).await }
    };
    let config = WorkerConfig::default()
        .batch(32)
        .lease(Duration::from_secs(15), Duration::from_secs(12))
        .poll_interval(Duration::from_millis(50))
        .backoff(Duration::from_millis(200), Duration::from_secs(10))
        .give_up_after(u32::MAX, Some(Duration::from_secs(3 * 24 * 3600)));
    match rate {
        Some((per_second, burst)) => {
            let guarded = DestinationGuard::new("target", destinations, relay).rate(per_second, burst);
            Worker::new(queue, INBOX_QUEUE, guarded).config(config)
        }
        None => Worker::new(queue, INBOX_QUEUE, relay).config(config),
    }
}

fn router(queue: Arc<dyn Queue>, app_secret: &str, verify_token: &str) -> axum::Router {
    let webhooks =
        WebhookRouter::new(Verifier::new(app_secret), verify_token).inbox(Inbox::new(queue)).into_router();
    axum::Router::new().nest("/webhooks/meta", webhooks)
}

fn env(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// The target policy from `RELAY_ALLOW_PRIVATE_TARGETS`: public `https` targets only, unless `1`.
fn target_policy() -> DestinationPolicy {
    let allow = std::env::var("RELAY_ALLOW_PRIVATE_TARGETS").is_ok_and(|v| v.trim() == "1");
    DestinationPolicy::default().allow_private_targets(allow).allow_http(allow)
}

/// Checks the target before anything starts: a refused address stops the relay with one line.
async fn check_target(target: &str, policy: &DestinationPolicy) -> Result<(), Failure> {
    match policy.vet(target).await {
        Ok(_) => Ok(()),
        // A name that does not resolve yet is checked again at every connection.
        Err(DestinationError::Unresolved(host)) => {
            eprintln!("relay: warning: {host} does not resolve yet; deliveries retry until it does");
            Ok(())
        }
        Err(refused) => {
            Err(format!("RELAY_TARGET_URL refused: {refused} (RELAY_ALLOW_PRIVATE_TARGETS=1 allows it)")
                .into())
        }
    }
}

async fn serve() -> Result<(), Failure> {
    let listen = std::env::var("RELAY_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let target = env("RELAY_TARGET_URL")?;
    let policy = target_policy();
    if !BROKERS.iter().any(|scheme| target.trim().to_ascii_lowercase().starts_with(scheme)) {
        check_target(&target, &policy).await?;
    }
    let secret = SigningSecret::parse(&env("RELAY_SIGNING_SECRET")?)?;
    let handler = target_handler(&target, &secret, policy).await?;
    let rate = target_rate()?;
    let (queue, destinations) = open_store(&env("RELAY_STORE")?).await?;
    let worker = relay_worker((Arc::clone(&queue), destinations), handler, rate);
    tokio::spawn(worker.run(std::future::pending()));
    let app = router(queue, &env("META_APP_SECRET")?, &env("META_VERIFY_TOKEN")?);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("relay: listening on http://{}/webhooks/meta", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn bind(app: axum::Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

/// The offline demo: a flaky customer, three posts from Meta (one a redelivery), every event
/// forwarded exactly as stored.
async fn demo() -> Result<(), Failure> {
    const APP_SECRET: &str = "relay-example-app-secret";
    let secret = SigningSecret::generate();
    let customer_verifier = RelayVerifier::new(&secret);
    let received = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (log, count) = (Arc::clone(&received), Arc::clone(&calls));
    let customer = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let header =
                |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            // The first two calls fail: the relay retries them with the same webhook-id.
            let status = if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
                StatusCode::SERVICE_UNAVAILABLE
            } else if customer_verifier
                .verify(
                    &header("webhook-id"),
                    &header("webhook-timestamp"),
                    &header("webhook-signature"),
                    &body,
                )
                .is_ok()
            {
                let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                println!("  customer: {} {}", header("webhook-id"), event["kind"]);
                log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(header("webhook-id"));
                StatusCode::NO_CONTENT
            } else {
                StatusCode::UNAUTHORIZED
            };
            async move { status }
        }),
    );
    let customer_url = format!("{}/hooks", bind(customer).await?);

    let dir = std::env::temp_dir().join(format!("mm-relay-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = format!("sqlite://{}", dir.join("relay.db").display());
    let (queue, destinations) = open_store(&store).await?;
    let gateway_url = bind(router(Arc::clone(&queue), APP_SECRET, "relay-verify-token")).await?;
    // The demo's customer is on loopback: a private target, allowed here on purpose.
    let lab = DestinationPolicy::default().allow_private_targets(true).allow_http(true);
    let handler = target_handler(&customer_url, &secret, lab).await?;
    let worker = relay_worker((Arc::clone(&queue), destinations), handler, None);
    tokio::spawn(worker.run(std::future::pending()));

    let http = meta_messaging::testing::http_client();
    let first = WebhookBuilder::whatsapp("106540352242922")
        .text("16505551234", "Where is my parcel?")
        .status_delivered("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "16505551234")
        .sign(APP_SECRET);
    let second =
        WebhookBuilder::messenger("109876543210987").text("24512345678901234", "hello").sign(APP_SECRET);
    for (label, signed) in [("WhatsApp batch", &first), ("Messenger text", &second), ("redelivery", &first)] {
        let url = format!("{gateway_url}/webhooks/meta");
        println!("Meta -> relay: {label}: {}", signed.post(&http, &url).await?.status());
    }

    for _ in 0..100 {
        if received.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = received.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len();
    let (pending, done, dead) = queue.counts(INBOX_QUEUE).await?;
    println!("relay: {delivered} events delivered; queue: {pending} pending, {done} done, {dead} dead");
    std::fs::remove_dir_all(&dir).ok();
    if delivered == 3 && done == 3 {
        Ok(())
    } else {
        Err(format!("expected 3 delivered events, got {delivered}").into())
    }
}

#[tokio::main]
async fn main() {
    let outcome = if std::env::var_os("RELAY_TARGET_URL").is_some() { serve().await } else { demo().await };
    if let Err(error) = outcome {
        // One line, for operators and for the programs that drive this one.
        eprintln!("relay: {}", error.to_string().replace('\n', " "));
        std::process::exit(1);
    }
}
