//! Keys: 256-bit data keys with ids, one primary, rotation in two steps.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use base64::Engine;
use zeroize::Zeroizing;

use super::StoreError;
use super::cipher::Cipher;

/// How many records one key may seal: 2^32, NIST's bound for AES-GCM with random 96-bit nonces.
/// The count is kept per process; rotate well before it.
pub const MAX_SEALS_PER_KEY: u64 = 1 << 32;

/// A 256-bit AES key. Never printed; zeroized on drop.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

/// The key bytes are held in [`Zeroizing`] and wiped when the key is dropped.
impl zeroize::ZeroizeOnDrop for DataKey {}

impl DataKey {
    /// A key from exactly 32 bytes.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let array: [u8; 32] =
            bytes.try_into().map_err(|_| StoreError::key("a data key must be exactly 32 bytes"))?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// A key from base64 (standard alphabet) of 32 bytes.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) for invalid base64 or a wrong length.
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| StoreError::key("a data key must be base64"))?,
        );
        Self::from_bytes(&bytes)
    }

    /// A new random key from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// If the operating system has no random source.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(key.as_mut()).expect("the operating system provides randomness");
        Self(key)
    }

    /// The key as base64, to store in a secret manager. Treat the result as a secret: it is
    /// wiped from memory when dropped.
    pub fn expose_base64(&self) -> Zeroizing<String> {
        use base64::Engine as _;
        let mut text = Zeroizing::new(String::with_capacity(44));
        base64::engine::general_purpose::STANDARD.encode_string(self.0.as_ref(), &mut text);
        text
    }

    pub(crate) fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn into_cipher(self) -> Cipher {
        Cipher::new(&self.0)
    }
}

/// The state of a key in a [`Keyring`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyState {
    /// Seals new records and opens old ones.
    Primary,
    /// Opens records only (before promotion, or after rotation until re-sealing is done).
    Enabled,
    /// Opens nothing; kept to re-enable.
    Disabled,
}

struct Entry {
    cipher: Arc<Cipher>,
    state: KeyState,
    seals: AtomicU64,
}

struct Inner {
    keys: BTreeMap<u32, Entry>,
    primary: u32,
}

/// The keys of the vault, looked up by the key id in each sealed record.
///
/// Rotation, safe while the store is in use and across many processes:
/// 1. [`add`](Self::add) the new key everywhere (it opens nothing yet, but every process can
///    now read what it will seal);
/// 2. [`promote`](Self::promote) it: it seals from now on, the old key still opens;
/// 3. [`EncryptedTokenStore::reseal_all`](super::EncryptedTokenStore::reseal_all) moves every
///    record to it;
/// 4. [`disable`](Self::disable) (later [`remove`](Self::remove)) the old key.
///
/// ```
/// use meta_messaging::token::{DataKey, KeyState, Keyring};
///
/// let keyring = Keyring::new(1, DataKey::generate());
/// keyring.add(2, DataKey::generate())?;
/// keyring.promote(2)?;
/// assert_eq!(keyring.primary_id(), 2);
/// assert_eq!(keyring.state(1), Some(KeyState::Enabled));
/// keyring.disable(1)?;
/// # Ok::<(), meta_messaging::store::StoreError>(())
/// ```
pub struct Keyring {
    inner: RwLock<Inner>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.read();
        let keys: Vec<(u32, KeyState)> = inner.keys.iter().map(|(id, e)| (*id, e.state)).collect();
        f.debug_struct("Keyring").field("primary", &inner.primary).field("keys", &keys).finish()
    }
}

