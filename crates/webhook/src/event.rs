//! Events: the flat view of a webhook body, one item per thing that happened.

use std::fmt;

use super::parse::Webhook;
use crate::envelope::EventSite;
use crate::{Platform, Timestamp, messenger, whatsapp};

/// One event of a webhook, borrowing from the parsed [`Webhook`].
///
/// Match on the variant for the platform's typed event, or use the helpers that every platform
/// answers: [`kind`](Self::kind), [`sender`](Self::sender), [`recipient`](Self::recipient),
/// [`message_id`](Self::message_id), [`timestamp`](Self::timestamp), [`text`](Self::text),
/// [`dedupe_key`](Self::dedupe_key).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A WhatsApp event.
    WhatsApp(whatsapp::webhook::WhatsAppEvent<'a>),
    /// A Messenger event.
    Messenger(messenger::webhook::MessengerEvent<'a>),
    /// An Instagram event.
    Instagram(messenger::webhook::MessengerEvent<'a>),
}

impl<'a> Event<'a> {
    /// The platform.
    pub fn platform(&self) -> Platform {
        match self {
            Self::WhatsApp(_) => Platform::WhatsApp,
            Self::Messenger(_) => Platform::Messenger,
            Self::Instagram(_) => Platform::Instagram,
        }
    }

    /// The event kind, a dotted name that is stable across releases:
    ///
    /// | platform | kind |
    /// |---|---|
    /// | WhatsApp message | `whatsapp.message.<type>`, the `type` Meta sent (`text`, `image`, `interactive`, a future type verbatim; `unknown` when absent) |
    /// | WhatsApp status | `whatsapp.status.<status>` (`sent`, `delivered`, `read`, `failed`, ...) |
    /// | WhatsApp value-level error | `whatsapp.error` |
    /// | WhatsApp call (`calls` field, one event per call) | `whatsapp.call.<event>` (`connect`, `terminate`) |
    /// | WhatsApp business-initiated call status (`calls` field) | `whatsapp.call_status.<status>` (`ringing`, `accepted`, `rejected`) |
    /// | WhatsApp group update (one per `groups[]` item) | `whatsapp.<field>` (`whatsapp.group_participants_update`, ...) |
    /// | WhatsApp echo (coexistence: one per `message_echoes[]` item) | `whatsapp.echo.<type>` (`text`, `image`, ...) |
    /// | any other WhatsApp change | `whatsapp.<field>` (`whatsapp.account_update`, ...; also `whatsapp.messages` and `whatsapp.calls` for a change with nothing in it) |
    /// | Messenger / Instagram item | `messenger.<event>` / `instagram.<event>`: `message`, `message_echo`, `message_deleted`, `message_edit`, `postback`, `delivery`, `read`, `reaction`, `referral`, `optin`, `account_linking`, handover events, an unknown key verbatim, `unknown` when there is none |
    /// | Messenger / Instagram standby item | `messenger.standby.<event>` / `instagram.standby.<event>` |
    /// | Messenger / Instagram change | `messenger.<field>` / `instagram.<field>` (`instagram.comments`, `instagram.mentions`, ...) |
    ///
    /// Compare it with a string without allocating (`event.kind() == "whatsapp.message.text"`)
    /// or format it.
    pub fn kind(&self) -> EventKind<'a> {
        let (middle, name) = match self {
            Self::WhatsApp(e) => e.kind_parts(),
            Self::Messenger(e) | Self::Instagram(e) => e.kind_parts(),
        };
        EventKind { platform: self.platform(), middle, name }
    }

    /// Who triggered the event: the user for inbound messages, the business for WhatsApp
    /// statuses and Messenger echoes.
    ///
    /// For a WhatsApp user it is the phone number when Meta gives a non-empty one, else the
    /// business-scoped user id; never an empty string. For the user's one stable key, use
    /// [`user_key`](Self::user_key).
    pub fn sender(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.sender(),
            Self::Messenger(e) | Self::Instagram(e) => e.sender(),
        }
        .filter(|id| !id.is_empty())
    }

    /// The business account the event came in on: the WhatsApp Business Account id, or the
    /// Page or Instagram professional account id (the entry's `id`). The tenant of the event
    /// for the durable queue (`meta_messaging::delivery::NewItem::tenant`).
    pub fn account(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.entry().id.as_ref().map(whatsapp::WabaId::as_str),
            Self::Messenger(e) | Self::Instagram(e) => e.entry().id.as_deref(),
        }
        .filter(|id| !id.is_empty())
    }

    /// Who received it: the business phone number, Page or Instagram account for inbound
    /// messages, the user for WhatsApp statuses.
    ///
    /// Like [`sender`](Self::sender): the phone when Meta gives a non-empty one, else the
    /// business-scoped user id (statuses, business-initiated calls); never an empty string.
    pub fn recipient(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.recipient(),
            Self::Messenger(e) | Self::Instagram(e) => e.recipient(),
        }
        .filter(|id| !id.is_empty())
    }

    /// The business the event is about: the WhatsApp business phone-number id, or the Page or
    /// Instagram account id. With [`user_key`](Self::user_key) it names a conversation.
    pub fn business(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.business(),
            Self::Messenger(e) | Self::Instagram(e) => e.business(),
        }
    }

    /// The user the event is about, as one stable key: on WhatsApp the business-scoped user id
    /// when Meta sent one, else the phone number (so a user seen with and without a phone has
    /// one key); on Messenger and Instagram the PSID or IGSID. Windows, pair-rate budgets and
    /// inbox conversations are keyed by it. `None` for events about no user (account changes).
    pub fn user_key(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.user_key(),
            Self::Messenger(e) | Self::Instagram(e) => e.user_key(),
        }
        .filter(|id| !id.is_empty())
    }

    /// The user the event is about, as one typed identity: every name Meta sent (phone,
    /// business-scoped user id, parent id, username). On Messenger and Instagram the PSID or
    /// IGSID is the `user_id`.
    pub fn user(&self) -> Option<crate::user::UserIdentity> {
        match self {
            Self::WhatsApp(e) => e.user(),
            Self::Messenger(_) | Self::Instagram(_) => {
                self.user_key().map(|id| crate::user::UserIdentity::new().user_id(id))
            }
        }
    }

    /// The id of the message the event is about (WhatsApp `wamid`, Messenger/Instagram `mid`,
    /// Instagram comment id).
    pub fn message_id(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.message_id(),
            Self::Messenger(e) | Self::Instagram(e) => e.message_id(),
        }
    }

    /// When it happened.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match self {
            Self::WhatsApp(e) => e.timestamp(),
            Self::Messenger(e) | Self::Instagram(e) => e.timestamp(),
        }
    }

    /// The text, for text messages, edits and comments.
    pub fn text(&self) -> Option<&'a str> {
        match self {
            Self::WhatsApp(e) => e.text(),
            Self::Messenger(e) | Self::Instagram(e) => e.text(),
        }
    }

    /// A key that identifies this event across Meta's redeliveries, for
    /// [deduplication](super::dedupe): the `wamid` of a WhatsApp message, the `wamid` and status
    /// of a status, the `mid` of a Messenger or Instagram message, and so on. `None` for events
    /// without a stable identity (value-level errors, most account updates); dedupe those on a
    /// digest of the whole body if needed ([`body_digest`](super::body_digest)).
    pub fn dedupe_key(&self) -> Option<String> {
        match self {
            Self::WhatsApp(e) => whatsapp_key(e),
            Self::Messenger(e) | Self::Instagram(e) => page_key(self.platform(), e),
        }
    }
}

