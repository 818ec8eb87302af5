//! One walk: the typed events, the inbox's records and each record's bytes agree on every
//! fixture and on generated bodies, against an oracle written here from the count rule alone.

use std::path::{Path, PathBuf};

use meta_messaging::delivery::{StoredEvent, event_records};
use meta_messaging::webhook::{Webhook, parse};
use proptest::prelude::*;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// The lists inside a WhatsApp change's value whose items are one event each, by field.
fn item_lists(field: &str) -> &'static [&'static str] {
    match field {
        "messages" => &["messages", "statuses", "errors"],
        "calls" => &["calls", "statuses"],
        "group_lifecycle_update"
        | "group_participants_update"
        | "group_settings_update"
        | "group_status_update" => &["groups"],
        "smb_message_echoes" | "message_echoes" => &["message_echoes"],
        _ => &[],
    }
}

fn objects(value: Option<&Value>) -> Vec<&Value> {
    value.and_then(Value::as_array).map(|a| a.iter().filter(|v| v.is_object()).collect()).unwrap_or_default()
}

/// The count rule over a `Value`, independent of the crate: each event's own object, in order.
fn oracle(body: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let whatsapp = body["object"] == "whatsapp_business_account";
    for entry in objects(body.get("entry")) {
        let lists: &[&str] =
            if whatsapp { &["changes"] } else { &["messaging", "standby", "changes", "calls"] };
        for list in lists {
            for element in objects(entry.get(*list)) {
                let field = element["field"].as_str().unwrap_or_default();
                let value = &element["value"];
                let items: Vec<&Value> = if whatsapp && *list == "changes" && value.is_object() {
                    item_lists(field)
                        .iter()
                        .flat_map(|key| value.get(*key).and_then(Value::as_array).into_iter().flatten())
                        .collect()
                } else {
                    Vec::new()
                };
                if items.is_empty() {
                    out.push(element.clone());
                } else {
                    out.extend(items.into_iter().cloned());
                }
            }
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct Envelope<'a> {
    kind: String,
    #[serde(borrow)]
    event: &'a RawValue,
}

/// The property: the events, the inbox's records and the oracle agree in count, and each
/// record's `event` is byte for byte a piece of the body, equal to the oracle's object.
fn check(body: &[u8], webhook: &Webhook, exact: bool) -> usize {
    let events: Vec<_> = webhook.events_with_sites().collect();
    let records = event_records(body, webhook);
    assert_eq!(events.len(), records.len(), "events vs records");
    let text = std::str::from_utf8(body).unwrap();
    let expected = oracle(&serde_json::from_slice(body).unwrap());
    if exact {
        assert_eq!(events.len(), expected.len(), "events vs the count rule");
    }
    for (i, ((site, event), record)) in events.iter().zip(&records).enumerate() {
        let envelope: Envelope<'_> = serde_json::from_slice(&record.payload).unwrap();
        assert_eq!(envelope.kind, event.kind().to_string());
        let raw = envelope.event.get();
        assert!(text.contains(raw), "record {i} is not a piece of the body: {raw}");
        assert_eq!(site.locate(body), Some(raw), "record {i}: the site locates another object");
        if exact {
            let parsed: Value = serde_json::from_str(raw).unwrap();
            assert_eq!(parsed, expected[i], "record {i} is not the event's own object");
        }
        // Read back from the store, the record is the same typed event.
        let stored = StoredEvent::from_payload(&record.payload).unwrap();
        let again = stored.event().unwrap();
        assert_eq!(again.kind().to_string(), event.kind().to_string(), "record {i}");
        assert_eq!(
            (again.message_id(), again.sender(), again.recipient(), again.text()),
            (event.message_id(), event.sender(), event.recipient(), event.text()),
            "record {i} ({})",
            event.kind()
        );
        assert_eq!(
            (again.user_key(), again.business(), again.account(), again.timestamp()),
            (event.user_key(), event.business(), event.account(), event.timestamp()),
            "record {i} ({})",
            event.kind()
        );
        assert_eq!(again.user(), event.user(), "record {i}");
        assert_eq!(stored.raw_event(), raw);
    }
    events.len()
}

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            fixture_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_webhook_fixture_walks_once_and_cuts_each_event_exactly() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    fixture_files(&root, &mut files);
    let (mut bodies, mut events) = (0, 0);
    for path in files {
        let body = std::fs::read(&path).unwrap();
        let Ok(webhook) = parse(&body) else { continue };
        if matches!(webhook, Webhook::Unsupported(_)) {
            continue;
        }
        // Hostile bodies: the typed parse may drop an odd element the oracle counts; the
        // events and records still agree and every record is a piece of the body.
        let exact = !path.to_string_lossy().contains("/bad/");
        events += check(&body, &webhook, exact);
        bodies += 1;
    }
    assert!(bodies >= 60 && events >= 100, "only {bodies} bodies, {events} events");
}

#[test]
fn a_groups_change_with_two_updates_is_two_events() {
    let body = json!({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"group_participants_update",
        "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},
        "groups":[{"timestamp":"1","group_id":"G1","type":"group_participants_add","added_participants":[{"input":"+15550001"}]},
                  {"timestamp":"2","group_id":"G1","type":"group_participants_remove","removed_participants":[{"input":"+15550002"}]}]}}]}]})
    .to_string();
    let webhook = parse(body.as_bytes()).unwrap();
    assert_eq!(check(body.as_bytes(), &webhook, true), 2);
    let kinds: Vec<String> = webhook.events().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds, ["whatsapp.group_participants_update", "whatsapp.group_participants_update"]);
    let records = event_records(body.as_bytes(), &webhook);
    let second: Value = serde_json::from_slice(&records[1].payload).unwrap();
    assert_eq!(second["event"]["type"], "group_participants_remove");
    assert_eq!(second["metadata"]["phone_number_id"], "2");
}

