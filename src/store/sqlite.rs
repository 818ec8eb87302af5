//! The SQLite backend (feature `sqlite`).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::StoreError;
use super::sql::{TOKEN_COLUMNS, blob_from_row, record_from_row};
use crate::Timestamp;
use crate::token::{BlobStore, StoredBlob, TokenKey};

/// Schema migrations, applied in order on open and recorded in `mm_schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE mm_token_records (
        tenant TEXT NOT NULL,
        channel TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        ciphertext BLOB NOT NULL,
        key_id INTEGER NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (tenant, channel, asset_id, kind)
    );
    CREATE INDEX mm_token_records_expiry ON mm_token_records (expires_at) WHERE expires_at IS NOT NULL;
    CREATE INDEX mm_token_records_key_id ON mm_token_records (key_id);",
    ),
    (2, super::sql::SQLITE_SCHEMA),
    (3, super::sql::TENANT_MIGRATION),
    (4, super::sql_identity::IDENTITY_SCHEMA),
    (5, super::sql::ATTEMPT_LOG_MIGRATION),
    (6, super::sql_destinations::DESTINATIONS_SCHEMA),
];

fn backend(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::backend(format!("sqlite: {context}"), error)
}

/// Opens (creating if needed) the database at `path` (or `:memory:`), in WAL mode.
pub(super) async fn open_pool(path: &str) -> Result<SqlitePool, StoreError> {
    let memory = path == ":memory:";
    let url =
        if memory || path.starts_with("sqlite:") { path.to_owned() } else { format!("sqlite://{path}") };
    let mut options = SqliteConnectOptions::from_str(&url)
        .map_err(backend("invalid database path"))?
        .create_if_missing(true)
        .busy_timeout(Duration::from_secs(5))
        // Deleted rows are overwritten with zeros, not left in free pages.
        .pragma("secure_delete", "on");
    if !memory {
        options = options.journal_mode(SqliteJournalMode::Wal);
    }
    // An in-memory database exists per connection: keep exactly one.
    let pool = SqlitePoolOptions::new()
        .max_connections(if memory { 1 } else { 8 })
        .min_connections(u32::from(memory))
        .idle_timeout(if memory { None } else { Some(Duration::from_secs(600)) })
        .max_lifetime(if memory { None } else { Some(Duration::from_secs(3600)) })
        .connect_with(options)
        .await
        .map_err(backend("could not open the database"))?;
    Ok(pool)
}

/// Copies the write-ahead log's pages (the deleted rows' zeroed pages among them) into the
/// database and truncates the log, so the old pages do not linger in the `-wal` file. SQLite
/// answers a row `(busy, log, checkpointed)`: a busy checkpoint (a reader holds an old snapshot)
/// is retried twice (each try waits up to the connection's busy timeout), then reported as an
/// error, never taken for success.
pub(super) async fn checkpoint_truncate(connection: &mut sqlx::SqliteConnection) -> Result<(), StoreError> {
    for attempt in 0..3 {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *connection)
            .await
            .map_err(backend("checkpoint after a delete failed"))?;
        if busy == 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    Err(StoreError::backend_message(
        "sqlite: deleted, but the write-ahead log still holds old pages (a reader kept the checkpoint busy): retry the deletion",
    ))
}

/// Applies the schema migrations the crate's SQLite stores share.
pub(super) async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS mm_schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .execute(pool)
    .await
    .map_err(backend("could not create the migrations table"))?;
    for (version, sql) in MIGRATIONS {
        let mut tx = pool.begin().await.map_err(backend("could not begin a migration"))?;
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM mm_schema_migrations WHERE version = ?")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend("could not read the migrations table"))?;
        if applied.is_none() {
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(backend("a migration failed"))?;
            sqlx::query("INSERT INTO mm_schema_migrations (version, applied_at) VALUES (?, ?)")
                .bind(version)
                .bind(Timestamp::now().unix_millis())
                .execute(&mut *tx)
                .await
                .map_err(backend("could not record a migration"))?;
        }
        tx.commit().await.map_err(backend("could not commit a migration"))?;
    }
    Ok(())
}

/// Sealed records in SQLite: a file, or `:memory:`. Only ciphertext and expiry are stored.
///
/// ```
/// # async fn run() -> Result<(), meta_messaging::store::StoreError> {
/// use meta_messaging::token::{EncryptedTokenStore, Keyring, DataKey};
/// use meta_messaging::store::SqliteBlobStore;
///
/// let blobs = SqliteBlobStore::open(":memory:").await?;
/// let store = EncryptedTokenStore::new(blobs, Keyring::new(1, DataKey::generate()));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteBlobStore {
    pool: SqlitePool,
}

impl SqliteBlobStore {
    /// Opens (creating if needed) the database at `path` (or `:memory:`) and applies the
    /// schema migrations.
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
        Ok(Self { pool })
    }

    /// The pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds the four key columns, in `TOKEN_COLUMNS` order.
