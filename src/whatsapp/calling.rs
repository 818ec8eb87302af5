//! The Calling API: a phone number's call settings, business-initiated calls, answering and
//! ending users' calls (WebRTC SDP offers and answers), call permissions, and the `calls`
//! webhook.
//!
//! Per Meta's [Calling API](https://developers.facebook.com/docs/whatsapp/cloud-api/calling)
//! guides. Ask a user's permission first with
//! [`Message::call_permission_request`](super::message::Message::call_permission_request);
//! [`WhatsApp::call_permissions`] tells whether a call may start.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use meta_messaging_model::whatsapp::calling::{
    CallEvent, CallId, CallSession, CallStatusUpdate, CallsUpdate,
};

use super::{Recipient, WhatsApp, request};
use crate::Timestamp;
use crate::graph::serde_util::string_enum;
use crate::graph::validate::not_empty;
use crate::graph::{Ack, GraphRequest, ValidationError, Violation};

string_enum! {
    /// `ENABLED` or `DISABLED`.
    pub enum FeatureStatus {
        /// On.
        Enabled = "ENABLED",
        /// Off.
        Disabled = "DISABLED",
    }
}

/// Opening hours for one weekday.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WeeklyHours {
    /// `MONDAY` … `SUNDAY`.
    pub day_of_week: String,
    /// Opening time, `HHMM`.
    pub open_time: String,
    /// Closing time, `HHMM`.
    pub close_time: String,
}

impl WeeklyHours {
    /// Hours for a weekday (`MONDAY`…), times as `HHMM`.
    pub fn new(
        day_of_week: impl Into<String>,
        open_time: impl Into<String>,
        close_time: impl Into<String>,
    ) -> Self {
        Self { day_of_week: day_of_week.into(), open_time: open_time.into(), close_time: close_time.into() }
    }
}

/// A day with other hours (a holiday).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Holiday {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Start, `HHMM`.
    pub start_time: String,
    /// End, `HHMM`.
    pub end_time: String,
}

impl Holiday {
    /// A holiday, times as `HHMM`.
    pub fn new(date: impl Into<String>, start_time: impl Into<String>, end_time: impl Into<String>) -> Self {
        Self { date: date.into(), start_time: start_time.into(), end_time: end_time.into() }
    }
}

/// When users may call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallHours {
    /// Whether the hours apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<FeatureStatus>,
    /// The time zone (`America/Manaus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone_id: Option<String>,
    /// Up to 2 ranges per weekday.
    pub weekly_operating_hours: Vec<WeeklyHours>,
    /// Up to 20 holidays; leaving them out deletes the saved ones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holiday_schedule: Vec<Holiday>,
}

impl CallHours {
    /// Hours in a time zone (`America/Manaus`), switched on.
    pub fn new(timezone_id: impl Into<String>, weekly: impl IntoIterator<Item = WeeklyHours>) -> Self {
        Self {
            status: Some(FeatureStatus::Enabled),
            timezone_id: Some(timezone_id.into()),
            weekly_operating_hours: weekly.into_iter().collect(),
            holiday_schedule: Vec::new(),
        }
    }

    /// The holidays (up to 20; sending none deletes the saved ones).
    #[must_use]
    pub fn holidays(mut self, holidays: impl IntoIterator<Item = Holiday>) -> Self {
        self.holiday_schedule = holidays.into_iter().collect();
        self
    }
}

/// A phone number's calling settings; unset parts are left as they are on update.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallingSettings {
    /// Calling on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<FeatureStatus>,
    /// `DEFAULT` or `DISABLE_ALL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_icon_visibility: Option<String>,
    /// When users may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_hours: Option<CallHours>,
    /// Whether a user's call grants the business permission to call back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_permission_status: Option<FeatureStatus>,
    /// SIP configuration, as Meta describes it (calls and their webhooks go over SIP then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip: Option<serde_json::Value>,
    /// Codecs and other audio settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<serde_json::Value>,
    /// Restrictions Meta placed on the number (read only).
    #[serde(skip_serializing)]
    pub restrictions: Option<serde_json::Value>,
}

