//! The relay program (`examples/relay.rs`) driven from outside, as Meta and a customer would:
//! signed bodies posted and retried until `200`, the relay killed with SIGKILL mid-stream and
//! restarted, a customer that fails now and then. Every event of every body the relay answered
//! `200` must reach the customer.
//!
//! The relay binary is the one `cargo test` builds with the examples
//! (`target/debug/examples/relay`); `cargo build --example relay` builds it alone.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::relay::{RelayVerifier, SigningSecret};
use serde_json::Value;

const APP_SECRET: &str = "crash-test-app-secret";
const SIGNING_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn relay_binary() -> PathBuf {
    // target/debug/deps/relay_crash-… → target/debug/examples/relay
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().unwrap().parent().unwrap().join("examples").join("relay");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test` (which builds the examples) or `cargo build --example relay`",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Relay {
    child: Child,
    port: u16,
    store: String,
    target: String,
}

impl Relay {
    fn start(port: u16, store: &str, target: &str) -> Self {
        Self::start_with(port, store, target, &[])
    }

    fn start_with(port: u16, store: &str, target: &str, extra: &[(&str, &str)]) -> Self {
        let child = Command::new(relay_binary())
            .env("RELAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("META_APP_SECRET", APP_SECRET)
            .env("META_VERIFY_TOKEN", "crash-verify-token")
            .env("RELAY_STORE", store)
            .env("RELAY_TARGET_URL", target)
            .env("RELAY_ALLOW_PRIVATE_TARGETS", "1")
            .env("RELAY_SIGNING_SECRET", SIGNING_SECRET)
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, port, store: store.to_owned(), target: target.to_owned() }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/meta", self.port)
    }

    /// SIGKILL, then a new process on the same port and store.
    fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        *self = Self::start(self.port, &self.store.clone(), &self.target.clone());
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The customer: verifies each request, fails one in five with a 500, records event ids.
async fn customer() -> (String, Arc<Mutex<HashSet<String>>>) {
    let received = Arc::new(Mutex::new(HashSet::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = RelayVerifier::new(&SigningSecret::parse(SIGNING_SECRET).unwrap());
    let log = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let header =
                |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let authentic = verifier
                .verify(
                    &header("webhook-id"),
                    &header("webhook-timestamp"),
                    &header("webhook-signature"),
                    &body,
                )
                .is_ok();
            let status = if !authentic {
                StatusCode::UNAUTHORIZED
            } else if calls.fetch_add(1, Ordering::SeqCst) % 5 == 4 {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                let envelope: Value = serde_json::from_slice(&body).unwrap();
                if let Some(id) = envelope["event"]["id"].as_str() {
                    log.lock().unwrap().insert(id.to_owned());
                }
                StatusCode::OK
            };
            async move { status }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hooks"), received)
}

/// The ids of the WhatsApp messages in a body.
fn message_ids(body: &[u8]) -> Vec<String> {
    let body: Value = serde_json::from_slice(body).unwrap();
    body["entry"][0]["changes"][0]["value"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_event_is_lost_across_sigkills() {
    let dir =
        std::env::temp_dir().join(format!("mm-relay-crash-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let store = format!("sqlite://{}", dir.join("relay.db").display());
    let (target, received) = customer().await;
    let relay = Arc::new(Mutex::new(Relay::start(free_port(), &store, &target)));
    let http = meta_messaging::graph::http_client_builder()
        .unwrap()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // Bodies of three messages each, from a few users; posted four at a time.
    let bodies: Vec<_> = (0..200u64)
        .map(|i| {
            let user = format!("1650555{:04}", i % 7);
            WebhookBuilder::whatsapp("106540352242922")
                .at(1_750_000_000 + i * 10)
                .text(&user, &format!("message {i}a"))
                .text(&user, &format!("message {i}b"))
                .text(&user, &format!("message {i}c"))
                .sign(APP_SECRET)
        })
        .collect();
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let url = relay.lock().unwrap().url();
    let mut posters = Vec::new();
    for _ in 0..4 {
        let (bodies, acknowledged, next, http, url) =
            (bodies.clone(), Arc::clone(&acknowledged), Arc::clone(&next), http.clone(), url.clone());
        posters.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(signed) = bodies.get(i) else { return };
                // Like Meta: anything but a 200 (a refused connection, a 503) is retried.
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    assert!(Instant::now() < deadline, "body {i} never acknowledged");
                    match signed.post(&http, &url).await {
                        Ok(response) if response.status() == 200 => {
                            acknowledged.lock().unwrap().extend(message_ids(&signed.body));
                            break;
                        }
                        _ => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            }
        }));
    }
    // Kill the relay while bodies are in flight (at a random point of each fifth of the
    // stream), and restart it on the same port and store.
    let mut kills = 0;
    for fifth in 1..5 {
        let at = bodies.len() * fifth / 5 + fastrand::usize(..bodies.len() / 10);
        while next.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        relay.lock().unwrap().crash_and_restart();
        kills += 1;
    }
    for poster in posters {
        poster.await.unwrap();
    }
    assert_eq!(kills, 4, "the relay was killed mid-stream");

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), bodies.len() * 3);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let missing: Vec<String> = acknowledged.difference(&received.lock().unwrap()).cloned().collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} acknowledged events never reached the customer: {missing:?}",
            missing.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(relay);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn forged_bodies_are_never_forwarded_and_the_handshake_answers() {
    let dir =
        std::env::temp_dir().join(format!("mm-relay-forged-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let store = format!("sqlite://{}", dir.join("relay.db").display());
    let (target, received) = customer().await;
    let relay = Relay::start(free_port(), &store, &target);
    let http = meta_messaging::testing::http_client();
    let handshake = format!(
        "{}?hub.mode=subscribe&hub.verify_token=crash-verify-token&hub.challenge=1158201444",
        relay.url()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        if let Ok(response) = http.get(&handshake).send().await {
            break response;
        }
        assert!(Instant::now() < deadline, "the relay never started listening");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "1158201444");
    let forged =
        WebhookBuilder::whatsapp("106540352242922").text("16505550000", "forged").sign("not-the-app-secret");
    assert_eq!(forged.post(&http, &relay.url()).await.unwrap().status(), 401);
    let genuine = WebhookBuilder::whatsapp("106540352242922").text("16505550001", "genuine").sign(APP_SECRET);
    assert_eq!(genuine.post(&http, &relay.url()).await.unwrap().status(), 200);
    let genuine_id = message_ids(&genuine.body).remove(0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !received.lock().unwrap().contains(&genuine_id) {
        assert!(Instant::now() < deadline, "the genuine event never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(received.lock().unwrap().len(), 1, "only the genuine event was forwarded");
    drop(relay);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_private_target_stops_the_relay_without_the_opt_in() {
    // A listener that would see any connection the relay made.
    let target = StdListener::bind("127.0.0.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let port = target.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("mm-relay-refuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        format!("http://localhost:{port}/hooks"),
        format!("https://localhost:{port}/hooks"),
        format!("http://[::1]:{port}/hooks"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "https://10.0.0.1/hooks".to_owned(),
        "https://0.0.0.0/hooks".to_owned(),
    ] {
        let output = Command::new(relay_binary())
            .env("RELAY_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("META_APP_SECRET", APP_SECRET)
            .env("META_VERIFY_TOKEN", "refuse-verify-token")
            .env("RELAY_STORE", format!("sqlite://{}", dir.join("relay.db").display()))
            .env("RELAY_TARGET_URL", &url)
            .env("RELAY_SIGNING_SECRET", SIGNING_SECRET)
            .env_remove("RELAY_ALLOW_PRIVATE_TARGETS")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{url}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{url}: one line: {stderr}");
        assert!(stderr.contains("not allowed"), "{url}: {stderr}");
    }
    assert!(target.accept().is_err(), "the target was never connected to");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_paces_deliveries_and_a_bad_rate_stops_the_relay() {
    let dir =
        std::env::temp_dir().join(format!("mm-relay-rate-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let store = format!("sqlite://{}", dir.join("relay.db").display());
    // A rate that is not a number stops the relay with one line.
    let refused = Command::new(relay_binary())
        .env("RELAY_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("META_APP_SECRET", APP_SECRET)
        .env("META_VERIFY_TOKEN", "rate-verify-token")
        .env("RELAY_STORE", &store)
        .env("RELAY_TARGET_URL", "http://127.0.0.1:9/hooks")
        .env("RELAY_ALLOW_PRIVATE_TARGETS", "1")
        .env("RELAY_SIGNING_SECRET", SIGNING_SECRET)
        .env("RELAY_RATE_PER_SECOND", "fast")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("RELAY_RATE_PER_SECOND must be a whole number above 0"), "{stderr}");
    // Five a second: six events arrive over at least a second.
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&arrivals);
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move || {
            log.lock().unwrap().push(Instant::now());
            async { StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let relay = Relay::start_with(free_port(), &store, &target, &[("RELAY_RATE_PER_SECOND", "5")]);
    let http = meta_messaging::testing::http_client();
    let mut body = WebhookBuilder::whatsapp("106540352242922");
    for i in 0..6 {
        body = body.text(&format!("1650555{i:04}"), "paced");
    }
    let signed = body.sign(APP_SECRET);
    let deadline = Instant::now() + Duration::from_secs(20);
    while signed.post(&http, &relay.url()).await.map_or(0, |r| r.status().as_u16()) != 200 {
        assert!(Instant::now() < deadline, "the relay never answered 200");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while arrivals.lock().unwrap().len() < 6 {
        assert!(Instant::now() < deadline, "only {} of 6 events arrived", arrivals.lock().unwrap().len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let times = arrivals.lock().unwrap().clone();
    let span = times[times.len() - 1].duration_since(times[0]);
    assert!(span >= Duration::from_millis(800), "six deliveries at 5/s take a second, not {span:?}");
    drop(relay);
    std::fs::remove_dir_all(&dir).ok();
}
