//! The inbox: a verified body's events, made durable before the answer.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::value::RawValue;
use tokio::sync::oneshot;

use super::{INBOX_QUEUE, NewItem, Queue};
use crate::envelope::{RawCut, RawEvent, elements};
use crate::store::StoreError;
use crate::user::UserIdentity;
use crate::webhook::{Event, Webhook, body_digest};

/// Writes each verified body's events to a [`Queue`], deduped and durable, before the body is
/// answered.
///
/// Call [`store`](Self::store) after the signature is verified and the body parsed; answer `200`
/// only when it returns `Ok` (the events are durable then, and a redelivery stores nothing new),
/// and `503` when it fails (nothing was stored, and Meta redelivers).
///
/// Concurrent calls share commits (group commit): while one write is in flight, the bodies that
/// arrive queue up and go together in the next one, so at 32 concurrent requests the store syncs
/// once per group instead of once per body. Each call still returns only when its own events
/// are committed.
#[derive(Clone, Debug)]
pub struct Inbox {
    queue: Arc<dyn Queue>,
    name: String,
    group: Arc<Group>,
}

/// Bodies waiting for the next commit, and the lock that makes one caller the committer.
#[derive(Debug, Default)]
struct Group {
    waiting: Mutex<Vec<Waiting>>,
    committer: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Waiting {
    items: Vec<NewItem>,
    done: oneshot::Sender<Result<usize, StoreError>>,
}

/// What [`Inbox::store`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stored {
    /// Events in the body.
    pub events: usize,
    /// Events stored now (the others were stored by an earlier delivery).
    pub stored: usize,
}

impl Inbox {
    /// An inbox writing to the [`INBOX_QUEUE`] of `queue`.
    pub fn new(queue: Arc<dyn Queue>) -> Self {
        Self { queue, name: INBOX_QUEUE.to_owned(), group: Arc::default() }
    }

    /// Writes to another queue name (one inbox per consumer, for example).
    #[must_use]
    pub fn queue_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The queue.
    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.queue
    }

    /// The queue name written to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stores the events of a verified, parsed body in one transaction, skipping events already
    /// stored; when it returns `Ok`, answer `200`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the queue fails: nothing was stored; answer `503`.
    pub async fn store(&self, body: &[u8], webhook: &Webhook) -> Result<Stored, StoreError> {
        let items = event_records(body, webhook);
        let events = items.len();
        if items.is_empty() {
            return Ok(Stored { events, stored: 0 });
        }
        let (done, outcome) = oneshot::channel();
        self.group.waiting.lock().unwrap_or_else(PoisonError::into_inner).push(Waiting { items, done });
        {
            // Whoever holds the lock commits everything waiting, its own body or not; a caller
            // whose body went with an earlier group finds nothing (or later bodies) to commit.
            let _committer = self.group.committer.lock().await;
            let group =
                std::mem::take(&mut *self.group.waiting.lock().unwrap_or_else(PoisonError::into_inner));
            if !group.is_empty() {
                self.commit(group).await;
            }
        }
        let stored =
            outcome.await.unwrap_or_else(|_| Err(StoreError::backend_message("inbox: commit abandoned")))?;
        Ok(Stored { events, stored })
    }

    async fn commit(&self, group: Vec<Waiting>) {
        let batches: Vec<&[NewItem]> = group.iter().map(|w| w.items.as_slice()).collect();
        let outcome = self.queue.enqueue_batches(&self.name, &batches).await;
        drop(batches);
        match outcome {
            Ok(counts) => {
                for (waiting, stored) in group.into_iter().zip(counts) {
                    let _ = waiting.done.send(Ok(stored));
                }
            }
            Err(error) => {
                for waiting in group {
                    let _ = waiting.done.send(Err(error.clone()));
                }
            }
        }
    }
}

