//! `parse`: webhook body bytes to a typed [`Webhook`].
//!
//! Two paths, one result:
//! - the fast path reads the body once into the typed models, with no intermediate
//!   `serde_json::Value`; it handles every well-formed body Meta sends, in any key order;
//! - if anything in the body does not fit the models (a wrong type deep inside one element, a
//!   duplicate key, a non-`messages` change whose `value` precedes its `field`), the general
//!   path parses the body into a `Value` and converts it element by element, so one odd element
//!   becomes a raw, unknown item and never fails the rest of the batch.
//!
//! Only the envelope can fail the parse: invalid UTF-8 or JSON, a body that is not an object,
//! a missing or non-string `object`, an `entry` that is not an array. Recursion is bounded by
//! `serde_json`'s depth limit (128).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::event::{Event, Events};
use crate::Platform;
use crate::graph::RawJson;
use crate::{messenger, whatsapp};

/// The `object` of WhatsApp webhooks.
pub const OBJECT_WHATSAPP: &str = "whatsapp_business_account";
/// The `object` of Messenger webhooks.
pub const OBJECT_PAGE: &str = "page";
/// The `object` of Instagram webhooks.
pub const OBJECT_INSTAGRAM: &str = "instagram";

/// A parsed webhook body.
///
/// Walk it with [`events`](Self::events); match on the variants for the typed payloads.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Webhook {
    /// `object = "whatsapp_business_account"`.
    WhatsApp(whatsapp::webhook::WhatsAppPayload),
    /// `object = "page"`.
    Messenger(messenger::webhook::MessengerPayload),
    /// `object = "instagram"`.
    Instagram(messenger::webhook::MessengerPayload),
    /// An `object` the crate does not model (`user`, `permissions`, `application`, ...).
    Unsupported(Unsupported),
}

/// A webhook whose `object` the crate does not model, kept whole.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Unsupported {
    /// The `object` value.
    pub object: String,
    /// The whole body.
    pub raw: RawJson,
}

impl Webhook {
    /// The `object` of the body.
    pub fn object(&self) -> &str {
        match self {
            Self::WhatsApp(_) => OBJECT_WHATSAPP,
            Self::Messenger(_) => OBJECT_PAGE,
            Self::Instagram(_) => OBJECT_INSTAGRAM,
            Self::Unsupported(u) => &u.object,
        }
    }

    /// The platform, unless the object is unsupported.
    pub fn platform(&self) -> Option<Platform> {
        match self {
            Self::WhatsApp(_) => Some(Platform::WhatsApp),
            Self::Messenger(_) => Some(Platform::Messenger),
            Self::Instagram(_) => Some(Platform::Instagram),
            Self::Unsupported(_) => None,
        }
    }

    /// Every event of the body, in order: each WhatsApp message, status and error, each other
    /// change, each Messenger or Instagram `messaging[]`/`standby[]` item and change, across all
    /// entries. An unsupported object has no events.
    ///
    /// ```
    /// let body = br#"{"object":"page","entry":[{"id":"1","time":1,"messaging":[
    ///     {"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1763800000000,
    ///      "message":{"mid":"m_1","text":"hi"}}]}]}"#;
    /// let webhook = meta_messaging_webhook::parse(body)?;
    /// let kinds: Vec<String> = webhook.events().map(|e| e.kind().to_string()).collect();
    /// assert_eq!(kinds, ["messenger.message"]);
    /// # Ok::<(), meta_messaging_webhook::ParseError>(())
    /// ```
    pub fn events(&self) -> Events<'_> {
        Events::new(self)
    }

    /// Every event with its [`EventSite`](super::EventSite): where the event's own JSON object
    /// sits in the body, for [`EventSite::locate`](super::EventSite::locate).
    pub fn events_with_sites(&self) -> super::EventsWithSites<'_> {
        super::EventsWithSites(Events::new(self))
    }

    /// The events collected into a vector.
    pub fn event_list(&self) -> Vec<Event<'_>> {
        self.events().collect()
    }
}

