//! The identity directory on SQLite and PostgreSQL: one table, the same statements (SQLite
//! reads `$N` as `?N`).

use async_trait::async_trait;

use super::StoreError;
use crate::Timestamp;
use crate::identity::{IdentityStore, UserIdentity};

/// The table: one row per (scope, BSUID), found by BSUID or by phone.
pub(super) const IDENTITY_SCHEMA: &str = "CREATE TABLE mm_identity (
        scope TEXT NOT NULL,
        user_id TEXT NOT NULL,
        phone TEXT,
        parent_user_id TEXT,
        username TEXT,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (scope, user_id)
    );
    CREATE INDEX mm_identity_phone ON mm_identity (scope, phone)";

/// `$1` scope, `$2` phone, `$3` the user who claims it now.
const RELEASE_PHONE: &str =
    "UPDATE mm_identity SET phone = NULL WHERE scope = $1 AND phone = $2 AND user_id <> $3";

/// `$1` scope, `$2` user id, `$3` phone, `$4` parent, `$5` username, `$6` now.
const UPSERT: &str = "INSERT INTO mm_identity (scope, user_id, phone, parent_user_id, username, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (scope, user_id) DO UPDATE SET
            phone = COALESCE(excluded.phone, mm_identity.phone),
            parent_user_id = COALESCE(excluded.parent_user_id, mm_identity.parent_user_id),
            username = COALESCE(excluded.username, mm_identity.username),
            updated_at = excluded.updated_at";

const BY_USER_ID: &str = "SELECT user_id, phone, parent_user_id, username FROM mm_identity
        WHERE scope = $1 AND user_id = $2";

const BY_PHONE: &str = "SELECT user_id, phone, parent_user_id, username FROM mm_identity
        WHERE scope = $1 AND phone = $2 ORDER BY updated_at DESC LIMIT 1";

const FORGET: &str = "DELETE FROM mm_identity WHERE scope = $1";

type Row = (String, Option<String>, Option<String>, Option<String>);

fn identity((user_id, phone, parent, username): Row) -> UserIdentity {
    UserIdentity::new()
        .user_id(user_id)
        .phone(phone.unwrap_or_default())
        .parent_user_id(parent.unwrap_or_default())
        .username(username.unwrap_or_default())
}

macro_rules! identity_store {
    ($store:ident, $db:ty, $sql:expr, $backend:expr, $run:expr) => {
        #[async_trait]
        impl IdentityStore for $store {
            async fn remember(&self, scope: &str, user: &UserIdentity) -> Result<(), StoreError> {
                let Some(user_id) = user.user_id.as_deref() else { return Ok(()) };
                let pool = &self.pool;
                $run("identity remember", async move {
                    let mut tx = pool.begin().await.map_err($backend("could not begin"))?;
                    if let Some(phone) = &user.phone {
                        sqlx::query::<$db>(&$sql(RELEASE_PHONE))
                            .bind(scope)
                            .bind(phone)
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await
                            .map_err($backend("identity phone release failed"))?;
                    }
                    sqlx::query::<$db>(&$sql(UPSERT))
                        .bind(scope)
                        .bind(user_id)
                        .bind(user.phone.as_deref())
                        .bind(user.parent_user_id.as_deref())
                        .bind(user.username.as_deref())
                        .bind(Timestamp::now().unix_millis())
                        .execute(&mut *tx)
                        .await
                        .map_err($backend("identity upsert failed"))?;
                    tx.commit().await.map_err($backend("identity commit failed"))
                })
                .await
            }

            async fn by_user_id(
                &self,
                scope: &str,
                user_id: &str,
            ) -> Result<Option<UserIdentity>, StoreError> {
                let pool = &self.pool;
                $run("identity read", async move {
                    let row: Option<Row> = sqlx::query_as::<$db, Row>(&$sql(BY_USER_ID))
                        .bind(scope)
                        .bind(user_id)
                        .fetch_optional(pool)
                        .await
                        .map_err($backend("identity read failed"))?;
                    Ok(row.map(identity))
                })
                .await
            }

            async fn by_phone(&self, scope: &str, phone: &str) -> Result<Option<UserIdentity>, StoreError> {
                let pool = &self.pool;
                $run("identity read", async move {
                    let row: Option<Row> = sqlx::query_as::<$db, Row>(&$sql(BY_PHONE))
                        .bind(scope)
                        .bind(phone)
                        .fetch_optional(pool)
                        .await
                        .map_err($backend("identity read failed"))?;
                    Ok(row.map(identity))
                })
                .await
            }

            async fn forget_scope(&self, scope: &str) -> Result<u64, StoreError> {
                let pool = &self.pool;
                $run("identity forget", async move {
                    let result = sqlx::query::<$db>(&$sql(FORGET))
                        .bind(scope)
                        .execute(pool)
                        .await
                        .map_err($backend("identity forget failed"))?;
                    Ok(result.rows_affected())
                })
                .await
            }
        }
    };
}

/// The identity directory's store in PostgreSQL (feature `postgres`), shared by replicas.
#[cfg(feature = "postgres")]
#[derive(Clone, Debug)]
pub struct PostgresIdentityStore {
    pool: sqlx::PgPool,
}

#[cfg(feature = "postgres")]
impl PostgresIdentityStore {
    /// Connects to `url` and applies the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the server cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::from_pool(super::postgres::connect(url).await?).await
    }

    /// Uses a pool you configured, applying the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a migration fails.
    pub async fn from_pool(pool: sqlx::PgPool) -> Result<Self, StoreError> {
        super::postgres::migrate(&pool).await?;
        Ok(Self { pool })
    }
}

#[cfg(feature = "postgres")]
fn same(sql: &str) -> String {
    sql.to_owned()
}

#[cfg(feature = "postgres")]
identity_store!(
    PostgresIdentityStore,
    sqlx::Postgres,
    same,
    super::postgres::backend,
    super::postgres::bounded
);

/// The identity directory's store in SQLite (feature `sqlite`): one process, survives restarts.
#[cfg(feature = "sqlite")]
#[derive(Clone, Debug)]
pub struct SqliteIdentityStore {
    pool: sqlx::SqlitePool,
}

#[cfg(feature = "sqlite")]
impl SqliteIdentityStore {
    /// Opens (creating if needed) the database at `path` (or `:memory:`) and applies the
    /// schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file cannot be opened or a migration fails.
    pub async fn open(path: &str) -> Result<Self, StoreError> {
        Self::from_pool(super::sqlite::open_pool(path).await?).await
    }

    /// Uses a pool you configured, applying the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when a migration fails.
    pub async fn from_pool(pool: sqlx::SqlitePool) -> Result<Self, StoreError> {
        super::sqlite::migrate(&pool).await?;
        Ok(Self { pool })
    }
}

#[cfg(feature = "sqlite")]
fn sqlite_backend(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::backend(format!("sqlite: {context}"), error)
}

#[cfg(feature = "sqlite")]
async fn unbounded<T>(
    _: &'static str,
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    work.await
}

#[cfg(feature = "sqlite")]
identity_store!(SqliteIdentityStore, sqlx::Sqlite, super::sql::sqlite, sqlite_backend, unbounded);
