//! The axum webhook router and extractor, over real sockets on 127.0.0.1.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use meta_messaging::axum::{Delivery, VerifiedWebhook, WebhookRouter, WebhookVerification};
use meta_messaging::store::StoreError;
use meta_messaging::webhook::{BodyLimit, Deduplicator, InMemoryDeduplicator, Verifier};
use tokio::sync::mpsc;

use crate::support::{APP_SECRET, check_handshake, fixture, post_chunked_2k, post_with_signature};

const VERIFY_TOKEN: &str = "verify-me-4b1d";
const BATCH: &str = "webhooks/whatsapp/wa_batch_3_messages_2_statuses.json";

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

fn channel_router(capacity: usize) -> (Router, mpsc::Receiver<Delivery>) {
    let (sender, receiver) = mpsc::channel(capacity);
    let router = WebhookRouter::new(Verifier::new(APP_SECRET), VERIFY_TOKEN)
        .dedupe(InMemoryDeduplicator::default())
        .channel(sender)
        .into_router();
    (router, receiver)
}

/// A router capping bodies at `limit` bytes.
fn capped_router(limit: usize) -> Router {
    let (sender, _rx) = mpsc::channel(4);
    WebhookRouter::new(Verifier::new(APP_SECRET), VERIFY_TOKEN)
        .body_limit(BodyLimit::new(limit))
        .channel(sender)
        .into_router()
}

async fn post_signed(base: &str, body: &[u8]) -> reqwest::Response {
    post_with_signature(base, body, &Verifier::new(APP_SECRET).sign(body)).await
}

#[tokio::test]
async fn handshake_echoes_the_challenge_for_the_right_token_only() {
    let (router, _rx) = channel_router(4);
    check_handshake(&format!("{}/", serve(router).await), VERIFY_TOKEN).await;
}

#[tokio::test]
async fn a_signed_batch_reaches_the_channel_with_every_event() {
    let (router, mut rx) = channel_router(4);
    let base = serve(router).await;
    let body = fixture(BATCH);

    let response = post_signed(&base, &body).await;
    assert_eq!(response.status(), 200);
    let delivery = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(delivery.events().count(), 5, "3 messages and 2 statuses");
    assert_eq!(delivery.body().as_ref(), body.as_slice(), "the raw body is kept as signed");
    assert_eq!(delivery.webhook().object(), "whatsapp_business_account");
}

#[tokio::test]
async fn a_redelivery_is_answered_200_and_not_delivered_again() {
    let (router, mut rx) = channel_router(4);
    let base = serve(router).await;
    let body = fixture(BATCH);

    assert_eq!(post_signed(&base, &body).await.status(), 200);
    assert!(rx.recv().await.is_some());
    assert_eq!(post_signed(&base, &body).await.status(), 200);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), rx.recv()).await.is_err(),
        "a redelivery must not reach the application"
    );
}

