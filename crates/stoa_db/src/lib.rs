#![doc = include_str!("../README.md")]

pub mod accounts;
pub mod announcements;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod catalog;
mod clock;
pub mod communities;
pub mod console;
pub mod deployments;
mod error;
pub mod hub_login;
pub mod hub_people;
pub mod hubs;
pub mod institutions;
pub mod invitations;
pub mod jobs;
pub mod join_requests;
pub mod logos;
pub mod mail_counts;
pub mod memberships;
pub mod page_versions;
pub mod plans;
mod pool;
pub mod rate_limits;
pub mod search;
pub mod stripe;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tickets;
mod time;
pub mod usage;

pub use clock::Clock;
pub use error::{DbError, error_chain};
pub use pool::{Backend, Conn, Db, MigrationStatus, PoolSettings, ReadConn, WriteTx};
pub use time::Timestamp;

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all.
    pub total: i64,
}

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