/// Why a webhook body could not be parsed at all.
///
/// Only the envelope can fail the parse; anything odd inside it is kept as raw JSON instead.
/// No variant quotes the body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not valid UTF-8.
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// The body is not valid JSON (including nesting deeper than 128 levels and numbers out of
    /// range).
    InvalidJson {
        /// What `serde_json` reported, with line and column (never the body's content).
        reason: String,
    },
    /// The body is JSON but not an object.
    NotAnObject,
    /// The body has no `object` field.
    MissingObject,
    /// `object` is not a string.
    ObjectNotString,
    /// `entry` is missing or not an array.
    EntryNotArray,
    /// The body is larger than the configured limit.
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUtf8 { valid_up_to, .. } => {
                write!(f, "webhook body is not valid utf-8 (valid up to byte {valid_up_to})")
            }
            Self::InvalidJson { reason, .. } => write!(f, "webhook body is not valid json: {reason}"),
            Self::NotAnObject => f.write_str("webhook body is not a json object"),
            Self::MissingObject => f.write_str("webhook body has no `object` field"),
            Self::ObjectNotString => f.write_str("webhook `object` is not a string"),
            Self::EntryNotArray => f.write_str("webhook `entry` is missing or not an array"),
            Self::TooLarge { limit, .. } => write!(f, "webhook body is larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    fn json(error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let what = match error.classify() {
            Category::Eof => "unexpected end of input".to_owned(),
            // Syntax messages never quote the input ("expected value", "recursion limit
            // exceeded", "number out of range", "invalid unicode code point").
            Category::Syntax => error.to_string(),
            Category::Io | Category::Data => "unexpected content".to_owned(),
        };
        let reason = if what.contains(" at line ") {
            what
        } else {
            format!("{what} at line {} column {}", error.line(), error.column())
        };
        Self::InvalidJson { reason }
    }
}

/// Parses a webhook body.
///
/// Verify the signature first (on these same bytes, see [`Verifier`](super::Verifier)), then
/// parse. See the [module docs](super) for what is typed and what is kept raw.
///
/// # Errors
///
/// [`ParseError`] when the envelope is unusable: invalid UTF-8 or JSON, not an object, a
/// missing or non-string `object`, `entry` not an array. An unmodelled `object` is
/// [`Webhook::Unsupported`], not an error.
pub fn parse(body: &[u8]) -> Result<Webhook, ParseError> {
    let text =
        std::str::from_utf8(body).map_err(|e| ParseError::InvalidUtf8 { valid_up_to: e.valid_up_to() })?;
    match serde_json::from_str::<Fast>(text) {
        Ok(fast) => fast.finish(text),
        Err(_) => general(text),
    }
}

/// The general path.
fn general(text: &str) -> Result<Webhook, ParseError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ParseError::json(&e))?;
    let object = root.as_object().ok_or(ParseError::NotAnObject)?;
    let kind = match object.get("object") {
        Some(Value::String(kind)) => kind,
        Some(_) => return Err(ParseError::ObjectNotString),
        None => return Err(ParseError::MissingObject),
    };
    let Some(Value::Array(entries)) = object.get("entry") else {
        return Err(ParseError::EntryNotArray);
    };
    Ok(match kind.as_str() {
        OBJECT_WHATSAPP => Webhook::WhatsApp(whatsapp::webhook::WhatsAppPayload::from_json(entries)),
        OBJECT_PAGE => Webhook::Messenger(messenger::webhook::MessengerPayload::from_json(entries)),
        OBJECT_INSTAGRAM => Webhook::Instagram(messenger::webhook::MessengerPayload::from_json(entries)),
        _ => Webhook::Unsupported(unsupported(kind, text)),
    })
}

fn unsupported(object: &str, text: &str) -> Unsupported {
    Unsupported { object: object.to_owned(), raw: RawJson::from_text(text.trim().to_owned()) }
}

/// The fast path's envelope.
enum FastEntries {
    WhatsApp(Vec<whatsapp::webhook::WhatsAppEntry>),
    Page(Vec<messenger::webhook::MessengerEntry>),
    /// `entry` came before `object`, or the object is not modelled: kept raw for now.
    Raw(RawJson),
}

struct Fast {
    object: Object,
    entries: FastEntries,
}

/// The `object` of the envelope, read without allocating for the modelled ones.
#[derive(Debug, PartialEq, Eq)]
enum Object {
    WhatsApp,
    Page,
    Instagram,
    Other(String),
}

