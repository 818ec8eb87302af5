//! The `calls` webhook's models: call events, business-initiated call statuses and the call id.

use serde::Deserialize;

use crate::Timestamp;
use crate::graph::serde_util::{id_type, opt_integer_or_string, opt_string_or_integer};

id_type! {
    /// A call id (`wacid.…`).
    CallId
}

/// WebRTC session description.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallSession {
    /// `offer` or `answer`.
    pub sdp_type: Option<String>,
    /// The SDP.
    pub sdp: Option<String>,
}

/// A call event of the `calls` webhook (`connect`, `terminate`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallEvent {
    /// The call.
    pub id: Option<CallId>,
    /// Who was called (a phone number; absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub to: Option<String>,
    /// The callee's business-scoped user id (business-initiated calls).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub to_user_id: Option<String>,
    /// The callee's parent business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub to_parent_user_id: Option<String>,
    /// Who called (a phone number; absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub from: Option<String>,
    /// The caller's business-scoped user id (user-initiated calls).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub from_user_id: Option<String>,
    /// The caller's parent business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub from_parent_user_id: Option<String>,
    /// `connect` or `terminate`.
    pub event: Option<String>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// `USER_INITIATED` or `BUSINESS_INITIATED`.
    pub direction: Option<String>,
    /// The SDP to answer (user-initiated) or that answered (business-initiated).
    pub session: Option<CallSession>,
    /// On `terminate`: `Completed` or `Failed` (any case).
    pub status: Option<String>,
    /// When it was answered.
    pub start_time: Option<Timestamp>,
    /// When it ended.
    pub end_time: Option<Timestamp>,
    /// Seconds, when answered.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub duration: Option<i64>,
    /// What the business attached.
    pub biz_opaque_callback_data: Option<String>,
}

/// The value of a `calls` change: call events and business-initiated call statuses.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallsUpdate {
    /// The business number.
    pub metadata: Option<super::webhook::Metadata>,
    /// Profiles of the users in the calls (with `user_id` and `username` since 2026).
    pub contacts: Vec<super::webhook::Contact>,
    /// Call events.
    pub calls: Vec<CallEvent>,
    /// `RINGING`, `ACCEPTED`, `REJECTED` of business-initiated calls, as statuses.
    pub statuses: Vec<CallStatusUpdate>,
    /// Value-level errors.
    pub errors: Vec<super::webhook::NotificationError>,
}

/// The status of a business-initiated call: one item of a `calls` change's `statuses[]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallStatusUpdate {
    /// The call.
    pub id: Option<CallId>,
    /// `call`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `RINGING`, `ACCEPTED`, `REJECTED` (Meta's case).
    pub status: Option<String>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// The user called (a phone number; absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub recipient_id: Option<String>,
    /// The user's business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub recipient_user_id: Option<String>,
    /// The user's parent business-scoped user id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub recipient_parent_user_id: Option<String>,
    /// What the business attached to the call.
    pub biz_opaque_callback_data: Option<String>,
    /// Errors of a failed call.
    pub errors: Vec<super::webhook::NotificationError>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}
