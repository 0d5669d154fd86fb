//! Where communities stand with paying, and invoices recorded by staff (migration 0015).

use chrono::NaiveDate;

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// A community's standing.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Subscription {
    /// The community.
    pub community_id: CommunityId,
    /// `trialing`, `active`, `past_due` or `canceled`.
    pub status: String,
    /// Trialing: when the trial ends.
    pub trial_ends_at: Option<Timestamp>,
    /// Active: the end of the period paid for.
    pub paid_until: Option<Timestamp>,
    /// Past due: since when.
    pub past_due_since: Option<Timestamp>,
    /// When hub changes pause (set with past due and canceled).
    pub changes_paused_from: Option<Timestamp>,
}

const SUB_COLUMNS: &str =
    "community_id, status, trial_ends_at, paid_until, past_due_since, changes_paused_from";

/// The standing of `community`, if it has one yet.
pub async fn subscription(
    conn: Conn<'_>,
    community: CommunityId,
) -> Result<Option<Subscription>, DbError> {
    let sql = format!("SELECT {SUB_COLUMNS} FROM subscriptions WHERE community_id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).fetch_optional(c).await)?)
}

/// Gives every community without a standing one: trialing until `trial_ends_at`. Returns how
/// many got one.
pub async fn start_trials(
    conn: Conn<'_>,
    trial_ends_at: Timestamp,
    now: Timestamp,
) -> Result<u64, DbError> {
    const SQL: &str = "INSERT INTO subscriptions (community_id, status, trial_ends_at, updated_at) \
         SELECT c.id, 'trialing', $1, $2 FROM communities c \
         WHERE NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.community_id = c.id) \
         ON CONFLICT (community_id) DO NOTHING";
    Ok(
        on!(conn, c => sqlx::query(SQL).bind(trial_ends_at).bind(now).execute(c).await.map(|r| r.rows_affected()))?,
    )
}

/// Standings kept by Stoa (not Stripe: it renews and reports itself) whose trial or paid
/// period ended by `now` and that are not past due yet, at most `limit`, locked for this transaction on PostgreSQL (several workers).
pub async fn lapsed(
    conn: Conn<'_>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Subscription>, DbError> {
    let base = format!(
        "SELECT {SUB_COLUMNS} FROM subscriptions WHERE provider = 'manual' AND \
         ((status = 'trialing' AND trial_ends_at <= $1) OR (status = 'active' AND paid_until <= $1)) \
         ORDER BY community_id LIMIT $2"
    );
    Ok(match conn {
        Conn::Sqlite(c) => {
            sqlx::query_as(&base)
                .bind(now)
                .bind(limit)
                .fetch_all(c)
                .await?
        }
        Conn::Postgres(c) => {
            let sql = format!("{base} FOR UPDATE SKIP LOCKED");
            sqlx::query_as(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(c)
                .await?
        }
    })
}

/// Communities with an open manual invoice due before `today` whose standing (kept by Stoa)
/// is trialing or active,
/// with the oldest such due date.
pub async fn overdue(
    conn: Conn<'_>,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<(CommunityId, NaiveDate)>, DbError> {
    const SQL: &str = "SELECT i.community_id, MIN(i.due_on) FROM invoices i \
         JOIN subscriptions s ON s.community_id = i.community_id \
         WHERE i.status = 'open' AND i.due_on < $1 AND s.status IN ('trialing', 'active') \
         AND s.provider = 'manual' \
         GROUP BY i.community_id ORDER BY i.community_id LIMIT $2";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(today).bind(limit).fetch_all(c).await)?)
}

