//! Hubs and their revisions (migration 0010). A revision is written once and never changed;
//! the spec is stored as the JSON that `stoa_hubs` reads (it carries its own schema version),
//! so this module knows nothing of what a hub is configured with.

use serde::Serialize;

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Page, Timestamp, on};

/// Primary key of a hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct HubId(pub i64);

/// A hub and where its revisions stand.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Hub {
    /// Key.
    pub id: HubId,
    /// The community it belongs to.
    pub community_id: CommunityId,
    /// Its name in host names.
    pub slug: String,
    /// The newest revision's number (0: none yet).
    pub latest_revision: i32,
    /// The revision the community asked to run, if any.
    pub applied_revision: Option<i32>,
    /// When that was asked.
    pub applied_at: Option<Timestamp>,
    /// Who asked.
    pub applied_by: Option<AccountId>,
    /// Created.
    pub created_at: Timestamp,
    /// The provisioning backend that created it (`local`), once created.
    pub backend: Option<String>,
    /// The Stoa process that owns it, for backends that tie a hub to one.
    pub runner: Option<String>,
    /// The address people open, once created.
    pub url: Option<String>,
    /// `running` or `stopped`; none before its first deploy.
    pub desired_state: Option<String>,
    /// The newest revision the backend ran successfully.
    pub deployed_revision: Option<i32>,
}

const HUB_COLUMNS: &str = "id, community_id, slug, latest_revision, applied_revision, applied_at, \
     applied_by, created_at, backend, runner, url, desired_state, deployed_revision";

/// Creates a hub for `community` with no revision yet. A slug already taken is
/// [`DbError::Conflict`].
pub async fn create(
    conn: Conn<'_>,
    community: CommunityId,
    slug: &str,
    now: Timestamp,
) -> Result<HubId, DbError> {
    const SQL: &str =
        "INSERT INTO hubs (community_id, slug, created_at) VALUES ($1, $2, $3) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(slug).bind(now)
        .fetch_one(c).await)?,
    )
}

/// The hubs of `community`, oldest first.
pub async fn of_community(conn: Conn<'_>, community: CommunityId) -> Result<Vec<Hub>, DbError> {
    let sql = format!("SELECT {HUB_COLUMNS} FROM hubs WHERE community_id = $1 ORDER BY id");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).fetch_all(c).await)?)
}

/// One hub.
pub async fn get(conn: Conn<'_>, hub: HubId) -> Result<Option<Hub>, DbError> {
    let sql = format!("SELECT {HUB_COLUMNS} FROM hubs WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(hub).fetch_optional(c).await)?)
}

/// A revision to write.
#[derive(Debug, Clone)]
pub struct NewRevision<'a> {
    /// The revision the edit started from (0 for the first revision of a hub).
    pub base: i32,
    /// Set when this restores an older revision.
    pub rollback_of: Option<i32>,
    /// Who saved it.
    pub author: AccountId,
    /// Their short message.
    pub message: &'a str,
    /// The spec, as JSON.
    pub spec: &'a str,
}

/// What happened to a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Written under this number.
    As(i32),
    /// Someone saved another revision since `base`: nothing written; this is the latest.
    Stale {
        /// The latest revision's number now.
        latest: i32,
    },
}

/// Adds a revision after `new.base`, which must still be the hub's latest revision
/// (optimistic concurrency: the conditional UPDATE moves the counter only from `base`, so of
/// two saves from the same base exactly one wins, on both engines and across processes,
/// without holding a lock while the person edits).
pub async fn add_revision(
    mut conn: Conn<'_>,
    hub: HubId,
    new: &NewRevision<'_>,
    now: Timestamp,
) -> Result<Saved, DbError> {
    const BUMP: &str = "UPDATE hubs SET latest_revision = latest_revision + 1 \
         WHERE id = $1 AND latest_revision = $2 RETURNING latest_revision";
    let number: Option<i32> = on!(conn.reborrow(), c => sqlx::query_scalar(BUMP)
        .bind(hub).bind(new.base).fetch_optional(c).await)?;
    let Some(number) = number else {
        const LATEST: &str = "SELECT latest_revision FROM hubs WHERE id = $1";
        let latest: Option<i32> = on!(conn, c => sqlx::query_scalar(LATEST).bind(hub)
            .fetch_optional(c).await)?;
        return match latest {
            Some(latest) => Ok(Saved::Stale { latest }),
            None => Err(DbError::NotFound),
        };
    };
    const INSERT: &str = "INSERT INTO hub_revisions \
         (hub_id, number, base, rollback_of, author_id, message, spec, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    let base = (new.base > 0).then_some(new.base);
    on!(conn, c => sqlx::query(INSERT).bind(hub).bind(number).bind(base).bind(new.rollback_of)
        .bind(new.author).bind(new.message).bind(new.spec).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(Saved::As(number))
}

/// Revisions of `hub` saved at or after `since` (the daily cap on saves).
pub async fn revisions_since(conn: Conn<'_>, hub: HubId, since: Timestamp) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM hub_revisions WHERE hub_id = $1 AND created_at >= $2";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(hub).bind(since).fetch_one(c).await)?)
}

/// A revision as the history lists it (without its spec).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RevisionSummary {
    /// Its number, from 1.
    pub number: i32,
    /// The revision the edit started from.
    pub base: Option<i32>,
    /// The revision it restores, for a rollback.
    pub rollback_of: Option<i32>,
    /// Its author (None once their account is gone).
    pub author_id: Option<AccountId>,
    /// The author's name now (None once their account is gone).
    pub author_name: Option<String>,
    /// Their message.
    pub message: String,
    /// When it was saved.
    pub created_at: Timestamp,
}

