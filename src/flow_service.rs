//! The WhatsApp Flows data endpoint as a [`tower::Service`](tower_service::Service) (features
//! `flows` and `tower`), mounted like the webhook endpoint: hyper, axum
//! ([`axum::flow_router`](crate::axum::flow_router)), or any server that takes a tower service.
//!
//! Per request: `POST` only (`405` otherwise), the declared length and the body under a cap
//! (`413`), then [`FlowEndpoint::respond_async`]: `X-Hub-Signature-256` first (`432` before any
//! RSA work), the RSA unwrap on the blocking pool, your [`FlowHandler`], and the encrypted
//! answer as `text/plain`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use meta_messaging::flow_service::FlowService;
//! use meta_messaging::whatsapp::flows::{FlowEndpoint, FlowError, FlowRequest, FlowResponse};
//!
//! # fn run(pem: &str) -> Result<(), FlowError> {
//! let endpoint = FlowEndpoint::from_pem(pem)?.app_secret("app-secret");
//! let service = FlowService::new(endpoint, |request: &FlowRequest| {
//!     Ok(FlowResponse::screen("WELCOME", serde_json::json!({"token": request.flow_token})))
//! });
//! // hyper_util::service::TowerToHyperService::new(service), or axum::flow_router(service).
//! # let _ = service; Ok(()) }
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::{BodyDataStream, Full};

use crate::webhook::{BodyLimit, ReadBodyError, SIGNATURE_HEADER};
use crate::whatsapp::flows::{FlowEndpoint, FlowHandler};

/// The cap on a Flows request body: the envelope of a screen's data, well under 1 MiB.
pub const DEFAULT_FLOW_BODY_LIMIT: usize = 1024 * 1024;

/// The Flows data endpoint as a tower service. Cheap to clone.
#[derive(Clone)]
pub struct FlowService {
    endpoint: Arc<FlowEndpoint>,
    handler: Arc<dyn FlowHandler>,
    limit: BodyLimit,
}

impl fmt::Debug for FlowService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlowService")
            .field("endpoint", &self.endpoint)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl FlowService {
    /// The service for `endpoint` (give it its app secret first) and `handler`.
    pub fn new(endpoint: FlowEndpoint, handler: impl FlowHandler) -> Self {
        Self::from_shared(Arc::new(endpoint), Arc::new(handler))
    }

    /// The service over an endpoint and handler shared with other code.
    pub fn from_shared(endpoint: Arc<FlowEndpoint>, handler: Arc<dyn FlowHandler>) -> Self {
        Self { endpoint, handler, limit: BodyLimit::new(DEFAULT_FLOW_BODY_LIMIT) }
    }

    /// The body cap (1 MiB by default).
    #[must_use]
    pub fn body_limit(mut self, limit: BodyLimit) -> Self {
        self.limit = limit;
        self
    }

    /// Serves one request.
    pub async fn handle<B>(&self, request: http::Request<B>) -> http::Response<Bytes>
    where
        B: http_body::Body<Data = Bytes>,
    {
        let (parts, body) = request.into_parts();
        if parts.method != Method::POST {
            return status(StatusCode::METHOD_NOT_ALLOWED);
        }
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if self.limit.check_content_length(declared).is_err() {
            return status(StatusCode::PAYLOAD_TOO_LARGE);
        }
        // No signature, no reading: an unsigned request costs nothing but its head.
        let signature =
            parts.headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if signature.is_empty() {
            return status(StatusCode::from_u16(432).unwrap_or(StatusCode::UNAUTHORIZED));
        }
        let body = match self.limit.read(BodyDataStream::new(body)).await {
            Ok(body) => body,
            Err(ReadBodyError::TooLarge { .. }) => return status(StatusCode::PAYLOAD_TOO_LARGE),
            Err(_) => return status(StatusCode::BAD_REQUEST),
        };
        let answer = self.endpoint.respond_async(body, &signature, self.handler.as_ref()).await;
        let mut response = http::Response::new(Bytes::from(answer.body));
        *response.status_mut() =
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
        response
    }
}

fn status(status: StatusCode) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

impl<B> tower_service::Service<http::Request<B>> for FlowService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move { Ok(service.handle(request).await.map(Full::new)) })
    }
}
