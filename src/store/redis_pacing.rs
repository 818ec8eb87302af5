//! Pacing shared by replicas on Redis (feature `redis`): GCRA reservations, penalties and
//! throughput overrides, and the messaging window.
//!
//! | key | holds |
//! |---|---|
//! | `{mm}:pn:<phone>` | the number's theoretical arrival time (100 µs ticks, server clock); a penalty moves it forward |
//! | `{mm}:pp:<phone>:<recipient>` | the pair's theoretical arrival time |
//! | `{mm}:pt:<phone>` | the number's throughput override (messages per second) |
//! | `{mm}:win:<business>:<user>` | the user's last inbound message (Unix ms) |
//!
//! Every key expires by itself once it no longer constrains anything. Times come from the
//! server (`TIME`), so replicas' clocks never disagree about a slot; waits are answered as
//! durations.

use std::time::Duration;

use async_trait::async_trait;
use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::StoreError;
use super::redis::{DEFAULT_REDIS_PREFIX, backend, escape};
use crate::Timestamp;
use crate::pacing::{Admission, Reservation, SharedLimits, WindowStore};

/// Times in the scripts are in ticks of 100 µs on the server's clock: small enough that Lua's
/// numbers stay exact integers when Redis turns them into strings.
const TICK_MICROS: u64 = 100;

/// Reserves both limits for the moment the message would go: the number's next slot, if the
/// pair allows a message then. KEYS: the number's TAT, the pair's TAT, the number's throughput
/// override. ARGV: default throughput (per second), throughput burst, pair interval (ticks),
/// pair burst, max wait (ticks). Answers {1, wait} (both reserved: send after the wait),
/// {2, wait} (nothing reserved: the pair allows a message only after the wait; ask again then)
/// or {0, wait} (refused: past the max wait).
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 10000 + math.floor(tonumber(t[2]) / 100)
local v = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
local max_wait = tonumber(ARGV[5])
local interval = math.ceil(10000 / (tonumber(v[3]) or tonumber(ARGV[1])))
local tat = tonumber(v[1]) or now
if tat < now then tat = now end
local send = tat - interval * (tonumber(ARGV[2]) - 1)
if send < now then send = now end
local pair_interval = tonumber(ARGV[3])
local pair_tat = tonumber(v[2]) or now
if pair_tat < now then pair_tat = now end
local allowed = pair_tat - pair_interval * (tonumber(ARGV[4]) - 1)
if allowed > send then
  if allowed - now > max_wait then return {0, allowed - now} end
  return {2, allowed - now}
end
if send - now > max_wait then return {0, send - now} end
if send > tat then tat = send end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', math.floor((tat - now) / 10) + 1000)
if pair_interval > 0 then
  if send > pair_tat then pair_tat = send end
  pair_tat = pair_tat + pair_interval
  redis.call('SET', KEYS[2], pair_tat, 'PX', math.floor((pair_tat - now) / 10) + 1000)
end
return {1, send - now}
";

/// KEYS: a number's or a pair's TAT. ARGV: duration (ticks), its burst tolerance (ticks).
/// Moves the schedule so nothing is admitted before now + duration (never earlier).
const HOLD: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 10000 + math.floor(tonumber(t[2]) / 100)
local tat = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
if (tonumber(redis.call('GET', KEYS[1])) or 0) < tat then
  redis.call('SET', KEYS[1], tat, 'PX', math.floor((tat - now) / 10) + 1000)
end
return 1
";

/// KEYS: window. ARGV: time (ms), ttl (ms). Keeps the latest time.
const RECORD: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or 0)
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
";

/// The scripts, for the check that they touch only declared keys.
#[cfg(test)]
pub(super) const SCRIPTS: [&str; 3] = [RESERVE, HOLD, RECORD];

/// Connects with short timeouts: a pacer that waits seconds for an unreachable store stalls
/// every send, so it fails fast and applies its outage policy.
pub(super) async fn connect(url: &str) -> Result<ConnectionManager, StoreError> {
    let client = redis::Client::open(url).map_err(backend("invalid url"))?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(1);
    ConnectionManager::new_with_config(client, config).await.map_err(backend("could not connect"))
}

/// A duration in ticks, rounded up (a wait is never shortened).
fn ticks(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros().div_ceil(u128::from(TICK_MICROS))).unwrap_or(u64::MAX / 2).min(1 << 50)
}

pub(super) fn key(prefix: &str, kind: &str, parts: &[&str]) -> String {
    let mut key = format!("{prefix}:{kind}");
    for part in parts {
        key.push(':');
        escape(part, &mut key);
    }
    key
}

/// [`SharedLimits`] on Redis: every replica that uses the same server and prefix shares the
/// throughput limit of each phone number and the pair rate of each (number, recipient), with one
/// round trip per admission (one more after each wait the recipient's own limit imposes).
///
/// ```no_run
/// # async fn run() -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::pacing::{OutagePolicy, Pacer, PacerConfig};
/// use meta_messaging::store::RedisLimits;
///
/// let limits = RedisLimits::connect("redis://127.0.0.1:6379").await?.prefix("{acme-prod}");
/// let pacer = Pacer::shared(PacerConfig::default(), limits, OutagePolicy::LocalShare(0.25));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisLimits {
    connection: ConnectionManager,
    prefix: String,
    reserve: Script,
    hold: Script,
}

