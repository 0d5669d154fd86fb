#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod auth;
mod clock;
pub mod communities;
mod error;
mod pool;
#[cfg(feature = "testing")]
pub mod testing;
mod time;

pub use clock::Clock;
pub use error::{DbError, error_chain};
pub use pool::{Backend, Conn, Db, MigrationStatus, PoolSettings, ReadConn, WriteTx};
pub use time::Timestamp;

/// Runs `$body` with `$c` bound to the native connection (`&mut SqliteConnection` or
/// `&mut PgConnection`) behind a [`Conn`]. The body is compiled once per engine, so the same
/// SQL text and binds serve both.
///
/// ```ignore
/// let n: i64 = on!(conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM communities")
///     .fetch_one(c).await)?;
/// ```
#[macro_export]
macro_rules! on {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}
