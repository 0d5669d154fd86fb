//! The shared catalog of environments (migration 0017): entries, their languages and tags,
//! and their versions; listed and searched with who may see what decided in the query, so a
//! private entry never reaches another community (not in a list, a count or a search).

use chrono::NaiveDate;

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::search::{self, Index, Query};
use crate::{Conn, DbError, Timestamp, on};

/// The catalog's search index.
const INDEX: Index = Index {
    fts5_table: "catalog_entries_fts",
    tsvector_column: "search",
};

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Entry {
    /// Primary key.
    pub id: i64,
    /// Unique, in URLs.
    pub slug: String,
    /// Name.
    pub name: String,
    /// One line.
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// The maintaining community; `None`: staff.
    pub maintainer_community_id: Option<CommunityId>,
    /// Source repository.
    pub source_url: String,
    /// Documentation.
    pub docs_url: String,
    /// `public` or `private`.
    pub visibility: String,
    /// `draft`, `in_review`, `changes_requested`, `published`, `rejected`, `unpublished`.
    pub status: String,
    /// Shown first by staff's choice.
    pub featured: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Who may see entry `e`, with the viewer bound as `$1` (account, or NULL), `$2` (now: ended
/// memberships do not count) and `$3` (1 for staff, else 0): published public entries,
/// entries of the viewer's communities in any state, and everything for staff. Every query
/// that reads entries for a viewer goes through this one condition.
const VISIBLE: &str = "($3 = 1 OR (e.status = 'published' AND e.visibility = 'public') \
     OR e.maintainer_community_id IN (SELECT m.community_id FROM memberships m \
         WHERE m.account_id = $1 AND (m.ends_at IS NULL OR m.ends_at > $2)))";

const ENTRY_COLUMNS: &str = "e.id, e.slug, e.name, e.summary, e.description, \
     e.maintainer_community_id, e.source_url, e.docs_url, e.visibility, e.status, e.featured, \
     e.created_at";

/// The fields an import or an edit writes.
#[derive(Debug, Clone)]
pub struct EntryFields<'a> {
    /// Unique slug.
    pub slug: &'a str,
    /// Name.
    pub name: &'a str,
    /// One line.
    pub summary: &'a str,
    /// Markdown.
    pub description: &'a str,
    /// The maintaining community; `None`: staff.
    pub maintainer: Option<CommunityId>,
    /// Source repository URL.
    pub source_url: &'a str,
    /// Documentation URL.
    pub docs_url: &'a str,
    /// `public` or `private`.
    pub visibility: &'a str,
    /// Its review state.
    pub status: &'a str,
    /// Languages (lowercase ids).
    pub languages: &'a [String],
    /// Tags (lowercase slugs).
    pub tags: &'a [String],
}

fn search_words(f: &EntryFields<'_>) -> String {
    let labels = f.languages.join(" ") + " " + &f.tags.join(" ");
    search::document(&[f.slug, f.name, f.summary, f.description, &labels])
}

/// Inserts the entry `f.slug`, or updates it; returns its id and whether it was new.
pub async fn upsert_entry(
    mut conn: Conn<'_>,
    f: &EntryFields<'_>,
    now: Timestamp,
) -> Result<(i64, bool), DbError> {
    const FIND: &str = "SELECT id FROM catalog_entries WHERE slug = $1";
    let existing: Option<i64> =
        on!(conn.reborrow(), c => sqlx::query_scalar(FIND).bind(f.slug).fetch_optional(c).await)?;
    let words = search_words(f);
    let (id, new) = match existing {
        Some(id) => {
            const SQL: &str = "UPDATE catalog_entries SET name = $2, summary = $3, description = $4, \
                 maintainer_community_id = $5, source_url = $6, docs_url = $7, visibility = $8, \
                 status = $9, search_words = $10, updated_at = $11 WHERE id = $1";
            on!(conn.reborrow(), c => sqlx::query(SQL).bind(id).bind(f.name).bind(f.summary)
                .bind(f.description).bind(f.maintainer).bind(f.source_url).bind(f.docs_url)
                .bind(f.visibility).bind(f.status).bind(&words).bind(now)
                .execute(c).await.map(|_| ()))?;
            (id, false)
        }
        None => {
            const SQL: &str = "INSERT INTO catalog_entries (slug, name, summary, description, \
                 maintainer_community_id, source_url, docs_url, visibility, status, search_words, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
                 RETURNING id";
            let id: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(f.slug)
                .bind(f.name).bind(f.summary).bind(f.description).bind(f.maintainer)
                .bind(f.source_url).bind(f.docs_url).bind(f.visibility).bind(f.status)
                .bind(&words).bind(now).fetch_one(c).await)?;
            (id, true)
        }
    };
    const CLEAR: &str = "DELETE FROM catalog_labels WHERE entry_id = $1";
    on!(conn.reborrow(), c => sqlx::query(CLEAR).bind(id).execute(c).await.map(|_| ()))?;
    const LABEL: &str = "INSERT INTO catalog_labels (entry_id, kind, value) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING";
    for (kind, values) in [("language", f.languages), ("tag", f.tags)] {
        for value in values {
            on!(conn.reborrow(), c => sqlx::query(LABEL).bind(id).bind(kind).bind(value)
                .execute(c).await.map(|_| ()))?;
        }
    }
    Ok((id, new))
}

