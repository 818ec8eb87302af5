//! Media: upload, look up, download, delete.
//!
//! Per the Cloud API [media reference](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media)
//! (Graph API v25.0): uploads are multipart
//! (`file`, `type`, `messaging_product`), checked against Meta's MIME types and size limits
//! before sending; a media id resolves to a short-lived URL (5 minutes) that must be fetched
//! with the same bearer token; downloads are streamed, bounded in size and checked against the
//! SHA-256 Meta reports.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use base64::Engine;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::MediaId;
use crate::graph::serde_util::opt_integer_or_string;
use crate::graph::{BoxStream, Error, ErrorKind, Multipart, Result, ValidationError, Violation};
use crate::{AccessToken, Client};

/// The default cap of a download: 100 MB, the largest media WhatsApp accepts.
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// The per-type limits of uploads: `(mime type, max bytes)`.
const SUPPORTED: &[(&str, u64)] = &[
    ("image/jpeg", 5 * 1024 * 1024),
    ("image/png", 5 * 1024 * 1024),
    ("image/webp", 500 * 1024),
    ("video/mp4", 16 * 1024 * 1024),
    ("video/3gpp", 16 * 1024 * 1024),
    ("audio/aac", 16 * 1024 * 1024),
    ("audio/amr", 16 * 1024 * 1024),
    ("audio/mpeg", 16 * 1024 * 1024),
    ("audio/mp4", 16 * 1024 * 1024),
    ("audio/ogg", 16 * 1024 * 1024),
    ("text/plain", 100 * 1024 * 1024),
    ("application/pdf", 100 * 1024 * 1024),
    ("application/msword", 100 * 1024 * 1024),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", 100 * 1024 * 1024),
    ("application/vnd.ms-excel", 100 * 1024 * 1024),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 100 * 1024 * 1024),
    ("application/vnd.ms-powerpoint", 100 * 1024 * 1024),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", 100 * 1024 * 1024),
];

/// The upload limit of a MIME type, `None` when WhatsApp does not accept it. `image/webp` is
/// for stickers (500 KB animated, 100 KB static).
pub fn upload_limit(mime: &str) -> Option<u64> {
    let base = mime.split(';').next().unwrap_or(mime).trim();
    SUPPORTED.iter().find(|(m, _)| m.eq_ignore_ascii_case(base)).map(|(_, max)| *max)
}

