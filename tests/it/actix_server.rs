//! actix-web integration over a real socket: the same endpoint as the axum and hyper tests.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use meta_messaging::delivery::{INBOX_QUEUE, InMemoryQueue, Inbox, Queue};
use meta_messaging::endpoint::{Delivery, WebhookEndpoint};
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::webhook::{BodyLimit, InMemoryDeduplicator, Verifier};
use tokio::sync::mpsc;

use crate::support::{APP_SECRET, check_handshake, fixture, post_chunked_2k, post_with_signature as post};

const TOKEN: &str = "verify-me-4b1d";

/// Serves `endpoint` at `/webhooks/meta` with actix-web on its own runtime thread.
fn serve(endpoint: WebhookEndpoint) -> String {
    let base = serve_with(move |config| {
        meta_messaging::actix::configure("/webhooks/meta", endpoint.clone())(config);
    });
    format!("{base}/webhooks/meta")
}

/// Serves the app `build` makes; answers `http://address`.
fn serve_with<F>(build: F) -> String
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || App::new().configure(build.clone()))
                .workers(1)
                .bind(("127.0.0.1", 0))
                .unwrap();
            sender.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    let address = receiver.recv_timeout(Duration::from_secs(10)).unwrap();
    format!("http://{address}")
}

#[tokio::test]
async fn actix_serves_the_handshake_verifies_and_delivers_once() {
    let (sender, mut deliveries) = mpsc::channel::<Delivery>(8);
    let base = serve(
        WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN)
            .dedupe(InMemoryDeduplicator::default())
            .channel(sender),
    );
    check_handshake(&base, TOKEN).await;
    let http = meta_messaging::testing::http_client();

    let body = fixture("webhooks/whatsapp/wa_batch_3_messages_2_statuses.json");
    let signature = Verifier::new(APP_SECRET).sign(&body);
    assert_eq!(post(&base, &body, &signature).await.status(), 200);
    let delivery = tokio::time::timeout(Duration::from_secs(5), deliveries.recv()).await.unwrap().unwrap();
    assert_eq!(delivery.events().count(), 5);
    assert_eq!(delivery.body().as_ref(), body.as_slice());
    assert_eq!(post(&base, &body, &signature).await.status(), 200, "a redelivery is answered");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), deliveries.recv()).await.is_err(),
        "and not delivered"
    );

    let forged = post(&base, &body, &Verifier::new("nope").sign(&body)).await;
    assert_eq!(forged.status(), 401);
    assert!(!forged.text().await.unwrap().contains(APP_SECRET));
    assert_eq!(post(&base, b"[1]", &Verifier::new(APP_SECRET).sign(b"[1]")).await.status(), 400);
    let delete = http.delete(&base).send().await.unwrap();
    assert_eq!(delete.status(), 405);
    assert_eq!(delete.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn actix_refuses_an_oversized_chunked_body_while_it_streams() {
    let base = serve(WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN).body_limit(BodyLimit::new(512)));
    let address = base.trim_start_matches("http://").trim_end_matches("/webhooks/meta").to_owned();
    let status_line = post_chunked_2k(&address, "/webhooks/meta").await;
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
}

#[tokio::test]
async fn actix_in_durable_mode_answers_200_only_once_stored() {
    const SECRET: &str = "actix-durable-secret";
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let base =
        serve(WebhookEndpoint::new(Verifier::new(SECRET), TOKEN).inbox(Inbox::new(Arc::clone(&queue))));
    let http = meta_messaging::testing::http_client();
    let body = WebhookBuilder::whatsapp("106540352242922").text("16505551234", "one").sign(SECRET);
    assert_eq!(body.post(&http, &base).await.unwrap().status(), 200);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (1, 0, 0));
    assert_eq!(body.post(&http, &base).await.unwrap().status(), 200);
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (1, 0, 0));
}

#[tokio::test]
async fn the_handler_serves_a_route_of_ones_own() {
    let (sender, mut deliveries) = mpsc::channel::<Delivery>(1);
    let endpoint = WebhookEndpoint::new(Verifier::new(APP_SECRET), TOKEN).channel(sender);
    let base = serve_with(move |config| {
        config
            .app_data(web::Data::new(endpoint.clone()))
            .route("/hook", web::post().to(meta_messaging::actix::handle));
    });
    let body = fixture("webhooks/whatsapp/wa_batch_3_messages_2_statuses.json");
    let answer = post(&format!("{base}/hook"), &body, &Verifier::new(APP_SECRET).sign(&body)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(deliveries.recv().await.unwrap().events().count(), 5);
}
