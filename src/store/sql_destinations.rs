//! Destinations' rates and health in the SQL queues (`SqliteQueue`, `PostgresQueue`): one row
//! per destination beside the items, so every replica of a PostgreSQL queue shares them.

use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
use crate::Timestamp;
use crate::delivery::{DestinationState, DestinationStore};

/// The destinations table (one schema for both engines).
pub(super) const DESTINATIONS_SCHEMA: &str = "CREATE TABLE mm_destinations (
        name TEXT PRIMARY KEY,
        disabled_at BIGINT,
        disabled_reason TEXT,
        last_success BIGINT,
        failing_since BIGINT,
        failure_streak BIGINT NOT NULL DEFAULT 0,
        interval_ms BIGINT,
        burst BIGINT,
        tat BIGINT NOT NULL DEFAULT 0
    )";

/// GCRA in one statement: `$1` name, `$2` now, `$3` interval, `$4` burst, `$5` tolerance (all ms).
/// Admitted when it returns a row (a destination seen for the first time always is). Every
/// write below is an upsert, so a destination needs no row before its first use.
const ADMIT: &str = "INSERT INTO mm_destinations (name, tat, interval_ms, burst) VALUES ($1, $2 + $3, $3, $4)
        ON CONFLICT (name) DO UPDATE
        SET tat = (CASE WHEN mm_destinations.tat > $2 THEN mm_destinations.tat ELSE $2 END) + $3,
            interval_ms = $3, burst = $4
        WHERE (CASE WHEN mm_destinations.tat > $2 THEN mm_destinations.tat ELSE $2 END) - $2 <= $5
        RETURNING tat";

const TAT: &str = "SELECT tat FROM mm_destinations WHERE name = $1";

const DELIVERED: &str = "INSERT INTO mm_destinations (name, last_success) VALUES ($1, $2)
        ON CONFLICT (name) DO UPDATE SET last_success = $2, failing_since = NULL, failure_streak = 0
        RETURNING name, disabled_at, disabled_reason, last_success, failing_since, failure_streak,
            interval_ms, burst";

const FAILED: &str = "INSERT INTO mm_destinations (name, failing_since, failure_streak) VALUES ($1, $2, 1)
        ON CONFLICT (name) DO UPDATE
        SET failing_since = COALESCE(mm_destinations.failing_since, $2),
            failure_streak = mm_destinations.failure_streak + 1
        RETURNING name, disabled_at, disabled_reason, last_success, failing_since, failure_streak,
            interval_ms, burst";

const DISABLE: &str = "INSERT INTO mm_destinations (name, disabled_at, disabled_reason) VALUES ($1, $2, $3)
        ON CONFLICT (name) DO UPDATE SET disabled_at = $2, disabled_reason = $3
        WHERE mm_destinations.disabled_at IS NULL";

const ENABLE: &str = "UPDATE mm_destinations
        SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL, failure_streak = 0
        WHERE name = $1 AND disabled_at IS NOT NULL";

const COLUMNS: &str =
    "name, disabled_at, disabled_reason, last_success, failing_since, failure_streak, interval_ms, burst";

type Row = (String, Option<i64>, Option<String>, Option<i64>, Option<i64>, i64, Option<i64>, Option<i64>);

fn state(
    (name, disabled_at, reason, last_success, failing_since, streak, interval, burst): Row,
) -> DestinationState {
    let at = |millis: Option<i64>| millis.map(Timestamp::from_unix_millis);
    let mut state = DestinationState::new(name);
    state.disabled_at = at(disabled_at);
    state.disabled_reason = reason;
    state.last_success = at(last_success);
    state.failing_since = at(failing_since);
    state.failure_streak = u32::try_from(streak).unwrap_or(u32::MAX);
    state.rate = interval.zip(burst).map(|(interval, burst)| {
        (Duration::from_millis(u64::try_from(interval).unwrap_or(0)), u32::try_from(burst).unwrap_or(1))
    });
    state
}