/// A version as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Version {
    /// Primary key.
    pub id: i64,
    /// Its entry.
    pub entry_id: i64,
    /// `2025.01`.
    pub version: String,
    /// OCI reference.
    pub image: String,
    /// Markdown.
    pub release_notes: String,
    /// Release date.
    pub released_on: NaiveDate,
    /// Deprecated: hubs using it are told, with the replacement.
    pub deprecated: bool,
    /// The version to move to.
    pub replacement_id: Option<i64>,
    /// A security notice, if any.
    pub security_notice: String,
}

/// The fields of a version.
#[derive(Debug, Clone)]
pub struct VersionFields<'a> {
    /// `2025.01`.
    pub version: &'a str,
    /// OCI reference.
    pub image: &'a str,
    /// Markdown.
    pub release_notes: &'a str,
    /// Release date.
    pub released_on: NaiveDate,
    /// Deprecated.
    pub deprecated: bool,
    /// A security notice.
    pub security_notice: &'a str,
}

/// Inserts the version, or updates it (by entry and version name); returns its id and
/// whether it was new.
pub async fn upsert_version(
    mut conn: Conn<'_>,
    entry: i64,
    v: &VersionFields<'_>,
    now: Timestamp,
) -> Result<(i64, bool), DbError> {
    const FIND: &str = "SELECT id FROM catalog_versions WHERE entry_id = $1 AND version = $2";
    let existing: Option<i64> = on!(conn.reborrow(), c => sqlx::query_scalar(FIND).bind(entry)
        .bind(v.version).fetch_optional(c).await)?;
    match existing {
        Some(id) => {
            const SQL: &str = "UPDATE catalog_versions SET image = $2, release_notes = $3, \
                 released_on = $4, deprecated = $5, security_notice = $6 WHERE id = $1";
            on!(conn, c => sqlx::query(SQL).bind(id).bind(v.image).bind(v.release_notes)
                .bind(v.released_on).bind(v.deprecated).bind(v.security_notice)
                .execute(c).await.map(|_| ()))?;
            Ok((id, false))
        }
        None => {
            const SQL: &str = "INSERT INTO catalog_versions (entry_id, version, image, \
                 release_notes, released_on, deprecated, security_notice, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
            let id: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(entry).bind(v.version)
                .bind(v.image).bind(v.release_notes).bind(v.released_on).bind(v.deprecated)
                .bind(v.security_notice).bind(now).fetch_one(c).await)?;
            Ok((id, true))
        }
    }
}

/// Sets (or clears) the version a deprecated one recommends moving to.
pub async fn set_replacement(
    conn: Conn<'_>,
    version: i64,
    replacement: Option<i64>,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE catalog_versions SET replacement_id = $2 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(version).bind(replacement).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The versions of an entry, newest release first.
pub async fn versions(conn: Conn<'_>, entry: i64) -> Result<Vec<Version>, DbError> {
    const SQL: &str = "SELECT id, entry_id, version, image, release_notes, released_on, deprecated, \
         replacement_id, security_notice FROM catalog_versions WHERE entry_id = $1 \
         ORDER BY released_on DESC, id DESC";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(entry).fetch_all(c).await)?)
}

/// The labels of an entry: (languages, tags), sorted.
pub async fn labels(conn: Conn<'_>, entry: i64) -> Result<(Vec<String>, Vec<String>), DbError> {
    const SQL: &str =
        "SELECT kind, value FROM catalog_labels WHERE entry_id = $1 ORDER BY kind, value";
    let rows: Vec<(String, String)> =
        on!(conn, c => sqlx::query_as(SQL).bind(entry).fetch_all(c).await)?;
    let (mut languages, mut tags) = (Vec::new(), Vec::new());
    for (kind, value) in rows {
        if kind == "language" {
            languages.push(value);
        } else {
            tags.push(value);
        }
    }
    Ok((languages, tags))
}

/// Who is looking: entries are shown when published and public, or maintained by one of the
/// viewer's communities (any state), or to staff (any).
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// The signed-in account, if any.
    pub account: Option<AccountId>,
    /// Staff see every entry.
    pub staff: bool,
    /// Memberships that ended by now do not count.
    pub now: Timestamp,
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// By name.
    Name,
    /// Newest first.
    Newest,
}

/// What to list.
#[derive(Debug, Clone)]
pub struct Listing<'a> {
    /// Search-box text.
    pub search: &'a str,
    /// Only entries with this language.
    pub language: Option<&'a str>,
    /// Only entries with this tag.
    pub tag: Option<&'a str>,
    /// Order.
    pub sort: Sort,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// A page of entries and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPage {
    /// This page.
    pub items: Vec<Entry>,
    /// Matching entries the viewer may see.
    pub total: i64,
}

