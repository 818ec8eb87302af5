//! Arbitrary bytes as a stored record: the vault never panics, and only a record it sealed
//! opens.
#![no_main]

use futures_util::FutureExt;
use libfuzzer_sys::fuzz_target;
use meta_messaging::token::{BlobStore, Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, StoredBlob, TokenKey, TokenRecord, TokenStore};

fuzz_target!(|bytes: &[u8]| {
    let blobs = InMemoryBlobStore::default();
    let store = EncryptedTokenStore::new(blobs.clone(), Keyring::new(1, DataKey::from_bytes(&[7u8; 32]).unwrap()));
    let key = TokenKey::new("fuzz", Channel::WhatsApp, "1", SecretKind::AccessToken);
    blobs.put(&key, StoredBlob::new(bytes.to_vec(), 1, None)).now_or_never().unwrap().unwrap();
    assert!(store.get(&key).now_or_never().unwrap().is_err(), "random bytes never open");
    let secret = String::from_utf8_lossy(bytes).into_owned();
    store.put(TokenRecord::new(key.clone(), secret.as_str())).now_or_never().unwrap().unwrap();
    let record = store.get(&key).now_or_never().unwrap().unwrap().unwrap();
    assert_eq!(record.secret.expose_secret(), secret);
});
