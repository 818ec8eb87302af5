//! The events of a WhatsApp payload: the one walk's sites read as typed events.

use super::{
    InboundMessage, MessageEchoes, MessagesValue, NotificationError, Status, WhatsAppChange,
    WhatsAppChangeValue, WhatsAppEntry, WhatsAppPayload,
};
use crate::Timestamp;
use crate::envelope::{Cursor, EntryList, Envelope, EventSite, ItemList, ItemLists};
use crate::user::UserIdentity;
use crate::whatsapp::calling::{CallEvent, CallId, CallStatusUpdate, CallsUpdate};
use crate::whatsapp::groups::{GroupEvent, GroupsUpdate};
use crate::whatsapp::{MessageId, PhoneNumberId};

/// One event of a WhatsApp webhook, borrowing from the parsed payload.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum WhatsAppEvent<'a> {
    /// An inbound message: `whatsapp.message.<type>`.
    Message {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The value it came in (metadata, contacts).
        value: &'a MessagesValue,
        /// The message.
        message: &'a InboundMessage,
    },
    /// A status of a sent message: `whatsapp.status.<status>`.
    Status {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The value it came in.
        value: &'a MessagesValue,
        /// The status.
        status: &'a Status,
    },
    /// A value-level error: `whatsapp.error`.
    Error {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The value it came in.
        value: &'a MessagesValue,
        /// The error.
        error: &'a NotificationError,
    },
    /// One call of a `calls` change: `whatsapp.call.<event>` (`connect`, `terminate`).
    Call {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The value it came in (metadata).
        value: &'a CallsUpdate,
        /// The call event.
        call: &'a CallEvent,
    },
    /// A business-initiated call's status in a `calls` change:
    /// `whatsapp.call_status.<status>` (`ringing`, `accepted`, `rejected`).
    CallStatus {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The value it came in.
        value: &'a CallsUpdate,
        /// The status.
        status: &'a CallStatusUpdate,
    },
    /// One update of a groups change (`groups[]` item): `whatsapp.<field>`
    /// (`whatsapp.group_participants_update`, ...).
    Group {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The change (its field names the kind).
        change: &'a WhatsAppChange,
        /// The value it came in (metadata).
        value: &'a GroupsUpdate,
        /// The update.
        group: &'a GroupEvent,
    },
    /// A message the business sent from the WhatsApp Business app or another client
    /// (`smb_message_echoes`, `message_echoes`): `whatsapp.echo.<type>`. `from` is the business
    /// number, `to` the user.
    Echo {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The value it came in (metadata, contacts).
        value: &'a MessageEchoes,
        /// The echoed message, read with the same models as an inbound one.
        message: &'a InboundMessage,
    },
    /// Any other change (and a `messages`, `calls`, groups or echoes change with nothing in
    /// it): `whatsapp.<field>`.
    Change {
        /// The entry (WABA) it came in.
        entry: &'a WhatsAppEntry,
        /// The change.
        change: &'a WhatsAppChange,
    },
}

