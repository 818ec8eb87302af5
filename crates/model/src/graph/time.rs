//! Unix timestamps as Meta sends them: seconds or milliseconds, as a JSON number or a string.

use std::fmt;
use std::num::NonZeroI64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, Visitor};

/// A point in time, stored as Unix milliseconds.
///
/// Meta mixes units: WhatsApp sends seconds as strings, Messenger and Instagram messaging send
/// milliseconds as numbers, Instagram `changes` entries send seconds. Deserialization accepts a
/// number or a string and tells the units apart by size: values below 10^11 are seconds (any
/// date before the year 5138), larger ones milliseconds (any date after March 1973).
///
/// ```
/// use meta_messaging_model::Timestamp;
///
/// let a: Timestamp = serde_json::from_str("\"1763800000\"")?;
/// let b: Timestamp = serde_json::from_str("1763800000000")?;
/// assert_eq!(a, b);
/// assert_eq!(a.unix_seconds(), 1_763_800_000);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp(NonZeroI64);

/// The stored form is the milliseconds with the sign bit flipped, never zero, so that
/// `Option<Timestamp>` takes 8 bytes (records and events carry several). `i64::MIN`
/// milliseconds, 292 million years BC, is stored as `i64::MIN + 1`.
const fn encode(millis: i64) -> NonZeroI64 {
    const ONE: NonZeroI64 = match NonZeroI64::new(1) {
        Some(one) => one,
        None => panic!("1 is not zero"),
    };
    match NonZeroI64::new(millis ^ i64::MIN) {
        Some(stored) => stored,
        None => ONE,
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.unix_millis().cmp(&other.unix_millis())
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Values below this are seconds, at or above it milliseconds.
const MILLIS_THRESHOLD: i64 = 100_000_000_000;

impl Timestamp {
    /// From Unix seconds.
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(encode(seconds.saturating_mul(1000)))
    }

    /// From Unix milliseconds.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(encode(millis))
    }

    /// From a number whose unit is told by its size (see the type's docs).
    pub const fn from_unix_auto(value: i64) -> Self {
        if value.unsigned_abs() < MILLIS_THRESHOLD.unsigned_abs() {
            Self::from_unix_seconds(value)
        } else {
            Self(encode(value))
        }
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// Unix seconds (rounded down).
    pub const fn unix_seconds(self) -> i64 {
        self.unix_millis().div_euclid(1000)
    }

    /// Unix milliseconds.
    pub const fn unix_millis(self) -> i64 {
        self.0.get() ^ i64::MIN
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let millis = self.unix_millis();
        let magnitude = Duration::from_millis(millis.unsigned_abs());
        if millis >= 0 { UNIX_EPOCH + magnitude } else { UNIX_EPOCH - magnitude }
    }

    /// This time plus `duration` (saturating).
    #[must_use]
    pub fn saturating_add(self, duration: Duration) -> Self {
        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        Self(encode(self.unix_millis().saturating_add(millis)))
    }

    /// How long after `earlier` this is; zero if it is not later.
    pub fn duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(
            u64::try_from(self.unix_millis().saturating_sub(earlier.unix_millis())).unwrap_or(0),
        )
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Self::from_unix_millis(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => {
                Self::from_unix_millis(-i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX))
            }
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({}ms)", self.unix_millis())
    }
}

impl serde::Serialize for Timestamp {
    /// Serializes as Unix milliseconds.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.unix_millis())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a unix timestamp as a number or a string of digits")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        Ok(Timestamp::from_unix_auto(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        i64::try_from(v).map(Timestamp::from_unix_auto).map_err(|_| E::custom("timestamp out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        if v.is_finite() && v.abs() < 9.0e15 {
            #[allow(clippy::cast_possible_truncation)]
            Ok(Timestamp::from_unix_auto(v.trunc() as i64))
        } else {
            Err(E::custom("timestamp out of range"))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        let v = v.trim();
        if let Ok(n) = v.parse::<i64>() {
            return Ok(Timestamp::from_unix_auto(n));
        }
        v.parse::<f64>().map_err(|_| E::custom("timestamp is not a number")).and_then(|f| self.visit_f64(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_told_apart() {
        let cases = [
            ("\"1750857384\"", 1_750_857_384_000),
            ("1750857384", 1_750_857_384_000),
            ("1458692752478", 1_458_692_752_478),
            ("\"1458692752478\"", 1_458_692_752_478),
            ("1739321024.0", 1_739_321_024_000),
            ("-5", -5000),
            ("0", 0),
        ];
        for (json, millis) in cases {
            let t: Timestamp = serde_json::from_str(json).unwrap();
            assert_eq!(t.unix_millis(), millis, "{json}");
        }
        for bad in ["\"soon\"", "1e300", "true", "18446744073709551615"] {
            assert!(serde_json::from_str::<Timestamp>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn conversions() {
        let t = Timestamp::from_unix_seconds(1);
        assert_eq!(t.to_system_time(), UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(Timestamp::from(UNIX_EPOCH + Duration::from_millis(1500)).unix_millis(), 1500);
        assert_eq!(t.saturating_add(Duration::from_secs(2)).unix_seconds(), 3);
        assert_eq!(Timestamp::from_unix_seconds(3).duration_since(t), Duration::from_secs(2));
        assert_eq!(t.duration_since(Timestamp::from_unix_seconds(3)), Duration::ZERO);
        assert_eq!(Timestamp::from_unix_millis(-1500).unix_seconds(), -2);
    }

    #[test]
    fn order_extremes_and_size() {
        let millis = [i64::MIN + 1, -1_000, -1, 0, 1, 1_763_800_000_000, i64::MAX];
        for pair in millis.windows(2) {
            let (a, b) = (Timestamp::from_unix_millis(pair[0]), Timestamp::from_unix_millis(pair[1]));
            assert!(a < b, "{a:?} < {b:?}");
            assert_eq!(a.unix_millis(), pair[0]);
        }
        // The one value the niche takes is clamped to its neighbour.
        assert_eq!(Timestamp::from_unix_millis(i64::MIN).unix_millis(), i64::MIN + 1);
        assert_eq!(Timestamp::from_unix_seconds(i64::MIN).unix_millis(), i64::MIN + 1);
        assert_eq!(Timestamp::from_unix_seconds(i64::MAX).unix_millis(), i64::MAX);
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 8);
    }
}
