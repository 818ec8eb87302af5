//! The contract every `delivery::Queue` engine keeps, run against each of them.

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Timestamp;
use meta_messaging::delivery::{Attempt, AttemptOutcome, ItemState, NewItem, Queue, Retry};

fn item(key: &str, conversation: &str) -> NewItem {
    NewItem::new(key, conversation, format!("{{\"k\":\"{key}\"}}").into_bytes())
}

const LEASE: Duration = Duration::from_secs(30);

/// Runs every check on `queue`, using queue names prefixed with `prefix` (so engines that
/// persist can run it twice).
pub(crate) async fn run(queue: Arc<dyn Queue>, prefix: &str) {
    dedupes_in_the_enqueue(&*queue, &format!("{prefix}-dedupe")).await;
    claims_are_exclusive_and_ordered_per_conversation(&*queue, &format!("{prefix}-order")).await;
    failures_retry_later_and_dead_letters_replay(&*queue, &format!("{prefix}-dead")).await;
    expired_leases_are_taken_over(&*queue, &format!("{prefix}-lease")).await;
    completed_items_are_the_log_until_purged(&*queue, &format!("{prefix}-purge")).await;
    a_tenants_items_are_purged_in_every_queue_and_state(&*queue, &format!("{prefix}-tenant")).await;
    an_owner_releases_its_own_leases_only(&*queue, &format!("{prefix}-release")).await;
    a_queue_recovers_since_a_time_in_enqueue_order(&*queue, &format!("{prefix}-recover")).await;
    each_attempt_is_logged_with_its_item(&*queue, &format!("{prefix}-attempts")).await;
}

async fn each_attempt_is_logged_with_its_item(queue: &dyn Queue, name: &str) {
    queue.enqueue(name, &[item("a", "c"), item("b", "c2")]).await.unwrap();
    let claimed = queue.claim(name, "w", 10, LEASE).await.unwrap();
    let (a, b) = (claimed[0].id, claimed[1].id);
    assert!(queue.attempt_log(a).await.unwrap().is_empty(), "no attempt recorded yet");
    let at = queue.now();
    let failed = Attempt::new(at, Duration::from_millis(120), AttemptOutcome::Retried)
        .failure("destination answered 503", Some(503));
    assert!(queue.fail_logged(a, "w", "503 from customer", Retry::At(queue.now()), &failed).await.unwrap());
    // A plain fail (the sealed queue's, for a payload that will not open) keeps the log as it is.
    assert!(queue.fail(b, "w", "vault unavailable", Retry::At(queue.now())).await.unwrap());
    let again = queue.claim(name, "w", 10, LEASE).await.unwrap();
    let a_again = again.iter().find(|i| i.id == a).unwrap();
    let delivered = Attempt::new(queue.now(), Duration::from_millis(8), AttemptOutcome::Delivered);
    assert!(queue.complete_logged(a_again.id, "w", &delivered).await.unwrap());
    // A settle by an owner that lost the lease records nothing.
    assert!(!queue.complete_logged(a, "intruder", &delivered).await.unwrap());
    assert_eq!(queue.attempt_log(a).await.unwrap(), [failed.clone(), delivered.clone()]);
    assert!(queue.attempt_log(b).await.unwrap().is_empty());
    assert!(queue.attempt_log(i64::MAX).await.unwrap().is_empty(), "no such item");
    // The log is kept across a replay and bounded however many attempts an item gets.
    assert!(queue.replay(a).await.unwrap());
    for _ in 0..100 {
        let claimed = queue.claim(name, "w", 10, LEASE).await.unwrap();
        let item = claimed.iter().find(|i| i.id == a).unwrap();
        assert!(queue.fail_logged(item.id, "w", "503", Retry::At(queue.now()), &failed).await.unwrap());
    }
    let log = queue.attempt_log(a).await.unwrap();
    assert!(log.len() > 30 && log.len() < 100, "bounded: {}", log.len());
    assert!(log.iter().all(|attempt| *attempt == failed), "only whole attempts are read back");
}