#[test]
fn a_calls_change_stores_each_call_not_the_change() {
    let body = json!({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls",
        "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},
        "contacts":[{"profile":{"name":"Ana"},"wa_id":"15550001"}],
        "calls":[{"id":"wacid.A","from":"15550001","to":"1","event":"connect","timestamp":"1","direction":"USER_INITIATED"},
                 {"id":"wacid.B","from":"15550001","to":"1","event":"terminate","timestamp":"2","direction":"USER_INITIATED"}]}}]}]})
    .to_string();
    let webhook = parse(body.as_bytes()).unwrap();
    assert_eq!(check(body.as_bytes(), &webhook, true), 2);
    let records = event_records(body.as_bytes(), &webhook);
    let first: Value = serde_json::from_slice(&records[0].payload).unwrap();
    assert_eq!(first["event"]["id"], "wacid.A");
    assert_eq!(first["contacts"][0]["wa_id"], "15550001");
}

fn message(i: usize) -> Value {
    json!({"from":"15550001","id":format!("wamid.M{i}"),"timestamp":"1","type":"text","text":{"body":format!("m{i}")}})
}

fn status(i: usize) -> Value {
    json!({"id":format!("wamid.S{i}"),"status":"read","timestamp":"1","recipient_id":"15550001"})
}

