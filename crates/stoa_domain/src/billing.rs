//! Plans, pricing and usage: the public pricing page and its calculator, and a community's
//! usage page (monthly active users as `stoa_billing` defines them, the daily chart, the
//! usage fee of the month).
//!
//! A community is on the plan it chose, or on the configured default plan: [`plan_of`] is
//! the one place that answers "which plan". The plan sets the bounds its hub settings work
//! within ([`base_bounds`]); [`change_plan`] shows what a change would do before making it.

pub use stoa_billing::{BillingConfig, FeeBreakdown, Money, Month, Plan, UsageBand};
use stoa_db::communities::CommunityId;
use stoa_db::{Conn, WriteTx};
use stoa_hubs::Bounds;
use stoa_model::Action;
use stoa_model::billing::{
    DayUsage, Estimate, LimitChange, MonthUsage, PlanCard, PlanChangeView, PlanFee, PlanSummary,
    PricingView, UsageView,
};

use crate::audit::Changes;
use crate::hubs::HubConfig;
use crate::{Ctx, DomainError, Result, access};

/// The most people the calculator prices (a typo guard, far above any community).
pub const MAX_ESTIMATE_USERS: u32 = 1_000_000;

/// The plan `community` is on: the one it chose, else the default. A chosen plan that is no
/// longer configured counts as the default (and is logged), so removing a plan from the
/// configuration never leaves a community without limits.
pub async fn plan_of<'c>(
    conn: Conn<'_>,
    cfg: &'c BillingConfig,
    community: CommunityId,
) -> Result<&'c Plan> {
    let chosen = stoa_db::plans::of_community(conn, community).await?;
    Ok(match chosen.as_deref().map(|id| (id, cfg.plan(id))) {
        Some((_, Some(plan))) => plan,
        Some((id, None)) => {
            tracing::warn!(
                community = community.0,
                plan = id,
                "the community's plan is no longer configured; using the default plan"
            );
            cfg.default_plan()
        }
        None => cfg.default_plan(),
    })
}

/// The bounds `community`'s hub settings work within before staff overrides: the service's
/// (`[hubs.bounds]`) with its plan's on top.
pub async fn base_bounds(
    conn: Conn<'_>,
    hubs: &HubConfig,
    cfg: &BillingConfig,
    community: CommunityId,
) -> Result<Bounds> {
    Ok(plan_of(conn, cfg, community).await?.bounds_on(&hubs.bounds))
}

/// What moving the community `slug` to `plan` does: the fee and each limit before and after,
/// and what in its hub settings would no longer fit. With `confirm`, it also moves it.
pub async fn change_plan(
    ctx: &Ctx,
    tx: &mut WriteTx,
    hubs: &HubConfig,
    cfg: &BillingConfig,
    slug: &str,
    plan: &str,
    confirm: bool,
) -> Result<PlanChangeView> {
    let access = access::change(ctx, tx, slug, Action::ChangePlan).await?;
    let me = ctx.caller()?;
    let community = &access.community;
    let to = cfg
        .plan(plan.trim())
        .ok_or_else(|| DomainError::invalid("plan", "Choose one of the plans on offer."))?;
    let from = plan_of(tx.conn(), cfg, community.id).await?;
    if from.id == to.id {
        return Err(DomainError::invalid(
            "plan",
            format!("{} is on the {} plan already.", community.name, to.name),
        ));
    }
    let (before, after) = (from.bounds_on(&hubs.bounds), to.bounds_on(&hubs.bounds));
    let limits = stoa_billing::limits_in_words(&before)
        .into_iter()
        .zip(stoa_billing::limits_in_words(&after))
        .map(|((what, from), (_, to))| LimitChange {
            changed: from != to,
            what,
            from,
            to,
        })
        .collect();
    let misfits = crate::hubs::misfits(tx.conn(), hubs, &access, &after).await?;
    if confirm {
        stoa_db::plans::set(tx.conn(), community.id, &to.id, me.id, ctx.now).await?;
        // Paying through Stripe: its subscription follows (a job: Stripe may be down).
        if stoa_db::stripe::stripe_ids(tx.conn(), community.id)
            .await?
            .is_some()
        {
            let task = stoa_db::jobs::Task::SyncStripePlan {
                community_id: community.id.0,
            };
            // One job per change, in order (a key would drop a change made while the job of
            // the previous one runs); each moves Stripe to the plan current when it runs.
            let placement = stoa_db::jobs::Placement {
                queue: Some(format!("stripe:{}", community.id.0)),
                ..Default::default()
            };
            stoa_db::jobs::enqueue_task_placed(tx.conn(), &task, &placement, ctx.now).await?;
        }
        access
            .audit(me, "community.plan_changed", &community.name)
            .changes(Changes::default().field("plan", &from.id, &to.id))
            .record(tx.conn(), ctx.now)
            .await?;
    }
    Ok(PlanChangeView {
        from: from.name.clone(),
        to: to.name.clone(),
        to_id: to.id.clone(),
        annual_from: from.annual_fee.display(&cfg.currency),
        annual_to: to.annual_fee.display(&cfg.currency),
        limits,
        misfits,
        changed: confirm,
    })
}

