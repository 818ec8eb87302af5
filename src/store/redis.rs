//! The Redis backends (feature `redis`): sealed token records and webhook dedupe, shared by
//! every replica of an integration.
//!
//! # Layout
//!
//! Every key starts with a prefix (`{mm}` by default; the braces are a hash tag, which keeps all
//! of the store's keys in one slot should the server be a cluster behind a proxy). The
//! backends talk to one server (or a primary behind Sentinel) through a `ConnectionManager`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `{mm}:rec:<member>` | hash | `c` ciphertext, `k` key id, `e` expiry (Unix ms, absent if none) |
//! | `{mm}:all` | sorted set (lexicographic) | every member, for paged re-sealing |
//! | `{mm}:tenant:<tenant>` | set | the members of a tenant, for listing without `KEYS` |
//! | `{mm}:exp` | sorted set (score = expiry) | members with an expiry |
//! | `{mm}:dedupe:<event key>` | string with TTL | a claimed webhook event |
//!
//! A member is the record key's four parts joined by `:`, with `%` and `:` percent-escaped.
//! Writes run as Lua scripts, so a record and its indexes change together.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use super::StoreError;
use crate::Timestamp;
use crate::token::{BlobStore, Channel, SecretKind, StoredBlob, TokenKey};
use crate::webhook::Deduplicator;

/// The default key prefix.
pub const DEFAULT_REDIS_PREFIX: &str = "{mm}";

/// How many index entries a re-seal scan reads per round trip.
const SCAN_PAGE: usize = 256;

const PUT_SCRIPT: &str = r"
local mode = ARGV[5]
if mode == 'absent' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif mode == 'match' then
  if redis.call('HGET', KEYS[1], 'c') ~= ARGV[6] then return 0 end
end
redis.call('HSET', KEYS[1], 'c', ARGV[2], 'k', ARGV[3])
if ARGV[4] == '' then
  redis.call('HDEL', KEYS[1], 'e')
  redis.call('ZREM', KEYS[4], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'e', ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
";

const DELETE_SCRIPT: &str = r"
local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return deleted
";

/// KEYS: tenant set, `all`, `exp`, then the record keys of ARGV's members (every key it touches
/// is declared, as Redis Cluster requires). Returns {deleted, members left in the tenant set}.
const DELETE_TENANT_SCRIPT: &str = r"
local deleted = 0
for i, member in ipairs(ARGV) do
  deleted = deleted + redis.call('DEL', KEYS[i + 3])
  redis.call('SREM', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], member)
end
return {deleted, redis.call('SCARD', KEYS[1])}
";

/// A prefix with a Redis hash tag: kept as it is if it has one (`{acme-prod}`, `mm:{prod}`),
/// else its braces are dropped and it is wrapped in a pair (`acme-prod` becomes `{acme-prod}`;
/// `mm` stands in for nothing). Every key then hashes on the prefix alone, so the names of
/// tenants and events (which may hold braces) never move a key to another cluster slot.
pub(super) fn hash_tagged(prefix: String) -> String {
    let has_tag =
        prefix.find('{').is_some_and(|open| prefix[open + 1..].find('}').is_some_and(|close| close > 0));
    if has_tag {
        return prefix;
    }
    let bare: String = prefix.chars().filter(|c| *c != '{' && *c != '}').collect();
    format!("{{{}}}", if bare.is_empty() { "mm" } else { &bare })
}

pub(super) fn backend(context: &'static str) -> impl FnOnce(redis::RedisError) -> StoreError {
    move |error| StoreError::backend(format!("redis: {context}"), error)
}

/// Connects a connection manager (reconnecting on its own) with 5-second connect and response
/// timeouts, so an unreachable server gives an error, not a hang.
async fn connect(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = redis::Client::open(url).map_err(backend("invalid url"))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(5)))
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, config).await.map_err(backend("could not connect"))
}

pub(super) fn escape(part: &str, out: &mut String) {
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
}

fn unescape(part: &str) -> String {
    part.replace("%3A", ":").replace("%25", "%")
}

