//! Storage: the one [`StoreError`] of every pluggable store, and the shared backends.
//!
//! Each capability defines the small trait it needs and keeps its in-memory implementation
//! beside it:
//!
//! | trait | in memory | here |
//! |---|---|---|
//! | [`BlobStore`](crate::token::BlobStore) (sealed token records) | [`InMemoryBlobStore`](crate::token::InMemoryBlobStore) | SQLite, PostgreSQL, Redis |
//! | [`Deduplicator`](crate::webhook::Deduplicator) (webhook redeliveries) | [`InMemoryDeduplicator`](crate::webhook::InMemoryDeduplicator) | PostgreSQL, Redis |
//! | [`SharedLimits`](crate::pacing::SharedLimits) (pacing shared by replicas) | the in-process [`Pacer`](crate::pacing::Pacer) | Redis |
//! | [`WindowStore`](crate::pacing::WindowStore) (messaging windows) | [`InMemoryWindowStore`](crate::pacing::InMemoryWindowStore) | Redis, PostgreSQL |
//! | [`Queue`](crate::delivery::Queue) (durable inbox and relay outbox) | [`InMemoryQueue`](crate::delivery::InMemoryQueue) | SQLite, PostgreSQL |
//!
//! The backends live together in this module, one file per engine, each behind its feature
//! (`sqlite`, `postgres`, `redis`), so one engine's connection handling, migrations and
//! timeouts are written once for every capability stored there.

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_queue;
#[cfg(feature = "postgres")]
mod postgres_window;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_holds;
#[cfg(feature = "redis")]
mod redis_identity;
#[cfg(feature = "redis")]
mod redis_pacing;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_destinations;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_identity;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_queue;

pub use meta_messaging_core::store::{StoreError, StoreErrorKind};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresBlobStore, PostgresDeduplicator};
#[cfg(feature = "postgres")]
pub use postgres_queue::PostgresQueue;
#[cfg(feature = "postgres")]
pub use postgres_window::PostgresWindowStore;
#[cfg(feature = "redis")]
pub use redis::{DEFAULT_REDIS_PREFIX, RedisBlobStore, RedisDeduplicator};
#[cfg(feature = "redis")]
pub use redis_identity::RedisIdentityStore;
#[cfg(feature = "redis")]
pub use redis_pacing::{RedisLimits, RedisWindowStore};
#[cfg(feature = "postgres")]
pub use sql_identity::PostgresIdentityStore;
#[cfg(feature = "sqlite")]
pub use sql_identity::SqliteIdentityStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteBlobStore;
#[cfg(feature = "sqlite")]
pub use sqlite_queue::SqliteQueue;