/// The community's plan and this month's usage so far, for its billing page.
pub(crate) async fn summary(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    cfg: &BillingConfig,
    access: &access::CommunityAccess,
) -> Result<PlanSummary> {
    let community = access.community.id;
    let plan = plan_of(conn.reborrow(), cfg, community).await?;
    let month = Month::of(ctx.now.as_datetime());
    let monthly_active =
        stoa_db::usage::active_in(conn, community, month.first_day(), month.next().first_day())
            .await?;
    let fee = plan
        .usage
        .fee(u32::try_from(monthly_active).unwrap_or(u32::MAX));
    Ok(PlanSummary {
        id: plan.id.clone(),
        name: plan.name.clone(),
        annual_fee: plan.annual_fee.display(&cfg.currency),
        monthly_active,
        usage_so_far: fee.total.display(&cfg.currency),
        choices: access.may(Action::ChangePlan).then(|| {
            cfg.plans
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        p.name.clone(),
                        p.annual_fee.display(&cfg.currency),
                    )
                })
                .collect()
        }),
    })
}

/// The pricing page; with `users` (as typed, empty for none) the calculator's answer.
/// `service` is `[hubs.bounds]`, which plans' bounds change.
pub fn pricing(
    ctx: &Ctx,
    cfg: &BillingConfig,
    service: &Bounds,
    users: &str,
) -> Result<PricingView> {
    access::global(ctx, Action::ViewPricing)?;
    let users = users.trim();
    let estimate = if users.is_empty() {
        None
    } else {
        let users = users
            .replace([',', '_', ' '], "")
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_ESTIMATE_USERS)
            .ok_or_else(|| {
                DomainError::invalid("users", "A whole number of people, from 0 to 1,000,000.")
            })?;
        Some(Estimate {
            users,
            fees: cfg
                .plans
                .iter()
                .map(|plan| {
                    let fee = plan.usage.fee(users);
                    PlanFee {
                        plan: plan.id.clone(),
                        name: plan.name.clone(),
                        monthly: fee.total.display(&cfg.currency),
                        capped: fee.capped,
                        yearly_total: Money(
                            plan.annual_fee
                                .0
                                .saturating_add(fee.total.0.saturating_mul(12)),
                        )
                        .display(&cfg.currency),
                    }
                })
                .collect(),
        })
    };
    Ok(PricingView {
        currency: cfg.currency.code().to_ascii_uppercase(),
        trial_days: cfg.trial_days,
        plans: cfg.plans.iter().map(|p| card(cfg, service, p)).collect(),
        estimate,
    })
}

fn card(cfg: &BillingConfig, service: &Bounds, plan: &Plan) -> PlanCard {
    PlanCard {
        id: plan.id.clone(),
        name: plan.name.clone(),
        summary: plan.summary.clone(),
        annual_fee: plan.annual_fee.display(&cfg.currency),
        usage: plan.usage_in_words(&cfg.currency),
        monthly_cap: plan.usage.monthly_cap.map(|c| c.display(&cfg.currency)),
        included_hubs: plan.included_hubs,
        support: plan.support.clone(),
        limits: plan.limits_in_words(service),
    }
}

