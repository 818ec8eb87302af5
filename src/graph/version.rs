//! The Graph API version, a path segment of every call.

use std::fmt;
use std::str::FromStr;

/// A Graph API version such as `v25.0`.
///
/// Meta versions the Graph API by a path segment; each version lives about two years. The client
/// pins [`ApiVersion::DEFAULT`] so that an upgrade of Meta's default never changes the payloads
/// your code sees; move to a newer version deliberately with
/// [`ClientBuilder::api_version`](crate::ClientBuilder::api_version).
///
/// ```
/// use meta_messaging::graph::ApiVersion;
///
/// let v: ApiVersion = "v24.0".parse()?;
/// assert_eq!(v, ApiVersion::new(24, 0));
/// assert_eq!(v.to_string(), "v24.0");
/// assert_eq!(ApiVersion::DEFAULT.to_string(), "v26.0");
/// # Ok::<(), meta_messaging::graph::InvalidApiVersion>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    major: u16,
    minor: u16,
}

impl ApiVersion {
    /// `v26.0`, the newest version, the default: its changes leave the messaging surface the
    /// crate models as it was in v25.0 (sends, media, templates, webhooks).
    pub const V26_0: Self = Self::new(26, 0);
    /// `v25.0`.
    pub const V25_0: Self = Self::new(25, 0);
    /// `v24.0`.
    pub const V24_0: Self = Self::new(24, 0);
    /// The version the client uses unless told otherwise: [`ApiVersion::V26_0`].
    pub const DEFAULT: Self = Self::V26_0;

    /// A version from its numbers: `ApiVersion::new(25, 0)` is `v25.0`.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// The major number (`25` in `v25.0`).
    pub const fn major(self) -> u16 {
        self.major
    }

    /// The minor number (`0` in `v25.0`).
    pub const fn minor(self) -> u16 {
        self.minor
    }
}

impl Default for ApiVersion {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

/// The error of parsing an [`ApiVersion`] from text other than `v<major>.<minor>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidApiVersion(());

impl fmt::Display for InvalidApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid graph api version: expected the form v25.0")
    }
}

impl std::error::Error for InvalidApiVersion {}

impl FromStr for ApiVersion {
    type Err = InvalidApiVersion;

    /// Parses `v25.0`, `V25.0` or `25.0`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix('v').or_else(|| s.strip_prefix('V')).unwrap_or(s);
        let (major, minor) = digits.split_once('.').ok_or(InvalidApiVersion(()))?;
        let number = |part: &str| -> Result<u16, InvalidApiVersion> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidApiVersion(()));
            }
            part.parse().map_err(|_| InvalidApiVersion(()))
        };
        Ok(Self::new(number(major)?, number(minor)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!("v25.0".parse(), Ok(ApiVersion::V25_0));
        assert_eq!("23.1".parse(), Ok(ApiVersion::new(23, 1)));
        assert_eq!(ApiVersion::new(19, 0).to_string(), "v19.0");
        for bad in ["", "v", "v25", "v25.", "v.0", "v+1.0", "v25.0.1", "x25.0", "v99999.0"] {
            assert!(bad.parse::<ApiVersion>().is_err(), "{bad} must not parse");
        }
    }

    #[test]
    fn orders_by_number() {
        assert!(ApiVersion::new(24, 0) < ApiVersion::V25_0);
        assert!(ApiVersion::new(25, 1) > ApiVersion::V25_0);
    }
}