#[tokio::test]
async fn missing_or_wrong_signatures_get_401_without_leaking_the_secret() {
    let (router, mut rx) = channel_router(4);
    let base = serve(router).await;
    let body = fixture(BATCH);
    let http = meta_messaging::testing::http_client();

    let unsigned = http.post(&base).body(body.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);

    let forged = Verifier::new("someone-elses-secret").sign(&body);
    let wrong =
        http.post(&base).header("x-hub-signature-256", forged).body(body.clone()).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let text = wrong.text().await.unwrap();
    assert!(!text.contains(APP_SECRET), "{text}");
    assert!(!text.contains(&Verifier::new(APP_SECRET).sign(&body)[7..]), "never echo the expected digest");

    let garbage =
        http.post(&base).header("x-hub-signature-256", "sha256=zz").body(body).send().await.unwrap();
    assert_eq!(garbage.status(), 401);
    assert!(rx.try_recv().is_err(), "nothing unverified is delivered");
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_webhook_gets_400() {
    let (router, mut rx) = channel_router(4);
    let base = serve(router).await;
    let response = post_signed(&base, b"{\"object\": [1, 2").await;
    assert_eq!(response.status(), 400);
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_by_its_declared_length() {
    let base = serve(capped_router(512)).await;
    let response = post_signed(&base, &vec![b' '; 4096]).await;
    assert_eq!(response.status(), 413);
}

/// A chunked body declares no length: the cap must stop it while it streams.
#[tokio::test]
async fn an_oversized_chunked_body_is_refused_with_413_while_streaming() {
    let base = serve(capped_router(512)).await;
    let status_line = post_chunked_2k(base.trim_start_matches("http://"), "/").await;
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
}

#[tokio::test]
async fn a_full_channel_gets_503_and_the_events_stay_unseen_for_the_redelivery() {
    let (router, mut rx) = channel_router(1);
    let base = serve(router).await;
    let first = fixture(BATCH);
    let second = fixture("webhooks/whatsapp/wa_audio_voice_note.json");

    assert_eq!(post_signed(&base, &first).await.status(), 200);
    assert_eq!(post_signed(&base, &second).await.status(), 503, "the channel holds one delivery");

    assert_eq!(rx.recv().await.unwrap().events().count(), 5);
    // Meta redelivers: the events were not marked seen, so they arrive now.
    assert_eq!(post_signed(&base, &second).await.status(), 200);
    let redelivered = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(redelivered.events().count(), 1);
}

#[tokio::test]
async fn a_handler_runs_for_each_delivery() {
    let (sender, mut rx) = mpsc::unbounded_channel::<Vec<String>>();
    let router = WebhookRouter::new(Verifier::new(APP_SECRET), VERIFY_TOKEN)
        .handler(move |delivery: Delivery| {
            let sender = sender.clone();
            async move {
                let kinds = delivery.events().map(|e| e.kind().to_string()).collect();
                sender.send(kinds).unwrap();
            }
        })
        .into_router();
    let base = serve(router).await;
    assert_eq!(
        post_signed(&base, &fixture("webhooks/whatsapp/wa_audio_voice_note.json")).await.status(),
        200
    );
    let kinds = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(kinds, ["whatsapp.message.audio"]);
}

#[tokio::test]
async fn a_handler_that_waits_finishes_after_the_answer_and_one_that_panics_spares_the_server() {
    let (sender, mut rx) = mpsc::unbounded_channel::<usize>();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let router = WebhookRouter::new(Verifier::new(APP_SECRET), VERIFY_TOKEN)
        .handler(move |delivery: Delivery| {
            let sender = sender.clone();
            let call = seen.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(call != 0, "the first delivery's handler panics before its first wait");
                // Waits: the rest runs in a task after the answer.
                tokio::time::sleep(Duration::from_millis(50)).await;
                sender.send(delivery.events().count()).unwrap();
            }
        })
        .into_router();
    let base = serve(router).await;
    let first = post_signed(&base, &fixture("webhooks/whatsapp/wa_audio_voice_note.json")).await;
    assert_eq!(first.status(), 200, "a panicking handler never turns into an error answer");
    let second = post_signed(&base, &fixture(BATCH)).await;
    assert_eq!(second.status(), 200);
    let events = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert!(events > 1, "the batch's events reached the waiting handler: {events}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[derive(Debug)]
struct BrokenStore;

#[async_trait::async_trait]
impl Deduplicator for BrokenStore {
    async fn first_seen(&self, _key: &str) -> Result<bool, StoreError> {
        Err(StoreError::backend_message("connection refused"))
    }
}

#[tokio::test]
async fn a_failing_dedupe_store_delivers_rather_than_loses() {
    let (sender, mut rx) = mpsc::channel(4);
    let router = WebhookRouter::new(Verifier::new(APP_SECRET), VERIFY_TOKEN)
        .dedupe(BrokenStore)
        .channel(sender)
        .into_router();
    let base = serve(router).await;
    assert_eq!(post_signed(&base, &fixture(BATCH)).await.status(), 200);
    assert_eq!(rx.recv().await.unwrap().events().count(), 5);
}

#[derive(Clone)]
struct AppState {
    verification: WebhookVerification,
    seen: Arc<AtomicUsize>,
}

impl FromRef<AppState> for WebhookVerification {
    fn from_ref(state: &AppState) -> Self {
        state.verification.clone()
    }
}

#[tokio::test]
async fn the_extractor_verifies_on_a_route_of_your_own() {
    let state = AppState {
        verification: WebhookVerification::new(Verifier::new(APP_SECRET)),
        seen: Arc::new(AtomicUsize::new(0)),
    };
    let seen = Arc::clone(&state.seen);
    let router = Router::new()
        .route(
            "/hooks/meta",
            post(|axum::extract::State(state): axum::extract::State<AppState>, hook: VerifiedWebhook| async move {
                state.seen.fetch_add(hook.webhook.events().count(), Ordering::SeqCst);
                "ok"
            }),
        )
        .with_state(state);
    let base = serve(router).await;
    let url = format!("{base}/hooks/meta");

    assert_eq!(post_signed(&url, &fixture(BATCH)).await.status(), 200);
    assert_eq!(seen.load(Ordering::SeqCst), 5);
    let unsigned =
        meta_messaging::testing::http_client().post(&url).body(fixture(BATCH)).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(seen.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn an_unreadable_sha256_header_is_malformed_not_absent_even_with_legacy_sha1_on() {
    let (sender, mut receiver) = mpsc::channel(4);
    let router = WebhookRouter::new(Verifier::new(APP_SECRET).accept_legacy_sha1(true), VERIFY_TOKEN)
        .channel(sender)
        .into_router();
    let base = serve(router).await;
    let body = fixture(BATCH);
    // A valid legacy SHA-1 signature beside a SHA-256 header that is not visible ASCII.
    let sha1 = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
        mac.update(&body);
        format!("sha1={}", mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    let response = meta_messaging::testing::http_client()
        .post(&base)
        .header("x-hub-signature", sha1)
        .header("x-hub-signature-256", reqwest::header::HeaderValue::from_bytes(b"sha256=\xff\xfe").unwrap())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(receiver.try_recv().is_err(), "nothing delivered");
}

#[tokio::test]
async fn a_malformed_signature_is_refused_before_the_body_is_read() {
    let base = serve(capped_router(1024)).await;
    // A body over the cap with a malformed signature: the signature is refused first (401),
    // before any of the body is buffered (which would give 413).
    let response = meta_messaging::testing::http_client()
        .post(&base)
        .header("x-hub-signature-256", "sha256=not-hex")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            (0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])),
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
