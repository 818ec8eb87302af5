//! The PostgreSQL backends (feature `postgres`): sealed token records and webhook dedupe, shared
//! by every replica of an integration.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::StoreError;
use super::sql::{TOKEN_COLUMNS, blob_from_row, record_from_row};
use crate::Timestamp;
use crate::token::{BlobStore, StoredBlob, TokenKey};
use crate::webhook::Deduplicator;

/// Schema migrations, applied in order under an advisory lock (so replicas starting together do
/// not race) and recorded in `mm_schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE mm_token_records (
            tenant TEXT NOT NULL,
            channel TEXT NOT NULL,
            asset_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            ciphertext BYTEA NOT NULL,
            key_id BIGINT NOT NULL,
            expires_at BIGINT,
            PRIMARY KEY (tenant, channel, asset_id, kind)
        );
        CREATE INDEX mm_token_records_expiry ON mm_token_records (expires_at) WHERE expires_at IS NOT NULL;
        CREATE INDEX mm_token_records_key_id ON mm_token_records (key_id);",
    ),
    (
        2,
        "CREATE TABLE mm_webhook_dedupe (
            key TEXT PRIMARY KEY,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX mm_webhook_dedupe_expiry ON mm_webhook_dedupe (expires_at);",
    ),
    (3, super::sql::POSTGRES_SCHEMA),
    (
        4,
        "CREATE TABLE mm_window (
            business TEXT NOT NULL,
            user_id TEXT NOT NULL,
            last_inbound BIGINT NOT NULL,
            PRIMARY KEY (business, user_id)
        );
        CREATE INDEX mm_window_age ON mm_window (last_inbound);",
    ),
    (5, super::sql::TENANT_MIGRATION),
    (6, super::sql_identity::IDENTITY_SCHEMA),
    (7, super::sql::ATTEMPT_LOG_MIGRATION),
    (8, super::sql_destinations::DESTINATIONS_SCHEMA),
];

/// An arbitrary constant naming the crate's migration lock.
const MIGRATION_LOCK: i64 = 0x6d6d_5f6d_6967_7261;

pub(super) fn backend(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::backend(format!("postgres: {context}"), error)
}

/// The longest one call may wait for the server (a hung server, not only a slow query).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Bounds a store call by [`CALL_TIMEOUT`]: past it, a retryable `Backend` error naming the
/// operation.
pub(super) async fn bounded<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(CALL_TIMEOUT, call).await.unwrap_or_else(|_| {
        Err(StoreError::backend_message(format!(
            "postgres: {operation}: no answer within {}s",
            CALL_TIMEOUT.as_secs()
        )))
    })
}

/// Whether `error` is a serialization failure (SQLSTATE 40001): under `REPEATABLE READ` or
/// `SERIALIZABLE`, the loser of a race on one row gets it instead of "no row".
fn lost_race(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(sqlx::error::DatabaseError::code).as_deref() == Some("40001")
}

/// Connects a pool to `url` with the crate's defaults: 10 connections, and a 5-second limit on
/// getting a connection, so an unreachable server gives an error, not a hang.
pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(backend("could not connect"))
}

/// Applies the migrations.
pub(super) async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(backend("could not begin a migration"))?;
    // The lock must be taken before the snapshot that reads the migrations table.
    sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        .execute(&mut *tx)
        .await
        .map_err(backend("could not set the migration's isolation level"))?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(backend("could not take the migration lock"))?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS mm_schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(backend("could not create the migrations table"))?;
    for (version, sql) in MIGRATIONS {
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM mm_schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend("could not read the migrations table"))?;
        if applied.is_none() {
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(backend("a migration failed"))?;
            sqlx::query("INSERT INTO mm_schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(Timestamp::now().unix_millis())
                .execute(&mut *tx)
                .await
                .map_err(backend("could not record a migration"))?;
        }
    }
    tx.commit().await.map_err(backend("could not commit the migrations"))
}

/// Sealed records in PostgreSQL. Only ciphertext, key id and plain expiry are stored; every
/// replica with the same keyring reads the same records.
///
/// ```no_run
/// # async fn run() -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::token::{DataKey, EncryptedTokenStore, Keyring};
/// use meta_messaging::store::PostgresBlobStore;
///
/// let blobs = PostgresBlobStore::connect("postgres://app@db.internal/app").await?;
/// let store = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PostgresBlobStore {
    pool: PgPool,
}

impl PostgresBlobStore {
    /// Connects to `url` (10 connections, 5-second acquire timeout) and applies the schema
    /// migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] (kind `Backend`) when the server cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::from_pool(connect(url).await?).await
    }

    /// Uses a pool you configured, applying the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a migration fails.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

