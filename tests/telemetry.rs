//! Metrics (feature `metrics`): each instrumented path records the documented names with the
//! documented, bounded labels, asserted with a recorder of our own.
//!
//! Run with `cargo test --features metrics --test telemetry` (CI does). The other test binaries
//! and the benches build the crate without `metrics`, as users get it by default.
#![cfg(feature = "metrics")]
#![allow(clippy::unwrap_used, clippy::float_cmp, dead_code, unreachable_pub)]

#[path = "it/support.rs"]
mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use meta_messaging::delivery::{INBOX_QUEUE, InMemoryQueue, Item, NewItem, Queue, Worker, WorkerConfig};
use meta_messaging::endpoint::WebhookEndpoint;
use meta_messaging::pacing::{Pacer, PacerConfig, PacingPolicy};
use meta_messaging::telemetry;
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, TokenKey, TokenRecord,
    TokenStore,
};
use meta_messaging::webhook::{BodyLimit, InMemoryDeduplicator, Verifier};
use meta_messaging::whatsapp::Message;
use metrics::{Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{APP_SECRET, client, fixture};

#[derive(Default)]
struct Samples(Mutex<Vec<f64>>);

impl HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.lock().unwrap().push(value);
    }
}

/// Keeps every counter, gauge and histogram by `name{label=value,...}` (labels sorted).
#[derive(Clone, Default)]
struct Capture {
    counters: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
    gauges: Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>,
    histograms: Arc<Mutex<HashMap<String, Arc<Samples>>>>,
}

fn render(key: &Key) -> String {
    let mut labels: Vec<String> = key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(Arc::clone(self.counters.lock().unwrap().entry(render(key)).or_default()))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(Arc::clone(self.gauges.lock().unwrap().entry(render(key)).or_default()))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(Arc::clone(self.histograms.lock().unwrap().entry(render(key)).or_default()))
    }
}

impl Capture {
    fn counter(&self, key: &str) -> u64 {
        self.counters.lock().unwrap().get(key).map_or(0, |c| c.load(Ordering::SeqCst))
    }
    fn gauge(&self, key: &str) -> f64 {
        self.gauges.lock().unwrap().get(key).map_or(f64::NAN, |g| f64::from_bits(g.load(Ordering::SeqCst)))
    }
    fn samples(&self, key: &str) -> usize {
        self.histograms.lock().unwrap().get(key).map_or(0, |h| h.0.lock().unwrap().len())
    }
    /// Every recorded key: documented names only, and label values from fixed vocabularies
    /// (lowercase words), never a number, an id or a secret.
    fn check_bounded(&self) {
        let keys: Vec<String> = [&self.counters, &self.gauges]
            .iter()
            .flat_map(|m| m.lock().unwrap().keys().cloned().collect::<Vec<_>>())
            .chain(self.histograms.lock().unwrap().keys().cloned())
            .collect();
        assert!(!keys.is_empty());
        for key in keys {
            let (name, labels) = key.split_once('{').unwrap();
            assert!(telemetry::ALL.contains(&name), "undocumented metric {name}");
            for label in labels.trim_end_matches('}').split(',').filter(|l| !l.is_empty()) {
                let (_, value) = label.split_once('=').unwrap();
                assert!(
                    value.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                    "unbounded label value in {key}"
                );
            }
        }
    }
}

/// Runs `work` on a current-thread runtime with `capture` as this thread's recorder.
fn recorded(capture: &Capture, work: impl std::future::Future<Output = ()>) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().start_paused(false).build().unwrap();
    metrics::with_local_recorder(capture, || runtime.block_on(work));
}

