//! Identity in the username era: bodies in the shapes of Meta's business-scoped user ids page
//! (`tests/fixtures/identity/README.md`), one stable key per user, and the directory that links
//! a phone number to its BSUID for the inbox, the window tracker and the pacer.

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Platform;
use meta_messaging::delivery::{INBOX_QUEUE, InMemoryQueue, Inbox, ItemState, Queue};
use meta_messaging::graph::{Outbound, SendGuard};
use meta_messaging::identity::{IdentityDirectory, InMemoryIdentityStore, UserIdentity};
use meta_messaging::pacing::{Pacer, PacerConfig, PacingPolicy, WindowTracker};
use meta_messaging::webhook::{Webhook, parse};

use crate::support::fixture;

#[path = "../common/identity_suite.rs"]
mod identity_suite;

const BUSINESS: &str = "106540352242922";
const BSUID: &str = "US.13491208655302741918";
const PHONE: &str = "16505551234";

fn body(name: &str) -> Vec<u8> {
    fixture(&format!("identity/{name}"))
}

fn webhook(name: &str) -> Webhook {
    parse(&body(name)).unwrap()
}

#[tokio::test]
async fn identity_stores_keep_the_contract_in_memory_and_on_sqlite() {
    identity_suite::run(&InMemoryIdentityStore::default(), "mem").await;
    let dir = std::env::temp_dir().join(format!("mm-identity-{}-{}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite =
        meta_messaging::store::SqliteIdentityStore::open(dir.join("ids.db").to_str().unwrap()).await.unwrap();
    identity_suite::run(&sqlite, "sqlite").await;
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_fixture_names_its_user_and_no_accessor_returns_an_empty_string() {
    let expectations: [(&str, Option<&str>, Option<&str>, &str); 7] = [
        // (fixture, phone, username, stable key)
        ("with_phone.json", Some(PHONE), Some("sheena.n"), BSUID),
        ("without_phone.json", None, Some("sheena.n"), BSUID),
        ("empty_strings.json", None, Some("sheena.n"), BSUID),
        ("status_parent.json", None, None, BSUID),
        ("user_changed_user_id.json", None, None, BSUID),
        ("calls_without_phone.json", None, Some("sheena.n"), BSUID),
        ("user_id_update.json", None, None, ""),
    ];
    for (name, phone, username, key) in expectations {
        let parsed = webhook(name);
        let events: Vec<_> = parsed.events().collect();
        assert!(!events.is_empty(), "{name}");
        for event in &events {
            for (what, value) in [
                ("sender", event.sender()),
                ("recipient", event.recipient()),
                ("user_key", event.user_key()),
                ("business", event.business()),
                ("message_id", event.message_id()),
            ] {
                assert_ne!(value, Some(""), "{name}: {} {what}", event.kind());
            }
        }
        let first = &events[0];
        if key.is_empty() {
            assert_eq!(first.user_key(), None, "{name}: an account-level change names no user");
            continue;
        }
        assert_eq!(first.user_key(), Some(key), "{name}");
        assert_eq!(first.business(), Some(BUSINESS), "{name}");
        let user = first.user().unwrap();
        assert_eq!(user.user_id.as_deref(), Some(BSUID), "{name}");
        assert_eq!(user.phone.as_deref(), phone, "{name}");
        assert_eq!(user.username.as_deref(), username, "{name}");
        // The contract: the phone when Meta gives a non-empty one, else the BSUID.
        let expected_party = phone.unwrap_or(BSUID);
        let party = if first.kind().to_string().starts_with("whatsapp.status") {
            first.recipient()
        } else {
            first.sender()
        };
        assert_eq!(party, Some(expected_party), "{name}");
    }
    // Parent BSUIDs in both spellings Meta has used.
    let statuses = webhook("status_parent.json");
    for event in statuses.events() {
        assert_eq!(event.user().unwrap().parent_user_id.as_deref(), Some("US.ENT.11815799212886844830"));
    }
}

#[tokio::test]
async fn the_directory_learns_links_number_changes_and_id_updates() {
    let directory = IdentityDirectory::new(InMemoryIdentityStore::default());
    assert_eq!(directory.learn(&webhook("with_phone.json")).await.unwrap(), 2, "contact and message");
    assert_eq!(directory.resolve(BUSINESS, PHONE).await.unwrap(), BSUID);
    assert_eq!(directory.resolve(BUSINESS, "+16505551234").await.unwrap(), BSUID);
    assert_eq!(directory.resolve(BUSINESS, "+1 (650) 555-1234").await.unwrap(), BSUID);
    assert_eq!(UserIdentity::new().phone("+1 650-555-1234").phone.as_deref(), Some(PHONE));
    assert_eq!(directory.resolve("another-number", PHONE).await.unwrap(), PHONE, "scopes are apart");
    let known = directory.lookup(BUSINESS, BSUID).await.unwrap().unwrap();
    assert_eq!(known.username.as_deref(), Some("sheena.n"));
    // Learning the phone-less message adds nothing wrong and keeps the phone.
    directory.learn(&webhook("without_phone.json")).await.unwrap();
    assert_eq!(directory.lookup(BUSINESS, PHONE).await.unwrap().unwrap().user_id.as_deref(), Some(BSUID));
    // A number change: the new number belongs to the new BSUID.
    directory.learn(&webhook("user_changed_user_id.json")).await.unwrap();
    assert_eq!(directory.resolve(BUSINESS, "16505559876").await.unwrap(), "US.98712345609876543210");
    // `user_id_update` says the same for another user's number.
    let directory = IdentityDirectory::new(InMemoryIdentityStore::default());
    assert_eq!(directory.learn(&webhook("user_id_update.json")).await.unwrap(), 1);
    assert_eq!(directory.resolve(BUSINESS, "16505559876").await.unwrap(), "US.98712345609876543210");
    // A send's answer links the number it was addressed to.
    let answer: meta_messaging::whatsapp::SendResponse = serde_json::from_value(serde_json::json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+16505550000", "wa_id": "16505550000", "user_id": "US.55555555555555555555"}],
        "messages": [{"id": "wamid.HBgLMTY1MDU1NTAwMDAVAgARGBI5QUE="}]
    }))
    .unwrap();
    assert_eq!(directory.learn_sent(BUSINESS, &answer).await.unwrap(), 1);
    assert_eq!(directory.resolve(BUSINESS, "16505550000").await.unwrap(), "US.55555555555555555555");
    // A phone alone is its own key; an empty id is nobody.
    assert_eq!(directory.resolve(BUSINESS, "19995550000").await.unwrap(), "19995550000");
    assert_eq!(directory.lookup(BUSINESS, " ").await.unwrap(), None);
    assert!(UserIdentity::new().phone("").user_id("").is_empty());
}

#[tokio::test]
async fn one_user_with_and_without_a_phone_is_one_conversation_one_window_and_one_pair_budget() {
    // The inbox: both messages are one conversation (handled in order, one at a time).
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let inbox = Inbox::new(Arc::clone(&queue));
    for name in ["with_phone.json", "without_phone.json", "empty_strings.json"] {
        let body = body(name);
        inbox.store(&body, &parse(&body).unwrap()).await.unwrap();
    }
    let items = queue.list(INBOX_QUEUE, ItemState::Pending, 10).await.unwrap();
    assert_eq!(items.len(), 4, "three messages and a status");
    let conversations: std::collections::HashSet<&str> =
        items.iter().map(|i| i.conversation.as_str()).collect();
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    assert!(conversations.contains(format!("whatsapp:{BUSINESS}:{BSUID}").as_str()));

    // The window: opened by the phone-less message, found by phone and by BSUID.
    let directory = IdentityDirectory::new(InMemoryIdentityStore::default());
    let windows = WindowTracker::in_memory().identities(directory.clone());
    windows.observe(&webhook("without_phone.json")).await.unwrap();
    // (The fixtures' times are fixed: the window is judged by its last inbound time.)
    let closed_or_open = |status: meta_messaging::pacing::WindowStatus| match status {
        meta_messaging::pacing::WindowStatus::Open { .. } => true,
        meta_messaging::pacing::WindowStatus::Closed { last_inbound } => last_inbound.is_some(),
        _ => false,
    };
    assert!(closed_or_open(windows.status(BUSINESS, BSUID).await.unwrap()));
    assert!(!closed_or_open(windows.status(BUSINESS, PHONE).await.unwrap()), "phone not linked yet");
    windows.observe(&webhook("with_phone.json")).await.unwrap();
    assert!(closed_or_open(windows.status(BUSINESS, PHONE).await.unwrap()), "linked by the second message");
    assert!(!closed_or_open(windows.status(BUSINESS, "").await.unwrap()), "nobody's window is under \"\"");

    // Without a directory, a message that carries the phone beside the BSUID opens the window
    // under both, so a send addressed by phone finds it too.
    let plain = WindowTracker::in_memory();
    plain.observe(&webhook("with_phone.json")).await.unwrap();
    assert!(closed_or_open(plain.status(BUSINESS, PHONE).await.unwrap()));
    assert!(closed_or_open(plain.status(BUSINESS, BSUID).await.unwrap()));

    // The pair budget: a send by phone and a send by BSUID share one.
    let config = PacerConfig::default()
        .throughput_burst(100)
        .pair_interval(Duration::from_secs(6))
        .pair_burst(1)
        .policy(PacingPolicy::FailFast);
    let unlinked = Pacer::new(config.clone());
    let linked = Pacer::new(config).identities(directory);
    let by_phone = Outbound::new(Platform::WhatsApp, BUSINESS, PHONE);
    let by_bsuid = Outbound::new(Platform::WhatsApp, BUSINESS, BSUID);
    SendGuard::admit(&unlinked, &by_phone).await.unwrap();
    assert!(SendGuard::admit(&unlinked, &by_bsuid).await.is_ok(), "without a directory: two budgets");
    SendGuard::admit(&linked, &by_phone).await.unwrap();
    let refused = SendGuard::admit(&linked, &by_bsuid).await.unwrap_err();
    assert!(refused.is_rate_limited(), "{refused}");
}
