//! WhatsApp Groups for businesses: create a group (up to 8 participants), read it, share and
//! reset its invite link, update its subject and description, remove participants, answer join
//! requests, delete it, and the four groups webhooks. Send to a group with
//! [`Recipient::group`](super::message::Recipient::group).
//!
//! Per Meta's [Groups API reference](https://developers.facebook.com/docs/whatsapp/cloud-api/groups/reference).
//! Meta answers several of these calls only through webhooks: a new group's id arrives in a
//! `group_lifecycle_update` ([`GroupEvent`] of type `group_create`), the outcome of an update in
//! a `group_settings_update`.

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

pub use meta_messaging_model::whatsapp::groups::{
    GroupEvent, GroupId, GroupMember, GroupParticipant, GroupsUpdate, JoinApprovalMode,
};

use super::{WhatsApp, request};
use crate::Timestamp;
use crate::graph::serde_util::{opt_integer_or_string, opt_string_or_integer};
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{GraphRequest, Multipart, Page, ValidationError, Violation};

/// Most participants a business group holds, the business aside.
pub const MAX_PARTICIPANTS: usize = 8;

/// A group to create.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct NewGroup {
    messaging_product: &'static str,
    subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_approval_mode: Option<JoinApprovalMode>,
}

impl NewGroup {
    /// A group named `subject` (≤ 128 characters).
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            messaging_product: "whatsapp",
            subject: subject.into(),
            description: None,
            join_approval_mode: None,
        }
    }

    /// Its description (≤ 2048 characters).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Who may join (auto-approve by default).
    pub fn join_approval_mode(mut self, mode: JoinApprovalMode) -> Self {
        self.join_approval_mode = Some(mode);
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("subject", &self.subject)?;
        max_chars("subject", &self.subject, 128)?;
        match &self.description {
            Some(description) => max_chars("description", description, 2048),
            None => Ok(()),
        }
    }
}

/// Meta's answer to a call whose outcome comes by webhook: all fields optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupAnswer {
    /// `whatsapp`.
    pub messaging_product: Option<String>,
    /// The group, when Meta names it at once.
    pub id: Option<GroupId>,
    /// Whether Meta accepted the call, when it says.
    pub success: Option<bool>,
}

/// A group as [`WhatsApp::group`] reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupInfo {
    /// Its id.
    pub id: Option<GroupId>,
    /// Its subject.
    pub subject: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Participants (the business aside).
    pub participants: Vec<GroupParticipant>,
    /// How many participants, the business aside.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub total_participant_count: Option<i64>,
    /// Whether WhatsApp suspended it.
    pub suspended: Option<bool>,
    /// When it was created.
    pub creation_timestamp: Option<Timestamp>,
    /// Who may join.
    pub join_approval_mode: Option<JoinApprovalMode>,
}

/// The fields [`WhatsApp::group`] reads.
pub const GROUP_FIELDS: &str = "subject,description,participants,total_participant_count,suspended,creation_timestamp,join_approval_mode";

/// A group in a listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupSummary {
    /// Its id.
    pub id: Option<GroupId>,
    /// Its subject.
    pub subject: Option<String>,
    /// When it was created.
    pub created_at: Option<Timestamp>,
}

/// The number's active groups (Meta wraps them as `data.groups`, not a list), with paging.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GroupList {
    /// The groups.
    pub groups: Vec<GroupSummary>,
    /// The cursor for the next page, if any.
    pub after: Option<String>,
}

impl<'de> Deserialize<'de> for GroupList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Data {
            groups: Vec<GroupSummary>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Answer {
            data: Data,
            paging: serde_json::Value,
        }
        let answer = Answer::deserialize(d)?;
        let next = answer.paging.get("next").is_some();
        let after = answer.paging.pointer("/cursors/after").and_then(serde_json::Value::as_str);
        Ok(Self { groups: answer.data.groups, after: after.filter(|_| next).map(str::to_owned) })
    }
}

