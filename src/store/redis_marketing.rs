//! The marketing governor's shared state on Redis, beside the pacing limits (`RedisLimits`).

use std::time::Duration;

use async_trait::async_trait;
use redis::Script;

use super::StoreError;
use super::redis::backend;
use super::redis_pacing::{RedisLimits, key};
use crate::Timestamp;
use crate::pacing::{MarketingStore, Reach};

/// Sets the hold when it is later than the one kept; it expires with itself.
const HOLD: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or 0)
local until_ms = tonumber(ARGV[1])
if current < until_ms then
  redis.call('SET', KEYS[1], until_ms, 'PXAT', until_ms)
end
return 1
";

/// Unique recipients per window in a sorted set (score: when first counted), trimmed and
/// counted in one step: `{1, 0}` counted, `{0, wait_ms}` spent.
const REACH: &str = r"
local now, window, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, 0} end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Every replica on the same server and prefix shares the holds and each scope's reach: one
/// round trip per check.
#[async_trait]
impl MarketingStore for RedisLimits {
    async fn hold(&self, scope: &str, recipient: &str, until: Timestamp) -> Result<(), StoreError> {
        let (mut connection, prefix) = self.parts();
        let _: i64 = Script::new(HOLD)
            .key(key(prefix, "mkt-hold", &[scope, recipient]))
            .arg(until.unix_millis())
            .invoke_async(&mut connection)
            .await
            .map_err(backend("marketing hold failed"))?;
        Ok(())
    }

    async fn held_until(
        &self,
        scope: &str,
        recipient: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let (mut connection, prefix) = self.parts();
        let until: Option<i64> = redis::cmd("GET")
            .arg(key(prefix, "mkt-hold", &[scope, recipient]))
            .query_async(&mut connection)
            .await
            .map_err(backend("marketing hold lookup failed"))?;
        Ok(until.map(Timestamp::from_unix_millis).filter(|until| *until > now))
    }

    async fn reach(
        &self,
        scope: &str,
        recipient: &str,
        now: Timestamp,
        window: Duration,
        limit: u64,
    ) -> Result<Reach, StoreError> {
        let (mut connection, prefix) = self.parts();
        let (counted, wait): (i64, i64) = Script::new(REACH)
            .key(key(prefix, "mkt-reach", &[scope]))
            .arg(recipient)
            .arg(now.unix_millis())
            .arg(millis(window))
            .arg(limit)
            .invoke_async(&mut connection)
            .await
            .map_err(backend("marketing reach failed"))?;
        Ok(if counted == 1 {
            Reach::Counted
        } else {
            Reach::Spent { retry_after: Duration::from_millis(u64::try_from(wait).unwrap_or(0)) }
        })
    }
}
