//! Messenger calling events: the `calls` webhook field, whose events arrive in the Page entry's
//! `calls[]` (Meta's Messenger calling "Webhooks" page): `connect`, `call_status`
//! (business-initiated calls), `media_update` and `terminate`.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Timestamp;
use crate::graph::serde_util::{opt_integer_or_string, opt_string_or_integer};

/// One calling event of a Page.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PageCallEvent {
    /// The call id (`call_id` in `POST /{page-id}/calls`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// `connect`, `call_status`, `media_update` or `terminate`.
    pub event: Option<String>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// The caller (a PSID, or the Page).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub from: Option<String>,
    /// The called party.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub to: Option<String>,
    /// `business_initiated` or `user_initiated` (on `connect`).
    pub call_direction: Option<String>,
    /// The user a business-initiated call rings (on `call_status`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub recipient_id: Option<String>,
    /// `ringing` or `accepted` (on `call_status`).
    pub call_status: Option<String>,
    /// `Completed` or `Failed` (on `terminate`).
    pub status: Option<String>,
    /// When the call started (on `terminate`).
    pub start_time: Option<Timestamp>,
    /// When it ended.
    pub end_time: Option<Timestamp>,
    /// How long it lasted, in seconds.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub duration: Option<i64>,
    /// The SDP session (offer or renegotiation), as sent.
    pub session: Option<Value>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PageCallEvent {
    /// An element of `calls[]`: typed, or (fields of unexpected types) kept whole in
    /// [`other`](Self::other), so each object stays one event; `None` for a non-object.
    pub(crate) fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        Some(Self::deserialize(value).unwrap_or_else(|_| Self { other: object.clone(), ..Self::default() }))
    }

    /// The event name, `unknown` when Meta sent none.
    pub fn name(&self) -> &str {
        self.event.as_deref().filter(|e| !e.is_empty()).unwrap_or("unknown")
    }
}
