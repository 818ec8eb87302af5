//! `multipart/form-data` bodies (media and attachment uploads), encoded here: boundaries,
//! quoted names and streamed parts, without reqwest's `multipart` feature (and its MIME tables).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use secrecy::ExposeSecret;

use super::{Error, Result};

/// A multipart/form-data body (media and attachment uploads).
///
/// Parts hold [`Bytes`], so the body can be rebuilt for a retry without copying.
#[derive(Clone, Debug, Default)]
pub struct Multipart {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    name: Cow<'static, str>,
    value: PartValue,
}

#[derive(Clone)]
enum PartValue {
    Text(String),
    /// A credential: sent like text, never shown by `Debug`.
    Secret(secrecy::SecretString),
    File {
        bytes: Bytes,
        file_name: Option<String>,
        mime: String,
    },
    /// A body that can be read once.
    Stream {
        body: Arc<std::sync::Mutex<Option<reqwest::Body>>>,
        length: u64,
        file_name: Option<String>,
        mime: String,
    },
}

impl fmt::Debug for PartValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Self::Secret(_) => f.write_str("Secret([redacted])"),
            Self::File { bytes, file_name, mime } => f
                .debug_struct("File")
                .field("len", &bytes.len())
                .field("file_name", file_name)
                .field("mime", mime)
                .finish(),
            Self::Stream { length, file_name, mime, .. } => f
                .debug_struct("Stream")
                .field("len", length)
                .field("file_name", file_name)
                .field("mime", mime)
                .finish(),
        }
    }
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    #[must_use]
    pub fn text(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.parts.push(Part { name: name.into(), value: PartValue::Text(value.into()) });
        self
    }

    /// Adds a credential field (a client secret, an authorization code): sent as text, never
    /// shown by `Debug`.
    #[must_use]
    pub(crate) fn secret_text(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        self.parts.push(Part { name: name.into(), value: PartValue::Secret(value.into().into()) });
        self
    }

    /// Adds a file field with its MIME type and optional file name.
    #[must_use]
    pub fn file(
        mut self,
        name: impl Into<Cow<'static, str>>,
        bytes: impl Into<Bytes>,
        file_name: Option<String>,
        mime: impl Into<String>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            value: PartValue::File { bytes: bytes.into(), file_name, mime: mime.into() },
        });
        self
    }

    /// Adds a file field whose bytes come from a stream of `length` bytes. A form with a stream
    /// can be sent once: requests carrying it are never retried.
    #[must_use]
    pub fn stream(
        mut self,
        name: impl Into<Cow<'static, str>>,
        body: reqwest::Body,
        length: u64,
        file_name: Option<String>,
        mime: impl Into<String>,
    ) -> Self {
        let body = Arc::new(std::sync::Mutex::new(Some(body)));
        self.parts.push(Part {
            name: name.into(),
            value: PartValue::Stream { body, length, file_name, mime: mime.into() },
        });
        self
    }

    /// Whether the form can be sent more than once.
    pub(crate) fn is_replayable(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p.value, PartValue::Stream { .. }))
    }

    /// Encodes the form: its `Content-Type` (with a fresh random boundary), its exact length and
    /// the body, streamed part by part (a stream part is read as it is sent, never buffered).
    pub(crate) fn encode(&self) -> Result<Encoded> {
        let boundary = boundary()?;
        let mut segments = VecDeque::with_capacity(self.parts.len() * 2 + 1);
        let mut length = 0u64;
        let mut head = String::new();
        for part in &self.parts {
            head.push_str("--");
            head.push_str(&boundary);
            head.push_str("\r\nContent-Disposition: form-data; name=\"");
            push_quoted(&mut head, &part.name);
            head.push('"');
            let data = match &part.value {
                PartValue::Text(text) => {
                    head.push_str("\r\n\r\n");
                    head.push_str(text);
                    None
                }
                PartValue::Secret(secret) => {
                    head.push_str("\r\n\r\n");
                    head.push_str(secret.expose_secret());
                    None
                }
                PartValue::File { bytes, file_name, mime } => {
                    file_head(&mut head, file_name.as_deref(), mime)?;
                    Some(Segment::Bytes(bytes.clone()))
                }
                PartValue::Stream { body, length: len, file_name, mime } => {
                    file_head(&mut head, file_name.as_deref(), mime)?;
                    let body = body
                        .lock()
                        .map_err(|_| Error::config("the upload stream lock was poisoned"))?
                        .take()
                        .ok_or_else(|| Error::config("the upload stream was already sent"))?;
                    Some(Segment::Stream { body, left: *len })
                }
            };
            if let Some(data) = data {
                length += push_text(&mut segments, std::mem::take(&mut head));
                length += data.len();
                segments.push_back(data);
            }
            head.push_str("\r\n");
        }
        head.push_str("--");
        head.push_str(&boundary);
        head.push_str("--\r\n");
        length += push_text(&mut segments, head);
        Ok(Encoded {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            length,
            body: reqwest::Body::wrap(FormBody { segments }),
        })
    }
}