/// A WhatsApp change of kind `kind` with `n` items in each of its lists.
fn change(kind: u8, n: usize, seed: usize) -> Value {
    let metadata = json!({"display_phone_number":"1","phone_number_id":"2"});
    let items = |make: fn(usize) -> Value| (0..n).map(|i| make(seed * 100 + i)).collect::<Vec<_>>();
    match kind {
        0 => json!({"field":"messages","value":{"messaging_product":"whatsapp","metadata":metadata,
            "messages":items(message),"statuses":items(status),
            "errors":(0..n).map(|i| json!({"code":131_000 + i,"title":"x"})).collect::<Vec<_>>()}}),
        1 => json!({"field":"calls","value":{"metadata":metadata,
            "calls":(0..n).map(|i| json!({"id":format!("wacid.{seed}.{i}"),"event":"connect","from":"15550001"})).collect::<Vec<_>>(),
            "statuses":(0..n).map(|i| json!({"id":format!("wacid.s{seed}.{i}"),"status":"RINGING","type":"call"})).collect::<Vec<_>>()}}),
        2 => json!({"field":"group_settings_update","value":{"metadata":metadata,
            "groups":(0..n).map(|i| json!({"group_id":format!("G{i}"),"type":"group_settings_update","timestamp":"1"})).collect::<Vec<_>>()}}),
        3 => json!({"field":"smb_message_echoes","value":{"metadata":metadata,
            "message_echoes":(0..n).map(|i| json!({"from":"1","to":"15550001","id":format!("wamid.E{seed}.{i}"),"timestamp":"1","type":"text","text":{"body":"e"}})).collect::<Vec<_>>()}}),
        _ => json!({"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}),
    }
}

fn messaging(i: usize) -> Value {
    json!({"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":format!("m_{i}"),"text":"hi"}})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_whatsapp_bodies_walk_once(shape in prop::collection::vec(prop::collection::vec((0u8..5, 0usize..3), 0..4), 0..4)) {
        let entries: Vec<Value> = shape.iter().enumerate().map(|(e, changes)| json!({"id": format!("{e}"),
            "changes": changes.iter().enumerate().map(|(c, (kind, n))| change(*kind, *n, e * 10 + c)).collect::<Vec<_>>()})).collect();
        let body = json!({"object":"whatsapp_business_account","entry":entries}).to_string();
        let webhook = parse(body.as_bytes()).unwrap();
        check(body.as_bytes(), &webhook, true);
    }

    #[test]
    fn generated_page_bodies_walk_once(shape in prop::collection::vec((0usize..3, 0usize..3, 0usize..3), 0..4)) {
        let entries: Vec<Value> = shape.iter().enumerate().map(|(e, (m, s, c))| json!({"id": format!("{e}"), "time": 1,
            "messaging": (0..*m).map(|i| messaging(e * 10 + i)).collect::<Vec<_>>(),
            "standby": (0..*s).map(|i| messaging(e * 10 + 5 + i)).collect::<Vec<_>>(),
            "changes": (0..*c).map(|i| json!({"field":"feed","value":{"item":"status","post_id":format!("p{i}")}})).collect::<Vec<_>>()})).collect();
        let body = json!({"object":"page","entry":entries}).to_string();
        let webhook = parse(body.as_bytes()).unwrap();
        check(body.as_bytes(), &webhook, true);
    }
}

#[test]
fn an_item_with_two_event_objects_reads_the_same_on_both_paths() {
    // Found by the fuzzer: the fast path read the first event key in body order, the general
    // path (a sorted map) the first in key order; a stored record then read back as another kind.
    let item = r#"{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,
        "reaction":{"mid":"m_1","action":"react","emoji":"x"},"message":{"mid":"m_2","text":"hi"}}"#;
    let fast = format!(r#"{{"object":"page","entry":[{{"id":"1","time":1,"messaging":[{item}]}}]}}"#);
    // A duplicate key sends the whole body down the general path.
    let general =
        format!(r#"{{"object":"page","entry":[{{"id":"1","id":"1","time":1,"messaging":[{item}]}}]}}"#);
    for body in [fast, general] {
        let webhook = parse(body.as_bytes()).unwrap();
        let kinds: Vec<String> = webhook.events().map(|e| e.kind().to_string()).collect();
        assert_eq!(kinds, ["messenger.message"], "{body}");
        check(body.as_bytes(), &webhook, false);
    }
}

#[test]
fn a_repeated_event_key_reads_the_last_on_both_paths() {
    let item = r#"{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,
        "message":{"mid":"m_1","text":"first"},"message":{"mid":"m_2","text":"second"}}"#;
    let fast = format!(r#"{{"object":"page","entry":[{{"id":"1","time":1,"messaging":[{item}]}}]}}"#);
    let general =
        format!(r#"{{"object":"page","entry":[{{"id":"1","id":"1","time":1,"messaging":[{item}]}}]}}"#);
    for body in [fast, general] {
        let webhook = parse(body.as_bytes()).unwrap();
        let texts: Vec<Option<&str>> = webhook.events().map(|e| e.text()).collect();
        assert_eq!(texts, [Some("second")], "{body}");
        check(body.as_bytes(), &webhook, false);
    }
}

#[test]
fn a_stored_event_carries_only_its_own_users_profile() {
    // Two users write in one value; only the first has a contact. Read back alone, the second
    // user's message must not take the first user's profile (name, BSUID, username).
    let body = json!({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},
        "contacts":[{"profile":{"name":"Ana","username":"ana.s"},"wa_id":"15550001","user_id":"US.111"}],
        "messages":[
            {"from":"15550001","id":"wamid.A","timestamp":"1","type":"text","text":{"body":"a"}},
            {"from":"15550002","id":"wamid.B","timestamp":"2","type":"text","text":{"body":"b"}}]}}]}]})
    .to_string();
    let webhook = parse(body.as_bytes()).unwrap();
    check(body.as_bytes(), &webhook, true);
    let records = event_records(body.as_bytes(), &webhook);
    let first = StoredEvent::from_payload(&records[0].payload).unwrap();
    let second = StoredEvent::from_payload(&records[1].payload).unwrap();
    assert_eq!(first.user().unwrap().username.as_deref(), Some("ana.s"));
    let other = second.user().unwrap();
    assert_eq!(
        (other.phone.as_deref(), other.user_id.as_deref(), other.username.as_deref()),
        (Some("15550002"), None, None)
    );
    let envelope: Value = serde_json::from_slice(&records[1].payload).unwrap();
    assert_eq!(envelope["contacts"], json!([]));
}

