//! The inbox: a verified body's events, made durable before the answer.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::oneshot;

use super::{INBOX_QUEUE, NewItem, Queue};
use crate::store::StoreError;
use crate::webhook::{Event, OBJECT_WHATSAPP, Webhook, body_digest};

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
/// - **key**: the event's [`dedupe_key`](Event::dedupe_key), or the body's digest and the
///   event's position for events without one, so a redelivered body maps to the same keys;
/// - **conversation**: the platform, the business ([`Event::business`]) and the user's stable
///   key ([`Event::user_key`]), so a user's messages and the statuses of messages sent to them
///   share one, with or without a phone number; else the two parties in a fixed order, or the
///   key itself for events with no parties (account changes: no ordering needed);
/// - **tenant**: the business account the event came in on ([`Event::account`]: the WABA,
///   Page or Instagram account id), so [`Queue::purge_tenant`](super::Queue::purge_tenant)
///   erases it and a [`SealedQueue`](super::SealedQueue) seals it with that tenant's key;
/// - **payload**: a JSON envelope `{"object", "kind", "key", "entry": {"id", "time"}, "field",
///   "metadata", "contacts", "event"}`, where `event` is the event's Meta object as sent (a
///   WhatsApp message or status, a messaging item, a change) with its ids intact.
pub fn event_records(body: &[u8], webhook: &Webhook) -> Vec<NewItem> {
    let events: Vec<Event<'_>> = webhook.events().collect();
    if events.is_empty() {
        return Vec::new();
    }
    let raw = raw_events(body, webhook.object());
    // The raw walk mirrors the typed one; should they ever disagree (a malformed element the
    // typed parser skipped), each event carries the whole body instead, never less.
    let raw = raw.filter(|raw| raw.len() == events.len());
    let digest = body_digest(body);
    let object = webhook.object();
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
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
            if let Some(raw) = &raw {
                raw[index].write(&mut payload);
            } else {
                payload.extend_from_slice(b",\"event\":");
                payload.extend_from_slice(body);
            }
            payload.push(b'}');
            NewItem { key, conversation, payload, tenant: event.account().map(str::to_owned) }
        })
        .collect()
}

/// Appends `text` as a JSON string.
fn push_string(out: &mut Vec<u8>, text: &str) {
    // Writing a `str` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// One event's Meta object and its surroundings, as byte ranges of the body (Meta's own
/// escaping kept).
struct RawEvent<'a> {
    entry_id: Option<&'a RawValue>,
    entry_time: Option<&'a RawValue>,
    field: Option<&'a RawValue>,
    /// `messaging_product`, `metadata` and `contacts` of a WhatsApp `messages` value.
    context: [(&'static str, Option<&'a RawValue>); 3],
    event: &'a RawValue,
}

impl RawEvent<'_> {
    /// Appends `,"entry":{..},"field":..,<context>,"event":..` to an open JSON object.
    fn write(&self, out: &mut Vec<u8>) {
        fn raw_or_null(value: Option<&RawValue>) -> &[u8] {
            value.map_or("null", RawValue::get).as_bytes()
        }
        out.extend_from_slice(b",\"entry\":{\"id\":");
        out.extend_from_slice(raw_or_null(self.entry_id));
        out.extend_from_slice(b",\"time\":");
        out.extend_from_slice(raw_or_null(self.entry_time));
        out.push(b'}');
        if let Some(field) = self.field {
            out.extend_from_slice(b",\"field\":");
            out.extend_from_slice(field.get().as_bytes());
        }
        for (name, value) in &self.context {
            if let Some(value) = value {
                out.push(b',');
                push_string(out, name);
                out.push(b':');
                out.extend_from_slice(value.get().as_bytes());
            }
        }
        out.extend_from_slice(b",\"event\":");
        out.extend_from_slice(self.event.get().as_bytes());
    }
}

#[derive(Deserialize)]
struct RawBody<'a> {
    #[serde(borrow, default)]
    entry: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
    #[serde(borrow, default)]
    changes: Option<&'a RawValue>,
    #[serde(borrow, default)]
    messaging: Option<&'a RawValue>,
    #[serde(borrow, default)]
    standby: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawChange<'a> {
    #[serde(borrow, default)]
    field: Option<&'a RawValue>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawMessagesValue<'a> {
    #[serde(borrow, default)]
    messaging_product: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    contacts: Option<&'a RawValue>,
    #[serde(borrow, default)]
    messages: Option<&'a RawValue>,
    #[serde(borrow, default)]
    statuses: Option<&'a RawValue>,
    #[serde(borrow, default)]
    errors: Option<&'a RawValue>,
}