impl CallingSettings {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns calling on or off.
    #[must_use]
    pub fn status(mut self, status: FeatureStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the hours users may call.
    #[must_use]
    pub fn call_hours(mut self, hours: CallHours) -> Self {
        self.call_hours = Some(hours);
        self
    }

    /// Turns callback permission on or off.
    #[must_use]
    pub fn callback_permission(mut self, status: FeatureStatus) -> Self {
        self.callback_permission_status = Some(status);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let Some(hours) = &self.call_hours else { return Ok(()) };
        let hhmm = |t: &str| {
            t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) && t[..2] < *"24" && t[2..] < *"60"
        };
        for range in &hours.weekly_operating_hours {
            if !hhmm(&range.open_time) || !hhmm(&range.close_time) {
                return Err(ValidationError::new(
                    "calling.call_hours.weekly_operating_hours",
                    Violation::Invalid("times are HHMM".into()),
                ));
            }
            let same_day =
                hours.weekly_operating_hours.iter().filter(|r| r.day_of_week == range.day_of_week).count();
            if same_day > 2 {
                return Err(ValidationError::new(
                    "calling.call_hours.weekly_operating_hours",
                    Violation::Invalid("at most 2 ranges per weekday".into()),
                ));
            }
        }
        crate::graph::validate::max_items(
            "calling.call_hours.holiday_schedule",
            hours.holiday_schedule.len(),
            20,
        )?;
        if hours.holiday_schedule.iter().any(|h| !hhmm(&h.start_time) || !hhmm(&h.end_time)) {
            return Err(ValidationError::new(
                "calling.call_hours.holiday_schedule",
                Violation::Invalid("times are HHMM".into()),
            ));
        }
        Ok(())
    }
}

/// The answer of [`WhatsApp::calling_settings`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PhoneSettings {
    /// The calling settings.
    pub calling: Option<CallingSettings>,
}

/// A started call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StartedCall {
    /// The call, as `{id}`.
    pub calls: Vec<CallRef>,
}

impl StartedCall {
    /// The new call's id.
    pub fn call_id(&self) -> Option<&CallId> {
        self.calls.first().and_then(|c| c.id.as_ref())
    }
}

/// A call's id in an answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallRef {
    /// The id.
    pub id: Option<CallId>,
}

/// Whether the business may call a user, and what it may do next (WhatsApp's
/// `call_permissions`, Messenger's `messenger_call_permissions`: the latter may come wrapped in
/// `data[]`, and both read the same).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(from = "PermissionsWire")]
#[non_exhaustive]
pub struct CallPermissions {
    /// The permission.
    pub permission: Option<CallPermission>,
    /// The actions and their limits (`send_call_permission_request`, `start_call`).
    pub actions: Vec<CallPermissionAction>,
}

