//! Small helpers with no better home.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
#[doc(hidden)]
pub fn hex_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex digit values, `0xFF` for bytes that are not hex digits.
const NIBBLES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i: u8 = 0;
    while i < 10 {
        table[(b'0' + i) as usize] = i;
        i += 1;
    }
    let mut i: u8 = 0;
    while i < 6 {
        table[(b'a' + i) as usize] = 10 + i;
        table[(b'A' + i) as usize] = 10 + i;
        i += 1;
    }
    table
};

/// Decodes exactly `N` bytes of hex (either case); `None` for any other length or a non-hex digit.
#[doc(hidden)]
pub fn hex_decode_array<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (hi, lo) = (NIBBLES[usize::from(pair[0])], NIBBLES[usize::from(pair[1])]);
        invalid |= (hi | lo) & 0xF0;
        *byte = (hi << 4) | (lo & 0x0F);
    }
    (invalid == 0).then_some(out)
}

/// Percent-encodes an id for use as one path segment (ids are digits in practice, but a
/// message id contains `/`, `+` and `=`). `None` for an empty id or a dot segment, which URL
/// parsing would resolve away.
#[doc(hidden)]
pub fn path_segment(id: &str) -> Option<std::borrow::Cow<'_, str>> {
    if id.is_empty() || id.bytes().all(|b| b == b'.') {
        return None;
    }
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if id.bytes().all(plain) {
        return Some(std::borrow::Cow::Borrowed(id));
    }
    let mut out = String::with_capacity(id.len() * 3);
    for b in id.bytes() {
        if plain(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)].to_ascii_uppercase()));
            out.push(char::from(HEX[usize::from(b & 0x0f)].to_ascii_uppercase()));
        }
    }
    Some(std::borrow::Cow::Owned(out))
}

/// A random `u64` for jitter and ids that need no cryptographic strength: std's randomly
/// seeded hash keys (stepped on every call) hashed, so no system call and no dependency.
#[doc(hidden)]
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::hash::RandomState::new().build_hasher().finish()
}

/// A random fraction in `[0, 1)`, from [`random_u64`].
#[doc(hidden)]
#[allow(clippy::cast_precision_loss)] // 53 bits: exactly an f64 mantissa
pub fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments() {
        assert_eq!(super::path_segment("106540352242922").unwrap(), "106540352242922");
        assert_eq!(super::path_segment("wamid.HB+g/L==").unwrap(), "wamid.HB%2Bg%2FL%3D%3D");
        assert_eq!(super::path_segment("../x").unwrap(), "..%2Fx");
        assert_eq!(super::path_segment("%2e%2e").unwrap(), "%252e%252e");
        for bad in ["", ".", ".."] {
            assert!(super::path_segment(bad).is_none());
        }
    }

    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes = [0x00, 0x7f, 0x80, 0xff, 0x12];
        assert_eq!(hex_encode(&bytes), "007f80ff12");
        assert_eq!(hex_decode_array::<5>(b"007F80ff12"), Some(bytes));
        assert_eq!(hex_decode_array::<5>(b"007f80ff1"), None);
        assert_eq!(hex_decode_array::<5>(b"007f80ff1g"), None);
    }

    #[test]
    fn random_values_differ_and_fractions_stay_below_one() {
        let values: std::collections::HashSet<u64> = (0..64).map(|_| super::random_u64()).collect();
        assert_eq!(values.len(), 64, "64 draws, 64 distinct values");
        assert!((0..1000).map(|_| super::random_unit()).all(|x| (0.0..1.0).contains(&x)));
    }
}
