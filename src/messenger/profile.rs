//! Personas, user profiles, the Messenger profile, conversations: the models.
//!
//! Per the Messenger Platform Personas, User Profile and Messenger Profile API pages and the
//! Conversations API (Graph API v25.0).

use serde::{Deserialize, Serialize};

use crate::graph::serde_util::opt_string_or_integer;

/// A persona (a human agent's name and picture shown on messages).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Persona {
    /// Persona id, for [`Message::persona`](super::message::Message::persona).
    #[serde(deserialize_with = "crate::graph::serde_util::string_or_integer")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Picture.
    #[serde(default)]
    pub profile_picture_url: Option<String>,
}

/// The answer of a creation: `{"id": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Created {
    /// The new object's id.
    #[serde(deserialize_with = "crate::graph::serde_util::string_or_integer")]
    pub id: String,
}

/// A saved attachment: `{"attachment_id": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SavedAttachment {
    /// The attachment id (Page-private, 90 days).
    #[serde(deserialize_with = "crate::graph::serde_util::string_or_integer")]
    pub attachment_id: String,
}

/// A Messenger user's profile (fields depend on what the app may read).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserProfile {
    /// PSID.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Picture URL (expires).
    pub profile_pic: Option<String>,
    /// Locale (needs feature approval).
    pub locale: Option<String>,
    /// UTC offset (needs feature approval).
    pub timezone: Option<f64>,
    /// Gender (needs feature approval).
    pub gender: Option<String>,
}

/// An Instagram user's profile, as seen by a business they messaged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct InstagramProfile {
    /// IGSID.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Name (may be null).
    pub name: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Picture URL (expires within days).
    pub profile_pic: Option<String>,
    /// Followers.
    pub follower_count: Option<u64>,
    /// Whether the user follows the business.
    pub is_user_follow_business: Option<bool>,
    /// Whether the business follows the user.
    pub is_business_follow_user: Option<bool>,
    /// Verified account.
    pub is_verified_user: Option<bool>,
}

/// The fields read by [`Instagram::user_profile`](crate::instagram::Instagram::user_profile).
pub const INSTAGRAM_PROFILE_FIELDS: &str = "name,username,profile_pic,follower_count,is_user_follow_business,is_business_follow_user,is_verified_user";

/// A localized text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Greeting {
    /// `default` or a locale such as `en_US`.
    pub locale: String,
    /// The text (≤ 160 characters; `{{user_first_name}}` and friends allowed).
    pub text: String,
}

/// Ice breakers for one locale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IceBreakers {
    /// `default` or a locale.
    pub locale: String,
    /// Up to 4 questions.
    pub call_to_actions: Vec<IceBreaker>,
}

/// One ice-breaker question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IceBreaker {
    /// The question shown.
    pub question: String,
    /// The postback payload sent when tapped.
    pub payload: String,
}

impl IceBreaker {
    /// A question.
    pub fn new(question: impl Into<String>, payload: impl Into<String>) -> Self {
        Self { question: question.into(), payload: payload.into() }
    }
}

/// A persistent menu for one locale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PersistentMenu {
    /// `default` or a locale.
    pub locale: String,
    /// Hide the text composer (menu only).
    #[serde(default)]
    pub composer_input_disabled: bool,
    /// Up to 20 items: `{"type":"postback","title","payload"}` or `{"type":"web_url","title","url"}`.
    pub call_to_actions: Vec<serde_json::Value>,
}

/// Get started button payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GetStarted {
    /// The postback payload.
    pub payload: String,
}

/// The Messenger profile of a Page (or Instagram account): what a user sees before and around
/// a conversation. Unset properties are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessengerProfile {
    /// The get-started button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_started: Option<GetStarted>,
    /// Greetings (a `default` locale is required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<Vec<Greeting>>,
    /// Ice breakers per locale (a `default` locale is required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ice_breakers: Option<Vec<IceBreakers>>,
    /// Persistent menus per locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_menu: Option<Vec<PersistentMenu>>,
    /// Domains allowed in webviews and plugins (≤ 50, https).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whitelisted_domains: Option<Vec<String>>,
}

/// The answer of a Messenger profile read: `{"data": [profile]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessengerProfileResponse {
    /// The profile.
    pub data: Vec<MessengerProfile>,
}

/// The answer of a Messenger profile change: `{"result": "success"}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ProfileResult {
    /// `success`.
    #[serde(default)]
    pub result: Option<String>,
}

/// A conversation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ConversationSummary {
    /// Conversation id.
    pub id: String,
    /// Last activity (ISO-8601).
    #[serde(default)]
    pub updated_time: Option<String>,
}

/// A message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ConversationMessage {
    /// Message id.
    pub id: String,
    /// When it was sent (ISO-8601).
    #[serde(default)]
    pub created_time: Option<String>,
    /// The sender.
    #[serde(default)]
    pub from: Option<serde_json::Value>,
    /// The recipients.
    #[serde(default)]
    pub to: Option<serde_json::Value>,
    /// The text.
    #[serde(default)]
    pub message: Option<String>,
}

impl Greeting {
    /// A greeting for a locale (`default` or such as `en_US`).
    pub fn new(locale: impl Into<String>, text: impl Into<String>) -> Self {
        Self { locale: locale.into(), text: text.into() }
    }
}

impl IceBreakers {
    /// Ice breakers for a locale (`default` or such as `en_US`).
    pub fn new(locale: impl Into<String>, questions: impl IntoIterator<Item = IceBreaker>) -> Self {
        Self { locale: locale.into(), call_to_actions: questions.into_iter().collect() }
    }
}

impl PersistentMenu {
    /// A menu for a locale, items in Meta's shape.
    pub fn new(locale: impl Into<String>, items: impl IntoIterator<Item = serde_json::Value>) -> Self {
        Self {
            locale: locale.into(),
            composer_input_disabled: false,
            call_to_actions: items.into_iter().collect(),
        }
    }
}

impl MessengerProfile {
    /// No properties yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the get-started payload.
    #[must_use]
    pub fn get_started(mut self, payload: impl Into<String>) -> Self {
        self.get_started = Some(GetStarted { payload: payload.into() });
        self
    }

    /// Adds a greeting.
    #[must_use]
    pub fn greeting(mut self, greeting: Greeting) -> Self {
        self.greeting.get_or_insert_with(Vec::new).push(greeting);
        self
    }

    /// Adds ice breakers for a locale.
    #[must_use]
    pub fn ice_breakers(mut self, ice_breakers: IceBreakers) -> Self {
        self.ice_breakers.get_or_insert_with(Vec::new).push(ice_breakers);
        self
    }

    /// Adds a persistent menu for a locale.
    #[must_use]
    pub fn persistent_menu(mut self, menu: PersistentMenu) -> Self {
        self.persistent_menu.get_or_insert_with(Vec::new).push(menu);
        self
    }

    /// Sets the whitelisted domains.
    #[must_use]
    pub fn whitelisted_domains(mut self, domains: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.whitelisted_domains = Some(domains.into_iter().map(Into::into).collect());
        self
    }
}
