//! The delivery queue on PostgreSQL (feature `postgres`): many replicas share it.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use tokio::sync::OnceCell;

use super::StoreError;
use super::postgres::{backend, bounded, connect, migrate};
use super::sql::{self as sql, item_from_row, retry_columns};
use crate::Timestamp;
use crate::delivery::{Attempt, Item, ItemState, NewItem, Queue, Retry, millis};

static COMPLETE: LazyLock<String> = LazyLock::new(|| sql::complete(sql::postgres_append));
static FAIL: LazyLock<String> = LazyLock::new(|| sql::fail(sql::postgres_append));

/// A durable [`Queue`] in PostgreSQL, shared by every replica.
///
/// Claims take the oldest pending item of each conversation with `FOR UPDATE SKIP LOCKED`, so
/// replicas never block on each other's rows and never lease one item twice; a lease that
/// expires (its replica died) makes the item claimable again. With the server's default
/// `synchronous_commit = on`, an enqueued item survives a crash of the server or the machine.
///
/// [`connect_lazy`](Self::connect_lazy) returns at once even when the server is down: every
/// call fails with a [`StoreError`] until it comes back, and the schema is migrated on the first
/// call that reaches it. That is what an inbox needs: answer `503` while the store is away, and
/// recover by itself.
#[derive(Clone, Debug)]
pub struct PostgresQueue {
    pool: PgPool,
    migrated: std::sync::Arc<OnceCell<()>>,
    clock: crate::clock::SharedClock,
}

/// `$1` owner, `$2` now, `$3` lease (ms), `$4` queue, `$5` limit.
const CLAIM: &str = "WITH heads AS (
        SELECT DISTINCT ON (conversation) id FROM mm_delivery
        WHERE queue = $4 AND state = 0 ORDER BY conversation, id
    ), ready AS (
        SELECT d.id FROM mm_delivery d JOIN heads h ON d.id = h.id
        WHERE d.next_attempt_at <= $2 AND d.lease_until <= $2 AND d.state = 0
        ORDER BY d.id LIMIT $5
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE mm_delivery SET lease_owner = $1, lease_until = $2 + $3, attempts = attempts + 1, updated_at = $2
    FROM ready WHERE mm_delivery.id = ready.id
    RETURNING mm_delivery.id, queue, key, conversation, payload, CAST(state AS INTEGER), attempts, last_error,
        created_at, tenant";

/// One statement for every batch of a group commit, in order (ids follow arrival): `$1` queue,
/// `$2` keys, `$3` conversations, `$4` payloads, `$5` now, `$6` tenants; returns the keys stored.
const INSERT_BATCH: &str = "INSERT INTO mm_delivery
        (queue, key, conversation, payload, next_attempt_at, created_at, updated_at, tenant)
    SELECT $1, k, c, p, $5, $5, $5, t
    FROM UNNEST($2::text[], $3::text[], $4::bytea[], $6::text[]) WITH ORDINALITY AS u(k, c, p, t, n) ORDER BY n
    ON CONFLICT (queue, key) DO NOTHING
    RETURNING key";

impl PostgresQueue {
    /// Reads the time from `clock` instead of the system clock: due times, leases and
    /// backoff then follow a [`ManualClock`](crate::clock::ManualClock) in tests.
    #[must_use]
    pub fn with_clock(mut self, clock: crate::clock::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Connects to `url` and applies the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the server cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let queue = Self {
            pool: connect(url).await?,
            migrated: std::sync::Arc::default(),
            clock: crate::clock::system(),
        };
        queue.ready().await?;
        Ok(queue)
    }

    /// A queue for `url` that connects (and migrates) on first use, so it can be built while the
    /// server is down.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when `url` is not a valid PostgreSQL URL.
    pub fn connect_lazy(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy(url)
            .map_err(backend("invalid url"))?;
        Ok(Self { pool, migrated: std::sync::Arc::default(), clock: crate::clock::system() })
    }

    /// Uses a pool you configured, applying the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a migration fails.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        let queue = Self { pool, migrated: std::sync::Arc::default(), clock: crate::clock::system() };
        queue.ready().await?;
        Ok(queue)
    }

    async fn ready(&self) -> Result<&PgPool, StoreError> {
        if !self.migrated.initialized() {
            let options = self.pool.connect_options();
            self.migrated.get_or_try_init(|| migrate_apart(options)).await?;
        }
        Ok(&self.pool)
    }
}

