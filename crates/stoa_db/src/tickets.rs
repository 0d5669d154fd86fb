//! Support tickets and their messages (migration 0020). Who may see which ticket is decided
//! by the caller (stoa_domain::support); internal notes are left out in the query unless
//! asked for, so a member's answer never carries one.

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::hubs::HubId;
use crate::search::{self, Index, Query};
use crate::{Conn, DbError, Page, Timestamp, on};

/// The tickets' search index.
const INDEX: Index = Index {
    fts5_table: "tickets_fts",
    tsvector_column: "search",
};

/// A ticket as stored, with its community's slug and name and the people's names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ticket {
    /// Its number.
    pub id: i64,
    /// The community it belongs to.
    pub community_id: CommunityId,
    /// That community's slug.
    pub community_slug: String,
    /// That community's name.
    pub community_name: String,
    /// The hub it is about.
    pub hub_id: Option<HubId>,
    /// Who opened it.
    pub opened_by: Option<AccountId>,
    /// Their name.
    pub opened_by_name: Option<String>,
    /// `incident`, `change_request`, …
    pub kind: String,
    /// `low` … `critical`.
    pub impact: String,
    /// `new` … `closed`.
    pub status: String,
    /// One line.
    pub title: String,
    /// Markdown.
    pub body: String,
    /// JSON snapshot of the hub when opened (empty: none).
    pub hub_state: String,
    /// The staff member on it.
    pub assignee_id: Option<AccountId>,
    /// Their name.
    pub assignee_name: Option<String>,
    /// The plan whose targets apply.
    pub plan: String,
    /// SLA: first response target, business seconds.
    pub first_response_target_secs: i64,
    /// SLA: first response due.
    pub first_response_due_at: Timestamp,
    /// SLA: first public answer by staff.
    pub first_responded_at: Option<Timestamp>,
    /// SLA: resolution target, business seconds.
    pub resolution_target_secs: i64,
    /// SLA: business seconds counted in earlier runs.
    pub resolution_spent_secs: i64,
    /// SLA: when the current run began (`None`: paused).
    pub resolution_running_since: Option<Timestamp>,
    /// SLA: when resolution is due, while running.
    pub resolution_due_at: Option<Timestamp>,
    /// When the first-response breach was found.
    pub first_response_breached_at: Option<Timestamp>,
    /// When the resolution breach was found.
    pub resolution_breached_at: Option<Timestamp>,
    /// When last resolved.
    pub resolved_at: Option<Timestamp>,
    /// Opened.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "t.id, t.community_id, c.slug AS community_slug, c.name AS community_name, \
     t.hub_id, t.opened_by, o.name AS opened_by_name, t.kind, t.impact, t.status, t.title, \
     t.body, t.hub_state, t.assignee_id, a.name AS assignee_name, t.plan, \
     t.first_response_target_secs, t.first_response_due_at, t.first_responded_at, \
     t.resolution_target_secs, t.resolution_spent_secs, t.resolution_running_since, \
     t.resolution_due_at, t.first_response_breached_at, t.resolution_breached_at, \
     t.resolved_at, t.created_at, t.updated_at";

const FROM: &str = "tickets t JOIN communities c ON c.id = t.community_id \
     LEFT JOIN accounts o ON o.id = t.opened_by LEFT JOIN accounts a ON a.id = t.assignee_id";

/// The SLA columns, as [`save`] writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    /// First response target, business seconds.
    pub first_response_target_secs: i64,
    /// First response due.
    pub first_response_due_at: Timestamp,
    /// First public answer by staff.
    pub first_responded_at: Option<Timestamp>,
    /// Resolution target, business seconds.
    pub resolution_target_secs: i64,
    /// Business seconds counted in earlier runs.
    pub resolution_spent_secs: i64,
    /// When the current run began.
    pub resolution_running_since: Option<Timestamp>,
    /// When resolution is due, while running.
    pub resolution_due_at: Option<Timestamp>,
}

