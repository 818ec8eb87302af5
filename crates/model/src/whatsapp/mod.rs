//! WhatsApp's ids and the models of what WhatsApp sends to a webhook.
//!
//! The `meta-messaging` crate re-exports these under `meta_messaging::whatsapp`, beside the
//! WhatsApp handle that sends.

pub mod calling;
pub mod flows;
pub mod groups;
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

id_type! {
    /// A message template id.
    TemplateId
}
