//! Personas, user profiles, the Messenger profile, conversations: the models.
//!
//! Per the Messenger Platform Personas, User Profile and Messenger Profile API pages and the
//! Conversations API (Graph API v25.0).

use serde::{Deserialize, Serialize};

use crate::graph::serde_util::{opt_string_or_integer, string_enum};

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
    /// Up to 20 items.
    #[serde(default)]
    pub call_to_actions: Vec<MenuItem>,
}

string_enum! {
    /// How tall a web view opens.
    pub enum WebviewHeight {
        /// A third of the screen.
        Compact = "compact",
        /// Half the screen.
        Tall = "tall",
        /// The whole screen.
        Full = "full",
    }
}

/// An item of a persistent menu.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MenuItem {
    /// Sends a `postback` webhook with `payload` when tapped.
    Postback {
        /// Label (≤ 30 characters).
        title: String,
        /// Payload (≤ 1000 characters).
        payload: String,
    },
    /// Opens a URL.
    WebUrl {
        /// Label (≤ 30 characters).
        title: String,
        /// The URL.
        url: String,
        /// How tall the web view opens.
        webview_height_ratio: Option<WebviewHeight>,
        /// Whether the page uses the Messenger Extensions SDK.
        messenger_extensions: Option<bool>,
        /// Where clients without the extensions go.
        fallback_url: Option<String>,
    },
    /// A submenu, as older menus read back; Meta removed nested menus in Graph API v8.0
    /// (all versions since 2022-08-04), so sending one is refused locally.
    Nested {
        /// Label.
        title: String,
        /// Its items.
        call_to_actions: Vec<MenuItem>,
    },
    /// An item type this version does not model, as Meta sent it.
    Unknown(serde_json::Value),
}

impl MenuItem {
    /// A postback item.
    pub fn postback(title: impl Into<String>, payload: impl Into<String>) -> Self {
        Self::Postback { title: title.into(), payload: payload.into() }
    }

    /// A web URL item.
    pub fn web_url(title: impl Into<String>, url: impl Into<String>) -> Self {
        Self::WebUrl {
            title: title.into(),
            url: url.into(),
            webview_height_ratio: None,
            messenger_extensions: None,
            fallback_url: None,
        }
    }

    /// Sets how tall a web URL item opens.
    #[must_use]
    pub fn webview_height(mut self, height: WebviewHeight) -> Self {
        if let Self::WebUrl { webview_height_ratio, .. } = &mut self {
            *webview_height_ratio = Some(height);
        }
        self
    }

    /// Its label, when it has one.
    pub fn title(&self) -> Option<&str> {
        match self {
            Self::Postback { title, .. } | Self::WebUrl { title, .. } | Self::Nested { title, .. } => {
                Some(title)
            }
            Self::Unknown(value) => value.get("title").and_then(serde_json::Value::as_str),
        }
    }
}

impl Serialize for MenuItem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if let Self::Unknown(value) = self {
            return value.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Postback { title, payload } => {
                map.serialize_entry("type", "postback")?;
                map.serialize_entry("title", title)?;
                map.serialize_entry("payload", payload)?;
            }
            Self::WebUrl { title, url, webview_height_ratio, messenger_extensions, fallback_url } => {
                map.serialize_entry("type", "web_url")?;
                map.serialize_entry("title", title)?;
                map.serialize_entry("url", url)?;
                if let Some(height) = webview_height_ratio {
                    map.serialize_entry("webview_height_ratio", height)?;
                }
                if let Some(extensions) = messenger_extensions {
                    map.serialize_entry("messenger_extensions", extensions)?;
                }
                if let Some(fallback) = fallback_url {
                    map.serialize_entry("fallback_url", fallback)?;
                }
            }
            Self::Nested { title, call_to_actions } => {
                map.serialize_entry("type", "nested")?;
                map.serialize_entry("title", title)?;
                map.serialize_entry("call_to_actions", call_to_actions)?;
            }
            Self::Unknown(_) => unreachable!("serialized above"),
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MenuItem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(rename = "type")]
            kind: Option<String>,
            title: Option<String>,
            payload: Option<String>,
            url: Option<String>,
            webview_height_ratio: Option<WebviewHeight>,
            messenger_extensions: Option<bool>,
            fallback_url: Option<String>,
            call_to_actions: Option<Vec<MenuItem>>,
        }
        let value = serde_json::Value::deserialize(d)?;
        let Ok(fields) = Fields::deserialize(&value) else { return Ok(Self::Unknown(value)) };
        Ok(match (fields.kind.as_deref(), fields.title) {
            (Some("postback"), Some(title)) => {
                Self::Postback { title, payload: fields.payload.unwrap_or_default() }
            }
            (Some("web_url"), Some(title)) if fields.url.is_some() => Self::WebUrl {
                title,
                url: fields.url.unwrap_or_default(),
                webview_height_ratio: fields.webview_height_ratio,
                messenger_extensions: fields.messenger_extensions,
                fallback_url: fields.fallback_url,
            },
            (Some("nested"), Some(title)) => {
                Self::Nested { title, call_to_actions: fields.call_to_actions.unwrap_or_default() }
            }
            _ => Self::Unknown(value),
        })
    }
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
    /// A menu for a locale.
    pub fn new(locale: impl Into<String>, items: impl IntoIterator<Item = MenuItem>) -> Self {
        Self {
            locale: locale.into(),
            composer_input_disabled: false,
            call_to_actions: items.into_iter().collect(),
        }
    }

    /// Hides the text composer: the user answers with the menu only.
    #[must_use]
    pub fn composer_input_disabled(mut self) -> Self {
        self.composer_input_disabled = true;
        self
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
