//! Quota and change requests (issue 14): what a community cannot set itself (a bound of its
//! plan, a GPU for an environment, a custom domain) it asks for on a ticket of its own kind,
//! carrying the values ([`stoa_hubs::quota::QuotaRequest`], kept beside the ticket). It is
//! not a revision: the values are outside the community's bounds, so no revision could hold
//! them yet.
//!
//! Staff read the price difference from the plan configuration first (the cheapest plan that
//! includes the values, against the community's own), and what approving would change in
//! the hub's settings. Approving raises the community's bounds and makes a revision on top
//! of the latest one ([`crate::hubs::grant_quota`]), applied at once when the hub runs the
//! latest; declining needs a reason. Either is a public answer on the ticket, which resolves
//! it and mails whoever opened it.

use stoa_db::WriteTx;
use stoa_db::tickets::{self, Ticket};
use stoa_hubs::quota::{GpuRequest, QuotaRequest};
use stoa_model::Action;
use stoa_model::support::{QuotaChoices, QuotaView, TicketOpened};
use stoa_model::validate::Checks;
use stoa_support::Kind;

use crate::access::{self, CommunityAccess};
use crate::billing::{BillingConfig, Plan};
use crate::hubs::HubConfig;
use crate::support::{Answer, Desk};
use crate::{Ctx, DomainError, Result};

/// What the quota request form sends: each value empty (not asked for) or a whole number.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuotaForm<'a> {
    /// GiB.
    pub memory_gib: &'a str,
    /// Cores.
    pub cpu_cores: &'a str,
    /// GiB.
    pub home_quota_gib: &'a str,
    /// Hours.
    pub idle_timeout_hours: &'a str,
    /// Days.
    pub max_age_days: &'a str,
    /// People.
    pub event_users: &'a str,
    /// Environments.
    pub environments: &'a str,
    /// An environment's slug, or empty.
    pub gpu_environment: &'a str,
    /// GPUs for it.
    pub gpus: &'a str,
    /// A host name, or empty.
    pub custom_domain: &'a str,
    /// An impact word.
    pub impact: &'a str,
    /// Why (Markdown).
    pub body: &'a str,
}

fn number(checks: &mut Checks, field: &str, value: &str) -> Option<u32> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            checks.add(field, format!("“{value}” is not a whole number."));
            None
        }
    }
}

/// The request a form asks for, or each mistake by field.
fn parse(form: &QuotaForm<'_>) -> Result<QuotaRequest> {
    let mut checks = Checks::default();
    let mut n = |field, value| number(&mut checks, field, value);
    let memory_gib = n("memory_gib", form.memory_gib);
    let cpu_cores = n("cpu_cores", form.cpu_cores);
    let home_quota_gib = n("home_quota_gib", form.home_quota_gib);
    let idle_timeout_hours = n("idle_timeout_hours", form.idle_timeout_hours);
    let max_age_days = n("max_age_days", form.max_age_days);
    let event_users = n("event_users", form.event_users);
    let environments = n("environments", form.environments);
    let gpus = n("gpus", form.gpus);
    let gpu = match (form.gpu_environment.trim(), gpus) {
        ("", None) => None,
        ("", Some(_)) => {
            checks.add(
                "gpu_environment",
                "Choose the environment the GPUs are for.",
            );
            None
        }
        (_, None) if form.gpus.trim().is_empty() => {
            checks.add("gpus", "Say how many GPUs each server needs.");
            None
        }
        (_, None) => None,
        (env, Some(gpus)) => Some(GpuRequest {
            environment: env.to_owned(),
            gpus,
        }),
    };
    let domain = form.custom_domain.trim().to_lowercase();
    checks.finish()?;
    Ok(QuotaRequest {
        memory_gib,
        cpu_cores,
        home_quota_gib,
        idle_timeout_hours,
        max_age_days,
        event_users,
        environments,
        gpu,
        custom_domain: (!domain.is_empty()).then_some(domain),
    })
}