/// A community's usage in `month` (`YYYY-MM` as typed; empty: this month).
pub async fn usage(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    cfg: &BillingConfig,
    slug: &str,
    month: &str,
) -> Result<UsageView> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewUsage).await?;
    let community = &access.community;
    let this_month = Month::of(ctx.now.as_datetime());
    let month = match month.trim() {
        "" => this_month,
        typed => Month::parse(typed)
            .ok_or_else(|| DomainError::invalid("month", "A month as YYYY-MM, such as 2026-11."))?,
    };
    if month > this_month {
        return Err(DomainError::invalid(
            "month",
            "That month has not begun yet.",
        ));
    }
    let first_month = Month::of(community.created_at.as_datetime());
    let (from, to) = (month.first_day(), month.next().first_day());

    let counts = stoa_db::usage::daily_active(conn.reborrow(), community.id, from, to).await?;
    let days = month
        .days()
        .map(|day| DayUsage {
            day: day.format("%Y-%m-%d").to_string(),
            users: counts
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, n)| *n),
        })
        .collect();
    let monthly_active = stoa_db::usage::active_in(conn.reborrow(), community.id, from, to).await?;
    let hubs = stoa_db::usage::active_by_hub(conn.reborrow(), community.id, from, to).await?;
    // Twelve months up to this one, in one query.
    let mut months = vec![month];
    for _ in 1..12 {
        months.push(months[months.len() - 1].previous());
    }
    months.reverse();
    let counts =
        stoa_db::usage::active_by_month(conn.reborrow(), community.id, months[0].first_day(), to)
            .await?;
    let history = months
        .into_iter()
        .map(|m| {
            let key = m.key();
            let users = counts
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(0, |(_, n)| *n);
            MonthUsage {
                month: key,
                label: m.first_day().format("%b %Y").to_string(),
                users,
            }
        })
        .collect();

    let plan = plan_of(conn.reborrow(), cfg, community.id).await?;
    let fee = plan
        .usage
        .fee(u32::try_from(monthly_active).unwrap_or(u32::MAX));
    Ok(UsageView {
        community: community.name.clone(),
        month: month.key(),
        month_label: month.label(),
        previous: (month > first_month).then(|| month.previous().key()),
        next: (month < this_month).then(|| month.next().key()),
        current: month == this_month,
        days,
        monthly_active,
        hubs,
        history,
        plan: plan.name.clone(),
        fee_lines: fee_lines(cfg, &fee),
        fee: fee.total.display(&cfg.currency),
        capped: fee.capped,
    })
}