impl<'a> WhatsAppEvent<'a> {
    /// The entry the event came in.
    pub fn entry(&self) -> &'a WhatsAppEntry {
        match *self {
            Self::Message { entry, .. }
            | Self::Status { entry, .. }
            | Self::Error { entry, .. }
            | Self::Call { entry, .. }
            | Self::CallStatus { entry, .. }
            | Self::Group { entry, .. }
            | Self::Echo { entry, .. }
            | Self::Change { entry, .. } => entry,
        }
    }

    /// The middle and last parts of the event kind (`("message", "text")`,
    /// `("", "account_update")`).
    #[doc(hidden)]
    pub fn kind_parts(&self) -> (&'static str, &'a str) {
        match *self {
            Self::Message { message, .. } => ("message", message.kind.as_str()),
            Self::Status { status, .. } => ("status", status.status.as_str()),
            Self::Error { .. } => ("", "error"),
            Self::Call { call, .. } => ("call", call.event.as_deref().unwrap_or("unknown")),
            Self::CallStatus { status, .. } => ("call_status", call_status_name(status.status.as_deref())),
            Self::Echo { message, .. } => ("echo", message.kind.as_str()),
            Self::Group { change, .. } | Self::Change { change, .. } => ("", change.field.as_str()),
        }
    }

    /// The user for messages, the business phone-number id for statuses.
    pub fn sender(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } | Self::Echo { message, .. } => message.sender(),
            Self::Status { value, .. } => value.phone_number_id().map(PhoneNumberId::as_str),
            Self::Call { call, .. } => call.from.as_deref().or(call.from_user_id.as_deref()),
            _ => None,
        }
    }

    /// The business phone-number id for messages, the user for statuses.
    pub fn recipient(&self) -> Option<&'a str> {
        match *self {
            Self::Message { value, .. } => value.phone_number_id().map(PhoneNumberId::as_str),
            Self::Status { status, .. } => status.recipient(),
            Self::Call { call, .. } => call.to.as_deref().or(call.to_user_id.as_deref()),
            Self::CallStatus { status, .. } => {
                status.recipient_id.as_deref().or(status.recipient_user_id.as_deref())
            }
            Self::Echo { message, .. } => message.to.as_deref().or(message.to_user_id.as_deref()),
            _ => None,
        }
    }

    /// The business phone number the event is about (`metadata.phone_number_id`).
    pub fn business(&self) -> Option<&'a str> {
        let metadata = match *self {
            Self::Message { value, .. } | Self::Status { value, .. } | Self::Error { value, .. } => {
                value.metadata.as_ref()
            }
            Self::Call { value, .. } | Self::CallStatus { value, .. } => value.metadata.as_ref(),
            Self::Group { value, .. } => value.metadata.as_ref(),
            Self::Echo { value, .. } => value.metadata.as_ref(),
            Self::Change { .. } => None,
        };
        metadata.and_then(|m| m.phone_number_id.as_ref()).map(PhoneNumberId::as_str)
    }

    /// The user the event is about, as one typed identity: the sender of a message (with the
    /// username its contact carries), the recipient of a status (the participant in a group),
    /// the user in a call (the caller of a user-initiated call, the callee of a
    /// business-initiated one), the recipient of a call status.
    pub fn user(&self) -> Option<UserIdentity> {
        let pick = |value: Option<&str>| value.unwrap_or_default().to_owned();
        let identity = match *self {
            Self::Message { value, message, .. } => value.user_of(message),
            Self::Status { status, .. } => status.user(),
            Self::Call { value, call, .. } => {
                let user = if call.direction.as_deref() == Some("BUSINESS_INITIATED") {
                    UserIdentity::new()
                        .phone(pick(call.to.as_deref()))
                        .user_id(pick(call.to_user_id.as_deref()))
                        .parent_user_id(pick(call.to_parent_user_id.as_deref()))
                } else {
                    UserIdentity::new()
                        .phone(pick(call.from.as_deref()))
                        .user_id(pick(call.from_user_id.as_deref()))
                        .parent_user_id(pick(call.from_parent_user_id.as_deref()))
                };
                super::messages::with_contact(user, &value.contacts)
            }
            Self::CallStatus { status, .. } => UserIdentity::new()
                .phone(pick(status.recipient_id.as_deref()))
                .user_id(pick(status.recipient_user_id.as_deref()))
                .parent_user_id(pick(status.recipient_parent_user_id.as_deref())),
            Self::Echo { value, message, .. } => value.user_of(message),
            Self::Error { .. } | Self::Group { .. } | Self::Change { .. } => return None,
        };
        (!identity.is_empty()).then_some(identity)
    }

    /// The stable key of [`user`](Self::user): the BSUID when Meta sent one, else the phone.
    pub fn user_key(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } => message.user_key(),
            Self::Status { status, .. } => status.user_key(),
            Self::Call { call, .. } => {
                if call.direction.as_deref() == Some("BUSINESS_INITIATED") {
                    call.to_user_id.as_deref().or(call.to.as_deref())
                } else {
                    call.from_user_id.as_deref().or(call.from.as_deref())
                }
            }
            Self::CallStatus { status, .. } => {
                status.recipient_user_id.as_deref().or(status.recipient_id.as_deref())
            }
            Self::Echo { message, .. } => message.to_user_id.as_deref().or(message.to.as_deref()),
            Self::Error { .. } | Self::Group { .. } | Self::Change { .. } => None,
        }
    }

    /// The message id (`wamid`) of a message or status.
    pub fn message_id(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } | Self::Echo { message, .. } => {
                message.id.as_ref().map(MessageId::as_str)
            }
            Self::Status { status, .. } => status.id.as_ref().map(MessageId::as_str),
            Self::Call { call, .. } => call.id.as_ref().map(CallId::as_str),
            Self::CallStatus { status, .. } => status.id.as_ref().map(CallId::as_str),
            _ => None,
        }
    }

    /// When the message was sent or the status happened.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match *self {
            Self::Message { message, .. } | Self::Echo { message, .. } => message.timestamp,
            Self::Status { status, .. } => status.timestamp,
            Self::Group { group, entry, .. } => group.timestamp.or(entry.time),
            Self::Call { call, .. } => call.timestamp,
            Self::CallStatus { status, .. } => status.timestamp,
            Self::Change { entry, .. } | Self::Error { entry, .. } => entry.time,
        }
    }

    /// The text of a text message or of an edit.
    pub fn text(&self) -> Option<&'a str> {
        match *self {
            Self::Message { message, .. } | Self::Echo { message, .. } => message.text(),
            _ => None,
        }
    }
}

