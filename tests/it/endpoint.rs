//! The framework-neutral endpoint: served by a plain hyper server (no axum) over a real socket,
//! and called as a plain function, in each delivery mode.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use meta_messaging::delivery::{INBOX_QUEUE, InMemoryQueue, Inbox, Queue};
use meta_messaging::endpoint::{Delivery, WebhookEndpoint};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::{BodyLimit, InMemoryDeduplicator, Verifier};
use tokio::sync::mpsc;

use crate::support::{APP_SECRET, check_handshake, fixture, post_with_signature as post};

const TOKEN: &str = "verify-me-4b1d";
const BATCH: &str = "webhooks/whatsapp/wa_batch_3_messages_2_statuses.json";

/// Serves `endpoint` with hyper's HTTP/1 connection builder, one task per connection.
async fn serve(endpoint: WebhookEndpoint) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(endpoint.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{address}/")
}

#[tokio::test]
async fn a_hyper_server_serves_the_handshake_and_delivers_signed_batches_once() {
    let (sender, mut deliveries) = mpsc::channel::<Delivery>(8);
    let endpoint = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN)
        .dedupe(InMemoryDeduplicator::default())
        .channel(sender);
    let base = serve(endpoint).await;
    check_handshake(&base, TOKEN).await;
    let http = meta_messaging::testing::http_client();

    let body = fixture(BATCH);
    let signature = Verifier::new(APP_SECRET).sign(&body);
    assert_eq!(post(&base, &body, &signature).await.status(), 200);
    let delivery = tokio::time::timeout(Duration::from_secs(5), deliveries.recv()).await.unwrap().unwrap();
    assert_eq!(delivery.events().count(), 5);
    assert_eq!(delivery.body().as_ref(), body.as_slice(), "the raw body, as signed");
    // The redelivery is answered 200 and not delivered again.
    assert_eq!(post(&base, &body, &signature).await.status(), 200);
    assert!(tokio::time::timeout(Duration::from_millis(200), deliveries.recv()).await.is_err());

    // Forged, malformed and unsupported requests get their statuses, and never leak the secret.
    let forged = post(&base, &body, &Verifier::new("not-the-secret").sign(&body)).await;
    assert_eq!(forged.status(), 401);
    assert!(!forged.text().await.unwrap().contains(APP_SECRET));
    let not_json = post(&base, b"{not json", &Verifier::new(APP_SECRET).sign(b"{not json")).await;
    assert_eq!(not_json.status(), 400);
    let put = http.put(&base).body("x").send().await.unwrap();
    assert_eq!(put.status(), 405);
    assert_eq!(put.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn the_cap_and_the_header_shape_are_checked_before_the_body_is_read() {
    let endpoint = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN).body_limit(BodyLimit::new(64));
    let base = serve(endpoint).await;
    let big = vec![b' '; 65];
    assert_eq!(post(&base, &big, &Verifier::new(APP_SECRET).sign(&big)).await.status(), 413);
    // The declared length comes first, then the signature header, both before the body.
    let missing = meta_messaging::testing::http_client().post(&base).body(big.clone()).send().await.unwrap();
    assert_eq!(missing.status(), 413);
    let missing = meta_messaging::testing::http_client().post(&base).body("{}").send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(post(&base, b"{}", "sha256=short").await.status(), 401);
}

#[tokio::test]
async fn durable_mode_over_hyper_answers_200_only_once_stored() {
    const SECRET: &str = "endpoint-durable-secret";
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let endpoint = WebhookEndpoint::new(Verifier::new(SECRET), TOKEN).inbox(Inbox::new(Arc::clone(&queue)));
    let base = serve(endpoint).await;
    let http = meta_messaging::testing::http_client();
    let body = WebhookBuilder::whatsapp("106540352242922")
        .text("16505551234", "one")
        .text("16505551234", "two")
        .sign(SECRET);
    assert_eq!(body.post(&http, &base).await.unwrap().status(), 200);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (2, 0, 0));
    assert_eq!(body.post(&http, &base).await.unwrap().status(), 200);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (2, 0, 0), "a redelivery is stored once");
}