/// The MIME type WhatsApp expects for a file extension.
pub fn mime_for_extension(extension: &str) -> Option<&'static str> {
    Some(match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" | "3gpp" => "video/3gpp",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "opus" => "audio/ogg",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

/// A file to upload.
///
/// ```
/// use meta_messaging::whatsapp::media::MediaUpload;
///
/// let upload = MediaUpload::from_bytes(vec![0xFF, 0xD8, 0xFF], "image/jpeg").file_name("photo.jpg");
/// assert!(upload.validate().is_ok());
/// let too_big = MediaUpload::from_bytes(vec![0; 6 * 1024 * 1024], "image/png");
/// assert!(too_big.validate().is_err());
/// ```
#[must_use]
pub struct MediaUpload {
    mime: String,
    file_name: Option<String>,
    data: UploadData,
    ttl_minutes: Option<u32>,
}

enum UploadData {
    Bytes(Bytes),
    Stream { body: reqwest::Body, length: u64 },
}

impl fmt::Debug for MediaUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaUpload")
            .field("mime", &self.mime)
            .field("file_name", &self.file_name)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl MediaUpload {
    /// Bytes in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>, mime: impl Into<String>) -> Self {
        Self { mime: mime.into(), file_name: None, data: UploadData::Bytes(bytes.into()), ttl_minutes: None }
    }

    /// A file on disk; the MIME type comes from the extension.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Validation`] for an extension WhatsApp does not accept;
    /// [`ErrorKind::Transport`] when the file cannot be read.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mime =
            path.extension().and_then(|e| e.to_str()).and_then(mime_for_extension).ok_or_else(|| {
                ValidationError::new("file", Violation::Invalid("unsupported file extension".into()))
            })?;
        let bytes = tokio::fs::read(path).await.map_err(|e| {
            Error::with_kind_and_source(
                ErrorKind::Transport,
                "could not read the file to upload",
                Some(Box::new(e)),
            )
        })?;
        let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
        Ok(Self { file_name: name, ..Self::from_bytes(bytes, mime) })
    }

    /// A stream of exactly `length` bytes. A streamed upload is sent once and never retried.
    pub fn from_stream<S, E>(stream: S, length: u64, mime: impl Into<String>) -> Self
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        Self {
            mime: mime.into(),
            file_name: None,
            data: UploadData::Stream { body: stream_body(stream), length },
            ttl_minutes: None,
        }
    }

    /// The file name shown to the recipient (documents).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// For numbers with No-Storage enabled: how long Meta keeps the media.
    pub fn ttl_minutes(mut self, minutes: u32) -> Self {
        self.ttl_minutes = Some(minutes);
        self
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        match &self.data {
            UploadData::Bytes(bytes) => bytes.len() as u64,
            UploadData::Stream { length, .. } => *length,
        }
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the MIME type and size against WhatsApp's limits.
    ///
    /// # Errors
    ///
    /// The first broken limit.
    pub fn validate(&self) -> std::result::Result<(), ValidationError> {
        let max = upload_limit(&self.mime).ok_or_else(|| {
            ValidationError::new(
                "type",
                Violation::Invalid(format!("unsupported mime type {}", self.mime).into()),
            )
        })?;
        let len = self.len();
        if len == 0 {
            return Err(ValidationError::new("file", Violation::Missing));
        }
        if len > max {
            return Err(ValidationError::new(
                "file",
                Violation::Invalid(
                    format!("{len} bytes is over the {max}-byte limit for {}", self.mime).into(),
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn into_form(self) -> Multipart {
        let mut form = Multipart::new().text("messaging_product", "whatsapp").text("type", self.mime.clone());
        if let Some(ttl) = self.ttl_minutes {
            form = form.text("ttl_minutes", ttl.to_string());
        }
        let name = self.file_name.or_else(|| Some("file".to_owned()));
        match self.data {
            UploadData::Bytes(bytes) => form.file("file", bytes, name, self.mime),
            UploadData::Stream { body, length } => form.stream("file", body, length, name, self.mime),
        }
    }
}

/// The answer to an upload.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UploadedMedia {
    /// The media id (valid 30 days).
    pub id: MediaId,
}

/// What Meta knows about a media id: its download URL (valid 5 minutes) and checksum.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MediaInfo {
    /// The media id.
    pub id: MediaId,
    /// The download URL; fetch it with [`WhatsApp::download_media`](super::WhatsApp::download_media).
    pub url: String,
    /// MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// SHA-256 of the file (hex or base64).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Size in bytes (Meta sends a string or a number).
    #[serde(default, deserialize_with = "opt_integer_or_string")]
    pub file_size: Option<i64>,
    /// Always `whatsapp`.
    #[serde(default)]
    pub messaging_product: Option<String>,
}

/// What Meta reported about a file's SHA-256.
#[derive(Clone, Copy)]
enum Checksum {
    /// A digest to check the bytes against.
    Expected([u8; 32]),
    /// Nothing was reported.
    Missing,
    /// Something was reported, but it is not a SHA-256 (never skipped: the download fails).
    Malformed,
}

impl Checksum {
    fn of(reported: Option<&str>) -> Self {
        match reported {
            None => Self::Missing,
            Some(text) => decode_sha256(text).map_or(Self::Malformed, Self::Expected),
        }
    }
}

/// Decodes a SHA-256 given as 64 hex digits or as base64.
fn decode_sha256(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if let Some(hex) = crate::util::hex_decode_array::<32>(text.as_bytes()) {
        return Some(hex);
    }
    let mut out = [0u8; 32];
    match base64::engine::general_purpose::STANDARD.decode_slice(text, &mut out) {
        Ok(32) => Some(out),
        _ => None,
    }
}

/// A download of a media file: `.await` it for the bytes, or call [`stream`](Self::stream).
///
/// The URL must be one of Meta's media hosts over HTTPS (or the client's configured Graph host),
/// because the request carries the access token. The body is bounded by
/// [`max_bytes`](Self::max_bytes) (and by the size Meta reported) and checked against the
/// reported SHA-256; a mismatch, or a reported value that is not a SHA-256, fails the download.
/// When Meta reported none, the download is unchecked: [`is_checked`](Self::is_checked) says so,
/// a warning is logged, and [`require_checksum`](Self::require_checksum) refuses it instead.
#[must_use = "downloads do nothing unless awaited or streamed"]
pub struct MediaDownload {
    client: Client,
    url: String,
    sha256: Checksum,
    require_checksum: bool,
    expected_len: Option<u64>,
    max_bytes: u64,
    timeout: Duration,
    token: Option<AccessToken>,
}

impl fmt::Debug for MediaDownload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaDownload")
            .field("expected_len", &self.expected_len)
            .field("max_bytes", &self.max_bytes)
            .field("checked", &self.is_checked())
            .finish_non_exhaustive()
    }
}

impl MediaDownload {
    pub(crate) fn new(client: Client, info: &MediaInfo) -> Self {
        Self {
            client,
            url: info.url.clone(),
            sha256: Checksum::of(info.sha256.as_deref()),
            require_checksum: false,
            expected_len: info.file_size.and_then(|n| u64::try_from(n).ok()),
            max_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            timeout: Duration::from_secs(300),
            token: None,
        }
    }

    /// A download of a URL from a webhook, with an optional SHA-256 to check.
    pub(crate) fn from_url(client: Client, url: impl Into<String>, sha256: Option<&str>) -> Self {
        Self {
            client,
            url: url.into(),
            sha256: Checksum::of(sha256),
            require_checksum: false,
            expected_len: None,
            max_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            timeout: Duration::from_secs(300),
            token: None,
        }
    }

    /// Whether the bytes will be checked against a SHA-256 Meta reported.
    pub fn is_checked(&self) -> bool {
        matches!(self.sha256, Checksum::Expected(_))
    }

    /// Refuses the download (before any request) when Meta reported no SHA-256 to check it
    /// against. Off by default: the download goes ahead unchecked, with a warning.
    pub fn require_checksum(mut self, require: bool) -> Self {
        self.require_checksum = require;
        self
    }

    /// The largest body accepted (100 MB by default).
    pub fn max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
    }

    /// The timeout of the whole transfer (5 minutes by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Authenticates with `token` instead of the client's.
    pub fn access_token(mut self, token: impl Into<AccessToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Streams the file in chunks; the last item is an error if the size bound is passed or the
    /// checksum does not match.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] for a URL outside Meta's media hosts; [`ErrorKind::Decode`] when
    /// Meta's reported SHA-256 is not one, or is missing under
    /// [`require_checksum`](Self::require_checksum); any request error.
    pub async fn stream(self) -> Result<BoxStream<Bytes>> {
        let expected = match self.sha256 {
            Checksum::Expected(digest) => Some(digest),
            Checksum::Malformed => {
                return Err(Error::with_kind_and_source(
                    ErrorKind::Decode,
                    "Meta reported a sha256 that is not 32 bytes in hex or base64; the media cannot be checked",
                    None,
                ));
            }
            Checksum::Missing if self.require_checksum => {
                return Err(Error::with_kind_and_source(
                    ErrorKind::Decode,
                    "Meta reported no sha256 for this media and a checksum is required",
                    None,
                ));
            }
            Checksum::Missing => {
                tracing::warn!("media download without a sha256 from Meta: its bytes are not checked");
                None
            }
        };
        let url =
            url::Url::parse(&self.url).map_err(|_| Error::config("the media url is not a valid url"))?;
        if !self.client.may_send_token_to(&url) {
            return Err(Error::config(
                "the media url is not on a Meta media host; refusing to send the token",
            ));
        }
        let limit = self.expected_len.map_or(self.max_bytes, |n| n.min(self.max_bytes));
        let mut spec = crate::graph::RequestSpec::new(reqwest::Method::GET, crate::graph::Host::Facebook, "");
        spec.target = crate::graph::Target::Absolute(url);
        spec.timeout = Some(self.timeout);
        if let Some(token) = self.token {
            spec.auth = crate::graph::Auth::Token(self.client.credentials_for(token));
        }
        let (response, _meta) = self.client.execute_response(spec).await?;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large(limit));
        }
        let state = DownloadState {
            chunks: Box::pin(response_chunks(response)),
            hasher: Sha256::new(),
            expected,
            received: 0,
            limit,
            done: false,
        };
        Ok(Box::pin(futures_util::stream::unfold(state, DownloadState::next)))
    }

    /// Downloads the whole file into memory.
    ///
    /// # Errors
    ///
    /// As [`stream`](Self::stream), plus a body over the bound or with the wrong checksum.
    pub async fn bytes(self) -> Result<Bytes> {
        let mut stream = self.stream().await?;
        let mut body = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok(body.freeze())
    }
}

