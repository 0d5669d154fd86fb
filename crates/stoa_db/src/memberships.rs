//! Who belongs to which community, in which role, until when.
//!
//! Roles are [`Role`]s, stored as text (`owner`, `admin`, `billing`, `member`; a CHECK
//! constraint keeps them honest).

use stoa_model::{Email, Role, Slug};

use crate::accounts::AccountId;
use crate::communities::{CommunityId, like_pattern};
use crate::{Conn, DbError, Page, Timestamp, on};

/// One membership with the member's name and address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Member {
    /// The member's account.
    pub account_id: AccountId,
    /// Display name.
    pub name: String,
    /// Verified address, if any.
    pub email: Option<Email>,
    /// Role.
    pub role: Role,
    /// When the membership ends by itself, if ever.
    pub ends_at: Option<Timestamp>,
    /// Since when.
    pub created_at: Timestamp,
}

/// A community someone belongs to, for their own list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MyCommunity {
    /// Community.
    pub community_id: CommunityId,
    /// Community slug.
    pub slug: Slug,
    /// Community name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// End of the membership, if any.
    pub ends_at: Option<Timestamp>,
}

/// The role of `account` in `community`, if a member.
pub async fn role_of(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
) -> Result<Option<Role>, DbError> {
    const SQL: &str = "SELECT role FROM memberships WHERE community_id = $1 AND account_id = $2";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(account).fetch_optional(c).await)?,
    )
}

/// The addresses of `community`'s owners and admins whose membership is in force at `now`
/// (those who run its hub), sorted.
pub async fn manager_emails(
    conn: Conn<'_>,
    community: CommunityId,
    now: Timestamp,
) -> Result<Vec<String>, DbError> {
    const SQL: &str = "SELECT a.email FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.community_id = $1 AND m.role IN ('owner', 'admin') AND a.email IS NOT NULL \
         AND (m.ends_at IS NULL OR m.ends_at > $2) ORDER BY a.email";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(now).fetch_all(c).await)?)
}

/// The role and end of `account`'s membership of `community` if it is in force at `now`: one
/// whose end has passed grants nothing, even before the background task removes it.
pub async fn active(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
    now: Timestamp,
) -> Result<Option<(Role, Option<Timestamp>)>, DbError> {
    const SQL: &str = "SELECT role, ends_at FROM memberships WHERE community_id = $1 \
         AND account_id = $2 AND (ends_at IS NULL OR ends_at > $3)";
    Ok(
        on!(conn, c => sqlx::query_as(SQL).bind(community).bind(account).bind(now).fetch_optional(c).await)?,
    )
}

/// The membership of `account` in `community`, if any.
pub async fn get(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
) -> Result<Option<Member>, DbError> {
    const SQL: &str = "SELECT m.account_id, a.name, a.email, m.role, m.ends_at, m.created_at \
         FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.community_id = $1 AND m.account_id = $2";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).bind(account).fetch_optional(c).await)?)
}

