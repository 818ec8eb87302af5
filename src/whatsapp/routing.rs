//! Conversation Routing: pass, take and release a user's thread
//! (`POST /{phone-number-id}/thread_control`), per Meta's Conversation Routing pages. Owners
//! learn of changes through the `messaging_handovers` webhook
//! ([`HandoverNotice`](super::webhook::HandoverNotice)); an app observing a thread it does not
//! own gets `standby` events ([`StandbyUpdate`](super::webhook::StandbyUpdate)) and must not
//! answer them. [`Handoff`](crate::pacing::Handoff) pauses a bot whose thread was taken.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::webhook::RoutingRole;
use super::{Recipient, WhatsApp, request};
use crate::graph::validate::max_chars;
use crate::graph::{GraphRequest, ValidationError, Violation};

/// The most characters of `metadata` a thread control carries to the next owner.
pub const THREAD_METADATA_MAX: usize = 2000;

/// Meta's answer to a thread control.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ThreadControlAccepted {
    /// `whatsapp`.
    pub messaging_product: Option<String>,
    /// The request's id.
    pub request_id: Option<String>,
}

impl WhatsApp {
    /// Passes `user`'s thread to `target` (the escalation partner when `None`), with
    /// `metadata` for the next owner (up to 2,000 characters, on its `control_passed`).
    pub fn pass_thread(
        &self,
        user: impl Into<Recipient>,
        target: Option<RoutingRole>,
        metadata: Option<&str>,
    ) -> GraphRequest<ThreadControlAccepted> {
        let mut body = json!({"action": "pass"});
        if let Some(role) = target {
            body["control_pass"] = json!({ "target_role": role.as_str() });
        }
        self.thread_control(&user.into(), body, metadata)
    }

    /// Takes `user`'s thread (the escalation partner only; the previous owner gets
    /// `control_taken`). Sending a service message while observing takes it too.
    pub fn take_thread(
        &self,
        user: impl Into<Recipient>,
        metadata: Option<&str>,
    ) -> GraphRequest<ThreadControlAccepted> {
        self.thread_control(&user.into(), json!({"action": "take"}), metadata)
    }

    /// Releases `user`'s thread: the user's next message is routed by its entry point. No
    /// notification is sent.
    pub fn release_thread(&self, user: impl Into<Recipient>) -> GraphRequest<ThreadControlAccepted> {
        self.thread_control(&user.into(), json!({"action": "release"}), None)
    }

    fn thread_control(
        &self,
        user: &Recipient,
        mut body: Value,
        metadata: Option<&str>,
    ) -> GraphRequest<ThreadControlAccepted> {
        body["messaging_product"] = "whatsapp".into();
        let checked = user.validate().and_then(|()| {
            match user {
                Recipient::Phone(phone) => body["to"] = phone.as_str().into(),
                Recipient::UserId(id) => body["recipient"] = id.as_str().into(),
                Recipient::Group(_) => {
                    return Err(ValidationError::new(
                        "to",
                        Violation::Invalid("a group has no thread".into()),
                    ));
                }
            }
            match metadata {
                Some(text) => {
                    body["metadata"] = text.into();
                    max_chars("metadata", text, THREAD_METADATA_MAX)
                }
                None => Ok(()),
            }
        });
        let mut spec = self.spec(Method::POST, Some("thread_control"));
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        }
        spec.set_json(&body);
        request(&self.client, spec)
    }
}
