//! Communities: a lab, a course or a consortium that gets a hub.

use serde::Serialize;

use stoa_model::{JoinPolicy, Slug};

use crate::accounts::AccountId;
use crate::search::{self, Index, Query};
use crate::{Backend, Conn, DbError, Page, Timestamp, on};

/// Primary key of a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct CommunityId(pub i64);

/// A community as listed in the public directory.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Community {
    /// Primary key.
    pub id: CommunityId,
    /// URL name, unique.
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// What the community does (plain text).
    pub description: String,
    /// Research or teaching field, free text.
    pub field: String,
    /// Public website, if any.
    pub website: Option<String>,
    /// Logo image URL, if any.
    pub logo_url: Option<String>,
    /// Institution that pays, if chosen.
    pub institution_id: Option<i64>,
    /// How people join.
    pub join_policy: JoinPolicy,
    /// When it signed up.
    pub created_at: Timestamp,
}

const COLUMNS: &str = "id, slug, name, description, field, website, logo_url, institution_id, join_policy, created_at";

/// What it takes to create a community. Values are expected to be validated already.
#[derive(Debug, Clone)]
pub struct NewCommunity<'a> {
    /// URL name, unique.
    pub slug: &'a Slug,
    /// Display name.
    pub name: &'a str,
    /// Plain-text description.
    pub description: &'a str,
    /// Field.
    pub field: &'a str,
    /// Website.
    pub website: Option<&'a str>,
    /// Logo URL.
    pub logo_url: Option<&'a str>,
    /// Paying institution.
    pub institution_id: Option<i64>,
    /// How people join.
    pub join_policy: JoinPolicy,
}

/// Inserts a community; [`DbError::Conflict`] when the slug is taken.
pub async fn insert(
    conn: Conn<'_>,
    new: &NewCommunity<'_>,
    now: Timestamp,
) -> Result<CommunityId, DbError> {
    insert_as(conn, new, None, now).await
}

/// Inserts a community signed up by `creator` (counted by [`created_since`]);
/// [`DbError::Conflict`] when the slug is taken.
pub async fn insert_as(
    conn: Conn<'_>,
    new: &NewCommunity<'_>,
    creator: Option<AccountId>,
    now: Timestamp,
) -> Result<CommunityId, DbError> {
    const SQL: &str = "INSERT INTO communities (slug, name, description, field, website, logo_url, \
         institution_id, join_policy, created_by, created_at, updated_at, search_words) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id";
    let id = on!(conn, c => sqlx::query_scalar(SQL)
        .bind(new.slug)
        .bind(new.name)
        .bind(new.description)
        .bind(new.field)
        .bind(new.website)
        .bind(new.logo_url)
        .bind(new.institution_id)
        .bind(new.join_policy)
        .bind(creator)
        .bind(now)
        .bind(search_words(new.slug, new.name, new.field))
        .fetch_one(c)
        .await)?;
    Ok(CommunityId(id))
}

/// When `creator` signed up communities after `since`: the oldest first, at most `limit`.
/// To enforce a cap, call [`lock_creator`] first in the same write transaction.
pub async fn created_since(
    conn: Conn<'_>,
    creator: AccountId,
    since: Timestamp,
    limit: i64,
) -> Result<Vec<Timestamp>, DbError> {
    const SQL: &str = "SELECT created_at FROM communities WHERE created_by = $1 AND created_at > $2 \
         ORDER BY created_at LIMIT $3";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(creator).bind(since).bind(limit).fetch_all(c).await)?,
    )
}

/// Locks `creator`'s account row until the transaction ends (PostgreSQL; SQLite's single
/// writer serialises already), so two sign-ups by one person at the same moment cannot both
/// see "one more is allowed".
pub async fn lock_creator(conn: Conn<'_>, creator: AccountId) -> Result<(), DbError> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(creator)
            .fetch_optional(c)
            .await?;
    }
    Ok(())
}

/// The community with this id.
pub async fn by_id(conn: Conn<'_>, id: CommunityId) -> Result<Community, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM communities WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_one(c).await)?)
}

