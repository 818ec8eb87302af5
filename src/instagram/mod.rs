//! Instagram Messaging.
//!
//! [`Instagram`] (`client.instagram(account_id)`) works with both logins:
//! - Facebook Login (default): calls go to `graph.facebook.com` on the linked **Page id** with
//!   a Page token;
//! - Instagram Login ([`Instagram::with_instagram_login`]): calls go to `graph.instagram.com` on
//!   the Instagram account id (or `me`) with an Instagram user token.
//!
//! It sends text (≤ 1000 bytes), media by URL or saved id, several images, the heart sticker,
//! quick replies, generic and button templates, private replies to comments, tagged
//! (`HUMAN_AGENT`) messages; reacts and unreacts; shows typing and seen; manages ice breakers;
//! reads user profiles and conversations. Outbound models are shared with Messenger
//! ([`crate::messenger::message`]); [`webhook`] holds the change models.
//!
//! ```no_run
//! # async fn run() -> Result<(), meta_messaging::Error> {
//! use meta_messaging::Client;
//! use meta_messaging::instagram::{Message, Recipient};
//!
//! let ig = Client::new("IGAA-user-token").instagram("17841400000000000").with_instagram_login();
//! ig.send("1234567890123456", Message::text("Thanks for writing!")).await?;
//! ig.send(Recipient::comment("17890000000000001"), Message::text("We sent you a DM")).await?;
//! # Ok(()) }
//! ```

#[doc(inline)]
pub use meta_messaging_model::instagram::webhook;
pub use meta_messaging_model::instagram::{Igsid, InstagramAccountId, InstagramMediaId};

use serde::Deserialize;

use reqwest::Method;

use crate::Client;
use crate::graph::{Ack, GraphRequest, Host, Page};
use crate::graph::{Guards, Platform, SendGuard};
use crate::messenger::SendTarget;
use crate::messenger::handover::Handover;
pub use crate::messenger::message::{
    Attachment, AttachmentKind, Button, Element, Message, MessageTag, MessagingType, NotificationType,
    QuickReply, Recipient, SendResponse, SenderAction, StructuredTemplate,
};
use crate::messenger::profile::Created;
use crate::messenger::profile::{
    ConversationMessage, ConversationSummary, INSTAGRAM_PROFILE_FIELDS, IceBreakers, InstagramProfile,
    MessengerProfile, MessengerProfileResponse, ProfileResult,
};
pub use meta_messaging_model::messenger::{CommentId, Mid};

impl From<Igsid> for Recipient {
    fn from(id: Igsid) -> Self {
        Self::Id(id.into_string())
    }
}

impl From<&Igsid> for Recipient {
    fn from(id: &Igsid) -> Self {
        Self::Id(id.as_str().to_owned())
    }
}

/// The fields read by [`Instagram::comments`].
pub const COMMENT_FIELDS: &str = "id,text,timestamp,username,hidden";

/// A comment on a media, from [`Instagram::comments`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MediaComment {
    /// Its id: reply to it, hide it, delete it, or answer its author privately.
    pub id: Option<CommentId>,
    /// Its text.
    pub text: Option<String>,
    /// When it was written (ISO 8601).
    pub timestamp: Option<String>,
    /// The author's username.
    pub username: Option<String>,
    /// Whether it is hidden.
    pub hidden: Option<bool>,
}

/// The `platform` parameter of Instagram's Messenger-profile calls.
const PLATFORM: Option<&str> = Some("instagram");

impl Client {
    /// The Instagram handle of an account: the linked Page id with Facebook Login (the
    /// default), or the Instagram account id after
    /// [`with_instagram_login`](Instagram::with_instagram_login).
    pub fn instagram(&self, account_id: impl Into<InstagramAccountId>) -> Instagram {
        let account_id = account_id.into();
        Instagram {
            target: SendTarget {
                client: self.clone(),
                host: Host::Facebook,
                node: account_id.as_str().to_owned(),
                platform: Platform::Instagram,
                guards: Guards::default(),
            },
            account_id,
        }
    }
}

/// An Instagram professional account. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Instagram {
    target: SendTarget,
    account_id: InstagramAccountId,
}

impl Instagram {
    /// Uses Instagram Login: `graph.instagram.com` and an Instagram user token.
    #[must_use]
    pub fn with_instagram_login(mut self) -> Self {
        self.target.host = Host::Instagram;
        self
    }

    /// Adds a [`SendGuard`] that every message send passes before its request, in the order
    /// added; a [`WindowTracker`](crate::pacing::WindowTracker) applies the same windows as for
    /// Messenger (24 hours; 7 days with `HUMAN_AGENT`).
    #[must_use]
    pub fn with_guard(mut self, guard: impl SendGuard + 'static) -> Self {
        self.target.guards.push(std::sync::Arc::new(guard));
        self
    }

    /// Whether the handle uses Instagram Login.
    pub fn is_instagram_login(&self) -> bool {
        self.target.host == Host::Instagram
    }

    /// The account (or Page) id in request paths.
    pub fn account_id(&self) -> &InstagramAccountId {
        &self.account_id
    }

    /// Sends a message; Instagram's limits (1000-byte text, 10 images, `HUMAN_AGENT` only) are
    /// checked first. A [`Recipient::comment`] sends a private reply to a comment.
    pub fn send(&self, to: impl Into<Recipient>, message: Message) -> GraphRequest<SendResponse> {
        self.target.send(to.into(), message)
    }

