//! Coexistence: a number used in the WhatsApp Business app and the Cloud API at once, per Meta's
//! "Onboarding WhatsApp Business app users" page. After onboarding, the business's contacts and
//! chat history are requested once each, within 24 hours (`POST /{phone-number-id}/smb_app_data`),
//! and arrive as the `smb_app_state_sync` and `history` webhooks
//! ([`AppStateSync`](super::webhook::AppStateSync), [`HistoryUpdate`](super::webhook::HistoryUpdate));
//! what the business then sends from the app arrives as echoes
//! ([`MessageEchoes`](super::webhook::MessageEchoes)), which a
//! [`Handoff`](crate::pacing::Handoff) reads to pause a bot.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{WhatsApp, request};
use crate::graph::GraphRequest;
use crate::graph::serde_util::string_enum;

string_enum! {
    /// What [`WhatsApp::request_app_sync`] asks the app to share.
    pub enum AppSync {
        /// The contact book (`smb_app_state_sync` webhooks, then one per later change).
        Contacts = "smb_app_state_sync",
        /// Up to 180 days of chat history (`history` webhooks, in phases and chunks; error
        /// `2593109` when the business declined to share it).
        History = "history",
    }
}

/// Meta's answer to a sync request: accepted, nothing more (the data follows as webhooks).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SyncRequested {
    /// `whatsapp`.
    pub messaging_product: Option<String>,
    /// Keep it for Meta's support.
    pub request_id: Option<String>,
}

impl WhatsApp {
    /// Asks a coexistence number's WhatsApp Business app to share its contacts or its chat
    /// history (`POST /{phone-number-id}/smb_app_data`). Each kind can be requested once, within
    /// 24 hours of onboarding; subscribe the app to the `history`, `smb_app_state_sync` and
    /// `smb_message_echoes` fields first, or the webhooks are lost.
    pub fn request_app_sync(&self, sync: AppSync) -> GraphRequest<SyncRequested> {
        let mut spec = self.spec(Method::POST, Some("smb_app_data"));
        spec.set_json(&json!({ "messaging_product": "whatsapp", "sync_type": String::from(sync) }));
        request(&self.client, spec)
    }
}
