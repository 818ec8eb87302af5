//! The contract every `delivery::DestinationStore` keeps, run against each engine.

use std::time::Duration;

use meta_messaging::Timestamp;
use meta_messaging::delivery::DestinationStore;

/// Runs every check on `store`, with destination names prefixed by `prefix` and a random part
/// (engines that persist may share a server with other runs).
pub(crate) async fn run(store: &dyn DestinationStore, prefix: &str) {
    let run = format!("{prefix}-{:08x}", fastrand::u32(..));
    a_rate_admits_a_burst_then_one_slot_per_interval(store, &format!("{run}-rate")).await;
    failures_make_a_streak_that_a_delivery_clears(store, &format!("{run}-streak")).await;
    a_destination_is_disabled_once_and_enabled_again(store, &format!("{run}-health")).await;
}

async fn a_rate_admits_a_burst_then_one_slot_per_interval(store: &dyn DestinationStore, name: &str) {
    let t = Timestamp::from_unix_seconds(1_800_000_000);
    let interval = Duration::from_millis(100);
    assert_eq!(store.admit(name, interval, 2, t).await.unwrap(), None);
    assert_eq!(store.admit(name, interval, 2, t).await.unwrap(), None, "a burst of two");
    assert_eq!(
        store.admit(name, interval, 2, t).await.unwrap(),
        Some(interval),
        "the next slot is one interval away"
    );
    let later = t.saturating_add(interval);
    assert_eq!(store.admit(name, interval, 2, later).await.unwrap(), None);
    assert!(store.admit(name, interval, 2, later).await.unwrap().is_some());
    let state = store.destination(name).await.unwrap().unwrap();
    assert_eq!(state.rate, Some((interval, 2)));
    assert!(state.is_enabled());
    // Another destination has its own slots.
    assert_eq!(store.admit(&format!("{name}-other"), interval, 1, t).await.unwrap(), None);
}

async fn failures_make_a_streak_that_a_delivery_clears(store: &dyn DestinationStore, name: &str) {
    let t = Timestamp::from_unix_seconds(1_800_000_000);
    let first = store.record(name, false, t).await.unwrap();
    assert_eq!((first.failure_streak, first.failing_since), (1, Some(t)));
    let second = store.record(name, false, t.saturating_add(Duration::from_secs(5))).await.unwrap();
    assert_eq!((second.failure_streak, second.failing_since), (2, Some(t)), "failing since the first");
    let done = t.saturating_add(Duration::from_secs(9));
    let delivered = store.record(name, true, done).await.unwrap();
    assert_eq!(
        (delivered.failure_streak, delivered.failing_since, delivered.last_success),
        (0, None, Some(done))
    );
}

async fn a_destination_is_disabled_once_and_enabled_again(store: &dyn DestinationStore, name: &str) {
    let t = Timestamp::from_unix_seconds(1_800_000_000);
    store.record(name, false, t).await.unwrap();
    assert!(store.disable(name, "every attempt failed for 5 days", t).await.unwrap());
    assert!(!store.disable(name, "again", t).await.unwrap(), "one replica reports it");
    let disabled = store.destination(name).await.unwrap().unwrap();
    assert!(!disabled.is_enabled());
    assert_eq!(disabled.disabled_at, Some(t));
    assert_eq!(disabled.disabled_reason.as_deref(), Some("every attempt failed for 5 days"));
    assert!(store.destinations().await.unwrap().iter().any(|d| d.name == name && !d.is_enabled()));
    assert!(store.enable(name).await.unwrap());
    assert!(!store.enable(name).await.unwrap(), "enabled already");
    let enabled = store.destination(name).await.unwrap().unwrap();
    assert!(enabled.is_enabled() && enabled.failure_streak == 0 && enabled.failing_since.is_none());
    assert!(store.destination(&format!("{name}-never-seen")).await.unwrap().is_none());
}
