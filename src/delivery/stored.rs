//! Inbox items read back as the typed events the handler mode gives, and a worker handler that
//! receives them.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::worker::{Handler, HandlerError};
use super::{Item, NewItem};
use crate::Timestamp;
use crate::identity::IdentityDirectory;
use crate::pacing::WindowTracker;
use crate::user::UserIdentity;
use crate::webhook::{Event, Webhook, parse};

/// Why an inbox item could not be read as an event: its payload is not the envelope the
/// [`Inbox`](super::Inbox) writes. Permanent: the item goes to the dead letters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEventError {
    reason: &'static str,
}

impl fmt::Display for StoredEventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inbox item is not an event envelope: {}", self.reason)
    }
}

impl std::error::Error for StoredEventError {}

impl From<StoredEventError> for HandlerError {
    fn from(error: StoredEventError) -> Self {
        HandlerError::permanent(error.to_string())
    }
}

/// An inbox item's event, typed again: the same [`Event`] a handler-mode handler gets, with
/// its context (the entry, the value's metadata and contacts) and Meta's JSON as sent.
///
/// ```
/// use meta_messaging::delivery::{StoredEvent, event_records};
/// use meta_messaging::webhook::parse;
///
/// let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[
///   {"field":"messages","value":{"messaging_product":"whatsapp",
///     "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
///     "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
///     "messages":[{"from":"16505551234","id":"wamid.A","timestamp":"1763800000","type":"text","text":{"body":"hi"}}]}}]}]}"#;
/// let records = event_records(body, &parse(body)?);
/// let stored = StoredEvent::from_payload(&records[0].payload)?;
/// assert_eq!(stored.kind(), "whatsapp.message.text");
/// assert_eq!(stored.text(), Some("hi"));
/// assert_eq!(stored.business(), Some("106540352242922"));
/// assert_eq!(stored.user_key(), Some("16505551234"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct StoredEvent {
    webhook: Webhook,
    kind: String,
    key: String,
    payload: Arc<[u8]>,
    /// Where the event's object sits in `payload`.
    event_bytes: std::ops::Range<usize>,
    index: usize,
}

impl fmt::Debug for StoredEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only what names the event: the payload can hold a customer's message.
        f.debug_struct("StoredEvent")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    object: &'a RawValue,
    kind: String,
    key: String,
    #[serde(borrow, default)]
    entry: Option<&'a RawValue>,
    #[serde(borrow, default)]
    field: Option<&'a RawValue>,
    #[serde(default)]
    list: Option<String>,
    #[serde(borrow, default)]
    messaging_product: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    contacts: Option<&'a RawValue>,
    #[serde(borrow)]
    event: &'a RawValue,
}

#[derive(Deserialize)]
struct EntryHead<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
}

impl StoredEvent {
    /// Reads an inbox item.
    ///
    /// # Errors
    ///
    /// [`StoredEventError`] when the payload is not an inbox envelope.
    pub fn from_item(item: &Item) -> Result<Self, StoredEventError> {
        Self::from_payload(&item.payload)
    }

    /// Reads an inbox envelope (the payload of an item or a [`NewItem`]).
    ///
    /// # Errors
    ///
    /// [`StoredEventError`] when the payload is not an inbox envelope.
    pub fn from_payload(payload: &[u8]) -> Result<Self, StoredEventError> {
        let fail = |reason| StoredEventError { reason };
        let envelope: Envelope<'_> = serde_json::from_slice(payload).map_err(|_| fail("not an envelope"))?;
        let head = match envelope.entry {
            Some(entry) => {
                serde_json::from_str::<EntryHead<'_>>(entry.get()).map_err(|_| fail("bad entry"))?
            }
            None => EntryHead { id: None, time: None },
        };
        let list = envelope.list.clone().or_else(|| legacy_list(&envelope.kind, envelope.event));
        let body = rebuild(&envelope, &head, list.as_deref());
        let webhook = parse(body.as_bytes()).map_err(|_| fail("event does not parse"))?;
        // The stored kind; for an item written before the one walk that held a whole change
        // (an echoes or groups change), its first event (`events()` has them all).
        let index = webhook.events().position(|e| e.kind() == envelope.kind.as_str());
        let index = index.or_else(|| webhook.events().next().map(|_| 0));
        let index = index.ok_or_else(|| fail("no event in the stored object"))?;
        // `event` borrows from `payload`: its offset there.
        let start = (envelope.event.get().as_ptr() as usize)
            .checked_sub(payload.as_ptr() as usize)
            .ok_or_else(|| fail("event not in the payload"))?;
        let event_bytes = start..start + envelope.event.get().len();
        Ok(Self {
            webhook,
            kind: envelope.kind,
            key: envelope.key,
            payload: payload.into(),
            event_bytes,
            index,
        })
    }