/// `12 users × €4.00 (users 11–100) = €48.00`, one per band with users; the cap last.
fn fee_lines(cfg: &BillingConfig, fee: &FeeBreakdown) -> Vec<String> {
    let c = &cfg.currency;
    let mut out: Vec<String> = fee
        .lines
        .iter()
        .map(|l| {
            let band = match l.to {
                Some(to) if to == l.from => format!("user {}", l.from),
                Some(to) => format!("users {}–{to}", l.from),
                None => format!("users {} and up", l.from),
            };
            let people = if l.users == 1 { "user" } else { "users" };
            format!(
                "{} {people} × {} ({band}) = {}",
                l.users,
                l.unit_amount.display(c),
                l.amount.display(c)
            )
        })
        .collect();
    if fee.capped {
        out.push(format!(
            "Capped at {} (before the cap: {})",
            fee.total.display(c),
            fee.subtotal.display(c)
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Standing, manual invoices and payments.
//
// A community is `trialing` (for `trial_days` from when billing first sees it), `active`
// (paid until a date), `past_due` (a trial or paid period ended, or an invoice is overdue)
// or `canceled` (staff). Past due starts a grace period of `grace_days` with a notice to the
// billing contacts; after it, changes to the hub pause (`changes_paused_from`), and the hub
// keeps running. Nothing is stopped or deleted for non-payment without a staff action.
// ---------------------------------------------------------------------------------------

use stoa_db::Timestamp;
use stoa_db::billing::{NewInvoice, Subscription};
use stoa_model::billing::{InvoiceRow, StandingView};

/// How long one payment of the membership lasts.
const MEMBERSHIP_PERIOD_DAYS: i64 = 365;

/// The standing of a community that billing has not seen yet (the sweep gives it a row
/// within a minute): trialing for the configured length from now.
fn standing_or_new(
    s: Option<Subscription>,
    cfg: &BillingConfig,
    community: CommunityId,
    now: Timestamp,
) -> Subscription {
    s.unwrap_or_else(|| Subscription {
        community_id: community,
        status: "trialing".into(),
        trial_ends_at: Some(now + chrono::TimeDelta::days(i64::from(cfg.trial_days))),
        paid_until: None,
        past_due_since: None,
        changes_paused_from: None,
    })
}

/// The standing in words.
pub fn standing_view(s: &Subscription, now: Timestamp) -> StandingView {
    let day = |t: Option<Timestamp>| t.map(crate::date_of).unwrap_or_default();
    let paused = s.changes_paused_from.is_some_and(|t| t <= now);
    let headline = match s.status.as_str() {
        "trialing" => format!("Trial until {}", day(s.trial_ends_at)),
        "active" => format!("Paid until {}", day(s.paid_until)),
        "past_due" if paused => format!(
            "Payment overdue since {}: changes to the hub are paused until it is paid (the hub keeps running)",
            day(s.past_due_since)
        ),
        "past_due" => format!(
            "Payment overdue since {}: changes to the hub pause on {} unless it is paid",
            day(s.past_due_since),
            day(s.changes_paused_from)
        ),
        _ => "Canceled: changes to the hub are paused (the hub keeps running until staff stop it)"
            .into(),
    };
    StandingView {
        status: s.status.clone(),
        headline,
        changes_paused: paused,
    }
}

/// Why changes to the community's hubs are paused, if they are.
pub async fn changes_paused(
    conn: Conn<'_>,
    community: CommunityId,
    now: Timestamp,
) -> Result<Option<String>> {
    let s = stoa_db::billing::subscription(conn, community).await?;
    Ok(s.filter(|s| s.changes_paused_from.is_some_and(|t| t <= now))
        .map(|s| {
            if s.status == "canceled" {
                "The membership is canceled, so changes to the hub are paused. Contact support.".to_owned()
            } else {
                format!(
                    "Changes to the hub are paused: payment is overdue since {}. The hub keeps running; the billing page says what is due.",
                    s.past_due_since.map(crate::date_of).unwrap_or_default()
                )
            }
        }))
}

/// Moves standings forward as their dates pass: gives new communities their trial, and makes
/// past due those whose trial or paid period ended or whose invoice is overdue (each with a
/// notice to its billing contacts, and an audit entry). Returns how many became past due.
/// Runs in the worker's transaction; several workers may run it at once (rows are locked).
pub async fn sweep(
    tx: &mut WriteTx,
    cfg: &BillingConfig,
    now: Timestamp,
    public_url: &str,
) -> Result<usize> {
    let trial_end = now + chrono::TimeDelta::days(i64::from(cfg.trial_days));
    stoa_db::billing::start_trials(tx.conn(), trial_end, now).await?;
    let mut due = Vec::new();
    for s in stoa_db::billing::lapsed(tx.conn(), now, 200).await? {
        let since = if s.status == "trialing" {
            s.trial_ends_at
        } else {
            s.paid_until
        }
        .unwrap_or(now);
        due.push((s.community_id, since, "ended"));
    }
    let today = now.as_datetime().date_naive();
    for (community, due_on) in stoa_db::billing::overdue(tx.conn(), today, 200).await? {
        let since = crate::start_of(due_on.succ_opt().unwrap_or(due_on));
        due.push((community, since, "overdue"));
    }
    let mut changed = Vec::new();
    for (community, since, why) in due {
        let paused_from = since + chrono::TimeDelta::days(i64::from(cfg.grace_days));
        // Conditional: a community both lapsed and overdue, or seen by two workers, is made
        // past due (and its contacts told) once.
        if stoa_db::billing::mark_past_due(tx.conn(), community, since, paused_from, now).await? {
            changed.push((community, since, paused_from, why));
        }
    }
    for &(community_id, since, paused_from, why) in &changed {
        let community = stoa_db::communities::by_id(tx.conn(), community_id).await?;
        crate::audit::Audit::by_stoa("billing.past_due", &community.name)
            .community(&community)
            .after(serde_json::json!({ "since": crate::date_of(since), "why": why }))
            .record(tx.conn(), now)
            .await?;
        let mail =
            crate::mail::payment_overdue(&community.name, &community.slug, paused_from, public_url);
        for to in stoa_db::billing::contacts(tx.conn(), community_id, now).await? {
            let task = stoa_db::jobs::Task::SendNotice {
                to,
                subject: mail.subject.clone(),
                body: mail.body.clone(),
            };
            stoa_db::jobs::enqueue_task(tx.conn(), &task, now).await?;
        }
    }
    Ok(changed.len())
}

/// The community's standing and invoices for its billing page.
pub(crate) async fn standing_and_invoices(
    mut conn: Conn<'_>,
    cfg: &BillingConfig,
    community: CommunityId,
    now: Timestamp,
) -> Result<(StandingView, Vec<InvoiceRow>)> {
    let s = stoa_db::billing::subscription(conn.reborrow(), community).await?;
    let standing = standing_view(&standing_or_new(s, cfg, community, now), now);
    let today = now.as_datetime().date_naive();
    let invoices = stoa_db::billing::invoices(conn.reborrow(), community)
        .await?
        .into_iter()
        .map(|i| {
            let currency = stoa_billing::Currency::try_from(i.currency.clone()).unwrap_or_default();
            let state = match (i.status.as_str(), i.paid_on) {
                ("paid", Some(on)) if i.payment_reference.is_empty() => format!("Paid on {on}"),
                ("paid", Some(on)) => format!("Paid on {on} ({})", i.payment_reference),
                ("open", _) if i.due_on < today => format!("Overdue since {}", i.due_on),
                ("open", _) => format!("Due {}", i.due_on),
                (other, _) => other.to_owned(),
            };
            InvoiceRow {
                id: i.id,
                number: i.number,
                description: i.description,
                amount: Money(i.amount).display(&currency),
                po_number: i.po_number,
                issued_on: i.issued_on.to_string(),
                due_on: i.due_on.to_string(),
                status: i.status,
                state,
                manual: true,
                pdf_url: String::new(),
                pay_url: String::new(),
            }
        })
        .collect();
    let mut invoices: Vec<InvoiceRow> = invoices;
    for i in stoa_db::stripe::invoices(conn, community).await? {
        let currency = stoa_billing::Currency::try_from(i.currency.clone()).unwrap_or_default();
        let state = match (i.status.as_str(), i.due_on) {
            ("paid", _) => "Paid".to_owned(),
            ("open", Some(due)) if due < today => format!("Overdue since {due}"),
            ("open", Some(due)) => format!("Due {due}"),
            ("open", None) => "Being charged to the card".to_owned(),
            ("void", _) => "Void".to_owned(),
            ("uncollectible", _) => "Uncollectible".to_owned(),
            (other, _) => other.to_owned(),
        };
        invoices.push(InvoiceRow {
            id: 0,
            number: if i.number.is_empty() {
                "(draft)".into()
            } else {
                i.number
            },
            description: "Stripe invoice".into(),
            amount: Money(i.amount_due).display(&currency),
            po_number: String::new(),
            issued_on: i.created_on.to_string(),
            due_on: i.due_on.map(|d| d.to_string()).unwrap_or_default(),
            status: i.status,
            state,
            manual: false,
            pdf_url: i.pdf_url,
            pay_url: i.hosted_url,
        });
    }
    invoices.sort_by(|a, b| b.issued_on.cmp(&a.issued_on));
    Ok((standing, invoices))
}

/// An invoice as staff type it.
#[derive(Debug, Clone, Default)]
pub struct InvoiceForm {
    /// Printed number.
    pub number: String,
    /// What it is for.
    pub description: String,
    /// Amount in major units (`1,200.00`).
    pub amount: String,
    /// The customer's PO number (optional).
    pub po_number: String,
    /// `YYYY-MM-DD`; empty: today.
    pub issued_on: String,
    /// `YYYY-MM-DD`; empty: `net_days` after issue.
    pub due_on: String,
}

/// Records an open invoice for the community `slug` (staff; manual billing).
pub async fn record_invoice(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &BillingConfig,
    slug: &str,
    f: &InvoiceForm,
) -> Result<i64> {
    use stoa_model::validate::{self, Checks};
    let access = access::change(ctx, tx, slug, Action::RecordPayments).await?;
    let me = ctx.caller()?;
    let mut checks = Checks::default();
    let number = checks.take(validate::line(
        "number",
        "the invoice number",
        &f.number,
        1,
        64,
    ));
    let description = checks.take(validate::line(
        "description",
        "what the invoice is for",
        &f.description,
        1,
        200,
    ));
    let amount = match Money::parse(&f.amount, &cfg.currency) {
        Ok(m) if m.0 > 0 => m,
        Ok(_) => {
            checks.add("amount", "The amount must be above zero.");
            Money(0)
        }
        Err(message) => {
            checks.add("amount", message);
            Money(0)
        }
    };
    let po_number = checks.take(validate::line(
        "po_number",
        "the PO number",
        &f.po_number,
        0,
        64,
    ));
    let issued_on = checks.take(validate::date("issued_on", &f.issued_on));
    let due_on = checks.take(validate::date("due_on", &f.due_on));
    checks.finish()?;
    let issued_on = issued_on.unwrap_or_else(|| ctx.now.as_datetime().date_naive());
    let due_on = due_on.unwrap_or(issued_on + chrono::TimeDelta::days(i64::from(cfg.net_days)));
    if due_on < issued_on {
        return Err(DomainError::invalid(
            "due_on",
            "The due date is before the issue date.",
        ));
    }
    let invoice = NewInvoice {
        community: access.community.id,
        number: &number,
        description: &description,
        amount: amount.0,
        currency: cfg.currency.code(),
        po_number: &po_number,
        issued_on,
        due_on,
    };
    let id = match stoa_db::billing::insert_invoice(tx.conn(), &invoice, me.id, ctx.now).await {
        Err(stoa_db::DbError::Conflict) => {
            return Err(DomainError::invalid(
                "number",
                "Another invoice has this number.",
            ));
        }
        other => other?,
    };
    access
        .audit(me, "billing.invoice_recorded", &number)
        .after(serde_json::json!({
            "amount": amount.display(&cfg.currency),
            "due_on": due_on.to_string(),
            "po_number": po_number,
        }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(id)
}

/// Records that invoice `invoice` of the community `slug` was paid (a bank transfer), and
/// makes the community active for a year from the end of what it had paid (or from now).
pub async fn record_payment(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &BillingConfig,
    slug: &str,
    invoice: i64,
    paid_on: &str,
    reference: &str,
) -> Result<()> {
    use stoa_model::validate::{self, Checks};
    let access = access::change(ctx, tx, slug, Action::RecordPayments).await?;
    let me = ctx.caller()?;
    let mut checks = Checks::default();
    let paid_on = checks.take(validate::date("paid_on", paid_on));
    let reference = checks.take(validate::line(
        "reference",
        "the transfer's reference",
        reference,
        0,
        100,
    ));
    checks.finish()?;
    let paid_on = paid_on.unwrap_or_else(|| ctx.now.as_datetime().date_naive());
    if paid_on > ctx.now.as_datetime().date_naive() {
        return Err(DomainError::invalid(
            "paid_on",
            "The payment date is in the future.",
        ));
    }
    let community = access.community.id;
    // A live Stripe subscription keeps the standing: recording a payment by hand would take
    // it from Stripe while Stripe still bills. Staff cancel it at Stripe first.
    if stoa_db::stripe::live(tx.conn(), community).await? {
        return Err(DomainError::invalid(
            "invoice_id",
            "This community pays through Stripe, which records its payments. Cancel its Stripe subscription first to take billing over by hand.",
        ));
    }
    let found = stoa_db::billing::invoice(tx.conn(), community, invoice)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !stoa_db::billing::mark_paid(tx.conn(), found.id, paid_on, &reference).await? {
        return Err(DomainError::invalid(
            "form",
            format!("Invoice {} is {} already.", found.number, found.status),
        ));
    }
    let current = stoa_db::billing::subscription(tx.conn(), community).await?;
    let mut s = standing_or_new(current, cfg, community, ctx.now);
    let from = s.paid_until.filter(|t| *t > ctx.now).unwrap_or(ctx.now);
    s.status = "active".into();
    s.paid_until = Some(from + chrono::TimeDelta::days(MEMBERSHIP_PERIOD_DAYS));
    s.trial_ends_at = None;
    s.past_due_since = None;
    s.changes_paused_from = None;
    stoa_db::billing::save_subscription(tx.conn(), &s, ctx.now).await?;
    access
        .audit(me, "billing.payment_recorded", &found.number)
        .after(serde_json::json!({
            "paid_on": paid_on.to_string(),
            "paid_until": s.paid_until.map(crate::date_of),
        }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}