impl IntoFuture for MediaDownload {
    type Output = Result<Bytes>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Bytes>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.bytes())
    }
}

/// A request body read from `stream` as it is sent.
fn stream_body<S, E>(stream: S) -> reqwest::Body
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let frames = SyncStream(std::sync::Mutex::new(Box::pin(stream)))
        .map(|chunk| chunk.map(http_body::Frame::data).map_err(Into::into));
    reqwest::Body::wrap(http_body_util::StreamBody::new(frames))
}

/// A stream reqwest may hold as `Sync` (its body must be). The mutex is never locked: the stream
/// is only polled through `&mut`, which `Mutex::get_mut` reaches without locking.
struct SyncStream<S>(std::sync::Mutex<Pin<Box<S>>>);

impl<S: Stream> Stream for SyncStream<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<S::Item>> {
        let inner = self.get_mut().0.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.as_mut().poll_next(cx)
    }
}

/// A response's body as a stream of chunks, read as they arrive.
fn response_chunks(response: reqwest::Response) -> impl Stream<Item = reqwest::Result<Bytes>> + Send {
    futures_util::stream::unfold(Some(response), |response| async move {
        let mut response = response?;
        match response.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), Some(response))),
            Ok(None) => None,
            Err(error) => Some((Err(error), None)),
        }
    })
}

