//! Serde adapters shared by every model: open string enums, ID newtypes, and values Meta sends
//! as a JSON string or a JSON number.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Declares an open string enum: known values as unit variants, anything else kept verbatim in
/// `Unknown(String)`, so an unknown value deserializes without error and serializes back
/// unchanged.
#[doc(hidden)]
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        ///
        /// Unknown values are kept in `Unknown` for reading; they are not meant for sending.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The value as Meta spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )+
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $( $value => Self::$variant, )+
                    _ => Self::Unknown(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                match value {
                    $name::Unknown(other) => other,
                    known => known.as_str().to_owned(),
                }
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::graph::serde_util::OpenEnumVisitor::<Self>::new())
            }
        }
    };
}
#[doc(hidden)]
pub use crate::string_enum;

/// Declares an ID newtype over `String` that deserializes from a JSON string or integer.
#[doc(hidden)]
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Deserializes from a JSON string or a JSON integer (never through a float), and
        /// serializes as a string.
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps an ID.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The ID as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The ID as an owned `String`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                Self(id.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::graph::serde_util::string_or_integer(deserializer).map(Self)
            }
        }
    };
}
#[doc(hidden)]
pub use crate::id_type;

/// Visitor behind [`string_enum!`]: borrows known values, copies only unknown ones.
#[doc(hidden)]
#[derive(Debug)]
#[doc(hidden)]
pub struct OpenEnumVisitor<T>(std::marker::PhantomData<fn() -> T>);

impl<T> OpenEnumVisitor<T> {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T> Visitor<'_> for OpenEnumVisitor<T>
where
    T: for<'a> From<&'a str> + From<String>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::from(v))
    }
}

struct StringOrInteger;

impl Visitor<'_> for StringOrInteger {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Deserializes a JSON string or integer into a `String`; floats are refused, so a large ID
/// never loses digits.
#[doc(hidden)]
pub fn string_or_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(StringOrInteger)
}

/// Like [`string_or_integer`], for an optional field that may also be `null`. An empty (or
/// blank) string is absent: Meta writes withheld ids (a username user's phone number) as `""`.
#[doc(hidden)]
pub fn opt_string_or_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, an integer or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            string_or_integer(d).map(|text| (!text.trim().is_empty()).then_some(text))
        }
    }
    deserializer.deserialize_option(Opt)
}

struct IntegerOrString;

impl Visitor<'_> for IntegerOrString {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a string of digits")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // Meta sends a few counters as floats (`1.0`); accept exact whole numbers only.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(v as i64)
        } else {
            Err(E::custom("expected a whole number"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.trim().parse().map_err(|_| E::custom("expected a string of digits"))
    }
}

/// Deserializes an integer sent either as a JSON number or as a string of digits.
#[doc(hidden)]
pub fn integer_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(IntegerOrString)
}

/// Like [`integer_or_string`], for an optional field that may also be `null`.
#[doc(hidden)]
pub fn opt_integer_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, a string of digits or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            integer_or_string(d).map(Some)
        }
    }
    deserializer.deserialize_option(Opt)
}

/// Deserializes `null` (or a present value) into `T`, with `null` giving `T::default()`; use
/// with `#[serde(default)]` so an absent field does too.
#[doc(hidden)]
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Like [`null_as_default`] for a list of large elements (messages, statuses, changes): `null`
/// gives an empty list, and the list first reserves only as many elements as fit in 1000 bytes
/// (at most four), then grows by exact doubling, so the common short list is one small
/// allocation. (A `Vec` growing from empty reserves four elements at once; for elements of 300
/// bytes and more that is a request from glibc's large bins, which costs the allocator a
/// consolidation pass on every webhook.)
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Items<T>(std::marker::PhantomData<fn() -> T>);
    impl<'de, T: serde::Deserialize<'de>> Visitor<'de> for Items<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while seq.next_element_seed(PushInto(&mut items))?.is_some() {}
            Ok(items)
        }
    }
    deserializer.deserialize_option(Items(std::marker::PhantomData))
}

/// Deserializes one element straight into the list (no `Option<T>` between the element's
/// visitor and the list, so a large element is copied once), growing it as [`null_as_empty`]
/// says.
struct PushInto<'v, T>(&'v mut Vec<T>);

impl<'de, T: serde::Deserialize<'de>> de::DeserializeSeed<'de> for PushInto<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let item = T::deserialize(deserializer)?;
        if self.0.len() == self.0.capacity() {
            // First as many as fit below glibc's large-bin threshold (1 KiB), at most four;
            // then double.
            let first = (1000 / std::mem::size_of::<T>().max(1)).clamp(1, 4);
            self.0.reserve_exact(if self.0.is_empty() { first } else { self.0.len() });
        }
        self.0.push(item);
        Ok(())
    }
}

/// A number sent as a JSON number or as a numeric string (latitudes, prices).
#[doc(hidden)]
pub fn opt_f64_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, a numeric string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        #[allow(clippy::cast_precision_loss)]
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        #[allow(clippy::cast_precision_loss)]
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.trim().parse().map(Some).map_err(|_| E::custom("expected a number"))
        }
    }
    deserializer.deserialize_option(V)
}