/// An encoded form, ready to send.
pub(crate) struct Encoded {
    /// `multipart/form-data; boundary=…`.
    pub(crate) content_type: String,
    /// The exact body length (`Content-Length`).
    pub(crate) length: u64,
    /// The body.
    pub(crate) body: reqwest::Body,
}

/// 32 random hex digits: no file content can guess it.
fn boundary() -> Result<String> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|_| Error::config("the operating system gave no randomness for a form boundary"))?;
    Ok(random.iter().fold(String::with_capacity(40), |mut out, b| {
        use fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    }))
}

/// The file name and content type lines of a file part, and the blank line before its data.
fn file_head(head: &mut String, file_name: Option<&str>, mime: &str) -> Result<()> {
    let valid = mime.contains('/') && mime.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if !valid {
        return Err(Error::config("invalid mime type for a multipart file"));
    }
    if let Some(name) = file_name {
        head.push_str("; filename=\"");
        push_quoted(head, name);
        head.push('"');
    }
    head.push_str("\r\nContent-Type: ");
    head.push_str(mime);
    head.push_str("\r\n\r\n");
    Ok(())
}

/// A name inside a quoted header parameter, with `"`, CR and LF percent-encoded as browsers do
/// (the WHATWG form encoding), so no value can end the parameter or the header.
fn push_quoted(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

fn push_text(segments: &mut VecDeque<Segment>, text: String) -> u64 {
    let len = text.len() as u64;
    if len > 0 {
        segments.push_back(Segment::Bytes(Bytes::from(text)));
    }
    len
}

enum Segment {
    Bytes(Bytes),
    /// A caller's stream that promised `left` more bytes.
    Stream {
        body: reqwest::Body,
        left: u64,
    },
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::Stream { left, .. } => *left,
        }
    }
}

/// The form's segments, sent one after the other.
struct FormBody {
    segments: VecDeque<Segment>,
}

