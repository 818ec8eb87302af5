//! What the SQLite and PostgreSQL engines share: row mapping for sealed token records, and the
//! delivery queue's schema and statements.
//!
//! Queue statements use PostgreSQL's `$N` placeholders; SQLite reads the same text with `?N`
//! ([`sqlite`]). One table holds every queue: an item is pending (0), done (1, kept as the
//! delivery log until purged) or dead (2); `(queue, key)` is unique, so the insert that stores an
//! item is also its dedupe.

use crate::Timestamp;
use crate::delivery::{Item, ItemState};
use crate::store::StoreError;
use crate::token::{Channel, SecretKind, StoredBlob, TokenKey};

#[cfg(feature = "sqlite")]
pub(super) const SQLITE_SCHEMA: &str = "CREATE TABLE mm_delivery (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        queue TEXT NOT NULL,
        key TEXT NOT NULL,
        conversation TEXT NOT NULL,
        payload BLOB NOT NULL,
        state INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (queue, key)
    );
    CREATE INDEX mm_delivery_heads ON mm_delivery (queue, state, conversation, id);
    CREATE INDEX mm_delivery_done ON mm_delivery (state, updated_at);";

#[cfg(feature = "postgres")]
pub(super) const POSTGRES_SCHEMA: &str = "CREATE TABLE mm_delivery (
        id BIGSERIAL PRIMARY KEY,
        queue TEXT NOT NULL,
        key TEXT NOT NULL,
        conversation TEXT NOT NULL,
        payload BYTEA NOT NULL,
        state SMALLINT NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_until BIGINT NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (queue, key)
    );
    CREATE INDEX mm_delivery_heads ON mm_delivery (queue, conversation, id) WHERE state = 0;
    CREATE INDEX mm_delivery_done ON mm_delivery (updated_at) WHERE state = 1;";

pub(super) const COLUMNS: &str = "id, queue, key, conversation, payload, CAST(state AS INTEGER) AS state, attempts, last_error, created_at, tenant";

/// The queue's tenant column (added after the first schema), indexed for erasure.
pub(super) const TENANT_MIGRATION: &str = "ALTER TABLE mm_delivery ADD COLUMN tenant TEXT;
    CREATE INDEX mm_delivery_tenant ON mm_delivery (tenant)";

/// `$1` queue, `$2` key, `$3` conversation, `$4` payload, `$5` now, `$6` tenant.
pub(super) const INSERT: &str = "INSERT INTO mm_delivery
        (queue, key, conversation, payload, next_attempt_at, created_at, updated_at, tenant)
        VALUES ($1, $2, $3, $4, $5, $5, $5, $6)
        ON CONFLICT (queue, key) DO NOTHING";

/// `$1` tenant.
pub(super) const PURGE_TENANT: &str = "DELETE FROM mm_delivery WHERE tenant = $1";

/// `$1` queue, `$2` owner.
pub(super) const RELEASE_LEASES: &str = "UPDATE mm_delivery SET lease_owner = NULL, lease_until = 0
        WHERE queue = $1 AND state = 0 AND lease_owner = $2";

/// The attempt log column (added after the tenant): one JSON line per attempt, the last
/// [`ATTEMPT_LOG_BYTES`](crate::delivery::ATTEMPT_LOG_BYTES) kept.
pub(super) const ATTEMPT_LOG_MIGRATION: &str = "ALTER TABLE mm_delivery ADD COLUMN attempt_log TEXT";

/// The log with the line `$L` (or nothing, when NULL) appended, cut to its last bytes: the
/// first line may be cut in two, and the reader skips it.
#[cfg(feature = "sqlite")]
pub(super) fn sqlite_append(param: &str) -> String {
    let bound = crate::delivery::ATTEMPT_LOG_BYTES;
    format!("substr(coalesce(attempt_log, '') || coalesce({param}, ''), -{bound})")
}

/// [`sqlite_append`] in PostgreSQL's spelling.
#[cfg(feature = "postgres")]
pub(super) fn postgres_append(param: &str) -> String {
    let bound = crate::delivery::ATTEMPT_LOG_BYTES;
    format!("right(coalesce(attempt_log, '') || coalesce({param}, ''), {bound})")
}

/// `$1` id, `$2` owner, `$3` now, `$4` attempt line (or NULL); `append` spells the log update.
pub(super) fn complete(append: fn(&str) -> String) -> String {
    format!(
        "UPDATE mm_delivery SET state = 1, lease_owner = NULL, updated_at = $3, attempt_log = {}
        WHERE id = $1 AND state = 0 AND lease_owner = $2",
        append("$4")
    )
}

/// `$1` id, `$2` owner, `$3` now, `$4` new state, `$5` next attempt, `$6` error, `$7` attempt line
/// (or NULL).
pub(super) fn fail(append: fn(&str) -> String) -> String {
    format!(
        "UPDATE mm_delivery
        SET state = $4, next_attempt_at = $5, last_error = $6, lease_owner = NULL, lease_until = 0,
            updated_at = $3, attempt_log = {}
        WHERE id = $1 AND state = 0 AND lease_owner = $2",
        append("$7")
    )
}

