//! Typed models of Messenger Platform webhooks (`object = "page"`), shared by Instagram
//! Messaging (`object = "instagram"`), which uses the same envelope.
//!
//! Shapes follow Meta's [Messenger Platform webhooks](https://developers.facebook.com/docs/messenger-platform/webhooks)
//! and [Instagram webhooks](https://developers.facebook.com/docs/instagram-platform/webhooks)
//! references as of Graph API v25.0 (2026). Each `messaging[]` or `standby[]` item carries one event, told apart by its key
//! (`message`, `postback`, `read`, ...); an unknown key is kept with its raw JSON. Timestamps
//! are milliseconds for messaging and seconds for Instagram `changes`; both are read into
//! [`Timestamp`].

mod calls;
mod changes;
mod messaging;

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::Timestamp;
use crate::envelope::{Cursor, EntryList, Envelope, EventSite, ItemLists};
use crate::graph::RawJson;
use crate::messenger::{CommentId, Mid};
use serde_json::Value;

use crate::graph::serde_util::{flag, null_as_empty, opt_string_or_integer, text_at};

pub use calls::PageCallEvent;
pub use changes::{
    Comment, CommentAuthor, CommentMedia, FeedActor, FeedChange, Mention, MessengerChange,
    MessengerChangeValue, StoryInsights,
};
pub use messaging::*;

/// A parsed Messenger or Instagram webhook body.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct MessengerPayload {
    /// Every `entry[]`, in order.
    pub entries: Vec<MessengerEntry>,
}

/// One `entry[]`: events of one Page or Instagram account.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessengerEntry {
    /// The Page id or Instagram professional account id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// When the batch was sent.
    pub time: Option<Timestamp>,
    /// Events for the app that owns the conversation.
    #[serde(deserialize_with = "null_as_empty")]
    pub messaging: Vec<Messaging>,
    /// Events for an app in standby (handover protocol): read them, do not answer them.
    #[serde(deserialize_with = "null_as_empty")]
    pub standby: Vec<Messaging>,
    /// Changes of subscribed fields (Instagram comments, mentions, ...).
    #[serde(deserialize_with = "null_as_empty")]
    pub changes: Vec<MessengerChange>,
    /// Calling events (Messenger calling's `calls` field).
    #[serde(deserialize_with = "null_as_empty")]
    pub calls: Vec<PageCallEvent>,
}

/// One `messaging[]` or `standby[]` item.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Messaging {
    /// Who triggered the event (PSID, IGSID, or a `user_ref`).
    pub sender: Option<Participant>,
    /// Who received it (usually the Page or Instagram account).
    pub recipient: Option<Participant>,
    /// When it happened.
    pub timestamp: Option<Timestamp>,
    /// The event.
    pub event: MessagingEvent,
}

/// A sender or recipient.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Participant {
    /// PSID, IGSID or Page id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// A user reference from the checkbox or chat plugin.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_ref: Option<String>,
}

impl Participant {
    /// The id, or the `user_ref` when there is no id.
    pub fn id_or_user_ref(&self) -> Option<&str> {
        self.id.as_deref().or(self.user_ref.as_deref())
    }
}

/// Keys of a messaging item.
enum ItemKey {
    Sender,
    Recipient,
    Timestamp,
    Event(EventKey),
    Other(String),
}

#[derive(Clone, Copy)]
enum EventKey {
    Message,
    MessageEdit,
    Postback,
    Delivery,
    Read,
    Reaction,
    Referral,
    Optin,
    AccountLinking,
    PassThreadControl,
    TakeThreadControl,
    RequestThreadControl,
    AppRoles,
    PolicyEnforcement,
    CallPermissionReply,
}

