//! The inbox: a verified body's events, made durable before the answer.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value, json};
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
/// - **conversation**: the platform and the two parties (sender and recipient, in a fixed order,
///   so a user's messages and the statuses of messages sent to them share one), or the key
///   itself for events with no parties (account changes: no ordering needed);
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
    let whole = raw.len() != events.len();
    let digest = body_digest(body);
    events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let key = event.dedupe_key().unwrap_or_else(|| format!("{digest}#{index}"));
            let conversation = match (event.sender(), event.recipient()) {
                (Some(a), Some(b)) => {
                    let (low, high) = if a <= b { (a, b) } else { (b, a) };
                    format!("{}:{low}:{high}", event.platform())
                }
                _ => key.clone(),
            };
            let mut envelope = Map::new();
            envelope.insert("object".into(), Value::from(webhook.object()));
            envelope.insert("kind".into(), Value::from(event.kind().to_string()));
            envelope.insert("key".into(), Value::from(key.as_str()));
            if whole {
                let body = serde_json::from_slice(body).unwrap_or(Value::Null);
                envelope.insert("event".into(), body);
            } else {
                let RawEvent { entry, field, context, event } = raw[index].clone();
                envelope.insert("entry".into(), entry);
                if let Some(field) = field {
                    envelope.insert("field".into(), field);
                }
                if let Some(context) = context {
                    envelope.extend(context);
                }
                envelope.insert("event".into(), event);
            }
            let payload = serde_json::to_vec(&Value::Object(envelope)).unwrap_or_default();
            NewItem { key, conversation, payload }
        })
        .collect()
}

#[derive(Clone)]
struct RawEvent {
    entry: Value,
    field: Option<Value>,
    context: Option<Map<String, Value>>,
    event: Value,
}

/// The Meta object of each event, in the order [`Webhook::events`] yields them.
fn raw_events(body: &[u8], object: &str) -> Vec<RawEvent> {
    let Ok(root) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let entries = root.get("entry").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let array = |value: &Value, key: &str| -> Vec<Value> {
        value.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let mut out = Vec::new();
    for entry in entries.iter().filter(|e| e.is_object()) {
        let head = json!({"id": entry.get("id").cloned().unwrap_or(Value::Null),
                          "time": entry.get("time").cloned().unwrap_or(Value::Null)});
        let event = |field: Option<Value>, context: Option<Map<String, Value>>, event: Value| RawEvent {
            entry: head.clone(),
            field,
            context,
            event,
        };
        let changes = array(entry, "changes");
        if object == OBJECT_WHATSAPP {
            for change in changes.into_iter().filter(Value::is_object) {
                let field = change.get("field").cloned();
                let value = change.get("value").cloned().unwrap_or(Value::Null);
                let messages_value =
                    field.as_ref().and_then(Value::as_str) == Some("messages") && value.is_object();
                let items: Vec<Value> = if messages_value {
                    ["messages", "statuses", "errors"].iter().flat_map(|key| array(&value, key)).collect()
                } else {
                    Vec::new()
                };
                if items.is_empty() {
                    out.push(event(field, None, change));
                    continue;
                }
                let mut context = Map::new();
                for key in ["messaging_product", "metadata", "contacts"] {
                    if let Some(v) = value.get(key) {
                        context.insert(key.to_owned(), v.clone());
                    }
                }
                for item in items {
                    out.push(event(field.clone(), Some(context.clone()), item));
                }
            }
        } else {
            for key in ["messaging", "standby"] {
                for item in array(entry, key).into_iter().filter(Value::is_object) {
                    out.push(event(None, None, item));
                }
            }
            for change in changes.into_iter().filter(Value::is_object) {
                out.push(event(change.get("field").cloned(), None, change));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
}