impl Ticket {
    /// Its SLA columns.
    pub fn clock(&self) -> Clock {
        Clock {
            first_response_target_secs: self.first_response_target_secs,
            first_response_due_at: self.first_response_due_at,
            first_responded_at: self.first_responded_at,
            resolution_target_secs: self.resolution_target_secs,
            resolution_spent_secs: self.resolution_spent_secs,
            resolution_running_since: self.resolution_running_since,
            resolution_due_at: self.resolution_due_at,
        }
    }
}

/// A new ticket.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    /// Its community.
    pub community: CommunityId,
    /// The hub it is about.
    pub hub: Option<HubId>,
    /// Who opens it.
    pub opened_by: AccountId,
    /// Kind (as stored).
    pub kind: &'a str,
    /// Impact (as stored).
    pub impact: &'a str,
    /// One line.
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// JSON snapshot of the hub.
    pub hub_state: &'a str,
    /// The plan whose targets apply.
    pub plan: &'a str,
    /// The clocks as started.
    pub clock: &'a Clock,
}

/// Opens a ticket (status `new`); returns its number.
pub async fn insert(conn: Conn<'_>, t: &NewTicket<'_>, now: Timestamp) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO tickets (community_id, hub_id, opened_by, kind, impact, \
         status, title, body, hub_state, plan, first_response_target_secs, \
         first_response_due_at, resolution_target_secs, resolution_spent_secs, \
         resolution_running_since, resolution_due_at, created_at, updated_at, search_words) \
         VALUES ($1, $2, $3, $4, $5, 'new', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $16, $17) RETURNING id";
    let c = t.clock;
    let words = search::document(&[t.title, t.body]);
    Ok(on!(conn, db => sqlx::query_scalar(SQL)
        .bind(t.community).bind(t.hub).bind(t.opened_by).bind(t.kind).bind(t.impact)
        .bind(t.title).bind(t.body).bind(t.hub_state).bind(t.plan)
        .bind(c.first_response_target_secs).bind(c.first_response_due_at)
        .bind(c.resolution_target_secs).bind(c.resolution_spent_secs)
        .bind(c.resolution_running_since).bind(c.resolution_due_at).bind(now).bind(words)
        .fetch_one(db).await)?)
}

/// The ticket numbered `id`.
pub async fn get(conn: Conn<'_>, id: i64) -> Result<Option<Ticket>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

/// Writes what moves on a ticket: status, impact, assignee, clocks, resolution time.
#[derive(Debug, Clone)]
pub struct State<'a> {
    /// Status (as stored).
    pub status: &'a str,
    /// Impact (as stored).
    pub impact: &'a str,
    /// The staff member on it.
    pub assignee: Option<AccountId>,
    /// The clocks.
    pub clock: &'a Clock,
    /// When last resolved.
    pub resolved_at: Option<Timestamp>,
}

/// Saves a ticket's state.
pub async fn save(conn: Conn<'_>, id: i64, s: &State<'_>, now: Timestamp) -> Result<(), DbError> {
    const SQL: &str = "UPDATE tickets SET status = $2, impact = $3, assignee_id = $4, \
         first_response_target_secs = $5, first_response_due_at = $6, first_responded_at = $7, \
         resolution_target_secs = $8, resolution_spent_secs = $9, \
         resolution_running_since = $10, resolution_due_at = $11, resolved_at = $12, \
         updated_at = $13 WHERE id = $1";
    let c = s.clock;
    on!(conn, db => sqlx::query(SQL)
        .bind(id).bind(s.status).bind(s.impact).bind(s.assignee)
        .bind(c.first_response_target_secs).bind(c.first_response_due_at)
        .bind(c.first_responded_at).bind(c.resolution_target_secs)
        .bind(c.resolution_spent_secs).bind(c.resolution_running_since)
        .bind(c.resolution_due_at).bind(s.resolved_at).bind(now)
        .execute(db).await.map(|_| ()))?;
    Ok(())
}

