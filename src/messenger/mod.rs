//! Messenger Platform.
//!
//! [`Messenger`] (`client.messenger(page_id)`) sends with the Send API (text, attachments by URL,
//! saved id or upload, several images, generic/button/media templates, quick replies, reply
//! context, personas, tags, utility templates), shows typing and seen indicators, reacts, saves
//! attachments for reuse, manages personas and the Messenger profile (get started, greeting,
//! persistent menu, ice breakers, whitelisted domains), reads user profiles and conversations.
//! [`message`] holds the outbound models (shared with Instagram); [`webhook`] the inbound ones.
//!
//! ```no_run
//! # async fn run() -> Result<(), meta_messaging::Error> {
//! use meta_messaging::Client;
//! use meta_messaging::messenger::{Message, QuickReply};
//!
//! let page = Client::new("EAAG-page-token").messenger("496827783153891");
//! page.send("4146131322999601", Message::text("Which size?").quick_reply(QuickReply::text("M", "SIZE_M"))).await?;
//! # Ok(()) }
//! ```

pub mod handover;
pub mod marketing;
pub mod message;
pub mod profile;
pub mod templates;
#[doc(inline)]
pub use meta_messaging_model::messenger::webhook;
pub use meta_messaging_model::messenger::{CommentId, Mid, PageId, PersonaId, Psid};

pub use self::message::{
    Attachment, AttachmentKind, Button, Element, Message, MessageTag, MessagingType, NotificationType,
    QuickReply, Recipient, SendResponse, SenderAction, StructuredTemplate,
};

use reqwest::Method;
use serde_json::json;

use self::message::SendBody;
use self::profile::{
    ConversationMessage, ConversationSummary, Created, MenuItem, MessengerProfile, MessengerProfileResponse,
    Persona, ProfileResult, SavedAttachment, UserProfile,
};
use crate::Client;
use crate::graph::{
    Ack, Error, GraphRequest, Guards, HUMAN_AGENT_WINDOW, Host, Multipart, Outbound, Page, Platform,
    RequestSpec, STANDARD_WINDOW, SendGuard, ValidationError, Violation, WindowRule,
};

/// The fields of a Messenger user profile that need no extra feature approval.
pub const USER_PROFILE_FIELDS: &str = "first_name,last_name,profile_pic";

/// A send or profile call, built once for both Messenger and Instagram.
#[derive(Clone, Debug)]
pub(crate) struct SendTarget {
    pub(crate) client: Client,
    pub(crate) host: Host,
    pub(crate) node: String,
    pub(crate) platform: Platform,
    pub(crate) guards: Guards,
}

/// The window a `RESPONSE` or `UPDATE` send needs.
const STANDARD: WindowRule =
    WindowRule::new(STANDARD_WINDOW, "use the HUMAN_AGENT tag or a utility template");

/// The window a tagged send needs.
const HUMAN_AGENT: WindowRule = WindowRule::new(HUMAN_AGENT_WINDOW, "only a utility template may go");

impl SendTarget {
    pub(crate) fn spec(&self, method: Method, edge: Option<&str>) -> RequestSpec {
        self.node_spec(method, &self.node, edge)
    }

    /// A request on another node (a PSID, a persona, a message) of the same host.
    pub(crate) fn node_spec(&self, method: Method, id: &str, edge: Option<&str>) -> RequestSpec {
        let mut spec = RequestSpec::node(method, id, edge);
        if let crate::graph::Target::Graph { host, .. } = &mut spec.target {
            *host = self.host;
        }
        spec
    }

    pub(crate) fn request<T>(&self, spec: RequestSpec) -> GraphRequest<T> {
        GraphRequest::from_spec(self.client.clone(), spec)
    }

