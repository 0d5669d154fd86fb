//! Connecting, migrating, and handing out connections and write transactions.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::DbError;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A PostgreSQL connection idle this long is pinged before use (see [`Db::connect`]).
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Pool sizes and timeouts.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections for reads (SQLite) or for everything (PostgreSQL).
    pub max_connections: u32,
    /// How long a request may wait for a free connection before it fails.
    pub acquire_timeout: Duration,
    /// SQLite only: how long a write waits for a lock held by *another process*
    /// (a `stoa migrate` or `stoa seed` running beside the server).
    pub busy_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(10),
        }
    }
}

/// A handle to the store. Cheap to clone: it holds pools.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: many readers, one writer.
    Sqlite {
        /// Read-only work; WAL lets these run while a write is in progress.
        read: SqlitePool,
        /// Exactly one connection. SQLite allows one writer at a time anyway; queuing writers
        /// in the pool (instead of in SQLite's busy handler) means a write transaction never
        /// fails with "database is locked" however many requests write at once, and
        /// `BEGIN IMMEDIATE` takes the write lock up front so a transaction never has to
        /// upgrade a read lock (the case busy_timeout cannot help with).
        write: SqlitePool,
    },
    /// PostgreSQL: one pool; the server does the concurrency control.
    Postgres(PgPool),
}

/// A borrowed native connection: what every store function takes. Use [`crate::on!`] to run
/// a query on it.
pub enum Conn<'c> {
    /// SQLite connection (pool connection or open transaction).
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL connection (pool connection or open transaction).
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    /// Borrows the connection again, to run several queries in one function.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Sqlite(c) => Conn::Sqlite(c),
            Conn::Postgres(c) => Conn::Postgres(c),
        }
    }

    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL, for a subquery that claims rows: concurrent
    /// claimers then take different rows. Nothing on SQLite, whose single writer runs them
    /// one after another.
    pub fn skip_locked(&self) -> &'static str {
        match self {
            Conn::Sqlite(_) => "",
            Conn::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The engine behind this connection, for the rare query that needs dialect SQL.
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }
}

/// A pooled connection for reads, outside any transaction.
pub enum ReadConn {
    #[doc(hidden)]
    Sqlite(PoolConnection<Sqlite>),
    #[doc(hidden)]
    Postgres(PoolConnection<Postgres>),
}

impl ReadConn {
    /// The connection, for store functions.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            ReadConn::Sqlite(c) => Conn::Sqlite(c),
            ReadConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// An open write transaction. Dropping it without [`WriteTx::commit`] rolls back.
pub enum WriteTx {
    #[doc(hidden)]
    Sqlite(Transaction<'static, Sqlite>),
    #[doc(hidden)]
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    /// The connection, for store functions.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            WriteTx::Sqlite(c) => Conn::Sqlite(c),
            WriteTx::Postgres(c) => Conn::Postgres(c),
        }
    }

    /// Makes every change in the transaction durable.
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await?,
            WriteTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Where the schema stands against the migrations built into this binary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationStatus {
    /// Newest migration version applied to the database (0 for none).
    pub applied: i64,
    /// Newest migration version this binary knows.
    pub expected: i64,
    /// Migrations this binary knows that the database has not applied.
    pub pending: usize,
    /// Applied migrations whose recorded checksum differs from this binary's copy
    /// (somebody edited a shipped migration) or that failed half-way.
    pub dirty: bool,
}

impl MigrationStatus {
    /// True when the schema is exactly what this binary expects.
    pub fn is_current(&self) -> bool {
        self.pending == 0 && !self.dirty
    }
}

impl Db {
    /// Connects to `url`: `sqlite://path/to/file.db` (the file and its folder are created)
    /// or `postgres://…`. Does not migrate.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Db, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| DbError::Config(format!("bad PostgreSQL URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                // sqlx pings a connection (one round trip) on every checkout by default; a
                // page checks out several. Only a connection that sat idle for a while is
                // pinged here: a busy connection has just proved itself, and what kills one
                // (a server restart, a proxy's idle timeout) rarely hits within seconds of
                // its last use; when it does, that one query fails and sqlx drops the
                // connection, as a ping racing the same restart would. Idle connections
                // are closed after `idle_timeout` anyway, and all are renewed after
                // `max_lifetime` (sqlx defaults: 10 and 30 minutes).
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        if !url.starts_with("sqlite:") {
            return Err(DbError::Config(
                "DATABASE_URL must start with sqlite:// or postgres://".into(),
            ));
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Two pools on an in-memory database would be two separate databases.
            return Err(DbError::Config(
                "in-memory SQLite is not supported; use a file such as sqlite://data/stoa.db"
                    .into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbError::Config(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only an OS crash
            // or power loss can drop the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(settings.busy_timeout);
        if let Some(parent) = Path::new(options.get_filename()).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Config(format!("cannot create {}: {e}", parent.display())))?;
        }
        // The writer first: it creates the file and switches it to WAL before readers open it.
        // No ping on checkout (sqlx's default sends one per checkout, a round trip to the
        // connection's worker thread): an SQLite connection is a file handle in this process
        // and cannot be dropped by a server or a network; a failing disk fails the query itself.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        // The file holds sessions, hashes of tokens and sealed secrets: readable by Stoa's
        // account only (SQLite makes it 0644 by default, and its -wal and -shm files follow
        // the main file's mode). People's servers on local hubs may run on this machine.
        let path = Path::new(options.get_filename()).to_path_buf();
        let read = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        for suffix in ["", "-wal", "-shm"] {
            use std::os::unix::fs::PermissionsExt as _;
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            if let Err(e) = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(DbError::Config(format!(
                    "cannot make {} private: {e}",
                    Path::new(&file).display()
                )));
            }
        }
        Ok(Db::Sqlite { read, write })
    }