/// The form's hints: each limit now, the hub's environments and domain.
pub(crate) async fn choices(
    mut conn: stoa_db::Conn<'_>,
    cfg: &HubConfig,
    billing: &BillingConfig,
    access: &CommunityAccess,
) -> Result<QuotaChoices> {
    let base =
        crate::billing::base_bounds(conn.reborrow(), cfg, billing, access.community.id).await?;
    let spec = crate::hubs::latest_spec(conn, cfg, access).await?;
    let b = base.with_overrides(&spec.staff.bounds);
    let now = |field: &str, words: String| (field.to_owned(), format!("now up to {words}"));
    Ok(QuotaChoices {
        now: vec![
            now(
                "memory_gib",
                format!("{} GiB", b.max_memory_bytes / stoa_hubs::GIB),
            ),
            now("cpu_cores", format!("{} cores", b.max_cpu_millis / 1000)),
            now("home_quota_gib", format!("{} GiB", b.max_home_quota_gib)),
            now(
                "idle_timeout_hours",
                format!("{} hours", b.max_idle_timeout_seconds / 3600),
            ),
            now(
                "max_age_days",
                format!("{} days", b.max_server_age_seconds / 86_400),
            ),
            now("event_users", format!("{} people", b.max_event_users)),
            now("environments", format!("{}", b.max_environments)),
        ],
        environments: spec
            .environments
            .iter()
            .map(|e| (e.slug.clone(), e.display_name.clone()))
            .collect(),
        custom_domain: spec.staff.custom_domain.clone().unwrap_or_default(),
    })
}

/// Files a quota request for the community `slug`: its owners and admins (who may change
/// the hub's settings) ask for values outside their bounds. Each value must be one they
/// cannot set themselves; the ticket carries the values, the hub's state and the reason.
pub async fn request(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
    form: QuotaForm<'_>,
) -> Result<TicketOpened> {
    let access = access::change(ctx, tx, slug, Action::EditHub).await?;
    crate::support::under_daily_cap(tx, &access, ctx.now).await?;
    let request = parse(&form)?;
    let impact = crate::support::parse_impact(form.impact)?;
    let text = crate::support::body("body", form.body)?;
    let base = crate::billing::base_bounds(tx.conn(), cfg, billing, access.community.id).await?;
    let spec = crate::hubs::latest_spec(tx.conn(), cfg, &access).await?;
    let mut checks = Checks::default();
    for p in request.problems(&spec, &base.with_overrides(&spec.staff.bounds)) {
        checks.add(p.field, p.message);
    }
    checks.finish()?;
    let hub = stoa_db::hubs::of_community(tx.conn(), access.community.id)
        .await?
        .into_iter()
        .next();
    let lines = request.lines();
    let mut title = format!("More than the plan allows: {}", lines.join("; "));
    if title.chars().count() > crate::support::MAX_TITLE_CHARS {
        title = title
            .chars()
            .take(crate::support::MAX_TITLE_CHARS - 1)
            .collect::<String>()
            + "…";
    }
    let opened = crate::support::open_checked(
        ctx,
        tx,
        desk,
        billing,
        &access,
        crate::support::New {
            kind: Kind::Quota,
            impact,
            hub: hub.as_ref(),
            title: &title,
            text: &text,
        },
    )
    .await?;
    let json = serde_json::to_string(&request)
        .map_err(|e| DomainError::Store(stoa_db::DbError::Config(e.to_string())))?;
    tickets::insert_quota_request(tx.conn(), opened.number, &json).await?;
    Ok(opened)
}