    pub(crate) fn send(&self, to: Recipient, message: Message) -> GraphRequest<SendResponse> {
        let mut spec = self.spec(Method::POST, Some("messages"));
        spec.gate = self.guards.gate(|| {
            let window = match (&to, message.messaging_type()) {
                (Recipient::Id(_), MessagingType::Response | MessagingType::Update) => Some(STANDARD),
                (Recipient::Id(_), MessagingType::MessageTag(_)) => Some(HUMAN_AGENT),
                _ => None,
            };
            Outbound::new(self.platform, self.node.as_str(), to.key()).with_window(window)
        });
        match to.validate().and_then(|()| message.validate_for(self.platform)) {
            Ok(()) => spec.set_json(&SendBody { to, message }),
            Err(violation) => spec.fail(Error::from(violation)),
        }
        self.request(spec)
    }

    #[allow(clippy::needless_pass_by_value)] // owned like every send argument; serialized by reference
    pub(crate) fn sender_action(&self, to: Recipient, action: SenderAction) -> GraphRequest<SendResponse> {
        let mut spec = self.spec(Method::POST, Some("messages"));
        spec.set_json(&json!({"recipient": to, "sender_action": action}));
        spec.idempotent = true;
        self.request(spec)
    }

    pub(crate) fn react(
        &self,
        to: &Recipient,
        mid: &Mid,
        reaction: Option<&str>,
    ) -> GraphRequest<SendResponse> {
        let mut spec = self.spec(Method::POST, Some("messages"));
        let body = match reaction {
            Some(emoji) => {
                json!({"recipient": to, "sender_action": "react", "payload": {"message_id": mid, "reaction": emoji}})
            }
            None => json!({"recipient": to, "sender_action": "unreact", "payload": {"message_id": mid}}),
        };
        spec.set_json(&body);
        spec.idempotent = true;
        if mid.as_str().trim().is_empty() {
            spec.fail(ValidationError::new("payload.message_id", Violation::Missing).into());
        }
        self.request(spec)
    }

    pub(crate) fn messenger_profile(
        &self,
        fields: &[&str],
        platform: Option<&str>,
    ) -> GraphRequest<MessengerProfileResponse> {
        let mut spec = self.spec(Method::GET, Some("messenger_profile"));
        spec.query.push(("fields".into(), fields.join(",")));
        if let Some(platform) = platform {
            spec.query.push(("platform".into(), platform.to_owned()));
        }
        self.request(spec)
    }

    pub(crate) fn set_messenger_profile(
        &self,
        profile: &MessengerProfile,
        platform: Option<&str>,
    ) -> GraphRequest<ProfileResult> {
        let mut spec = self.spec(Method::POST, Some("messenger_profile"));
        let mut body = serde_json::to_value(profile).unwrap_or_default();
        if let Some(platform) = platform {
            body["platform"] = platform.into();
            spec.query.push(("platform".into(), platform.to_owned()));
        }
        spec.set_json(&body);
        spec.idempotent = true;
        if let Err(violation) = validate_profile(profile) {
            spec.fail(violation.into());
        }
        self.request(spec)
    }

    pub(crate) fn delete_messenger_profile(
        &self,
        fields: &[&str],
        platform: Option<&str>,
    ) -> GraphRequest<ProfileResult> {
        let mut spec = self.spec(Method::DELETE, Some("messenger_profile"));
        let mut body = json!({"fields": fields});
        if let Some(platform) = platform {
            body["platform"] = platform.into();
            spec.query.push(("platform".into(), platform.to_owned()));
        }
        spec.set_json(&body);
        self.request(spec)
    }

    pub(crate) fn conversation_message(&self, message_id: &Mid) -> GraphRequest<ConversationMessage> {
        let mut spec = self.node_spec(Method::GET, message_id.as_str(), None);
        spec.query.push(("fields".into(), "id,created_time,from,to,message".to_owned()));
        self.request(spec)
    }

    pub(crate) fn conversations(
        &self,
        platform: &str,
        user_id: Option<String>,
    ) -> GraphRequest<Page<ConversationSummary>> {
        let mut spec = self.spec(Method::GET, Some("conversations"));
        spec.query.push(("platform".into(), platform.to_owned()));
        if let Some(user) = user_id {
            spec.query.push(("user_id".into(), user));
        }
        self.request(spec)
    }
}

