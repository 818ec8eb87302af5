//! WhatsApp Flows business private keys in the vault, with one previous key kept for a rotation.

use zeroize::Zeroizing;

use super::{Channel, SecretKind, StoreError, TokenKey, TokenRecord, TokenStore};

fn slot(tenant: &str, phone_number_id: &str, previous: bool) -> TokenKey {
    let asset = if previous { format!("{phone_number_id}#previous") } else { phone_number_id.to_owned() };
    TokenKey::new(tenant, Channel::WhatsApp, asset, SecretKind::FlowPrivateKey)
}

/// Seals `pem` as the current Flows private key of `phone_number_id`, keeping the key it
/// replaces as the previous one (a rotation: clients that still hold the old public key keep
/// working until they fetch the new one). The key before that is deleted.
///
/// # Errors
///
/// [`StoreError`] when the vault fails.
pub async fn store_flow_key(
    vault: &dyn TokenStore,
    tenant: &str,
    phone_number_id: &str,
    pem: &str,
) -> Result<(), StoreError> {
    let current = slot(tenant, phone_number_id, false);
    let previous = slot(tenant, phone_number_id, true);
    match vault.get(&current).await? {
        Some(old) if old.secret.expose_secret() != pem => {
            vault.put(TokenRecord::new(previous, old.secret.expose_secret())).await?;
        }
        _ => {}
    }
    vault.put(TokenRecord::new(current, pem)).await
}

/// The Flows private keys of `phone_number_id` as PEMs, the current one first and the previous
/// one (if any) after it: what
#[cfg_attr(
    feature = "flows",
    doc = "[`FlowEndpoint::from_pems`](crate::whatsapp::flows::FlowEndpoint::from_pems)"
)]
#[cfg_attr(not(feature = "flows"), doc = "`FlowEndpoint::from_pems` (feature `flows`)")]
/// takes. Empty when none is stored.
///
/// # Errors
///
/// [`StoreError`] when the vault fails or a record does not open.
pub async fn flow_keys(
    vault: &dyn TokenStore,
    tenant: &str,
    phone_number_id: &str,
) -> Result<Vec<Zeroizing<String>>, StoreError> {
    let mut pems = Vec::with_capacity(2);
    for previous in [false, true] {
        if let Some(record) = vault.get(&slot(tenant, phone_number_id, previous)).await? {
            pems.push(Zeroizing::new(record.secret.expose_secret().to_owned()));
        }
    }
    Ok(pems)
}