fn member(key: &TokenKey) -> String {
    let mut out = String::with_capacity(key.tenant.len() + key.asset_id.len() + 32);
    for (i, part) in [key.tenant.as_str(), key.channel.as_str(), key.asset_id.as_str(), key.kind.as_str()]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push(':');
        }
        escape(part, &mut out);
    }
    out
}

fn parse_member(member: &str) -> Result<TokenKey, StoreError> {
    let mut parts = member.split(':');
    let (Some(tenant), Some(channel), Some(asset), Some(kind), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(StoreError::format("malformed redis index entry"));
    };
    Ok(TokenKey::new(
        unescape(tenant),
        Channel::from(unescape(channel)),
        unescape(asset),
        SecretKind::from(unescape(kind)),
    ))
}

/// Sealed records in Redis. Only ciphertext, key id and plain expiry are stored.
///
/// ```no_run
/// # async fn run() -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::token::{DataKey, EncryptedTokenStore, Keyring};
/// use meta_messaging::store::RedisBlobStore;
///
/// let blobs = RedisBlobStore::connect("redis://cache.internal:6379").await?;
/// let store = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisBlobStore {
    connection: ConnectionManager,
    prefix: String,
    put: Script,
    delete: Script,
    delete_tenant: Script,
}

impl std::fmt::Debug for RedisBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBlobStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisBlobStore {
    /// Connects to `url` (`redis://host:port/db`, `rediss://` with TLS support compiled into
    /// `redis`) with the default prefix.
    ///
    /// # Errors
    ///
    /// [`StoreError`] (kind `Backend`) when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_connection(connect(url).await?))
    }

    /// Uses a connection manager you configured, with the default prefix.
    pub fn from_connection(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            put: Script::new(PUT_SCRIPT),
            delete: Script::new(DELETE_SCRIPT),
            delete_tenant: Script::new(DELETE_TENANT_SCRIPT),
        }
    }

    /// Namespaces every key under `prefix`, e.g. `{acme-prod}`. A prefix without a hash tag is
    /// wrapped in braces (`acme-prod` becomes `{acme-prod}`), so all keys stay in one slot.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = hash_tagged(prefix.into());
        self
    }

    fn record_key(&self, member: &str) -> String {
        format!("{}:rec:{member}", self.prefix)
    }

    fn all_key(&self) -> String {
        format!("{}:all", self.prefix)
    }

    fn tenant_key(&self, tenant: &str) -> String {
        let mut key = format!("{}:tenant:", self.prefix);
        escape(tenant, &mut key);
        key
    }

    fn expiry_key(&self) -> String {
        format!("{}:exp", self.prefix)
    }

    async fn write(
        &self,
        key: &TokenKey,
        blob: &StoredBlob,
        mode: &str,
        expected: &[u8],
    ) -> Result<bool, StoreError> {
        let member = member(key);
        let expires = blob.expires_at.map(|t| t.unix_millis().to_string()).unwrap_or_default();
        let written: i64 = self
            .put
            .key(self.record_key(&member))
            .key(self.all_key())
            .key(self.tenant_key(&key.tenant))
            .key(self.expiry_key())
            .arg(&member)
            .arg(blob.ciphertext.as_ref())
            .arg(blob.key_id)
            .arg(expires)
            .arg(mode)
            .arg(expected)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend("write failed"))?;
        Ok(written == 1)
    }

    /// The blobs of `members`, skipping any deleted since they were listed.
    async fn fetch(&self, members: Vec<String>) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for member in &members {
            pipe.cmd("HMGET").arg(self.record_key(member)).arg("c").arg("k").arg("e");
        }
        let rows: Vec<Row> =
            pipe.query_async(&mut self.connection.clone()).await.map_err(backend("read failed"))?;
        let mut out = Vec::with_capacity(members.len());
        for (member, row) in members.iter().zip(rows) {
            if let Some(blob) = to_blob(row)? {
                out.push((parse_member(member)?, blob));
            }
        }
        Ok(out)
    }
}

/// `HMGET c k e` of a record: ciphertext, key id, expiry.
type Row = (Option<Vec<u8>>, Option<String>, Option<String>);

