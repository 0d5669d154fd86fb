//! The shared catalog of environments (migration 0017): entries, their languages and tags,
//! and their versions; listed and searched with who may see what decided in the query, so a
//! private entry never reaches another community (not in a list, a count or a search).

use chrono::NaiveDate;

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::hubs::HubId;
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
    /// Hubs whose applied revision uses one of its versions now.
    pub used_by: i64,
    /// What staff said at the last review (empty if nothing).
    pub review_message: String,
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
     e.created_at, (SELECT COUNT(DISTINCT u.hub_id) FROM hub_catalog_uses u \
         WHERE u.entry_id = e.id) AS used_by, e.review_message";

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
    /// Used by the most hubs first.
    Popular,
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
        Sort::Popular => "used_by DESC, e.name, e.id",
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

/// One environment of a hub that comes from the catalog, as its applied revision says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use<'a> {
    /// The environment's slug in the hub.
    pub environment: &'a str,
    /// The entry's slug.
    pub entry: &'a str,
    /// The version's name.
    pub version: &'a str,
}

/// Replaces what `hub` is recorded to use with `uses` (those naming an entry or version no
/// longer in the catalog are left out: nothing to count or notify).
pub async fn record_uses(mut conn: Conn<'_>, hub: HubId, uses: &[Use<'_>]) -> Result<(), DbError> {
    const CLEAR: &str = "DELETE FROM hub_catalog_uses WHERE hub_id = $1";
    const ADD: &str = "INSERT INTO hub_catalog_uses (hub_id, environment, entry_id, version_id) \
         SELECT $1, $2, e.id, v.id FROM catalog_entries e \
         JOIN catalog_versions v ON v.entry_id = e.id WHERE e.slug = $3 AND v.version = $4";
    on!(conn.reborrow(), c => sqlx::query(CLEAR).bind(hub.0).execute(c).await.map(|_| ()))?;
    for u in uses {
        on!(conn.reborrow(), c => sqlx::query(ADD).bind(hub.0).bind(u.environment).bind(u.entry)
            .bind(u.version).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// The communities using `entry` that chose to be named in the catalog: (name, slug), by
/// name. Only the community's own choice lets it appear, whoever looks.
pub async fn listed_users(conn: Conn<'_>, entry: i64) -> Result<Vec<(String, String)>, DbError> {
    const SQL: &str = "SELECT DISTINCT c.name, c.slug FROM hub_catalog_uses u \
         JOIN hubs h ON h.id = u.hub_id JOIN communities c ON c.id = h.community_id \
         WHERE u.entry_id = $1 AND c.listed_in_catalog ORDER BY c.name, c.slug";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(entry).fetch_all(c).await)?)
}

/// A hub environment using a catalog version that is deprecated or has a security notice,
/// with what to move to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Warning {
    /// The environment's slug in the hub.
    pub environment: String,
    /// The entry's slug.
    pub entry_slug: String,
    /// The entry's name.
    pub entry_name: String,
    /// The version used.
    pub version_id: i64,
    /// Its name.
    pub version: String,
    /// Deprecated.
    pub deprecated: bool,
    /// The security notice, if any (empty otherwise).
    pub security_notice: String,
    /// The recommended replacement's name, if any.
    pub replacement: Option<String>,
}

/// What `hub`'s applied revision uses that is deprecated or has a security notice.
pub async fn warnings(conn: Conn<'_>, hub: HubId) -> Result<Vec<Warning>, DbError> {
    const SQL: &str = "SELECT u.environment, e.slug AS entry_slug, e.name AS entry_name, \
         v.id AS version_id, v.version, v.deprecated, v.security_notice, r.version AS replacement \
         FROM hub_catalog_uses u JOIN catalog_versions v ON v.id = u.version_id \
         JOIN catalog_entries e ON e.id = u.entry_id \
         LEFT JOIN catalog_versions r ON r.id = v.replacement_id \
         WHERE u.hub_id = $1 AND (v.deprecated OR v.security_notice <> '') ORDER BY u.environment";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(hub.0).fetch_all(c).await)?)
}

