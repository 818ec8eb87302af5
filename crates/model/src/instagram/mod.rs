//! Instagram's ids and the models of what an Instagram account's webhook receives.
//!
//! The `meta-messaging` crate re-exports these under `meta_messaging::instagram`, beside the
//! Instagram handle that sends.

pub mod webhook;

use crate::graph::serde_util::id_type;

id_type! {
    /// An Instagram professional account id (or, with Facebook Login, the linked Page id).
    InstagramAccountId
}

id_type! {
    /// An Instagram-scoped user id (IGSID): how an account sees an Instagram user.
    Igsid
}

id_type! {
    /// An Instagram media id (a post, reel or story).
    InstagramMediaId
}
