//! Media messages: by uploaded id or by link, with caption and file name.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::limits;
use crate::graph::serde_util::string_enum;
use crate::graph::validate::{max_chars, not_empty};
use crate::graph::{ValidationError, Violation};
use crate::whatsapp::MediaId;

string_enum! {
    /// A media message kind.
    pub enum MediaKind {
        /// Image (JPEG, PNG; ≤ 5 MB).
        Image = "image",
        /// Video (MP4, 3GPP; ≤ 16 MB).
        Video = "video",
        /// Audio (AAC, AMR, MP3, MP4, OGG/Opus; ≤ 16 MB).
        Audio = "audio",
        /// Document (PDF, Office, text; ≤ 100 MB).
        Document = "document",
        /// Sticker (WebP; ≤ 100 KB static, 500 KB animated).
        Sticker = "sticker",
    }
}

/// Where a media message's file comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaSource {
    /// An uploaded media id.
    Id(MediaId),
    /// A public HTTPS URL Meta fetches.
    Link(String),
}

impl MediaSource {
    /// An uploaded media id.
    pub fn id(id: impl Into<MediaId>) -> Self {
        Self::Id(id.into())
    }

    /// A public HTTPS URL.
    pub fn link(url: impl Into<String>) -> Self {
        Self::Link(url.into())
    }
}

impl From<MediaId> for MediaSource {
    fn from(id: MediaId) -> Self {
        Self::Id(id)
    }
}

impl From<&MediaId> for MediaSource {
    fn from(id: &MediaId) -> Self {
        Self::Id(id.clone())
    }
}

/// A media message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaMessage {
    /// The kind.
    pub kind: MediaKind,
    /// The file.
    pub source: MediaSource,
    /// Caption (image, video, document; ≤ 1024 characters).
    pub caption: Option<String>,
    /// File name (document).
    pub filename: Option<String>,
    /// Send an OGG/Opus audio as a voice note.
    pub voice: bool,
}

impl MediaMessage {
    /// A media message without caption.
    pub fn new(kind: MediaKind, source: MediaSource) -> Self {
        Self { kind, source, caption: None, filename: None, voice: false }
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        match &self.source {
            MediaSource::Id(id) => not_empty("media.id", id.as_str())?,
            MediaSource::Link(link) => {
                not_empty("media.link", link)?;
                if !link.starts_with("https://") && !link.starts_with("http://") {
                    return Err(ValidationError::new(
                        "media.link",
                        Violation::Invalid("must be an http(s) url".into()),
                    ));
                }
            }
        }
        if let Some(caption) = &self.caption {
            if matches!(self.kind, MediaKind::Audio | MediaKind::Sticker) {
                return Err(ValidationError::new(
                    "media.caption",
                    Violation::Invalid("audio and stickers take no caption".into()),
                ));
            }
            max_chars("media.caption", caption, limits::CAPTION)?;
        }
        Ok(())
    }
}

impl Serialize for MediaMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.source {
            MediaSource::Id(id) => map.serialize_entry("id", id)?,
            MediaSource::Link(link) => map.serialize_entry("link", link)?,
        }
        if let Some(caption) = &self.caption {
            map.serialize_entry("caption", caption)?;
        }
        if let Some(filename) = &self.filename {
            map.serialize_entry("filename", filename)?;
        }
        if self.voice {
            map.serialize_entry("voice", &true)?;
        }
        map.end()
    }
}