/// `true` if the JSON value at `key` of an object is `true`.
pub(crate) fn flag(value: &serde_json::Value, key: &str) -> bool {
    value.get(key).and_then(serde_json::Value::as_bool).unwrap_or(false)
}

/// A string or integer at `key` of an object, as text.
pub(crate) fn text_at(value: &serde_json::Value, key: &str) -> Option<String> {
    match value.get(key)? {
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// A flag sent as a JSON boolean, as `0`/`1`, or as a string of either (`"true"`, `"1"`).
pub(crate) fn opt_bool_lenient<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    struct Flag(bool);
    struct V;
    impl Visitor<'_> for V {
        type Value = Flag;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, 0 or 1")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
            Ok(Flag(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flag, E> {
            Ok(Flag(v != 0))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flag, E> {
            Ok(Flag(v != 0))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
            match v.trim() {
                "true" | "1" => Ok(Flag(true)),
                "false" | "0" => Ok(Flag(false)),
                _ => Err(E::custom("expected a boolean")),
            }
        }
    }
    impl<'de> serde::Deserialize<'de> for Flag {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(V)
        }
    }
    // `Option` reads `null` (and a missing field, with `#[serde(default)]`) as `None`.
    Ok(Option::<Flag>::deserialize(deserializer)?.map(|flag| flag.0))
}

#[cfg(test)]
#[allow(unreachable_pub, dead_code)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Items {
        #[serde(deserialize_with = "super::null_as_empty")]
        items: Vec<u32>,
    }

    #[test]
    fn null_as_empty_reads_lists_of_any_length_null_and_absence() {
        for n in [0_u32, 1, 2, 3, 5, 17] {
            let list: Vec<u32> = (0..n).collect();
            let json = format!(r#"{{"items":{}}}"#, serde_json::to_string(&list).unwrap());
            let parsed: Items = serde_json::from_str(&json).unwrap();
            assert_eq!(parsed.items, list);
            // Four small elements at first, then exact doubling: never more than twice what is
            // needed beyond the first four.
            assert!(parsed.items.capacity() <= 2 * list.len().max(2), "{n}: {}", parsed.items.capacity());
        }
        assert!(serde_json::from_str::<Items>(r#"{"items":null}"#).unwrap().items.is_empty());
        assert!(serde_json::from_str::<Items>("{}").unwrap().items.is_empty());
        assert!(serde_json::from_str::<Items>(r#"{"items":{}}"#).is_err());
        assert!(serde_json::from_str::<Items>(r#"{"items":[1,"x"]}"#).is_err());
    }

    string_enum! {
        /// Test enum.
                pub(crate) enum Colour {
            /// Red.
            Red = "red",
            /// Blue.
            Blue = "BLUE",
        }
    }

    id_type! {
        /// Test id.
        TestId
    }

    #[test]
    fn open_enum_round_trips_unknown_values() {
        let parsed: Vec<Colour> = serde_json::from_str(r#"["red","BLUE","green","\u0042LUE"]"#).unwrap();
        assert_eq!(parsed, [Colour::Red, Colour::Blue, Colour::Unknown("green".into()), Colour::Blue]);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), r#"["red","BLUE","green","BLUE"]"#);
        assert_eq!("green".parse::<Colour>().unwrap().to_string(), "green");
        assert!(serde_json::from_str::<Colour>("3").is_err());
    }

    #[test]
    fn ids_accept_strings_and_integers_but_not_floats() {
        let ids: Vec<TestId> = serde_json::from_str(r#"["12", 34, 18446744073709551615, -5]"#).unwrap();
        let texts: Vec<&str> = ids.iter().map(TestId::as_str).collect();
        assert_eq!(texts, ["12", "34", "18446744073709551615", "-5"]);
        assert!(serde_json::from_str::<TestId>("1.5").is_err());
        assert!(serde_json::from_str::<TestId>("1e400").is_err());
        assert_eq!(serde_json::to_string(&TestId::new("7")).unwrap(), r#""7""#);
    }

    #[test]
    fn integers_accept_strings() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "super::integer_or_string")]
            a: i64,
            #[serde(default, deserialize_with = "super::opt_integer_or_string")]
            b: Option<i64>,
            #[serde(default, deserialize_with = "super::opt_string_or_integer")]
            c: Option<String>,
        }
        let t: T = serde_json::from_str(r#"{"a":"1763800000","b":null,"c":5}"#).unwrap();
        assert_eq!((t.a, t.b, t.c.as_deref()), (1_763_800_000, None, Some("5")));
        let t: T = serde_json::from_str(r#"{"a":2.0,"b":"7"}"#).unwrap();
        assert_eq!((t.a, t.b, t.c), (2, Some(7), None));
        assert!(serde_json::from_str::<T>(r#"{"a":"x"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a":1.5}"#).is_err());
    }
}