/// A reply or note.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Message {
    /// Primary key.
    pub id: i64,
    /// Its author's name (`None`: account gone).
    pub author_name: Option<String>,
    /// Written by the support team.
    pub by_staff: bool,
    /// Staff only.
    pub internal: bool,
    /// Markdown.
    pub body: String,
    /// The status set with it.
    pub status_to: Option<String>,
    /// Written.
    pub created_at: Timestamp,
}

/// The messages of a ticket, oldest first; internal notes only if `with_internal`.
pub async fn messages(
    conn: Conn<'_>,
    ticket: i64,
    with_internal: bool,
) -> Result<Vec<Message>, DbError> {
    const SQL: &str = "SELECT m.id, a.name AS author_name, m.by_staff, m.internal, m.body, \
         m.status_to, m.created_at FROM ticket_messages m \
         LEFT JOIN accounts a ON a.id = m.author_id \
         WHERE m.ticket_id = $1 AND (m.internal = FALSE OR $2) ORDER BY m.id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(ticket).bind(with_internal).fetch_all(c).await)?)
}

/// A new message.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Its ticket.
    pub ticket: i64,
    /// Who writes.
    pub author: AccountId,
    /// Written by the support team.
    pub by_staff: bool,
    /// An internal note.
    pub internal: bool,
    /// Markdown.
    pub body: &'a str,
    /// The status the ticket moves to with it.
    pub status_to: Option<&'a str>,
}

/// Adds a message.
pub async fn add_message(
    conn: Conn<'_>,
    m: &NewMessage<'_>,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO ticket_messages (ticket_id, author_id, by_staff, internal, \
         body, status_to, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    Ok(on!(conn, c => sqlx::query_scalar(SQL)
        .bind(m.ticket).bind(m.author).bind(m.by_staff).bind(m.internal).bind(m.body)
        .bind(m.status_to).bind(now).fetch_one(c).await)?)
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Only this community's.
    pub community: Option<CommunityId>,
    /// Only those opened by this person.
    pub opened_by: Option<AccountId>,
    /// Only these statuses (empty: any).
    pub statuses: Vec<&'a str>,
    /// Only this impact.
    pub impact: Option<&'a str>,
    /// Only this community, by slug (the staff queue's filter).
    pub community_slug: Option<&'a str>,
    /// `Some(None)`: unassigned; `Some(Some(a))`: assigned to `a`.
    pub assignee: Option<Option<AccountId>>,
    /// Only tickets with a breached clock (found by the sweep).
    pub breached: bool,
    /// Search-box text (title and description).
    pub search: &'a str,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// The tickets matching `f`, newest first.
