//! Holds and the marketing governor's reach on Redis, beside the pacing limits (`RedisLimits`).

use std::time::Duration;

use async_trait::async_trait;
use redis::Script;

use super::StoreError;
use super::redis::backend;
use super::redis_pacing::{RedisLimits, key};
use crate::Timestamp;
use crate::pacing::{HoldStore, MarketingStore, Reach};

/// A scope's holds are one sorted set (score: until when, in milliseconds), so erasing a
/// tenant is one `DEL`: the hold is raised, never shortened (`GT`), holds past the server's
/// clock are dropped, and the set expires with its last hold.
const HOLD: &str = r"
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(t[1]) * 1000 - 1)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
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

/// Every replica on the same server and prefix shares the holds: one sorted set per scope, one
/// round trip per check.
#[async_trait]
impl HoldStore for RedisLimits {
    async fn hold(&self, scope: &str, member: &str, until: Timestamp) -> Result<(), StoreError> {
        let (mut connection, prefix) = self.parts();
        let _: i64 = Script::new(HOLD)
            .key(key(prefix, "hold", &[scope]))
            .arg(until.unix_millis())
            .arg(member)
            .invoke_async(&mut connection)
            .await
            .map_err(backend("hold failed"))?;
        Ok(())
    }

    async fn held_until(
        &self,
        scope: &str,
        member: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let (mut connection, prefix) = self.parts();
        let until: Option<f64> = redis::cmd("ZSCORE")
            .arg(key(prefix, "hold", &[scope]))
            .arg(member)
            .query_async(&mut connection)
            .await
            .map_err(backend("hold lookup failed"))?;
        // Scores are whole milliseconds, well inside f64's exact integers.
        #[allow(clippy::cast_possible_truncation)]
        let until = until.map(|ms| Timestamp::from_unix_millis(ms as i64));
        Ok(until.filter(|until| *until > now))
    }

    async fn release(&self, scope: &str, member: &str) -> Result<(), StoreError> {
        let (mut connection, prefix) = self.parts();
        let _: i64 = redis::cmd("ZREM")
            .arg(key(prefix, "hold", &[scope]))
            .arg(member)
            .query_async(&mut connection)
            .await
            .map_err(backend("hold release failed"))?;
        Ok(())
    }

    async fn forget_holds(&self, scope: &str) -> Result<u64, StoreError> {
        forget(self, &key(self.parts().1, "hold", &[scope])).await
    }
}

/// Counts and deletes one sorted set.
async fn forget(limits: &RedisLimits, set: &str) -> Result<u64, StoreError> {
    let (mut connection, _) = limits.parts();
    let (count, _): (u64, u64) = redis::pipe()
        .atomic()
        .cmd("ZCARD")
        .arg(set)
        .cmd("DEL")
        .arg(set)
        .query_async(&mut connection)
        .await
        .map_err(backend("erasure failed"))?;
    Ok(count)
}

/// Unique recipients per scope and window: one atomic script per check.
#[async_trait]
impl MarketingStore for RedisLimits {
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

    async fn forget_reach(&self, scope: &str) -> Result<u64, StoreError> {
        forget(self, &key(self.parts().1, "mkt-reach", &[scope])).await
    }
}
