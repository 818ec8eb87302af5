//! Small helpers with no better home.

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
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
pub(crate) fn hex_decode_array<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let bytes = [0x00, 0x7f, 0x80, 0xff, 0x12];
        assert_eq!(hex_encode(&bytes), "007f80ff12");
        assert_eq!(hex_decode_array::<5>(b"007F80ff12"), Some(bytes));
        assert_eq!(hex_decode_array::<5>(b"007f80ff1"), None);
        assert_eq!(hex_decode_array::<5>(b"007f80ff1g"), None);
    }
}
