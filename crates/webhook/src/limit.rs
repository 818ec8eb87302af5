//! A body-size guard for framework integrations: refuse before buffering, not after.

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::ParseError;

/// The default cap: 4 MiB, above the ~3 MB Meta documents for WhatsApp payloads.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A cap on webhook body size.
///
/// ```
/// use meta_messaging_webhook::BodyLimit;
///
/// let limit = BodyLimit::new(16);
/// assert!(limit.check_content_length(Some(17)).is_err());
/// assert!(limit.check(b"0123456789abcdef").is_ok());
/// assert_eq!(BodyLimit::default().max(), 4 * 1024 * 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimit {
    max: usize,
    deadline: Duration,
}

/// The default read deadline: a whole body must arrive within 30 seconds of the first read, so
/// a client that trickles bytes (slowloris) cannot hold a connection and a buffer of up to the
/// cap for long. Meta posts a body at once.
pub const DEFAULT_READ_DEADLINE: Duration = Duration::from_secs(30);

impl Default for BodyLimit {
    fn default() -> Self {
        Self { max: DEFAULT_MAX_BODY_BYTES, deadline: DEFAULT_READ_DEADLINE }
    }
}

/// Reading a capped body failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadBodyError<E> {
    /// The body is larger than the cap (answer 413).
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The body stream failed.
    Body(E),
    /// The body did not arrive within the read deadline.
    TimedOut,
}

impl<E> fmt::Display for ReadBodyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "webhook body is larger than {limit} bytes"),
            Self::Body(_) => f.write_str("reading the webhook body failed"),
            Self::TimedOut => f.write_str("the webhook body did not arrive in time"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ReadBodyError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Body(error) => Some(error),
            _ => None,
        }
    }
}

impl BodyLimit {
    /// A cap of `max` bytes, read within [`DEFAULT_READ_DEADLINE`].
    pub const fn new(max: usize) -> Self {
        Self { max, deadline: DEFAULT_READ_DEADLINE }
    }

    /// The time a whole body may take to arrive ([`DEFAULT_READ_DEADLINE`] by default).
    #[must_use]
    pub const fn read_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
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
    /// [`ReadBodyError::TooLarge`] past the cap, [`ReadBodyError::Body`] when the stream fails,
    /// [`ReadBodyError::TimedOut`] past the read deadline.
    pub async fn read<S, E>(self, body: S) -> Result<Bytes, ReadBodyError<E>>
    where
        S: Stream<Item = Result<Bytes, E>>,
    {
        tokio::time::timeout(self.deadline, self.read_all(body)).await.unwrap_or(Err(ReadBodyError::TimedOut))
    }

    async fn read_all<S, E>(self, body: S) -> Result<Bytes, ReadBodyError<E>>
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
