//! The groups webhooks' models: group events, their participants and the group id.

use serde::Deserialize;

use crate::Timestamp;
use crate::graph::serde_util::{id_type, opt_string_or_integer, string_enum};

id_type! {
    /// A WhatsApp group id.
    GroupId
}

string_enum! {
    /// Who may join through the invite link.
    pub enum JoinApprovalMode {
        /// Anyone with the link joins.
        AutoApprove = "auto_approve",
        /// The business approves each join request.
        ApprovalRequired = "approval_required",
    }
}

/// A participant.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupParticipant {
    /// The user's WhatsApp id (absent for users known only by their business-scoped id).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The user's business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// The user's parent business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
    /// The user's WhatsApp username.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
}

/// A participant named in a groups webhook: by phone number, business-scoped id, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupMember {
    /// What the business sent, for participants it removed (a phone number or a BSUID).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub input: Option<String>,
    /// The user's WhatsApp id (absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The user's business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// The user's parent business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
    /// The user's WhatsApp username.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
    /// Why it failed (failed participants).
    pub errors: Vec<serde_json::Value>,
}

impl GroupMember {
    /// The member as one typed identity.
    pub fn user(&self) -> crate::user::UserIdentity {
        let pick = |value: &Option<String>| value.clone().unwrap_or_default();
        crate::user::UserIdentity::new()
            .phone(pick(&self.wa_id))
            .user_id(pick(&self.user_id))
            .parent_user_id(pick(&self.parent_user_id))
            .username(pick(&self.username))
    }
}

/// One event of a groups webhook (`group_lifecycle_update`, `group_participants_update`,
/// `group_settings_update`, `group_status_update`); which fields it carries depends on `type`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupEvent {
    /// `group_create`, `group_delete`, `group_participants_add`, `group_participants_remove`,
    /// `group_join_request_created`, `group_join_request_revoked`, `group_settings_update`,
    /// `group_suspend`, `group_suspend_cleared`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The group.
    pub group_id: Option<GroupId>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// The request this answers.
    pub request_id: Option<String>,
    /// The subject (creation).
    pub subject: Option<String>,
    /// The description (creation).
    pub description: Option<String>,
    /// The invite link (creation).
    pub invite_link: Option<String>,
    /// Who may join (creation).
    pub join_approval_mode: Option<JoinApprovalMode>,
    /// Why (participant changes: `invite_link`, ...).
    pub reason: Option<String>,
    /// `business` or `participant` (removals).
    pub initiated_by: Option<String>,
    /// Participants added.
    pub added_participants: Vec<GroupMember>,
    /// Participants removed.
    pub removed_participants: Vec<GroupMember>,
    /// Participants that could not be removed.
    pub failed_participants: Vec<GroupMember>,
    /// A join request's id.
    pub join_request_id: Option<String>,
    /// The user of a join request (absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The join request user's business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// The join request user's parent business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
    /// The join request user's WhatsApp username.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
    /// Settings outcomes: `profile_picture`, `group_subject`, `group_description`.
    pub profile_picture: Option<serde_json::Value>,
    /// The subject update's outcome.
    pub group_subject: Option<serde_json::Value>,
    /// The description update's outcome.
    pub group_description: Option<serde_json::Value>,
    /// Errors.
    pub errors: Vec<serde_json::Value>,
}

/// The value of a groups webhook change.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupsUpdate {
    /// The business number.
    pub metadata: Option<super::webhook::Metadata>,
    /// The events.
    pub groups: Vec<GroupEvent>,
}