/// Adds a member; [`DbError::Conflict`] when they are one already.
pub async fn add(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
    role: Role,
    ends_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO memberships (community_id, account_id, role, ends_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)";
    on!(conn, c => sqlx::query(SQL).bind(community).bind(account).bind(role).bind(ends_at).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Changes a member's role and end date (the end-of-membership notice is sent again for a
/// new date).
pub async fn update(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
    role: Role,
    ends_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE memberships SET role = $3, \
         end_notice_at = CASE WHEN ends_at = $4 THEN end_notice_at ELSE NULL END, \
         ends_at = $4, updated_at = $5 WHERE community_id = $1 AND account_id = $2";
    let rows = on!(conn, c => sqlx::query(SQL).bind(community).bind(account).bind(role).bind(ends_at).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// Removes a membership.
pub async fn remove(
    conn: Conn<'_>,
    community: CommunityId,
    account: AccountId,
) -> Result<(), DbError> {
    const SQL: &str = "DELETE FROM memberships WHERE community_id = $1 AND account_id = $2";
    let rows = on!(conn, c => sqlx::query(SQL).bind(community).bind(account)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// Number of owners. Call it inside the write transaction that would remove one, with the
/// community locked ([`crate::communities::lock`]; SQLite's single writer serialises anyway),
/// so two concurrent demotions cannot both see "another owner is left".
pub async fn count_owners(conn: Conn<'_>, community: CommunityId) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM memberships WHERE community_id = $1 AND role = 'owner'";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(community).fetch_one(c).await)?)
}

/// Number of members.
pub async fn count(conn: Conn<'_>, community: CommunityId) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM memberships WHERE community_id = $1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(community).fetch_one(c).await)?)
}

/// Members whose name or address contains `search`, owners first, then admins, billing and
/// members, each by name (case-insensitive), then account id.
///
/// The order comes from the `memberships_list` index (migration 0009), so a page reads its
/// rows and no more: the page's keys are taken from the index alone (deferred join), then
/// only those members' accounts are read. Counting the members is an index range count.
/// A search still reads each member's account (names and addresses are matched anywhere in
/// them), but in list order, stopping once the page is full.
pub async fn search(
    mut conn: Conn<'_>,
    community: CommunityId,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<Page<Member>, DbError> {
    const COLUMNS: &str = "m.account_id, a.name, a.email, m.role, m.ends_at, m.created_at";
    const ORDER: &str = "ORDER BY m.role_rank, m.name_key, m.account_id";
    let pattern = like_pattern(search);
    if pattern == "%%" {
        let total: i64 = count(conn.reborrow(), community).await?;
        if total <= offset {
            return Ok(Page {
                items: Vec::new(),
                total,
            });
        }
        // The page's keys from the index alone (a derived table, so both engines read it
        // first), then those members' rows and accounts by primary key.
        let sql = format!(
            "SELECT {COLUMNS} FROM (SELECT account_id, role_rank, name_key FROM memberships \
               WHERE community_id = $1 ORDER BY role_rank, name_key, account_id LIMIT $2 OFFSET $3) k \
             JOIN memberships m ON m.community_id = $1 AND m.account_id = k.account_id \
             JOIN accounts a ON a.id = m.account_id \
             ORDER BY k.role_rank, k.name_key, k.account_id"
        );
        let items = on!(conn, c => sqlx::query_as(&sql)
            .bind(community).bind(limit).bind(offset).fetch_all(c).await)?;
        return Ok(Page { items, total });
    }
    const FILTER: &str = "FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.community_id = $1 AND (m.name_key LIKE $2 ESCAPE '\\' OR a.email LIKE $2 ESCAPE '\\')";
    let total: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(&format!("SELECT COUNT(*) {FILTER}"))
        .bind(community).bind(&pattern).fetch_one(c).await)?;
    if total <= offset {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let items = on!(conn, c => sqlx::query_as(&format!("SELECT {COLUMNS} {FILTER} {ORDER} LIMIT $3 OFFSET $4"))
        .bind(community).bind(&pattern).bind(limit).bind(offset).fetch_all(c).await)?;
    Ok(Page { items, total })
}

/// The communities `account` belongs to, by name.
pub async fn of_account(conn: Conn<'_>, account: AccountId) -> Result<Vec<MyCommunity>, DbError> {
    const SQL: &str = "SELECT c.id AS community_id, c.slug, c.name, m.role, m.ends_at FROM memberships m \
         JOIN communities c ON c.id = m.community_id WHERE m.account_id = $1 ORDER BY LOWER(c.name), c.id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(account).fetch_all(c).await)?)
}

/// A membership that ended or is about to, as the background task sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ending {
    /// Community.
    pub community_id: CommunityId,
    /// Member.
    pub account_id: AccountId,
    /// Role they had.
    pub role: Role,
    /// When it ends.
    pub ends_at: Timestamp,
}

/// Deletes the memberships whose end has come and returns them. Each row is returned by
/// exactly one caller even with several processes sweeping at once (a row another
/// transaction deleted first is simply not deleted again).
pub async fn end_due(conn: Conn<'_>, now: Timestamp, limit: i64) -> Result<Vec<Ending>, DbError> {
    // The condition is repeated outside the subquery: on PostgreSQL a row changed by another
    // transaction meanwhile (end date moved, made owner) is re-checked against the outer
    // WHERE only, and must then be left alone.
    let lock = conn.skip_locked();
    let sql = format!(
        "DELETE FROM memberships WHERE (community_id, account_id) IN \
         (SELECT community_id, account_id FROM memberships WHERE ends_at IS NOT NULL AND ends_at <= $1 \
          ORDER BY ends_at LIMIT $2{lock}) AND ends_at IS NOT NULL AND ends_at <= $1 \
         RETURNING community_id, account_id, role, ends_at"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(now).bind(limit).fetch_all(c).await)?)
}

/// Marks the memberships ending before `horizon` whose notice has not gone out, and returns
/// them; like [`end_due`], each row is claimed once.
pub async fn claim_end_notices(
    conn: Conn<'_>,
    now: Timestamp,
    horizon: Timestamp,
    limit: i64,
) -> Result<Vec<Ending>, DbError> {
    const WINDOW: &str =
        "ends_at IS NOT NULL AND ends_at > $1 AND ends_at <= $2 AND end_notice_at IS NULL";
    let lock = conn.skip_locked();
    let sql = format!(
        "UPDATE memberships SET end_notice_at = $1 WHERE (community_id, account_id) IN \
         (SELECT community_id, account_id FROM memberships WHERE {WINDOW} ORDER BY ends_at LIMIT $3{lock}) \
         AND {WINDOW} RETURNING community_id, account_id, role, ends_at"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(now).bind(horizon).bind(limit).fetch_all(c).await)?)
}
