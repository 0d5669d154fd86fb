//! The staff console's lists across every community (issue 14): hubs with their state, and
//! provisioning changes. Each is one page query plus one count, filtered in SQL and bounded
//! by `LIMIT`, with per-row figures (the last change, this month's active people) read by
//! correlated subqueries on indexes for the page's rows only: the cost of a page does not
//! grow with the number of communities beyond the filter's own scan.

use chrono::NaiveDate;

use crate::deployments::{Action, DeploymentId, State};
use crate::hubs::HubId;
use crate::{Conn, DbError, Page, Timestamp, on};

/// `text` as a case-insensitive `LIKE` pattern matching it anywhere (`%`, `_` and `\`
/// escaped; used with `ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// Which hubs a console list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HubFilter {
    /// Every hub.
    #[default]
    All,
    /// What runs is not what the community asked to run (applied ≠ deployed).
    Drift,
    /// The last change failed.
    Failed,
    /// A change is on its way.
    Busy,
    /// Saved revisions not applied yet.
    Unapplied,
}

/// One hub in the console.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HubRow {
    /// Key.
    pub id: HubId,
    /// Its slug.
    pub slug: String,
    /// Its community's slug.
    pub community_slug: String,
    /// Its community's name.
    pub community_name: String,
    /// The newest revision (0: none).
    pub latest_revision: i32,
    /// The revision the community asked to run.
    pub applied_revision: Option<i32>,
    /// The revision the backend last ran.
    pub deployed_revision: Option<i32>,
    /// `running`, `stopped`, or none before the first deploy.
    pub desired_state: Option<String>,
    /// The last change: its action.
    pub last_action: Option<String>,
    /// Its revision.
    pub last_revision: Option<i32>,
    /// Its state.
    pub last_state: Option<String>,
    /// Its last word.
    pub last_message: Option<String>,
    /// When it last moved.
    pub last_at: Option<Timestamp>,
    /// People who started a server this month.
    pub active_users: i64,
}

const LAST: &str = "(SELECT MAX(d.id) FROM hub_deployments d WHERE d.hub_id = h.id)";

/// Hubs whose latest change is in one of `states` (SQL string literals).
fn last_change_in(states: &str) -> String {
    format!(
        "h.id IN (SELECT s.hub_id FROM hub_deployments s WHERE s.state IN ({states}) \
         AND s.id = (SELECT MAX(l.id) FROM hub_deployments l WHERE l.hub_id = s.hub_id))"
    )
}

/// Hubs whose community's name or slug, or whose own slug, contains `q` (empty: any),
/// narrowed by `filter`, by community name (read along its index); `month` is the first day of the month whose
/// active people are counted.
pub async fn hubs(
    mut conn: Conn<'_>,
    q: &str,
    filter: HubFilter,
    month: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<Page<HubRow>, DbError> {
    let mut conditions = Vec::new();
    if !q.is_empty() {
        conditions.push(
            "(lower(c.name) LIKE $1 ESCAPE '\\' OR c.slug LIKE $1 ESCAPE '\\' \
             OR h.slug LIKE $1 ESCAPE '\\')"
                .to_owned(),
        );
    } else {
        conditions.push("$1 = $1".to_owned());
    }
    match filter {
        HubFilter::All => {}
        HubFilter::Drift => conditions.push(
            "h.applied_revision IS NOT NULL \
             AND (h.deployed_revision IS NULL OR h.deployed_revision <> h.applied_revision)"
                .to_owned(),
        ),
        HubFilter::Unapplied => {
            conditions.push("h.latest_revision > COALESCE(h.applied_revision, 0)".to_owned())
        }
        // From the changes in that state (the state index), those that are their hub's
        // latest: a few index reads per failed change, rather than per hub.
        HubFilter::Failed => conditions.push(last_change_in("'failed'")),
        HubFilter::Busy => conditions.push(last_change_in(
            "'requested', 'validated', 'deploying', 'deployed'",
        )),
    }
    let filter_sql = conditions.join(" AND ");
    let pattern = contains_pattern(q);
    let from = "FROM hubs h JOIN communities c ON c.id = h.community_id";
    // Without a search the count needs no community: hubs alone, read from an index.
    let count_from = if q.is_empty() { "FROM hubs h" } else { from };
    let count_sql = format!("SELECT COUNT(*) {count_from} WHERE {filter_sql}");
    let total: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(&count_sql)
        .bind(&pattern).fetch_one(c).await)?;
    if total <= offset {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    // Deferred join: the page's hub ids come from the filter and the order alone; the last
    // change and the month's active people are then read for those 50 rows only. Computed
    // in the same query for every matching hub before the sort, they cost 55 ms a page on
    // PostgreSQL with 10,000 hubs (bench/README.md).
    let sql = format!(
        "SELECT h.id, h.slug, c.slug AS community_slug, c.name AS community_name, \
                h.latest_revision, h.applied_revision, h.deployed_revision, h.desired_state, \
                d.action AS last_action, d.revision AS last_revision, d.state AS last_state, \
                d.message AS last_message, d.updated_at AS last_at, \
                (SELECT COUNT(DISTINCT a.hub_username) FROM hub_active_days a \
                   WHERE a.hub_id = h.id AND a.day >= $2) AS active_users \
         FROM (SELECT h.id AS page_id, c.name AS page_name, c.id AS page_community \
               {from} WHERE {filter_sql} \
               ORDER BY c.name, c.id, h.id LIMIT $3 OFFSET $4) p \
         JOIN hubs h ON h.id = p.page_id JOIN communities c ON c.id = h.community_id \
         LEFT JOIN hub_deployments d ON d.id = {LAST} \
         ORDER BY p.page_name, p.page_community, h.id"
    );
    let items = on!(conn, c => sqlx::query_as(&sql).bind(&pattern).bind(month).bind(limit)
        .bind(offset).fetch_all(c).await)?;
    Ok(Page { items, total })
}

/// Which changes a console list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangeFilter {
    /// Not finished (requested, validated, deploying, deployed).
    #[default]
    Open,
    /// Failed.
    Failed,
    /// Every change.
    All,
}