pub async fn list(mut conn: Conn<'_>, f: &Filter<'_>) -> Result<Page<Ticket>, DbError> {
    let backend = conn.backend();
    // $1 community, $2 opened_by, $3 impact, $4 slug, $5 assignee filter on, $6 assignee,
    // $7 breached, $8 words; then $9 limit, $10 offset. Statuses are fixed words, checked
    // by the caller and written in.
    let mut conditions = vec![
        "($1 IS NULL OR t.community_id = $1)".to_owned(),
        "($2 IS NULL OR t.opened_by = $2)".to_owned(),
        "($3 IS NULL OR t.impact = $3)".to_owned(),
        "($4 IS NULL OR c.slug = $4)".to_owned(),
        "($5 = 0 OR t.assignee_id = $6 OR ($6 IS NULL AND t.assignee_id IS NULL))".to_owned(),
        "($7 = 0 OR t.first_response_breached_at IS NOT NULL \
             OR t.resolution_breached_at IS NOT NULL)"
            .to_owned(),
    ];
    if !f.statuses.is_empty() {
        let words: Vec<String> = f
            .statuses
            .iter()
            .filter(|s| s.chars().all(|c| c.is_ascii_lowercase()))
            .map(|s| format!("'{s}'"))
            .collect();
        conditions.push(format!("t.status IN ({})", words.join(", ")));
    }
    let matched = match Query::parse(f.search) {
        Query::All => {
            conditions.push("$8 IS NULL".to_owned());
            None
        }
        Query::Nothing => {
            return Ok(Page {
                items: Vec::new(),
                total: 0,
            });
        }
        Query::Words(words) => {
            let (condition, bind) = INDEX.condition(backend, "t.id", 8, &words);
            conditions.push(condition);
            Some(bind)
        }
    };
    let filter = conditions.join(" AND ");
    let (assignee_on, assignee) = match f.assignee {
        None => (0_i64, None),
        Some(a) => (1, a),
    };
    let breached = i64::from(f.breached);
    let count_sql = format!("SELECT COUNT(*) FROM {FROM} WHERE {filter}");
    let total: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(&count_sql)
        .bind(f.community).bind(f.opened_by).bind(f.impact).bind(f.community_slug)
        .bind(assignee_on).bind(assignee).bind(breached).bind(matched.as_deref())
        .fetch_one(c).await)?;
    if total <= f.offset {
        return Ok(Page {
            items: Vec::new(),
            total,
        });
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {filter} ORDER BY t.id DESC LIMIT $9 OFFSET $10"
    );
    let items = on!(conn, c => sqlx::query_as(&sql)
        .bind(f.community).bind(f.opened_by).bind(f.impact).bind(f.community_slug)
        .bind(assignee_on).bind(assignee).bind(breached).bind(matched.as_deref())
        .bind(f.limit).bind(f.offset).fetch_all(c).await)?;
    Ok(Page { items, total })
}

/// A clock found overdue by the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// No public answer in time.
    FirstResponse,
    /// Not resolved in time.
    Resolution,
}

/// A first response overdue and not flagged yet (`$1`: now).
const FIRST_OVERDUE: &str = "first_responded_at IS NULL AND first_response_breached_at IS NULL \
     AND first_response_due_at < $1 AND status NOT IN ('resolved', 'closed')";

/// A resolution overdue and not flagged yet (`$1`: now).
const RESOLUTION_OVERDUE: &str = "resolution_due_at IS NOT NULL \
     AND resolution_breached_at IS NULL AND resolution_due_at < $1";

/// Tickets with a clock overdue at `now` and not flagged yet, oldest due first (at most
/// `limit`): read through the partial indexes on the due times.
pub async fn overdue(
    mut conn: Conn<'_>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<(i64, Breach)>, DbError> {
    let first_sql = format!(
        "SELECT id FROM tickets WHERE {FIRST_OVERDUE} ORDER BY first_response_due_at LIMIT $2"
    );
    let resolution_sql = format!(
        "SELECT id FROM tickets WHERE {RESOLUTION_OVERDUE} ORDER BY resolution_due_at LIMIT $2"
    );
    let first: Vec<i64> = on!(conn.reborrow(), c => sqlx::query_scalar(&first_sql)
        .bind(now).bind(limit).fetch_all(c).await)?;
    let resolution: Vec<i64> = on!(conn, c => sqlx::query_scalar(&resolution_sql)
        .bind(now).bind(limit).fetch_all(c).await)?;
    Ok(first
        .into_iter()
        .map(|id| (id, Breach::FirstResponse))
        .chain(resolution.into_iter().map(|id| (id, Breach::Resolution)))
        .collect())
}