fn whatsapp_key(event: &whatsapp::webhook::WhatsAppEvent<'_>) -> Option<String> {
    use whatsapp::webhook::WhatsAppEvent as E;
    match event {
        E::Message { message, .. } => Some(concat(&["whatsapp:message:", message.id.as_ref()?.as_str()])),
        E::Echo { message, .. } => Some(concat(&["whatsapp:echo:", message.id.as_ref()?.as_str()])),
        E::Call { call, .. } => Some(concat(&[
            "whatsapp:call:",
            call.id.as_ref()?.as_str(),
            ":",
            call.event.as_deref().unwrap_or("unknown"),
        ])),
        E::CallStatus { .. } => {
            Some(concat(&["whatsapp:call_status:", event.message_id()?, ":", event.kind_parts().1]))
        }
        E::Status { status, .. } => {
            Some(concat(&["whatsapp:status:", status.id.as_ref()?.as_str(), ":", status.status.as_str()]))
        }
        _ => None,
    }
}

/// Joins `parts` in one allocation (the WhatsApp keys are built for every event of every body).
fn concat(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        key.push_str(part);
    }
    key
}

fn page_key(platform: Platform, event: &messenger::webhook::MessengerEvent<'_>) -> Option<String> {
    use messenger::webhook::{MessagingEvent as M, MessengerChangeValue, MessengerEvent as E};
    match event {
        E::Messaging { item, .. } => {
            let name = item.event.name();
            let sender = item.sender.as_ref().and_then(messenger::webhook::Participant::id_or_user_ref);
            let detail = match &item.event {
                M::Message(m) => m.mid.clone()?.into_string(),
                M::MessageEdit(e) => format!("{}:{}", e.mid.as_ref()?, e.num_edit.unwrap_or(0)),
                M::Reaction(r) => format!(
                    "{}:{}:{}:{}",
                    r.mid.as_ref()?,
                    sender?,
                    r.action.as_deref().unwrap_or(""),
                    r.reaction.as_deref().or(r.emoji.as_deref()).unwrap_or("")
                ),
                M::Postback(p) if p.mid.is_some() => p.mid.clone()?.into_string(),
                M::Delivery(d) => format!("{}:{}", sender?, d.watermark?.unix_millis()),
                M::Read(r) => match (&r.mid, r.watermark) {
                    (Some(mid), _) => format!("{}:{mid}", sender?),
                    (None, Some(watermark)) => format!("{}:{}", sender?, watermark.unix_millis()),
                    (None, None) => return None,
                },
                _ => format!("{}:{}", sender?, item.timestamp?.unix_millis()),
            };
            Some(format!("{platform}:{name}:{detail}"))
        }
        E::Change { change, .. } => match &change.value {
            MessengerChangeValue::Comment(comment) => {
                Some(format!("{platform}:{}:{}", change.field, comment.id.as_ref()?))
            }
            _ => None,
        },
        // One call sends each event once; `call_status` repeats per status.
        E::Call { call, .. } => {
            let state = call.call_status.as_deref().or(call.status.as_deref()).unwrap_or("");
            Some(format!("{platform}:call:{}:{}:{state}", call.id.as_ref()?, call.name()))
        }
        _ => None,
    }
}

