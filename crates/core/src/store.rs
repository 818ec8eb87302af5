//! The one error of every store: token vault, webhook dedupe, messaging windows, delivery queues.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// Why a store operation failed. Never contains a secret, a key or stored data.
#[derive(Clone)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

/// The class of a [`StoreError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The backend failed (connection lost, query failed, timeout); usually retryable.
    Backend,
    /// A sealed record did not open: wrong key, tampered bytes, or a record moved between keys.
    Decrypt,
    /// The record was sealed with a key id the keyring does not have (or has disabled), or with
    /// a tenant key the key registry no longer holds (the tenant was deleted).
    UnknownKey,
    /// The sealed bytes are not in the crate's format (truncated, unknown version).
    Format,
    /// A key was misused or misconfigured (bad length, duplicate id, disabling the primary).
    Key,
    /// A key reached its seal limit and must be rotated.
    KeyExhausted,
    /// The plain metadata a backend holds disagrees with the sealed copy.
    Tampered,
}

impl StoreErrorKind {
    /// A stable snake-case name (`backend`, `unknown_key`, ...), for logs, metrics labels and
    /// the delivery attempt log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backend => "backend",
            Self::Decrypt => "decrypt",
            Self::UnknownKey => "unknown_key",
            Self::Format => "format",
            Self::Key => "key",
            Self::KeyExhausted => "key_exhausted",
            Self::Tampered => "tampered",
        }
    }
}

impl StoreError {
    fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), source: None }
    }

    /// A backend failure, for implementers of the store traits
    /// (`meta_messaging::token::BlobStore`, `meta_messaging::webhook::Deduplicator`,
    /// `meta_messaging::pacing::WindowStore`, ...).
    pub fn backend(message: impl Into<String>, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            kind: StoreErrorKind::Backend,
            message: message.into(),
            source: Some(Arc::from(source.into())),
        }
    }

    /// A backend failure without an underlying error.
    pub fn backend_message(message: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Backend, message)
    }

    #[doc(hidden)]
    pub fn decrypt() -> Self {
        Self::new(StoreErrorKind::Decrypt, "sealed record failed to open (wrong key, tampered, or moved)")
    }

    #[doc(hidden)]
    pub fn unknown_key(key_id: u32) -> Self {
        Self::new(
            StoreErrorKind::UnknownKey,
            format!("sealed with key id {key_id}, which the keyring cannot use"),
        )
    }

    #[doc(hidden)]
    pub fn tenant_key_gone(version: u32) -> Self {
        Self::new(
            StoreErrorKind::UnknownKey,
            format!("sealed with tenant key version {version}, which the key registry no longer holds"),
        )
    }

    #[doc(hidden)]
    pub fn format(message: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Format, message)
    }

    #[doc(hidden)]
    pub fn key(message: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Key, message)
    }

    #[doc(hidden)]
    pub fn exhausted(key_id: u32) -> Self {
        Self::new(StoreErrorKind::KeyExhausted, format!("key id {key_id} reached its seal limit; rotate it"))
    }

    #[doc(hidden)]
    pub fn tampered() -> Self {
        Self::new(StoreErrorKind::Tampered, "stored metadata disagrees with the sealed record")
    }

    /// The class.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether retrying may help (backend failures).
    pub fn is_retryable(&self) -> bool {
        self.kind == StoreErrorKind::Backend
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.message)
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("StoreError");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(source) = &self.source {
            d.field("source", &source.to_string());
        }
        d.finish()
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.source {
            Some(source) => Some(&**source),
            None => None,
        }
    }
}
