//! The Graph API core shared by WhatsApp, Messenger and Instagram.
//!
//! - [`Client`] sends requests: base URL and [`ApiVersion`], access token (per client or per
//!   request), `appsecret_proof`, timeouts, and retries driven by Meta's error codes
//!   ([`RetryPolicy`]).
//! - [`Error`] classifies every failure ([`ErrorKind`]) and keeps Meta's [`GraphApiError`].
//! - [`Usage`] reads the rate-limit usage headers of every response ([`ResponseMeta`]).
//! - [`Page`] and [`GraphRequest::pages`] walk cursor-paginated edges as a stream.
//! - [`GraphRequest`] is the escape hatch for endpoints the crate does not model.

mod backoff;
mod client;
mod codes;
mod error;
mod guard;
mod multipart;
mod paging;
pub(crate) mod redact;
mod request;
mod retry;
mod tls;
mod upload;
mod usage;
pub(crate) mod validate;
mod version;

pub use backoff::UsageBackoff;
pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind, GraphApiError, Result, RetryClass, ValidationError, Violation};
pub(crate) use guard::Guards;
pub use guard::{HUMAN_AGENT_WINDOW, Outbound, STANDARD_WINDOW, SendGuard, SendKind, WindowRule};
pub use meta_messaging_model::graph::Platform;
pub use meta_messaging_model::graph::Timestamp;
pub(crate) use meta_messaging_model::graph::serde_util;
pub use meta_messaging_model::graph::{Lazy, RawJson};
pub use paging::{BoxStream, Cursors, Page, Paging};
pub use request::{Ack, GraphRequest, Host, Multipart, Response, ResponseMeta};
pub(crate) use request::{Auth, RequestSpec, Target};
pub use reqwest::Method;
pub use retry::RetryPolicy;
pub use tls::http_client_builder;
pub use upload::{FileHandle, UploadSession, UploadStatus};
pub use usage::{AdAccountUsage, AppUsage, BusinessUseCaseUsage, Usage, UseCaseType};
pub use version::{ApiVersion, InvalidApiVersion};