fn validate_menu_item(item: &MenuItem) -> Result<(), ValidationError> {
    use crate::graph::validate::{max_chars, not_empty};
    match item {
        MenuItem::Postback { title, payload } => {
            not_empty("persistent_menu.call_to_actions.title", title)?;
            max_chars("persistent_menu.call_to_actions.title", title, 30)?;
            max_chars("persistent_menu.call_to_actions.payload", payload, 1000)
        }
        MenuItem::WebUrl { title, url, messenger_extensions, fallback_url, .. } => {
            not_empty("persistent_menu.call_to_actions.title", title)?;
            max_chars("persistent_menu.call_to_actions.title", title, 30)?;
            if fallback_url.is_some() && *messenger_extensions != Some(true) {
                return Err(ValidationError::new(
                    "persistent_menu.call_to_actions.fallback_url",
                    Violation::Invalid("only with messenger_extensions".into()),
                ));
            }
            if url.starts_with("https://") || url.starts_with("http://") {
                Ok(())
            } else {
                Err(ValidationError::new(
                    "persistent_menu.call_to_actions.url",
                    Violation::Invalid("must be an http(s) url".into()),
                ))
            }
        }
        MenuItem::Nested { .. } => Err(ValidationError::new(
            "persistent_menu.call_to_actions.type",
            Violation::Invalid(
                "nested menus were removed in Graph API v8.0 (all versions since 2022-08-04)".into(),
            ),
        )),
        _ => Ok(()),
    }
}

fn validate_profile(profile: &MessengerProfile) -> Result<(), ValidationError> {
    use crate::graph::validate::{max_chars, max_items};
    if let Some(greetings) = &profile.greeting {
        if !greetings.iter().any(|g| g.locale == "default") {
            return Err(ValidationError::new(
                "greeting",
                Violation::Invalid("a default locale is required".into()),
            ));
        }
        for greeting in greetings {
            max_chars("greeting.text", &greeting.text, 160)?;
        }
    }
    if let Some(ice_breakers) = &profile.ice_breakers {
        if !ice_breakers.iter().any(|i| i.locale == "default") {
            return Err(ValidationError::new(
                "ice_breakers",
                Violation::Invalid("a default locale is required".into()),
            ));
        }
        for locale in ice_breakers {
            max_items("ice_breakers.call_to_actions", locale.call_to_actions.len(), 4)?;
        }
    }
    if let Some(menus) = &profile.persistent_menu {
        if !menus.iter().any(|m| m.locale == "default") {
            return Err(ValidationError::new(
                "persistent_menu",
                Violation::Invalid("a default locale is required".into()),
            ));
        }
        for menu in menus {
            max_items("persistent_menu.call_to_actions", menu.call_to_actions.len(), 20)?;
            if menu.composer_input_disabled && menu.call_to_actions.is_empty() {
                return Err(ValidationError::new(
                    "persistent_menu.call_to_actions",
                    Violation::Invalid("required when the composer is disabled".into()),
                ));
            }
            for item in &menu.call_to_actions {
                validate_menu_item(item)?;
            }
        }
    }
    if let Some(domains) = &profile.whitelisted_domains {
        max_items("whitelisted_domains", domains.len(), 50)?;
        if domains.iter().any(|d| !d.starts_with("https://")) {
            return Err(ValidationError::new(
                "whitelisted_domains",
                Violation::Invalid("https urls only".into()),
            ));
        }
    }
    Ok(())
}

impl Client {
    /// The Messenger handle of a Page (use the Page's access token).
    pub fn messenger(&self, page_id: impl Into<PageId>) -> Messenger {
        let page_id = page_id.into();
        Messenger {
            target: SendTarget {
                client: self.clone(),
                host: Host::Facebook,
                node: page_id.as_str().to_owned(),
                platform: Platform::Messenger,
                guards: Guards::default(),
            },
            page_id,
        }
    }
}

/// A Facebook Page on the Messenger Platform. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Messenger {
    target: SendTarget,
    page_id: PageId,
}