#[test]
fn envelopes_written_before_the_one_walk_still_read() {
    // Before the one walk, every event of a non-`messages` field was stored as its whole
    // change, with no `list`.
    let call = r#"{"object":"whatsapp_business_account","kind":"whatsapp.call.connect","key":"k1",
        "entry":{"id":"1","time":null},"field":"calls",
        "event":{"field":"calls","value":{"metadata":{"display_phone_number":"1","phone_number_id":"2"},
          "calls":[{"id":"wacid.A","from":"15550001","to":"1","event":"connect","timestamp":"1"}]}}}"#;
    let stored = StoredEvent::from_payload(call.as_bytes()).unwrap();
    assert_eq!((stored.kind(), stored.message_id()), ("whatsapp.call.connect", Some("wacid.A")));
    let echoes = r#"{"object":"whatsapp_business_account","kind":"whatsapp.smb_message_echoes","key":"k2",
        "entry":{"id":"1","time":null},"field":"smb_message_echoes",
        "event":{"field":"smb_message_echoes","value":{"metadata":{"display_phone_number":"1","phone_number_id":"2"},
          "message_echoes":[{"from":"1","to":"15550001","id":"wamid.E1","timestamp":"1","type":"text","text":{"body":"x"}},
                            {"from":"1","to":"15550001","id":"wamid.E2","timestamp":"2","type":"text","text":{"body":"y"}}]}}}"#;
    let stored = StoredEvent::from_payload(echoes.as_bytes()).unwrap();
    assert_eq!(stored.message_id(), Some("wamid.E1"));
    let ids: Vec<Option<&str>> = stored.events().map(|e| e.message_id()).collect();
    assert_eq!(ids, [Some("wamid.E1"), Some("wamid.E2")], "every event of the old record");
    let message = r#"{"object":"whatsapp_business_account","kind":"whatsapp.message.text","key":"k3",
        "entry":{"id":"1","time":null},"field":"messages","metadata":{"display_phone_number":"1","phone_number_id":"2"},
        "event":{"from":"15550001","id":"wamid.M","timestamp":"1","type":"text","text":{"body":"hi"}}}"#;
    let stored = StoredEvent::from_payload(message.as_bytes()).unwrap();
    assert_eq!((stored.text(), stored.business()), (Some("hi"), Some("2")));
    let page = r#"{"object":"page","kind":"messenger.message","key":"k4","entry":{"id":"1","time":1},
        "event":{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m_1","text":"yo"}}}"#;
    assert_eq!(StoredEvent::from_payload(page.as_bytes()).unwrap().text(), Some("yo"));
}