    /// Sends a text message.
    pub fn send_text(&self, to: impl Into<Recipient>, text: impl Into<String>) -> GraphRequest<SendResponse> {
        self.send(to, Message::text(text))
    }

    /// A private reply to a comment (one per comment, within 7 days).
    pub fn private_reply(
        &self,
        comment_id: impl Into<CommentId>,
        text: impl Into<String>,
    ) -> GraphRequest<SendResponse> {
        self.send(Recipient::comment(comment_id), Message::text(text))
    }

    /// Shows typing, hides it, or marks the conversation seen.
    pub fn sender_action(
        &self,
        to: impl Into<Recipient>,
        action: SenderAction,
    ) -> GraphRequest<SendResponse> {
        self.target.sender_action(to.into(), action)
    }

    /// Reacts to a message (`love` or any emoji).
    pub fn react(
        &self,
        to: impl Into<Recipient>,
        mid: impl Into<Mid>,
        reaction: impl Into<String>,
    ) -> GraphRequest<SendResponse> {
        self.target.react(&to.into(), &mid.into(), Some(&reaction.into()))
    }

    /// Removes the reaction.
    pub fn unreact(&self, to: impl Into<Recipient>, mid: impl Into<Mid>) -> GraphRequest<SendResponse> {
        self.target.react(&to.into(), &mid.into(), None)
    }

    /// The top-level comments of a media, newest first, 50 a page.
    pub fn comments(&self, media_id: impl Into<InstagramMediaId>) -> GraphRequest<Page<MediaComment>> {
        let mut spec = self.target.node_spec(Method::GET, media_id.into().as_str(), Some("comments"));
        spec.query.push(("fields".into(), COMMENT_FIELDS.to_owned()));
        self.target.request(spec)
    }

    /// Replies publicly to a top-level comment (`POST /{comment-id}/replies`); answers the new
    /// comment's id.
    pub fn reply_to_comment(
        &self,
        comment_id: impl Into<CommentId>,
        message: impl Into<String>,
    ) -> GraphRequest<Created> {
        let message = message.into();
        let mut spec = self.target.node_spec(Method::POST, comment_id.into().as_str(), Some("replies"));
        if let Err(invalid) = crate::graph::validate::not_empty("message", &message) {
            spec.fail(invalid.into());
        }
        spec.query.push(("message".into(), message));
        self.target.request(spec)
    }

    /// Hides a comment from everyone but its author (`hide=true`), or shows it again.
    pub fn hide_comment(&self, comment_id: impl Into<CommentId>, hide: bool) -> GraphRequest<Ack> {
        let mut spec = self.target.node_spec(Method::POST, comment_id.into().as_str(), None);
        spec.query.push(("hide".into(), hide.to_string()));
        spec.idempotent = true;
        self.target.request(spec)
    }

    /// Deletes a comment on one of the account's media.
    pub fn delete_comment(&self, comment_id: impl Into<CommentId>) -> GraphRequest<Ack> {
        self.target.request(self.target.node_spec(Method::DELETE, comment_id.into().as_str(), None))
    }

    /// Thread control of the account's conversations (pass, take, request, release, owner).
    pub fn handover(&self) -> Handover<'_> {
        Handover::new(&self.target)
    }

    /// Reads the ice breakers.
    pub fn ice_breakers(&self) -> GraphRequest<MessengerProfileResponse> {
        self.target.messenger_profile(&["ice_breakers"], PLATFORM)
    }

    /// Sets the ice breakers (≤ 4 questions per locale; a `default` locale is required).
    pub fn set_ice_breakers(&self, ice_breakers: Vec<IceBreakers>) -> GraphRequest<ProfileResult> {
        let profile = MessengerProfile { ice_breakers: Some(ice_breakers), ..MessengerProfile::default() };
        self.target.set_messenger_profile(&profile, PLATFORM)
    }

    /// Deletes the ice breakers.
    pub fn delete_ice_breakers(&self) -> GraphRequest<ProfileResult> {
        self.target.delete_messenger_profile(&["ice_breakers"], PLATFORM)
    }

    /// An Instagram user's profile (the user must have messaged the account).
    pub fn user_profile(&self, igsid: impl Into<Igsid>) -> GraphRequest<InstagramProfile> {
        let mut spec = self.target.node_spec(Method::GET, igsid.into().as_str(), None);
        spec.query.push(("fields".into(), INSTAGRAM_PROFILE_FIELDS.to_owned()));
        self.target.request(spec)
    }

    /// The account's Instagram conversations, paged.
    pub fn conversations(&self) -> GraphRequest<Page<ConversationSummary>> {
        self.target.conversations("instagram", None)
    }

    /// The account's conversation with one user.
    pub fn conversations_with(&self, user: impl Into<Igsid>) -> GraphRequest<Page<ConversationSummary>> {
        self.target.conversations("instagram", Some(user.into().into_string()))
    }

    /// A message of a conversation (details only for the 20 most recent).
    pub fn conversation_message(&self, message_id: impl Into<Mid>) -> GraphRequest<ConversationMessage> {
        self.target.conversation_message(&message_id.into())
    }
}
