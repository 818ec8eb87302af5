//! AES-256-GCM for the vault, on *ring* (the same library the default TLS stack already builds).

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

use super::StoreError;

/// The length of a GCM nonce (96 bits).
pub(crate) const NONCE_LEN: usize = 12;
/// The length of a GCM tag (128 bits).
pub(crate) const TAG_LEN: usize = 16;

/// An AES-256-GCM key, expanded once. Nonces are the caller's duty: the vault draws each one at
/// random and bounds the seals per key ([`super::MAX_SEALS_PER_KEY`]).
pub(crate) struct Cipher(LessSafeKey);

impl Cipher {
    /// Expands a 256-bit key.
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        // A 32-byte key is exactly what AES-256-GCM takes: ring refuses only other lengths.
        let key = UnboundKey::new(&AES_256_GCM, key).unwrap_or_else(|_| unreachable!("32-byte key"));
        Self(LessSafeKey::new(key))
    }

    /// Encrypts `in_out` in place and returns the tag.
    pub(crate) fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], StoreError> {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), in_out)
            .map_err(|_| StoreError::format("the record is too large to seal"))?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts `in_out` in place after checking `tag`; any mismatch is the same opaque error.
    pub(crate) fn open(
        &self,
        nonce: &[u8],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8],
    ) -> Result<(), StoreError> {
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| StoreError::decrypt())?;
        let tag = Tag::try_from(tag).map_err(|_| StoreError::decrypt())?;
        self.0
            .open_in_place_separate_tag(nonce, Aad::from(aad), tag, in_out, 0..)
            .map(drop)
            .map_err(|_| StoreError::decrypt())
    }
}