/// One queue item per event of `webhook` (parsed from `body`), in order.
///
/// - **key**: the event's [`dedupe_key`](crate::webhook::Event::dedupe_key), or the body's
///   digest and the event's position for events without one, so a redelivered body maps to the
///   same keys;
/// - **conversation**: the platform, the business
///   ([`Event::business`](crate::webhook::Event::business)) and the user's stable key
///   ([`Event::user_key`](crate::webhook::Event::user_key)), so a user's messages and the
///   statuses of messages sent to them share one, with or without a phone number; else the two
///   parties in a fixed order, or the key itself for events with no parties (account changes:
///   no ordering needed);
/// - **tenant**: the business account the event came in on
///   ([`Event::account`](crate::webhook::Event::account): the WABA, Page or Instagram account
///   id), so [`Queue::purge_tenant`](super::Queue::purge_tenant)
///   erases it and a [`SealedQueue`](super::SealedQueue) seals it with that tenant's key;
/// - **payload**: a JSON envelope `{"object", "kind", "key", "entry": {"id", "time"}, "field",
///   "list", "messaging_product", "metadata", "contacts", "event"}`, where `event` is the
///   event's Meta object as sent (a WhatsApp message or status, a call, a group update, an
///   echo, a messaging item, a change) with its ids intact, and `list` the array it was an
///   element of (`messages`, `statuses`, `calls`, `groups`, `message_echoes`, or the entry's
///   `changes`, `messaging`, `standby`). Read it back
///   as the typed event with [`StoredEvent`](super::StoredEvent).
pub fn event_records(body: &[u8], webhook: &Webhook) -> Vec<NewItem> {
    let mut raw = None;
    let digest = body_digest(body);
    let object = webhook.object();
    webhook
        .events_with_sites()
        .enumerate()
        .map(|(index, (site, event))| {
            let key = event.dedupe_key().unwrap_or_else(|| format!("{digest}#{index}"));
            // One conversation per (business, user): the user's stable key, so a user seen with
            // and without a phone number is one conversation.
            let conversation = match (event.business(), event.user_key()) {
                (Some(business), Some(user)) => format!("{}:{business}:{user}", event.platform()),
                _ => match (event.sender(), event.recipient()) {
                    (Some(a), Some(b)) => {
                        let (low, high) = if a <= b { (a, b) } else { (b, a) };
                        format!("{}:{low}:{high}", event.platform())
                    }
                    _ => key.clone(),
                },
            };
            let mut payload = Vec::with_capacity(256);
            payload.extend_from_slice(b"{\"object\":");
            push_string(&mut payload, object);
            payload.extend_from_slice(b",\"kind\":");
            push_string(&mut payload, &event.kind().to_string());
            payload.extend_from_slice(b",\"key\":");
            push_string(&mut payload, &key);
            // The event's own object, found at the site the typed walk gave it. A body that is
            // not the parsed one cannot happen here; should it, the event carries the whole body.
            let cut = raw.get_or_insert_with(|| RawCut::new(body)).as_mut().and_then(|cut| cut.event(site));
            if let Some(cut) = cut {
                write_event(&cut, &event, &mut payload);
            } else {
                payload.extend_from_slice(b",\"event\":");
                payload.extend_from_slice(body);
            }
            payload.push(b'}');
            NewItem { key, conversation, payload, tenant: event.account().map(str::to_owned) }
        })
        .collect()
}

