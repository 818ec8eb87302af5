//! Thread control between the apps of a Page or Instagram account: pass, take, request and
//! release a conversation, and read who owns it.
//!
//! Meta moved every Page to [Conversation Routing](https://developers.facebook.com/docs/messenger-platform/conversation-routing)
//! in 2025, which keeps most of the [Handover Protocol](https://developers.facebook.com/docs/messenger-platform/reference/handover-protocol)
//! API working; a Page where an edge is disabled answers with a Graph error saying so.

use reqwest::Method;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::message::Recipient;
use super::{Messenger, SendTarget};
use crate::graph::serde_util::opt_string_or_integer;
use crate::graph::{GraphRequest, Page};

/// The app id of the Page Inbox, a `target_app_id` that hands a conversation to people.
pub const PAGE_INBOX_APP_ID: &str = "263902037430900";

/// The app id of the Instagram Inbox.
pub const INSTAGRAM_INBOX_APP_ID: &str = "1217981644879628";

/// The answer to a thread-control call: `{"success": true}`, or (for a take under
/// Conversation Routing) the new owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadControlResult {
    /// Whether Meta accepted the call.
    pub success: bool,
    /// The owner after the call, when Meta says.
    pub thread_owner: Option<ThreadOwner>,
}

/// The app that controls a conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ThreadOwner {
    /// Its app id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub app_id: Option<String>,
    /// When its control ends (Unix seconds), under Conversation Routing.
    pub expiration: Option<i64>,
}

#[derive(Deserialize)]
struct OwnerItem {
    #[serde(default)]
    thread_owner: Option<ThreadOwner>,
}

/// `{"data": [{"thread_owner": {...}}]}`, as `thread_owner` and a routed take answer.
#[derive(Deserialize)]
struct OwnerData {
    #[serde(default)]
    data: Vec<OwnerItem>,
}

impl<'de> Deserialize<'de> for ThreadControlResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default)]
            success: Option<bool>,
            #[serde(default)]
            data: Option<Vec<OwnerItem>>,
        }
        let fields = Fields::deserialize(d)?;
        let thread_owner = fields.data.and_then(|items| items.into_iter().find_map(|i| i.thread_owner));
        Ok(Self { success: fields.success.unwrap_or(thread_owner.is_some()), thread_owner })
    }
}

/// The owner of one conversation, from `thread_owner`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadOwnerAnswer {
    /// The owner; `None` when Meta names none (an idle thread).
    pub owner: Option<ThreadOwner>,
}

impl<'de> Deserialize<'de> for ThreadOwnerAnswer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = OwnerData::deserialize(d)?;
        Ok(Self { owner: data.data.into_iter().find_map(|i| i.thread_owner) })
    }
}

/// An app with a secondary-receiver role on the Page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SecondaryReceiver {
    /// Its app id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
}

/// `target_app_id` as Meta's examples send it: a number when the id is numeric.
fn app_id_value(app_id: &str) -> serde_json::Value {
    app_id.parse::<u64>().map_or_else(|_| app_id.into(), Into::into)
}

impl SendTarget {
    fn thread_control(
        &self,
        edge: &'static str,
        to: &Recipient,
        target_app_id: Option<&str>,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        let mut spec = self.spec(Method::POST, Some(edge));
        let mut body = json!({ "recipient": to });
        if let Some(app_id) = target_app_id {
            body["target_app_id"] = app_id_value(app_id);
        }
        if let Some(metadata) = metadata {
            body["metadata"] = metadata.into();
        }
        if let Err(invalid) = to.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(&body);
        self.request(spec)
    }

    pub(crate) fn pass_thread_control(
        &self,
        to: &Recipient,
        target_app_id: &str,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        self.thread_control("pass_thread_control", to, Some(target_app_id), metadata)
    }

    pub(crate) fn take_thread_control(
        &self,
        to: &Recipient,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        self.thread_control("take_thread_control", to, None, metadata)
    }

    pub(crate) fn request_thread_control(
        &self,
        to: &Recipient,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        self.thread_control("request_thread_control", to, None, metadata)
    }

    pub(crate) fn release_thread_control(&self, to: &Recipient) -> GraphRequest<ThreadControlResult> {
        self.thread_control("release_thread_control", to, None, None)
    }

    pub(crate) fn thread_owner(&self, user: &str) -> GraphRequest<ThreadOwnerAnswer> {
        let mut spec = self.spec(Method::GET, Some("thread_owner"));
        spec.query.push(("recipient".into(), user.to_owned()));
        self.request(spec)
    }

    pub(crate) fn secondary_receivers(&self) -> GraphRequest<Page<SecondaryReceiver>> {
        let mut spec = self.spec(Method::GET, Some("secondary_receivers"));
        spec.query.push(("fields".into(), "id,name".to_owned()));
        self.request(spec)
    }
}

/// Thread control of a Page's (or Instagram account's) conversations, from
/// [`Messenger::handover`] or [`Instagram::handover`](crate::instagram::Instagram::handover).
#[derive(Clone, Copy, Debug)]
pub struct Handover<'a> {
    target: &'a SendTarget,
}

impl<'a> Handover<'a> {
    pub(crate) fn new(target: &'a SendTarget) -> Self {
        Self { target }
    }

    /// Hands the conversation with `to` to another app (`target_app_id`, such as
    /// [`PAGE_INBOX_APP_ID`] or [`INSTAGRAM_INBOX_APP_ID`]), with optional metadata for it.
    pub fn pass(
        &self,
        to: impl Into<Recipient>,
        target_app_id: impl Into<String>,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        self.target.pass_thread_control(&to.into(), &target_app_id.into(), metadata)
    }

    /// Takes the conversation back (the primary receiver only).
    pub fn take(
        &self,
        to: impl Into<Recipient>,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        self.target.take_thread_control(&to.into(), metadata)
    }

    /// Asks the owner of the conversation to pass it to this app.
    pub fn request(
        &self,
        to: impl Into<Recipient>,
        metadata: Option<String>,
    ) -> GraphRequest<ThreadControlResult> {
        self.target.request_thread_control(&to.into(), metadata)
    }

    /// Gives up control of the conversation (to the default app).
    pub fn release(&self, to: impl Into<Recipient>) -> GraphRequest<ThreadControlResult> {
        self.target.release_thread_control(&to.into())
    }

    /// The app that controls the conversation with `user` (a [`Psid`](super::Psid) or an IGSID).
    pub fn owner(&self, user: impl AsRef<str>) -> GraphRequest<ThreadOwnerAnswer> {
        self.target.thread_owner(user.as_ref())
    }

    /// The apps with a secondary-receiver role (the primary receiver only).
    pub fn secondary_receivers(&self) -> GraphRequest<Page<SecondaryReceiver>> {
        self.target.secondary_receivers()
    }
}

impl Messenger {
    /// Thread control of the Page's conversations (pass, take, request, release, owner).
    pub fn handover(&self) -> Handover<'_> {
        Handover::new(&self.target)
    }
}