impl EventKey {
    fn name(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::MessageEdit => "message_edit",
            Self::Postback => "postback",
            Self::Delivery => "delivery",
            Self::Read => "read",
            Self::Reaction => "reaction",
            Self::Referral => "referral",
            Self::Optin => "optin",
            Self::AccountLinking => "account_linking",
            Self::PassThreadControl => "pass_thread_control",
            Self::TakeThreadControl => "take_thread_control",
            Self::RequestThreadControl => "request_thread_control",
            Self::AppRoles => "app_roles",
            Self::PolicyEnforcement => "policy_enforcement",
            Self::CallPermissionReply => "call_permission_reply",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "message" => Self::Message,
            "message_edit" => Self::MessageEdit,
            "postback" => Self::Postback,
            "delivery" => Self::Delivery,
            "read" => Self::Read,
            "reaction" => Self::Reaction,
            "referral" => Self::Referral,
            "optin" => Self::Optin,
            "account_linking" => Self::AccountLinking,
            "pass_thread_control" => Self::PassThreadControl,
            "take_thread_control" => Self::TakeThreadControl,
            "request_thread_control" => Self::RequestThreadControl,
            "app_roles" => Self::AppRoles,
            "policy_enforcement" => Self::PolicyEnforcement,
            "call_permission_reply" => Self::CallPermissionReply,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ItemKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ItemKey, E> {
                Ok(match v {
                    "sender" => ItemKey::Sender,
                    "recipient" => ItemKey::Recipient,
                    "timestamp" => ItemKey::Timestamp,
                    other => EventKey::from_name(other)
                        .map_or_else(|| ItemKey::Other(other.to_owned()), ItemKey::Event),
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

fn event_from<'de, A: MapAccess<'de>>(key: EventKey, map: &mut A) -> Result<MessagingEvent, A::Error> {
    use EventKey as K;
    Ok(match key {
        K::Message => MessagingEvent::Message(Box::new(map.next_value()?)),
        K::MessageEdit => MessagingEvent::MessageEdit(map.next_value()?),
        K::Postback => MessagingEvent::Postback(map.next_value()?),
        K::Delivery => MessagingEvent::Delivery(map.next_value()?),
        K::Read => MessagingEvent::Read(map.next_value()?),
        K::Reaction => MessagingEvent::Reaction(map.next_value()?),
        K::Referral => MessagingEvent::Referral(map.next_value()?),
        K::Optin => MessagingEvent::Optin(map.next_value()?),
        K::AccountLinking => MessagingEvent::AccountLinking(map.next_value()?),
        K::PassThreadControl => MessagingEvent::PassThreadControl(map.next_value()?),
        K::TakeThreadControl => MessagingEvent::TakeThreadControl(map.next_value()?),
        K::RequestThreadControl => MessagingEvent::RequestThreadControl(map.next_value()?),
        K::AppRoles => MessagingEvent::AppRoles(map.next_value()?),
        K::PolicyEnforcement => MessagingEvent::PolicyEnforcement(map.next_value()?),
        K::CallPermissionReply => MessagingEvent::CallPermissionReply(map.next_value()?),
    })
}

/// One pass over a messaging item: its known event key gives the event (should a malformed
/// item carry several, the key that sorts first; the last of a repeated key); an unknown key is
/// kept raw when no known one is present.
impl<'de> Deserialize<'de> for Messaging {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Messaging;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a messaging object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Messaging, A::Error> {
                let mut sender = None;
                let mut recipient = None;
                let mut timestamp = None;
                // An item carries one event object. Should a malformed one carry several, the
                // key that sorts first wins, whatever the key order, and of a repeated key the
                // last: the general path (a sorted map, last duplicate wins) reads the same.
                let mut event: Option<(EventKey, MessagingEvent)> = None;
                let mut unknown: Option<MessagingEvent> = None;
                while let Some(key) = map.next_key::<ItemKey>()? {
                    match key {
                        ItemKey::Sender => sender = map.next_value()?,
                        ItemKey::Recipient => recipient = map.next_value()?,
                        ItemKey::Timestamp => timestamp = map.next_value()?,
                        ItemKey::Event(key)
                            if event.as_ref().is_none_or(|(current, _)| key.name() <= current.name()) =>
                        {
                            event = Some((key, event_from(key, &mut map)?));
                        }
                        ItemKey::Other(key)
                            if unknown.as_ref().is_none_or(|current| match current {
                                MessagingEvent::Unknown { key: current, .. } => key <= *current,
                                _ => false,
                            }) =>
                        {
                            unknown = Some(MessagingEvent::Unknown { key, raw: map.next_value()? });
                        }
                        ItemKey::Event(_) | ItemKey::Other(_) => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Messaging {
                    sender,
                    recipient,
                    timestamp,
                    event: event.map(|(_, event)| event).or(unknown).unwrap_or(MessagingEvent::Empty),
                })
            }
        }
        d.deserialize_map(ItemVisitor)
    }
}

impl Messaging {
    /// General path: an item that did not have the documented shape keeps what could be read
    /// and its event as raw JSON under its key.
    fn from_json(value: &Value) -> Option<Self> {
        if let Ok(item) = Self::deserialize(value) {
            return Some(item);
        }
        let object = value.as_object()?;
        let participant = |key: &str| object.get(key).and_then(|p| Participant::deserialize(p).ok());
        let event_key = object
            .keys()
            .find(|k| EventKey::from_name(k).is_some())
            .or_else(|| object.keys().find(|k| !matches!(k.as_str(), "sender" | "recipient" | "timestamp")));
        let event = match event_key {
            Some(key) => {
                let body = &object[key];
                let name = match key.as_str() {
                    "message" if flag(body, "is_echo") => "message_echo".to_owned(),
                    "message" if flag(body, "is_deleted") => "message_deleted".to_owned(),
                    _ => key.clone(),
                };
                MessagingEvent::Unknown { key: name, raw: RawJson::from_value(body) }
            }
            None => MessagingEvent::Empty,
        };
        Some(Self {
            sender: participant("sender"),
            recipient: participant("recipient"),
            timestamp: object.get("timestamp").and_then(|t| Timestamp::deserialize(t).ok()),
            event,
        })
    }
}

impl MessengerPayload {
    /// A payload of these entries.
    pub fn new(entries: Vec<MessengerEntry>) -> Self {
        Self { entries }
    }

    /// Every event of the body, in order, by the count rule of
    /// [`envelope`](crate::envelope); [`MessengerEvents::next_sited`] gives each one's
    /// [`EventSite`] too.
    pub fn events(&self) -> MessengerEvents<'_> {
        MessengerEvents::new(self)
    }

    /// Builds the payload from a body's parsed `entry` array, element by element: one odd
    /// element never fails the rest (what is not an object is dropped, a change or event of
    /// another shape is kept as raw JSON).
    pub fn from_json(entries: &[Value]) -> Self {
        Self { entries: entries.iter().filter_map(MessengerEntry::from_json).collect() }
    }
}

/// Reads a whole body (`{"object": ..., "entry": [...]}`) as leniently as
/// [`from_json`](MessengerPayload::from_json); `object` is not checked. `meta-messaging-webhook`'s `parse`
/// reads the same bodies faster, straight from the bytes, and checks `object`.
impl<'de> Deserialize<'de> for MessengerPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Body {
            entry: Vec<Value>,
        }
        Body::deserialize(deserializer).map(|body| Self::from_json(&body.entry))
    }
}

impl MessengerEntry {
    fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let items = |key: &str| -> Vec<Messaging> {
            object
                .get(key)
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(Messaging::from_json).collect())
                .unwrap_or_default()
        };
        let changes = object
            .get("changes")
            .and_then(Value::as_array)
            .map(|changes| {
                changes
                    .iter()
                    .filter_map(|c| {
                        let field = c.get("field").and_then(Value::as_str).unwrap_or("unknown").to_owned();
                        let raw = RawJson::from_value(c.get("value").unwrap_or(&Value::Null));
                        c.is_object().then(|| MessengerChange {
                            value: MessengerChangeValue::from_raw(&field, raw),
                            field,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            id: text_at(value, "id"),
            time: object.get("time").and_then(|t| Timestamp::deserialize(t).ok()),
            messaging: items("messaging"),
            standby: items("standby"),
            changes,
            calls: object
                .get("calls")
                .and_then(Value::as_array)
                .map(|calls| calls.iter().filter_map(PageCallEvent::from_json).collect())
                .unwrap_or_default(),
        })
    }
}

/// One event of a Messenger or Instagram webhook, borrowing from the parsed payload.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum MessengerEvent<'a> {
    /// A `messaging[]` item (`standby == false`) or a `standby[]` item (`standby == true`).
    Messaging {
        /// The entry (Page or Instagram account) it came in.
        entry: &'a MessengerEntry,
        /// The item.
        item: &'a Messaging,
        /// Whether it came in `standby[]`: another app owns the conversation.
        standby: bool,
    },
    /// A `changes[]` item.
    Change {
        /// The entry it came in.
        entry: &'a MessengerEntry,
        /// The change.
        change: &'a MessengerChange,
    },
    /// A `calls[]` item: `<platform>.call.<event>`.
    Call {
        /// The entry it came in.
        entry: &'a MessengerEntry,
        /// The calling event.
        call: &'a PageCallEvent,
    },
}

impl<'a> MessengerEvent<'a> {
    /// The entry the event came in.
    pub fn entry(&self) -> &'a MessengerEntry {
        match *self {
            Self::Messaging { entry, .. } | Self::Change { entry, .. } | Self::Call { entry, .. } => entry,
        }
    }

    /// The middle and last parts of the event kind (`("", "message")`, `("standby", "read")`,
    /// `("", "comments")`).
    #[doc(hidden)]
    pub fn kind_parts(&self) -> (&'static str, &'a str) {
        match *self {
            Self::Messaging { item, standby, .. } => {
                (if standby { "standby" } else { "" }, item.event.name())
            }
            Self::Change { change, .. } => ("", &change.field),
            Self::Call { call, .. } => ("call", call.name()),
        }
    }

    /// The user (or Page, for echoes) who triggered the event; the comment author for comments.
    pub fn sender(&self) -> Option<&'a str> {
        match *self {
            Self::Messaging { item, .. } => item.sender.as_ref().and_then(Participant::id_or_user_ref),
            Self::Change { change, .. } => match &change.value {
                MessengerChangeValue::Comment(comment) => comment.from.as_ref().and_then(|f| f.id.as_deref()),
                _ => None,
            },
            Self::Call { call, .. } => call.from.as_deref(),
        }
    }

