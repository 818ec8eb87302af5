//! The identity fields of the username era: `business_username_update` (a business's username
//! approved, reserved or deleted) and `user_id_update` (a user's business-scoped id changed).

use serde::Deserialize;

use super::{Contact, Metadata};
use crate::Timestamp;
use crate::graph::serde_util::{null_as_default, opt_string_or_integer};

/// `business_username_update` (also read from `business_username_updates` and the earlier
/// `phone_number_username_update`): the business number's username changed state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UsernameUpdate {
    /// The business number as displayed.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// The username (absent once `deleted`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
    /// `approved`, `reserved` or `deleted`.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub status: Option<String>,
    /// Earlier form: `APPROVED` or `REJECTED`.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub decision: Option<String>,
    /// Earlier form: the username asked for.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub requested_username: Option<String>,
    /// Earlier form: why it was rejected.
    #[serde(deserialize_with = "null_as_default")]
    pub rejection_reasons: Vec<String>,
}

/// A before-and-after pair of ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IdChange {
    /// The id before.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub previous: Option<String>,
    /// The id now.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub current: Option<String>,
}

/// One user's business-scoped id change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserIdChange {
    /// The user's phone number, when shared.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// Meta's description.
    pub detail: Option<String>,
    /// The business-scoped id, before and now.
    pub user_id: Option<IdChange>,
    /// The parent business-scoped id, before and now (when parent ids are on).
    pub parent_user_id: Option<IdChange>,
    /// When.
    pub timestamp: Option<Timestamp>,
}

/// `user_id_update`: users whose business-scoped id changed (a new number, a new portfolio).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserIdUpdate {
    /// The business number.
    pub metadata: Option<Metadata>,
    /// Profiles of the users.
    #[serde(deserialize_with = "null_as_default")]
    pub contacts: Vec<Contact>,
    /// The changes.
    #[serde(deserialize_with = "null_as_default")]
    pub user_id_update: Vec<UserIdChange>,
}