fn bind_key<'q>(query: Query<'q>, key: &'q TokenKey) -> Query<'q> {
    query.bind(&key.tenant).bind(key.channel.as_str()).bind(&key.asset_id).bind(key.kind.as_str())
}

/// Binds the three blob columns, in `TOKEN_COLUMNS` order.
fn bind_blob<'q>(query: Query<'q>, blob: &'q StoredBlob) -> Query<'q> {
    query
        .bind(blob.ciphertext.as_ref())
        .bind(i64::from(blob.key_id))
        .bind(blob.expires_at.map(Timestamp::unix_millis))
}

#[async_trait]
impl BlobStore for SqliteBlobStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<StoredBlob>, StoreError> {
        let query = sqlx::query(
            "SELECT ciphertext, key_id, expires_at FROM mm_token_records
             WHERE tenant = ? AND channel = ? AND asset_id = ? AND kind = ?",
        );
        let row = bind_key(query, key).fetch_optional(&self.pool).await.map_err(backend("get failed"))?;
        row.as_ref().map(blob_from_row).transpose()
    }

    async fn put(&self, key: &TokenKey, blob: StoredBlob) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO mm_token_records (tenant, channel, asset_id, kind, ciphertext, key_id, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant, channel, asset_id, kind)
             DO UPDATE SET ciphertext = excluded.ciphertext, key_id = excluded.key_id, expires_at = excluded.expires_at",
        );
        bind_blob(bind_key(query, key), &blob).execute(&self.pool).await.map_err(backend("put failed"))?;
        Ok(())
    }

    async fn put_if(&self, key: &TokenKey, expected: &[u8], blob: StoredBlob) -> Result<bool, StoreError> {
        let result = if expected.is_empty() {
            let query = sqlx::query(
                "INSERT INTO mm_token_records (tenant, channel, asset_id, kind, ciphertext, key_id, expires_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            );
            bind_blob(bind_key(query, key), &blob).execute(&self.pool).await
        } else {
            let query = sqlx::query(
                "UPDATE mm_token_records SET ciphertext = ?, key_id = ?, expires_at = ?
                 WHERE tenant = ? AND channel = ? AND asset_id = ? AND kind = ? AND ciphertext = ?",
            );
            bind_key(bind_blob(query, &blob), key).bind(expected).execute(&self.pool).await
        };
        Ok(result.map_err(backend("conditional put failed"))?.rows_affected() == 1)
    }

    async fn delete(&self, key: &TokenKey) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "DELETE FROM mm_token_records WHERE tenant = ? AND channel = ? AND asset_id = ? AND kind = ?",
        );
        let result = bind_key(query, key).execute(&self.pool).await.map_err(backend("delete failed"))?;
        Ok(result.rows_affected() > 0)
    }

    async fn list_tenant(&self, tenant: &str) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM mm_token_records WHERE tenant = ? ORDER BY channel, asset_id, kind"
        ))
        .bind(tenant)
        .fetch_all(&self.pool)
        .await
        .map_err(backend("list failed"))?;
        rows.iter().map(record_from_row).collect()
    }

    async fn delete_tenant(&self, tenant: &str) -> Result<usize, StoreError> {
        // One connection for all of it: `secure_delete` is a per-connection setting, and a pool
        // handed to `from_pool` may not have it, so it is set here on the connection that deletes.
        let mut connection =
            self.pool.acquire().await.map_err(backend("no connection for a tenant delete"))?;
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *connection)
            .await
            .map_err(backend("could not turn on secure_delete"))?;
        let result = sqlx::query("DELETE FROM mm_token_records WHERE tenant = ?")
            .bind(tenant)
            .execute(&mut *connection)
            .await
            .map_err(backend("tenant delete failed"))?;
        checkpoint_truncate(&mut connection).await?;
        Ok(usize::try_from(result.rows_affected()).unwrap_or(usize::MAX))
    }

    async fn expiring_before(&self, instant: Timestamp) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM mm_token_records WHERE expires_at IS NOT NULL AND expires_at < ? ORDER BY expires_at"
        ))
        .bind(instant.unix_millis())
        .fetch_all(&self.pool)
        .await
        .map_err(backend("expiry query failed"))?;
        rows.iter().map(record_from_row).collect()
    }

    async fn sealed_with_other_key(
        &self,
        key_id: u32,
        after: Option<&TokenKey>,
        limit: usize,
    ) -> Result<Vec<(TokenKey, StoredBlob)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match after {
            Some(after) => {
                let sql = format!(
                    "SELECT {TOKEN_COLUMNS} FROM mm_token_records
                     WHERE key_id != ? AND (tenant, channel, asset_id, kind) > (?, ?, ?, ?)
                     ORDER BY tenant, channel, asset_id, kind LIMIT ?"
                );
                bind_key(sqlx::query(&sql).bind(i64::from(key_id)), after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM mm_token_records WHERE key_id != ?
                     ORDER BY tenant, channel, asset_id, kind LIMIT ?"
                ))
                .bind(i64::from(key_id))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
            }
        };
        rows.map_err(backend("re-seal scan failed"))?.iter().map(record_from_row).collect()
    }
}
