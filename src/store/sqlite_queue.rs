//! The delivery queue on SQLite (feature `sqlite`): one process, survives restarts.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::SqlitePool;

use super::StoreError;
use super::sql::{self as sql, item_from_row, retry_columns};
use super::sqlite::{migrate, open_pool};
use crate::Timestamp;
use crate::delivery::{Attempt, Item, ItemState, NewItem, Queue, Retry, millis};

fn backend(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::backend(format!("sqlite: delivery queue: {context}"), error)
}

/// A durable [`Queue`] in a SQLite file, in WAL mode with `synchronous = FULL` (sqlx's
/// default): an item survives a process crash and a power loss once
/// [`enqueue`](Queue::enqueue) returns.
///
/// One process owns the file: several workers in it may share the queue, and claims are
/// exclusive (each claim is one statement, and SQLite runs one writer at a time). For several
/// replicas, use `PostgresQueue`.
///
/// ```
/// # async fn run() -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::delivery::{NewItem, Queue};
/// use meta_messaging::store::SqliteQueue;
///
/// let queue = SqliteQueue::open(":memory:").await?;
/// let item = NewItem::new("k1", "c1", b"{}".to_vec());
/// assert_eq!(queue.enqueue("inbox", &[item.clone()]).await?, 1);
/// assert_eq!(queue.enqueue("inbox", &[item]).await?, 0); // deduped
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteQueue {
    pool: SqlitePool,
    clock: crate::clock::SharedClock,
}

impl SqliteQueue {
    /// Reads the time from `clock` instead of the system clock: due times, leases and
    /// backoff then follow a [`ManualClock`](crate::clock::ManualClock) in tests.
    #[must_use]
    pub fn with_clock(mut self, clock: crate::clock::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Opens (creating if needed) the database at `path` (or `:memory:`) and applies the
    /// schema migrations (shared with [`SqliteBlobStore`](super::SqliteBlobStore): one file can
    /// hold both).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file cannot be opened or a migration fails.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        Self::from_pool(open_pool(path).await?).await
    }

    /// Uses a pool you configured, applying the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a migration fails.
    pub async fn from_pool(pool: SqlitePool) -> Result<Self, StoreError> {
        migrate(&pool).await?;
        Ok(Self { pool, clock: crate::clock::system() })
    }
}

static COMPLETE: LazyLock<String> = LazyLock::new(|| sql::sqlite(&sql::complete(sql::sqlite_append)));
static FAIL: LazyLock<String> = LazyLock::new(|| sql::sqlite(&sql::fail(sql::sqlite_append)));

impl SqliteQueue {
    /// The pool: destinations' rows live beside the items.
    #[allow(clippy::unused_async)] // the same call as PostgresQueue's, which migrates lazily
    pub(super) async fn destinations_pool(&self) -> Result<&SqlitePool, StoreError> {
        Ok(&self.pool)
    }

    /// Completes (no failure) or fails a leased item, logging `attempt`.
    async fn settle(
        &self,
        id: i64,
        owner: &str,
        failure: Option<(&str, Retry)>,
        attempt: Option<&Attempt>,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now().unix_millis();
        let line = attempt.map(Attempt::to_line);
        let query = match failure {
            None => sqlx::query(&COMPLETE).bind(id).bind(owner).bind(now).bind(line),
            Some((error, retry)) => {
                let (state, next) = retry_columns(retry);
                sqlx::query(&FAIL)
                    .bind(id)
                    .bind(owner)
                    .bind(now)
                    .bind(state)
                    .bind(next)
                    .bind(error)
                    .bind(line)
            }
        };
        let result = query.execute(&self.pool).await.map_err(backend("recording an outcome failed"))?;
        Ok(result.rows_affected() == 1)
    }
}

/// Claims the oldest pending item of each conversation that is due and not leased.
/// `$1` owner, `$2` now, `$3` lease (ms), `$4` queue, `$5` limit.
const CLAIM: &str = "UPDATE mm_delivery
    SET lease_owner = $1, lease_until = $2 + $3, attempts = attempts + 1, updated_at = $2
    WHERE id IN (
        SELECT d.id FROM mm_delivery d
        JOIN (SELECT MIN(id) AS id FROM mm_delivery WHERE queue = $4 AND state = 0 GROUP BY conversation) h
          ON d.id = h.id
        WHERE d.next_attempt_at <= $2 AND d.lease_until <= $2
        ORDER BY d.id LIMIT $5)
    RETURNING ";

#[async_trait]
impl Queue for SqliteQueue {
    async fn enqueue(&self, queue: &str, items: &[NewItem]) -> Result<usize, StoreError> {
        Ok(self.enqueue_batches(queue, &[items]).await?.iter().sum())
    }

