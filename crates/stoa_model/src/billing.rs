//! Plans, pricing and usage as pages show them: amounts already written out in the
//! configured currency (the browser never computes a fee).

use serde::{Deserialize, Serialize};

/// One plan on the pricing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCard {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Who it is for.
    pub summary: String,
    /// The membership fee per year (`€600.00`).
    pub annual_fee: String,
    /// The usage fee band by band (`Users 11–100: €4.00 each`).
    pub usage: Vec<String>,
    /// The monthly cap of the usage fee, if any.
    pub monthly_cap: Option<String>,
    /// Hubs included.
    pub included_hubs: u32,
    /// Support level.
    pub support: String,
    /// What hubs may use on this plan: (what, how much).
    pub limits: Vec<(String, String)>,
}

/// The public pricing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingView {
    /// Currency code, upper case.
    pub currency: String,
    /// Days of the trial.
    pub trial_days: u32,
    /// The plans, cheapest first.
    pub plans: Vec<PlanCard>,
    /// The calculator's answer, when asked.
    pub estimate: Option<Estimate>,
}

/// The usage fee of each plan for an expected number of monthly active users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// Users asked about.
    pub users: u32,
    /// Per plan, in the order of the cards.
    pub fees: Vec<PlanFee>,
}

/// One plan's usage fee for the estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFee {
    /// Plan id.
    pub plan: String,
    /// Plan name.
    pub name: String,
    /// The monthly usage fee.
    pub monthly: String,
    /// Whether the monthly cap applies.
    pub capped: bool,
    /// Membership plus twelve such months.
    pub yearly_total: String,
}

/// One day of the usage chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    /// `2026-11-03`.
    pub day: String,
    /// People active that day.
    pub users: i64,
}

/// One month of the usage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthUsage {
    /// `2026-11`.
    pub month: String,
    /// `Nov 2026`.
    pub label: String,
    /// Monthly active users.
    pub users: i64,
}

/// A community's usage page for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    /// Community name.
    pub community: String,
    /// `2026-11`.
    pub month: String,
    /// `November 2026`.
    pub month_label: String,
    /// The month before (when it is not before the community existed).
    pub previous: Option<String>,
    /// The month after (when it has begun).
    pub next: Option<String>,
    /// Whether the month is the current one (the fee is "so far").
    pub current: bool,
    /// Every day of the month, first to last (future days of the current month included,
    /// at zero).
    pub days: Vec<DayUsage>,
    /// Monthly active users of the month.
    pub monthly_active: i64,
    /// Monthly active users per hub: (hub, users).
    pub hubs: Vec<(String, i64)>,
    /// The twelve months up to this one, oldest first.
    pub history: Vec<MonthUsage>,
    /// The community's plan name.
    pub plan: String,
    /// The usage fee line by line.
    pub fee_lines: Vec<String>,
    /// The usage fee of the month (so far, for the current month).
    pub fee: String,
    /// Whether the monthly cap lowered it.
    pub capped: bool,
}

/// One limit before and after a plan change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitChange {
    /// What (`Largest server memory`).
    pub what: String,
    /// On the current plan.
    pub from: String,
    /// On the new plan.
    pub to: String,
    /// Whether it differs.
    pub changed: bool,
}

/// What a plan change does (shown before it is confirmed, and after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChangeView {
    /// The current plan's name.
    pub from: String,
    /// The new plan's name.
    pub to: String,
    /// The new plan's id (what confirming sends).
    pub to_id: String,
    /// Yearly membership now.
    pub annual_from: String,
    /// Yearly membership on the new plan.
    pub annual_to: String,
    /// Every limit, before and after.
    pub limits: Vec<LimitChange>,
    /// What in the hub's newest settings would not fit the new plan: the hub keeps running
    /// them, but the next change must fit.
    pub misfits: Vec<String>,
    /// Whether the change was made (false: only shown).
    pub changed: bool,
}

/// The community's plan on its billing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// Plan id.
    pub id: String,
    /// Plan name.
    pub name: String,
    /// Yearly membership.
    pub annual_fee: String,
    /// Monthly active users so far this month.
    pub monthly_active: i64,
    /// The usage fee so far this month.
    pub usage_so_far: String,
    /// The plans it may move to, (id, name, yearly fee), when the viewer may change it.
    pub choices: Option<Vec<(String, String, String)>>,
}

/// Where the community stands with paying, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingView {
    /// `trialing`, `active`, `past_due` or `canceled`.
    pub status: String,
    /// One line (`Trial until 2026-12-26`, `Paid until 2027-11-26`, `Payment overdue since …`).
    pub headline: String,
    /// Whether changes to the hub are paused (it keeps running).
    pub changes_paused: bool,
}

/// One invoice on the billing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    /// Id (what recording its payment sends).
    pub id: i64,
    /// Printed number.
    pub number: String,
    /// What it is for.
    pub description: String,
    /// Amount, written out.
    pub amount: String,
    /// PO number.
    pub po_number: String,
    /// Issued, `YYYY-MM-DD`.
    pub issued_on: String,
    /// Due, `YYYY-MM-DD`.
    pub due_on: String,
    /// `open`, `paid` or `void`.
    pub status: String,
    /// `Paid on 2026-12-01 (reference)` or `Due 2026-12-26`, `Overdue since …`.
    pub state: String,
    /// Recorded by staff (its payment is recorded by hand); else made by Stripe.
    pub manual: bool,
    /// Its PDF (Stripe's invoices), or empty.
    pub pdf_url: String,
    /// Its page at Stripe, where it can be paid, or empty.
    pub pay_url: String,
}

/// How the community pays, and what the viewer may do about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// `Card, through Stripe`, `Invoice (bank transfer)`, …
    pub method: String,
    /// What the next invoice will hold, estimated (membership and usage so far).
    pub next_invoice: String,
    /// Whether the viewer may start paying by card (Stripe configured, not paying there yet).
    pub may_pay_by_card: bool,
    /// Whether the viewer may open the Stripe Customer Portal (the account has a customer).
    pub may_manage: bool,
    /// Whether the viewer may ask to pay by invoice through Stripe (an institution pays).
    pub may_request_invoices: bool,
    /// Who hears about payments (the billing contacts), masked for those who only view.
    pub contacts: Vec<String>,
}