/// A revision with its spec.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Revision {
    /// What the history shows.
    #[sqlx(flatten)]
    pub summary: RevisionSummary,
    /// The spec, as JSON.
    pub spec: String,
}

const SUMMARY_COLUMNS: &str =
    "r.number, r.base, r.rollback_of, r.author_id, a.name AS author_name, r.message, r.created_at";

/// The history of `hub`, newest first.
pub async fn revisions(
    mut conn: Conn<'_>,
    hub: HubId,
    limit: i64,
    offset: i64,
) -> Result<Page<RevisionSummary>, DbError> {
    const COUNT: &str = "SELECT COUNT(*) FROM hub_revisions WHERE hub_id = $1";
    let total: i64 =
        on!(conn.reborrow(), c => sqlx::query_scalar(COUNT).bind(hub).fetch_one(c).await)?;
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM hub_revisions r LEFT JOIN accounts a ON a.id = r.author_id \
         WHERE r.hub_id = $1 ORDER BY r.number DESC LIMIT $2 OFFSET $3"
    );
    let items = on!(conn, c => sqlx::query_as(&sql).bind(hub).bind(limit).bind(offset)
        .fetch_all(c).await)?;
    Ok(Page { items, total })
}

/// Revision `number` of `hub`, spec included.
pub async fn revision(
    conn: Conn<'_>,
    hub: HubId,
    number: i32,
) -> Result<Option<Revision>, DbError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, r.spec FROM hub_revisions r \
         LEFT JOIN accounts a ON a.id = r.author_id WHERE r.hub_id = $1 AND r.number = $2"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(hub).bind(number).fetch_optional(c).await)?)
}

/// Records that the community asked to run revision `number` (the deploy itself is the
/// provisioning backend's). A number the hub does not have is [`DbError::NotFound`].
pub async fn request_apply(
    conn: Conn<'_>,
    hub: HubId,
    number: i32,
    by: AccountId,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE hubs SET applied_revision = $2, applied_at = $3, applied_by = $4 \
         WHERE id = $1 AND $2 BETWEEN 1 AND latest_revision";
    let rows = on!(conn, c => sqlx::query(SQL).bind(hub).bind(number).bind(now).bind(by)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// Records where the backend placed the hub (at its creation; the address never changes).
pub async fn set_placement(
    conn: Conn<'_>,
    hub: HubId,
    backend: &str,
    runner: Option<&str>,
    url: &str,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE hubs SET backend = $2, runner = $3, url = $4 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(hub).bind(backend).bind(runner).bind(url)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// Records whether the hub should run (`running`, `stopped`).
pub async fn set_desired_state(conn: Conn<'_>, hub: HubId, state: &str) -> Result<(), DbError> {
    const SQL: &str = "UPDATE hubs SET desired_state = $2 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(hub).bind(state).execute(c).await.map(drop))?;
    Ok(())
}

/// Records the revision the backend now runs.
pub async fn set_deployed(conn: Conn<'_>, hub: HubId, revision: i32) -> Result<(), DbError> {
    const SQL: &str = "UPDATE hubs SET deployed_revision = $2 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(hub).bind(revision).execute(c).await.map(drop))?;
    Ok(())
}

/// Hubs that should run and that `runner` may run (tied to it, or to none).
pub async fn to_run(conn: Conn<'_>, runner: &str) -> Result<Vec<Hub>, DbError> {
    let sql = format!(
        "SELECT {HUB_COLUMNS} FROM hubs WHERE desired_state = 'running' \
         AND (runner IS NULL OR runner = $1) ORDER BY id"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(runner).fetch_all(c).await)?)
}
