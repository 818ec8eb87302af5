//! What operators run delivery with: strict order per destination, and recovery since a time
//! (the queue contract's part of it is in `common/queue_suite.rs`, run on every engine).

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::delivery::{
    Fanout, Handler, INBOX_QUEUE, InMemoryQueue, Item, NewItem, Queue, Retry, STRICT_CONVERSATION,
    relay_queue,
};

const LEASE: Duration = Duration::from_secs(30);

fn keys(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.key.as_str()).collect()
}

/// Three inbox items of three conversations, fanned out to a strict destination and a default one.
async fn fanned_out() -> Arc<dyn Queue> {
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    let inbox: Vec<NewItem> = ["e1", "e2", "e3"]
        .iter()
        .map(|k| NewItem::new(*k, format!("conv-{k}"), k.as_bytes().to_vec()))
        .collect();
    queue.enqueue(INBOX_QUEUE, &inbox).await.unwrap();
    let fanout = Fanout::new(Arc::clone(&queue), ["parallel"]).strict_order("fifo");
    for item in queue.claim(INBOX_QUEUE, "fanout", 10, LEASE).await.unwrap() {
        fanout.handle(&item).await.unwrap();
        assert!(queue.complete(item.id, "fanout").await.unwrap());
    }
    queue
}

#[tokio::test]
async fn a_strict_destination_has_one_item_in_flight_in_enqueue_order_under_retries() {
    let queue = fanned_out().await;
    let fifo = relay_queue("fifo");
    // The default destination delivers the three conversations in parallel.
    let parallel = queue.claim(&relay_queue("parallel"), "w", 10, LEASE).await.unwrap();
    assert_eq!(keys(&parallel), ["e1", "e2", "e3"]);
    assert!(parallel.iter().all(|i| i.conversation.starts_with("conv-")));
    // The strict one: one conversation, one item at a time.
    let first = queue.claim(&fifo, "w", 10, LEASE).await.unwrap();
    assert_eq!(keys(&first), ["e1"]);
    assert_eq!(first[0].conversation, STRICT_CONVERSATION);
    assert!(queue.claim(&fifo, "w", 10, LEASE).await.unwrap().is_empty(), "e2 waits for e1");
    // e1 fails and is retried (due at once): it stays at the head; e2 still waits.
    assert!(queue.fail(first[0].id, "w", "503 from customer", Retry::At(queue.now())).await.unwrap());
    let retried = queue.claim(&fifo, "w", 10, LEASE).await.unwrap();
    assert_eq!(keys(&retried), ["e1"]);
    assert_eq!(retried[0].attempts, 2);
    assert!(queue.complete(retried[0].id, "w").await.unwrap());
    let mut order = vec!["e1".to_owned()];
    loop {
        let next = queue.claim(&fifo, "w", 10, LEASE).await.unwrap();
        if next.is_empty() {
            break;
        }
        assert_eq!(next.len(), 1, "never more than one in flight");
        order.push(next[0].key.clone());
        assert!(queue.complete(next[0].id, "w").await.unwrap());
    }
    assert_eq!(order, ["e1", "e2", "e3"]);
}

#[tokio::test]
async fn strict_order_can_be_asked_for_a_listed_destination_and_a_retried_fanout_stores_nothing_twice() {
    let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
    queue.enqueue(INBOX_QUEUE, &[NewItem::new("e1", "conv", b"{}".to_vec())]).await.unwrap();
    let fanout = Fanout::new(Arc::clone(&queue), ["a", "b"]).strict_order("b");
    assert_eq!(format!("{fanout:?}").matches("\"b\"").count(), 1, "b is listed once: {fanout:?}");
    let item = queue.claim(INBOX_QUEUE, "w", 1, LEASE).await.unwrap().remove(0);
    fanout.handle(&item).await.unwrap();
    fanout.handle(&item).await.unwrap();
    let a = queue.list(&relay_queue("a"), meta_messaging::delivery::ItemState::Pending, 10).await.unwrap();
    let b = queue.list(&relay_queue("b"), meta_messaging::delivery::ItemState::Pending, 10).await.unwrap();
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((a[0].conversation.as_str(), b[0].conversation.as_str()), ("conv", STRICT_CONVERSATION));
}