#[tokio::test]
async fn the_plain_function_form_needs_no_server() {
    let (sender, mut deliveries) = mpsc::channel::<Delivery>(1);
    let endpoint = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN).channel(sender);
    let body = Bytes::from(fixture(BATCH));
    let request = http::Request::post("/webhook")
        .header("x-hub-signature-256", Verifier::new(APP_SECRET).sign(&body))
        .body(body.clone())
        .unwrap();
    let response = endpoint.handle_buffered(request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(deliveries.recv().await.unwrap().events().count(), 5);
    // The channel holds one delivery: the next is 503, so Meta redelivers it later.
    let (full_sender, _held) = mpsc::channel::<Delivery>(1);
    let full = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN).channel(full_sender);
    let signed = |body: &Bytes| {
        http::Request::post("/")
            .header("x-hub-signature-256", Verifier::new(APP_SECRET).sign(body))
            .body(body.clone())
            .unwrap()
    };
    assert_eq!(full.handle_buffered(signed(&body)).await.status(), 200);
    let busy = full.handle_buffered(signed(&body)).await;
    assert_eq!(busy.status(), 503);
    assert!(String::from_utf8_lossy(busy.body()).contains("retry later"));
    // A declared length over the cap is refused before anything else.
    let capped = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN).body_limit(BodyLimit::new(16));
    let mut request = signed(&body);
    request.headers_mut().insert("content-length", body.len().into());
    assert_eq!(capped.handle_buffered(request).await.status(), 413);
}

#[test]
fn the_endpoint_is_a_cloneable_send_tower_service() {
    fn service<S>(_: &S)
    where
        S: tower_service::Service<http::Request<http_body_util::Full<Bytes>>> + Clone + Send + Sync + 'static,
        S::Future: Send,
    {
    }
    let endpoint = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN);
    service(&endpoint);
    let shown = format!("{endpoint:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains(APP_SECRET), "{shown}");
}

#[tokio::test]
async fn refusals_say_nothing_about_the_configuration_and_slow_bodies_time_out() {
    // No app secret at all: the caller gets the same answer as for a wrong signature.
    let unconfigured = serve(WebhookEndpoint::new(Verifier::new("  "), TOKEN)).await;
    let configured = serve(WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN)).await;
    let body = b"{\"object\":\"page\",\"entry\":[]}";
    let signature = Verifier::new(APP_SECRET).sign(body);
    let a = post(&unconfigured, body, &signature).await;
    let b = post(&configured, body, &Verifier::new("wrong").sign(body)).await;
    let c = post(&configured, body, "sha256=short").await;
    let texts = [a.status(), b.status(), c.status()];
    assert_eq!(texts, [401, 401, 401]);
    for response in [a, b, c] {
        assert_eq!(response.text().await.unwrap(), "webhook signature missing or invalid");
    }
    // The handshake's 403 is one text whatever the reason (an empty expected token included).
    let http = meta_messaging::testing::http_client();
    for query in ["hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", "hub.mode=other"] {
        let refused = http.get(format!("{configured}?{query}")).send().await.unwrap();
        assert_eq!(refused.status(), 403);
        assert_eq!(refused.text().await.unwrap(), "subscription handshake refused");
    }
    let empty_token = serve(WebhookEndpoint::new(Verifier::new(APP_SECRET), "")).await;
    let refused = http
        .get(format!("{empty_token}?hub.mode=subscribe&hub.verify_token=&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.text().await.unwrap(), "subscription handshake refused");

    // A body that trickles in past the read deadline is refused, not waited for.
    let slow = serve(
        WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN)
            .body_limit(BodyLimit::new(1024).read_deadline(Duration::from_millis(200))),
    )
    .await;
    let address = slow.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {address}\r\ncontent-length: 100\r\nx-hub-signature-256: {signature}\r\n\r\n{{"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 256];
    let read =
        tokio::time::timeout(Duration::from_secs(10), socket.read(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
