//! The version of what anonymous pages show (migration 0007): a counter that triggers bump
//! in the transaction of every change to a table behind a cached page. The page cache reads
//! it before answering from memory; a value other than the one a page was rendered under
//! means the page is stale.

use sqlx::{Connection as _, PgConnection, SqliteConnection};

use crate::{Db, DbError};

const SQL: &str = "SELECT version FROM page_versions WHERE id = 1";

/// Reads the version on a connection of its own, kept open between reads: no pool checkout
/// (nor its liveness ping) per read, and the statement stays prepared on the connection.
/// A failed read drops the connection; the next read takes a new one.
#[derive(Debug)]
pub struct VersionReader {
    db: Db,
    conn: Option<Own>,
}

#[derive(Debug)]
enum Own {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl VersionReader {
    /// A reader on `db`; it connects on the first read.
    pub fn new(db: Db) -> VersionReader {
        VersionReader { db, conn: None }
    }

    /// The current version: every change committed before this call started is counted.
    pub async fn read(&mut self) -> Result<i64, DbError> {
        let result = self.try_read().await;
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn try_read(&mut self) -> Result<i64, DbError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(self.connect().await?),
        };
        // Autocommit: each read is its own transaction, so it sees every commit made before
        // it began (SQLite in WAL mode: a new read snapshot; PostgreSQL: READ COMMITTED).
        // `fetch_all` steps the statement to its end, so SQLite's read transaction closes
        // with it instead of pinning an old snapshot until the statement is next used.
        let rows: Vec<i64> = match conn {
            Own::Sqlite(c) => sqlx::query_scalar(SQL).fetch_all(c).await?,
            Own::Postgres(c) => sqlx::query_scalar(SQL).fetch_all(c).await?,
        };
        rows.first().copied().ok_or(DbError::NotFound)
    }

    /// A connection taken out of the pool for good (`detach`): the pool opens another in its
    /// place, so the reader never competes with requests for one. It closes when the reader
    /// is dropped.
    async fn connect(&self) -> Result<Own, DbError> {
        Ok(match &self.db {
            Db::Sqlite { read, .. } => Own::Sqlite(read.acquire().await?.detach()),
            Db::Postgres(pool) => Own::Postgres(pool.acquire().await?.detach()),
        })
    }

    /// Closes the connection, if one is open.
    pub async fn close(&mut self) {
        match self.conn.take() {
            Some(Own::Sqlite(c)) => drop(c.close().await),
            Some(Own::Postgres(c)) => drop(c.close().await),
            None => {}
        }
    }
}