/// Flags a breach, once: `false` if it was flagged already (another process got there).
pub async fn flag_breach(
    conn: Conn<'_>,
    id: i64,
    breach: Breach,
    now: Timestamp,
) -> Result<bool, DbError> {
    let sql = match breach {
        Breach::FirstResponse => {
            "UPDATE tickets SET first_response_breached_at = $2 \
             WHERE id = $1 AND first_response_breached_at IS NULL"
        }
        Breach::Resolution => {
            "UPDATE tickets SET resolution_breached_at = $2 \
             WHERE id = $1 AND resolution_breached_at IS NULL"
        }
    };
    let done = on!(conn, c => sqlx::query(sql).bind(id).bind(now).execute(c).await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Closes tickets resolved before `cutoff` (their reopen window is over).
pub async fn close_resolved_before(
    conn: Conn<'_>,
    cutoff: Timestamp,
    now: Timestamp,
) -> Result<u64, DbError> {
    const SQL: &str = "UPDATE tickets SET status = 'closed', updated_at = $2 \
         WHERE status = 'resolved' AND resolved_at < $1";
    Ok(
        on!(conn, c => sqlx::query(SQL).bind(cutoff).bind(now).execute(c).await
        .map(|r| r.rows_affected()))?,
    )
}

/// Records (or renews) `account`'s consent to be viewed as on `ticket`.
pub async fn grant_consent(
    conn: Conn<'_>,
    ticket: i64,
    account: AccountId,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO ticket_consents (ticket_id, account_id, granted_at) \
         VALUES ($1, $2, $3) ON CONFLICT (ticket_id, account_id) \
         DO UPDATE SET granted_at = $3, revoked_at = NULL";
    on!(conn, c => sqlx::query(SQL).bind(ticket).bind(account).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Withdraws it.
pub async fn revoke_consent(
    conn: Conn<'_>,
    ticket: i64,
    account: AccountId,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE ticket_consents SET revoked_at = $3 \
         WHERE ticket_id = $1 AND account_id = $2 AND revoked_at IS NULL";
    on!(conn, c => sqlx::query(SQL).bind(ticket).bind(account).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Whether `account` consents now to be viewed as on `ticket`.
pub async fn consents(conn: Conn<'_>, ticket: i64, account: AccountId) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM ticket_consents \
         WHERE ticket_id = $1 AND account_id = $2 AND revoked_at IS NULL";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(ticket).bind(account)
        .fetch_one(c).await)?;
    Ok(n > 0)
}

/// A staff member's running "view as" session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ViewAs {
    /// Primary key.
    pub id: i64,
    /// The ticket it was started from.
    pub ticket_id: i64,
    /// That ticket's community.
    pub community_slug: String,
    /// The member seen as.
    pub member_id: AccountId,
    /// Their name.
    pub member_name: String,
    /// Their address.
    pub member_email: Option<String>,
    /// When it ends by itself.
    pub ends_at: Timestamp,
}

const VIEW_AS: &str = "SELECT v.id, v.ticket_id, c.slug AS community_slug, v.member_id, \
     a.name AS member_name, a.email AS member_email, v.ends_at FROM view_as_sessions v \
     JOIN accounts a ON a.id = v.member_id JOIN tickets t ON t.id = v.ticket_id \
     JOIN communities c ON c.id = t.community_id";

/// Starts a session (ending any other of the same staff member); returns it.
pub async fn start_view_as(
    mut conn: Conn<'_>,
    ticket: i64,
    staff: AccountId,
    member: AccountId,
    now: Timestamp,
    ends_at: Timestamp,
) -> Result<i64, DbError> {
    end_view_as(conn.reborrow(), staff, now).await?;
    const SQL: &str = "INSERT INTO view_as_sessions (ticket_id, staff_id, member_id, \
         started_at, ends_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(ticket).bind(staff).bind(member)
        .bind(now).bind(ends_at).fetch_one(c).await)?,
    )
}

/// The staff member's session running at `now`, if any.
pub async fn active_view_as(
    conn: Conn<'_>,
    staff: AccountId,
    now: Timestamp,
) -> Result<Option<ViewAs>, DbError> {
    let sql = format!(
        "{VIEW_AS} WHERE v.staff_id = $1 AND v.ended_at IS NULL AND v.ends_at > $2 \
         ORDER BY v.id DESC LIMIT 1"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(staff).bind(now).fetch_optional(c).await)?)
}

/// Ends the staff member's running session; returns it if there was one.
pub async fn end_view_as(
    mut conn: Conn<'_>,
    staff: AccountId,
    now: Timestamp,
) -> Result<Option<ViewAs>, DbError> {
    let running = active_view_as(conn.reborrow(), staff, now).await?;
    if let Some(v) = &running {
        const SQL: &str = "UPDATE view_as_sessions SET ended_at = $2 WHERE id = $1";
        on!(conn, c => sqlx::query(SQL).bind(v.id).bind(now).execute(c).await.map(|_| ()))?;
    }
    Ok(running)
}

/// Whether a sweep at `now` has anything to do (a clock overdue and not flagged, or a ticket
/// resolved before `cutoff`): read first, so an idle sweep takes no write lock.
pub async fn sweep_due(conn: Conn<'_>, now: Timestamp, cutoff: Timestamp) -> Result<bool, DbError> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM tickets WHERE {FIRST_OVERDUE}) \
         OR EXISTS (SELECT 1 FROM tickets WHERE {RESOLUTION_OVERDUE}) \
         OR EXISTS (SELECT 1 FROM tickets WHERE status = 'resolved' AND resolved_at < $2)"
    );
    Ok(on!(conn, c => sqlx::query_scalar(&sql).bind(now).bind(cutoff).fetch_one(c).await)?)
}

