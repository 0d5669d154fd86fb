//! What Stripe told Stoa (migration 0016): webhook events once each, standings kept by
//! Stripe with the newest event winning, the invoices it made, billing accounts' customers,
//! and the usage fee charged for each month.

use chrono::NaiveDate;

use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// Records a verified webhook event; false when its id was received before (Stripe repeats
/// deliveries: the repeat changes nothing).
pub async fn insert_event(
    conn: Conn<'_>,
    id: &str,
    kind: &str,
    created: i64,
    payload: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO stripe_events (id, kind, created, payload, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(kind).bind(created).bind(payload)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A received event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredEvent {
    /// `evt_…`.
    pub id: String,
    /// Its type.
    pub kind: String,
    /// The raw body as delivered.
    pub payload: String,
    /// When it was applied, if it was.
    pub processed_at: Option<Timestamp>,
    /// What applying it did.
    pub outcome: String,
}

/// The event `id`, locked for this transaction on PostgreSQL (SQLite has one writer), so two
/// workers never apply it both.
pub async fn event_for_update(conn: Conn<'_>, id: &str) -> Result<Option<StoredEvent>, DbError> {
    const SQL: &str =
        "SELECT id, kind, payload, processed_at, outcome FROM stripe_events WHERE id = $1";
    Ok(match conn {
        Conn::Sqlite(c) => sqlx::query_as(SQL).bind(id).fetch_optional(c).await?,
        Conn::Postgres(c) => {
            let sql = format!("{SQL} FOR UPDATE");
            sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
        }
    })
}

/// Marks the event applied, with what it did.
pub async fn mark_processed(
    conn: Conn<'_>,
    id: &str,
    outcome: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE stripe_events SET processed_at = $2, outcome = $3 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(now).bind(outcome).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Events received, newest first (for tests and staff).
pub async fn events(conn: Conn<'_>, limit: i64) -> Result<Vec<StoredEvent>, DbError> {
    const SQL: &str = "SELECT id, kind, payload, processed_at, outcome FROM stripe_events \
         ORDER BY received_at DESC, id LIMIT $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(limit).fetch_all(c).await)?)
}

/// A standing as Stripe reported it, at Stripe's time `state_at` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeStanding<'a> {
    /// The community.
    pub community: CommunityId,
    /// `trialing`, `active`, `past_due` or `canceled`.
    pub status: &'a str,
    /// Trialing: its end.
    pub trial_ends_at: Option<Timestamp>,
    /// The end of the period paid for.
    pub paid_until: Option<Timestamp>,
    /// Past due: since when.
    pub past_due_since: Option<Timestamp>,
    /// When hub changes pause.
    pub changes_paused_from: Option<Timestamp>,
    /// The Stripe subscription.
    pub subscription: &'a str,
    /// Its customer.
    pub customer: Option<&'a str>,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// The time of the event this state comes from.
    pub state_at: i64,
}

/// Writes `s` unless the row already holds a state that must stay. One statement, so
/// concurrent workers applying two events of one subscription cannot interleave. The rules:
///
/// - the same subscription: the later event wins; at equal times a cancellation stays (it is
///   final);
/// - a standing Stoa keeps (manual, no subscription yet): any state but a cancellation (an
///   abandoned Checkout must not cancel a community paying by bank transfer);
/// - another subscription: only when the one on record is canceled, and not with a
///   cancellation (the end of an old subscription does not end the one that replaced it,
///   and a second live one does not displace the first: [`second_subscription`] says so);
/// - overdue since, and changes paused from: the earlier of the kept and the new one, while
///   both are set (two overdue reports applied in any order give the first date).
///
/// False when the row kept its state.
pub async fn apply_standing(
    conn: Conn<'_>,
    s: &StripeStanding<'_>,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO subscriptions (community_id, status, trial_ends_at, paid_until, \
         past_due_since, changes_paused_from, updated_at, provider, stripe_subscription_id, \
         stripe_customer_id, stripe_state_at, stripe_started_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'stripe', $8, $9, $10, $11) \
         ON CONFLICT (community_id) DO UPDATE SET status = excluded.status, \
         trial_ends_at = excluded.trial_ends_at, paid_until = excluded.paid_until, \
         past_due_since = CASE WHEN subscriptions.past_due_since IS NOT NULL \
             AND excluded.past_due_since IS NOT NULL \
             AND subscriptions.past_due_since < excluded.past_due_since \
             THEN subscriptions.past_due_since ELSE excluded.past_due_since END, \
         changes_paused_from = CASE WHEN subscriptions.changes_paused_from IS NOT NULL \
             AND excluded.changes_paused_from IS NOT NULL \
             AND subscriptions.changes_paused_from < excluded.changes_paused_from \
             THEN subscriptions.changes_paused_from ELSE excluded.changes_paused_from END, \
         updated_at = excluded.updated_at, \
         provider = 'stripe', stripe_subscription_id = excluded.stripe_subscription_id, \
         stripe_customer_id = COALESCE(excluded.stripe_customer_id, subscriptions.stripe_customer_id), \
         stripe_state_at = excluded.stripe_state_at, \
         stripe_started_at = COALESCE(excluded.stripe_started_at, subscriptions.stripe_started_at) \
         WHERE (subscriptions.stripe_subscription_id IS NULL AND excluded.status <> 'canceled') \
         OR (subscriptions.stripe_subscription_id = excluded.stripe_subscription_id \
             AND (subscriptions.stripe_state_at < excluded.stripe_state_at \
                  OR (subscriptions.stripe_state_at = excluded.stripe_state_at \
                      AND subscriptions.status <> 'canceled'))) \
         OR (subscriptions.stripe_subscription_id <> excluded.stripe_subscription_id \
             AND subscriptions.status = 'canceled' AND excluded.status <> 'canceled')";
    let rows = on!(conn, c => sqlx::query(SQL).bind(s.community).bind(s.status)
        .bind(s.trial_ends_at).bind(s.paid_until).bind(s.past_due_since)
        .bind(s.changes_paused_from).bind(now).bind(s.subscription).bind(s.customer)
        .bind(s.state_at).bind(s.started_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Whether `subscription` is a second live subscription of `community` (another, not
/// canceled, is on record): two Checkouts completed, or a subscription made by hand at Stripe.
/// Staff must cancel one at Stripe; Stoa keeps the first.
pub async fn second_subscription(
    conn: Conn<'_>,
    community: CommunityId,
    subscription: &str,
) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM subscriptions WHERE community_id = $1 \
         AND provider = 'stripe' AND stripe_subscription_id <> $2 AND status <> 'canceled'";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(community).bind(subscription)
        .fetch_one(c).await)?;
    Ok(n > 0)
}

/// Whether the community pays through a Stripe subscription that is not canceled.
pub async fn live(conn: Conn<'_>, community: CommunityId) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM subscriptions WHERE community_id = $1 \
         AND provider = 'stripe' AND status <> 'canceled'";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(community).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The community whose standing is the Stripe subscription `id`.
pub async fn community_of_subscription(
    conn: Conn<'_>,
    id: &str,
) -> Result<Option<CommunityId>, DbError> {
    const SQL: &str = "SELECT community_id FROM subscriptions WHERE stripe_subscription_id = $1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(id).fetch_optional(c).await)?)
}

/// Stripe ids of a community's standing: (subscription, customer).
pub async fn stripe_ids(
    conn: Conn<'_>,
    community: CommunityId,
) -> Result<Option<(String, Option<String>)>, DbError> {
    const SQL: &str = "SELECT stripe_subscription_id, stripe_customer_id FROM subscriptions \
         WHERE community_id = $1 AND provider = 'stripe' AND stripe_subscription_id IS NOT NULL";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).fetch_optional(c).await)?)
}

/// Who a billing account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOwner {
    /// A community paying for itself.
    Community(CommunityId),
    /// An institution paying for its communities.
    Institution(i64),
}

/// The Stripe customer of an account, if it has one yet.
pub async fn customer_of(conn: Conn<'_>, owner: AccountOwner) -> Result<Option<String>, DbError> {
    let (sql, id) = match owner {
        AccountOwner::Community(c) => (
            "SELECT stripe_customer_id FROM billing_accounts WHERE community_id = $1",
            c.0,
        ),
        AccountOwner::Institution(i) => (
            "SELECT stripe_customer_id FROM billing_accounts WHERE institution_id = $1",
            i,
        ),
    };
    let found: Option<Option<String>> =
        on!(conn, c => sqlx::query_scalar(sql).bind(id).fetch_optional(c).await)?;
    Ok(found.flatten())
}

/// Records the account's customer (the first one stays: an account has one customer).
pub async fn set_customer(
    conn: Conn<'_>,
    owner: AccountOwner,
    customer: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    let (community, institution) = match owner {
        AccountOwner::Community(c) => (Some(c.0), None),
        AccountOwner::Institution(i) => (None, Some(i)),
    };
    let conflict = if community.is_some() {
        "community_id"
    } else {
        "institution_id"
    };
    let sql = format!(
        "INSERT INTO billing_accounts (community_id, institution_id, stripe_customer_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT ({conflict}) DO UPDATE \
         SET stripe_customer_id = COALESCE(billing_accounts.stripe_customer_id, excluded.stripe_customer_id)"
    );
    on!(conn, c => sqlx::query(&sql).bind(community).bind(institution).bind(customer).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// An invoice Stripe made, as its newest event described it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StripeInvoice {
    /// `in_…`.
    pub stripe_invoice_id: String,
    /// The community billed.
    pub community_id: CommunityId,
    /// Its number (empty until finalized).
    pub number: String,
    /// `draft`, `open`, `paid`, `uncollectible`, `void`.
    pub status: String,
    /// In the currency's minor unit.
    pub amount_due: i64,
    /// Lower case.
    pub currency: String,
    /// Due date (invoices paid by transfer).
    pub due_on: Option<NaiveDate>,
    /// When Stripe made it.
    pub created_on: NaiveDate,
    /// Its PDF.
    pub pdf_url: String,
    /// Its page at Stripe.
    pub hosted_url: String,
    /// Stripe's time of the event it reflects.
    pub state_at: i64,
}

/// Writes `i` unless a newer event described it already, or it is paid or void (final: an
/// `invoice.finalized` of the same second as `invoice.paid` must not reopen it).
pub async fn apply_invoice(conn: Conn<'_>, i: &StripeInvoice) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO stripe_invoices (stripe_invoice_id, community_id, number, \
         status, amount_due, currency, due_on, created_on, pdf_url, hosted_url, state_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (stripe_invoice_id) DO UPDATE SET number = excluded.number, \
         status = excluded.status, amount_due = excluded.amount_due, due_on = excluded.due_on, \
         pdf_url = excluded.pdf_url, hosted_url = excluded.hosted_url, \
         state_at = excluded.state_at \
         WHERE stripe_invoices.state_at <= excluded.state_at \
         AND stripe_invoices.status NOT IN ('paid', 'void')";
    let rows = on!(conn, c => sqlx::query(SQL).bind(&i.stripe_invoice_id).bind(i.community_id)
        .bind(&i.number).bind(&i.status).bind(i.amount_due).bind(&i.currency).bind(i.due_on)
        .bind(i.created_on).bind(&i.pdf_url).bind(&i.hosted_url).bind(i.state_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A community's Stripe invoices, newest first.
pub async fn invoices(
    conn: Conn<'_>,
    community: CommunityId,
) -> Result<Vec<StripeInvoice>, DbError> {
    const SQL: &str = "SELECT stripe_invoice_id, community_id, number, status, amount_due, \
         currency, due_on, created_on, pdf_url, hosted_url, state_at FROM stripe_invoices \
         WHERE community_id = $1 ORDER BY created_on DESC, stripe_invoice_id DESC";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).fetch_all(c).await)?)
}

/// Communities billed through Stripe (trialing, active or past due) whose subscription
/// started before `month_end` and that have no usage charge for `month` yet, at most `limit`.
/// (The month a subscription starts in is charged whole: usage is counted per month.)
pub async fn uncharged(
    conn: Conn<'_>,
    month: &str,
    month_end: Timestamp,
    limit: i64,
) -> Result<Vec<CommunityId>, DbError> {
    const SQL: &str = "SELECT s.community_id FROM subscriptions s WHERE s.provider = 'stripe' \
         AND s.status IN ('trialing', 'active', 'past_due') AND s.stripe_started_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM usage_charges u WHERE u.community_id = s.community_id \
                         AND u.month = $1) \
         ORDER BY s.community_id LIMIT $3";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(month).bind(month_end).bind(limit)
        .fetch_all(c).await)?,
    )
}

