//! Sealing bytes that are not token records (queued webhook events, delivery logs) under the
//! vault's keys, bound to a tenant: in envelope mode each tenant's own data key, so destroying
//! the key when the tenant is deleted leaves its queued events unreadable too, in the live store
//! and in every backup of it.

use std::fmt;

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::encrypted::{EncryptedTokenStore, Keys};
use super::sealed::{self, FORMAT_VERSION, FORMAT_VERSION_ENVELOPE};
use super::{BlobStore, Channel, SecretKind, StoreError, TokenKey};

/// Seals and opens opaque bytes for a tenant. The `context` (for queued items, the item's
/// dedupe key) is bound into the ciphertext with the tenant: sealed bytes moved to another
/// tenant or another item do not open.
///
/// [`EncryptedTokenStore`] implements it with its keys (the keyring, or in envelope mode the
/// tenant's data key); [`SealedQueue`](crate::delivery::SealedQueue) uses it.
#[async_trait]
pub trait PayloadSealer: Send + Sync + fmt::Debug {
    /// Seals `plaintext` for `tenant` and `context`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when no key can seal (the registry or KMS fails).
    async fn seal_payload(
        &self,
        tenant: &str,
        context: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError>;

    /// Opens what [`seal_payload`](Self::seal_payload) sealed for the same tenant and context.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::UnknownKey`](crate::store::StoreErrorKind::UnknownKey) when the key is
    /// gone (the tenant was deleted), [`StoreError`] for tampered bytes or a wrong tenant.
    async fn open_payload(
        &self,
        tenant: &str,
        context: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError>;
}

/// The identity a payload is bound to: its own kind, so a payload never opens as a record.
fn binding(tenant: &str, context: &str) -> TokenKey {
    TokenKey::new(tenant, Channel::Other, context, SecretKind::Unknown("queue_payload".to_owned()))
}

#[async_trait]
impl<B: BlobStore> PayloadSealer for EncryptedTokenStore<B> {
    async fn seal_payload(
        &self,
        tenant: &str,
        context: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let key = binding(tenant, context);
        match self.keys() {
            Keys::Ring(ring) => {
                let (key_id, cipher) = ring.sealer()?;
                let aad = sealed::aad(FORMAT_VERSION, key_id, &key)?;
                sealed::seal(&cipher, FORMAT_VERSION, key_id, &aad, plaintext)
            }
            Keys::Envelope(envelope) => {
                let tenant_key = envelope.for_seal(tenant).await?;
                let aad = sealed::aad(FORMAT_VERSION_ENVELOPE, tenant_key.version, &key)?;
                sealed::seal(&tenant_key.cipher, FORMAT_VERSION_ENVELOPE, tenant_key.version, &aad, plaintext)
            }
        }
    }

    async fn open_payload(
        &self,
        tenant: &str,
        context: &str,
        sealed_bytes: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let key = binding(tenant, context);
        let parts = sealed::split(sealed_bytes)?;
        let aad = sealed::aad(parts.version, parts.key_id, &key)?;
        match (self.keys(), parts.version) {
            (Keys::Ring(ring), FORMAT_VERSION) => {
                ring.with_opener(parts.key_id, |cipher| sealed::open(cipher, &parts, &aad))
            }
            (Keys::Envelope(envelope), FORMAT_VERSION_ENVELOPE) => {
                let tenant_key = envelope.for_open(tenant, parts.key_id).await?;
                sealed::open(&tenant_key.cipher, &parts, &aad)
            }
            _ => Err(StoreError::format("payload sealed in the other key mode")),
        }
    }
}