/// The hubs using `version` now: (hub, community), by hub.
pub async fn hubs_using(
    conn: Conn<'_>,
    version: i64,
) -> Result<Vec<(HubId, CommunityId)>, DbError> {
    const SQL: &str = "SELECT DISTINCT h.id, h.community_id FROM hub_catalog_uses u \
         JOIN hubs h ON h.id = u.hub_id WHERE u.version_id = $1 ORDER BY h.id";
    let rows: Vec<(i64, CommunityId)> =
        on!(conn, c => sqlx::query_as(SQL).bind(version).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(h, c)| (HubId(h), c)).collect())
}

/// The slugs of `hub`'s environments using `version`, sorted.
pub async fn environments_using(
    conn: Conn<'_>,
    hub: HubId,
    version: i64,
) -> Result<Vec<String>, DbError> {
    const SQL: &str = "SELECT environment FROM hub_catalog_uses WHERE hub_id = $1 \
         AND version_id = $2 ORDER BY environment";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(hub.0).bind(version).fetch_all(c).await)?)
}

/// Records that `hub`'s admins were told `kind` (`deprecated` or `security`) about `version`;
/// false when they were already (so each notice is mailed once, whoever asks again).
pub async fn claim_notice(
    conn: Conn<'_>,
    version: i64,
    hub: HubId,
    kind: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO catalog_notices_sent (version_id, hub_id, kind, sent_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    let done = on!(conn, c => sqlx::query(SQL).bind(version).bind(hub.0).bind(kind).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Marks `version` deprecated (with the version to move to) or not.
pub async fn set_deprecated(
    conn: Conn<'_>,
    version: i64,
    deprecated: bool,
    replacement: Option<i64>,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE catalog_versions SET deprecated = $2, replacement_id = $3 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(version).bind(deprecated).bind(replacement)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Sets `version`'s security notice (empty: none).
pub async fn set_security_notice(
    conn: Conn<'_>,
    version: i64,
    notice: &str,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE catalog_versions SET security_notice = $2 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(version).bind(notice).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Sets an entry's review state and what staff said.
pub async fn set_review(
    conn: Conn<'_>,
    entry: i64,
    status: &str,
    message: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE catalog_entries SET status = $2, review_message = $3, \
         updated_at = $4 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(entry).bind(status).bind(message).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Shows an entry first in the catalog (staff's choice), or not.
pub async fn set_featured(conn: Conn<'_>, entry: i64, featured: bool) -> Result<(), DbError> {
    const SQL: &str = "UPDATE catalog_entries SET featured = $2 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(entry).bind(featured).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Entries waiting for staff review, oldest first: (slug, name, maintaining community).
pub async fn in_review(conn: Conn<'_>) -> Result<Vec<(String, String, String)>, DbError> {
    const SQL: &str = "SELECT e.slug, e.name, COALESCE(c.name, '') FROM catalog_entries e \
         LEFT JOIN communities c ON c.id = e.maintainer_community_id \
         WHERE e.status = 'in_review' ORDER BY e.updated_at, e.id";
    Ok(on!(conn, c => sqlx::query_as(SQL).fetch_all(c).await)?)
}

/// The catalog list's generation (migration 0019): it moves, by trigger, with every
/// committed change to what the list shows. Read it before the data a cached page holds, in
/// the same snapshot or earlier, so that a page is never kept under a later generation than
/// the data it was made from.
pub async fn generation(conn: Conn<'_>) -> Result<i64, DbError> {
    const SQL: &str = "SELECT generation FROM catalog_generation WHERE id = 1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).fetch_one(c).await)?)
}

/// The viewer's communities whose entries only their members see (private, or not
/// published yet), in id order: with [`Viewer::staff`], all that decides which entries a
/// viewer may see besides the published public ones, so viewers with the same answer see
/// the same list. Reads the maintainer index for the viewer's memberships.
pub async fn own_hidden(conn: Conn<'_>, viewer: &Viewer) -> Result<Vec<CommunityId>, DbError> {
    let Some(account) = viewer.account else {
        return Ok(Vec::new());
    };
    const SQL: &str = "SELECT DISTINCT e.maintainer_community_id FROM catalog_entries e \
         WHERE e.maintainer_community_id IN (SELECT m.community_id FROM memberships m \
             WHERE m.account_id = $1 AND (m.ends_at IS NULL OR m.ends_at > $2)) \
         AND NOT (e.status = 'published' AND e.visibility = 'public') \
         ORDER BY e.maintainer_community_id";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(account).bind(viewer.now).fetch_all(c).await)?)
}