/// The price difference from the plan configuration: the community's plan, the cheapest
/// plan whose bounds include every number asked for, and what no plan prices (a GPU, a
/// domain). Annual fees only: usage fees follow the plan's bands (on the pricing page).
fn prices(
    cfg: &HubConfig,
    billing: &BillingConfig,
    plan: &Plan,
    request: &QuotaRequest,
) -> Vec<String> {
    let money = |m: crate::billing::Money| m.display(&billing.currency);
    let mut out = vec![format!(
        "{} (the community's plan): {} a year.",
        plan.name,
        money(plan.annual_fee)
    )];
    let numbers = QuotaRequest {
        gpu: None,
        custom_domain: None,
        ..request.clone()
    };
    if !numbers.is_empty() {
        let covering = billing
            .plans
            .iter()
            .filter(|p| numbers.within(&p.bounds_on(&cfg.bounds)))
            .min_by_key(|p| p.annual_fee.0);
        out.push(match covering {
            Some(p) if p.id == plan.id => format!(
                "{} includes these values: no price difference, only a higher bound for this community.",
                p.name
            ),
            Some(p) => {
                let diff = p.annual_fee.0 - plan.annual_fee.0;
                let words = if diff >= 0 {
                    format!("{} more", money(crate::billing::Money(diff)))
                } else {
                    format!("{} less", money(crate::billing::Money(-diff)))
                };
                format!(
                    "The cheapest plan that includes these values is {}: {} a year, {words}.",
                    p.name,
                    money(p.annual_fee)
                )
            }
            None => "No plan includes these values: agree a price with the community.".into(),
        });
    }
    if request.beyond_plans() {
        out.push(
            "No plan prices a GPU or a custom domain: agree a price with the community.".into(),
        );
    }
    out
}

/// The request on `ticket`, if it is one, as the caller sees it: what approval would change
/// only for staff while it is undecided.
pub(crate) async fn view(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    cfg: &HubConfig,
    billing: &BillingConfig,
    access: &CommunityAccess,
    ticket: &Ticket,
) -> Result<Option<QuotaView>> {
    let Some(row) = tickets::quota_request(conn.reborrow(), ticket.id).await? else {
        return Ok(None);
    };
    let request: QuotaRequest = serde_json::from_str(&row.requested)
        .map_err(|e| DomainError::Store(stoa_db::DbError::Config(e.to_string())))?;
    let plan = crate::billing::plan_of(conn.reborrow(), billing, access.community.id).await?;
    let staff = ctx.caller.as_ref().is_some_and(|c| c.staff);
    let decision = row.decision.clone().unwrap_or_default();
    let by = row.decided_by_name.as_deref().unwrap_or("Stoa support");
    let by = if staff { by } else { "Stoa support" };
    let at = row.decided_at.map(crate::support::when).unwrap_or_default();
    let decision_words = match decision.as_str() {
        "approved" => format!(
            "Approved by {by} on {at}: revision {} of the hub holds the new values.",
            row.revision.unwrap_or(0)
        ),
        "declined" => format!("Declined by {by} on {at}: {}", row.reason),
        _ => String::new(),
    };
    let open = row.decision.is_none() && ticket.status != "closed";
    let (changes, problem, apply_note) = if staff && open {
        let p = crate::hubs::quota_preview(conn, cfg, billing, access, &request, ctx.now).await?;
        (p.changes, p.problem.unwrap_or_default(), p.apply_note)
    } else {
        (Vec::new(), String::new(), String::new())
    };
    Ok(Some(QuotaView {
        requested: request.lines(),
        prices: prices(cfg, billing, plan, &request),
        decision,
        decision_words,
        changes,
        problem,
        apply_note,
        can_decide: staff && open,
    }))
}