async fn a_queue_recovers_since_a_time_in_enqueue_order(queue: &dyn Queue, name: &str) {
    // Before T: a dead letter that stays dead.
    queue.enqueue(name, &[item("before", "c1")]).await.unwrap();
    let before = queue.claim(name, "w", 10, LEASE).await.unwrap();
    assert!(queue.fail(before[0].id, "w", "410 from customer", Retry::Never).await.unwrap());
    tokio::time::sleep(Duration::from_millis(30)).await;
    let since = queue.now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    // After T: two dead letters and one delivered item.
    queue.enqueue(name, &[item("d1", "c1"), item("d2", "c2"), item("ok", "c3")]).await.unwrap();
    let claimed = queue.claim(name, "w", 10, LEASE).await.unwrap();
    let id = |key: &str| claimed.iter().find(|i| i.key == key).unwrap().id;
    assert!(queue.fail(id("d2"), "w", "503 from customer", Retry::Never).await.unwrap());
    assert!(queue.fail(id("d1"), "w", "503 from customer", Retry::Never).await.unwrap());
    assert!(queue.complete(id("ok"), "w").await.unwrap());
    assert_eq!(queue.counts(name).await.unwrap(), (0, 1, 3));

    let recovered = queue.recover_since(name, since, false).await.unwrap();
    assert_eq!(recovered, [id("d1"), id("d2")], "dead since T, in enqueue order");
    let dead = queue.dead_letters(name, 10).await.unwrap();
    assert_eq!(dead.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["before"], "older ones stay dead");
    let again = queue.claim(name, "w", 10, LEASE).await.unwrap();
    assert_eq!(again.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["d1", "d2"]);
    assert!(again.iter().all(|i| i.attempts == 1), "recovery resets the attempts");
    for item in &again {
        assert!(queue.complete(item.id, "w").await.unwrap());
    }
    // With the done items: everything delivered since T goes again; nothing before T.
    let redelivered = queue.recover_since(name, since, true).await.unwrap();
    assert_eq!(redelivered, [id("d1"), id("d2"), id("ok")]);
    assert_eq!(queue.counts(name).await.unwrap(), (3, 0, 1));
}

async fn an_owner_releases_its_own_leases_only(queue: &dyn Queue, name: &str) {
    queue.enqueue(name, &[item("r1", "a"), item("r2", "b")]).await.unwrap();
    let mine = queue.claim(name, "restarted", 1, Duration::from_secs(300)).await.unwrap();
    let theirs = queue.claim(name, "alive", 1, Duration::from_secs(300)).await.unwrap();
    assert_eq!((mine.len(), theirs.len()), (1, 1));
    assert!(queue.claim(name, "probe", 10, LEASE).await.unwrap().is_empty(), "both leased");
    assert_eq!(queue.release_leases(name, "restarted").await.unwrap(), 1);
    let again = queue.claim(name, "restarted", 10, LEASE).await.unwrap();
    assert_eq!(again.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), [mine[0].key.as_str()]);
    assert_eq!(queue.release_leases(&format!("{name}-other"), "alive").await.unwrap(), 0, "another queue");
}

async fn a_tenants_items_are_purged_in_every_queue_and_state(queue: &dyn Queue, name: &str) {
    // Tenant names unique to this run: the suite may share a server with other runs.
    let (doomed, kept) = (format!("{name}-waba-doomed"), format!("{name}-waba-kept"));
    let other = format!("{name}-relay");
    let owned = |key: &str, tenant: &str| item(key, key).tenant(tenant);
    queue
        .enqueue(
            name,
            &[
                owned("p", &doomed),
                owned("d", &doomed),
                owned("x", &doomed),
                owned("k", &kept),
                item("none", "n"),
            ],
        )
        .await
        .unwrap();
    queue.enqueue(&other, &[owned("p", &doomed), owned("k", &kept)]).await.unwrap();
    // One done, one dead, one pending: every state goes.
    let claimed = queue.claim(name, "w", 10, LEASE).await.unwrap();
    let id = |key: &str| claimed.iter().find(|i| i.key == key).unwrap().id;
    assert_eq!(claimed.iter().find(|i| i.key == "p").unwrap().tenant.as_deref(), Some(doomed.as_str()));
    assert_eq!(claimed.iter().find(|i| i.key == "none").unwrap().tenant, None);
    assert!(queue.complete(id("d"), "w").await.unwrap());
    assert!(queue.fail(id("x"), "w", "gone", Retry::Never).await.unwrap());
    assert_eq!(queue.purge_tenant(&doomed).await.unwrap(), 4);
    assert_eq!(queue.purge_tenant(&doomed).await.unwrap(), 0, "idempotent");
    let (pending, done, dead) = queue.counts(name).await.unwrap();
    assert_eq!((pending, done, dead), (2, 0, 0), "the kept tenant's item and the untenanted one");
    assert_eq!(queue.counts(&other).await.unwrap(), (1, 0, 0));
    // A purged key can be stored again (its dedupe entry went with it).
    assert_eq!(queue.enqueue(name, &[owned("p", &doomed)]).await.unwrap(), 1);
}

async fn dedupes_in_the_enqueue(queue: &dyn Queue, name: &str) {
    assert_eq!(queue.enqueue(name, &[item("a", "c1"), item("b", "c2")]).await.unwrap(), 2);
    // A redelivery, and a batch mixing old and new keys: only the new one is stored.
    assert_eq!(queue.enqueue(name, &[item("a", "c1"), item("b", "c2")]).await.unwrap(), 0);
    assert_eq!(queue.enqueue(name, &[item("b", "c2"), item("c", "c3")]).await.unwrap(), 1);
    // The same key in another queue is another item.
    assert_eq!(queue.enqueue(&format!("{name}-other"), &[item("a", "c1")]).await.unwrap(), 1);
    assert_eq!(queue.counts(name).await.unwrap(), (3, 0, 0));
}

