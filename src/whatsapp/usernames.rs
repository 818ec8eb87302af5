//! Business usernames: set, read, suggest and delete the username of a business phone number,
//! per Meta's business-scoped user ids page (`POST`/`GET`/`DELETE /{phone-number-id}/username`,
//! `GET /{phone-number-id}/username_suggestions`). A reserved username is claimed with the same
//! `POST`. Changes arrive as the `business_username_update` webhook
//! ([`UsernameUpdate`](super::webhook::UsernameUpdate)).

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{WhatsApp, request};
use crate::graph::serde_util::{null_as_default, opt_string_or_integer, string_enum};
use crate::graph::validate::not_empty;
use crate::graph::{Ack, GraphRequest, ValidationError, Violation};

string_enum! {
    /// The state of a business username.
    pub enum UsernameStatus {
        /// In use.
        Approved = "approved",
        /// Reserved for the business, not yet in use.
        Reserved = "reserved",
        /// Deleted (webhooks).
        Deleted = "deleted",
    }
}

/// The answer of [`WhatsApp::set_username`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UsernameAnswer {
    /// `approved` or `reserved`.
    pub status: Option<UsernameStatus>,
}

/// A business number's username, as [`WhatsApp::username`] reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BusinessUsername {
    /// The username (absent when the number has none).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub username: Option<String>,
    /// `approved` or `reserved`.
    pub status: Option<UsernameStatus>,
}

/// One entry of [`UsernameSuggestions`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UsernameSuggestionSet {
    /// Usernames reserved for or suggested to the business.
    #[serde(deserialize_with = "null_as_default")]
    pub username_suggestions: Vec<String>,
}

/// The answer of [`WhatsApp::username_suggestions`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UsernameSuggestions {
    /// As Meta sends them.
    #[serde(deserialize_with = "null_as_default")]
    pub data: Vec<UsernameSuggestionSet>,
}

impl UsernameSuggestions {
    /// Every suggestion, in order.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.data.iter().flat_map(|set| set.username_suggestions.iter().map(String::as_str))
    }
}

/// A username's shape before the request: not empty, no spaces, no `@` (send the name itself).
fn check_username(username: &str) -> Result<(), ValidationError> {
    not_empty("username", username)?;
    if username.chars().any(|c| c.is_whitespace() || c == '@') {
        return Err(ValidationError::new("username", Violation::Invalid("no spaces and no @".into())));
    }
    Ok(())
}

impl WhatsApp {
    /// Sets (or changes, or claims a reserved) username for this number. Meta answers
    /// `approved` or `reserved`; an unavailable or ineligible name is a Graph error (147001,
    /// 147002, ...).
    pub fn set_username(&self, username: impl Into<String>) -> GraphRequest<UsernameAnswer> {
        let username = username.into();
        let mut spec = self.spec(Method::POST, Some("username"));
        if let Err(invalid) = check_username(&username) {
            spec.fail(invalid.into());
        } else {
            spec.set_json(&json!({ "username": username }));
        }
        request(&self.client, spec)
    }

    /// This number's username and its state.
    pub fn username(&self) -> GraphRequest<BusinessUsername> {
        request(&self.client, self.spec(Method::GET, Some("username")))
    }

    /// Usernames reserved for or suggested to this number.
    pub fn username_suggestions(&self) -> GraphRequest<UsernameSuggestions> {
        request(&self.client, self.spec(Method::GET, Some("username_suggestions")))
    }

    /// Deletes this number's username.
    pub fn delete_username(&self) -> GraphRequest<Ack> {
        request(&self.client, self.spec(Method::DELETE, Some("username")))
    }
}