impl CallPermissions {
    /// Whether the user lets the business call now (`temporary`, `permanent`, or Messenger's
    /// `has_permission`, in any case).
    pub fn granted(&self) -> bool {
        self.permission.as_ref().and_then(|p| p.status.as_deref()).is_some_and(|status| {
            ["temporary", "permanent", "has_permission"].iter().any(|s| status.eq_ignore_ascii_case(s))
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PermissionsWire {
    permission: Option<CallPermission>,
    actions: Vec<CallPermissionAction>,
    data: Vec<PermissionsWire>,
}

impl From<PermissionsWire> for CallPermissions {
    fn from(mut wire: PermissionsWire) -> Self {
        if wire.permission.is_none() && wire.actions.is_empty() && !wire.data.is_empty() {
            wire = wire.data.swap_remove(0);
        }
        Self { permission: wire.permission, actions: wire.actions }
    }
}

/// A call permission.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallPermission {
    /// `no_permission`, `temporary`, `permanent`, ...
    pub status: Option<String>,
    /// When a temporary permission ends.
    pub expiration_time: Option<Timestamp>,
}

/// An action on a user and whether it can be done now.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CallPermissionAction {
    /// The action.
    pub action_name: Option<String>,
    /// Whether it can be done now (Messenger also spells it `can_perform`).
    #[serde(alias = "can_perform")]
    pub can_perform_action: Option<bool>,
    /// Its limits, as Meta sends them (`time_period`, `max_allowed`, `current_usage`, ...).
    pub limits: Vec<serde_json::Value>,
}

impl WhatsApp {
    /// The number's calling settings (`GET /{phone-number-id}/settings`).
    pub fn calling_settings(&self) -> GraphRequest<PhoneSettings> {
        request(&self.client, self.spec(Method::GET, Some("settings")))
    }

    /// Updates the number's calling settings.
    pub fn update_calling_settings(&self, settings: &CallingSettings) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, Some("settings"));
        spec.set_json(&json!({ "calling": settings }));
        if let Err(invalid) = settings.validate() {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    /// Calls a user who gave permission, with the business's SDP offer: by phone number (a
    /// `&str` or `String`, sent as `to`) or business-scoped id ([`Recipient::user_id`], sent as
    /// `recipient`).
    pub fn start_call(
        &self,
        to: impl Into<Recipient>,
        sdp_offer: impl Into<String>,
        callback_data: Option<String>,
    ) -> GraphRequest<StartedCall> {
        let to = to.into();
        let mut body = json!({"messaging_product": "whatsapp", "action": "connect",
            "session": {"sdp_type": "offer", "sdp": sdp_offer.into()}});
        let checked = to.validate().and_then(|()| match &to {
            Recipient::Phone(phone) => {
                body["to"] = phone.as_str().into();
                not_empty("to", phone)
            }
            Recipient::UserId(id) => {
                body["recipient"] = id.as_str().into();
                not_empty("recipient", id)
            }
            Recipient::Group(_) => {
                Err(ValidationError::new("to", Violation::Invalid("a group cannot be called".into())))
            }
        });
        if let Some(data) = callback_data {
            body["biz_opaque_callback_data"] = data.into();
        }
        self.call_action(&body, checked)
    }

    /// Pre-accepts a user's call with the business's SDP answer (media starts sooner).
    pub fn pre_accept_call(
        &self,
        call_id: impl Into<CallId>,
        sdp_answer: impl Into<String>,
    ) -> GraphRequest<Ack> {
        let body = json!({"messaging_product": "whatsapp", "call_id": call_id.into(), "action": "pre_accept",
            "session": {"sdp_type": "answer", "sdp": sdp_answer.into()}});
        self.call_action(&body, Ok(()))
    }

    /// Accepts a user's call with the same SDP answer as the pre-accept.
    pub fn accept_call(
        &self,
        call_id: impl Into<CallId>,
        sdp_answer: impl Into<String>,
        callback_data: Option<String>,
    ) -> GraphRequest<Ack> {
        let mut body = json!({"messaging_product": "whatsapp", "call_id": call_id.into(), "action": "accept",
            "session": {"sdp_type": "answer", "sdp": sdp_answer.into()}});
        let checked = match &callback_data {
            Some(data) => crate::graph::validate::max_chars("biz_opaque_callback_data", data, 512),
            None => Ok(()),
        };
        if let Some(data) = callback_data {
            body["biz_opaque_callback_data"] = data.into();
        }
        self.call_action(&body, checked)
    }

    /// Rejects a user's call.
    pub fn reject_call(&self, call_id: impl Into<CallId>) -> GraphRequest<Ack> {
        let body = json!({"messaging_product": "whatsapp", "call_id": call_id.into(), "action": "reject"});
        self.call_action(&body, Ok(()))
    }

    /// Ends a call.
    pub fn terminate_call(&self, call_id: impl Into<CallId>) -> GraphRequest<Ack> {
        let body = json!({"messaging_product": "whatsapp", "call_id": call_id.into(), "action": "terminate"});
        self.call_action(&body, Ok(()))
    }

    /// Whether the business may call a user (by phone number, sent as `user_wa_id`, or
    /// business-scoped id, sent as `recipient`), and its remaining requests and calls.
    pub fn call_permissions(&self, user: impl Into<Recipient>) -> GraphRequest<CallPermissions> {
        let mut spec = self.spec(Method::GET, Some("call_permissions"));
        let user = user.into();
        if let Err(invalid) = user.validate() {
            spec.fail(invalid.into());
            return request(&self.client, spec);
        }
        match user {
            Recipient::Phone(phone) => spec.query.push(("user_wa_id".into(), phone)),
            Recipient::UserId(id) => spec.query.push(("recipient".into(), id)),
            Recipient::Group(_) => {
                spec.fail(
                    ValidationError::new("user_wa_id", Violation::Invalid("a group cannot be called".into()))
                        .into(),
                );
            }
        }
        request(&self.client, spec)
    }

    fn call_action<T>(
        &self,
        body: &serde_json::Value,
        checked: Result<(), ValidationError>,
    ) -> GraphRequest<T> {
        let mut spec = self.spec(Method::POST, Some("calls"));
        spec.set_json(body);
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }
}