fn signed(body: &[u8], secret: &str) -> http::Request<Bytes> {
    http::Request::post("/")
        .header("x-hub-signature-256", Verifier::new(secret).sign(body))
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

#[test]
fn the_webhook_endpoint_counts_requests_events_dedupe_hits_and_timings() {
    let capture = Capture::default();
    recorded(&capture, async {
        let endpoint = WebhookEndpoint::new(Verifier::new(APP_SECRET), "token")
            .dedupe(InMemoryDeduplicator::default())
            .body_limit(BodyLimit::new(64 * 1024))
            .handler(|_| async {});
        let body = fixture("webhooks/whatsapp/wa_batch_3_messages_2_statuses.json");
        assert_eq!(endpoint.handle_buffered(signed(&body, APP_SECRET)).await.status(), 200);
        assert_eq!(endpoint.handle_buffered(signed(&body, APP_SECRET)).await.status(), 200);
        assert_eq!(endpoint.handle_buffered(signed(&body, "forged")).await.status(), 401);
        let huge = vec![b' '; 70 * 1024];
        assert_eq!(endpoint.handle_buffered(signed(&huge, APP_SECRET)).await.status(), 413);
        let handshake = |token: &str| {
            http::Request::get(format!("/?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=7"))
                .body(Bytes::new())
                .unwrap()
        };
        assert_eq!(endpoint.handle_buffered(handshake("token")).await.status(), 200);
        assert_eq!(endpoint.handle_buffered(handshake("wrong")).await.status(), 403);
    });
    assert_eq!(capture.counter("meta_messaging_webhook_requests_total{outcome=accepted}"), 2);
    assert_eq!(capture.counter("meta_messaging_webhook_requests_total{outcome=signature}"), 1);
    assert_eq!(capture.counter("meta_messaging_webhook_requests_total{outcome=too_large}"), 1);
    assert_eq!(capture.counter("meta_messaging_webhook_handshakes_total{outcome=accepted}"), 1);
    assert_eq!(capture.counter("meta_messaging_webhook_handshakes_total{outcome=refused}"), 1);
    // Two accepted bodies of 3 messages and 2 statuses; the second is all redeliveries.
    assert_eq!(capture.counter("meta_messaging_webhook_events_total{category=message,platform=whatsapp}"), 6);
    assert_eq!(capture.counter("meta_messaging_webhook_events_total{category=status,platform=whatsapp}"), 4);
    assert_eq!(capture.counter("meta_messaging_webhook_dedupe_hits_total{}"), 5);
    assert_eq!(capture.samples("meta_messaging_webhook_handling_seconds{}"), 4);
    capture.check_bounded();
}

#[test]
fn graph_calls_count_outcomes_error_kinds_retries_and_latency() {
    let capture = Capture::default();
    recorded(&capture, async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v26.0/106540352242922/messages"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp", "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
                "messages": [{"id": "wamid.1"}]})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v26.0/106540352242922/messages"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
                "message": "Error validating access token", "type": "OAuthException", "code": 190}})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v26.0/me"))
            .respond_with(ResponseTemplate::new(500).set_body_json(json!({"error": {
                "message": "An unexpected error has occurred.", "type": "OAuthException", "code": 2, "is_transient": true}})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v26.0/me"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1"})))
            .mount(&server)
            .await;
        let client = client(&server);
        let wa = client.whatsapp("106540352242922");
        wa.send("16505551234", Message::text("hi")).await.unwrap();
        assert!(wa.send("16505551234", Message::text("hi")).await.is_err());
        client.get::<serde_json::Value>("/me").send().await.unwrap();
    });
    assert_eq!(
        capture.counter("meta_messaging_graph_requests_total{error_kind=none,operation=send,outcome=ok}"),
        1
    );
    assert_eq!(
        capture.counter("meta_messaging_graph_requests_total{error_kind=auth,operation=send,outcome=error}"),
        1
    );
    assert_eq!(
        capture.counter("meta_messaging_graph_requests_total{error_kind=none,operation=other,outcome=ok}"),
        1
    );
    assert_eq!(capture.counter("meta_messaging_graph_retries_total{error_kind=transient}"), 1);
    assert_eq!(capture.samples("meta_messaging_graph_request_seconds{operation=send}"), 2);
    assert_eq!(capture.samples("meta_messaging_graph_request_seconds{operation=other}"), 2);
    capture.check_bounded();
}

