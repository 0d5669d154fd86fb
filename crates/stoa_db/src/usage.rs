//! Usage events of hubs (migration 0011): a server start a hub reported, or activity a
//! periodic read of the hub's API found. One row per person, server and moment however often
//! it is reported, so the hook and the poll may both see the same start. Server starts are
//! also kept per person and day (`hub_active_days`, migration 0013): what monthly active
//! users and the daily chart are counted from.

use chrono::NaiveDate;

use crate::communities::CommunityId;
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

/// Records an event (a server start also as its person's active day); false when it was
/// known already. Call it in a transaction, so the event and its day go in together.
pub async fn record(conn: Conn<'_>, e: &UsageEvent<'_>, now: Timestamp) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO hub_usage_events (hub_id, hub_username, event, server_name, \
         at, source, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    const DAY: &str = "INSERT INTO hub_active_days (hub_id, day, hub_username) \
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    let day = e.at.as_datetime().date_naive();
    let rows = on!(conn, c => {
        let rows = sqlx::query(SQL).bind(e.hub).bind(e.hub_username).bind(e.event)
            .bind(e.server_name).bind(e.at).bind(e.source).bind(now)
            .execute(&mut *c).await?.rows_affected();
        if rows == 1 && e.event == "server_start" {
            sqlx::query(DAY).bind(e.hub).bind(day).bind(e.hub_username).execute(&mut *c).await?;
        }
        Ok::<_, sqlx::Error>(rows)
    })?;
    Ok(rows == 1)
}

/// People active on the community's hubs each day of `[from, to)` (days without anyone are
/// left out), in day order.
pub async fn daily_active(
    conn: Conn<'_>,
    community: CommunityId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, DbError> {
    const SQL: &str = "SELECT d.day, COUNT(DISTINCT d.hub_username) FROM hub_active_days d \
         JOIN hubs h ON h.id = d.hub_id WHERE h.community_id = $1 AND d.day >= $2 AND d.day < $3 \
         GROUP BY d.day ORDER BY d.day";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).bind(from).bind(to).fetch_all(c).await)?)
}

/// Different people active on any of the community's hubs in `[from, to)`.
pub async fn active_in(
    conn: Conn<'_>,
    community: CommunityId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(DISTINCT d.hub_username) FROM hub_active_days d \
         JOIN hubs h ON h.id = d.hub_id WHERE h.community_id = $1 AND d.day >= $2 AND d.day < $3";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(from).bind(to).fetch_one(c).await)?,
    )
}

/// Different people active on any of the community's hubs in each calendar month of
/// `[from, to)` (month boundaries), as (`YYYY-MM`, people); months without anyone are absent.
/// One query for the usage page's twelve months.
pub async fn active_by_month(
    conn: Conn<'_>,
    community: CommunityId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, DbError> {
    // The day is a DATE on PostgreSQL and `YYYY-MM-DD` text on SQLite.
    const SQLITE: &str = "SELECT substr(d.day, 1, 7) AS month, COUNT(DISTINCT d.hub_username) \
         FROM hub_active_days d JOIN hubs h ON h.id = d.hub_id \
         WHERE h.community_id = $1 AND d.day >= $2 AND d.day < $3 GROUP BY month ORDER BY month";
    const POSTGRES: &str = "SELECT to_char(d.day, 'YYYY-MM') AS month, COUNT(DISTINCT d.hub_username) \
         FROM hub_active_days d JOIN hubs h ON h.id = d.hub_id \
         WHERE h.community_id = $1 AND d.day >= $2 AND d.day < $3 GROUP BY month ORDER BY month";
    Ok(match conn {
        Conn::Sqlite(c) => {
            sqlx::query_as(SQLITE)
                .bind(community)
                .bind(from)
                .bind(to)
                .fetch_all(c)
                .await?
        }
        Conn::Postgres(c) => {
            sqlx::query_as(POSTGRES)
                .bind(community)
                .bind(from)
                .bind(to)
                .fetch_all(c)
                .await?
        }
    })
}

/// Different people active on each of the community's hubs in `[from, to)`, by hub slug
/// (every hub, zero included).
pub async fn active_by_hub(
    conn: Conn<'_>,
    community: CommunityId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, i64)>, DbError> {
    const SQL: &str = "SELECT h.slug, COUNT(DISTINCT d.hub_username) FROM hubs h \
         LEFT JOIN hub_active_days d ON d.hub_id = h.id AND d.day >= $2 AND d.day < $3 \
         WHERE h.community_id = $1 GROUP BY h.id, h.slug ORDER BY h.id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).bind(from).bind(to).fetch_all(c).await)?)
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