    /// The typed event.
    pub fn event(&self) -> Option<Event<'_>> {
        self.webhook.events().nth(self.index)
    }

    /// Every event the stored object holds: the one event, except for items written by
    /// releases before the one walk that stored a whole change (a `calls`, groups or echoes
    /// change), which now reads as each of its events.
    pub fn events(&self) -> crate::webhook::Events<'_> {
        self.webhook.events()
    }

    /// The one-event webhook the event was read from: the entry, and the value's metadata and
    /// contacts, as typed models. Feed it to a
    /// [`WindowTracker`](crate::pacing::WindowTracker) or an
    /// [`IdentityDirectory`](crate::identity::IdentityDirectory) as you would the original.
    pub fn webhook(&self) -> &Webhook {
        &self.webhook
    }

    /// The stored kind (`whatsapp.message.text`, ...).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The dedupe key it was stored under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The event's object as Meta sent it (its escaping kept).
    pub fn raw_event(&self) -> &str {
        // The range was cut from this payload at a `RawValue`'s bounds: valid UTF-8.
        self.payload
            .get(self.event_bytes.clone())
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("null")
    }

    /// The whole stored envelope.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// [`Event::text`].
    pub fn text(&self) -> Option<&str> {
        self.event()?.text()
    }

    /// [`Event::sender`].
    pub fn sender(&self) -> Option<&str> {
        self.event()?.sender()
    }

    /// [`Event::recipient`].
    pub fn recipient(&self) -> Option<&str> {
        self.event()?.recipient()
    }

    /// [`Event::business`]: the WhatsApp phone-number id, Page or Instagram account.
    pub fn business(&self) -> Option<&str> {
        self.event()?.business()
    }

    /// [`Event::account`]: the WABA, Page or Instagram account id (the item's tenant).
    pub fn account(&self) -> Option<&str> {
        self.event()?.account()
    }

    /// [`Event::user_key`].
    pub fn user_key(&self) -> Option<&str> {
        self.event()?.user_key()
    }

    /// [`Event::user`].
    pub fn user(&self) -> Option<UserIdentity> {
        self.event()?.user()
    }

    /// [`Event::message_id`].
    pub fn message_id(&self) -> Option<&str> {
        self.event()?.message_id()
    }

    /// [`Event::timestamp`].
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.event()?.timestamp()
    }
}

/// The list of an envelope written before it named one: a whole change (an object with a
/// `field` or a `value`: every event of non-`messages` fields was stored so), else from its kind.
fn legacy_list(kind: &str, event: &RawValue) -> Option<String> {
    let is_change = serde_json::from_str::<serde_json::Value>(event.get())
        .ok()
        .and_then(|v| v.as_object().map(|o| o.contains_key("field") || o.contains_key("value")))
        .unwrap_or(false);
    if is_change {
        return Some("changes".to_owned());
    }
    let mut parts = kind.split('.');
    let (platform, middle) = (parts.next()?, parts.next()?);
    let list = match (platform, middle) {
        ("whatsapp", "message") => "messages",
        ("whatsapp", "status" | "call_status") => "statuses",
        ("whatsapp", "error") => "errors",
        ("whatsapp", "call") => "calls",
        ("whatsapp", "echo") => "message_echoes",
        ("messenger" | "instagram", "standby") => "standby",
        ("messenger" | "instagram", _) => "messaging",
        _ => return None,
    };
    Some(list.to_owned())
}