    /// The engine behind this handle.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<ReadConn, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => ReadConn::Sqlite(read.acquire().await?),
            Db::Postgres(pool) => ReadConn::Postgres(pool.acquire().await?),
        })
    }

    /// Opens a write transaction (on SQLite: `BEGIN IMMEDIATE` on the single writer).
    pub async fn begin(&self) -> Result<WriteTx, DbError> {
        Ok(match self {
            Db::Sqlite { write, .. } => WriteTx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => WriteTx::Postgres(pool.begin().await?),
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.read().await?;
        let one: i32 =
            crate::on!(conn.conn(), c => sqlx::query_scalar("SELECT 1").fetch_one(c).await)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// Applies every pending migration. Safe to run from several processes at once: sqlx
    /// takes an advisory lock on PostgreSQL, and SQLite serialises writers.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATOR.run(write).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        // Derived data SQL cannot compute (search words are made in Rust): filled for rows
        // that lack it. Cheap when there are none; idempotent across processes.
        let mut tx = self.begin().await?;
        crate::communities::index_pending(tx.conn()).await?;
        tx.commit().await
    }

    /// Reverts migrations down to (excluding) `target`; `0` reverts everything.
    pub async fn migrate_down(&self, target: i64) -> Result<(), DbError> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATOR.undo(write, target).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATOR.undo(pool, target).await?,
        }
        Ok(())
    }

    /// Compares the applied migrations with the ones built into this binary.
    pub async fn migration_status(&self) -> Result<MigrationStatus, DbError> {
        let migrator = match self {
            Db::Sqlite { .. } => &SQLITE_MIGRATOR,
            Db::Postgres(_) => &POSTGRES_MIGRATOR,
        };
        let mut conn = self.read().await?;
        let table: Option<String> = match conn.conn() {
            Conn::Sqlite(c) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_optional(c)
            .await?,
            Conn::Postgres(c) => {
                sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                    .fetch_one(c)
                    .await?
            }
        };
        let applied: Vec<(i64, bool, Vec<u8>)> = if table.is_some() {
            crate::on!(conn.conn(), c => sqlx::query_as(
                "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(c)
            .await)?
        } else {
            Vec::new()
        };
        let known: Vec<_> = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .collect();
        let pending = known
            .iter()
            .filter(|m| !applied.iter().any(|(v, ok, _)| *v == m.version && *ok))
            .count();
        let dirty = applied.iter().any(|(v, ok, sum)| {
            !ok || known
                .iter()
                .find(|m| m.version == *v)
                .is_some_and(|m| m.checksum.as_ref() != sum.as_slice())
        });
        Ok(MigrationStatus {
            applied: applied.iter().map(|(v, _, _)| *v).max().unwrap_or(0),
            expected: known.iter().map(|m| m.version).max().unwrap_or(0),
            pending,
            dirty,
        })
    }

    /// The native SQLite pool that writes, for libraries that need one (the session store).
    pub fn sqlite_write_pool(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite { write, .. } => Some(write),
            Db::Postgres(_) => None,
        }
    }

    /// The native SQLite pool that reads, for libraries that need one (the session store
    /// loads sessions on it: a read must not queue behind the single writer).
    pub fn sqlite_read_pool(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite { read, .. } => Some(read),
            Db::Postgres(_) => None,
        }
    }

    /// The native PostgreSQL pool, for libraries that need one (the session store).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match self {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite { .. } => None,
        }
    }

    /// Closes every connection, waiting for the ones in use to come back.
    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