fn to_blob(row: Row) -> Result<Option<StoredBlob>, StoreError> {
    let (Some(ciphertext), Some(key_id), expires) = row else {
        return Ok(None);
    };
    let key_id = key_id.parse().map_err(|_| StoreError::format("stored key id is not a number"))?;
    let expires = match expires {
        Some(text) => Some(Timestamp::from_unix_millis(
            text.parse().map_err(|_| StoreError::format("stored expiry is not a number"))?,
        )),
        None => None,
    };
    Ok(Some(StoredBlob::new(ciphertext, key_id, expires)))
}

#[async_trait]
impl BlobStore for RedisBlobStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<StoredBlob>, StoreError> {
        let row: Row = redis::cmd("HMGET")
            .arg(self.record_key(&member(key)))
            .arg("c")
            .arg("k")
            .arg("e")
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend("get failed"))?;
        to_blob(row)
    }

    async fn put(&self, key: &TokenKey, blob: StoredBlob) -> Result<(), StoreError> {
        self.write(key, &blob, "any", b"").await.map(drop)
    }

    async fn put_if(&self, key: &TokenKey, expected: &[u8], blob: StoredBlob) -> Result<bool, StoreError> {
        if expected.is_empty() {
            self.write(key, &blob, "absent", b"").await
        } else {
            self.write(key, &blob, "match", expected).await
        }
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        let member = member(key);
        let deleted: i64 = self
            .delete
            .key(self.record_key(&member))
            .key(self.all_key())
            .key(self.tenant_key(&key.tenant))
            .key(self.expiry_key())
            .arg(&member)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend("delete failed"))?;
        Ok(deleted > 0)
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        let mut members: Vec<String> = self
            .connection
            .clone()
            .smembers(self.tenant_key(tenant))
            .await
            .map_err(backend("list failed"))?;
        members.sort_unstable();
        self.fetch(members).await
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        // The members are read first so the script can declare every key it deletes; a record
        // written meanwhile stays in the tenant set and is taken by the next round.
        const ROUNDS: usize = 16;
        let tenant_key = self.tenant_key(tenant);
        let mut deleted = 0;
        for _ in 0..ROUNDS {
            let members: Vec<String> =
                self.connection.clone().smembers(&tenant_key).await.map_err(backend("list failed"))?;
            if members.is_empty() {
                return Ok(deleted);
            }
            let mut call = self.delete_tenant.prepare_invoke();
            call.key(&tenant_key).key(self.all_key()).key(self.expiry_key());
            for member in &members {
                call.key(self.record_key(member)).arg(member);
            }
            let (gone, left): (i64, i64) = call
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(backend("tenant delete failed"))?;
            deleted += usize::try_from(gone).unwrap_or(0);
            if left == 0 {
                return Ok(deleted);
            }
        }
        Err(StoreError::backend_message("redis: the tenant kept gaining records while it was deleted; retry"))
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        let members: Vec<String> = self
            .connection
            .clone()
            .zrangebyscore(self.expiry_key(), "-inf", format!("({}", instant.unix_millis()))
            .await
            .map_err(backend("expiry query failed"))?;
        self.fetch(members).await
    }

    async fn sealed_with_other_key(
        &self,
        key_id: u32,
        after: Option<&TokenKey>,
        limit: usize,
    ) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        let mut cursor = after.map_or_else(|| "-".to_owned(), |key| format!("({}", member(key)));
        let mut found = Vec::new();
        while found.len() < limit {
            let members: Vec<String> = self
                .connection
                .clone()
                .zrangebylex_limit(self.all_key(), &cursor, "+", 0, isize::try_from(SCAN_PAGE).unwrap_or(256))
                .await
                .map_err(backend("re-seal scan failed"))?;
            let Some(last) = members.last() else { break };
            cursor = format!("({last}");
            let page_len = members.len();
            for (key, blob) in self.fetch(members).await? {
                if blob.key_id != key_id && found.len() < limit {
                    found.push((key, blob));
                }
            }
            if page_len < SCAN_PAGE {
                break;
            }
        }
        Ok(found)
    }
}