/// Appends the contacts of a value with several events that name this event's user (by phone
/// or business-scoped id): a stored event never carries another user's profile, which read
/// back alone could be taken for its own.
fn write_own_contacts(contacts: &RawValue, user: Option<&UserIdentity>, out: &mut Vec<u8>) {
    let ids: Vec<&str> = user
        .map(|u| [u.phone.as_deref(), u.user_id.as_deref()].into_iter().flatten().collect())
        .unwrap_or_default();
    let id_of = |contact: &serde_json::Value, key: &str| match contact.get(key) {
        Some(serde_json::Value::String(id)) => Some(id.clone()),
        Some(serde_json::Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    out.push(b'[');
    let mut first = true;
    for contact in elements(Some(contacts)) {
        let parsed: serde_json::Value = serde_json::from_str(contact.get()).unwrap_or_default();
        let own = ["wa_id", "user_id"]
            .iter()
            .any(|key| id_of(&parsed, key).is_some_and(|id| ids.contains(&id.as_str())));
        if own {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(contact.get().as_bytes());
        }
    }
    out.push(b']');
}

/// Appends `text` as a JSON string.
fn push_string(out: &mut Vec<u8>, text: &str) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// Appends `,"entry":{..},"field":..,<context>,"event":..` to an open JSON object.
fn write_event(raw: &RawEvent<'_>, event: &Event<'_>, out: &mut Vec<u8>) {
    fn raw_or_null(value: Option<&RawValue>) -> &[u8] {
        value.map_or("null", RawValue::get).as_bytes()
    }
    out.extend_from_slice(b",\"entry\":{\"id\":");
    out.extend_from_slice(raw_or_null(raw.entry_id));
    out.extend_from_slice(b",\"time\":");
    out.extend_from_slice(raw_or_null(raw.entry_time));
    out.push(b'}');
    if let Some(field) = raw.field {
        out.extend_from_slice(b",\"field\":");
        out.extend_from_slice(field.get().as_bytes());
    }
    if let Some(list) = raw.list {
        out.extend_from_slice(b",\"list\":");
        push_string(out, list);
    }
    for (name, value) in &raw.context {
        if let Some(value) = value {
            out.push(b',');
            push_string(out, name);
            out.push(b':');
            if *name == "contacts" && raw.siblings > 1 {
                // The user is built only here: most values hold one event.
                write_own_contacts(value, event.user().as_ref(), out);
            } else {
                out.extend_from_slice(value.get().as_bytes());
            }
        }
    }
    out.extend_from_slice(b",\"event\":");
    out.extend_from_slice(raw.event.get().as_bytes());
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::webhook::parse;

    fn records(body: &str) -> Vec<NewItem> {
        event_records(body.as_bytes(), &parse(body.as_bytes()).unwrap())
    }

    fn envelope(item: &NewItem) -> Value {
        serde_json::from_slice(&item.payload).unwrap()
    }

    #[test]
    fn whatsapp_batch_gives_one_record_per_event_with_its_object() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[
            {"field":"messages","value":{"messaging_product":"whatsapp",
              "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
              "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
              "messages":[{"from":"16505551234","id":"wamid.A","timestamp":"1749416383","type":"text","text":{"body":"a"}},
                          {"from":"16505551234","id":"wamid.B","timestamp":"1749416384","type":"text","text":{"body":"b"}}],
              "statuses":[{"id":"wamid.C","status":"read","timestamp":"1749416385","recipient_id":"16505551234"}]}},
            {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]}"#;
        let items = records(body);
        assert_eq!(items.len(), 4);
        let ids: Vec<Value> = items.iter().map(|i| envelope(i)["event"]["id"].clone()).collect();
        assert_eq!(ids[..3], [json!("wamid.A"), json!("wamid.B"), json!("wamid.C")]);
        assert_eq!(envelope(&items[0])["kind"], "whatsapp.message.text");
        assert_eq!(envelope(&items[0])["metadata"]["phone_number_id"], "106540352242922");
        assert_eq!(envelope(&items[3])["event"]["field"], "account_update");
        // A user's messages and the status of a message to them share a conversation.
        assert_eq!(items[0].conversation, items[1].conversation);
        assert_eq!(items[0].conversation, items[2].conversation);
        // Keys differ per event and are stable across a redelivery.
        let again = records(body);
        assert_eq!(items, again);
        assert_ne!(items[0].key, items[1].key);
    }

    #[test]
    fn page_events_keep_messaging_standby_and_changes() {
        let body = r#"{"object":"page","entry":[{"id":"1","time":5,
            "messaging":[{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_1","text":"hi"}}],
            "standby":[{"sender":{"id":"3"},"recipient":{"id":"1"},"timestamp":2,"message":{"mid":"m_2","text":"yo"}}],
            "changes":[{"field":"feed","value":{"item":"status"}}]}]}"#;
        let items = records(body);
        assert_eq!(items.len(), 3);
        assert_eq!(envelope(&items[0])["event"]["message"]["mid"], "m_1");
        assert_eq!(envelope(&items[1])["event"]["message"]["mid"], "m_2");
        assert_eq!(envelope(&items[2])["field"], "feed");
        assert_ne!(items[0].conversation, items[1].conversation);
    }

    #[test]
    fn an_element_the_walk_cannot_place_sends_the_whole_body() {
        // `changes` that is not an array: the typed parser skips it, the raw walk gives up.
        let body = r#"{"object":"page","entry":[{"id":"1","changes":{"x":1},
            "messaging":[{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_9","text":"hi"}}]}]}"#;
        let items = records(body);
        assert_eq!(items.len(), 1);
        let envelope = envelope(&items[0]);
        let event = &envelope["event"];
        assert!(event["entry"].is_array() || event["message"]["mid"] == "m_9", "{envelope}");
    }
}