/// The entries `viewer` may see that match `listing`.
pub async fn list(
    mut conn: Conn<'_>,
    viewer: &Viewer,
    listing: &Listing<'_>,
) -> Result<EntryPage, DbError> {
    let backend = conn.backend();
    // Parameters: $1 account (or NULL), $2 now, $3 staff, $4 language, $5 tag, $6 words,
    // then $7 limit, $8 offset for the page.
    let mut conditions = vec![
        VISIBLE.to_owned(),
        "($4 IS NULL OR e.id IN (SELECT l.entry_id FROM catalog_labels l \
              WHERE l.kind = 'language' AND l.value = $4))"
            .to_owned(),
        "($5 IS NULL OR e.id IN (SELECT l.entry_id FROM catalog_labels l \
              WHERE l.kind = 'tag' AND l.value = $5))"
            .to_owned(),
    ];
    let words = match Query::parse(listing.search) {
        Query::All => None,
        Query::Nothing => {
            return Ok(EntryPage {
                items: Vec::new(),
                total: 0,
            });
        }
        Query::Words(words) => Some(words),
    };
    let matched = match &words {
        Some(words) => {
            let (condition, bind) = INDEX.condition(backend, "e.id", 6, words);
            conditions.push(condition);
            Some(bind)
        }
        None => {
            conditions.push("$6 IS NULL".to_owned());
            None
        }
    };
    let filter = conditions.join(" AND ");
    let staff = i64::from(viewer.staff);
    let count_sql = format!("SELECT COUNT(*) FROM catalog_entries e WHERE {filter}");
    let total: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(&count_sql)
        .bind(viewer.account).bind(viewer.now).bind(staff).bind(listing.language).bind(listing.tag)
        .bind(matched.as_deref()).fetch_one(c).await)?;
    if total <= listing.offset {
        return Ok(EntryPage {
            items: Vec::new(),
            total,
        });
    }
    let order = match listing.sort {
        Sort::Name => "e.featured DESC, e.name, e.id",
        Sort::Newest => "e.created_at DESC, e.id DESC",
    };
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM catalog_entries e WHERE {filter} ORDER BY {order} \
         LIMIT $7 OFFSET $8"
    );
    let items = on!(conn, c => sqlx::query_as(&sql)
        .bind(viewer.account).bind(viewer.now).bind(staff).bind(listing.language).bind(listing.tag)
        .bind(matched.as_deref()).bind(listing.limit).bind(listing.offset).fetch_all(c).await)?;
    Ok(EntryPage { items, total })
}

/// The entry `slug` if `viewer` may see it.
pub async fn get(conn: Conn<'_>, viewer: &Viewer, slug: &str) -> Result<Option<Entry>, DbError> {
    let sql =
        format!("SELECT {ENTRY_COLUMNS} FROM catalog_entries e WHERE e.slug = $4 AND {VISIBLE}");
    Ok(
        on!(conn, c => sqlx::query_as(&sql).bind(viewer.account).bind(viewer.now)
        .bind(i64::from(viewer.staff)).bind(slug).fetch_optional(c).await)?,
    )
}

/// The languages and tags in use among entries `viewer` may see, with how many entries
/// carry each: (kind, value, count), for the filters.
pub async fn facets(
    conn: Conn<'_>,
    viewer: &Viewer,
) -> Result<Vec<(String, String, i64)>, DbError> {
    let sql = format!(
        "SELECT l.kind, l.value, COUNT(*) FROM catalog_labels l \
         JOIN catalog_entries e ON e.id = l.entry_id WHERE {VISIBLE} \
         GROUP BY l.kind, l.value ORDER BY l.kind, l.value"
    );
    Ok(
        on!(conn, c => sqlx::query_as(&sql).bind(viewer.account).bind(viewer.now)
        .bind(i64::from(viewer.staff)).fetch_all(c).await)?,
    )
}

/// The labels of several entries: (entry, kind, value), by entry then kind and value.
pub async fn labels_of(
    conn: Conn<'_>,
    entries: &[i64],
) -> Result<Vec<(i64, String, String)>, DbError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers from the store, written in (one statement per page size is fine).
    let ids: Vec<String> = entries.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT entry_id, kind, value FROM catalog_labels WHERE entry_id IN ({}) \
         ORDER BY entry_id, kind, value",
        ids.join(", ")
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).fetch_all(c).await)?)
}

/// The names of communities that maintain entries: (id, name).
pub async fn maintainer_names(
    conn: Conn<'_>,
    communities: &[CommunityId],
) -> Result<Vec<(CommunityId, String)>, DbError> {
    if communities.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = communities.iter().map(|c| c.0.to_string()).collect();
    let sql = format!(
        "SELECT id, name FROM communities WHERE id IN ({})",
        ids.join(", ")
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).fetch_all(c).await)?)
}
