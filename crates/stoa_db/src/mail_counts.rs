//! Daily counts of invitation mail (per community, per account, for all of Stoa) and the
//! limits staff set for one community.
//!
//! A count is charged with one conditional UPSERT that refuses to pass the limit: the row
//! lock of `ON CONFLICT DO UPDATE` (PostgreSQL) or the single writer (SQLite) makes
//! check-and-add atomic, so the limit holds with any number of Stoa processes. The charge
//! is made in the transaction that queues the mail, so a refused request queues nothing.

use serde::{Deserialize, Serialize};

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// What a count is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One community's invitation mail.
    Community(CommunityId),
    /// Invitation mail queued by one account (community and institution invitations).
    Account(AccountId),
    /// All of Stoa's invitation mail.
    Total,
}

impl Scope {
    fn key(self) -> (&'static str, i64) {
        match self {
            Scope::Community(id) => ("community", id.0),
            Scope::Account(id) => ("account", id.0),
            Scope::Total => ("total", 0),
        }
    }
}

/// The day a mail was counted on and whom it was counted against, carried by the mail job
/// so that the worker can give the count back if it ends up sending nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The community, for community invitations.
    pub community: Option<i64>,
    /// The account that queued it.
    pub account: i64,
}

impl Charge {
    /// The scopes this charge counted against.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut scopes = vec![Scope::Total, Scope::Account(AccountId(self.account))];
        if let Some(c) = self.community {
            scopes.push(Scope::Community(CommunityId(c)));
        }
        scopes
    }
}

/// Adds `n` to the count of `scope` on `day` unless that would pass `limit`; false (and
/// nothing changed) when it would.
pub async fn charge(
    conn: Conn<'_>,
    scope: Scope,
    day: &str,
    n: i64,
    limit: i64,
) -> Result<bool, DbError> {
    if n > limit {
        return Ok(false);
    }
    let (kind, id) = scope.key();
    const SQL: &str = "INSERT INTO mail_counts (scope, scope_id, day, sent) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scope, scope_id, day) DO UPDATE SET sent = mail_counts.sent + excluded.sent \
         WHERE mail_counts.sent + excluded.sent <= $5 RETURNING sent";
    let row: Option<i64> = on!(conn, c => sqlx::query_scalar(SQL).bind(kind).bind(id).bind(day)
        .bind(n).bind(limit).fetch_optional(c).await)?;
    Ok(row.is_some())
}

/// The count of `scope` on `day`.
pub async fn sent(conn: Conn<'_>, scope: Scope, day: &str) -> Result<i64, DbError> {
    let (kind, id) = scope.key();
    const SQL: &str = "SELECT COALESCE(MAX(sent), 0) FROM mail_counts WHERE scope = $1 AND scope_id = $2 AND day = $3";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(kind).bind(id).bind(day).fetch_one(c).await)?)
}

/// Gives back `n` to the count of `scope` on `day` (a queued mail that was never sent).
pub async fn refund(conn: Conn<'_>, scope: Scope, day: &str, n: i64) -> Result<(), DbError> {
    let (kind, id) = scope.key();
    const SQL: &str = "UPDATE mail_counts SET sent = sent - $4 \
         WHERE scope = $1 AND scope_id = $2 AND day = $3 AND sent >= $4";
    on!(conn, c => sqlx::query(SQL).bind(kind).bind(id).bind(day).bind(n)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Deletes the counts of days before `day` (no longer needed); returns how many.
pub async fn purge_before(conn: Conn<'_>, day: &str) -> Result<u64, DbError> {
    Ok(
        on!(conn, c => sqlx::query("DELETE FROM mail_counts WHERE day < $1").bind(day)
        .execute(c).await.map(|r| r.rows_affected()))?,
    )
}

/// The daily limit staff set for a community, if they did.
pub async fn community_limit(
    conn: Conn<'_>,
    community: CommunityId,
) -> Result<Option<i64>, DbError> {
    const SQL: &str = "SELECT per_day FROM community_mail_limits WHERE community_id = $1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(community).fetch_optional(c).await)?)
}

/// Sets (or, with `None`, removes) the daily limit of a community.
pub async fn set_community_limit(
    conn: Conn<'_>,
    community: CommunityId,
    per_day: Option<i64>,
    by: AccountId,
    now: Timestamp,
) -> Result<(), DbError> {
    match per_day {
        Some(n) => {
            const SQL: &str = "INSERT INTO community_mail_limits (community_id, per_day, set_by, set_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (community_id) DO UPDATE \
                 SET per_day = excluded.per_day, set_by = excluded.set_by, set_at = excluded.set_at";
            on!(conn, c => sqlx::query(SQL).bind(community).bind(n).bind(by).bind(now)
                .execute(c).await.map(|_| ()))?;
        }
        None => {
            const SQL: &str = "DELETE FROM community_mail_limits WHERE community_id = $1";
            on!(conn, c => sqlx::query(SQL).bind(community).execute(c).await.map(|_| ()))?;
        }
    }
    Ok(())
}
