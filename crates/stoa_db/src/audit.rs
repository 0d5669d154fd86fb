//! The audit log: append-only (database triggers refuse UPDATE and DELETE on both engines).

use stoa_model::Slug;

use crate::accounts::AccountId;
use crate::communities::{CommunityId, like_pattern};
use crate::{Conn, DbError, Timestamp, on};

/// What to record. `before`/`after` are short JSON objects of the fields that changed.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who did it; `None` for Stoa itself.
    pub actor: Option<AccountId>,
    /// Their name at the time (the record outlives renames and deleted accounts).
    pub actor_name: &'a str,
    /// Community concerned.
    pub community: Option<CommunityId>,
    /// Institution concerned.
    pub institution: Option<i64>,
    /// Dotted action name, e.g. `membership.role_changed`.
    pub action: &'a str,
    /// What it was done to, in words (a person, an address).
    pub target: &'a str,
    /// State before (JSON), if any.
    pub before: Option<String>,
    /// State after (JSON), if any.
    pub after: Option<String>,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Record {
    /// Primary key, increasing.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who (name at the time).
    pub actor_name: String,
    /// Community concerned, by slug (if it still exists).
    pub community_slug: Option<Slug>,
    /// Institution concerned.
    pub institution_id: Option<i64>,
    /// Action name.
    pub action: String,
    /// Target in words.
    pub target: String,
    /// Before (JSON).
    pub before_state: Option<String>,
    /// After (JSON).
    pub after_state: Option<String>,
}

/// Appends an entry. Call it in the transaction that makes the change.
pub async fn record(conn: Conn<'_>, entry: &Entry<'_>, now: Timestamp) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO audit_log (at, actor_id, actor_name, community_id, institution_id, \
         action, target, before_state, after_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on!(conn, c => sqlx::query(SQL)
        .bind(now).bind(entry.actor).bind(entry.actor_name).bind(entry.community)
        .bind(entry.institution).bind(entry.action).bind(entry.target)
        .bind(entry.before.as_deref()).bind(entry.after.as_deref())
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this community's.
    pub community: Option<CommunityId>,
    /// Only this institution's.
    pub institution: Option<i64>,
    /// Only actions starting with this (`membership.`, `invitation.revoked`).
    pub action_prefix: Option<String>,
    /// Only actors whose name contains this.
    pub actor: Option<String>,
    /// Only entries older than this id (keyset paging: pass the last id of the previous page).
    pub before_id: Option<i64>,
}

/// Entries matching `filter`, newest first, at most `limit`.
pub async fn list(conn: Conn<'_>, filter: &Filter, limit: i64) -> Result<Vec<Record>, DbError> {
    // Every condition is always present and switched off by a NULL parameter, so parameters
    // stay parameters, except the community and institution: with `$1 IS NULL OR …` neither
    // engine can walk the (community_id, id) index (SQLite plans before it sees the value;
    // PostgreSQL's generic plan is the same), and a community's page scanned the whole log
    // from the newest entry until it found a page of that community's. Two statement texts
    // each, so a handful of prepared statements in all.
    let community = if filter.community.is_some() {
        "l.community_id = $1"
    } else {
        "$1 IS NULL"
    };
    let institution = if filter.institution.is_some() {
        "l.institution_id = $2"
    } else {
        "$2 IS NULL"
    };
    let sql = format!(
        "SELECT l.id, l.at, l.actor_name, c.slug AS community_slug, l.institution_id, \
         l.action, l.target, l.before_state, l.after_state \
         FROM audit_log l LEFT JOIN communities c ON c.id = l.community_id \
         WHERE {community} AND {institution} \
           AND ($3 IS NULL OR l.action LIKE $3 ESCAPE '\\') \
           AND ($4 IS NULL OR LOWER(l.actor_name) LIKE $4 ESCAPE '\\') \
           AND ($5 IS NULL OR l.id < $5) \
         ORDER BY l.id DESC LIMIT $6"
    );
    let prefix = filter.action_prefix.as_deref().map(|p| {
        let mut pattern = like_pattern(p);
        pattern.remove(0); // anchored at the start
        pattern
    });
    let actor = filter.actor.as_deref().map(like_pattern);
    Ok(on!(conn, c => sqlx::query_as(&sql)
        .bind(filter.community).bind(filter.institution).bind(prefix.as_deref())
        .bind(actor.as_deref()).bind(filter.before_id).bind(limit)
        .fetch_all(c).await)?)
}
