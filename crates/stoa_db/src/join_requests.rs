//! Requests to join a community that takes them.

use stoa_model::{Email, JoinRequestStatus};

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// A join request with the requester's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JoinRequest {
    /// Primary key.
    pub id: i64,
    /// Community.
    pub community_id: CommunityId,
    /// Who asks.
    pub account_id: AccountId,
    /// Their display name.
    pub name: String,
    /// Their address, if known.
    pub email: Option<Email>,
    /// What they wrote.
    pub message: String,
    /// Where it stands.
    pub status: JoinRequestStatus,
    /// When.
    pub created_at: Timestamp,
}

const COLUMNS: &str =
    "r.id, r.community_id, r.account_id, a.name, a.email, r.message, r.status, r.created_at";

/// Files a request; [`DbError::Conflict`] when one is pending already.
pub async fn create(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
    message: &str,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO join_requests (community_id, account_id, message, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(account).bind(message).bind(now)
        .fetch_one(c).await)?,
    )
}

/// The pending request of `account`, if any.
pub async fn pending_of(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
) -> Result<Option<JoinRequest>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM join_requests r JOIN accounts a ON a.id = r.account_id \
         WHERE r.community_id = $1 AND r.account_id = $2 AND r.status = 'pending'"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).bind(account).fetch_optional(c).await)?)
}

/// Pending requests, oldest first; at most `limit`.
pub async fn pending(
    conn: Conn<'_>,
    community: CommunityId,
    limit: i64,
) -> Result<Vec<JoinRequest>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM join_requests r JOIN accounts a ON a.id = r.account_id \
         WHERE r.community_id = $1 AND r.status = 'pending' ORDER BY r.created_at, r.id LIMIT $2"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).bind(limit).fetch_all(c).await)?)
}

/// Decides a pending request (`status`: approved or denied) and returns it; `None` when it
/// was decided already; [`DbError::NotFound`] when `community` has no request `id` (another
/// community's request is as unknown here as one that does not exist: a 404, not "decided
/// already").
pub async fn decide(
    mut conn: Conn<'_>,
    community: CommunityId,
    id: i64,
    status: JoinRequestStatus,
    by: AccountId,
    now: Timestamp,
) -> Result<Option<JoinRequest>, DbError> {
    const SQL: &str = "UPDATE join_requests SET status = $3, decided_at = $4, decided_by = $5 \
         WHERE id = $1 AND community_id = $2 AND status = 'pending'";
    let rows = on!(conn.reborrow(), c => sqlx::query(SQL).bind(id).bind(community).bind(status).bind(now).bind(by)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 0 {
        const EXISTS: &str =
            "SELECT COUNT(*) FROM join_requests WHERE id = $1 AND community_id = $2";
        let n: i64 =
            on!(conn, c => sqlx::query_scalar(EXISTS).bind(id).bind(community).fetch_one(c).await)?;
        return if n == 0 {
            Err(DbError::NotFound)
        } else {
            Ok(None)
        };
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM join_requests r JOIN accounts a ON a.id = r.account_id WHERE r.id = $1"
    );
    Ok(Some(
        on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_one(c).await)?,
    ))
}