impl Keyring {
    /// A keyring whose primary key is `key` under `key_id`.
    pub fn new(key_id: u32, key: DataKey) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(
            key_id,
            Entry { cipher: Arc::new(key.into_cipher()), state: KeyState::Primary, seals: AtomicU64::new(0) },
        );
        Self { inner: RwLock::new(Inner { keys, primary: key_id }) }
    }

    /// [`new`](Self::new) with a base64 key.
    ///
    /// # Errors
    ///
    /// As [`DataKey::from_base64`].
    pub fn from_base64(key_id: u32, key: &str) -> Result<Self, StoreError> {
        Ok(Self::new(key_id, DataKey::from_base64(key)?))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a decrypt-only key.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) if the id is taken.
    pub fn add(&self, key_id: u32, key: DataKey) -> Result<(), StoreError> {
        let mut inner = self.write();
        if inner.keys.contains_key(&key_id) {
            return Err(StoreError::key(format!("key id {key_id} is already in the keyring")));
        }
        inner.keys.insert(
            key_id,
            Entry { cipher: Arc::new(key.into_cipher()), state: KeyState::Enabled, seals: AtomicU64::new(0) },
        );
        Ok(())
    }

    /// Makes a key the primary; the previous primary becomes decrypt-only.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) for an unknown or disabled key.
    pub fn promote(&self, key_id: u32) -> Result<(), StoreError> {
        let mut inner = self.write();
        match inner.keys.get(&key_id).map(|e| e.state) {
            None => return Err(StoreError::key(format!("key id {key_id} is not in the keyring"))),
            Some(KeyState::Disabled) => return Err(StoreError::key(format!("key id {key_id} is disabled"))),
            Some(_) => {}
        }
        let old = inner.primary;
        if let Some(entry) = inner.keys.get_mut(&old) {
            entry.state = KeyState::Enabled;
        }
        if let Some(entry) = inner.keys.get_mut(&key_id) {
            entry.state = KeyState::Primary;
        }
        inner.primary = key_id;
        Ok(())
    }

    /// Disables a key: records sealed with it no longer open.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) for an unknown key or the primary.
    pub fn disable(&self, key_id: u32) -> Result<(), StoreError> {
        self.set_state(key_id, KeyState::Disabled)
    }

    /// Re-enables a disabled key for decryption.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) for an unknown key or the primary.
    pub fn enable(&self, key_id: u32) -> Result<(), StoreError> {
        self.set_state(key_id, KeyState::Enabled)
    }

    fn set_state(&self, key_id: u32, state: KeyState) -> Result<(), StoreError> {
        let mut inner = self.write();
        if inner.primary == key_id {
            return Err(StoreError::key("the primary key cannot change state; promote another first"));
        }
        let entry = inner
            .keys
            .get_mut(&key_id)
            .ok_or_else(|| StoreError::key(format!("key id {key_id} is not in the keyring")))?;
        entry.state = state;
        Ok(())
    }

    /// Removes a key for good.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Key`](crate::store::StoreErrorKind::Key) for an unknown key or the primary.
    pub fn remove(&self, key_id: u32) -> Result<(), StoreError> {
        let mut inner = self.write();
        if inner.primary == key_id {
            return Err(StoreError::key("the primary key cannot be removed; promote another first"));
        }
        inner
            .keys
            .remove(&key_id)
            .map(|_| ())
            .ok_or_else(|| StoreError::key(format!("key id {key_id} is not in the keyring")))
    }

    /// The primary key id.
    pub fn primary_id(&self) -> u32 {
        self.read().primary
    }

    /// A key's state.
    pub fn state(&self, key_id: u32) -> Option<KeyState> {
        self.read().keys.get(&key_id).map(|e| e.state)
    }

    /// Every key id with its state.
    pub fn keys(&self) -> Vec<(u32, KeyState)> {
        self.read().keys.iter().map(|(id, e)| (*id, e.state)).collect()
    }

    /// How many records this process sealed with a key.
    pub fn seal_count(&self, key_id: u32) -> Option<u64> {
        self.read().keys.get(&key_id).map(|e| e.seals.load(Ordering::Relaxed))
    }

    /// The primary key for one seal, counted against its limit.
    pub(crate) fn sealer(&self) -> Result<(u32, Arc<Cipher>), StoreError> {
        let inner = self.read();
        let entry = &inner.keys[&inner.primary];
        let previous = entry.seals.fetch_add(1, Ordering::Relaxed);
        if previous >= MAX_SEALS_PER_KEY {
            return Err(StoreError::exhausted(inner.primary));
        }
        Ok((inner.primary, Arc::clone(&entry.cipher)))
    }

    /// Runs `f` with the cipher of `key_id`, if it may open.
    pub(crate) fn with_opener<T>(
        &self,
        key_id: u32,
        f: impl FnOnce(&Cipher) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let inner = self.read();
        match inner.keys.get(&key_id) {
            Some(entry) if entry.state != KeyState::Disabled => f(&entry.cipher),
            _ => Err(StoreError::unknown_key(key_id)),
        }
    }

    #[cfg(test)]
    pub(crate) fn set_seal_count(&self, key_id: u32, count: u64) {
        if let Some(entry) = self.read().keys.get(&key_id) {
            entry.seals.store(count, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreErrorKind;

    /// The raw key bytes are wiped when dropped (the expanded AES schedule lives inside *ring*,
    /// which does not wipe it; SECURITY.md says so).
    #[test]
    fn data_keys_wipe_their_bytes_on_drop() {
        fn wipes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wipes_on_drop::<DataKey>();
        let key = DataKey::generate();
        let cipher = key.clone().into_cipher();
        let aad = b"aad";
        let mut buffer = *b"secret";
        let tag = cipher.seal(&[1; 12], aad, &mut buffer).unwrap();
        assert_ne!(&buffer, b"secret");
        cipher.open(&[1; 12], aad, &mut buffer, &tag).unwrap();
        assert_eq!(&buffer, b"secret");
        let other = DataKey::generate().into_cipher();
        assert!(other.open(&[1; 12], aad, &mut buffer.clone(), &tag).is_err(), "another key opens nothing");
    }

    #[test]
    fn a_key_stops_sealing_at_its_limit() {
        let ring = Keyring::new(1, DataKey::generate());
        ring.set_seal_count(1, MAX_SEALS_PER_KEY - 1);
        assert!(ring.sealer().is_ok(), "the last allowed seal");
        let Err(err) = ring.sealer() else { panic!("the key is exhausted") };
        assert_eq!(err.kind(), StoreErrorKind::KeyExhausted);
        // Rotating gives a fresh budget.
        ring.add(2, DataKey::generate()).unwrap();
        ring.promote(2).unwrap();
        assert_eq!(ring.sealer().unwrap().0, 2);
        assert_eq!(ring.seal_count(2), Some(1));
    }
}