impl http_body::Body for FormBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<Bytes>, Self::Error>>> {
        loop {
            let Some(front) = self.segments.front_mut() else { return Poll::Ready(None) };
            let Segment::Stream { body, left } = front else {
                let Some(Segment::Bytes(bytes)) = self.segments.pop_front() else { unreachable!() };
                return Poll::Ready(Some(Ok(http_body::Frame::data(bytes))));
            };
            match ready!(Pin::new(body).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    let len = data.len() as u64;
                    if len > *left {
                        return Poll::Ready(Some(Err(
                            "the upload stream is longer than its stated length".into()
                        )));
                    }
                    *left -= len;
                    return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
                None if *left > 0 => {
                    return Poll::Ready(Some(Err("the upload stream ended before its stated length".into())));
                }
                None => {
                    self.segments.pop_front();
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.segments.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.segments.iter().map(Segment::len).sum())
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn collect(encoded: Encoded) -> std::result::Result<Vec<u8>, String> {
        // reqwest wraps the body's error: read the whole chain.
        let body = encoded.body.collect().await.map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                text = format!("{text}: {inner}");
                source = inner.source();
            }
            text
        })?;
        Ok(body.to_bytes().to_vec())
    }

    fn boundary_of(encoded: &Encoded) -> String {
        let boundary = encoded.content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        assert_eq!(boundary.len(), 32, "{boundary}");
        assert!(boundary.bytes().all(|b| b.is_ascii_hexdigit()));
        boundary.to_owned()
    }

    #[tokio::test]
    async fn a_form_encodes_to_the_exact_bytes_and_length() {
        let form = Multipart::new()
            .text("messaging_product", "whatsapp")
            .secret_text("client_secret", "s3cret")
            .file("file", &b"PNG\r\nDATA"[..], Some("cat \"1\".png".into()), "image/png");
        let encoded = form.encode().unwrap();
        let b = boundary_of(&encoded);
        let length = encoded.length;
        let body = collect(encoded).await.unwrap();
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\ns3cret\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat %221%22.png\"\r\n\
             Content-Type: image/png\r\n\r\nPNG\r\nDATA\r\n--{b}--\r\n"
        );
        assert_eq!(String::from_utf8(body.clone()).unwrap(), expected);
        assert_eq!(length, body.len() as u64);
        assert!(!format!("{form:?}").contains("s3cret"), "Debug hides the secret part");
    }

    #[tokio::test]
    async fn each_encoding_draws_a_new_boundary_and_a_replayable_form_encodes_again() {
        let form = Multipart::new().text("a", "1");
        let (first, second) = (form.encode().unwrap(), form.encode().unwrap());
        assert_ne!(boundary_of(&first), boundary_of(&second));
        assert!(form.is_replayable());
        let body = collect(second).await.unwrap();
        assert!(body.ends_with(b"--\r\n"));
    }

    #[tokio::test]
    async fn a_stream_part_is_sent_once_and_held_to_its_length() {
        let form = Multipart::new().stream("file", reqwest::Body::from("abcdef"), 6, None, "video/mp4");
        assert!(!form.is_replayable());
        let encoded = form.encode().unwrap();
        let b = boundary_of(&encoded);
        assert_eq!(encoded.length, collect_len(&b, 6));
        let body = String::from_utf8(collect(encoded).await.unwrap()).unwrap();
        assert!(body.contains("Content-Type: video/mp4\r\n\r\nabcdef\r\n"), "{body}");
        let again = form.encode().map(drop).unwrap_err();
        assert!(again.to_string().contains("already sent"), "{again}");

        let short = Multipart::new().stream("file", reqwest::Body::from("abc"), 6, None, "video/mp4");
        let error = collect(short.encode().unwrap()).await.unwrap_err();
        assert!(error.contains("ended before"), "{error}");
        let long = Multipart::new().stream("file", reqwest::Body::from("abcdefgh"), 6, None, "video/mp4");
        let error = collect(long.encode().unwrap()).await.unwrap_err();
        assert!(error.contains("longer than"), "{error}");
    }

    fn collect_len(boundary: &str, data: u64) -> u64 {
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"\r\nContent-Type: video/mp4\r\n\r\n"
        );
        head.len() as u64 + data + format!("\r\n--{boundary}--\r\n").len() as u64
    }

    #[test]
    fn header_breaking_mime_types_and_names_are_refused_or_escaped() {
        for mime in ["image/png\r\nX-Evil: 1", "nothing", "image/p\u{e9}ng"] {
            let form = Multipart::new().file("file", &b"x"[..], None, mime);
            assert!(form.encode().is_err(), "{mime:?}");
        }
        let mut quoted = String::new();
        push_quoted(&mut quoted, "a\"b\r\nc");
        assert_eq!(quoted, "a%22b%0D%0Ac");
    }
}
