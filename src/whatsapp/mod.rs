//! WhatsApp Business Cloud API.
//!
//! - [`webhook`]: typed models of WhatsApp webhooks (messages, statuses, account and template
//!   updates), produced by [`webhook::parse`](crate::webhook::parse).

pub mod webhook;

use crate::graph::serde_util::id_type;

id_type! {
    /// A business phone-number id: the sender of messages (`/{phone-number-id}/messages`).
    PhoneNumberId
}

id_type! {
    /// A WhatsApp Business Account id.
    WabaId
}

id_type! {
    /// A WhatsApp message id (`wamid.…`), as returned by a send and seen in webhooks.
    MessageId
}

id_type! {
    /// A media id, from an upload or an inbound media message.
    MediaId
}
