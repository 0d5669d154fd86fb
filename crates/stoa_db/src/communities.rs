//! Communities: a lab, a course or a consortium that gets a hub.

use serde::Serialize;

use crate::{Conn, DbError, Timestamp, on};

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
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the community does (plain text).
    pub description: String,
    /// Research or teaching field, free text.
    pub field: String,
    /// Public website, if any.
    pub website: Option<String>,
    /// When it signed up.
    pub created_at: Timestamp,
}

/// What it takes to create a community. Values are expected to be validated already.
#[derive(Debug, Clone)]
pub struct NewCommunity<'a> {
    /// URL name, unique.
    pub slug: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Plain-text description.
    pub description: &'a str,
    /// Field.
    pub field: &'a str,
    /// Website.
    pub website: Option<&'a str>,
}

/// Inserts a community; [`DbError::Conflict`] when the slug is taken.
pub async fn insert(
    conn: Conn<'_>,
    new: &NewCommunity<'_>,
    now: Timestamp,
) -> Result<CommunityId, DbError> {
    const SQL: &str = "INSERT INTO communities (slug, name, description, field, website, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    let id = on!(conn, c => sqlx::query_scalar(SQL)
        .bind(new.slug)
        .bind(new.name)
        .bind(new.description)
        .bind(new.field)
        .bind(new.website)
        .bind(now)
        .fetch_one(c)
        .await)?;
    Ok(CommunityId(id))
}

/// One page of the public directory.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match in all.
    pub total: i64,
}

/// Communities whose name, slug or field contains `search` (case-insensitive), newest
/// first.
pub async fn search(
    mut conn: Conn<'_>,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<Page<Community>, DbError> {
    let pattern = like_pattern(search);
    const FILTER: &str = "FROM communities \
         WHERE $1 = '%%' OR LOWER(name) LIKE $1 ESCAPE '\\' OR slug LIKE $1 ESCAPE '\\' \
            OR LOWER(field) LIKE $1 ESCAPE '\\'";
    let total: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(&format!("SELECT COUNT(*) {FILTER}"))
        .bind(&pattern)
        .fetch_one(c)
        .await)?;
    let items = on!(conn, c => sqlx::query_as(&format!(
            "SELECT id, slug, name, description, field, website, created_at {FILTER} \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"))
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await)?;
    Ok(Page { items, total })
}

/// Builds a `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` taken literally.
fn like_pattern(needle: &str) -> String {
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
