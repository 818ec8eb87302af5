//! A body-size guard for framework integrations: refuse before buffering, not after.

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::ParseError;

/// The default cap: 4 MiB, above the ~3 MB Meta documents for WhatsApp payloads.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A cap on webhook body size.
///
/// ```
/// use meta_messaging::webhook::BodyLimit;
///
/// let limit = BodyLimit::new(16);
/// assert!(limit.check_content_length(Some(17)).is_err());
/// assert!(limit.check(b"0123456789abcdef").is_ok());
/// assert_eq!(BodyLimit::default().max(), 4 * 1024 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit {
    max: usize,
}

impl Default for BodyLimit {
    fn default() -> Self {
        Self { max: DEFAULT_MAX_BODY_BYTES }
    }
}

/// Reading a capped body failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadBodyError<E> {
    /// The body is larger than the cap (answer 413).
    #[error("webhook body is larger than {limit} bytes")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The body stream failed.
    #[error("reading the webhook body failed")]
    Body(#[source] E),
}

impl BodyLimit {
    /// A cap of `max` bytes.
    pub const fn new(max: usize) -> Self {
        Self { max }
    }

    /// The cap.
    pub const fn max(self) -> usize {
        self.max
    }

    /// Checks a declared `Content-Length` before reading anything.
    ///
    /// # Errors
    ///
    /// [`ParseError::TooLarge`] when the length exceeds the cap.
    pub fn check_content_length(self, length: Option<u64>) -> Result<(), ParseError> {
        match length {
            Some(len) if len > self.max as u64 => Err(ParseError::TooLarge { limit: self.max }),
            _ => Ok(()),
        }
    }

    /// Checks a body already in memory.
    ///
    /// # Errors
    ///
    /// [`ParseError::TooLarge`] when the body exceeds the cap.
    pub fn check(self, body: &[u8]) -> Result<(), ParseError> {
        if body.len() > self.max { Err(ParseError::TooLarge { limit: self.max }) } else { Ok(()) }
    }

    /// Buffers a body stream, stopping as soon as it passes the cap.
    ///
    /// # Errors
    ///
    /// [`ReadBodyError::TooLarge`] past the cap, [`ReadBodyError::Body`] when the stream fails.
    pub async fn read<S, E>(self, body: S) -> Result<Bytes, ReadBodyError<E>>
    where
        S: Stream<Item = Result<Bytes, E>>,
    {
        let mut body = std::pin::pin!(body);
        let mut buffer = BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(ReadBodyError::Body)?;
            if buffer.len() + chunk.len() > self.max {
                return Err(ReadBodyError::TooLarge { limit: self.max });
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok(buffer.freeze())
    }
}