/// Sets (or clears) the institution that pays for a community.
pub async fn set_institution(
    conn: Conn<'_>,
    id: CommunityId,
    institution: Option<i64>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE communities SET institution_id = $2, updated_at = $3 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(institution).bind(now).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Locks the community `slug` until the transaction ends (PostgreSQL; SQLite's single
/// writer serialises already): changes to one community then run one after another, so a
/// permission or last-owner check cannot be overtaken by a concurrent change.
pub async fn lock(conn: Conn<'_>, slug: &str) -> Result<(), DbError> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT id FROM communities WHERE slug = $1 FOR UPDATE")
            .bind(slug)
            .fetch_optional(c)
            .await?;
    }
    Ok(())
}

/// The community with this slug.
pub async fn by_slug(conn: Conn<'_>, slug: &str) -> Result<Option<Community>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM communities WHERE slug = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(slug).fetch_optional(c).await)?)
}

/// Whether catalog pages may name the community among those using an environment.
pub async fn listed_in_catalog(conn: Conn<'_>, id: CommunityId) -> Result<bool, DbError> {
    const SQL: &str = "SELECT listed_in_catalog FROM communities WHERE id = $1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(id).fetch_one(c).await)?)
}

/// Sets whether catalog pages may name the community.
pub async fn set_listed_in_catalog(
    conn: Conn<'_>,
    id: CommunityId,
    listed: bool,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE communities SET listed_in_catalog = $2 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(listed).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Replaces the editable fields of a community (same shape as [`NewCommunity`]; the slug
/// is kept: hub URLs are built from it).
pub async fn update(
    conn: Conn<'_>,
    id: CommunityId,
    new: &NewCommunity<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE communities SET name = $2, description = $3, field = $4, \
         website = $5, logo_url = $6, institution_id = $7, join_policy = $8, updated_at = $9, \
         search_words = $10 WHERE id = $1";
    let rows = on!(conn, c => sqlx::query(SQL)
        .bind(id)
        .bind(new.name)
        .bind(new.description)
        .bind(new.field)
        .bind(new.website)
        .bind(new.logo_url)
        .bind(new.institution_id)
        .bind(new.join_policy)
        .bind(now)
        .bind(search_words(new.slug, new.name, new.field))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// The directory's full-text index: name, slug and field ([`crate::search`]).
const INDEX: Index = Index {
    fts5_table: "communities_fts",
    tsvector_column: "search",
};

/// The `search_words` value of a community.
fn search_words(slug: &Slug, name: &str, field: &str) -> String {
    search::document(&[name, slug.as_str(), field])
}

/// The `WHERE` clause of a directory search with its query at `$param`, and the value to bind;
/// `None` when the text asks for nothing ([`Query::Nothing`]).
fn search_filter(
    backend: Backend,
    query: &Query,
    param: usize,
) -> Option<(String, Option<String>)> {
    match query {
        Query::All => Some((String::new(), None)),
        Query::Nothing => None,
        Query::Words(words) => {
            let (condition, bind) = INDEX.condition(backend, "communities.id", param, words);
            Some((format!("WHERE {condition}"), Some(bind)))
        }
    }
}

/// Communities whose name, slug or field has words starting with each word of `search`
/// (case- and accent-insensitive; [`crate::search`]), newest first: the directory's order
/// with or without a search, the same on both engines (relevance ranks differ between FTS5
/// and PostgreSQL, and the names matched here are short, so rank would add little).
pub async fn search(
    conn: Conn<'_>,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<Page<Community>, DbError> {
    let page = search_page(conn, search, limit, offset, "").await?;
    Ok(Page {
        items: page.items.into_iter().map(|r| r.community).collect(),
        total: page.total,
    })
}

/// A community in the staff list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// The community.
    pub community: Community,
    /// Its members.
    pub members: i64,
    /// Its chosen plan (`None`: the default plan).
    pub plan_id: Option<String>,
    /// Its subscription's status (`None`: no billing record yet).
    pub billing_status: Option<String>,
    /// Its hubs.
    pub hubs: i64,
}

/// Like [`search`], with what staff see of each community: members, plan, billing status,
/// hubs (each a primary-key or indexed lookup for the page's rows only).
pub async fn search_with_counts(
    conn: Conn<'_>,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<Page<StaffRow>, DbError> {
    const STAFF: &str = ", (SELECT COUNT(*) FROM memberships m WHERE m.community_id = communities.id) AS members, \
         (SELECT p.plan_id FROM community_plans p WHERE p.community_id = communities.id) AS plan_id, \
         (SELECT s.status FROM subscriptions s WHERE s.community_id = communities.id) AS billing_status, \
         (SELECT COUNT(*) FROM hubs h WHERE h.community_id = communities.id) AS hubs";
    let page = search_page(conn, search, limit, offset, STAFF).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| StaffRow {
                community: r.community,
                members: r.members.unwrap_or(0),
                plan_id: r.plan_id,
                billing_status: r.billing_status,
                hubs: r.hubs.unwrap_or(0),
            })
            .collect(),
        total: page.total,
    })
}

/// One page of a directory search, with `extra` columns (an optional `members`).
async fn search_page(
    mut conn: Conn<'_>,
    search: &str,
    limit: i64,
    offset: i64,
    extra: &str,
) -> Result<Page<CommunityRow>, DbError> {
    let query = Query::parse(search);
    let backend = conn.backend();
    let (Some((count_where, bind)), Some((page_where, _))) = (
        search_filter(backend, &query, 1),
        search_filter(backend, &query, 3),
    ) else {
        return Ok(Page {
            items: Vec::new(),
            total: 0,
        });
    };
    let count_sql = match &query {
        Query::Words(_) => INDEX.count(backend, "communities", 1),
        _ => format!("SELECT COUNT(*) FROM communities {count_where}"),
    };
    let total: i64 = on!(conn.reborrow(), c => {
        let q = sqlx::query_scalar(&count_sql);
        match &bind { Some(b) => q.bind(b), None => q }.fetch_one(c).await
    })?;
    if total <= offset {
        // Past the end (or nothing found): no second query.
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    // Deferred join: the page's ids come from the index alone, then only those rows are
    // read, so a deep page skips index entries rather than whole rows. With a search, SQLite
    // would read and sort every match ("bench": all 10,000) before taking a page; walking
    // the created_at index and probing the set of matches stops once the page is full and
    // costs at most one pass over the index. PostgreSQL chooses between the two itself.
    let source = match (backend, &query) {
        (Backend::Sqlite, Query::Words(_)) => "communities INDEXED BY communities_created_at",
        _ => "communities",
    };
    let sql = format!(
        "SELECT {COLUMNS}{extra} FROM communities WHERE id IN \
           (SELECT id FROM {source} {page_where} ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2) \
         ORDER BY created_at DESC, id DESC"
    );
    let items = on!(conn, c => {
        let q = sqlx::query_as(&sql).bind(limit).bind(offset);
        match &bind { Some(b) => q.bind(b), None => q }.fetch_all(c).await
    })?;
    Ok(Page { items, total })
}

#[derive(sqlx::FromRow)]
struct CommunityRow {
    #[sqlx(flatten)]
    community: Community,
    #[sqlx(default)]
    members: Option<i64>,
    #[sqlx(default)]
    plan_id: Option<String>,
    #[sqlx(default)]
    billing_status: Option<String>,
    #[sqlx(default)]
    hubs: Option<i64>,
}

/// Writes the search words of the communities that have none: rows from before migration
/// 0008, or inserted by other means than [`insert_as`] (`stoa seed --scale`, an older
/// release during a rolling deploy). [`crate::Db::migrate`] runs it; returns how many rows
/// it indexed.
pub async fn index_pending(mut conn: Conn<'_>) -> Result<u64, DbError> {
    const BATCH: i64 = 500;
    let mut done = 0;
    loop {
        let rows: Vec<(CommunityId, Slug, String, String)> = on!(conn.reborrow(), c => sqlx::query_as(
            "SELECT id, slug, name, field FROM communities WHERE search_words IS NULL ORDER BY id LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(c)
        .await)?;
        for (id, slug, name, field) in &rows {
            let words = search_words(slug, name, field);
            on!(conn.reborrow(), c => sqlx::query("UPDATE communities SET search_words = $2 WHERE id = $1")
                .bind(id).bind(&words).execute(c).await.map(|_| ()))?;
        }
        done += rows.len() as u64;
        if (rows.len() as i64) < BATCH {
            return Ok(done);
        }
    }
}

/// Builds a `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` taken literally.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for ch in needle.trim().to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("  Ocean "), "%ocean%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(like_pattern(""), "%%");
    }
}