macro_rules! destination_store {
    ($store:ty, $db:ty, $sql:expr, $backend:expr) => {
        #[async_trait]
        impl DestinationStore for $store {
            async fn admit(
                &self,
                destination: &str,
                interval: Duration,
                burst: u32,
                now: Timestamp,
            ) -> Result<Option<Duration>, StoreError> {
                let pool = self.destinations_pool().await?;
                let (interval, now) = (crate::delivery::millis(interval), now.unix_millis());
                let tolerance = interval.saturating_mul(i64::from(burst.max(1) - 1));
                let admitted = sqlx::query_scalar::<$db, i64>(&$sql(ADMIT))
                    .bind(destination)
                    .bind(now)
                    .bind(interval)
                    .bind(i64::from(burst.max(1)))
                    .bind(tolerance)
                    .fetch_optional(pool)
                    .await
                    .map_err($backend("destination admit failed"))?;
                if admitted.is_some() {
                    return Ok(None);
                }
                // Refused: the row exists (the upsert met it), and its slot tells the wait.
                let tat = sqlx::query_scalar::<$db, i64>(&$sql(TAT))
                    .bind(destination)
                    .fetch_one(pool)
                    .await
                    .map_err($backend("destination read failed"))?;
                let wait = crate::delivery::gcra(tat, now, interval, burst).err().unwrap_or(1).max(1);
                Ok(Some(Duration::from_millis(u64::try_from(wait).unwrap_or(1))))
            }

            async fn record(
                &self,
                destination: &str,
                delivered: bool,
                now: Timestamp,
            ) -> Result<DestinationState, StoreError> {
                let pool = self.destinations_pool().await?;
                let row = sqlx::query_as::<$db, Row>(&$sql(if delivered { DELIVERED } else { FAILED }))
                    .bind(destination)
                    .bind(now.unix_millis())
                    .fetch_one(pool)
                    .await
                    .map_err($backend("destination record failed"))?;
                Ok(state(row))
            }

            async fn disable(
                &self,
                destination: &str,
                reason: &str,
                now: Timestamp,
            ) -> Result<bool, StoreError> {
                let pool = self.destinations_pool().await?;
                let result = sqlx::query::<$db>(&$sql(DISABLE))
                    .bind(destination)
                    .bind(now.unix_millis())
                    .bind(reason)
                    .execute(pool)
                    .await
                    .map_err($backend("destination disable failed"))?;
                Ok(result.rows_affected() == 1)
            }

            async fn enable(&self, destination: &str) -> Result<bool, StoreError> {
                let pool = self.destinations_pool().await?;
                let result = sqlx::query::<$db>(&$sql(ENABLE))
                    .bind(destination)
                    .execute(pool)
                    .await
                    .map_err($backend("destination enable failed"))?;
                Ok(result.rows_affected() == 1)
            }

            async fn destination(&self, destination: &str) -> Result<Option<DestinationState>, StoreError> {
                let pool = self.destinations_pool().await?;
                let row = sqlx::query_as::<$db, Row>(&$sql(&format!(
                    "SELECT {COLUMNS} FROM mm_destinations WHERE name = $1"
                )))
                .bind(destination)
                .fetch_optional(pool)
                .await
                .map_err($backend("destination read failed"))?;
                Ok(row.map(state))
            }

            async fn destinations(&self) -> Result<Vec<DestinationState>, StoreError> {
                let pool = self.destinations_pool().await?;
                let rows = sqlx::query_as::<$db, Row>(&format!(
                    "SELECT {COLUMNS} FROM mm_destinations ORDER BY name"
                ))
                .fetch_all(pool)
                .await
                .map_err($backend("destinations read failed"))?;
                Ok(rows.into_iter().map(state).collect())
            }
        }
    };
}

#[cfg(feature = "postgres")]
fn same(sql: &str) -> String {
    sql.to_owned()
}

#[cfg(feature = "postgres")]
destination_store!(super::PostgresQueue, sqlx::Postgres, same, super::postgres::backend);

#[cfg(feature = "sqlite")]
fn sqlite_backend(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::backend(format!("sqlite: {context}"), error)
}

#[cfg(feature = "sqlite")]
destination_store!(super::SqliteQueue, sqlx::Sqlite, super::sql::sqlite, sqlite_backend);