    async fn enqueue_batches(&self, queue: &str, batches: &[&[NewItem]]) -> Result<Vec<usize>, StoreError> {
        let insert = sql::sqlite(sql::INSERT);
        let now = self.clock.now().unix_millis();
        let mut tx = self.pool.begin().await.map_err(backend("could not begin"))?;
        let mut stored = Vec::with_capacity(batches.len());
        for items in batches {
            let mut new = 0;
            for item in *items {
                let result = sqlx::query(&insert)
                    .bind(queue)
                    .bind(&item.key)
                    .bind(&item.conversation)
                    .bind(&item.payload)
                    .bind(now)
                    .bind(item.tenant.as_deref())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend("insert failed"))?;
                new += usize::try_from(result.rows_affected()).unwrap_or(0);
            }
            stored.push(new);
        }
        tx.commit().await.map_err(backend("commit failed"))?;
        Ok(stored)
    }

    async fn claim(
        &self,
        queue: &str,
        owner: &str,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Item>, StoreError> {
        let claim = format!("{}{}", sql::sqlite(CLAIM), sql::COLUMNS);
        let rows = sqlx::query(&claim)
            .bind(owner)
            .bind(self.clock.now().unix_millis())
            .bind(millis(lease))
            .bind(queue)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(backend("claim failed"))?;
        let mut items = rows.iter().map(item_from_row).collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|item| item.id);
        Ok(items)
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
        let result = sqlx::query(&sql::sqlite(sql::POSTPONE))
            .bind(id)
            .bind(owner)
            .bind(self.clock.now().unix_millis())
            .bind(until.unix_millis())
            .execute(&self.pool)
            .await
            .map_err(backend("postpone failed"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn attempt_log(&self, id: i64) -> Result<Vec<Attempt>, StoreError> {
        let log: Option<Option<String>> = sqlx::query_scalar(&sql::sqlite(sql::ATTEMPT_LOG))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend("attempt log read failed"))?;
        Ok(log.flatten().map(|log| Attempt::parse_log(&log)).unwrap_or_default())
    }

    async fn dead_letters(&self, queue: &str, limit: usize) -> Result<Vec<Item>, StoreError> {
        let rows = sqlx::query(&sql::sqlite(&sql::dead_letters()))
            .bind(queue)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(backend("listing dead letters failed"))?;
        rows.iter().map(item_from_row).collect()
    }

    async fn list(&self, queue: &str, state: ItemState, limit: usize) -> Result<Vec<Item>, StoreError> {
        let rows = sqlx::query(&sql::sqlite(&sql::in_state()))
            .bind(queue)
            .bind(state.code())
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(backend("listing items failed"))?;
        rows.iter().map(item_from_row).collect()
    }

    async fn replay(&self, id: i64) -> Result<bool, StoreError> {
        let result = sqlx::query(&sql::sqlite(sql::REPLAY))
            .bind(id)
            .bind(self.clock.now().unix_millis())
            .execute(&self.pool)
            .await
            .map_err(backend("replay failed"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn counts(&self, queue: &str) -> Result<(u64, u64, u64), StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(&sql::sqlite(sql::COUNTS))
            .bind(queue)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("counting failed"))?;
        Ok(sql::tally(&rows))
    }

    async fn purge_completed(&self, older_than: Timestamp) -> Result<u64, StoreError> {
        let result = sqlx::query(&sql::sqlite(sql::PURGE))
            .bind(older_than.unix_millis())
            .execute(&self.pool)
            .await
            .map_err(backend("purge failed"))?;
        Ok(result.rows_affected())
    }

    async fn release_leases(&self, queue: &str, owner: &str) -> Result<u64, StoreError> {
        let result = sqlx::query(&sql::sqlite(sql::RELEASE_LEASES))
            .bind(queue)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(backend("lease release failed"))?;
        Ok(result.rows_affected())
    }

    async fn purge_tenant(&self, tenant: &str) -> Result<u64, StoreError> {
        // The deleting connection overwrites freed pages and truncates the log after it.
        let mut connection =
            self.pool.acquire().await.map_err(backend("no connection for a tenant purge"))?;
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *connection)
            .await
            .map_err(backend("could not turn on secure_delete"))?;
        let result = sqlx::query(&sql::sqlite(sql::PURGE_TENANT))
            .bind(tenant)
            .execute(&mut *connection)
            .await
            .map_err(backend("tenant purge failed"))?;
        super::sqlite::checkpoint_truncate(&mut connection).await?;
        Ok(result.rows_affected())
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}