/// A group's invite link.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct InviteLink {
    /// `https://chat.whatsapp.com/…`.
    pub invite_link: Option<String>,
}

/// A pending join request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct JoinRequest {
    /// Its id, to approve or reject.
    pub join_request_id: Option<String>,
    /// Who asked (absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// Their business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// Their parent business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
    /// Their WhatsApp username.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
    /// When.
    pub creation_timestamp: Option<Timestamp>,
}

/// The outcome of approving or rejecting join requests.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct JoinRequestsAnswer {
    /// Approved requests.
    pub approved_join_requests: Vec<String>,
    /// Rejected requests.
    pub rejected_join_requests: Vec<String>,
    /// Requests that failed, with Meta's errors.
    pub failed_join_requests: Vec<serde_json::Value>,
    /// Errors for the whole call.
    pub errors: Vec<serde_json::Value>,
}

fn group_spec(method: Method, group: &GroupId, edge: Option<&str>) -> crate::graph::RequestSpec {
    crate::graph::RequestSpec::node(method, group.as_str(), edge)
}

fn join_request_ids(ids: &[String]) -> (serde_json::Value, Result<(), ValidationError>) {
    let checked =
        if ids.is_empty() { Err(ValidationError::new("join_requests", Violation::Missing)) } else { Ok(()) };
    (json!({"messaging_product": "whatsapp", "join_requests": ids}), checked)
}