    /// Who received the event.
    pub fn recipient(&self) -> Option<&'a str> {
        match *self {
            Self::Messaging { item, .. } => item.recipient.as_ref().and_then(|r| r.id.as_deref()),
            Self::Change { .. } => None,
            Self::Call { call, .. } => call.to.as_deref().or(call.recipient_id.as_deref()),
        }
    }

    /// The Page or Instagram account the event is about (the entry's `id`).
    pub fn business(&self) -> Option<&'a str> {
        self.entry().id.as_deref().filter(|id| !id.is_empty())
    }

    /// The user the event is about: the party that is not the Page (the sender of a message,
    /// the recipient of an echo), or a comment's author. Its PSID or IGSID is its stable key.
    pub fn user_key(&self) -> Option<&'a str> {
        let page = self.business();
        let sender = self.sender().filter(|id| !id.is_empty());
        let recipient = self.recipient().filter(|id| !id.is_empty());
        match (sender, recipient) {
            (Some(sender), Some(recipient)) if Some(sender) == page => Some(recipient),
            (Some(sender), _) => Some(sender),
            (None, recipient) => recipient.filter(|id| Some(*id) != page),
        }
    }

    /// The message id (`mid`) of messages, edits, postbacks and reactions; the comment id of
    /// comments.
    pub fn message_id(&self) -> Option<&'a str> {
        match *self {
            Self::Messaging { item, .. } => match &item.event {
                MessagingEvent::Message(m) => m.mid.as_ref().map(Mid::as_str),
                MessagingEvent::MessageEdit(e) => e.mid.as_ref().map(Mid::as_str),
                MessagingEvent::Postback(p) => p.mid.as_ref().map(Mid::as_str),
                MessagingEvent::Reaction(r) => r.mid.as_ref().map(Mid::as_str),
                _ => None,
            },
            Self::Change { change, .. } => match &change.value {
                MessengerChangeValue::Comment(comment) => comment.id.as_ref().map(CommentId::as_str),
                _ => None,
            },
            Self::Call { .. } => None,
        }
    }

    /// When it happened: the item's timestamp, or the entry's time for changes.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match *self {
            Self::Messaging { item, .. } => item.timestamp,
            Self::Change { entry, .. } => entry.time,
            Self::Call { entry, call } => call.timestamp.or(entry.time),
        }
    }

    /// The text of a message, an edit or a comment.
    pub fn text(&self) -> Option<&'a str> {
        match *self {
            Self::Messaging { item, .. } => match &item.event {
                MessagingEvent::Message(m) => m.text.as_deref(),
                MessagingEvent::MessageEdit(e) => e.text.as_deref(),
                _ => None,
            },
            Self::Change { change, .. } => match &change.value {
                MessengerChangeValue::Comment(comment) => comment.text.as_deref(),
                _ => None,
            },
            Self::Call { .. } => None,
        }
    }
}

