//! A Flow's id and lifecycle status, as Flows webhooks and the Flows API carry them.

use crate::graph::serde_util::{id_type, string_enum};

id_type! {
    /// A Flow id.
    FlowId
}

string_enum! {
    /// Where a Flow is in its lifecycle.
    pub enum FlowStatus {
        /// Editable, sendable only in draft mode.
        Draft = "DRAFT",
        /// Live; no longer editable.
        Published = "PUBLISHED",
        /// Retired: cannot be sent or opened.
        Deprecated = "DEPRECATED",
        /// Its endpoint failed health checks: cannot be sent.
        Blocked = "BLOCKED",
        /// Its endpoint is unhealthy: sends are limited.
        Throttled = "THROTTLED",
    }
}
