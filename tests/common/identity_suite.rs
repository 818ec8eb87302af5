//! The contract every `IdentityStore` keeps; run on memory, SQLite, PostgreSQL and Redis.

use meta_messaging::identity::{IdentityStore, UserIdentity};

/// Runs the suite in scopes named after `prefix` (unique per run: a shared server may hold
/// other runs' data).
pub(crate) async fn run(store: &dyn IdentityStore, prefix: &str) {
    let scope = format!("{prefix}-106540352242922");
    let other = format!("{prefix}-106540352242999");
    let bsuid = "US.13491208655302741918";
    // Unknown users.
    assert_eq!(store.by_user_id(&scope, bsuid).await.unwrap(), None);
    assert_eq!(store.by_phone(&scope, "16505551234").await.unwrap(), None);
    // Learnt piece by piece: what is known is kept, what is new is added.
    store.remember(&scope, &UserIdentity::new().user_id(bsuid).username("sheena.n")).await.unwrap();
    store.remember(&scope, &UserIdentity::new().user_id(bsuid).phone("16505551234")).await.unwrap();
    store
        .remember(&scope, &UserIdentity::new().user_id(bsuid).parent_user_id("US.ENT.11815799212886844830"))
        .await
        .unwrap();
    let full = UserIdentity::new()
        .user_id(bsuid)
        .phone("16505551234")
        .parent_user_id("US.ENT.11815799212886844830")
        .username("sheena.n");
    assert_eq!(store.by_user_id(&scope, bsuid).await.unwrap(), Some(full.clone()));
    assert_eq!(store.by_phone(&scope, "16505551234").await.unwrap(), Some(full.clone()));
    // Scopes are apart.
    assert_eq!(store.by_phone(&other, "16505551234").await.unwrap(), None);
    // A number that moves to another user (a new BSUID after a number change) leaves the first.
    let new_bsuid = "US.98712345609876543210";
    store.remember(&scope, &UserIdentity::new().user_id(new_bsuid).phone("16505551234")).await.unwrap();
    assert_eq!(
        store.by_phone(&scope, "16505551234").await.unwrap().unwrap().user_id.as_deref(),
        Some(new_bsuid)
    );
    assert_eq!(store.by_user_id(&scope, bsuid).await.unwrap().unwrap().phone, None);
    // A user who changes number frees the old one.
    store.remember(&scope, &UserIdentity::new().user_id(new_bsuid).phone("16505559876")).await.unwrap();
    assert_eq!(store.by_phone(&scope, "16505551234").await.unwrap(), None);
    assert_eq!(
        store.by_phone(&scope, "16505559876").await.unwrap().unwrap().user_id.as_deref(),
        Some(new_bsuid)
    );
    // A number written with `+` and separators is the same number.
    assert_eq!(
        store
            .by_phone(&scope, &UserIdentity::new().phone("+1 650-555-9876").phone.unwrap())
            .await
            .unwrap()
            .unwrap()
            .user_id
            .as_deref(),
        Some(new_bsuid)
    );
    // Ids with separators stay apart.
    store.remember(&scope, &UserIdentity::new().user_id("US.1:2").phone("1")).await.unwrap();
    assert_eq!(store.by_user_id(&scope, "US.1").await.unwrap(), None);
    assert_eq!(store.by_phone(&scope, "1").await.unwrap().unwrap().user_id.as_deref(), Some("US.1:2"));
    // Forgetting a scope forgets its users only.
    store.remember(&other, &UserIdentity::new().user_id(bsuid).phone("16505551234")).await.unwrap();
    assert_eq!(store.forget_scope(&scope).await.unwrap(), 3);
    assert_eq!(store.by_user_id(&scope, new_bsuid).await.unwrap(), None);
    assert_eq!(store.by_phone(&scope, "16505559876").await.unwrap(), None);
    assert!(store.by_phone(&other, "16505551234").await.unwrap().is_some());
    assert_eq!(store.forget_scope(&other).await.unwrap(), 1);
}