/// A webhook body holding the one event, in its place.
fn rebuild(envelope: &Envelope<'_>, head: &EntryHead<'_>, list: Option<&str>) -> String {
    let raw = |value: Option<&RawValue>| value.map_or("null", RawValue::get).to_owned();
    let quoted = |text: &str| serde_json::to_string(text).unwrap_or_default();
    let event = envelope.event.get();
    let entry_head = format!("\"id\":{},\"time\":{}", raw(head.id), raw(head.time));
    let inner = match (list, envelope.field) {
        // Entry lists (a Page's `calls` too; WhatsApp's `calls` sit in a change, with a field).
        (Some(list @ ("messaging" | "standby" | "changes")), _) | (Some(list @ "calls"), None) => {
            format!("{entry_head},{}:[{event}]", quoted(list))
        }
        (Some(list), Some(field)) => {
            let mut value = String::new();
            for (name, part) in [
                ("messaging_product", envelope.messaging_product),
                ("metadata", envelope.metadata),
                ("contacts", envelope.contacts),
            ] {
                if let Some(part) = part {
                    let _ = write!(value, "{}:{},", quoted(name), part.get());
                }
            }
            let _ = write!(value, "{}:[{event}]", quoted(list));
            format!("{entry_head},\"changes\":[{{\"field\":{},\"value\":{{{value}}}}}]", field.get())
        }
        _ => format!("{entry_head},\"changes\":[{event}]"),
    };
    format!("{{\"object\":{},\"entry\":[{{{inner}}}]}}", envelope.object.get())
}

/// A worker [`Handler`] that hands `handler` each item as its typed [`StoredEvent`], after
/// feeding the event to the window tracker and the identity directory you give it (so the
/// durable mode learns windows and identities as the handler mode does).
///
/// ```no_run
/// use std::sync::Arc;
/// use meta_messaging::delivery::{EventHandler, INBOX_QUEUE, InMemoryQueue, StoredEvent, Worker};
/// use meta_messaging::pacing::WindowTracker;
///
/// let queue = Arc::new(InMemoryQueue::default());
/// let handler = EventHandler::new(|event: StoredEvent| async move {
///     if let Some(text) = event.text() {
///         println!("{:?} wrote {text}", event.user_key());
///     }
///     Ok(())
/// })
/// .windows(WindowTracker::in_memory());
/// let worker = Worker::new(queue, INBOX_QUEUE, handler);
/// ```
pub struct EventHandler<F> {
    handler: F,
    windows: Option<WindowTracker>,
    identities: Option<IdentityDirectory>,
}

impl<F> fmt::Debug for EventHandler<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventHandler")
            .field("windows", &self.windows.is_some())
            .field("identities", &self.identities.is_some())
            .finish_non_exhaustive()
    }
}

impl<F, Fut> EventHandler<F>
where
    F: Fn(StoredEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    /// Hands each event to `handler`.
    pub fn new(handler: F) -> Self {
        Self { handler, windows: None, identities: None }
    }

    /// Records each inbound message in `tracker` before the handler runs, so a reply from the
    /// handler finds the user's window open.
    #[must_use]
    pub fn windows(mut self, tracker: WindowTracker) -> Self {
        self.windows = Some(tracker);
        self
    }

    /// Learns each event's identities (BSUID, phone, username) in `directory` before the
    /// handler runs.
    #[must_use]
    pub fn identities(mut self, directory: IdentityDirectory) -> Self {
        self.identities = Some(directory);
        self
    }
}

#[async_trait]
impl<F, Fut> Handler for EventHandler<F>
where
    F: Fn(StoredEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        let event = StoredEvent::from_item(item)?;
        if let Some(directory) = &self.identities {
            directory.learn(event.webhook()).await?;
        }
        if let Some(tracker) = &self.windows {
            tracker.observe(event.webhook()).await?;
        }
        (self.handler)(event).await
    }
}

impl NewItem {
    /// This record's event, typed (see [`StoredEvent`]).
    ///
    /// # Errors
    ///
    /// [`StoredEventError`] when the payload is not an inbox envelope.
    pub fn event(&self) -> Result<StoredEvent, StoredEventError> {
        StoredEvent::from_payload(&self.payload)
    }
}
