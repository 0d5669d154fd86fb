//! Paying through Stripe: card subscriptions through its hosted Checkout, the Customer
//! Portal, webhook events applied once each, and each month's usage fee added to the
//! customer's next invoice.
//!
//! Every effect goes through the database: a webhook delivery only records its event (and
//! queues the job that applies it) in one transaction, so Stripe gets its 2xx at once and a
//! crash loses nothing; the job applies the event and marks it processed in one transaction,
//! so an event is applied once however often it is delivered. Among events about one object
//! the newest (Stripe's `created`) wins, whatever order they arrive in.

use chrono::{DateTime, TimeDelta};
use stoa_billing::Month;
pub use stoa_billing::webhook::sign;
use stoa_db::communities::CommunityId;
use stoa_db::jobs::{self, Placement, Task};
use stoa_db::stripe::{self as store, AccountOwner, StripeInvoice, StripeStanding, UsageCharge};
use stoa_db::{Db, Timestamp, WriteTx};
use stoa_model::Action;
pub use stoa_stripe::Client;
use stoa_stripe::{CheckoutSession, Event, Invoice, StripeError, Subscription};

use crate::billing::{BillingConfig, plan_of};
use crate::{Ctx, DomainError, Result, access};

/// Seconds a webhook signature stays valid either side of Stoa's clock (Stripe's default).
pub const TOLERANCE_SECS: i64 = 300;

/// Stripe as configured: the API client and the webhook signing secrets (several during a
/// rotation: each delivery is accepted if any of them signed it).
#[derive(Clone)]
pub struct StripeSettings {
    /// The API client.
    pub client: Client,
    /// Webhook signing secrets (`whsec_…`).
    pub webhook_secrets: Vec<secrecy::SecretString>,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("client", &self.client)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish()
    }
}

/// Why a delivery was refused: a 400 to the sender, and nothing written.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The signature did not check out (missing, forged, stale, another body).
    #[error("{0}")]
    Signature(#[from] stoa_billing::webhook::WebhookError),
    /// Signed, but not an event.
    #[error("the body is not a Stripe event")]
    NotAnEvent,
    /// The store failed (a 500: Stripe delivers again).
    #[error("store failure")]
    Store(#[from] stoa_db::DbError),
}

/// Checks and records one webhook delivery. `Ok(true)`: a new event, queued; `Ok(false)`: an
/// event received before (nothing changes).
pub async fn receive(
    db: &Db,
    now: Timestamp,
    secrets: &[&str],
    signature: Option<&str>,
    body: &[u8],
) -> std::result::Result<bool, Refused> {
    stoa_billing::webhook::verify(
        body,
        signature,
        secrets,
        now.as_datetime().timestamp(),
        TOLERANCE_SECS,
    )?;
    let event: Event = serde_json::from_slice(body).map_err(|_| Refused::NotAnEvent)?;
    let payload = std::str::from_utf8(body).map_err(|_| Refused::NotAnEvent)?;
    let mut tx = db.begin().await?;
    let new = store::insert_event(
        tx.conn(),
        &event.id,
        &event.kind,
        event.created,
        payload,
        now,
    )
    .await?;
    if new {
        let task = Task::ApplyStripeEvent {
            event_id: event.id.clone(),
        };
        jobs::enqueue_task(tx.conn(), &task, now).await?;
    }
    tx.commit().await?;
    Ok(new)
}

/// How many times an event that cannot be placed yet waits for the events it depends on
/// (an invoice whose subscription Stoa has not heard of: Stripe does not promise order).
pub const MAX_WAITS: i64 = 20;

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Applied (or nothing to do), and marked processed: the words are kept with it.
    Done(String),
    /// It depends on an event not received yet: left unprocessed, to try again shortly.
    Later(String),
}

