//! The messaging window on PostgreSQL (feature `postgres`), shared by replicas.

use async_trait::async_trait;
use sqlx::postgres::PgPool;

use super::StoreError;
use super::postgres::{backend, bounded, connect, migrate};
use crate::Timestamp;
use crate::pacing::WindowStore;
use crate::pacing::window::HUMAN_AGENT_WINDOW;

/// Each user's last inbound message per business in PostgreSQL, so every replica sees the
/// windows the others' webhooks opened. A time older than the longest window (7 days) reads as
/// none; [`purge_expired`](Self::purge_expired) deletes those rows.
#[derive(Clone, Debug)]
pub struct PostgresWindowStore {
    pool: PgPool,
}

impl PostgresWindowStore {
    /// Connects to `url` and applies the schema migrations.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the server cannot be reached or a migration fails.
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

    /// Deletes times older than the longest window; returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the query fails.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        bounded("window purge", async {
            let result = sqlx::query("DELETE FROM mm_window WHERE last_inbound < $1")
                .bind(oldest_open())
                .execute(&self.pool)
                .await
                .map_err(backend("window purge failed"))?;
            Ok(result.rows_affected())
        })
        .await
    }
}

/// The oldest time that can still hold a window open.
fn oldest_open() -> i64 {
    Timestamp::now()
        .unix_millis()
        .saturating_sub(i64::try_from(HUMAN_AGENT_WINDOW.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait]
impl WindowStore for PostgresWindowStore {
    async fn record(&self, business: &str, user: &str, at: Timestamp) -> Result<(), StoreError> {
        bounded("window record", async {
            sqlx::query(
                "INSERT INTO mm_window (business, user_id, last_inbound) VALUES ($1, $2, $3)
                 ON CONFLICT (business, user_id)
                 DO UPDATE SET last_inbound = GREATEST(mm_window.last_inbound, EXCLUDED.last_inbound)",
            )
            .bind(business)
            .bind(user)
            .bind(at.unix_millis())
            .execute(&self.pool)
            .await
            .map_err(backend("window record failed"))?;
            Ok(())
        })
        .await
    }

    async fn last_inbound(&self, business: &str, user: &str) -> Result<Option<Timestamp>, StoreError> {
        bounded("window read", async {
            let at: Option<i64> = sqlx::query_scalar(
                "SELECT last_inbound FROM mm_window WHERE business = $1 AND user_id = $2 AND last_inbound >= $3",
            )
            .bind(business)
            .bind(user)
            .bind(oldest_open())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend("window read failed"))?;
            Ok(at.map(Timestamp::from_unix_millis))
        })
        .await
    }

    async fn forget_business(&self, business: &str) -> Result<u64, StoreError> {
        bounded("window forget", async {
            let result = sqlx::query("DELETE FROM mm_window WHERE business = $1")
                .bind(business)
                .execute(&self.pool)
                .await
                .map_err(backend("window forget failed"))?;
            Ok(result.rows_affected())
        })
        .await
    }
}