impl std::fmt::Debug for RedisLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimits").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisLimits {
    /// Connects to `url` (1-second timeouts) with the default prefix.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_connection(connect(url).await?))
    }

    /// Uses a connection manager you configured, with the default prefix.
    pub fn from_connection(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            reserve: Script::new(RESERVE),
            hold: Script::new(HOLD),
        }
    }

    /// Namespaces every key under `prefix`. A prefix without a hash tag is wrapped in braces
    /// (`acme-prod` becomes `{acme-prod}`), so a cluster keeps one deployment's keys in one slot.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = super::redis::hash_tagged(prefix.into());
        self
    }

    /// The connection and prefix, for the other stores kept beside the limits.
    pub(super) fn parts(&self) -> (ConnectionManager, &str) {
        (self.connection.clone(), &self.prefix)
    }

    async fn call(
        &self,
        reservation: &Reservation<'_>,
        max_wait: Duration,
    ) -> Result<(i64, u64), StoreError> {
        let (phone, recipient) = (reservation.phone, reservation.recipient);
        let answer: (i64, i64) = self
            .reserve
            .key(key(&self.prefix, "pn", &[phone]))
            .key(key(&self.prefix, "pp", &[phone, recipient]))
            .key(key(&self.prefix, "pt", &[phone]))
            .arg(reservation.throughput.max(1))
            .arg(reservation.throughput_burst.max(1))
            .arg(ticks(reservation.pair_interval))
            .arg(reservation.pair_burst.max(1))
            .arg(ticks(max_wait))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend("pacing reservation failed"))?;
        Ok((answer.0, u64::try_from(answer.1).unwrap_or(0).saturating_mul(TICK_MICROS)))
    }
}

#[async_trait]
impl SharedLimits for RedisLimits {
    async fn reserve(&self, reservation: &Reservation<'_>) -> Result<Admission, StoreError> {
        let started = tokio::time::Instant::now();
        loop {
            let left = reservation.max_wait.saturating_sub(started.elapsed());
            let (outcome, wait) = self.call(reservation, left).await?;
            let wait = Duration::from_micros(wait);
            match outcome {
                1 => return Ok(Admission::After(wait)),
                // The recipient's own limit comes first: wait for it without holding any of the
                // number's capacity, then ask again.
                2 => tokio::time::sleep(wait).await,
                _ => return Ok(Admission::Refused(started.elapsed() + wait)),
            }
        }
    }

    async fn penalize(&self, phone: &str, duration: Duration, tolerance: Duration) -> Result<(), StoreError> {
        let _: i64 = self
            .hold
            .key(key(&self.prefix, "pn", &[phone]))
            .arg(ticks(duration))
            .arg(ticks(tolerance))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend("pacing penalty failed"))?;
        Ok(())
    }

    async fn penalize_pair(
        &self,
        phone: &str,
        recipient: &str,
        duration: Duration,
        tolerance: Duration,
    ) -> Result<(), StoreError> {
        let _: i64 = self
            .hold
            .key(key(&self.prefix, "pp", &[phone, recipient]))
            .arg(ticks(duration))
            .arg(ticks(tolerance))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend("pair penalty failed"))?;
        Ok(())
    }

    async fn set_throughput(&self, phone: &str, messages_per_second: u32) -> Result<(), StoreError> {
        let _: () = redis::cmd("SET")
            .arg(key(&self.prefix, "pt", &[phone]))
            .arg(messages_per_second.max(1))
            .arg("PX")
            .arg(30u64 * 24 * 3600 * 1000)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend("throughput override failed"))?;
        Ok(())
    }
}

/// The messaging window on Redis: each user's last inbound message per business, kept 7 days
/// (the longest window) and expiring by itself; replicas see each other's webhooks.
#[derive(Clone)]
pub struct RedisWindowStore {
    connection: ConnectionManager,
    prefix: String,
    record: Script,
}

impl std::fmt::Debug for RedisWindowStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisWindowStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisWindowStore {
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
        Self { connection, prefix: DEFAULT_REDIS_PREFIX.to_owned(), record: Script::new(RECORD) }
    }

    /// Namespaces every key under `prefix` (wrapped in braces unless it has a hash tag).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = super::redis::hash_tagged(prefix.into());
        self
    }
}

#[async_trait]
impl WindowStore for RedisWindowStore {
    async fn record(&self, business: &str, user: &str, at: Timestamp) -> Result<(), StoreError> {
        let ttl = crate::pacing::window::HUMAN_AGENT_WINDOW.as_millis() + 60_000;
        let _: i64 = self
            .record
            .key(key(&self.prefix, "win", &[business, user]))
            .arg(at.unix_millis())
            .arg(u64::try_from(ttl).unwrap_or(u64::MAX))
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(backend("window record failed"))?;
        Ok(())
    }

    async fn last_inbound(&self, business: &str, user: &str) -> Result<Option<Timestamp>, StoreError> {
        let value: Option<i64> = redis::cmd("GET")
            .arg(key(&self.prefix, "win", &[business, user]))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(backend("window read failed"))?;
        Ok(value.map(Timestamp::from_unix_millis))
    }

    async fn forget_business(&self, business: &str) -> Result<u64, StoreError> {
        // Every key of the business: `<prefix>:win:<business>:<user>`, found with SCAN (an
        // erasure is rare; the keys also expire on their own within the human-agent window).
        let pattern = format!("{}:*", glob_escape(&key(&self.prefix, "win", &[business])));
        let mut connection = self.connection.clone();
        let mut cursor: u64 = 0;
        let mut forgotten = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut connection)
                .await
                .map_err(backend("window scan failed"))?;
            if !keys.is_empty() {
                let deleted: u64 = redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async(&mut connection)
                    .await
                    .map_err(backend("window forget failed"))?;
                forgotten += deleted;
            }
            if next == 0 {
                return Ok(forgotten);
            }
            cursor = next;
        }
    }
}

/// `text` with Redis glob characters escaped, for a `SCAN MATCH` pattern.
pub(super) fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