/// Iterator over the events of a Messenger or Instagram payload: per entry, `messaging[]`, then
/// `standby[]`, then `changes[]`, then `calls[]` (the sites of the one walk, read as typed events).
#[derive(Clone, Debug)]
pub struct MessengerEvents<'a> {
    payload: &'a MessengerPayload,
    cursor: Cursor,
}

impl<'a> MessengerEvents<'a> {
    #[doc(hidden)]
    pub fn new(payload: &'a MessengerPayload) -> Self {
        Self { payload, cursor: Cursor::default() }
    }

    /// The next event and its site.
    pub fn next_sited(&mut self) -> Option<(EventSite, MessengerEvent<'a>)> {
        loop {
            let site = self.cursor.next(self.payload)?;
            let Some(entry) = self.payload.entries.get(site.entry()) else { continue };
            let event = match site.list() {
                EntryList::Changes => {
                    entry.changes.get(site.index()).map(|change| MessengerEvent::Change { entry, change })
                }
                EntryList::Messaging => entry
                    .messaging
                    .get(site.index())
                    .map(|item| MessengerEvent::Messaging { entry, item, standby: false }),
                EntryList::Standby => entry.standby.get(site.index()).map(|item| MessengerEvent::Messaging {
                    entry,
                    item,
                    standby: true,
                }),
                EntryList::Calls => {
                    entry.calls.get(site.index()).map(|call| MessengerEvent::Call { entry, call })
                }
            };
            if let Some(event) = event {
                return Some((site, event));
            }
        }
    }
}

impl<'a> Iterator for MessengerEvents<'a> {
    type Item = MessengerEvent<'a>;

    fn next(&mut self) -> Option<MessengerEvent<'a>> {
        self.next_sited().map(|(_, event)| event)
    }
}

impl Envelope for MessengerPayload {
    const LISTS: &'static [EntryList] =
        &[EntryList::Messaging, EntryList::Standby, EntryList::Changes, EntryList::Calls];

    fn entry_count(&self) -> usize {
        self.entries.len()
    }

    fn list_len(&self, entry: usize, list: EntryList) -> usize {
        self.entries.get(entry).map_or(0, |e| match list {
            EntryList::Changes => e.changes.len(),
            EntryList::Messaging => e.messaging.len(),
            EntryList::Standby => e.standby.len(),
            EntryList::Calls => e.calls.len(),
        })
    }

    /// Every element of a Page or Instagram entry is one event.
    fn item_lists(&self, _: usize, _: EntryList, _: usize) -> ItemLists {
        ItemLists::NONE
    }
}