/// One provisioning change in the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    /// Key.
    pub id: DeploymentId,
    /// The hub's slug.
    pub hub_slug: String,
    /// Its community's slug.
    pub community_slug: String,
    /// Its community's name.
    pub community_name: String,
    /// What it does.
    pub action: Action,
    /// The revision it applies.
    pub revision: Option<i32>,
    /// Where it stands.
    pub state: State,
    /// The backend's last word.
    pub message: Option<String>,
    /// Backend attempts so far.
    pub attempts: i32,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// When it last moved.
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct ChangeRecord {
    id: DeploymentId,
    hub_slug: String,
    community_slug: String,
    community_name: String,
    action: String,
    revision: Option<i32>,
    state: String,
    message: Option<String>,
    attempts: i32,
    requested_at: Timestamp,
    updated_at: Timestamp,
}

/// Provisioning changes narrowed by `filter` (and to the community `community` when given),
/// newest first. The (state, id) index serves the state filters; the newest-first walk of
/// the primary key serves the rest.
pub async fn changes(
    mut conn: Conn<'_>,
    filter: ChangeFilter,
    community: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Page<ChangeRow>, DbError> {
    let mut conditions = vec![match filter {
        ChangeFilter::Open => "d.state IN ('requested', 'validated', 'deploying', 'deployed')",
        ChangeFilter::Failed => "d.state = 'failed'",
        ChangeFilter::All => "1 = 1",
    }];
    conditions.push(if community.is_some() {
        "c.slug = $1"
    } else {
        "$1 = $1"
    });
    let filter_sql = conditions.join(" AND ");
    let from = "FROM hub_deployments d JOIN hubs h ON h.id = d.hub_id \
                JOIN communities c ON c.id = h.community_id";
    let slug = community.unwrap_or("");
    let count_sql = format!("SELECT COUNT(*) {from} WHERE {filter_sql}");
    let total: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(&count_sql)
        .bind(slug).fetch_one(c).await)?;
    if total <= offset {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let sql = format!(
        "SELECT d.id, h.slug AS hub_slug, c.slug AS community_slug, c.name AS community_name, \
                d.action, d.revision, d.state, d.message, d.attempts, d.requested_at, d.updated_at \
         {from} WHERE {filter_sql} ORDER BY d.id DESC LIMIT $2 OFFSET $3"
    );
    let rows: Vec<ChangeRecord> = on!(conn, c => sqlx::query_as(&sql).bind(slug).bind(limit)
        .bind(offset).fetch_all(c).await)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| ChangeRow {
                id: r.id,
                hub_slug: r.hub_slug,
                community_slug: r.community_slug,
                community_name: r.community_name,
                action: crate::deployments::Action::parse(&r.action),
                revision: r.revision,
                state: State::parse(&r.state).unwrap_or(State::Failed),
                message: r.message,
                attempts: r.attempts,
                requested_at: r.requested_at,
                updated_at: r.updated_at,
            })
            .collect(),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn patterns_escape_what_like_reads() {
        assert_eq!(contains_pattern("Ocean"), "%ocean%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
