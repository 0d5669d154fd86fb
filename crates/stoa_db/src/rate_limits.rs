//! Fixed-window request counters shared by every Stoa process (the rate limiter of the
//! unauthenticated endpoints).

use crate::{Conn, DbError, on};

/// Counts one more request of `client` in `class` for the window starting at
/// `window_start` (Unix seconds) and returns the count including this one.
///
/// One statement, atomic on both engines: concurrent requests, from this or another
/// process, each get a distinct count, so exactly `limit` of them see a count within it.
pub async fn hit(
    conn: Conn<'_>,
    class: &str,
    client: &str,
    window_start: i64,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO rate_limits (class, client, window_start, hits) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (class, client, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
         RETURNING hits";
    Ok(on!(conn, c => sqlx::query_scalar(SQL)
        .bind(class)
        .bind(client)
        .bind(window_start)
        .fetch_one(c)
        .await)?)
}

/// Deletes the counters of windows that started before `before` (Unix seconds).
pub async fn purge(conn: Conn<'_>, before: i64) -> Result<u64, DbError> {
    Ok(
        on!(conn, c => sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(before)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?,
    )
}