const KEY_MATCH: &str = "tenant = $1 AND channel = $2 AND asset_id = $3 AND kind = $4";

/// Binds the four key columns as `$1..$4`.
fn bind_key<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    key: &'q TokenKey,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query.bind(&key.tenant).bind(key.channel.as_str()).bind(&key.asset_id).bind(key.kind.as_str())
}

#[async_trait]
impl BlobStore for PostgresBlobStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<StoredBlob>, StoreError> {
        bounded("get", async move {
            let sql =
                format!("SELECT ciphertext, key_id, expires_at FROM mm_token_records WHERE {KEY_MATCH}");
            let row = bind_key(sqlx::query(&sql), key)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend("get failed"))?;
            row.as_ref().map(blob_from_row).transpose()
        })
        .await
    }

    async fn put(&self, key: &TokenKey, blob: StoredBlob) -> Result<(), StoreError> {
        bounded("put", async move {
            let query = sqlx::query(
                "INSERT INTO mm_token_records (tenant, channel, asset_id, kind, ciphertext, key_id, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (tenant, channel, asset_id, kind)
                 DO UPDATE SET ciphertext = EXCLUDED.ciphertext, key_id = EXCLUDED.key_id, expires_at = EXCLUDED.expires_at",
            );
            bind_key(query, key)
                .bind(blob.ciphertext.as_ref())
                .bind(i64::from(blob.key_id))
                .bind(blob.expires_at.map(Timestamp::unix_millis))
                .execute(&self.pool)
                .await
                .map_err(backend("put failed"))?;
            Ok(())
        })
        .await
    }

    async fn put_if(&self, key: &TokenKey, expected: &[u8], blob: StoredBlob) -> Result<bool, StoreError> {
        bounded("put_if", async move {
            let sql = if expected.is_empty() {
                "INSERT INTO mm_token_records (tenant, channel, asset_id, kind, ciphertext, key_id, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
            } else {
                "UPDATE mm_token_records SET ciphertext = $5, key_id = $6, expires_at = $7
                 WHERE tenant = $1 AND channel = $2 AND asset_id = $3 AND kind = $4 AND ciphertext = $8"
            };
            let result = bind_key(sqlx::query(sql), key)
                .bind(blob.ciphertext.as_ref())
                .bind(i64::from(blob.key_id))
                .bind(blob.expires_at.map(Timestamp::unix_millis));
            let result = if expected.is_empty() { result } else { result.bind(expected) };
            match result.execute(&self.pool).await {
                Ok(done) => Ok(done.rows_affected() == 1),
                // A concurrent writer won under a stricter isolation level: not written.
                Err(error) if lost_race(&error) => Ok(false),
                Err(error) => Err(backend("conditional put failed")(error)),
            }
        })
        .await
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        bounded("delete", async move {
            let sql = format!("DELETE FROM mm_token_records WHERE {KEY_MATCH}");
            let result = bind_key(sqlx::query(&sql), key)
                .execute(&self.pool)
                .await
                .map_err(backend("delete failed"))?;
            Ok(result.rows_affected() > 0)
        })
        .await
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        bounded("list_tenant", async move {
            let rows = sqlx::query(&format!(
                "SELECT {TOKEN_COLUMNS} FROM mm_token_records WHERE tenant = $1 ORDER BY channel, asset_id, kind"
            ))
            .bind(tenant)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("list failed"))?;
            rows.iter().map(record_from_row).collect()
        })
        .await
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        bounded("delete_tenant", async move {
            let result = sqlx::query("DELETE FROM mm_token_records WHERE tenant = $1")
                .bind(tenant)
                .execute(&self.pool)
                .await
                .map_err(backend("tenant delete failed"))?;
            Ok(usize::try_from(result.rows_affected()).unwrap_or(usize::MAX))
        })
        .await
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        bounded("expiring_before", async move {
            let rows = sqlx::query(&format!(
                "SELECT {TOKEN_COLUMNS} FROM mm_token_records WHERE expires_at IS NOT NULL AND expires_at < $1 ORDER BY expires_at"
            ))
            .bind(instant.unix_millis())
            .fetch_all(&self.pool)
            .await
            .map_err(backend("expiry query failed"))?;
            rows.iter().map(record_from_row).collect()
        })
        .await
    }

    async fn sealed_with_other_key(
        &self,
        key_id: u32,
        after: Option<&TokenKey>,
        limit: usize,
    ) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        bounded("sealed_with_other_key", async move {
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = if let Some(after) = after {
                let sql = format!(
                    "SELECT {TOKEN_COLUMNS} FROM mm_token_records
                         WHERE key_id <> $5 AND (tenant, channel, asset_id, kind) > ($1, $2, $3, $4)
                         ORDER BY tenant, channel, asset_id, kind LIMIT $6"
                );
                bind_key(sqlx::query(&sql), after)
                    .bind(i64::from(key_id))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
            } else {
                let sql = format!(
                    "SELECT {TOKEN_COLUMNS} FROM mm_token_records WHERE key_id <> $1
                         ORDER BY tenant, channel, asset_id, kind LIMIT $2"
                );
                sqlx::query(&sql).bind(i64::from(key_id)).bind(limit).fetch_all(&self.pool).await
            };
            let rows = rows.map_err(backend("re-seal scan failed"))?;
            rows.iter().map(record_from_row).collect()
        })
        .await
    }
}

