//! Messenger's ids and the models of what a Page's webhook receives (shared with Instagram).
//!
//! The `meta-messaging` crate re-exports these under `meta_messaging::messenger`, beside the
//! Messenger handle that sends.

pub mod webhook;

use crate::graph::serde_util::id_type;

id_type! {
    /// A Facebook Page id: the sender of Messenger messages (`/{page-id}/messages`).
    PageId
}

id_type! {
    /// A page-scoped user id (PSID): how a Page sees a Messenger user.
    Psid
}

id_type! {
    /// A Messenger or Instagram message id (`m_…`, the `mid` of webhooks and sends).
    Mid
}

id_type! {
    /// A Facebook or Instagram comment id, for private replies and moderation.
    CommentId
}

id_type! {
    /// A persona id.
    PersonaId
}
