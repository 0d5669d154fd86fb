//! Usage events of hubs (migration 0011): a server start a hub reported, or activity a
//! periodic read of the hub's API found. One row per person, server and moment however often
//! it is reported, so the hook and the poll may both see the same start.

use crate::hubs::HubId;
use crate::{Conn, DbError, Timestamp, on};

/// One event as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageEvent<'a> {
    /// The hub.
    pub hub: HubId,
    /// The hub username.
    pub hub_username: &'a str,
    /// `server_start` or `active`.
    pub event: &'a str,
    /// The server's name (`""`: the default server).
    pub server_name: &'a str,
    /// When it happened.
    pub at: Timestamp,
    /// `hook` or `poll`.
    pub source: &'a str,
}

/// Records an event; false when it was known already.
pub async fn record(conn: Conn<'_>, e: &UsageEvent<'_>, now: Timestamp) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO hub_usage_events (hub_id, hub_username, event, server_name, \
         at, source, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    let rows = on!(conn, c => sqlx::query(SQL).bind(e.hub).bind(e.hub_username).bind(e.event)
        .bind(e.server_name).bind(e.at).bind(e.source).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// How many people used the hub (any event) in `[from, to)`.
pub async fn active_people(
    conn: Conn<'_>,
    hub: HubId,
    from: Timestamp,
    to: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(DISTINCT hub_username) FROM hub_usage_events \
         WHERE hub_id = $1 AND at >= $2 AND at < $3";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(hub).bind(from).bind(to).fetch_one(c).await)?)
}

/// Server starts of the hub in `[from, to)`.
pub async fn server_starts(
    conn: Conn<'_>,
    hub: HubId,
    from: Timestamp,
    to: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM hub_usage_events WHERE hub_id = $1 \
         AND event = 'server_start' AND at >= $2 AND at < $3";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(hub).bind(from).bind(to).fetch_one(c).await)?)
}
