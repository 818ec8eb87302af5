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
mod paging;
mod raw;
pub(crate) mod redact;
mod request;
mod retry;
pub(crate) mod serde_util;
mod time;
mod usage;
mod version;

pub use backoff::UsageBackoff;
pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind, GraphApiError, Result, ValidationError, Violation};
pub use paging::{BoxStream, Cursors, Page, Paging};
pub use raw::{Lazy, RawJson};
pub use request::{Ack, GraphRequest, Host, Multipart, Response, ResponseMeta};
pub(crate) use request::{Auth, Gate, RequestSpec, Target};
pub use reqwest::Method;
pub use retry::RetryPolicy;
pub use time::Timestamp;
pub use usage::{AdAccountUsage, AppUsage, BusinessUseCaseUsage, Usage, UseCaseType};
pub use version::{ApiVersion, InvalidApiVersion};