/// Webhook dedupe in Redis: `SET key 1 NX PX ttl`, so when several replicas receive the same
/// delivery exactly one claims it; keys expire on their own.
#[derive(Clone)]
pub struct RedisDeduplicator {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
}

impl std::fmt::Debug for RedisDeduplicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDeduplicator")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RedisDeduplicator {
    /// Connects to `url`; keys are remembered for `ttl` (Meta redelivers for up to 7 days).
    ///
    /// # Errors
    ///
    /// [`StoreError`] (kind `Backend`) when the server cannot be reached.
    pub async fn connect(url: &str, ttl: Duration) -> Result<Self, StoreError> {
        Ok(Self::from_connection(connect(url).await?, ttl))
    }

    /// Uses a connection manager you configured.
    pub fn from_connection(connection: ConnectionManager, ttl: Duration) -> Self {
        Self { connection, prefix: DEFAULT_REDIS_PREFIX.to_owned(), ttl }
    }

    /// Namespaces the keys under `prefix` (wrapped in braces unless it has a hash tag).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = hash_tagged(prefix.into());
        self
    }
}

#[async_trait]
impl Deduplicator for RedisDeduplicator {
    async fn first_seen(&self, key: &str) -> Result<bool, StoreError> {
        self.set_nx(key, self.ttl).await
    }

    async fn claim(&self, key: &str) -> Result<bool, StoreError> {
        self.set_nx(key, crate::webhook::CLAIM_TTL.min(self.ttl)).await
    }

    async fn commit(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = redis::cmd("PEXPIRE")
            .arg(self.key(key))
            .arg(clamp_ttl(self.ttl))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| StoreError::backend("redis: dedupe commit failed", e))?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = redis::cmd("DEL")
            .arg(self.key(key))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| StoreError::backend("redis: dedupe release failed", e))?;
        Ok(())
    }
}

/// Redis refuses expiries that overflow its clock: at most 100 years, at least 1 ms.
fn clamp_ttl(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).clamp(1, 100 * 365 * 86_400_000)
}

impl RedisDeduplicator {
    fn key(&self, key: &str) -> String {
        format!("{}:dedupe:{key}", self.prefix)
    }

    async fn set_nx(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        let claimed: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(clamp_ttl(ttl))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| StoreError::backend("redis: dedupe claim failed", e))?;
        Ok(claimed.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a script touches must come from KEYS (Redis Cluster routes on them): a key
    /// name built inside the script, from ARGV or by concatenation, is an undeclared key.
    #[test]
    fn scripts_touch_only_declared_keys() {
        let scripts = [
            PUT_SCRIPT,
            DELETE_SCRIPT,
            DELETE_TENANT_SCRIPT,
            super::super::redis_pacing::SCRIPTS[0],
            super::super::redis_pacing::SCRIPTS[1],
            super::super::redis_pacing::SCRIPTS[2],
        ];
        for script in scripts {
            assert!(!script.contains(".."), "a script builds a key name:\n{script}");
            for call in script.split("redis.call(").skip(1) {
                let mut args = call.split(')').next().unwrap_or_default().split(',').map(str::trim);
                let command = args.next().unwrap_or_default();
                let first_arg = args.next().unwrap_or_default();
                assert!(
                    command == "'TIME'" || first_arg.starts_with("KEYS["),
                    "{command} on an undeclared key ({first_arg}) in:\n{script}"
                );
            }
        }
    }

    #[test]
    fn prefixes_always_carry_a_hash_tag() {
        assert_eq!(hash_tagged("{acme-prod}".to_owned()), "{acme-prod}");
        assert_eq!(hash_tagged("mm:{prod}".to_owned()), "mm:{prod}");
        assert_eq!(hash_tagged("acme-prod".to_owned()), "{acme-prod}");
        // An empty tag `{}` is no tag: Redis would hash the whole key, tenant included.
        assert_eq!(hash_tagged("x{}".to_owned()), "{x}");
        assert_eq!(hash_tagged("}{".to_owned()), "{mm}");
        assert_eq!(hash_tagged(String::new()), "{mm}");
    }
}