/// Makes a trialing or active standing past due since `since`, hub changes pausing from
/// `paused_from`; false when it is neither any more (another worker got there first: on
/// PostgreSQL the second update waits for the first and then finds nothing to change, so each
/// community is made past due, and its contacts told, once).
pub async fn mark_past_due(
    conn: Conn<'_>,
    community: CommunityId,
    since: Timestamp,
    paused_from: Timestamp,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE subscriptions SET status = 'past_due', past_due_since = $2, \
         changes_paused_from = $3, updated_at = $4 \
         WHERE community_id = $1 AND status IN ('trialing', 'active')";
    let rows = on!(conn, c => sqlx::query(SQL).bind(community).bind(since).bind(paused_from)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Writes a standing kept by Stoa (inserted or replaced): a standing Stripe kept before (a
/// canceled subscription) becomes Stoa's.
pub async fn save_subscription(
    conn: Conn<'_>,
    s: &Subscription,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO subscriptions (community_id, status, trial_ends_at, paid_until, \
         past_due_since, changes_paused_from, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (community_id) DO UPDATE SET status = excluded.status, \
         trial_ends_at = excluded.trial_ends_at, paid_until = excluded.paid_until, \
         past_due_since = excluded.past_due_since, changes_paused_from = excluded.changes_paused_from, \
         updated_at = excluded.updated_at, provider = 'manual', stripe_subscription_id = NULL, \
         stripe_customer_id = NULL, stripe_state_at = NULL, stripe_started_at = NULL";
    on!(conn, c => sqlx::query(SQL).bind(s.community_id).bind(&s.status).bind(s.trial_ends_at)
        .bind(s.paid_until).bind(s.past_due_since).bind(s.changes_paused_from).bind(now)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invoice {
    /// Primary key.
    pub id: i64,
    /// The community billed.
    pub community_id: CommunityId,
    /// The printed number.
    pub number: String,
    /// What it is for.
    pub description: String,
    /// Minor units.
    pub amount: i64,
    /// Currency code.
    pub currency: String,
    /// The customer's purchase order number.
    pub po_number: String,
    /// Issued.
    pub issued_on: NaiveDate,
    /// Due.
    pub due_on: NaiveDate,
    /// `open`, `paid` or `void`.
    pub status: String,
    /// When it was paid.
    pub paid_on: Option<NaiveDate>,
    /// The bank transfer's reference.
    pub payment_reference: String,
}

const INVOICE_COLUMNS: &str = "id, community_id, number, description, amount, currency, po_number, \
     issued_on, due_on, status, paid_on, payment_reference";

/// What recording an invoice takes (checked already).
#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    /// The community billed.
    pub community: CommunityId,
    /// Printed number.
    pub number: &'a str,
    /// What it is for.
    pub description: &'a str,
    /// Minor units, above zero.
    pub amount: i64,
    /// Currency code.
    pub currency: &'a str,
    /// PO number (may be empty).
    pub po_number: &'a str,
    /// Issued.
    pub issued_on: NaiveDate,
    /// Due.
    pub due_on: NaiveDate,
}

/// Records an open invoice. A number already used is [`DbError::Conflict`].
pub async fn insert_invoice(
    conn: Conn<'_>,
    i: &NewInvoice<'_>,
    by: AccountId,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO invoices (community_id, number, description, amount, currency, \
         po_number, issued_on, due_on, status, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(i.community).bind(i.number).bind(i.description)
        .bind(i.amount).bind(i.currency).bind(i.po_number).bind(i.issued_on).bind(i.due_on)
        .bind(now).bind(by).fetch_one(c).await)?,
    )
}

/// The community's invoices, newest first.
pub async fn invoices(conn: Conn<'_>, community: CommunityId) -> Result<Vec<Invoice>, DbError> {
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices WHERE community_id = $1 ORDER BY issued_on DESC, id DESC"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).fetch_all(c).await)?)
}

/// One of the community's invoices.
pub async fn invoice(
    conn: Conn<'_>,
    community: CommunityId,
    id: i64,
) -> Result<Option<Invoice>, DbError> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE community_id = $1 AND id = $2");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).bind(id).fetch_optional(c).await)?)
}

/// Marks an open invoice paid; false when it was not open.
pub async fn mark_paid(
    conn: Conn<'_>,
    id: i64,
    paid_on: NaiveDate,
    reference: &str,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE invoices SET status = 'paid', paid_on = $2, payment_reference = $3 \
         WHERE id = $1 AND status = 'open'";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(paid_on).bind(reference)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Whether the community has open invoices.
pub async fn has_open_invoices(conn: Conn<'_>, community: CommunityId) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM invoices WHERE community_id = $1 AND status = 'open'";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(community).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Who hears about the community's payments: the verified addresses of its owners and billing
/// role (active memberships), and its paying institution's billing contacts, each once.
pub async fn contacts(
    conn: Conn<'_>,
    community: CommunityId,
    now: Timestamp,
) -> Result<Vec<String>, DbError> {
    const PEOPLE: &str = "SELECT a.email FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.community_id = $1 AND m.role IN ('owner', 'billing') AND a.email IS NOT NULL \
         AND (m.ends_at IS NULL OR m.ends_at > $2) ORDER BY a.email";
    const INSTITUTION: &str = "SELECT i.billing_contacts FROM communities c \
         JOIN institutions i ON i.id = c.institution_id WHERE c.id = $1";
    let (mut people, listed): (Vec<String>, Option<String>) = on!(conn, c => {
        let people = sqlx::query_scalar(PEOPLE).bind(community).bind(now).fetch_all(&mut *c).await?;
        let listed = sqlx::query_scalar(INSTITUTION).bind(community).fetch_optional(&mut *c).await?;
        Ok::<_, sqlx::Error>((people, listed))
    })?;
    people.extend(
        listed
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned),
    );
    people.sort();
    people.dedup();
    Ok(people)
}