async fn claims_are_exclusive_and_ordered_per_conversation(queue: &dyn Queue, name: &str) {
    queue.enqueue(name, &[item("u1-1", "u1"), item("u2-1", "u2"), item("u1-2", "u1")]).await.unwrap();
    let first = queue.claim(name, "w1", 10, LEASE).await.unwrap();
    let keys: Vec<&str> = first.iter().map(|i| i.key.as_str()).collect();
    // One item per conversation, the oldest first; the second of u1 waits for the first.
    assert_eq!(keys, ["u1-1", "u2-1"]);
    assert!(first.iter().all(|i| i.attempts == 1 && i.state == ItemState::Pending));
    assert_eq!(first[0].payload, br#"{"k":"u1-1"}"#);
    // Leased items are nobody else's.
    assert!(queue.claim(name, "w2", 10, LEASE).await.unwrap().is_empty());
    // Only the owner completes.
    assert!(!queue.complete(first[0].id, "w2").await.unwrap());
    assert!(queue.complete(first[0].id, "w1").await.unwrap());
    let next = queue.claim(name, "w2", 10, LEASE).await.unwrap();
    assert_eq!(next.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["u1-2"]);
    assert!(queue.complete(next[0].id, "w2").await.unwrap());
    assert!(queue.complete(first[1].id, "w1").await.unwrap());
    assert_eq!(queue.counts(name).await.unwrap(), (0, 3, 0));
}

async fn failures_retry_later_and_dead_letters_replay(queue: &dyn Queue, name: &str) {
    queue.enqueue(name, &[item("x", "cx"), item("x2", "cx")]).await.unwrap();
    let claimed = queue.claim(name, "w", 1, LEASE).await.unwrap();
    let later = Timestamp::now().saturating_add(Duration::from_secs(3600));
    assert!(queue.fail(claimed[0].id, "w", "503 from customer", Retry::At(later)).await.unwrap());
    // Not due yet, and it still holds its conversation's place: nothing is claimable.
    assert!(queue.claim(name, "w", 10, LEASE).await.unwrap().is_empty());
    assert!(!queue.replay(claimed[0].id).await.unwrap(), "a pending item is not replayed");
    queue.enqueue(name, &[item("y", "cy")]).await.unwrap();
    let y = queue.claim(name, "w", 10, LEASE).await.unwrap();
    assert_eq!(y.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["y"]);
    assert!(queue.fail(y[0].id, "w", "400 from customer", Retry::Never).await.unwrap());
    let dead = queue.dead_letters(name, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "y");
    assert_eq!(dead[0].state, ItemState::Dead);
    assert_eq!(dead[0].last_error.as_deref(), Some("400 from customer"));
    // Operators list items by state, oldest first.
    let listed = |state| async move { queue.list(name, state, 10).await.unwrap() };
    let keys =
        |items: Vec<meta_messaging::delivery::Item>| items.into_iter().map(|i| i.key).collect::<Vec<_>>();
    assert_eq!(keys(listed(ItemState::Pending).await), ["x", "x2"]);
    assert_eq!(keys(listed(ItemState::Dead).await), ["y"]);
    assert!(listed(ItemState::Done).await.is_empty());
    assert_eq!(queue.list(name, ItemState::Pending, 1).await.unwrap().len(), 1, "the limit holds");
    assert!(queue.replay(dead[0].id).await.unwrap());
    let again = queue.claim(name, "w", 10, LEASE).await.unwrap();
    assert_eq!(again.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["y"]);
    assert_eq!(again[0].attempts, 1, "replay resets the attempts");
    assert!(queue.complete(again[0].id, "w").await.unwrap());
    assert!(queue.dead_letters(name, 10).await.unwrap().is_empty());
}

async fn expired_leases_are_taken_over(queue: &dyn Queue, name: &str) {
    queue.enqueue(name, &[item("l", "cl")]).await.unwrap();
    let dying = queue.claim(name, "replica-a", 10, Duration::from_millis(200)).await.unwrap();
    assert_eq!(dying.len(), 1);
    assert!(queue.claim(name, "replica-b", 10, LEASE).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let taken = queue.claim(name, "replica-b", 10, LEASE).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2);
    // The dead replica's late completion is refused; the new owner's counts.
    assert!(!queue.complete(taken[0].id, "replica-a").await.unwrap());
    assert!(queue.complete(taken[0].id, "replica-b").await.unwrap());
}

async fn completed_items_are_the_log_until_purged(queue: &dyn Queue, name: &str) {
    queue.enqueue(name, &[item("p", "cp")]).await.unwrap();
    let claimed = queue.claim(name, "w", 10, LEASE).await.unwrap();
    assert!(queue.complete(claimed[0].id, "w").await.unwrap());
    // Still deduped while logged.
    assert_eq!(queue.enqueue(name, &[item("p", "cp")]).await.unwrap(), 0);
    assert!(
        queue.purge_completed(Timestamp::now().saturating_add(Duration::from_secs(1))).await.unwrap() >= 1
    );
    assert_eq!(queue.counts(name).await.unwrap().1, 0);
    // After the purge the key is free again.
    assert_eq!(queue.enqueue(name, &[item("p", "cp")]).await.unwrap(), 1);
}