impl Messenger {
    /// Adds a [`SendGuard`] that every message send passes before its request, in the order
    /// added. A [`WindowTracker`](crate::pacing::WindowTracker) refuses sends outside the
    /// window: `RESPONSE` and `UPDATE` need the user's message within 24 hours, a `HUMAN_AGENT`
    /// tag within 7 days; utility templates always go.
    #[must_use]
    pub fn with_guard(mut self, guard: impl SendGuard + 'static) -> Self {
        self.target.guards.push(std::sync::Arc::new(guard));
        self
    }

    /// The Page id.
    pub fn page_id(&self) -> &PageId {
        &self.page_id
    }

    /// Sends a message (`POST /{page-id}/messages`); Messenger's limits are checked first.
    pub fn send(&self, to: impl Into<Recipient>, message: Message) -> GraphRequest<SendResponse> {
        self.target.send(to.into(), message)
    }

    /// Sends a text message.
    pub fn send_text(&self, to: impl Into<Recipient>, text: impl Into<String>) -> GraphRequest<SendResponse> {
        self.send(to, Message::text(text))
    }

    /// Shows typing, hides it, or marks the conversation seen.
    pub fn sender_action(
        &self,
        to: impl Into<Recipient>,
        action: SenderAction,
    ) -> GraphRequest<SendResponse> {
        self.target.sender_action(to.into(), action)
    }

    /// Reacts to a message with an emoji (sending again with another emoji changes it).
    pub fn react(
        &self,
        to: impl Into<Recipient>,
        mid: impl Into<Mid>,
        emoji: impl Into<String>,
    ) -> GraphRequest<SendResponse> {
        self.target.react(&to.into(), &mid.into(), Some(&emoji.into()))
    }

    /// Removes the Page's reaction from a message.
    pub fn unreact(&self, to: impl Into<Recipient>, mid: impl Into<Mid>) -> GraphRequest<SendResponse> {
        self.target.react(&to.into(), &mid.into(), None)
    }

    /// Uploads a file and sends it in one call (multipart, `messaging_type=RESPONSE`); `reusable`
    /// also saves it (the response then carries `attachment_id`). For other messaging types,
    /// tags or personas, upload with [`upload_attachment`](Self::upload_attachment) and send the
    /// attachment id with [`send`](Self::send).
    #[allow(clippy::needless_pass_by_value)] // the kind is owned like every other argument
    pub fn send_upload(
        &self,
        to: impl Into<Recipient>,
        kind: AttachmentKind,
        file: impl Into<bytes::Bytes>,
        mime: impl Into<String>,
        file_name: impl Into<String>,
        reusable: bool,
    ) -> GraphRequest<SendResponse> {
        let to = to.into();
        let mut spec = self.target.spec(Method::POST, Some("messages"));
        // The same guards as every other send: pacing and the standard messaging window (the
        // upload goes as a `RESPONSE`).
        spec.gate = self.target.guards.gate(|| {
            let window = matches!(to, Recipient::Id(_)).then_some(STANDARD);
            Outbound::new(self.target.platform, self.target.node.as_str(), to.key()).with_window(window)
        });
        if let Err(invalid) = to.validate() {
            spec.fail(invalid.into());
        }
        let message = json!({"attachment": {"type": kind, "payload": {"is_reusable": reusable}}});
        // `messaging_type` is required by the Send API, in a form as in JSON.
        let form = Multipart::new()
            .text("recipient", to.to_json())
            .text("messaging_type", "RESPONSE")
            .text("message", message.to_string())
            .file("filedata", file, Some(file_name.into()), mime);
        self.target.request(spec).multipart(form)
    }

    /// Saves an attachment from a URL for reuse (`POST /{page-id}/message_attachments`).
    pub fn save_attachment(&self, attachment: &Attachment) -> GraphRequest<SavedAttachment> {
        #[derive(serde::Serialize)]
        struct Body {
            message: SavedMessage,
        }
        #[derive(serde::Serialize)]
        struct SavedMessage {
            attachment: Attachment,
        }
        let mut spec = self.target.spec(Method::POST, Some("message_attachments"));
        let attachment = attachment.clone().reusable();
        if let Err(invalid) = attachment.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(&Body { message: SavedMessage { attachment } });
        self.target.request(spec)
    }