/// Applies the event `id` and marks it processed, in `tx`; does nothing if it was processed
/// already. `attempt`: how many times it was tried, this one included (an event that needs
/// another first waits at most [`MAX_WAITS`] times, then is kept as unplaced).
pub async fn apply_event(
    tx: &mut WriteTx,
    cfg: &BillingConfig,
    id: &str,
    attempt: i64,
    now: Timestamp,
) -> Result<Applied> {
    let Some(stored) = store::event_for_update(tx.conn(), id).await? else {
        return Ok(Applied::Done("unknown event".into()));
    };
    if stored.processed_at.is_some() {
        return Ok(Applied::Done(stored.outcome));
    }
    let outcome = match serde_json::from_str::<Event>(&stored.payload) {
        Ok(event) => apply(tx, cfg, &event, attempt < MAX_WAITS, now).await?,
        // serde's message may quote a value of the payload (an address): never kept as is.
        Err(e) => Applied::Done(format!("unreadable: {}", redacted(&e))),
    };
    if let Applied::Done(words) = &outcome {
        store::mark_processed(tx.conn(), id, words, now).await?;
    }
    Ok(outcome)
}

async fn apply(
    tx: &mut WriteTx,
    cfg: &BillingConfig,
    event: &Event,
    may_wait: bool,
    now: Timestamp,
) -> Result<Applied> {
    let unreadable = |e: serde_json::Error| {
        Applied::Done(format!(
            "{}: object unreadable: {}",
            event.kind,
            redacted(&e)
        ))
    };
    Ok(match event.kind.as_str() {
        "checkout.session.completed" => match event.object::<CheckoutSession>() {
            Ok(session) => Applied::Done(checkout_completed(tx, &session, now).await?),
            Err(e) => unreadable(e),
        },
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => match event.object::<Subscription>() {
            Ok(sub) => {
                let new = event.kind == "customer.subscription.created";
                Applied::Done(subscription_changed(tx, cfg, &sub, new, event.created, now).await?)
            }
            Err(e) => unreadable(e),
        },
        "invoice.created"
        | "invoice.finalized"
        | "invoice.paid"
        | "invoice.payment_succeeded"
        | "invoice.payment_failed"
        | "invoice.voided"
        | "invoice.marked_uncollectible" => match event.object::<Invoice>() {
            Ok(invoice) => invoice_changed(tx, &invoice, event.created, may_wait).await?,
            Err(e) => unreadable(e),
        },
        other => Applied::Done(format!("{other}: not used by Stoa")),
    })
}

fn redacted(e: &serde_json::Error) -> String {
    stoa_auth::mail::redact_addresses(&e.to_string())
}

fn community_from(raw: Option<&str>) -> Option<CommunityId> {
    raw?.trim().parse().ok().map(CommunityId)
}