fn too_large(limit: u64) -> Error {
    Error::with_kind_and_source(
        ErrorKind::Decode,
        format!("the media is larger than the {limit}-byte limit"),
        None,
    )
}

struct DownloadState {
    chunks: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    hasher: Sha256,
    expected: Option<[u8; 32]>,
    received: u64,
    limit: u64,
    done: bool,
}

impl DownloadState {
    async fn next(mut self) -> Option<(Result<Bytes>, Self)> {
        if self.done {
            return None;
        }
        match self.chunks.next().await {
            Some(Ok(chunk)) => {
                self.received += chunk.len() as u64;
                if self.received > self.limit {
                    self.done = true;
                    return Some((Err(too_large(self.limit)), self));
                }
                self.hasher.update(&chunk);
                Some((Ok(chunk), self))
            }
            Some(Err(error)) => {
                self.done = true;
                Some((Err(Error::from_reqwest(error)), self))
            }
            None => {
                self.done = true;
                let expected = self.expected?;
                let actual: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
                if actual == expected {
                    None
                } else {
                    let error = Error::with_kind_and_source(
                        ErrorKind::Decode,
                        "the media's sha256 does not match what Meta reported",
                        None,
                    );
                    Some((Err(error), self))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_types() {
        assert_eq!(upload_limit("image/jpeg"), Some(5 * 1024 * 1024));
        assert_eq!(upload_limit("IMAGE/PNG"), Some(5 * 1024 * 1024));
        assert_eq!(upload_limit("audio/ogg; codecs=opus"), Some(16 * 1024 * 1024));
        assert_eq!(upload_limit("image/gif"), None);
        assert_eq!(mime_for_extension("JPG"), Some("image/jpeg"));
        assert_eq!(mime_for_extension("exe"), None);
    }

    #[test]
    fn sha256_in_hex_or_base64() {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let b64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";
        assert_eq!(decode_sha256(hex), decode_sha256(b64));
        assert!(decode_sha256(hex).is_some());
        assert_eq!(decode_sha256("nope"), None);
    }
}
