//! Announcements (migration 0021): to everyone or to chosen communities, within a time
//! window; who dismissed or acknowledged each.

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Page, Timestamp, on};

/// An announcement as stored, with how many people read it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Announcement {
    /// Primary key.
    pub id: i64,
    /// One line.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// `info`, `warning`, `critical`.
    pub severity: String,
    /// Acknowledged rather than dismissed.
    pub required: bool,
    /// Every signed-in person; else the members of its communities.
    pub everyone: bool,
    /// Mailed when made.
    pub mailed: bool,
    /// Shown from.
    pub starts_at: Timestamp,
    /// Shown until.
    pub ends_at: Timestamp,
    /// Made.
    pub created_at: Timestamp,
    /// People who acknowledged it.
    pub acknowledged: i64,
    /// People who dismissed it.
    pub dismissed: i64,
    /// The communities it is for (0 when it is for everyone).
    pub targets: i64,
}

/// The columns with the counts staff read.
const COLUMNS: &str = "a.id, a.title, a.body, a.severity, a.required, a.everyone, a.mailed, \
     a.starts_at, a.ends_at, a.created_at, \
     (SELECT COUNT(*) FROM announcement_reads r WHERE r.announcement_id = a.id \
         AND r.acknowledged = TRUE) AS acknowledged, \
     (SELECT COUNT(*) FROM announcement_reads r WHERE r.announcement_id = a.id \
         AND r.acknowledged = FALSE) AS dismissed, \
     (SELECT COUNT(*) FROM announcement_targets t WHERE t.announcement_id = a.id) AS targets";

/// The columns without the counts (zero): for the banner above every signed-in page, which
/// shows none of them and should not count thousands of reads on each request.
const BANNER_COLUMNS: &str = "a.id, a.title, a.body, a.severity, a.required, a.everyone, \
     a.mailed, a.starts_at, a.ends_at, a.created_at, CAST(0 AS BIGINT) AS acknowledged, \
     CAST(0 AS BIGINT) AS dismissed, CAST(0 AS BIGINT) AS targets";

/// A new announcement.
#[derive(Debug, Clone)]
pub struct NewAnnouncement<'a> {
    /// One line.
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// `info`, `warning`, `critical`.
    pub severity: &'a str,
    /// Acknowledged rather than dismissed.
    pub required: bool,
    /// Every signed-in person.
    pub everyone: bool,
    /// Mailed.
    pub mailed: bool,
    /// Shown from.
    pub starts_at: Timestamp,
    /// Shown until.
    pub ends_at: Timestamp,
    /// The staff member.
    pub created_by: AccountId,
}

/// Stores an announcement for `targets` (ignored when `everyone`); returns its id.
pub async fn insert(
    mut conn: Conn<'_>,
    a: &NewAnnouncement<'_>,
    targets: &[CommunityId],
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO announcements (title, body, severity, required, everyone, \
         mailed, starts_at, ends_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    const TARGET: &str =
        "INSERT INTO announcement_targets (announcement_id, community_id) VALUES ($1, $2)";
    let id: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(a.title).bind(a.body).bind(a.severity).bind(a.required).bind(a.everyone)
        .bind(a.mailed).bind(a.starts_at).bind(a.ends_at).bind(a.created_by).bind(now)
        .fetch_one(c).await)?;
    if !a.everyone {
        for community in targets {
            on!(conn.reborrow(), c => sqlx::query(TARGET).bind(id).bind(community)
                .execute(c).await.map(|_| ()))?;
        }
    }
    Ok(id)
}

/// Who an announcement is for, as a condition on `a` with `$1` the account and `$2` now:
/// shown now, to everyone or to a member (membership not ended) of one of its communities.
const ADDRESSED: &str = "a.starts_at <= $2 AND a.ends_at > $2 AND (a.everyone = TRUE \
     OR EXISTS (SELECT 1 FROM announcement_targets t JOIN memberships m \
         ON m.community_id = t.community_id WHERE t.announcement_id = a.id \
         AND m.account_id = $1 AND (m.ends_at IS NULL OR m.ends_at > $2)))";

/// The announcements `account` should see now and has not dismissed or acknowledged:
/// critical first, then newest.
pub async fn current(
    conn: Conn<'_>,
    account: AccountId,
    now: Timestamp,
) -> Result<Vec<Announcement>, DbError> {
    let sql = format!(
        "SELECT {BANNER_COLUMNS} FROM announcements a WHERE {ADDRESSED} \
         AND NOT EXISTS (SELECT 1 FROM announcement_reads r \
             WHERE r.announcement_id = a.id AND r.account_id = $1) \
         ORDER BY CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, \
             a.starts_at DESC, a.id DESC LIMIT 20"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(account).bind(now).fetch_all(c).await)?)
}

/// The announcement `id` if it is addressed to `account` now.
pub async fn addressed_to(
    conn: Conn<'_>,
    id: i64,
    account: AccountId,
    now: Timestamp,
) -> Result<Option<Announcement>, DbError> {
    let sql =
        format!("SELECT {BANNER_COLUMNS} FROM announcements a WHERE {ADDRESSED} AND a.id = $3");
    Ok(
        on!(conn, c => sqlx::query_as(&sql).bind(account).bind(now).bind(id)
        .fetch_optional(c).await)?,
    )
}