/// Tickets opened for `community` since `since` (the daily cap on opening them).
pub async fn opened_since(
    conn: Conn<'_>,
    community: CommunityId,
    since: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM tickets WHERE community_id = $1 AND created_at >= $2";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(since).fetch_one(c).await)?)
}

/// The values a quota request asks for, and staff's decision (migration 0023).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuotaRequest {
    /// Its ticket.
    pub ticket_id: i64,
    /// `stoa_hubs::quota::QuotaRequest` as JSON.
    pub requested: String,
    /// `approved`, `declined`, or `None` while undecided.
    pub decision: Option<String>,
    /// The staff member who decided.
    pub decided_by: Option<AccountId>,
    /// Their name.
    pub decided_by_name: Option<String>,
    /// When.
    pub decided_at: Option<Timestamp>,
    /// Why it was declined, or a note on approval.
    pub reason: String,
    /// The revision the approval made.
    pub revision: Option<i32>,
}

/// Keeps the values `ticket` (a quota request) asks for.
pub async fn insert_quota_request(
    conn: Conn<'_>,
    ticket: i64,
    requested: &str,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO quota_requests (ticket_id, requested) VALUES ($1, $2)";
    on!(conn, c => sqlx::query(SQL).bind(ticket).bind(requested)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The quota request of `ticket`, if it is one.
pub async fn quota_request(conn: Conn<'_>, ticket: i64) -> Result<Option<QuotaRequest>, DbError> {
    const SQL: &str = "SELECT q.ticket_id, q.requested, q.decision, q.decided_by, \
         a.name AS decided_by_name, q.decided_at, q.reason, q.revision \
         FROM quota_requests q LEFT JOIN accounts a ON a.id = q.decided_by \
         WHERE q.ticket_id = $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(ticket).fetch_optional(c).await)?)
}

/// Staff's decision on a quota request.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// `approved` or `declined`.
    pub decision: &'a str,
    /// Who decided.
    pub by: AccountId,
    /// Why (declined), or a note.
    pub reason: &'a str,
    /// The revision an approval made.
    pub revision: Option<i32>,
}

/// Records the decision on `ticket`'s request; `false` if it was decided already (by another
/// staff member in between: the first decision stands).
pub async fn decide_quota_request(
    conn: Conn<'_>,
    ticket: i64,
    d: Decision<'_>,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE quota_requests \
         SET decision = $2, decided_by = $3, reason = $4, revision = $5, decided_at = $6 \
         WHERE ticket_id = $1 AND decision IS NULL";
    let done = on!(conn, c => sqlx::query(SQL).bind(ticket).bind(d.decision).bind(d.by)
        .bind(d.reason).bind(d.revision).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
