//! The public pricing page with its calculator, and a community's usage page with its charts.
//! Both are server-rendered HTML (charts as inline SVG, with the numbers also in tables), and
//! their forms are plain GET forms: they work the same without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::forms::{BUTTON, HINT, INPUT, LABEL, TABLE, guarded};
use crate::error::AppError;
use crate::pages::community::use_slug;
use crate::serverfns::billing::{PricingView, UsageView, get_pricing, get_usage};
use stoa_model::billing::{DayUsage, Estimate, MonthUsage, PlanCard};

/// How monthly active users are counted (the definition in `stoa_billing`'s docs).
const MAU_DEFINITION: &str = "A monthly active user is a person who started a server on one of \
    the community's hubs during the calendar month (UTC). Someone using two of its hubs counts once.";

/// The plans, and the usage fee each would charge for the number of people typed in.
#[component]
pub fn PricingPage() -> impl IntoView {
    let query = use_query_map();
    let users = move || query.read().get("users").unwrap_or_default();
    let plans = Resource::new(|| (), |_| get_pricing(String::new()));
    let estimate = Resource::new(users, get_pricing);
    view! {
        <Title text="Pricing" />
        <h1 class="text-2xl font-bold tracking-tight sm:text-3xl">"Pricing"</h1>
        <p class="mt-2 max-w-3xl text-slate-700 dark:text-slate-300">
            "A community pays a yearly membership and, each month, a usage fee for its monthly active users, in bands that get cheaper as it grows and capped each month. "
            {MAU_DEFINITION}
        </p>
        {guarded(plans, |p: PricingView| view! {
            <p class="mt-2 text-sm text-slate-700 dark:text-slate-300">
                {format!("Prices in {}. New communities try their plan free for {} days. Institutions pay by card, or by invoice with a PO number and bank transfer.", p.currency, p.trial_days)}
            </p>
            <ul class="mt-6 grid gap-4 md:grid-cols-3" data-testid="plans">
                {p.plans.into_iter().map(|plan| view! { <PlanCardView plan /> }).collect_view()}
            </ul>
        })}
        <section id="calculator" class="mt-10 max-w-3xl" aria-labelledby="calculator-heading">
            <h2 id="calculator-heading" class="text-lg font-semibold">"What would it cost?"</h2>
            <form method="get" action="/pricing#calculator" class="mt-3 flex items-end gap-2">
                <div>
                    <label for="users" class=LABEL>"People active in a month"</label>
                    <input id="users" name="users" type="number" inputmode="numeric" min="0" max="1000000" step="1" required class=INPUT value=users aria-describedby="users-error" />
                </div>
                <button type="submit" class=BUTTON>"Estimate"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match estimate.await {
                        Ok(PricingView { estimate: Some(e), .. }) => view! { <EstimateTable e /> }.into_any(),
                        Ok(_) => ().into_any(),
                        Err(AppError::Invalid { message, .. }) => view! {
                            <p id="users-error" role="alert" class="mt-2 text-sm text-red-700 dark:text-red-400">{message}</p>
                        }.into_any(),
                        Err(err) => view! { <p role="alert" class="mt-2 text-sm text-red-700">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PlanCardView(plan: PlanCard) -> impl IntoView {
    view! {
        <li class="rounded-lg border border-slate-200 p-5 dark:border-slate-800" data-testid=format!("plan-{}", plan.id)>
            <h2 class="text-lg font-semibold">{plan.name}</h2>
            <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">{plan.summary}</p>
            <p class="mt-3"><span class="text-2xl font-bold">{plan.annual_fee}</span>" per year"</p>
            <h3 class="mt-4 text-sm font-semibold">"Usage, per month"</h3>
            <ul class="mt-1 text-sm">
                {plan.usage.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                {plan.monthly_cap.map(|cap| view! { <li>{format!("At most {cap} a month")}</li> })}
            </ul>
            <dl class="mt-4 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                <dt class="text-slate-600 dark:text-slate-400">"Hubs"</dt><dd>{plan.included_hubs}</dd>
                <dt class="text-slate-600 dark:text-slate-400">"Support"</dt><dd>{plan.support}</dd>
                {plan.limits.into_iter().map(|(what, how)| view! {
                    <dt class="text-slate-600 dark:text-slate-400">{what}</dt><dd>{how}</dd>
                }).collect_view()}
            </dl>
        </li>
    }
}

#[component]
fn EstimateTable(e: Estimate) -> impl IntoView {
    let people = if e.users == 1 { "person" } else { "people" };
    view! {
        <table class=TABLE data-testid="estimate">
            <caption class="text-left text-sm">{format!("For {} {people} active in a month", e.users)}</caption>
            <thead><tr><th>"Plan"</th><th>"Usage fee per month"</th><th>"A year with membership"</th></tr></thead>
            <tbody>
                {e.fees.into_iter().map(|f| view! {
                    <tr class="border-t border-slate-200 dark:border-slate-800" data-testid=format!("estimate-{}", f.plan)>
                        <td class="py-2">{f.name}</td>
                        <td class="py-2">{if f.capped { format!("{} (capped)", f.monthly) } else { f.monthly }}</td>
                        <td class="py-2">{f.yearly_total}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A community's usage in one month: monthly active users, the daily chart, the months
/// before, each hub, and the usage fee.
#[component]
pub fn UsagePage() -> impl IntoView {
    let slug = use_slug();
    let query = use_query_map();
    let usage = Resource::new(
        move || (slug(), query.read().get("month").unwrap_or_default()),
        |(slug, month)| get_usage(slug, month),
    );
    let slug = use_slug();
    view! {
        <h2 class="text-lg font-semibold">"Usage"</h2>
        {guarded(usage, move |u: UsageView| {
            let here = format!("/communities/{}/usage", slug());
            view! { <Usage u here /> }
        })}
    }
}

#[component]
fn Usage(u: UsageView, here: String) -> impl IntoView {
    let people = |n: i64| if n == 1 { "person" } else { "people" };
    let fee_when = if u.current {
        "so far this month".to_owned()
    } else {
        format!("for {}", u.month_label)
    };
    let nav = {
        let here = here.clone();
        move |month: Option<String>, text: &'static str| {
            month.map(
                |m| view! { <A href=format!("{here}?month={m}") attr:class="underline">{text}</A> },
            )
        }
    };
    view! {
        <div class="mt-2 flex flex-wrap items-end gap-4">
            <p class="text-base font-medium" data-testid="usage-month">{u.month_label.clone()}</p>
            <nav class="flex gap-3 text-sm" aria-label="Months">
                {nav(u.previous.clone(), "Previous month")}
                {nav(u.next.clone(), "Next month")}
            </nav>
            <form method="get" action=here class="flex items-end gap-2">
                <div>
                    <label for="month" class=LABEL>"Month"</label>
                    <input id="month" name="month" type="month" class=INPUT value=u.month.clone() pattern="[0-9]{4}-[0-9]{2}" placeholder="2026-11" />
                </div>
                <button type="submit" class=BUTTON>"Show"</button>
            </form>
        </div>
        <dl class="mt-4 grid max-w-xl grid-cols-[auto_1fr] gap-x-4 gap-y-1">
            <dt class="text-slate-600 dark:text-slate-400">"Monthly active users"</dt>
            <dd class="font-semibold" data-testid="mau">{u.monthly_active}</dd>
            <dt class="text-slate-600 dark:text-slate-400">{format!("Usage fee {fee_when}")}</dt>
            <dd class="font-semibold" data-testid="usage-fee">{if u.capped { format!("{} (capped)", u.fee) } else { u.fee.clone() }}</dd>
            <dt class="text-slate-600 dark:text-slate-400">"Plan"</dt>
            <dd>{u.plan.clone()}" · "<A href="/pricing" attr:class="underline">"prices"</A></dd>
        </dl>
        {(!u.fee_lines.is_empty()).then(|| view! {
            <ul class="mt-2 text-sm text-slate-700 dark:text-slate-300" data-testid="fee-lines">
                {u.fee_lines.clone().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
        })}
        <p class=HINT>{MAU_DEFINITION}" The membership fee is billed yearly, apart from usage."</p>

        <h3 class="mt-6 text-base font-semibold" id="daily-heading">"People active each day"</h3>
        <DailyChart days=u.days.clone() label=u.month_label.clone() />
        <details class="mt-2 text-sm">
            <summary>"The numbers, day by day"</summary>
            <table class=TABLE data-testid="daily-table">
                <thead><tr><th>"Day"</th><th>"People"</th></tr></thead>
                <tbody>
                    {u.days.into_iter().filter(|d| d.users > 0).map(|d| view! {
                        <tr><td>{d.day}</td><td>{d.users}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>

        <h3 class="mt-6 text-base font-semibold">"Monthly active users, month by month"</h3>
        <MonthlyChart months=u.history.clone() />
        {if u.history.iter().all(|m| m.users == 0) {
            view! { <p class="mt-1 text-sm" data-testid="monthly-none">"No one started a server in these twelve months."</p> }.into_any()
        } else {
            view! {
                <table class=TABLE data-testid="monthly-table">
                    <thead><tr><th>"Month"</th><th>"Monthly active users"</th></tr></thead>
                    <tbody>
                        {u.history.into_iter().rev().filter(|m| m.users > 0).map(|m| view! {
                            <tr><td>{m.label}</td><td>{m.users}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}

        <h3 class="mt-6 text-base font-semibold">"By hub"</h3>
        {if u.hubs.is_empty() {
            view! { <p class="mt-1 text-sm">"This community has no hub yet."</p> }.into_any()
        } else {
            view! {
                <table class=TABLE data-testid="hub-usage">
                    <thead><tr><th>"Hub"</th><th>"Monthly active users"</th></tr></thead>
                    <tbody>
                        {u.hubs.into_iter().map(|(hub, n)| view! {
                            <tr><td>{hub}</td><td>{format!("{n} {}", people(n))}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}

/// Chart geometry: the drawing is 720 × 180 units with room for the axis labels.
const CHART_W: f64 = 720.0;
const CHART_H: f64 = 180.0;
const PAD_LEFT: f64 = 32.0;
const PAD_BOTTOM: f64 = 22.0;

/// A round top for the value axis: 1, 2, 5, 10, 20, 50… at or above `max`.
fn axis_top(max: i64) -> i64 {
    let mut step = 1_i64;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max.max(1) {
                return step * m;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Bars of `values` with a label under every `label_every`-th one, and a title (tooltip and
/// accessible name) on each.
fn bars(values: Vec<(String, String, i64)>, label_every: usize) -> impl IntoView {
    let top = axis_top(values.iter().map(|v| v.2).max().unwrap_or(0));
    let plot_w = CHART_W - PAD_LEFT;
    let plot_h = CHART_H - PAD_BOTTOM;
    let slot = plot_w / values.len().max(1) as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let y = move |v: i64| plot_h - (v as f64 / top as f64) * (plot_h - 8.0);
    view! {
        <line x1=PAD_LEFT y1=plot_h x2=CHART_W y2=plot_h class="stroke-slate-400" stroke-width="1" />
        <text x=PAD_LEFT - 6.0 y=y(top) + 4.0 text-anchor="end" font-size="11" class="fill-slate-600 dark:fill-slate-400">{top}</text>
        <text x=PAD_LEFT - 6.0 y=plot_h text-anchor="end" font-size="11" class="fill-slate-600 dark:fill-slate-400">"0"</text>
        {values.into_iter().enumerate().map(|(i, (label, title, v))| {
            let x = PAD_LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let top_y = y(v);
            view! {
                <g>
                    <title>{title}</title>
                    <rect x=x y=top_y width=bar_w height=(plot_h - top_y).max(0.0) class="fill-teal-600" />
                    {(i % label_every == 0).then(|| view! {
                        <text x=x + bar_w / 2.0 y=CHART_H - 6.0 text-anchor="middle" font-size="11" class="fill-slate-600 dark:fill-slate-400">{label}</text>
                    })}
                </g>
            }
        }).collect_view()}
    }
}

#[component]
fn DailyChart(days: Vec<DayUsage>, label: String) -> impl IntoView {
    let total_days = days.len();
    let values = days
        .into_iter()
        .map(|d| {
            let day = d
                .day
                .get(8..)
                .unwrap_or_default()
                .trim_start_matches('0')
                .to_owned();
            let people = if d.users == 1 { "person" } else { "people" };
            (day, format!("{}: {} {people}", d.day, d.users), d.users)
        })
        .collect::<Vec<_>>();
    view! {
        <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") class="mt-2 w-full max-w-3xl" role="img" aria-labelledby="daily-title" data-testid="daily-chart">
            <title id="daily-title">{format!("People active each day of {label}, {total_days} days")}</title>
            {bars(values, 5)}
        </svg>
    }
}

#[component]
fn MonthlyChart(months: Vec<MonthUsage>) -> impl IntoView {
    let values = months
        .into_iter()
        .map(|m| {
            let short = m.label.split(' ').next().unwrap_or_default().to_owned();
            (
                short,
                format!("{}: {} monthly active users", m.label, m.users),
                m.users,
            )
        })
        .collect::<Vec<_>>();
    view! {
        <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") class="mt-2 w-full max-w-3xl" role="img" aria-label="Monthly active users over the last twelve months" data-testid="monthly-chart">
            {bars(values, 1)}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::axis_top;

    #[test]
    fn the_axis_ends_on_a_round_number() {
        let tops: Vec<i64> = [0, 1, 2, 3, 6, 11, 49, 51, 999, 1001]
            .into_iter()
            .map(axis_top)
            .collect();
        assert_eq!(tops, [1, 1, 2, 5, 10, 20, 50, 100, 1000, 2000]);
    }
}
