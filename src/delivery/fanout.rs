//! Relaying to several customers: one queue per destination, secrets sealed in the vault.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::{DestinationPolicy, Handler, HandlerError, HttpRelay, Item, NewItem, Queue};
use crate::store::StoreError;
use crate::token::{Channel, SecretKind, TokenKey, TokenRecord, TokenStore};
use crate::webhook::relay::SigningSecret;

/// The queue a destination's deliveries wait in: `relay:<destination id>`.
pub fn relay_queue(destination: &str) -> String {
    format!("relay:{destination}")
}

/// Where a destination's signing secret is sealed: tenant `tenant`, channel `other`, asset the
/// destination id, kind `signing_secret`.
pub fn signing_secret_key(tenant: &str, destination: &str) -> TokenKey {
    TokenKey::new(tenant, Channel::Other, destination, SecretKind::SigningSecret)
}

/// Seals a destination's signing secret in `vault` (the delivery queue never holds it).
///
/// # Errors
///
/// [`StoreError`] when the vault fails.
pub async fn store_signing_secret(
    vault: &dyn TokenStore,
    tenant: &str,
    destination: &str,
    secret: &SigningSecret,
) -> Result<(), StoreError> {
    vault.put(TokenRecord::new(signing_secret_key(tenant, destination), secret.expose_whsec().as_str())).await
}

impl HttpRelay {
    /// A relay to `url` signing with the secret sealed for `destination` of `tenant` (see
    /// [`store_signing_secret`]), under the default [`DestinationPolicy`].
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the vault fails, holds no valid secret for the destination, or the
    /// policy refuses `url`.
    pub async fn from_vault(
        vault: &dyn TokenStore,
        tenant: &str,
        destination: &str,
        url: &str,
    ) -> Result<Self, StoreError> {
        Self::from_vault_with_policy(vault, tenant, destination, url, DestinationPolicy::default()).await
    }

    /// [`from_vault`](Self::from_vault) under `policy`.
    ///
    /// # Errors
    ///
    /// As [`from_vault`](Self::from_vault).
    pub async fn from_vault_with_policy(
        vault: &dyn TokenStore,
        tenant: &str,
        destination: &str,
        url: &str,
        policy: DestinationPolicy,
    ) -> Result<Self, StoreError> {
        let record = vault.get(&signing_secret_key(tenant, destination)).await?.ok_or_else(|| {
            StoreError::backend_message(format!("no signing secret sealed for destination {destination}"))
        })?;
        let secret = SigningSecret::parse(record.secret.expose_secret()).map_err(|_| {
            StoreError::backend_message(format!("the sealed secret of {destination} is not a whsec secret"))
        })?;
        Self::with_policy(url, &secret, policy).map_err(|e| StoreError::backend_message(e.to_string()))
    }
}

/// The one conversation of a strictly ordered destination's relay queue
/// ([`Fanout::strict_order`]).
pub const STRICT_CONVERSATION: &str = "strict-order";

/// A [`Handler`] for the inbox that copies each item to every destination's
/// [`relay_queue`], where a [`Worker`](super::Worker) with that destination's [`HttpRelay`]
/// delivers it. Each copy keeps the item's key and conversation, so a retried fan-out stores
/// nothing twice and every destination sees one conversation in order; one destination's outage
/// never delays the others.
#[derive(Clone)]
pub struct Fanout {
    queue: Arc<dyn Queue>,
    destinations: Vec<(String, bool)>,
}

impl fmt::Debug for Fanout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fanout").field("destinations", &self.destinations).finish_non_exhaustive()
    }
}

impl Fanout {
    /// Copies items into the relay queues of `destinations` (ids) in `queue`.
    pub fn new(queue: Arc<dyn Queue>, destinations: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self { queue, destinations: destinations.into_iter().map(|d| (d.into(), false)).collect() }
    }

    /// Delivers to `destination` in strict order (added if it is not one of the destinations
    /// yet): its copies share one conversation ([`STRICT_CONVERSATION`]), so one item is in flight
    /// at a time, in the order the inbox handled them, and an item being retried holds back every
    /// item after it (Svix's FIFO endpoints). The other destinations keep the default: one item
    /// in flight per conversation, conversations in parallel. Only for a customer that needs it:
    /// one failing event stops the destination's whole stream until it is delivered or dead.
    #[must_use]
    pub fn strict_order(mut self, destination: impl Into<String>) -> Self {
        let destination = destination.into();
        match self.destinations.iter_mut().find(|(id, _)| *id == destination) {
            Some((_, strict)) => *strict = true,
            None => self.destinations.push((destination, true)),
        }
        self
    }
}

#[async_trait]
impl Handler for Fanout {
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        for (destination, strict) in &self.destinations {
            let conversation = if *strict { STRICT_CONVERSATION } else { item.conversation.as_str() };
            let copy = [NewItem {
                key: item.key.clone(),
                conversation: conversation.to_owned(),
                payload: item.payload.clone(),
                tenant: item.tenant.clone(),
            }];
            self.queue
                .enqueue(&relay_queue(destination), &copy)
                .await
                .map_err(|e| HandlerError::retry(format!("fan-out to {destination}: {e}")))?;
        }
        Ok(())
    }
}