impl PostgresQueue {
    /// The pool, migrated: destinations' rows live beside the items.
    pub(super) async fn destinations_pool(&self) -> Result<&PgPool, StoreError> {
        self.ready().await
    }

    /// Completes (no failure) or fails a leased item, logging `attempt`.
    async fn settle(
        &self,
        id: i64,
        owner: &str,
        failure: Option<(&str, Retry)>,
        attempt: Option<&Attempt>,
    ) -> Result<bool, StoreError> {
        let pool = self.ready().await?;
        let now = self.clock.now().unix_millis();
        let line = attempt.map(Attempt::to_line);
        bounded("settle", async move {
            let query = match failure {
                None => sqlx::query(&COMPLETE).bind(id).bind(owner).bind(now).bind(line),
                Some((error, retry)) => {
                    let (state, next) = retry_columns(retry);
                    sqlx::query(&FAIL)
                        .bind(id)
                        .bind(owner)
                        .bind(now)
                        .bind(i16::try_from(state).unwrap_or(0))
                        .bind(next)
                        .bind(error)
                        .bind(line)
                }
            };
            let result = query.execute(pool).await.map_err(backend("delivery outcome failed"))?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }
}

#[async_trait]
impl Queue for PostgresQueue {
    async fn enqueue(&self, queue: &str, items: &[NewItem]) -> Result<usize, StoreError> {
        Ok(self.enqueue_batches(queue, &[items]).await?.iter().sum())
    }

    async fn enqueue_batches(&self, queue: &str, batches: &[&[NewItem]]) -> Result<Vec<usize>, StoreError> {
        let pool = self.ready().await?;
        bounded("enqueue", async move {
            let items = || batches.iter().flat_map(|batch| batch.iter());
            let keys: Vec<&str> = items().map(|i| i.key.as_str()).collect();
            let conversations: Vec<&str> = items().map(|i| i.conversation.as_str()).collect();
            let payloads: Vec<&[u8]> = items().map(|i| i.payload.as_slice()).collect();
            let tenants: Vec<Option<&str>> = items().map(|i| i.tenant.as_deref()).collect();
            let inserted: Vec<String> = sqlx::query_scalar(INSERT_BATCH)
                .bind(queue)
                .bind(&keys)
                .bind(&conversations)
                .bind(&payloads)
                .bind(self.clock.now().unix_millis())
                .bind(&tenants)
                .fetch_all(pool)
                .await
                .map_err(backend("delivery enqueue failed"))?;
            // Each new key counts for the first batch that holds it.
            let mut new: std::collections::HashSet<&str> = inserted.iter().map(String::as_str).collect();
            Ok(batches
                .iter()
                .map(|batch| batch.iter().filter(|item| new.remove(item.key.as_str())).count())
                .collect())
        })
        .await
    }

    async fn claim(
        &self,
        queue: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Item>, StoreError> {
        let pool = self.ready().await?;
        bounded("claim", async move {
            let rows = sqlx::query(CLAIM)
                .bind(owner)
                .bind(self.clock.now().unix_millis())
                .bind(millis(lease))
                .bind(queue)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await
                .map_err(backend("delivery claim failed"))?;
            let mut items = rows.iter().map(item_from_row).collect::<Result<Vec<_>, _>>()?;
            items.sort_by_key(|item| item.id);
            Ok(items)
        })
        .await
    }

    async fn complete(&self, id: i64, owner: &str) -> Result<bool, StoreError> {
        self.settle(id, owner, None, None).await
    }

    async fn fail(&self, id: i64, owner: &str, error: &str, retry: Retry) -> Result<bool, StoreError> {
        self.settle(id, owner, Some((error, retry)), None).await
    }

    async fn complete_logged(&self, id: i64, owner: &str, attempt: &Attempt) -> Result<bool, StoreError> {
        self.settle(id, owner, None, Some(attempt)).await
    }

    async fn fail_logged(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        retry: Retry,
        attempt: &Attempt,
    ) -> Result<bool, StoreError> {
        self.settle(id, owner, Some((error, retry)), Some(attempt)).await
    }

    async fn postpone(&self, id: i64, owner: &str, until: Timestamp) -> Result<bool, StoreError> {
        let pool = self.ready().await?;
        bounded("postpone", async move {
            let result = sqlx::query(sql::POSTPONE)
                .bind(id)
                .bind(owner)
                .bind(self.clock.now().unix_millis())
                .bind(until.unix_millis())
                .execute(pool)
                .await
                .map_err(backend("delivery postpone failed"))?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn attempt_log(&self, id: i64) -> Result<Vec<Attempt>, StoreError> {
        let pool = self.ready().await?;
        bounded("attempt_log", async move {
            let log: Option<Option<String>> = sqlx::query_scalar(sql::ATTEMPT_LOG)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(backend("delivery attempt log read failed"))?;
            Ok(log.flatten().map(|log| Attempt::parse_log(&log)).unwrap_or_default())
        })
        .await
    }

    async fn dead_letters(&self, queue: &str, limit: usize) -> Result<Vec<Item>, StoreError> {
        let pool = self.ready().await?;
        bounded("dead letters", async move {
            let rows = sqlx::query(&sql::dead_letters())
                .bind(queue)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await
                .map_err(backend("listing dead letters failed"))?;
            rows.iter().map(item_from_row).collect()
        })
        .await
    }

    async fn list(&self, queue: &str, state: ItemState, limit: usize) -> Result<Vec<Item>, StoreError> {
        let pool = self.ready().await?;
        bounded("list", async move {
            let rows = sqlx::query(&sql::in_state())
                .bind(queue)
                .bind(state.code())
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await
                .map_err(backend("listing items failed"))?;
            rows.iter().map(item_from_row).collect()
        })
        .await
    }

    async fn replay(&self, id: i64) -> Result<bool, StoreError> {
        let pool = self.ready().await?;
        bounded("replay", async move {
            let result = sqlx::query(sql::REPLAY)
                .bind(id)
                .bind(self.clock.now().unix_millis())
                .execute(pool)
                .await
                .map_err(backend("delivery replay failed"))?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn counts(&self, queue: &str) -> Result<(u64, u64, u64), StoreError> {
        let pool = self.ready().await?;
        bounded("counts", async move {
            let rows: Vec<(i32, i64)> = sqlx::query_as(sql::COUNTS)
                .bind(queue)
                .fetch_all(pool)
                .await
                .map_err(backend("delivery counts failed"))?;
            let rows: Vec<(i64, i64)> = rows.into_iter().map(|(s, c)| (i64::from(s), c)).collect();
            Ok(sql::tally(&rows))
        })
        .await
    }

    async fn purge_completed(&self, older_than: Timestamp) -> Result<u64, StoreError> {
        let pool = self.ready().await?;
        bounded("purge", async move {
            let result = sqlx::query(sql::PURGE)
                .bind(older_than.unix_millis())
                .execute(pool)
                .await
                .map_err(backend("delivery purge failed"))?;
            Ok(result.rows_affected())
        })
        .await
    }

    async fn release_leases(&self, queue: &str, owner: &str) -> Result<u64, StoreError> {
        let pool = self.ready().await?;
        bounded("release_leases", async move {
            let result = sqlx::query(sql::RELEASE_LEASES)
                .bind(queue)
                .bind(owner)
                .execute(pool)
                .await
                .map_err(backend("delivery lease release failed"))?;
            Ok(result.rows_affected())
        })
        .await
    }

    async fn purge_tenant(&self, tenant: &str) -> Result<u64, StoreError> {
        let pool = self.ready().await?;
        bounded("purge_tenant", async move {
            let result = sqlx::query(sql::PURGE_TENANT)
                .bind(tenant)
                .execute(pool)
                .await
                .map_err(backend("delivery tenant purge failed"))?;
            Ok(result.rows_affected())
        })
        .await
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Runs the migrations on a connection of their own, in a thread of their own.
///
/// The migration future borrows a transaction across awaits, which the compiler cannot prove
/// `Send` for every lifetime inside the `Queue` methods' boxed futures; a current-thread runtime
/// runs it without that bound, on a one-connection pool that lives and dies with that runtime.
async fn migrate_apart(options: std::sync::Arc<sqlx::postgres::PgConnectOptions>) -> Result<(), StoreError> {
    let (done, outcome) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let result = tokio::runtime::Builder::new_current_thread().enable_all().build().map_or_else(
            |e| Err(StoreError::backend("postgres: could not start the migration runtime", e)),
            |runtime| {
                runtime.block_on(async {
                    let pool = PgPoolOptions::new()
                        .max_connections(1)
                        .acquire_timeout(Duration::from_secs(5))
                        .connect_with((*options).clone())
                        .await
                        .map_err(backend("could not connect"))?;
                    let result = bounded("migrate", migrate(&pool)).await;
                    pool.close().await;
                    result
                })
            },
        );
        let _ = done.send(result);
    });
    outcome.await.unwrap_or_else(|_| Err(StoreError::backend_message("postgres: the migration thread died")))
}