/// Staff approve (`approve`) or decline the quota request on ticket `number`. Approving
/// grants it as a revision (applied at once when the hub runs the latest one); declining
/// needs `reason`. The decision is a public answer that resolves the ticket. `runner`: the
/// process the hub's change runs on, for backends that tie hubs to one.
pub async fn decide(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    cfg: &HubConfig,
    billing: &BillingConfig,
    number: &str,
    approve: bool,
    reason: &str,
    runner: Option<&str>,
) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageTickets)?;
    let t = crate::support::for_staff(tx.conn(), number).await?;
    let row = tickets::quota_request(tx.conn(), t.id)
        .await?
        .ok_or_else(|| DomainError::invalid("form", "This ticket asks for no quota."))?;
    if let Some(done) = &row.decision {
        return Err(DomainError::invalid(
            "form",
            format!("This request was {done} already."),
        ));
    }
    if t.status == "closed" {
        return Err(DomainError::invalid(
            "form",
            "The ticket is closed: the community asks again on a new one.",
        ));
    }
    let reason = stoa_model::validate::text("reason", reason, crate::support::MAX_BODY_CHARS)?;
    let request: QuotaRequest = serde_json::from_str(&row.requested)
        .map_err(|e| DomainError::Store(stoa_db::DbError::Config(e.to_string())))?;
    let values = request
        .lines()
        .iter()
        .map(|l| format!("- {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    let (word, revision, body) = if approve {
        let granted = crate::hubs::grant_quota(
            ctx,
            tx,
            cfg,
            billing,
            &t.community_slug,
            t.id,
            &request,
            runner,
        )
        .await?;
        let applying = match &granted.applying {
            Ok(()) => "It is being applied to your hub now.".to_owned(),
            Err(why) => format!("It is not applied yet: {why}."),
        };
        let note = if reason.is_empty() {
            String::new()
        } else {
            format!("\n\n{reason}")
        };
        (
            "approved",
            Some(granted.number),
            format!(
                "Approved. Revision {} of your hub's settings holds:\n\n{values}\n\n{applying}{note}",
                granted.number
            ),
        )
    } else {
        if reason.is_empty() {
            return Err(DomainError::invalid(
                "reason",
                "Say why it is declined: the community reads it.",
            ));
        }
        (
            "declined",
            None,
            format!("Declined:\n\n{values}\n\n{reason}"),
        )
    };
    let decided = tickets::decide_quota_request(
        tx.conn(),
        t.id,
        tickets::Decision {
            decision: word,
            by: me.id,
            reason: &reason,
            revision,
        },
        ctx.now,
    )
    .await?;
    if !decided {
        return Err(DomainError::invalid(
            "form",
            "Another staff member decided this request just now: reload the ticket.",
        ));
    }
    let community = stoa_db::communities::by_id(tx.conn(), t.community_id).await?;
    crate::audit::Audit::by(
        me,
        &format!("ticket.quota_{word}"),
        &format!("#{} {}", t.id, t.title),
    )
    .community(&community)
    .after(serde_json::json!({ "requested": request, "revision": revision, "reason": reason }))
    .record(tx.conn(), ctx.now)
    .await?;
    crate::support::answer(
        ctx,
        tx,
        desk,
        number,
        Answer {
            body: &body,
            internal: false,
            status: "resolved",
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(r: QuotaRequest) -> Vec<String> {
        let billing = BillingConfig::default();
        prices(&HubConfig::default(), &billing, billing.default_plan(), &r)
    }

    #[test]
    fn the_price_difference_is_the_cheapest_plan_that_includes_the_values() {
        let home = asked(QuotaRequest {
            home_quota_gib: Some(40),
            ..QuotaRequest::default()
        });
        assert_eq!(
            home,
            [
                "Lab (the community's plan): €600.00 a year.",
                "The cheapest plan that includes these values is Department: €2,400.00 a year, €1,800.00 more."
            ]
        );
        let beyond = asked(QuotaRequest {
            idle_timeout_hours: Some(48),
            gpu: Some(GpuRequest {
                environment: "python".into(),
                gpus: 1,
            }),
            ..QuotaRequest::default()
        });
        assert_eq!(
            beyond[1..],
            [
                "No plan includes these values: agree a price with the community.",
                "No plan prices a GPU or a custom domain: agree a price with the community."
            ]
        );
    }

    #[test]
    fn a_form_is_read_by_field() {
        let bad = parse(&QuotaForm {
            memory_gib: "lots",
            gpus: "2",
            ..QuotaForm::default()
        })
        .unwrap_err();
        let DomainError::Invalid(invalid) = bad else {
            panic!("{bad:?}")
        };
        assert_eq!(invalid.fields(), ["memory_gib", "gpu_environment"]);
        let good = parse(&QuotaForm {
            home_quota_gib: " 100 ",
            gpu_environment: "python",
            gpus: "1",
            custom_domain: " Hub.Example.ORG ",
            ..QuotaForm::default()
        })
        .unwrap();
        assert_eq!(good.home_quota_gib, Some(100));
        assert_eq!(good.gpu.unwrap().gpus, 1);
        assert_eq!(good.custom_domain.as_deref(), Some("hub.example.org"));
    }
}