/// `$1` id, `$2` owner, `$3` now, `$4` due: a claim given back uncounted.
pub(super) const POSTPONE: &str = "UPDATE mm_delivery
        SET attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, next_attempt_at = $4,
            lease_owner = NULL, lease_until = 0, updated_at = $3
        WHERE id = $1 AND state = 0 AND lease_owner = $2";

/// `$1` id.
pub(super) const ATTEMPT_LOG: &str = "SELECT attempt_log FROM mm_delivery WHERE id = $1";

/// `$1` queue, `$2` limit.
/// `$1` queue, `$2` state code, `$3` limit.
pub(super) fn in_state() -> String {
    format!("SELECT {COLUMNS} FROM mm_delivery WHERE queue = $1 AND state = $2 ORDER BY id LIMIT $3")
}

pub(super) fn dead_letters() -> String {
    format!("SELECT {COLUMNS} FROM mm_delivery WHERE queue = $1 AND state = 2 ORDER BY id LIMIT $2")
}

/// `$1` id, `$2` now.
pub(super) const REPLAY: &str = "UPDATE mm_delivery
        SET state = 0, attempts = 0, next_attempt_at = $2, lease_owner = NULL, lease_until = 0, updated_at = $2
        WHERE id = $1 AND state <> 0";

/// `$1` queue.
pub(super) const COUNTS: &str =
    "SELECT CAST(state AS INTEGER), COUNT(*) FROM mm_delivery WHERE queue = $1 GROUP BY state";

/// `$1` cutoff.
pub(super) const PURGE: &str = "DELETE FROM mm_delivery WHERE state = 1 AND updated_at < $1";

/// The same statement with SQLite's numbered placeholders.
pub(super) fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

/// The state, next attempt and error columns of a [`Retry`](crate::delivery::Retry).
pub(super) fn retry_columns(retry: crate::delivery::Retry) -> (i64, i64) {
    match retry {
        crate::delivery::Retry::At(at) => (ItemState::Pending.code(), at.unix_millis()),
        crate::delivery::Retry::Never => (ItemState::Dead.code(), 0),
    }
}

/// Reads an [`Item`] from a row of [`COLUMNS`], on either engine.
pub(super) fn item_from_row<R>(row: &R) -> Result<Item, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let read = |e: sqlx::Error| StoreError::backend("delivery queue: unreadable row", e);
    let attempts: i32 = row.try_get(6).map_err(read)?;
    let state: i32 = row.try_get(5).map_err(read)?;
    Ok(Item {
        id: row.try_get(0).map_err(read)?,
        queue: row.try_get(1).map_err(read)?,
        key: row.try_get(2).map_err(read)?,
        conversation: row.try_get(3).map_err(read)?,
        payload: row.try_get(4).map_err(read)?,
        state: ItemState::from_code(i64::from(state)),
        attempts: u32::try_from(attempts).unwrap_or(0),
        last_error: row.try_get(7).map_err(read)?,
        created_at: Timestamp::from_unix_millis(row.try_get(8).map_err(read)?),
        tenant: row.try_get(9).map_err(read)?,
    })
}

/// (pending, done, dead) from `(state, count)` rows.
pub(super) fn tally(rows: &[(i64, i64)]) -> (u64, u64, u64) {
    let mut counts = (0, 0, 0);
    for &(state, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        match ItemState::from_code(state) {
            ItemState::Pending => counts.0 += count,
            ItemState::Done => counts.1 += count,
            ItemState::Dead => counts.2 += count,
        }
    }
    counts
}

/// The columns of a sealed token record, in the order [`record_from_row`] reads them.
pub(super) const TOKEN_COLUMNS: &str = "tenant, channel, asset_id, kind, ciphertext, key_id, expires_at";

/// Reads the sealed part of a token record row (`ciphertext`, `key_id`, `expires_at`).
pub(super) fn blob_from_row<R>(row: &R) -> Result<StoredBlob, StoreError>
where
    R: sqlx::Row,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let column = |e: sqlx::Error| StoreError::backend("token record: unreadable column", e);
    let ciphertext: Vec<u8> = row.try_get("ciphertext").map_err(column)?;
    let key_id: i64 = row.try_get("key_id").map_err(column)?;
    let expires_at: Option<i64> = row.try_get("expires_at").map_err(column)?;
    let key_id = u32::try_from(key_id).map_err(|_| StoreError::format("stored key id out of range"))?;
    Ok(StoredBlob::new(ciphertext, key_id, expires_at.map(Timestamp::from_unix_millis)))
}

/// Reads a whole token record row of [`TOKEN_COLUMNS`]: its key and its sealed part.
pub(super) fn record_from_row<R>(row: &R) -> Result<(TokenKey, StoredBlob), StoreError>
where
    R: sqlx::Row,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let get = |name: &'static str| -> Result<String, StoreError> {
        row.try_get(name).map_err(|e| StoreError::backend("token record: unreadable key column", e))
    };
    let key = TokenKey::new(
        get("tenant")?,
        Channel::from(get("channel")?),
        get("asset_id")?,
        SecretKind::from(get("kind")?),
    );
    Ok((key, blob_from_row(row)?))
}