/// A call status's name in its event kind: Meta's `RINGING`, `ACCEPTED`, `REJECTED` in lower case.
fn call_status_name(status: Option<&str>) -> &'static str {
    match status {
        Some(s) if s.eq_ignore_ascii_case("ringing") => "ringing",
        Some(s) if s.eq_ignore_ascii_case("accepted") => "accepted",
        Some(s) if s.eq_ignore_ascii_case("rejected") => "rejected",
        _ => "unknown",
    }
}

/// Iterator over the events of a WhatsApp payload, in body order: the sites of the one walk
/// ([`EventSite`]), each read as its typed event.
#[derive(Clone, Debug)]
pub struct WhatsAppEvents<'a> {
    payload: &'a WhatsAppPayload,
    cursor: Cursor,
}

impl<'a> WhatsAppEvents<'a> {
    #[doc(hidden)]
    pub fn new(payload: &'a WhatsAppPayload) -> Self {
        Self { payload, cursor: Cursor::default() }
    }

    /// The next event and its site.
    pub fn next_sited(&mut self) -> Option<(EventSite, WhatsAppEvent<'a>)> {
        loop {
            let site = self.cursor.next(self.payload)?;
            if let Some(event) = self.payload.event_at(site) {
                return Some((site, event));
            }
        }
    }
}

impl<'a> Iterator for WhatsAppEvents<'a> {
    type Item = WhatsAppEvent<'a>;

    fn next(&mut self) -> Option<WhatsAppEvent<'a>> {
        self.next_sited().map(|(_, event)| event)
    }
}

impl WhatsAppChangeValue {
    /// The lists of this value whose items are one event each (the count rule's WhatsApp part).
    fn item_lists(&self) -> ItemLists {
        match self {
            Self::Messages(v) => ItemLists::of(&[
                (ItemList::Messages, v.messages.len()),
                (ItemList::Statuses, v.statuses.len()),
                (ItemList::Errors, v.errors.len()),
            ]),
            Self::Calls(v) => {
                ItemLists::of(&[(ItemList::Calls, v.calls.len()), (ItemList::Statuses, v.statuses.len())])
            }
            Self::Groups(v) => ItemLists::of(&[(ItemList::Groups, v.groups.len())]),
            Self::MessageEchoes(v) => ItemLists::of(&[(ItemList::MessageEchoes, v.message_echoes.len())]),
            _ => ItemLists::NONE,
        }
    }
}

impl Envelope for WhatsAppPayload {
    const LISTS: &'static [EntryList] = &[EntryList::Changes];

    fn entry_count(&self) -> usize {
        self.entries.len()
    }

    fn list_len(&self, entry: usize, list: EntryList) -> usize {
        match list {
            EntryList::Changes => self.entries.get(entry).map_or(0, |e| e.changes.len()),
            _ => 0,
        }
    }

    fn item_lists(&self, entry: usize, _: EntryList, index: usize) -> ItemLists {
        self.entries
            .get(entry)
            .and_then(|e| e.changes.get(index))
            .map_or(ItemLists::NONE, |change| change.value.item_lists())
    }
}

impl WhatsAppPayload {
    /// Every event of the body, in order, by the count rule of
    /// [`envelope`](crate::envelope); [`WhatsAppEvents::next_sited`] gives each one's
    /// [`EventSite`] too.
    pub fn events(&self) -> WhatsAppEvents<'_> {
        WhatsAppEvents::new(self)
    }

    /// The typed event at `site`, a site of this payload's walk.
    pub(crate) fn event_at(&self, site: EventSite) -> Option<WhatsAppEvent<'_>> {
        let entry = self.entries.get(site.entry())?;
        let change = entry.changes.get(site.index())?;
        let Some((list, i)) = site.item() else {
            return Some(WhatsAppEvent::Change { entry, change });
        };
        Some(match (&change.value, list) {
            (WhatsAppChangeValue::Messages(value), ItemList::Messages) => {
                WhatsAppEvent::Message { entry, value, message: value.messages.get(i)? }
            }
            (WhatsAppChangeValue::Messages(value), ItemList::Statuses) => {
                WhatsAppEvent::Status { entry, value, status: value.statuses.get(i)? }
            }
            (WhatsAppChangeValue::Messages(value), ItemList::Errors) => {
                WhatsAppEvent::Error { entry, value, error: value.errors.get(i)? }
            }
            (WhatsAppChangeValue::Calls(value), ItemList::Calls) => {
                WhatsAppEvent::Call { entry, value, call: value.calls.get(i)? }
            }
            (WhatsAppChangeValue::Calls(value), ItemList::Statuses) => {
                WhatsAppEvent::CallStatus { entry, value, status: value.statuses.get(i)? }
            }
            (WhatsAppChangeValue::Groups(value), ItemList::Groups) => {
                WhatsAppEvent::Group { entry, change, value, group: value.groups.get(i)? }
            }
            (WhatsAppChangeValue::MessageEchoes(value), ItemList::MessageEchoes) => {
                WhatsAppEvent::Echo { entry, value, message: value.message_echoes.get(i)? }
            }
            _ => return None,
        })
    }
}