impl Object {
    fn as_str(&self) -> &str {
        match self {
            Self::WhatsApp => OBJECT_WHATSAPP,
            Self::Page => OBJECT_PAGE,
            Self::Instagram => OBJECT_INSTAGRAM,
            Self::Other(other) => other,
        }
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl Visitor<'_> for ObjectVisitor {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Object, E> {
                Ok(match v {
                    OBJECT_WHATSAPP => Object::WhatsApp,
                    OBJECT_PAGE => Object::Page,
                    OBJECT_INSTAGRAM => Object::Instagram,
                    other => Object::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_str(ObjectVisitor)
    }
}

impl Fast {
    fn finish(self, text: &str) -> Result<Webhook, ParseError> {
        let entries = match self.entries {
            FastEntries::Raw(raw) => {
                if !raw.get().starts_with('[') {
                    return Err(ParseError::EntryNotArray);
                }
                match self.object.as_str() {
                    OBJECT_WHATSAPP => match serde_json::from_str(raw.get()) {
                        Ok(entries) => FastEntries::WhatsApp(entries),
                        Err(_) => return general(text),
                    },
                    OBJECT_PAGE | OBJECT_INSTAGRAM => match serde_json::from_str(raw.get()) {
                        Ok(entries) => FastEntries::Page(entries),
                        Err(_) => return general(text),
                    },
                    _ => {
                        return Ok(Webhook::Unsupported(unsupported(self.object.as_str(), text)));
                    }
                }
            }
            typed => typed,
        };
        Ok(match (self.object.as_str(), entries) {
            (OBJECT_WHATSAPP, FastEntries::WhatsApp(entries)) => {
                Webhook::WhatsApp(whatsapp::webhook::WhatsAppPayload::new(entries))
            }
            (OBJECT_PAGE, FastEntries::Page(entries)) => {
                Webhook::Messenger(messenger::webhook::MessengerPayload::new(entries))
            }
            (OBJECT_INSTAGRAM, FastEntries::Page(entries)) => {
                Webhook::Instagram(messenger::webhook::MessengerPayload::new(entries))
            }
            _ => return general(text),
        })
    }
}

impl<'de> Deserialize<'de> for Fast {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor;
        impl<'de> Visitor<'de> for EnvelopeVisitor {
            type Value = Fast;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a webhook envelope")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fast, A::Error> {
                let mut object: Option<Object> = None;
                let mut entries: Option<FastEntries> = None;
                while let Some(key) = map.next_key::<EnvelopeKey>()? {
                    match key {
                        EnvelopeKey::Object => {
                            if object.is_some() {
                                return Err(de::Error::duplicate_field("object"));
                            }
                            object = Some(map.next_value()?);
                        }
                        EnvelopeKey::Entry => {
                            if entries.is_some() {
                                return Err(de::Error::duplicate_field("entry"));
                            }
                            entries = Some(map.next_value_seed(EntriesSeed(object.as_ref()))?);
                        }
                        EnvelopeKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Fast {
                    object: object.ok_or_else(|| de::Error::missing_field("object"))?,
                    entries: entries.ok_or_else(|| de::Error::missing_field("entry"))?,
                })
            }
        }
        d.deserialize_map(EnvelopeVisitor)
    }
}

enum EnvelopeKey {
    Object,
    Entry,
    Other,
}

impl<'de> Deserialize<'de> for EnvelopeKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = EnvelopeKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvelopeKey, E> {
                Ok(match v {
                    "object" => EnvelopeKey::Object,
                    "entry" => EnvelopeKey::Entry,
                    _ => EnvelopeKey::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// Reads `entry` typed when the object is already known and modelled, raw otherwise.
struct EntriesSeed<'o>(Option<&'o Object>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = FastEntries;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<FastEntries, D::Error> {
        match self.0 {
            Some(Object::WhatsApp) => d
                .deserialize_seq(TypedSeq::<whatsapp::webhook::WhatsAppEntry>::new())
                .map(FastEntries::WhatsApp),
            Some(Object::Page | Object::Instagram) => d
                .deserialize_seq(TypedSeq::<messenger::webhook::MessengerEntry>::new())
                .map(FastEntries::Page),
            _ => RawJson::deserialize(d).map(FastEntries::Raw),
        }
    }
}

/// A sequence visitor that refuses anything but an array (so `entry: {}` is not an empty list).
struct TypedSeq<T>(std::marker::PhantomData<fn() -> T>);

impl<T> TypedSeq<T> {
    fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for TypedSeq<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(path: &str) -> bool {
        let body =
            std::fs::read(format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        serde_json::from_slice::<Fast>(&body).is_ok()
    }

    #[test]
    fn message_and_messaging_bodies_take_the_fast_path() {
        let dir = format!("{}/../../tests/fixtures/corpus/webhooks", env!("CARGO_MANIFEST_DIR"));
        let mut slow = Vec::new();
        for file in std::fs::read_dir(dir).unwrap() {
            let name = file.unwrap().file_name().into_string().unwrap();
            if std::path::Path::new(&name).extension().is_some_and(|e| e == "json")
                && !fast(&format!("corpus/webhooks/{name}"))
            {
                slow.push(name);
            }
        }
        slow.sort();
        eprintln!("general path: {slow:?}");
        // Only WhatsApp non-message fields sent value-first take the general path.
        assert!(
            slow.iter()
                .all(|f| f.starts_with("wa_") && !f.contains("_message_") && !f.starts_with("wa_status")),
            "{slow:?}"
        );
    }
}