    /// Uploads a file for reuse (multipart `filedata`).
    #[allow(clippy::needless_pass_by_value)] // the kind is owned like every other argument
    pub fn upload_attachment(
        &self,
        kind: AttachmentKind,
        file: impl Into<bytes::Bytes>,
        mime: impl Into<String>,
        file_name: impl Into<String>,
    ) -> GraphRequest<SavedAttachment> {
        let message = json!({"attachment": {"type": kind, "payload": {"is_reusable": true}}});
        let form = Multipart::new().text("message", message.to_string()).file(
            "filedata",
            file,
            Some(file_name.into()),
            mime,
        );
        self.target.request(self.target.spec(Method::POST, Some("message_attachments"))).multipart(form)
    }

    /// Creates a persona (name ≤ 50 characters).
    pub fn create_persona(
        &self,
        name: impl Into<String>,
        profile_picture_url: impl Into<String>,
    ) -> GraphRequest<Created> {
        let name = name.into();
        let mut spec = self.target.spec(Method::POST, Some("personas"));
        spec.set_json(&json!({"name": name, "profile_picture_url": profile_picture_url.into()}));
        if let Err(violation) = crate::graph::validate::not_empty("name", &name)
            .and_then(|()| crate::graph::validate::max_chars("name", &name, 50))
        {
            spec.fail(violation.into());
        }
        self.target.request(spec)
    }

    /// A persona by id.
    pub fn persona(&self, persona_id: impl Into<PersonaId>) -> GraphRequest<Persona> {
        self.target.request(self.target.node_spec(Method::GET, persona_id.into().as_str(), None))
    }

    /// The Page's personas, paged.
    pub fn personas(&self) -> GraphRequest<Page<Persona>> {
        self.target.request(self.target.spec(Method::GET, Some("personas")))
    }

    /// Deletes a persona.
    pub fn delete_persona(&self, persona_id: impl Into<PersonaId>) -> GraphRequest<Ack> {
        self.target.request(self.target.node_spec(Method::DELETE, persona_id.into().as_str(), None))
    }

    /// A user's profile ([`USER_PROFILE_FIELDS`] unless more are asked with `.fields(..)`).
    pub fn user_profile(&self, psid: impl Into<Psid>) -> GraphRequest<UserProfile> {
        let mut spec = self.target.node_spec(Method::GET, psid.into().as_str(), None);
        spec.query.push(("fields".into(), USER_PROFILE_FIELDS.to_owned()));
        self.target.request(spec)
    }

    /// Reads Messenger profile properties (`get_started`, `greeting`, `ice_breakers`,
    /// `persistent_menu`, `whitelisted_domains`).
    pub fn messenger_profile(&self, fields: &[&str]) -> GraphRequest<MessengerProfileResponse> {
        self.target.messenger_profile(fields, None)
    }

    /// Sets Messenger profile properties (Meta allows 10 calls per 10 minutes per Page).
    pub fn set_messenger_profile(&self, profile: &MessengerProfile) -> GraphRequest<ProfileResult> {
        self.target.set_messenger_profile(profile, None)
    }

    /// Deletes Messenger profile properties.
    pub fn delete_messenger_profile(&self, fields: &[&str]) -> GraphRequest<ProfileResult> {
        self.target.delete_messenger_profile(fields, None)
    }

    /// The Page's Messenger conversations, paged.
    pub fn conversations(&self) -> GraphRequest<Page<ConversationSummary>> {
        self.target.conversations("messenger", None)
    }

    /// The Page's conversation with one user.
    pub fn conversations_with(&self, user: impl Into<Psid>) -> GraphRequest<Page<ConversationSummary>> {
        self.target.conversations("messenger", Some(user.into().into_string()))
    }

    /// A message of a conversation (details only for the 20 most recent).
    pub fn conversation_message(&self, message_id: impl Into<Mid>) -> GraphRequest<ConversationMessage> {
        self.target.conversation_message(&message_id.into())
    }
}
