//! The identity directory on Redis (feature `redis`), shared by replicas.

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::StoreError;
use super::redis::{DEFAULT_REDIS_PREFIX, backend};
use super::redis_pacing::{connect, glob_escape, key};
use crate::identity::{IdentityStore, UserIdentity};

/// The identity directory's store on Redis: a hash per (scope, BSUID) with the user's phone,
/// parent BSUID and username (`<prefix>:ident:<scope>:<user id>`), and a key per (scope, phone)
/// naming the BSUID that holds the number (`<prefix>:identphone:<scope>:<phone>`). The last
/// writer wins when two replicas learn conflicting facts at once.
#[derive(Clone)]
pub struct RedisIdentityStore {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisIdentityStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisIdentityStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisIdentityStore {
    /// Connects to `url` with the default prefix.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_connection(connect(url).await?))
    }

    /// Uses a connection manager you configured, with the default prefix.
    pub fn from_connection(connection: ConnectionManager) -> Self {
        Self { connection, prefix: DEFAULT_REDIS_PREFIX.to_owned() }
    }

    /// Namespaces every key under `prefix` (wrapped in braces unless it has a hash tag).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = super::redis::hash_tagged(prefix.into());
        self
    }

    fn user_key(&self, scope: &str, user_id: &str) -> String {
        key(&self.prefix, "ident", &[scope, user_id])
    }

    fn phone_key(&self, scope: &str, phone: &str) -> String {
        key(&self.prefix, "identphone", &[scope, phone])
    }

    async fn hash(&self, scope: &str, user_id: &str) -> Result<Option<UserIdentity>, StoreError> {
        let (phone, parent, username): (Option<String>, Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(self.user_key(scope, user_id))
            .arg("phone")
            .arg("parent_user_id")
            .arg("username")
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend("identity read failed"))?;
        let exists: bool = redis::cmd("EXISTS")
            .arg(self.user_key(scope, user_id))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend("identity read failed"))?;
        Ok(exists.then(|| {
            UserIdentity::new()
                .user_id(user_id)
                .phone(phone.unwrap_or_default())
                .parent_user_id(parent.unwrap_or_default())
                .username(username.unwrap_or_default())
        }))
    }
}

#[async_trait]
impl IdentityStore for RedisIdentityStore {
    async fn remember(&self, scope: &str, user: &UserIdentity) -> Result<(), StoreError> {
        let Some(user_id) = user.user_id.as_deref() else { return Ok(()) };
        let mut connection = self.connection.clone();
        let user_key = self.user_key(scope, user_id);
        if let Some(phone) = &user.phone {
            let old_phone: Option<String> = redis::cmd("HGET")
                .arg(&user_key)
                .arg("phone")
                .query_async(&mut connection)
                .await
                .map_err(backend("identity read failed"))?;
            // The number moves to this user; whoever held it loses it.
            let previous: Option<String> = redis::cmd("SET")
                .arg(self.phone_key(scope, phone))
                .arg(user_id)
                .arg("GET")
                .query_async(&mut connection)
                .await
                .map_err(backend("identity write failed"))?;
            if let Some(previous) = previous.filter(|previous| previous != user_id) {
                let _: i64 = redis::cmd("HDEL")
                    .arg(self.user_key(scope, &previous))
                    .arg("phone")
                    .query_async(&mut connection)
                    .await
                    .map_err(backend("identity write failed"))?;
            }
            if let Some(old_phone) = old_phone.filter(|old| old != phone) {
                let old_key = self.phone_key(scope, &old_phone);
                let holder: Option<String> = redis::cmd("GET")
                    .arg(&old_key)
                    .query_async(&mut connection)
                    .await
                    .map_err(backend("identity read failed"))?;
                if holder.as_deref() == Some(user_id) {
                    let _: i64 = redis::cmd("DEL")
                        .arg(&old_key)
                        .query_async(&mut connection)
                        .await
                        .map_err(backend("identity write failed"))?;
                }
            }
        }
        let mut set = redis::cmd("HSET");
        set.arg(&user_key).arg("user_id").arg(user_id);
        for (field, value) in
            [("phone", &user.phone), ("parent_user_id", &user.parent_user_id), ("username", &user.username)]
        {
            if let Some(value) = value {
                set.arg(field).arg(value);
            }
        }
        let _: i64 = set.query_async(&mut connection).await.map_err(backend("identity write failed"))?;
        Ok(())
    }

    async fn by_user_id(&self, scope: &str, user_id: &str) -> Result<Option<UserIdentity>, StoreError> {
        self.hash(scope, user_id).await
    }

    async fn by_phone(&self, scope: &str, phone: &str) -> Result<Option<UserIdentity>, StoreError> {
        let user_id: Option<String> = redis::cmd("GET")
            .arg(self.phone_key(scope, phone))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend("identity read failed"))?;
        match user_id {
            Some(user_id) => self.hash(scope, &user_id).await,
            None => Ok(None),
        }
    }

    async fn forget_scope(&self, scope: &str) -> Result<u64, StoreError> {
        let mut connection = self.connection.clone();
        let mut forgotten = 0;
        for kind in ["ident", "identphone"] {
            let pattern = format!("{}:*", glob_escape(&key(&self.prefix, kind, &[scope])));
            let mut cursor: u64 = 0;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(500)
                    .query_async(&mut connection)
                    .await
                    .map_err(backend("identity scan failed"))?;
                if !keys.is_empty() {
                    let deleted: u64 = redis::cmd("UNLINK")
                        .arg(&keys)
                        .query_async(&mut connection)
                        .await
                        .map_err(backend("identity forget failed"))?;
                    if kind == "ident" {
                        forgotten += deleted;
                    }
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        Ok(forgotten)
    }
}