impl WhatsApp {
    /// Creates a group; its id and invite link arrive in a `group_lifecycle_update` webhook.
    pub fn create_group(&self, group: &NewGroup) -> GraphRequest<GroupAnswer> {
        let mut spec = self.spec(Method::POST, Some("groups"));
        spec.set_json(group);
        if let Err(invalid) = group.validate() {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    /// The number's active groups (up to `limit`, 1–1024), after a cursor.
    pub fn groups(&self, limit: Option<u16>, after: Option<&str>) -> GraphRequest<GroupList> {
        let mut spec = self.spec(Method::GET, Some("groups"));
        if let Some(limit) = limit {
            spec.query.push(("limit".into(), limit.clamp(1, 1024).to_string()));
        }
        if let Some(after) = after {
            spec.query.push(("after".into(), after.to_owned()));
        }
        request(&self.client, spec)
    }

    /// A group ([`GROUP_FIELDS`]).
    pub fn group(&self, group_id: impl Into<GroupId>) -> GraphRequest<GroupInfo> {
        let mut spec = group_spec(Method::GET, &group_id.into(), None);
        spec.query.push(("fields".into(), GROUP_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// A group's invite link.
    pub fn group_invite_link(&self, group_id: impl Into<GroupId>) -> GraphRequest<InviteLink> {
        request(&self.client, group_spec(Method::GET, &group_id.into(), Some("invite_link")))
    }

    /// Replaces a group's invite link (the old one stops working).
    pub fn reset_group_invite_link(&self, group_id: impl Into<GroupId>) -> GraphRequest<InviteLink> {
        let mut spec = group_spec(Method::POST, &group_id.into(), Some("invite_link"));
        spec.set_json(&json!({"messaging_product": "whatsapp"}));
        request(&self.client, spec)
    }

    /// Changes a group's subject and description (either may be `None`); the outcome arrives in
    /// a `group_settings_update` webhook.
    pub fn update_group(
        &self,
        group_id: impl Into<GroupId>,
        subject: Option<&str>,
        description: Option<&str>,
    ) -> GraphRequest<GroupAnswer> {
        let mut spec = group_spec(Method::POST, &group_id.into(), None);
        let mut form = Multipart::new().text("messaging_product", "whatsapp");
        if let Some(subject) = subject {
            if let Err(invalid) =
                not_empty("subject", subject).and_then(|()| max_chars("subject", subject, 128))
            {
                spec.fail(invalid.into());
            }
            form = form.text("subject", subject.to_owned());
        }
        if let Some(description) = description {
            if let Err(invalid) = max_chars("description", description, 2048) {
                spec.fail(invalid.into());
            }
            form = form.text("description", description.to_owned());
        }
        request::<GroupAnswer>(&self.client, spec).multipart(form)
    }

    /// Sets a group's picture: a square JPEG (192 px or more, ≤ 5 MB); the outcome arrives in a
    /// `group_settings_update` webhook.
    pub fn update_group_picture(
        &self,
        group_id: impl Into<GroupId>,
        jpeg: impl Into<bytes::Bytes>,
    ) -> GraphRequest<GroupAnswer> {
        let jpeg = jpeg.into();
        let mut spec = group_spec(Method::POST, &group_id.into(), None);
        if jpeg.is_empty() || jpeg.len() > 5 * 1024 * 1024 {
            spec.fail(
                ValidationError::new("file", Violation::Invalid("a JPEG of at most 5 MB".into())).into(),
            );
        }
        let form = Multipart::new().text("messaging_product", "whatsapp").file(
            "file",
            jpeg,
            Some("group.jpg".to_owned()),
            "image/jpeg",
        );
        request::<GroupAnswer>(&self.client, spec).multipart(form)
    }

    /// Deletes a group (every participant, the business too, is removed).
    pub fn delete_group(&self, group_id: impl Into<GroupId>) -> GraphRequest<GroupAnswer> {
        request(&self.client, group_spec(Method::DELETE, &group_id.into(), None))
    }

    /// Removes participants (1 to 8; they can no longer join through the link), by phone
    /// number (sent as `user`) or business-scoped id ([`Recipient::user_id`](super::Recipient::user_id), sent as
    /// `user_id`).
    pub fn remove_group_participants(
        &self,
        group_id: impl Into<GroupId>,
        users: impl IntoIterator<Item = impl Into<super::Recipient>>,
    ) -> GraphRequest<GroupAnswer> {
        let entries: Result<Vec<serde_json::Value>, ValidationError> =
            users.into_iter().map(|u| u.into().user_entry("participants")).collect();
        let mut spec = group_spec(Method::DELETE, &group_id.into(), Some("participants"));
        let (users, invalid) = match entries {
            Ok(users) => (users, None),
            Err(invalid) => (Vec::new(), Some(invalid)),
        };
        let checked = if let Some(invalid) = invalid {
            Err(invalid)
        } else if users.is_empty() {
            Err(ValidationError::new("participants", Violation::Missing))
        } else {
            max_items("participants", users.len(), MAX_PARTICIPANTS)
        };
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        }
        spec.set_json(&json!({"messaging_product": "whatsapp", "participants": users}));
        request(&self.client, spec)
    }

    /// Pending join requests of a group created with [`JoinApprovalMode::ApprovalRequired`].
    pub fn group_join_requests(&self, group_id: impl Into<GroupId>) -> GraphRequest<Page<JoinRequest>> {
        request(&self.client, group_spec(Method::GET, &group_id.into(), Some("join_requests")))
    }

    /// Approves join requests.
    pub fn approve_join_requests(
        &self,
        group_id: impl Into<GroupId>,
        join_request_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> GraphRequest<JoinRequestsAnswer> {
        let ids: Vec<String> = join_request_ids.into_iter().map(Into::into).collect();
        self.join_requests(Method::POST, &group_id.into(), &ids)
    }

    /// Rejects join requests.
    pub fn reject_join_requests(
        &self,
        group_id: impl Into<GroupId>,
        join_request_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> GraphRequest<JoinRequestsAnswer> {
        let ids: Vec<String> = join_request_ids.into_iter().map(Into::into).collect();
        self.join_requests(Method::DELETE, &group_id.into(), &ids)
    }

    fn join_requests(
        &self,
        method: Method,
        group: &GroupId,
        ids: &[String],
    ) -> GraphRequest<JoinRequestsAnswer> {
        let mut spec = group_spec(method, group, Some("join_requests"));
        let (body, checked) = join_request_ids(ids);
        spec.set_json(&body);
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }
}