/// A month's usage fee, as charged.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageCharge {
    /// The community.
    pub community_id: CommunityId,
    /// `2027-03`.
    pub month: String,
    /// Monthly active users.
    pub active_users: i64,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lower case.
    pub currency: String,
    /// The invoice item, when there was a fee to charge.
    pub stripe_item_id: Option<String>,
}

/// Records a month's charge as computed (before Stripe is called); false when it was
/// recorded already. What is recorded is what every retry sends.
pub async fn record_charge(
    conn: Conn<'_>,
    u: &UsageCharge,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO usage_charges (community_id, month, active_users, amount, \
         currency, stripe_item_id, charged_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (community_id, month) DO NOTHING";
    let rows = on!(conn, c => sqlx::query(SQL).bind(u.community_id).bind(&u.month)
        .bind(u.active_users).bind(u.amount).bind(&u.currency).bind(&u.stripe_item_id)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// The charge of `month`, if recorded.
pub async fn charge(
    conn: Conn<'_>,
    community: CommunityId,
    month: &str,
) -> Result<Option<UsageCharge>, DbError> {
    const SQL: &str = "SELECT community_id, month, active_users, amount, currency, stripe_item_id \
         FROM usage_charges WHERE community_id = $1 AND month = $2";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).bind(month).fetch_optional(c).await)?)
}

/// Notes the invoice item a recorded charge became.
pub async fn charged(
    conn: Conn<'_>,
    community: CommunityId,
    month: &str,
    item: &str,
) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE usage_charges SET stripe_item_id = $3 WHERE community_id = $1 AND month = $2";
    on!(conn, c => sqlx::query(SQL).bind(community).bind(month).bind(item).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// A community's charges, newest month first.
pub async fn charges(conn: Conn<'_>, community: CommunityId) -> Result<Vec<UsageCharge>, DbError> {
    const SQL: &str = "SELECT community_id, month, active_users, amount, currency, stripe_item_id \
         FROM usage_charges WHERE community_id = $1 ORDER BY month DESC";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).fetch_all(c).await)?)
}
