//! What the directory learns from: webhooks (contacts, messages, statuses, number and id
//! changes) and send answers.

use super::{IdentityDirectory, UserIdentity};
use crate::store::StoreError;
use crate::webhook::Webhook;
use crate::whatsapp::webhook::{InboundContent, WhatsAppChangeValue, WhatsAppEntry};

/// A user of these names, any of which may be absent.
fn from_parts(
    phone: Option<&str>,
    user_id: Option<&str>,
    parent: Option<&str>,
    username: Option<&str>,
) -> UserIdentity {
    let mut identity = UserIdentity::new();
    if let Some(phone) = phone {
        identity = identity.phone(phone);
    }
    if let Some(user_id) = user_id {
        identity = identity.user_id(user_id);
    }
    if let Some(parent) = parent {
        identity = identity.parent_user_id(parent);
    }
    if let Some(username) = username {
        identity = identity.username(username);
    }
    identity
}

/// Every (scope, identity) a WhatsApp entry tells.
fn identities_of(entry: &WhatsAppEntry, out: &mut Vec<(String, UserIdentity)>) {
    for change in &entry.changes {
        match &change.value {
            WhatsAppChangeValue::Messages(value) => {
                let Some(scope) = value.phone_number_id().map(|id| id.as_str().to_owned()) else { continue };
                for contact in &value.contacts {
                    let username = contact.profile.as_ref().and_then(|p| p.username.as_deref());
                    let identity = from_parts(
                        contact.wa_id.as_deref(),
                        contact.user_id.as_deref(),
                        contact.parent_user_id.as_deref(),
                        username,
                    );
                    out.push((scope.clone(), identity));
                }
                for message in &value.messages {
                    out.push((
                        scope.clone(),
                        from_parts(
                            message.from.as_deref(),
                            message.from_user_id.as_deref(),
                            message.from_parent_user_id.as_deref(),
                            None,
                        ),
                    ));
                    // A number or id change: the new values belong to one user.
                    if let InboundContent::System(system) = &message.content {
                        let phone = system.wa_id.as_deref().or(system.new_wa_id.as_deref());
                        out.push((
                            scope.clone(),
                            from_parts(
                                phone,
                                system.user_id.as_deref(),
                                system.parent_user_id.as_deref(),
                                None,
                            ),
                        ));
                    }
                }
                for status in &value.statuses {
                    // In a group, the participant (the group id names no user).
                    out.push((scope.clone(), status.user()));
                }
            }
            WhatsAppChangeValue::UserId(update) => {
                let Some(scope) = update.metadata.as_ref().and_then(|m| m.phone_number_id.as_ref()) else {
                    continue;
                };
                for change in &update.user_id_update {
                    let current = |id: &Option<crate::whatsapp::webhook::IdChange>| {
                        id.as_ref().and_then(|id| id.current.clone())
                    };
                    out.push((
                        scope.as_str().to_owned(),
                        from_parts(
                            change.wa_id.as_deref(),
                            current(&change.user_id).as_deref(),
                            current(&change.parent_user_id).as_deref(),
                            None,
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}

impl IdentityDirectory {
    /// Learns from a verified webhook: every contact, message sender, status recipient, number
    /// change and BSUID change that names a BSUID. Returns how many identities it remembered.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn learn(&self, webhook: &Webhook) -> Result<usize, StoreError> {
        let Webhook::WhatsApp(payload) = webhook else { return Ok(0) };
        let mut found = Vec::new();
        for entry in &payload.entries {
            identities_of(entry, &mut found);
        }
        let mut remembered = 0;
        for (scope, identity) in &found {
            if identity.user_id.is_some() {
                self.remember(scope, identity).await?;
                remembered += 1;
            }
        }
        Ok(remembered)
    }

    /// Learns from a send's answer: Meta names the recipient's phone (`wa_id`) and BSUID
    /// (`user_id`) when it knows both. `scope` is the phone number id the message was sent from.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn learn_sent(
        &self,
        scope: &str,
        answer: &crate::whatsapp::SendResponse,
    ) -> Result<usize, StoreError> {
        let mut remembered = 0;
        for contact in &answer.contacts {
            let identity = from_parts(contact.wa_id.as_deref(), contact.user_id.as_deref(), None, None);
            if identity.user_id.is_some() {
                self.remember(scope, &identity).await?;
                remembered += 1;
            }
        }
        Ok(remembered)
    }
}