/// Webhook dedupe in PostgreSQL: one row per event key with an expiry, claimed atomically, so
/// when several replicas receive the same delivery exactly one processes it.
///
/// Expired rows are reclaimed in place by the next claim of the same key; call
/// [`purge_expired`](Self::purge_expired) now and then (a cron job, or after each batch) to
/// keep the table small.
#[derive(Clone, Debug)]
pub struct PostgresDeduplicator {
    pool: PgPool,
    ttl: Duration,
}

impl PostgresDeduplicator {
    /// Connects to `url` and applies the schema migrations; keys are remembered for `ttl`
    /// (Meta redelivers for up to 7 days: a TTL of a few days is typical).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the server cannot be reached or a migration fails.
    pub async fn connect(url: &str, ttl: Duration) -> Result<Self, StoreError> {
        Self::from_pool(connect(url).await?, ttl).await
    }

    /// Uses a pool you configured, applying the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a migration fails.
    pub async fn from_pool(pool: PgPool, ttl: Duration) -> Result<Self, StoreError> {
        migrate(&pool).await?;
        Ok(Self { pool, ttl })
    }

    /// Deletes expired keys; returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the query fails.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM mm_webhook_dedupe WHERE expires_at <= $1")
            .bind(Timestamp::now().unix_millis())
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::backend("postgres: purge failed", e))?;
        Ok(result.rows_affected())
    }
}

#[async_trait]
impl Deduplicator for PostgresDeduplicator {
    async fn first_seen(&self, key: &str) -> Result<bool, StoreError> {
        self.claim_for(key, self.ttl).await
    }

    async fn claim(&self, key: &str) -> Result<bool, StoreError> {
        self.claim_for(key, crate::webhook::CLAIM_TTL.min(self.ttl)).await
    }

    async fn commit(&self, key: &str) -> Result<(), StoreError> {
        bounded("dedupe commit", async move {
            let expires = Timestamp::now().unix_millis().saturating_add(millis(self.ttl));
            sqlx::query("UPDATE mm_webhook_dedupe SET expires_at = $2 WHERE key = $1")
                .bind(key)
                .bind(expires)
                .execute(&self.pool)
                .await
                .map_err(backend("dedupe commit failed"))?;
            Ok(())
        })
        .await
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        bounded("dedupe release", async move {
            sqlx::query("DELETE FROM mm_webhook_dedupe WHERE key = $1")
                .bind(key)
                .execute(&self.pool)
                .await
                .map_err(backend("dedupe release failed"))?;
            Ok(())
        })
        .await
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl PostgresDeduplicator {
    /// Claims `key` for `ttl`: a new row, or an expired one taken over.
    async fn claim_for(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        bounded("dedupe claim", async move {
            // A serialization failure (under REPEATABLE READ or SERIALIZABLE) means a concurrent
            // claim touched the row; it says nothing of who won, so ask again.
            let mut attempt = 0;
            loop {
                let now = Timestamp::now().unix_millis();
                // Inserted, or an expired row taken over: a row comes back. A live row: none.
                let claimed = sqlx::query(
                    "INSERT INTO mm_webhook_dedupe (key, expires_at) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
                     WHERE mm_webhook_dedupe.expires_at <= $3
                     RETURNING key",
                )
                .bind(key)
                .bind(now.saturating_add(millis(ttl)))
                .bind(now)
                .fetch_optional(&self.pool)
                .await;
                match claimed {
                    Ok(row) => return Ok(row.is_some()),
                    Err(error) if lost_race(&error) && attempt < 5 => attempt += 1,
                    Err(error) => return Err(StoreError::backend("postgres: dedupe claim failed", error)),
                }
            }
        })
        .await
    }
}