#[test]
fn pacing_vault_and_delivery_record_waits_operations_attempts_and_depth() {
    let capture = Capture::default();
    recorded(&capture, async {
        // Pacing: the second message to one recipient waits; a third past the limit is refused.
        let pacer = Pacer::new(
            PacerConfig::default()
                .pair_interval(Duration::from_millis(20))
                .pair_burst(1)
                .policy(PacingPolicy::Wait { max_wait: Duration::from_millis(30) }),
        );
        pacer.admit("106540352242922", "16505551234").await.unwrap();
        pacer.admit("106540352242922", "16505551234").await.unwrap();
        pacer.admit("106540352242922", "16505551234").await.unwrap();
        let fail_fast = Pacer::new(
            PacerConfig::default().pair_interval(Duration::from_secs(6)).policy(PacingPolicy::FailFast),
        );
        fail_fast.admit("1", "2").await.unwrap();
        assert!(fail_fast.admit("1", "2").await.is_err());

        // Vault: a put, a get, a miss, and a record that does not open.
        let blobs = InMemoryBlobStore::default();
        let store = EncryptedTokenStore::new(blobs.clone(), Keyring::new(1, DataKey::generate()));
        let key = TokenKey::new("acme", Channel::WhatsApp, "1", SecretKind::AccessToken);
        store.put(TokenRecord::new(key.clone(), "EAAG-secret")).await.unwrap();
        assert!(store.get(&key).await.unwrap().is_some());
        let other = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
        assert!(other.get(&key).await.is_err());

        // Delivery: one item dead-lettered by a permanent failure, then the depth gauge.
        let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
        let item = NewItem::new("k1", "c", b"{}".to_vec());
        queue.enqueue(INBOX_QUEUE, &[item]).await.unwrap();
        let worker = Worker::new(Arc::clone(&queue), INBOX_QUEUE, |_: Item| async {
            Err(meta_messaging::delivery::HandlerError::permanent("refused"))
        })
        .config(WorkerConfig::default());
        assert_eq!(worker.run_once().await.unwrap(), 1);
        worker.report_depth().await;
    });
    assert_eq!(capture.samples("meta_messaging_pacing_wait_seconds{}"), 4);
    assert_eq!(capture.counter("meta_messaging_pacing_refused_total{}"), 1);
    assert_eq!(capture.counter("meta_messaging_vault_operations_total{operation=put,outcome=ok}"), 1);
    assert_eq!(capture.counter("meta_messaging_vault_operations_total{operation=get,outcome=ok}"), 1);
    assert_eq!(capture.counter("meta_messaging_vault_operations_total{operation=get,outcome=error}"), 1);
    assert_eq!(capture.counter("meta_messaging_delivery_attempts_total{outcome=dead,queue=inbox}"), 1);
    assert_eq!(capture.counter("meta_messaging_delivery_dead_letters_total{queue=inbox}"), 1);
    assert_eq!(capture.gauge("meta_messaging_delivery_queue_depth{queue=inbox,state=dead}"), 1.0);
    assert_eq!(capture.gauge("meta_messaging_delivery_queue_depth{queue=inbox,state=pending}"), 0.0);
    capture.check_bounded();
}

#[test]
fn per_destination_relay_queues_share_one_label() {
    let capture = Capture::default();
    recorded(&capture, async {
        let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
        // One queue per customer destination, as `Fanout` makes them: many customers, one series.
        for destination in ["acme-crm", "globex-hooks", "initech"] {
            let name = meta_messaging::delivery::relay_queue(destination);
            let item = NewItem::new("k", "c", b"{}".to_vec());
            queue.enqueue(&name, &[item]).await.unwrap();
            let worker = Worker::new(Arc::clone(&queue), name.as_str(), |_: Item| async { Ok(()) });
            assert_eq!(worker.run_once().await.unwrap(), 1);
        }
    });
    assert_eq!(capture.counter("meta_messaging_delivery_attempts_total{outcome=done,queue=relay}"), 3);
    capture.check_bounded();
}