/// The kind of an [`Event`]: a dotted name such as `whatsapp.message.text`.
///
/// Displays as the dotted name; compares with `&str` without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKind<'a> {
    platform: Platform,
    middle: &'static str,
    name: &'a str,
}

impl<'a> EventKind<'a> {
    /// The platform part (`whatsapp`).
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The last part: the message type, status, event key or field (`text` in
    /// `whatsapp.message.text`).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The middle part, empty when the kind has two parts: `message`, `status` or `standby`.
    pub fn category(&self) -> &'static str {
        self.middle
    }
}

impl fmt::Display for EventKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.platform.as_str())?;
        f.write_str(".")?;
        if !self.middle.is_empty() {
            f.write_str(self.middle)?;
            f.write_str(".")?;
        }
        f.write_str(self.name)
    }
}

impl PartialEq<str> for EventKind<'_> {
    fn eq(&self, other: &str) -> bool {
        let Some(rest) = other.strip_prefix(self.platform.as_str()).and_then(|r| r.strip_prefix('.')) else {
            return false;
        };
        let rest = if self.middle.is_empty() {
            rest
        } else {
            match rest.strip_prefix(self.middle).and_then(|r| r.strip_prefix('.')) {
                Some(rest) => rest,
                None => return false,
            }
        };
        rest == self.name
    }
}

impl PartialEq<&str> for EventKind<'_> {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

/// Iterator over the events of a [`Webhook`].
#[derive(Clone, Debug)]
pub struct Events<'a>(Inner<'a>);

#[derive(Clone, Debug)]
enum Inner<'a> {
    WhatsApp(whatsapp::webhook::WhatsAppEvents<'a>),
    Messenger(messenger::webhook::MessengerEvents<'a>),
    Instagram(messenger::webhook::MessengerEvents<'a>),
    Empty,
}

impl<'a> Events<'a> {
    pub(crate) fn new(webhook: &'a Webhook) -> Self {
        Self(match webhook {
            Webhook::WhatsApp(p) => Inner::WhatsApp(whatsapp::webhook::WhatsAppEvents::new(p)),
            Webhook::Messenger(p) => Inner::Messenger(messenger::webhook::MessengerEvents::new(p)),
            Webhook::Instagram(p) => Inner::Instagram(messenger::webhook::MessengerEvents::new(p)),
            Webhook::Unsupported(_) => Inner::Empty,
        })
    }
}

impl<'a> Events<'a> {
    fn next_sited(&mut self) -> Option<(EventSite, Event<'a>)> {
        match &mut self.0 {
            Inner::WhatsApp(it) => it.next_sited().map(|(site, e)| (site, Event::WhatsApp(e))),
            Inner::Messenger(it) => it.next_sited().map(|(site, e)| (site, Event::Messenger(e))),
            Inner::Instagram(it) => it.next_sited().map(|(site, e)| (site, Event::Instagram(e))),
            Inner::Empty => None,
        }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        self.next_sited().map(|(_, event)| event)
    }
}

/// Iterator over the events of a [`Webhook`] with their [`EventSite`]s
/// ([`Webhook::events_with_sites`]).
#[derive(Clone, Debug)]
pub struct EventsWithSites<'a>(pub(super) Events<'a>);

impl<'a> Iterator for EventsWithSites<'a> {
    type Item = (EventSite, Event<'a>);

    fn next(&mut self) -> Option<(EventSite, Event<'a>)> {
        self.0.next_sited()
    }
}