/// The community `id`, if it still exists (events may outlive it).
async fn community(
    tx: &mut WriteTx,
    id: CommunityId,
) -> Result<Option<stoa_db::communities::Community>> {
    match stoa_db::communities::by_id(tx.conn(), id).await {
        Ok(c) => Ok(Some(c)),
        Err(stoa_db::DbError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn checkout_completed(
    tx: &mut WriteTx,
    s: &CheckoutSession,
    now: Timestamp,
) -> Result<String> {
    let community = community_from(s.client_reference_id.as_deref()).or_else(|| {
        community_from(
            s.metadata
                .get(stoa_stripe::calls::COMMUNITY)
                .map(String::as_str),
        )
    });
    let (Some(community), Some(customer)) = (community, s.customer.as_deref()) else {
        return Ok("checkout.session.completed: not a Stoa checkout".into());
    };
    if self::community(tx, community).await?.is_none() {
        return Ok("checkout.session.completed: community gone".into());
    }
    store::set_customer(tx.conn(), AccountOwner::Community(community), customer, now).await?;
    Ok(format!(
        "checkout.session.completed: community {} pays by card",
        community.0
    ))
}

fn https_only(url: Option<&str>) -> String {
    url.filter(|u| u.starts_with("https://"))
        .unwrap_or_default()
        .to_owned()
}

fn at(secs: i64) -> Option<Timestamp> {
    DateTime::from_timestamp(secs, 0).map(Timestamp::from)
}

/// `new`: the subscription was just made (its first event, or Stoa made it).
async fn subscription_changed(
    tx: &mut WriteTx,
    cfg: &BillingConfig,
    sub: &Subscription,
    new: bool,
    created: i64,
    now: Timestamp,
) -> Result<String> {
    let community = match community_from(
        sub.metadata
            .get(stoa_stripe::calls::COMMUNITY)
            .map(String::as_str),
    ) {
        Some(c) => Some(c),
        None => store::community_of_subscription(tx.conn(), &sub.id).await?,
    };
    let Some(community) = community else {
        return Ok(format!("subscription {}: not a Stoa subscription", sub.id));
    };
    let Some(found) = self::community(tx, community).await? else {
        return Ok(format!("subscription {}: community gone", sub.id));
    };
    // Stripe's states, in Stoa's four. `incomplete` (the first payment is still being
    // confirmed) and `paused` change nothing: the community keeps the standing it had.
    let status = match sub.status.as_str() {
        "trialing" => "trialing",
        "active" => "active",
        "past_due" | "unpaid" => "past_due",
        "canceled" | "incomplete_expired" => "canceled",
        other => return Ok(format!("subscription {}: {other}, no change", sub.id)),
    };
    let current = stoa_db::billing::subscription(tx.conn(), community).await?;
    let event_time = at(created).unwrap_or(now);
    let (past_due_since, paused_from) = match status {
        "past_due" => {
            // Overdue since the first report of it; hub changes pause after the grace period.
            let since = current
                .as_ref()
                .filter(|c| c.status == "past_due")
                .and_then(|c| c.past_due_since)
                .unwrap_or(event_time);
            (
                Some(since),
                Some(since + TimeDelta::days(i64::from(cfg.grace_days))),
            )
        }
        "canceled" => (None, Some(event_time)),
        _ => (None, None),
    };
    let standing = StripeStanding {
        community,
        status,
        trial_ends_at: sub.trial_end.and_then(at).filter(|_| status == "trialing"),
        paid_until: sub.period_end().and_then(at),
        past_due_since,
        changes_paused_from: paused_from,
        subscription: &sub.id,
        customer: sub.customer.as_deref(),
        started_at: sub.start_date.and_then(at),
        state_at: created,
    };
    let applied = store::apply_standing(tx.conn(), &standing, now).await?;
    if !applied {
        // A late update of an old subscription is just old; a new one beside a live one is
        // a second subscription.
        if new
            && status != "canceled"
            && store::second_subscription(tx.conn(), community, &sub.id).await?
        {
            // Two Checkouts completed (two tabs), or one made by hand at Stripe: the first
            // stays; staff cancel (and refund) the other at Stripe.
            let what = format!("{}: second Stripe subscription {}", found.name, sub.id);
            crate::audit::Audit::by_stoa("billing.second_subscription", &what)
                .community(&found)
                .record(tx.conn(), now)
                .await?;
            tracing::warn!(
                community = community.0,
                "a second live Stripe subscription: kept the first"
            );
            return Ok(format!(
                "subscription {}: a second live subscription, flagged",
                sub.id
            ));
        }
        return Ok(format!(
            "subscription {}: older than the state kept, ignored",
            sub.id
        ));
    }
    let was = current.map(|c| c.status).unwrap_or_default();
    if was != status {
        let change = format!(
            "{} (Stripe): {} → {status}",
            found.name,
            if was.is_empty() { "none" } else { &was }
        );
        crate::audit::Audit::by_stoa("billing.standing_changed", &change)
            .community(&found)
            .record(tx.conn(), now)
            .await?;
    }
    Ok(format!(
        "subscription {}: community {} {status}",
        sub.id, community.0
    ))
}

async fn invoice_changed(
    tx: &mut WriteTx,
    invoice: &Invoice,
    created: i64,
    may_wait: bool,
) -> Result<Applied> {
    let community = match community_from(invoice.meta(stoa_stripe::calls::COMMUNITY)) {
        Some(c) => Some(c),
        None => match invoice.subscription() {
            Some(sub) => store::community_of_subscription(tx.conn(), sub).await?,
            None => None,
        },
    };
    let Some(community) = community else {
        // Its subscription's first event may still be on its way.
        if may_wait && let Some(sub) = invoice.subscription() {
            return Ok(Applied::Later(format!(
                "invoice {}: waits for subscription {sub}",
                invoice.id
            )));
        }
        return Ok(Applied::Done(format!(
            "invoice {}: not for a Stoa community",
            invoice.id
        )));
    };
    if self::community(tx, community).await?.is_none() {
        return Ok(Applied::Done(format!(
            "invoice {}: community gone",
            invoice.id
        )));
    }
    let day = |secs: i64| at(secs).map(|t| t.as_datetime().date_naive());
    let row = StripeInvoice {
        stripe_invoice_id: invoice.id.clone(),
        community_id: community,
        number: invoice.number.clone().unwrap_or_default(),
        status: invoice.status.clone().unwrap_or_else(|| "draft".into()),
        amount_due: invoice.amount_due,
        currency: invoice.currency.clone(),
        due_on: invoice.due_date.and_then(day),
        created_on: day(invoice.created).unwrap_or_default(),
        // Links the page shows: Stripe's own https pages only.
        pdf_url: https_only(invoice.invoice_pdf.as_deref()),
        hosted_url: https_only(invoice.hosted_invoice_url.as_deref()),
        state_at: created,
    };
    let applied = store::apply_invoice(tx.conn(), &row).await?;
    Ok(Applied::Done(if applied {
        format!("invoice {}: {}", invoice.id, row.status)
    } else {
        format!("invoice {}: older than the state kept, ignored", invoice.id)
    }))
}

/// Queues the usage charge of the month before `now` for every community billed through
/// Stripe that has none yet (once per community and month: the job's idempotency key).
/// Returns how many were queued.
pub async fn queue_usage_charges(tx: &mut WriteTx, now: Timestamp) -> Result<usize> {
    let month = Month::of(now.as_datetime()).previous();
    let month_end = Timestamp::from(
        month
            .next()
            .first_day()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc(),
    );
    let due = store::uncharged(tx.conn(), &month.key(), month_end, 500).await?;
    let mut queued = 0;
    for community in due {
        let task = Task::ChargeUsage {
            community_id: community.0,
            month: month.key(),
        };
        let placement = Placement {
            idempotency_key: Some(format!("usage:{}:{}", community.0, month.key())),
            ..Placement::default()
        };
        if jobs::enqueue_task_placed(tx.conn(), &task, &placement, now)
            .await?
            .is_some()
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// What a usage charge job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charged {
    /// Added to the next invoice (or nothing to add), and recorded.
    Done(UsageCharge),
    /// Not billed through Stripe (any more): nothing to do.
    NotStripe,
}

/// Adds the usage fee of `month` to the community's next Stripe invoice, and records it.
/// The Stripe call carries the key `usage-{community}-{month}`, the same on every retry, so
/// a job that dies between the call and the record adds the item once.
pub async fn charge_usage(
    db: &Db,
    stripe: &Client,
    cfg: &BillingConfig,
    community: CommunityId,
    month: Month,
    now: Timestamp,
) -> std::result::Result<Charged, ChargeError> {
    let ids = {
        let mut read = db.read().await.map_err(DomainError::from)?;
        store::stripe_ids(read.conn(), community)
            .await
            .map_err(DomainError::from)?
    };
    let Some((subscription, Some(customer))) = ids else {
        return Ok(Charged::NotStripe);
    };
    // The charge is computed and recorded once, before Stripe is called: every retry sends
    // what was recorded (a server start reported late for that month changes nothing), with
    // the same idempotency key.
    let mut tx = db.begin().await.map_err(DomainError::from)?;
    let recorded = store::charge(tx.conn(), community, &month.key())
        .await
        .map_err(DomainError::from)?;
    let charge = match recorded {
        Some(recorded) => recorded,
        None => {
            let plan = plan_of(tx.conn(), cfg, community).await?.clone();
            let (from, to) = (month.first_day(), month.next().first_day());
            let users = stoa_db::usage::active_in(tx.conn(), community, from, to)
                .await
                .map_err(DomainError::from)?;
            let fee = plan.usage.fee(u32::try_from(users).unwrap_or(u32::MAX));
            let charge = UsageCharge {
                community_id: community,
                month: month.key(),
                active_users: users,
                amount: fee.total.0,
                currency: cfg.currency.code().to_owned(),
                stripe_item_id: None,
            };
            store::record_charge(tx.conn(), &charge, now)
                .await
                .map_err(DomainError::from)?;
            charge
        }
    };
    tx.commit().await.map_err(DomainError::from)?;
    if charge.amount <= 0 || charge.stripe_item_id.is_some() {
        return Ok(Charged::Done(charge));
    }
    let users = charge.active_users;
    let description = format!(
        "Usage, {}: {users} monthly active {}",
        month.label(),
        if users == 1 { "user" } else { "users" }
    );
    let currency = stoa_billing::Currency::try_from(charge.currency.clone()).unwrap_or_default();
    let item = stripe
        .usage_item(
            &stoa_stripe::UsageItem {
                community: community.0,
                customer: &customer,
                subscription: &subscription,
                amount: stoa_billing::Money(charge.amount),
                currency: &currency,
                description: &description,
                month: &month.key(),
            },
            &format!("usage-{}-{}", community.0, month.key()),
        )
        .await?;
    let mut tx = db.begin().await.map_err(DomainError::from)?;
    store::charged(tx.conn(), community, &month.key(), &item)
        .await
        .map_err(DomainError::from)?;
    tx.commit().await.map_err(DomainError::from)?;
    Ok(Charged::Done(UsageCharge {
        stripe_item_id: Some(item),
        ..charge
    }))
}

/// Why a usage charge did not happen this time.
#[derive(Debug, thiserror::Error)]
pub enum ChargeError {
    /// Stripe refused or could not be reached.
    #[error(transparent)]
    Stripe(#[from] StripeError),
    /// Stoa's side failed.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

fn already_paying() -> DomainError {
    DomainError::invalid(
        "payment",
        "This community already pays through Stripe: its card and invoices are managed there.",
    )
}

fn not_offered() -> DomainError {
    DomainError::invalid(
        "payment",
        "Card payments are not set up on this Stoa: staff send invoices (bank transfer) instead.",
    )
}

/// Where to send the person who chose to pay by card for `slug`: a Stripe Checkout page for
/// a yearly subscription to the community's plan (made on Stripe if needed).
pub async fn checkout_url(
    ctx: &Ctx,
    db: &Db,
    stripe: Option<&Client>,
    cfg: &BillingConfig,
    slug: &str,
) -> Result<String> {
    let (community, plan, customer, email) = {
        let mut read = db.read().await?;
        let access = access::community(ctx, read.conn(), slug, Action::ChangePlan).await?;
        let me = ctx.caller()?;
        let community = access.community.clone();
        let plan = plan_of(read.conn(), cfg, community.id).await?.clone();
        let customer =
            store::customer_of(read.conn(), AccountOwner::Community(community.id)).await?;
        let email = stoa_db::accounts::get(read.conn(), me.id).await?.email;
        if store::live(read.conn(), community.id).await? {
            return Err(already_paying());
        }
        (community, plan, customer, email)
    };
    let stripe = stripe.ok_or_else(not_offered)?;
    let unavailable = |e: StripeError| {
        tracing::warn!(error = %e, "Stripe call failed");
        DomainError::invalid(
            "payment",
            "Stripe did not answer as expected; nothing was charged. Try again in a few minutes.",
        )
    };
    let plan_id = stripe
        .ensure_plan(&plan, &cfg.currency)
        .await
        .map_err(unavailable)?;
    let back = format!("{}/communities/{}/billing", ctx.public_url, community.slug);
    let page = stripe
        .checkout(&stoa_stripe::CheckoutRequest {
            community: community.id.0,
            plan: &plan_id,
            customer: customer.as_deref(),
            email: email.as_deref(),
            success_url: &format!("{back}?paid=1"),
            cancel_url: &back,
        })
        .await
        .map_err(unavailable)?;
    Ok(page.url)
}

/// Where to send a billing contact of `slug` to manage the card, tax id and invoices: the
/// Stripe Customer Portal of its account.
pub async fn portal_url(ctx: &Ctx, db: &Db, stripe: Option<&Client>, slug: &str) -> Result<String> {
    let (community, customer) = {
        let mut read = db.read().await?;
        let access = access::community(ctx, read.conn(), slug, Action::ChangePlan).await?;
        let c = access.community.clone();
        let own = store::customer_of(read.conn(), AccountOwner::Community(c.id)).await?;
        let customer = match (own, c.institution_id) {
            (Some(own), _) => Some(own),
            // The institution's account holds every community it pays for: its admins only.
            (None, Some(i)) => {
                let me = ctx.caller()?;
                if !stoa_db::institutions::is_admin(read.conn(), i, me.id).await? {
                    return Err(DomainError::invalid(
                        "payment",
                        "The paying institution's Stripe account is managed by its admins.",
                    ));
                }
                store::customer_of(read.conn(), AccountOwner::Institution(i)).await?
            }
            (None, None) => None,
        };
        (c, customer)
    };
    let stripe = stripe.ok_or_else(not_offered)?;
    let customer = customer.ok_or_else(|| {
        DomainError::invalid(
            "payment",
            "There is no Stripe account to manage yet: pay by card first.",
        )
    })?;
    let back = format!("{}/communities/{}/billing", ctx.public_url, community.slug);
    let page = stripe.portal(&customer, &back).await.map_err(|e| {
        tracing::warn!(error = %e, "Stripe call failed");
        DomainError::invalid(
            "payment",
            "Stripe did not answer as expected. Try again in a few minutes.",
        )
    })?;
    Ok(page.url)
}

/// How the community pays and what comes next, for its billing page. `stripe`: whether
/// Stripe is configured.
pub(crate) async fn payment_view(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    stripe: bool,
    access: &access::CommunityAccess,
    plan: &stoa_model::billing::PlanSummary,
    institution: Option<&str>,
) -> Result<stoa_model::billing::PaymentView> {
    let c = &access.community;
    let standing = stoa_db::billing::subscription(conn.reborrow(), c.id).await?;
    let by_stripe = store::stripe_ids(conn.reborrow(), c.id).await?.is_some();
    let own = store::customer_of(conn.reborrow(), AccountOwner::Community(c.id)).await?;
    let customer = match (own, c.institution_id) {
        (Some(own), _) => Some(own),
        (None, Some(i)) => {
            store::customer_of(conn.reborrow(), AccountOwner::Institution(i)).await?
        }
        (None, None) => None,
    };
    let method = match (by_stripe, institution) {
        (true, _) => "Through Stripe (card, or invoices Stripe sends)".to_owned(),
        (false, Some(name)) => {
            format!("Invoice to {name}: bank transfer, with a PO number if needed")
        }
        (false, None) => "Invoice: bank transfer, recorded by staff".to_owned(),
    };
    let day = |t: Option<Timestamp>| t.map(crate::date_of).unwrap_or_default();
    let next_invoice = match standing.as_ref().map(|s| s.status.as_str()) {
        Some("trialing") | None => format!(
            "When the trial ends{}: the {} membership ({} a year); usage is billed monthly from then ({} so far this month).",
            standing
                .as_ref()
                .and_then(|s| s.trial_ends_at)
                .map(|t| format!(" on {}", crate::date_of(t)))
                .unwrap_or_default(),
            plan.name,
            plan.annual_fee,
            plan.usage_so_far
        ),
        Some("active") => format!(
            "Renewal on {}: {} membership. This month's usage so far, {}, is added to the next invoice.",
            day(standing.as_ref().and_then(|s| s.paid_until)),
            plan.annual_fee,
            plan.usage_so_far
        ),
        Some("past_due") => format!(
            "Overdue: the open invoice below. This month's usage so far, {}, follows on the next one.",
            plan.usage_so_far
        ),
        _ => "None: the membership is canceled.".to_owned(),
    };
    let manages = access.may(Action::ChangePlan);
    // Offered until the community pays through Stripe (again after a cancellation).
    let offer = stripe
        && manages
        && !standing
            .as_ref()
            .is_some_and(|s| by_stripe && s.status != "canceled");
    let contacts = if manages {
        stoa_db::billing::contacts(conn, c.id, ctx.now).await?
    } else {
        Vec::new()
    };
    Ok(stoa_model::billing::PaymentView {
        method,
        next_invoice,
        may_pay_by_card: offer,
        may_manage: stripe && manages && customer.is_some(),
        may_request_invoices: offer && c.institution_id.is_some(),
        contacts,
    })
}

/// The invoice-terms form as typed: what each invoice prints besides the institution's
/// details.
#[derive(Debug, Clone, Default)]
pub struct InvoiceTermsForm {
    /// The institution's purchase order number (optional).
    pub po_number: String,
    /// The grant or award paying (optional).
    pub grant_number: String,
}

/// The most characters of a PO or grant number (Stripe prints custom fields of up to 140).
pub const MAX_REFERENCE: usize = 40;

fn reference(field: &str, raw: &str) -> Result<String> {
    let value = raw.trim();
    if value.chars().count() > MAX_REFERENCE {
        return Err(DomainError::invalid(
            field,
            format!("At most {MAX_REFERENCE} characters."),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "Letters, digits and punctuation on one line.",
        ));
    }
    Ok(value.to_owned())
}

/// Asks for the community `slug` to pay by invoice through Stripe: its paying institution
/// becomes the customer, and a yearly subscription with `collection_method=send_invoice` is
/// set up by a job (Stripe may be unreachable; the request is not lost). Stripe mails each
/// invoice to the institution's first billing contact, due after `billing.net_days`.
pub async fn request_invoice_terms(
    ctx: &Ctx,
    tx: &mut WriteTx,
    stripe: bool,
    slug: &str,
    form: &InvoiceTermsForm,
) -> Result<String> {
    let access = access::change(ctx, tx, slug, Action::ChangePlan).await?;
    let me = ctx.caller()?;
    if !stripe {
        return Err(not_offered());
    }
    let po_number = reference("po_number", &form.po_number)?;
    let grant_number = reference("grant_number", &form.grant_number)?;
    let c = &access.community;
    let Some(institution) = c.institution_id else {
        return Err(DomainError::invalid(
            "institution",
            "Choose the paying institution first: invoices are made out to it.",
        ));
    };
    let institution = stoa_db::institutions::get(tx.conn(), institution)
        .await?
        .ok_or(DomainError::NotFound)?;
    if institution.billing_contacts.trim().is_empty() {
        return Err(DomainError::invalid(
            "institution",
            format!(
                "{} has no billing contact to send invoices to: its admins add one on its page.",
                institution.legal_name
            ),
        ));
    }
    if store::live(tx.conn(), c.id).await? {
        return Err(already_paying());
    }
    let task = Task::SetUpInvoiceTerms {
        community_id: c.id.0,
        po_number: po_number.clone(),
        grant_number: grant_number.clone(),
    };
    let placement = Placement {
        idempotency_key: Some(format!("invoice-terms:{}", c.id.0)),
        ..Placement::default()
    };
    if jobs::enqueue_task_placed(tx.conn(), &task, &placement, ctx.now)
        .await?
        .is_none()
    {
        return Err(DomainError::invalid(
            "payment",
            "Paying by invoice is being set up already: the billing page shows it once Stripe confirms.",
        ));
    }
    access
        .audit(
            me,
            "billing.invoice_terms_requested",
            &institution.legal_name,
        )
        .changes(
            crate::audit::Changes::default()
                .field("po_number", "", po_number.as_str())
                .field("grant_number", "", grant_number.as_str()),
        )
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(format!(
        "Invoices are being set up with Stripe: {} will receive each one by email, payable by bank transfer within the agreed terms.",
        institution.legal_name
    ))
}

/// Sets up invoice terms at Stripe (the job behind [`request_invoice_terms`]): the
/// institution's customer (made once, key `customer-institution-<id>`), the plan, and the
/// subscription (key `invoice-terms-<community>-<job>`, the same on every retry of the job).
/// What it made arrives back through the webhooks.
pub async fn set_up_invoice_terms(
    db: &Db,
    stripe: &Client,
    cfg: &BillingConfig,
    community: CommunityId,
    form: &InvoiceTermsForm,
    job: i64,
    now: Timestamp,
) -> std::result::Result<(), ChargeError> {
    let (c, institution, plan, customer) = {
        let mut read = db.read().await.map_err(DomainError::from)?;
        let c = stoa_db::communities::by_id(read.conn(), community)
            .await
            .map_err(DomainError::from)?;
        let Some(id) = c.institution_id else {
            tracing::warn!(
                community = community.0,
                "invoice terms: the community has no paying institution any more"
            );
            return Ok(());
        };
        let institution = stoa_db::institutions::get(read.conn(), id)
            .await
            .map_err(DomainError::from)?
            .ok_or(DomainError::NotFound)?;
        let plan = plan_of(read.conn(), cfg, community).await?.clone();
        let customer = store::customer_of(read.conn(), AccountOwner::Institution(id))
            .await
            .map_err(DomainError::from)?;
        (c, institution, plan, customer)
    };
    let customer = match customer {
        Some(customer) => customer,
        None => {
            let mut lines = institution
                .address
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty());
            let line1 = lines.next().unwrap_or_default().to_owned();
            let line2 = lines.collect::<Vec<_>>().join(", ");
            let email = institution
                .billing_contacts
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or_default();
            let tax_id = stoa_stripe::calls::tax_id_type(&institution.country)
                .filter(|_| !institution.tax_id.trim().is_empty())
                .map(|kind| (kind.to_owned(), institution.tax_id.trim().to_owned()));
            let made = stripe
                .create_customer(
                    &stoa_stripe::Customer {
                        name: institution.legal_name.clone(),
                        email: email.to_owned(),
                        line1,
                        line2,
                        postal_code: String::new(),
                        city: String::new(),
                        country: institution.country.clone(),
                        tax_id,
                    },
                    [("institution".to_owned(), institution.id.to_string())].into(),
                    &format!("customer-institution-{}", institution.id),
                )
                .await?;
            let mut tx = db.begin().await.map_err(DomainError::from)?;
            store::set_customer(
                tx.conn(),
                AccountOwner::Institution(institution.id),
                &made,
                now,
            )
            .await
            .map_err(DomainError::from)?;
            tx.commit().await.map_err(DomainError::from)?;
            made
        }
    };
    let plan_id = stripe.ensure_plan(&plan, &cfg.currency).await?;
    let made = stripe
        .invoice_subscription(
            &stoa_stripe::InvoiceTerms {
                community: community.0,
                community_name: &c.name,
                customer: &customer,
                plan: &plan_id,
                days_until_due: cfg.net_days,
                po_number: &form.po_number,
                grant_number: &form.grant_number,
            },
            &format!("invoice-terms-{}-{job}", community.0),
        )
        .await?;
    // Recorded now, not only when its webhook comes: a second request meanwhile is refused.
    // At Stripe's time of making it, so every later event about it is newer.
    let mut tx = db.begin().await.map_err(DomainError::from)?;
    subscription_changed(&mut tx, cfg, &made, true, made.created.unwrap_or(0), now).await?;
    tx.commit().await.map_err(DomainError::from)?;
    Ok(())
}

/// Moves the community's Stripe subscription to the plan it is on in Stoa (the job queued by
/// each plan change, one at a time per community). Reads the plan when it runs, so it ends on
/// the latest; a job whose plan is already at Stripe changes nothing. The update carries the
/// key `plan-<community>-<job>-<plan>`: the same on every retry for the same plan, a new one
/// if the plan changed meanwhile.
pub async fn sync_plan(
    db: &Db,
    stripe: &Client,
    cfg: &BillingConfig,
    community: CommunityId,
    job: i64,
) -> std::result::Result<(), ChargeError> {
    let (ids, plan) = {
        let mut read = db.read().await.map_err(DomainError::from)?;
        let ids = store::stripe_ids(read.conn(), community)
            .await
            .map_err(DomainError::from)?;
        (ids, plan_of(read.conn(), cfg, community).await?.clone())
    };
    let Some((subscription, _)) = ids else {
        return Ok(());
    };
    let plan_id = stripe.ensure_plan(&plan, &cfg.currency).await?;
    stripe
        .change_plan(
            &subscription,
            &plan_id,
            &format!("plan-{}-{job}-{plan_id}", community.0),
        )
        .await?;
    Ok(())
}