/// Records that `account` dismissed (or acknowledged) `id`; the first answer stays.
pub async fn record_read(
    conn: Conn<'_>,
    id: i64,
    account: AccountId,
    acknowledged: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO announcement_reads (announcement_id, account_id, \
         acknowledged, read_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (announcement_id, account_id) DO NOTHING";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(account).bind(acknowledged).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Every announcement, newest first.
pub async fn list(
    mut conn: Conn<'_>,
    limit: i64,
    offset: i64,
) -> Result<Page<Announcement>, DbError> {
    let total: i64 = on!(conn.reborrow(), c =>
        sqlx::query_scalar("SELECT COUNT(*) FROM announcements").fetch_one(c).await)?;
    let sql =
        format!("SELECT {COLUMNS} FROM announcements a ORDER BY a.id DESC LIMIT $1 OFFSET $2");
    let items = on!(conn, c => sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(c).await)?;
    Ok(Page { items, total })
}

/// The announcement `id`.
pub async fn get(conn: Conn<'_>, id: i64) -> Result<Option<Announcement>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM announcements a WHERE a.id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

/// The communities an announcement is for: (slug, name), by name.
pub async fn targets(conn: Conn<'_>, id: i64) -> Result<Vec<(String, String)>, DbError> {
    const SQL: &str = "SELECT c.slug, c.name FROM announcement_targets t \
         JOIN communities c ON c.id = t.community_id WHERE t.announcement_id = $1 \
         ORDER BY c.name";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// One person's answer to an announcement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Read {
    /// Their name.
    pub name: String,
    /// Their address.
    pub email: Option<String>,
    /// Acknowledged (else dismissed).
    pub acknowledged: bool,
    /// When.
    pub read_at: Timestamp,
}

/// Who answered an announcement, first first.
pub async fn reads(conn: Conn<'_>, id: i64) -> Result<Vec<Read>, DbError> {
    const SQL: &str = "SELECT a.name, a.email, r.acknowledged, r.read_at \
         FROM announcement_reads r JOIN accounts a ON a.id = r.account_id \
         WHERE r.announcement_id = $1 ORDER BY r.read_at, a.id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// The next `limit` people an announcement is mailed to, after account `after` (in account
/// order, so a mailing goes out in batches that each pick up where the last stopped): the
/// members (membership not ended) of its communities, or every account.
pub async fn recipients_after(
    conn: Conn<'_>,
    id: i64,
    everyone: bool,
    now: Timestamp,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    const EVERYONE: &str = "SELECT id, email FROM accounts WHERE email IS NOT NULL AND id > $1 \
         ORDER BY id LIMIT $2";
    const MEMBERS: &str = "SELECT DISTINCT a.id, a.email FROM announcement_targets t \
         JOIN memberships m ON m.community_id = t.community_id \
         JOIN accounts a ON a.id = m.account_id \
         WHERE t.announcement_id = $3 AND a.email IS NOT NULL \
         AND (m.ends_at IS NULL OR m.ends_at > $4) AND a.id > $1 ORDER BY a.id LIMIT $2";
    Ok(if everyone {
        on!(conn, c => sqlx::query_as(EVERYONE).bind(after).bind(limit).fetch_all(c).await)?
    } else {
        on!(conn, c => sqlx::query_as(MEMBERS).bind(after).bind(limit).bind(id).bind(now)
            .fetch_all(c).await)?
    })
}

/// How many people an announcement is for now (members of its communities, or accounts).
pub async fn audience(
    conn: Conn<'_>,
    id: i64,
    everyone: bool,
    now: Timestamp,
) -> Result<i64, DbError> {
    const EVERYONE: &str = "SELECT COUNT(*) FROM accounts";
    const MEMBERS: &str = "SELECT COUNT(DISTINCT m.account_id) FROM announcement_targets t \
         JOIN memberships m ON m.community_id = t.community_id \
         WHERE t.announcement_id = $1 AND (m.ends_at IS NULL OR m.ends_at > $2)";
    Ok(if everyone {
        on!(conn, c => sqlx::query_scalar(EVERYONE).fetch_one(c).await)?
    } else {
        on!(conn, c => sqlx::query_scalar(MEMBERS).bind(id).bind(now).fetch_one(c).await)?
    })
}

/// Claims the batch of `id`'s mailing that follows account `after` and ends at `last`: true
/// when `after` is where the mailing stands (then it stands at `last`), false when that batch
/// went out already (or is going out in another transaction).
pub async fn claim_mail_batch(
    conn: Conn<'_>,
    id: i64,
    after: i64,
    last: i64,
) -> Result<bool, DbError> {
    const SQL: &str =
        "UPDATE announcements SET mailed_through = $3 WHERE id = $1 AND mailed_through = $2";
    let n = on!(conn, c => sqlx::query(SQL).bind(id).bind(after).bind(last).execute(c).await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
