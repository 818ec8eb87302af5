//! actix-web integration (feature `actix`): the framework-neutral
//! [`WebhookEndpoint`] as an actix handler, with everything it
//! does (handshake, the cap while the body streams, signature checks before and after the body,
//! parsing, dedupe, hand-off in handler, channel or durable inbox mode).
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//! use meta_messaging::endpoint::{Delivery, WebhookEndpoint};
//! use meta_messaging::webhook::Verifier;
//!
//! # async fn run() -> std::io::Result<()> {
//! let endpoint = WebhookEndpoint::new(Verifier::new("app-secret"), "my-verify-token")
//!     .handler(|delivery: Delivery| async move { println!("{} events", delivery.events().count()) });
//! HttpServer::new(move || App::new().configure(meta_messaging::actix::configure("/webhooks/meta", endpoint.clone())))
//!     .bind(("0.0.0.0", 8080))?
//!     .run()
//!     .await
//! # }
//! ```

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::StreamBody;

use crate::endpoint::WebhookEndpoint;

/// Mounts `endpoint` at `path` (`GET` and `POST`; other methods get `405`), for
/// [`App::configure`](actix_web::App::configure).
pub fn configure(path: &str, endpoint: WebhookEndpoint) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let path = path.to_owned();
    move |config: &mut web::ServiceConfig| {
        config.service(web::resource(path).app_data(web::Data::new(endpoint)).route(web::route().to(handle)));
    }
}

/// The handler behind [`configure`], for a route of your own: register the endpoint as
/// `web::Data<WebhookEndpoint>` on that route or its scope.
pub async fn handle(
    request: HttpRequest,
    payload: web::Payload,
    endpoint: web::Data<WebhookEndpoint>,
) -> HttpResponse {
    // The payload streams into the endpoint, which stops reading as soon as the cap is passed.
    let frames = payload.map(|chunk| chunk.map(http_body::Frame::data));
    let Some(Ok(converted)) = request_head(&request).map(|head| head.body(StreamBody::new(frames))) else {
        return HttpResponse::BadRequest().body("the request line could not be read");
    };
    into_actix(endpoint.handle(converted).await)
}

/// The request line and headers in `http` 1 types (actix-web still speaks `http` 0.2).
fn request_head(request: &HttpRequest) -> Option<http::request::Builder> {
    let method = http::Method::from_bytes(request.method().as_str().as_bytes()).ok()?;
    let mut builder = http::Request::builder().method(method).uri(request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    Some(builder)
}

fn into_actix(response: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::OK);
    let mut out = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        out.insert_header((name.as_str(), value.as_bytes()));
    }
    out.body(body)
}
