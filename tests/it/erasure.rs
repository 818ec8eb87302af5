//! Erasing a tenant: queue items carry their tenant, are sealed with its key, and are gone
//! (unreadable first, then deleted) on every replica and in every backup once it is deleted.

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::delivery::{INBOX_QUEUE, Inbox, ItemState, Queue, SealedQueue, TenantErasure};
use meta_messaging::pacing::{InMemoryWindowStore, WindowStore};
use meta_messaging::store::SqliteQueue;
use meta_messaging::testing::WebhookBuilder;
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, KeyRegistry, Keyring, LocalKek, SecretKind,
    TokenKey, TokenRecord, TokenStore,
};
use meta_messaging::webhook::parse;

const DOOMED: &str = "109876543210001";
const KEPT: &str = "109876543210002";

type Vault = EncryptedTokenStore<InMemoryBlobStore>;

fn replica(records: &InMemoryBlobStore, registry: &InMemoryBlobStore, kek: &Arc<LocalKek>) -> Arc<Vault> {
    Arc::new(EncryptedTokenStore::with_envelope(
        records.clone(),
        kek.clone(),
        KeyRegistry::new(registry.clone()),
    ))
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mm-erasure-{}-{}", std::process::id(), fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Stores one Messenger text for each Page through `queue`'s inbox.
async fn ingest(queue: Arc<dyn Queue>) {
    let inbox = Inbox::new(queue);
    for (page, text) in [(DOOMED, "my card number is 4111"), (KEPT, "hello from the kept tenant")] {
        let body = WebhookBuilder::messenger(page).text("24512345678901234", text).build();
        assert_eq!(inbox.store(&body, &parse(&body).unwrap()).await.unwrap().stored, 1);
    }
}

fn holds(items: &[meta_messaging::delivery::Item], needle: &str) -> bool {
    items.iter().any(|item| item.payload.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

#[tokio::test]
async fn a_deleted_tenants_sealed_items_open_on_no_replica_and_from_no_backup() {
    let (records, registry) = (InMemoryBlobStore::default(), InMemoryBlobStore::default());
    let kek = Arc::new(LocalKek::new(Keyring::new(1, DataKey::generate())));
    let dir = tempdir();
    let path = dir.join("queue.db");
    let engine: Arc<dyn Queue> = Arc::new(SqliteQueue::open(path.to_str().unwrap()).await.unwrap());
    let (warm, deleting) = (replica(&records, &registry, &kek), replica(&records, &registry, &kek));
    let warm_queue = SealedQueue::new(Arc::clone(&engine), warm.clone());
    ingest(Arc::new(warm_queue.clone())).await;

    // The engine holds ciphertext, tagged with each event's account; the sealed view opens it.
    let raw = engine.list(INBOX_QUEUE, ItemState::Pending, 10).await.unwrap();
    assert_eq!(raw.len(), 2);
    assert!(!holds(&raw, "4111") && !holds(&raw, "kept tenant"), "no message text in the store");
    let mut tenants: Vec<_> = raw.iter().map(|i| i.tenant.clone().unwrap()).collect();
    tenants.sort();
    assert_eq!(tenants, [DOOMED, KEPT]);
    let opened = warm_queue.list(INBOX_QUEUE, ItemState::Pending, 10).await.unwrap();
    assert!(holds(&opened, "4111"), "the warm replica has read (and cached) the tenant's key");

    // A backup of the queue, taken before the deletion.
    let backup = dir.join("backup.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    sqlx::query(&format!("VACUUM INTO '{}'", backup.display())).execute(&pool).await.unwrap();
    pool.close().await;

    // Another replica deletes the tenant's key (vault only: the items are still in the queue).
    TenantErasure::new(DOOMED).vault(deleting.as_ref()).run().await.unwrap();

    // The live queue and the restored backup, through the warm replica and a fresh one.
    let restored: Arc<dyn Queue> = Arc::new(SqliteQueue::open(backup.to_str().unwrap()).await.unwrap());
    let fresh = replica(&records, &registry, &kek);
    for (name, queue) in [("live", Arc::clone(&engine)), ("restored backup", restored)] {
        for (who, vault) in [("warm", warm.clone()), ("fresh", fresh.clone())] {
            let sealed = SealedQueue::new(Arc::clone(&queue), vault);
            let listed = sealed.list(INBOX_QUEUE, ItemState::Pending, 10).await.unwrap();
            assert!(!holds(&listed, "4111"), "{name}, {who}: a deleted tenant's item opened");
            assert!(holds(&listed, "kept tenant"), "{name}, {who}: the other tenant's item still opens");
        }
        // Claimed, the item never reaches a handler: it is dead-lettered as unreadable.
        let sealed = SealedQueue::new(Arc::clone(&queue), fresh.clone());
        let claimed = sealed.claim(INBOX_QUEUE, "worker", 10, Duration::from_secs(30)).await.unwrap();
        assert_eq!(claimed.len(), 1, "{name}");
        assert_eq!(claimed[0].tenant.as_deref(), Some(KEPT));
        let dead = queue.dead_letters(INBOX_QUEUE, 10).await.unwrap();
        assert_eq!(dead.len(), 1, "{name}");
        assert!(dead[0].last_error.as_deref().unwrap().contains("tenant deleted"), "{name}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn one_call_erases_the_vault_the_queue_and_the_windows() {
    let vault = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
    let key = |tenant: &str| TokenKey::new(tenant, Channel::Messenger, "page", SecretKind::AccessToken);
    vault.put(TokenRecord::new(key("acme"), "EAAG-acme")).await.unwrap();
    vault.put(TokenRecord::new(key("globex"), "EAAG-globex")).await.unwrap();
    let queue: Arc<dyn Queue> = Arc::new(meta_messaging::delivery::InMemoryQueue::default());
    ingest(Arc::clone(&queue)).await;
    let windows = InMemoryWindowStore::default();
    let now = meta_messaging::Timestamp::now();
    windows.record(DOOMED, "24512345678901234", now).await.unwrap();
    windows.record(DOOMED, "24512345678905678", now).await.unwrap();
    windows.record(KEPT, "24512345678901234", now).await.unwrap();
    let identities = meta_messaging::identity::InMemoryIdentityStore::default();
    use meta_messaging::identity::IdentityStore;
    let user =
        meta_messaging::identity::UserIdentity::new().user_id("US.13491208655302741918").phone("16505551234");
    identities.remember(DOOMED, &user).await.unwrap();
    identities.remember(KEPT, &user).await.unwrap();

    let report = TenantErasure::new("acme")
        .account(DOOMED)
        .business(DOOMED)
        .vault(&vault)
        .queue(queue.as_ref())
        .windows(&windows)
        .identities(&identities)
        .run()
        .await
        .unwrap();
    assert_eq!((report.records, report.items, report.windows, report.identities), (1, 1, 2, 1));
    assert_eq!(identities.by_phone(DOOMED, "16505551234").await.unwrap(), None);
    assert!(identities.by_phone(KEPT, "16505551234").await.unwrap().is_some());
    assert!(vault.get(&key("acme")).await.unwrap().is_none());
    assert!(vault.get(&key("globex")).await.unwrap().is_some());
    assert_eq!(queue.counts(INBOX_QUEUE).await.unwrap(), (1, 0, 0));
    assert_eq!(windows.last_inbound(DOOMED, "24512345678901234").await.unwrap(), None);
    assert!(windows.last_inbound(KEPT, "24512345678901234").await.unwrap().is_some());
    // Again: nothing left, nothing fails.
    let again = TenantErasure::new("acme")
        .account(DOOMED)
        .business(DOOMED)
        .vault(&vault)
        .queue(queue.as_ref())
        .windows(&windows);
    assert_eq!(again.run().await.unwrap(), meta_messaging::delivery::ErasureReport::default());
}

#[tokio::test]
async fn erasing_a_tenant_by_name_destroys_its_accounts_keys_too() {
    let (records, registry) = (InMemoryBlobStore::default(), InMemoryBlobStore::default());
    let kek = Arc::new(LocalKek::new(Keyring::new(1, DataKey::generate())));
    let vault = replica(&records, &registry, &kek);
    let engine: Arc<dyn Queue> = Arc::new(meta_messaging::delivery::InMemoryQueue::default());
    ingest(Arc::new(SealedQueue::new(Arc::clone(&engine), vault.clone()))).await;
    // The vault knows the customer as "acme"; its queue items are sealed under its Page's key.
    TenantErasure::new("acme").account(DOOMED).vault(vault.as_ref()).run().await.unwrap();
    let fresh = SealedQueue::new(Arc::clone(&engine), replica(&records, &registry, &kek));
    let listed = fresh.list(INBOX_QUEUE, ItemState::Pending, 10).await.unwrap();
    assert!(!holds(&listed, "4111"), "the account's key was destroyed with the tenant");
    assert!(holds(&listed, "kept tenant"));
}
