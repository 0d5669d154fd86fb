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
    let mut history = Vec::with_capacity(12);
    let mut m = month;
    for _ in 0..12 {
        let users = if m == month {
            monthly_active
        } else {
            stoa_db::usage::active_in(
                conn.reborrow(),
                community.id,
                m.first_day(),
                m.next().first_day(),
            )
            .await?
        };
        history.push(MonthUsage {
            month: m.key(),
            label: m.first_day().format("%b %Y").to_string(),
            users,
        });
        m = m.previous();
    }
    history.reverse();

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
