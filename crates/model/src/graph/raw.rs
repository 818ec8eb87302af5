//! [`RawJson`]: JSON kept exactly as Meta sent it.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// A piece of JSON kept verbatim: the payload of an event kind the crate does not model, or of
/// an element that did not have the documented shape.
///
/// Nothing Meta sends is dropped: read it with [`get`](Self::get), or decode it into your own
/// type with [`parse`](Self::parse).
///
/// ```
/// let raw: meta_messaging_model::graph::RawJson = serde_json::from_str(r#"{"foo": [1, 2]}"#)?;
/// assert_eq!(raw.get(), r#"{"foo": [1, 2]}"#);
/// assert_eq!(raw.to_value()["foo"][1], 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The JSON as a [`Value`].
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// Decodes the JSON into `T`.
    ///
    /// # Errors
    ///
    /// When the JSON does not have the shape of `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.0.get())
    }

    pub(crate) fn from_value(value: &Value) -> Self {
        Self::from_text(value.to_string())
    }

    /// Wraps text known to be JSON; anything else becomes `null`.
    #[doc(hidden)]
    pub fn from_text(text: String) -> Self {
        Self(RawValue::from_string(text).unwrap_or_else(|_| null()))
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is valid json")
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.get())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Self)
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A value kept as raw JSON at parse time and typed on access.
///
/// Used for sub-objects that many handlers never read (pricing and conversation details of
/// WhatsApp statuses), so parsing a webhook stays close to the cost of reading the bytes.
///
/// ```
/// use meta_messaging_model::graph::Lazy;
/// use meta_messaging_model::whatsapp::webhook::{Pricing, PricingType};
///
/// let lazy: Lazy<Pricing> = serde_json::from_str(r#"{"type":"regular","billable":true}"#)?;
/// assert_eq!(lazy.get().unwrap().kind, Some(PricingType::Regular));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Lazy<T> {
    raw: RawJson,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Lazy<T> {
    /// Decodes the value; `None` when it does not have `T`'s shape (see [`raw`](Self::raw)).
    pub fn get(&self) -> Option<T> {
        self.raw.parse().ok()
    }

    /// Decodes the value, with the error when it does not have `T`'s shape.
    ///
    /// # Errors
    ///
    /// When the JSON does not have the shape of `T`.
    pub fn try_get(&self) -> serde_json::Result<T> {
        self.raw.parse()
    }
}

impl<T> Lazy<T> {
    pub(crate) fn from_raw(raw: RawJson) -> Self {
        Self { raw, _type: std::marker::PhantomData }
    }

    /// The JSON as sent.
    pub fn raw(&self) -> &RawJson {
        &self.raw
    }
}

impl<T> Clone for Lazy<T> {
    fn clone(&self) -> Self {
        Self { raw: self.raw.clone(), _type: std::marker::PhantomData }
    }
}

impl<T> PartialEq for Lazy<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<T> Eq for Lazy<T> {}

impl<T> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lazy({})", self.raw.get())
    }
}

impl<'de, T> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RawJson::deserialize(d).map(|raw| Self { raw, _type: std::marker::PhantomData })
    }
}

impl<T> Serialize for Lazy<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}