/// The elements of a JSON array (none for anything else), each borrowed from the body.
fn elements(value: Option<&RawValue>) -> Vec<&RawValue> {
    value.and_then(|v| serde_json::from_str::<Vec<&RawValue>>(v.get()).ok()).unwrap_or_default()
}

fn is_object(value: &RawValue) -> bool {
    value.get().starts_with('{')
}

/// The Meta object of each event, in the order [`Webhook::events`] yields them; `None` when the
/// body does not have the shape the walk expects.
fn raw_events<'a>(body: &'a [u8], object: &str) -> Option<Vec<RawEvent<'a>>> {
    let root: RawBody<'a> = serde_json::from_slice(body).ok()?;
    let mut out = Vec::new();
    for entry in root.entry.into_iter().filter(|e| is_object(e)) {
        let entry: RawEntry<'a> = serde_json::from_str(entry.get()).ok()?;
        let event = |field, context, event| RawEvent {
            entry_id: entry.id,
            entry_time: entry.time,
            field,
            context,
            event,
        };
        let no_context = [("messaging_product", None), ("metadata", None), ("contacts", None)];
        let changes = elements(entry.changes).into_iter().filter(|c| is_object(c));
        if object == OBJECT_WHATSAPP {
            for raw in changes {
                let change: RawChange<'a> = serde_json::from_str(raw.get()).ok()?;
                let is_messages = change.field.is_some_and(|f| f.get() == "\"messages\"");
                let value = change
                    .value
                    .filter(|v| is_messages && is_object(v))
                    .and_then(|v| serde_json::from_str::<RawMessagesValue<'a>>(v.get()).ok());
                let Some(value) = value else {
                    out.push(event(change.field, no_context, raw));
                    continue;
                };
                let items: Vec<&RawValue> =
                    [value.messages, value.statuses, value.errors].into_iter().flat_map(elements).collect();
                if items.is_empty() {
                    out.push(event(change.field, no_context, raw));
                    continue;
                }
                let context = [
                    ("messaging_product", value.messaging_product),
                    ("metadata", value.metadata),
                    ("contacts", value.contacts),
                ];
                out.extend(items.into_iter().map(|item| event(change.field, context, item)));
            }
        } else {
            for list in [entry.messaging, entry.standby] {
                out.extend(
                    elements(list)
                        .into_iter()
                        .filter(|i| is_object(i))
                        .map(|item| event(None, no_context, item)),
                );
            }
            for raw in changes {
                let change: RawChange<'a> = serde_json::from_str(raw.get()).ok()?;
                out.push(event(change.field, no_context, raw));
            }
        }
    }
    Some(out)
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
    fn the_raw_walk_agrees_with_the_typed_one_on_every_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut checked = 0;
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let body = std::fs::read(&path).unwrap();
                let Ok(webhook) = parse(&body) else { continue };
                let events = webhook.events().count();
                if events == 0 {
                    continue;
                }
                let raw = raw_events(&body, webhook.object());
                assert_eq!(
                    raw.map(|r| r.len()),
                    Some(events),
                    "{}: {:?}",
                    path.display(),
                    webhook.events().map(|e| e.kind().to_string()).collect::<Vec<_>>()
                );
                for (event, item) in webhook.events().zip(event_records(&body, &webhook)) {
                    let envelope: Value = serde_json::from_slice(&item.payload).unwrap();
                    assert_eq!(envelope["kind"], event.kind().to_string(), "{}", path.display());
                    // Each event's own object: its id is the typed event's message id.
                    if let Some(id) = event.message_id() {
                        let raw = &envelope["event"];
                        let found = [
                            &raw["id"],
                            &raw["message"]["mid"],
                            &raw["reaction"]["mid"],
                            &raw["read"]["mid"],
                        ]
                        .into_iter()
                        .any(|v| v.as_str() == Some(id));
                        assert!(
                            found || raw.to_string().contains(id),
                            "{}: {id} not in {raw}",
                            path.display()
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} webhook fixtures found");
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
