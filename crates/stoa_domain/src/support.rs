//! Support tickets (issue 14): members open them about their community's hub, the support
//! team answers in public or in internal notes, and each ticket's SLA clocks run in the
//! team's business hours (`stoa_support`).
//!
//! Who sees what:
//! - owners and admins see every ticket of their community, other members those they
//!   opened; staff see all (`Action::ViewTickets` and the narrowing in [`list`], [`view`]);
//! - internal notes are read from the store only for staff ([`stoa_db::tickets::messages`]
//!   with `with_internal`), so no member's page, answer or mail can carry one.
//!
//! Mail goes through the job queue in the transaction of the change: a new ticket to the
//! team (its assignee, else every staff member) and a receipt to whoever opened it; a
//! public answer or a status change to whoever opened it; a member's reply to the team; a
//! breach to the assignee (else the team).

use chrono::TimeDelta;
use stoa_db::accounts::AccountId;
use stoa_db::hubs::Hub;
use stoa_db::tickets::{self, Breach, Filter, Ticket};
use stoa_db::{Timestamp, WriteTx};
use stoa_model::support::{
    Choices, HubState, MessageView, QueueView, SlaView, TicketList, TicketOpened, TicketSummary,
    TicketView,
};
use stoa_model::{Action, Role, validate};
use stoa_support::{Calendar, Impact, Kind, Move, SlaClock, Status, Target};

pub use stoa_support::SupportConfig;

use crate::billing::BillingConfig;
use crate::{Ctx, DomainError, Result, access};

/// Tickets per page.
pub const PAGE_SIZE: i64 = 25;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 150;
/// Longest description or reply, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Tickets one community may open per 24 hours: each mails the whole team, so opening is
/// capped like invitations are.
pub const MAX_TICKETS_PER_DAY: i64 = 20;

/// The support desk's settings with the calendar read from them, checked once at start.
#[derive(Debug, Clone)]
pub struct Desk {
    /// As configured.
    pub config: SupportConfig,
    /// The team's business hours.
    pub calendar: Calendar,
}

impl Desk {
    /// The desk of `config`, whose plans are `billing`'s; every mistake if it is not valid.
    pub fn new(
        config: SupportConfig,
        billing: &BillingConfig,
    ) -> std::result::Result<Desk, Vec<String>> {
        let plans: Vec<&str> = billing.plans.iter().map(|p| p.id.as_str()).collect();
        let problems = config.problems(&plans);
        if !problems.is_empty() {
            return Err(problems.into_iter().map(|p| p.0).collect());
        }
        let calendar = config.calendar().map_err(|e| vec![e.0])?;
        Ok(Desk { config, calendar })
    }

    /// The targets of `plan` for `impact`. A plan without targets (removed from the
    /// configuration since the ticket was opened) gets the slowest default, rather than
    /// none: a ticket is never without a clock.
    fn target(&self, plan: &str, impact: Impact) -> Target {
        self.config.target(plan, impact).unwrap_or(Target {
            first_response: TimeDelta::hours(8),
            resolution: TimeDelta::hours(80),
        })
    }
}

/// An SLA clock as the store keeps it.
pub fn to_store(clock: &SlaClock) -> tickets::Clock {
    tickets::Clock {
        first_response_target_secs: clock.first_response_target_secs,
        first_response_due_at: Timestamp::from(clock.first_response_due),
        first_responded_at: clock.first_responded_at.map(Timestamp::from),
        resolution_target_secs: clock.resolution_target_secs,
        resolution_spent_secs: clock.resolution_spent_secs,
        resolution_running_since: clock.running_since.map(Timestamp::from),
        resolution_due_at: clock.resolution_due.map(Timestamp::from),
    }
}

fn from_store(c: &tickets::Clock) -> SlaClock {
    SlaClock {
        first_response_target_secs: c.first_response_target_secs,
        first_response_due: c.first_response_due_at.as_datetime(),
        first_responded_at: c.first_responded_at.map(|t| t.as_datetime()),
        resolution_target_secs: c.resolution_target_secs,
        resolution_spent_secs: c.resolution_spent_secs,
        running_since: c.resolution_running_since.map(|t| t.as_datetime()),
        resolution_due: c.resolution_due_at.map(|t| t.as_datetime()),
    }
}

/// `2 h 30 min`, `45 min`, `3 h`, to the nearest minute.
pub fn duration_words(d: TimeDelta) -> String {
    let minutes = (d.num_seconds().abs() + 30) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn left_words(left: TimeDelta) -> String {
    if left < TimeDelta::zero() {
        format!("Overdue by {}", duration_words(left))
    } else {
        format!("{} left", duration_words(left))
    }
}

pub(crate) fn when(at: Timestamp) -> String {
    at.as_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

fn targets_words(target: Target) -> String {
    format!(
        "first response {}, resolution {} (business hours)",
        duration_words(target.first_response),
        duration_words(target.resolution)
    )
}

fn sla_view(desk: &Desk, t: &Ticket, now: Timestamp) -> SlaView {
    let clock = from_store(&t.clock());
    let cal = &desk.calendar;
    let now = now.as_datetime();
    let status = Status::parse(&t.status).unwrap_or(Status::Open);
    let first_response = match clock.first_response_left(cal, t.created_at.as_datetime(), now) {
        None if clock.first_response_breached(now) => "Answered late".to_owned(),
        None => "Answered".to_owned(),
        Some(_) if !status.active() => "Not needed".to_owned(),
        Some(left) => left_words(left),
    };
    let left = clock.resolution_left(cal, now);
    let resolution = match status {
        Status::Resolved | Status::Closed if left < TimeDelta::zero() => {
            format!("Resolved late, by {}", duration_words(left))
        }
        Status::Resolved | Status::Closed => "Met".to_owned(),
        Status::Pending => format!(
            "Paused while waiting on the community: {}",
            left_words(left)
        ),
        _ => left_words(left),
    };
    SlaView {
        first_response,
        resolution,
        breached: clock.first_response_breached(now) || clock.resolution_breached(cal, now),
        paused: clock.running_since.is_none(),
        targets: targets_words(Target {
            first_response: TimeDelta::seconds(t.first_response_target_secs),
            resolution: TimeDelta::seconds(t.resolution_target_secs),
        }),
    }
}

fn label<T: Copy>(
    word: &str,
    parse: fn(&str) -> Option<T>,
    label: fn(T) -> &'static str,
) -> String {
    parse(word).map_or_else(|| word.to_owned(), |v| label(v).to_owned())
}

fn summary(desk: &Desk, t: &Ticket, now: Timestamp) -> TicketSummary {
    TicketSummary {
        number: t.id,
        community_slug: t.community_slug.clone(),
        community_name: t.community_name.clone(),
        title: t.title.clone(),
        kind: t.kind.clone(),
        kind_label: label(&t.kind, Kind::parse, Kind::label),
        impact: t.impact.clone(),
        impact_label: label(&t.impact, Impact::parse, Impact::label),
        status: t.status.clone(),
        status_label: label(&t.status, Status::parse, Status::label),
        opened_by: t
            .opened_by_name
            .clone()
            .unwrap_or_else(|| "A former member".into()),
        assignee: t.assignee_name.clone().unwrap_or_default(),
        opened_at: when(t.created_at),
        sla: sla_view(desk, t, now),
    }
}

fn options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (value(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

/// A hub's state now, as a ticket records it.
pub(crate) async fn hub_state(conn: stoa_db::Conn<'_>, hub: &Hub) -> Result<HubState> {
    let last = stoa_db::deployments::recent(conn, hub.id, 1).await?;
    let revision = match hub.applied_revision {
        Some(r) => format!("revision {r} of {} applied", hub.latest_revision),
        None if hub.latest_revision > 0 => format!(
            "{} revision(s) saved, none applied yet",
            hub.latest_revision
        ),
        None => "no revision yet".to_owned(),
    };
    let health = match (&hub.desired_state, last.first()) {
        (None, _) => "not deployed yet".to_owned(),
        (Some(s), _) if s == "stopped" => "stopped".to_owned(),
        (_, Some(d)) => d.state.as_str().to_owned(),
        (_, None) => "unknown".to_owned(),
    };
    let last_change = last.first().map_or_else(String::new, |d| {
        let what = match d.revision {
            Some(r) => format!("{} revision {r}", d.action.as_str()),
            None => d.action.as_str().to_owned(),
        };
        format!("{what}, {}, {}", d.state.as_str(), when(d.updated_at))
    });
    Ok(HubState {
        hub: hub.slug.clone(),
        revision,
        health,
        last_change,
    })
}

fn sees_all(ctx: &Ctx, access: &access::CommunityAccess) -> bool {
    ctx.caller.as_ref().is_some_and(|c| c.staff)
        || matches!(access.role, Some(Role::Owner | Role::Admin))
}

/// A community's tickets the caller may see, and the form to open one.
pub async fn list(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    desk: &Desk,
    hub_config: &crate::hubs::HubConfig,
    billing: &BillingConfig,
    slug: &str,
    show: &str,
    page: &str,
) -> Result<TicketList> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewTickets).await?;
    let me = ctx.caller()?;
    let statuses: Vec<&str> = match show {
        "" | "open" => vec!["new", "open", "pending"],
        "done" => vec!["resolved", "closed"],
        "all" => Vec::new(),
        _ => {
            return Err(DomainError::invalid(
                "show",
                "Show open, done or all tickets.",
            ));
        }
    };
    let page = crate::page_number(page)?;
    let all_of_community = sees_all(ctx, &access);
    let found = tickets::list(
        conn.reborrow(),
        &Filter {
            community: Some(access.community.id),
            opened_by: (!all_of_community).then_some(me.id),
            statuses,
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
            ..Filter::default()
        },
    )
    .await?;
    let choices = if access.may(Action::WriteTicket) {
        let plan = crate::billing::plan_of(conn.reborrow(), billing, access.community.id).await?;
        let mut hubs = Vec::new();
        for hub in stoa_db::hubs::of_community(conn.reborrow(), access.community.id).await? {
            hubs.push(hub_state(conn.reborrow(), &hub).await?);
        }
        let quota = if access.may(Action::EditHub) {
            Some(
                crate::quota_requests::choices(conn.reborrow(), hub_config, billing, &access)
                    .await?,
            )
        } else {
            None
        };
        Some(Choices {
            quota,
            // Quota requests carry values: they have a form of their own.
            kinds: options(
                &Kind::ALL
                    .iter()
                    .copied()
                    .filter(|k| *k != Kind::Quota)
                    .collect::<Vec<_>>(),
                Kind::as_str,
                Kind::label,
            ),
            impacts: options(Impact::ALL, Impact::as_str, Impact::label),
            hubs,
            targets: Impact::ALL
                .iter()
                .map(|i| {
                    (
                        i.label().to_owned(),
                        targets_words(desk.target(&plan.id, *i)),
                    )
                })
                .collect(),
        })
    } else {
        None
    };
    Ok(TicketList {
        tickets: found
            .items
            .iter()
            .map(|t| summary(desk, t, ctx.now))
            .collect(),
        total: found.total,
        page,
        pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        show: if show.is_empty() { "open" } else { show }.to_owned(),
        all_of_community,
        choices,
    })
}

/// What a member types to open a ticket.
#[derive(Debug, Clone, Copy)]
pub struct OpenTicket<'a> {
    /// A [`Kind`] word.
    pub kind: &'a str,
    /// An [`Impact`] word.
    pub impact: &'a str,
    /// The slug of one of the community's hubs, or empty.
    pub hub: &'a str,
    /// One line.
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
}

pub(crate) fn body(field: &str, value: &str) -> Result<String> {
    let body = validate::text(field, value, MAX_BODY_CHARS)?;
    if body.is_empty() {
        return Err(DomainError::invalid(field, "Write something."));
    }
    Ok(body)
}

/// Opens a ticket for the community `slug`; the team and the opener are mailed.
pub async fn open(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    billing: &BillingConfig,
    slug: &str,
    form: OpenTicket<'_>,
) -> Result<TicketOpened> {
    let access = access::change(ctx, tx, slug, Action::WriteTicket).await?;
    under_daily_cap(tx, &access, ctx.now).await?;
    let kind = Kind::parse(form.kind)
        .filter(|k| *k != Kind::Quota)
        .ok_or_else(|| DomainError::invalid("kind", "Choose what the ticket is about."))?;
    let impact = parse_impact(form.impact)?;
    let title = validate::line("title", "a title", form.title, 3, MAX_TITLE_CHARS)?;
    let text = body("body", form.body)?;
    let hubs = stoa_db::hubs::of_community(tx.conn(), access.community.id).await?;
    let hub =
        match form.hub.trim() {
            "" => None,
            typed => Some(hubs.iter().find(|h| h.slug == typed).ok_or_else(|| {
                DomainError::invalid("hub", "Choose one of your community's hubs.")
            })?),
        };
    let new = New {
        kind,
        impact,
        hub,
        title: &title,
        text: &text,
    };
    open_checked(ctx, tx, desk, billing, &access, new).await
}

pub(crate) fn parse_impact(word: &str) -> Result<Impact> {
    Impact::parse(word)
        .ok_or_else(|| DomainError::invalid("impact", "Choose how much it affects your work."))
}

/// Refuses a new ticket past the community's daily cap.
pub(crate) async fn under_daily_cap(
    tx: &mut WriteTx,
    access: &access::CommunityAccess,
    now: Timestamp,
) -> Result<()> {
    let recent =
        tickets::opened_since(tx.conn(), access.community.id, now - TimeDelta::days(1)).await?;
    if recent >= MAX_TICKETS_PER_DAY {
        return Err(DomainError::invalid(
            "form",
            format!(
                "Your community opened {MAX_TICKETS_PER_DAY} tickets in the last 24 hours; add to one of them, or try again tomorrow."
            ),
        ));
    }
    Ok(())
}

/// A ticket about to be opened, its fields checked.
pub(crate) struct New<'a> {
    pub kind: Kind,
    pub impact: Impact,
    pub hub: Option<&'a Hub>,
    pub title: &'a str,
    pub text: &'a str,
}

/// Opens a checked ticket for the community of `access` (whose caller may open one and is
/// under the daily cap): the SLA clock starts, the team and the opener are mailed.
pub(crate) async fn open_checked(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    billing: &BillingConfig,
    access: &access::CommunityAccess,
    new: New<'_>,
) -> Result<TicketOpened> {
    let me = ctx.caller()?;
    let New {
        kind,
        impact,
        hub,
        title,
        text,
    } = new;
    let state = match hub {
        Some(h) => serde_json::to_string(&hub_state(tx.conn(), h).await?)
            .map_err(|e| DomainError::Store(stoa_db::DbError::Config(e.to_string())))?,
        None => String::new(),
    };
    let plan = crate::billing::plan_of(tx.conn(), billing, access.community.id).await?;
    let target = desk.target(&plan.id, impact);
    let clock = to_store(&SlaClock::start(
        &desk.calendar,
        target,
        ctx.now.as_datetime(),
    ));
    let number = tickets::insert(
        tx.conn(),
        &tickets::NewTicket {
            community: access.community.id,
            hub: hub.map(|h| h.id),
            opened_by: me.id,
            kind: kind.as_str(),
            impact: impact.as_str(),
            title,
            body: text,
            hub_state: &state,
            plan: &plan.id,
            clock: &clock,
        },
        ctx.now,
    )
    .await?;
    let target_name = format!("#{number} {title}");
    crate::audit::Audit::by(me, "ticket.opened", &target_name)
        .community(&access.community)
        .after(serde_json::json!({ "kind": kind.as_str(), "impact": impact.as_str() }))
        .record(tx.conn(), ctx.now)
        .await?;
    let url = format!("/communities/{}/support/{number}", access.community.slug);
    let link = format!("{}{url}", ctx.public_url);
    let to_team = format!(
        "{name} opened ticket #{number} for {community}.\n\n\
         Kind: {kind}\nImpact: {impact}\nTargets: {targets}\n\n{title}\n\n{text}\n\n\
         Answer it at {link}\n",
        name = me.name,
        community = access.community.name,
        kind = kind.label(),
        impact = impact.label(),
        targets = targets_words(target),
    );
    let subject = format!("[Stoa support] #{number} {title}");
    mail_team(tx, None, &subject, &to_team, ctx.now).await?;
    if let Some(email) = &me.email {
        let receipt = format!(
            "We have your ticket #{number}, \"{title}\", for {community}.\n\n\
             Our targets for {impact} impact on your plan: {targets}.\n\
             We reply on the ticket's page, and tell you here: {link}\n",
            community = access.community.name,
            impact = impact.label().to_lowercase(),
            targets = targets_words(target),
        );
        queue_mail(tx, email.as_str(), &subject, &receipt, ctx.now).await?;
    }
    Ok(TicketOpened { number, url })
}

async fn queue_mail(
    tx: &mut WriteTx,
    to: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<()> {
    let task = stoa_db::jobs::Task::SendNotice {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
    };
    stoa_db::jobs::enqueue_task(tx.conn(), &task, now).await?;
    Ok(())
}

/// Mails the assignee, or every staff member when nobody is assigned.
async fn mail_team(
    tx: &mut WriteTx,
    assignee: Option<AccountId>,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<()> {
    let team = stoa_db::accounts::staff(tx.conn()).await?;
    let to: Vec<String> = team
        .into_iter()
        .filter(|a| assignee.is_none_or(|id| a.id == id))
        .filter_map(|a| a.email)
        .collect();
    for email in to {
        queue_mail(tx, &email, subject, body, now).await?;
    }
    Ok(())
}

/// Mails whoever opened the ticket, if they still have an address.
async fn mail_opener(
    tx: &mut WriteTx,
    t: &Ticket,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<()> {
    let Some(opener) = t.opened_by else {
        return Ok(());
    };
    if let Some(email) = stoa_db::accounts::get(tx.conn(), opener).await?.email {
        queue_mail(tx, &email, subject, body, now).await?;
    }
    Ok(())
}

/// The ticket `number` of community `slug` if the caller may see it.
async fn visible(
    ctx: &Ctx,
    conn: stoa_db::Conn<'_>,
    access: &access::CommunityAccess,
    number: &str,
) -> Result<Ticket> {
    let number: i64 = number.trim().parse().map_err(|_| DomainError::NotFound)?;
    let ticket = tickets::get(conn, number)
        .await?
        .ok_or(DomainError::NotFound)?;
    let me = ctx.caller()?;
    let mine = ticket.opened_by == Some(me.id);
    if ticket.community_id != access.community.id || !(mine || sees_all(ctx, access)) {
        return Err(DomainError::NotFound);
    }
    Ok(ticket)
}

/// The ticket `number` (any community) for staff.
pub(crate) async fn for_staff(conn: stoa_db::Conn<'_>, number: &str) -> Result<Ticket> {
    let number: i64 = number.trim().parse().map_err(|_| DomainError::NotFound)?;
    tickets::get(conn, number)
        .await?
        .ok_or(DomainError::NotFound)
}

async fn staff_choices(conn: stoa_db::Conn<'_>) -> Result<Vec<(i64, String)>> {
    Ok(stoa_db::accounts::staff(conn)
        .await?
        .into_iter()
        .map(|a| (a.id.0, a.name))
        .collect())
}

/// One ticket with its conversation: internal notes and the team's controls for staff only.
pub async fn view(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    desk: &Desk,
    hub_config: &crate::hubs::HubConfig,
    billing: &BillingConfig,
    slug: &str,
    number: &str,
) -> Result<TicketView> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewTickets).await?;
    let ticket = visible(ctx, conn.reborrow(), &access, number).await?;
    let staff = ctx.caller.as_ref().is_some_and(|c| c.staff);
    let messages = tickets::messages(conn.reborrow(), ticket.id, staff).await?;
    let status = Status::parse(&ticket.status).unwrap_or(Status::Open);
    let reopen_until = match (status, ticket.resolved_at) {
        (Status::Resolved, Some(at)) => when(at + desk.config.reopen_window()),
        _ => String::new(),
    };
    let member = access.may(Action::WriteTicket);
    let consent = match ticket.opened_by {
        Some(opener) => tickets::consents(conn.reborrow(), ticket.id, opener).await?,
        None => false,
    };
    let mine = ctx
        .caller
        .as_ref()
        .is_some_and(|c| ticket.opened_by == Some(c.id));
    let quota =
        crate::quota_requests::view(ctx, conn.reborrow(), hub_config, billing, &access, &ticket)
            .await?;
    Ok(TicketView {
        quota,
        consent,
        can_consent: mine && member && status != Status::Closed,
        ticket: summary(desk, &ticket, ctx.now),
        body_html: stoa_hubs::announcement_html(&ticket.body),
        hub_state: serde_json::from_str(&ticket.hub_state).ok(),
        messages: messages
            .into_iter()
            .map(|m| MessageView {
                author: match (&m.author_name, m.by_staff, staff) {
                    (_, true, false) => "Stoa support".to_owned(),
                    (Some(name), _, _) => name.clone(),
                    (None, _, _) => "A former member".to_owned(),
                },
                by_staff: m.by_staff,
                internal: m.internal,
                body_html: stoa_hubs::announcement_html(&m.body),
                status_change: m
                    .status_to
                    .as_deref()
                    .map(|s| format!("Status: {}", label(s, Status::parse, Status::label)))
                    .unwrap_or_default(),
                at: when(m.created_at),
            })
            .collect(),
        staff,
        can_reply: (member || staff) && status != Status::Closed,
        can_resolve: member && status.active(),
        reopen_until,
        assignees: if staff {
            staff_choices(conn.reborrow()).await?
        } else {
            Vec::new()
        },
        statuses: if staff {
            options(&Status::ALL[1..], Status::as_str, Status::label)
        } else {
            Vec::new()
        },
        impacts: if staff {
            options(Impact::ALL, Impact::as_str, Impact::label)
        } else {
            Vec::new()
        },
    })
}

/// Moves a ticket and its clocks to `to` at `now` (the first response stops at a public
/// answer by staff).
fn moved(desk: &Desk, t: &Ticket, to: Status, staff_answered: bool, now: Timestamp) -> SlaClock {
    let mut clock = from_store(&t.clock());
    if staff_answered {
        clock.responded(now.as_datetime());
    }
    clock.set_running(&desk.calendar, to.clock_runs(), now.as_datetime());
    clock
}

async fn save(
    tx: &mut WriteTx,
    t: &Ticket,
    to: Status,
    impact: &str,
    assignee: Option<AccountId>,
    clock: &SlaClock,
    now: Timestamp,
) -> Result<()> {
    let resolved_at = if to == Status::Resolved && t.status != "resolved" {
        Some(now)
    } else if to == Status::Resolved || to == Status::Closed {
        t.resolved_at
    } else {
        None
    };
    tickets::save(
        tx.conn(),
        t.id,
        &tickets::State {
            status: to.as_str(),
            impact,
            assignee,
            clock: &to_store(clock),
            resolved_at,
        },
        now,
    )
    .await?;
    Ok(())
}

fn within_reopen_window(desk: &Desk, t: &Ticket, now: Timestamp) -> bool {
    t.resolved_at
        .is_some_and(|at| now <= at + desk.config.reopen_window())
}

fn refused(e: stoa_support::Refusal) -> DomainError {
    DomainError::invalid("form", e.0)
}

/// A member's reply (`resolve`: and marks the ticket resolved): it reopens a ticket waiting
/// on the community, or one resolved within the reopen window; the team is mailed.
pub async fn reply(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    slug: &str,
    number: &str,
    text: &str,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::WriteTicket).await?;
    let me = ctx.caller()?;
    let t = visible(ctx, tx.conn(), &access, number).await?;
    let text = body("body", text)?;
    let from = Status::parse(&t.status).unwrap_or(Status::Open);
    let to = from
        .after(
            stoa_support::Actor::Member,
            Move::Reply {
                to: None,
                within_reopen_window: within_reopen_window(desk, &t, ctx.now),
            },
        )
        .map_err(refused)?;
    let clock = moved(desk, &t, to, false, ctx.now);
    save(tx, &t, to, &t.impact, t.assignee_id, &clock, ctx.now).await?;
    tickets::add_message(
        tx.conn(),
        &tickets::NewMessage {
            ticket: t.id,
            author: me.id,
            by_staff: false,
            internal: false,
            body: &text,
            status_to: (to != from).then_some(to.as_str()),
        },
        ctx.now,
    )
    .await?;
    let subject = format!("[Stoa support] #{} {}", t.id, t.title);
    let note = format!(
        "{} replied on ticket #{} ({}){}.\n\n{text}\n\nAnswer it at {}/communities/{}/support/{}\n",
        me.name,
        t.id,
        t.community_name,
        if to != from {
            ", which is open again"
        } else {
            ""
        },
        ctx.public_url,
        t.community_slug,
        t.id
    );
    mail_team(tx, t.assignee_id, &subject, &note, ctx.now).await
}

/// A member marks their community's ticket resolved.
pub async fn resolve(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    slug: &str,
    number: &str,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::WriteTicket).await?;
    let me = ctx.caller()?;
    let t = visible(ctx, tx.conn(), &access, number).await?;
    let from = Status::parse(&t.status).unwrap_or(Status::Open);
    let to = from
        .after(stoa_support::Actor::Member, Move::Set(Status::Resolved))
        .map_err(refused)?;
    let clock = moved(desk, &t, to, false, ctx.now);
    save(tx, &t, to, &t.impact, t.assignee_id, &clock, ctx.now).await?;
    tickets::add_message(
        tx.conn(),
        &tickets::NewMessage {
            ticket: t.id,
            author: me.id,
            by_staff: false,
            internal: false,
            body: "",
            status_to: Some(to.as_str()),
        },
        ctx.now,
    )
    .await?;
    crate::audit::Audit::by(me, "ticket.resolved", &format!("#{} {}", t.id, t.title))
        .community(&access.community)
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// What staff send from a ticket's page.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// Markdown.
    pub body: &'a str,
    /// An internal note (never shown to members) rather than a public reply.
    pub internal: bool,
    /// The status a public reply sets (empty: the rule's default).
    pub status: &'a str,
}

/// Staff answer a ticket in public (the opener is mailed; the first answer stops the
/// first-response clock) or write an internal note (nobody outside the team hears of it).
pub async fn answer(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    number: &str,
    a: Answer<'_>,
) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageTickets)?;
    let t = for_staff(tx.conn(), number).await?;
    let text = body("body", a.body)?;
    let from = Status::parse(&t.status).unwrap_or(Status::Open);
    if a.internal {
        if !a.status.is_empty() {
            return Err(DomainError::invalid(
                "status",
                "An internal note does not change the status: reply in public, or set the status apart.",
            ));
        }
        tickets::add_message(
            tx.conn(),
            &tickets::NewMessage {
                ticket: t.id,
                author: me.id,
                by_staff: true,
                internal: true,
                body: &text,
                status_to: None,
            },
            ctx.now,
        )
        .await?;
        return Ok(());
    }
    let chosen = match a.status {
        "" => None,
        typed => Some(Status::parse(typed).ok_or_else(|| {
            DomainError::invalid("status", "Choose one of the statuses on offer.")
        })?),
    };
    let to = from
        .after(
            stoa_support::Actor::Staff,
            Move::Reply {
                to: chosen,
                within_reopen_window: true,
            },
        )
        .map_err(refused)?;
    let clock = moved(desk, &t, to, true, ctx.now);
    save(
        tx,
        &t,
        to,
        &t.impact,
        t.assignee_id.or(Some(me.id)),
        &clock,
        ctx.now,
    )
    .await?;
    tickets::add_message(
        tx.conn(),
        &tickets::NewMessage {
            ticket: t.id,
            author: me.id,
            by_staff: true,
            internal: false,
            body: &text,
            status_to: (to != from).then_some(to.as_str()),
        },
        ctx.now,
    )
    .await?;
    let subject = format!("[Stoa support] #{} {}", t.id, t.title);
    let status_line = if to != from {
        format!("\nThe ticket is now: {}.\n", to.label().to_lowercase())
    } else {
        String::new()
    };
    let note = format!(
        "Stoa support replied on your ticket #{}:\n\n{text}\n{status_line}\n\
         Reply on the ticket's page: {}/communities/{}/support/{}\n",
        t.id, ctx.public_url, t.community_slug, t.id
    );
    mail_opener(tx, &t, &subject, &note, ctx.now).await
}

/// What staff change on a ticket without a reply.
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
    /// A status word, or empty: unchanged.
    pub status: &'a str,
    /// An impact word, or empty: unchanged (a new impact sets new targets).
    pub impact: &'a str,
    /// A staff account id, `none`, or empty: unchanged.
    pub assignee: &'a str,
}

/// Staff set a ticket's status, impact or assignee; the opener hears of a new status, a new
/// assignee of the ticket.
pub async fn update(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    number: &str,
    u: Update<'_>,
) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageTickets)?;
    let t = for_staff(tx.conn(), number).await?;
    let from = Status::parse(&t.status).unwrap_or(Status::Open);
    let to = match u.status {
        "" => from,
        typed => {
            let chosen = Status::parse(typed).ok_or_else(|| {
                DomainError::invalid("status", "Choose one of the statuses on offer.")
            })?;
            if chosen == from {
                from
            } else {
                from.after(stoa_support::Actor::Staff, Move::Set(chosen))
                    .map_err(|e| DomainError::invalid("status", e.0))?
            }
        }
    };
    let impact = match u.impact {
        "" => Impact::parse(&t.impact).unwrap_or(Impact::Medium),
        typed => Impact::parse(typed)
            .ok_or_else(|| DomainError::invalid("impact", "Choose one of the impacts on offer."))?,
    };
    let team = stoa_db::accounts::staff(tx.conn()).await?;
    let assignee = match u.assignee.trim() {
        "" => t.assignee_id,
        "none" => None,
        typed => Some(
            typed
                .parse::<i64>()
                .ok()
                .and_then(|id| team.iter().find(|a| a.id.0 == id))
                .map(|a| a.id)
                .ok_or_else(|| {
                    DomainError::invalid("assignee", "Choose someone from the support team.")
                })?,
        ),
    };
    let mut clock = moved(desk, &t, to, false, ctx.now);
    if impact.as_str() != t.impact {
        clock.retarget(
            &desk.calendar,
            desk.target(&t.plan, impact),
            t.created_at.as_datetime(),
        );
    }
    save(tx, &t, to, impact.as_str(), assignee, &clock, ctx.now).await?;
    let changes = serde_json::json!({
        "status": to.as_str(), "impact": impact.as_str(),
        "assignee": assignee.map(|a| a.0),
    });
    crate::audit::Audit::by(me, "ticket.updated", &format!("#{} {}", t.id, t.title))
        .after(changes)
        .record(tx.conn(), ctx.now)
        .await?;
    let subject = format!("[Stoa support] #{} {}", t.id, t.title);
    if to != from {
        tickets::add_message(
            tx.conn(),
            &tickets::NewMessage {
                ticket: t.id,
                author: me.id,
                by_staff: true,
                internal: false,
                body: "",
                status_to: Some(to.as_str()),
            },
            ctx.now,
        )
        .await?;
        let note = format!(
            "Your ticket #{} is now: {}.\n\nSee it at {}/communities/{}/support/{}\n",
            t.id,
            to.label().to_lowercase(),
            ctx.public_url,
            t.community_slug,
            t.id
        );
        mail_opener(tx, &t, &subject, &note, ctx.now).await?;
    }
    if assignee != t.assignee_id
        && let Some(who) = assignee.filter(|a| *a != me.id)
    {
        let note = format!(
            "{} assigned ticket #{} ({}) to you.\n\n{}/communities/{}/support/{}\n",
            me.name, t.id, t.community_name, ctx.public_url, t.community_slug, t.id
        );
        mail_team(tx, Some(who), &subject, &note, ctx.now).await?;
    }
    Ok(())
}

/// The filters of the staff queue, as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueQuery<'a> {
    /// A status word, `active` (the default: new, open, waiting) or `all`.
    pub status: &'a str,
    /// An impact word or empty.
    pub impact: &'a str,
    /// A community slug or empty.
    pub community: &'a str,
    /// `me`, `none`, a staff account id, or empty.
    pub assignee: &'a str,
    /// `true`: only tickets with a breached clock.
    pub breached: bool,
    /// Search text.
    pub q: &'a str,
    /// Page number.
    pub page: &'a str,
}

/// The support queue, for staff.
pub async fn queue(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    desk: &Desk,
    q: QueueQuery<'_>,
) -> Result<QueueView> {
    let me = access::signed_in(ctx, Action::ManageTickets)?;
    let statuses: Vec<&str> = match q.status {
        "" | "active" => vec!["new", "open", "pending"],
        "all" => Vec::new(),
        typed => vec![
            Status::parse(typed)
                .ok_or_else(|| DomainError::invalid("status", "Choose a status on offer."))?
                .as_str(),
        ],
    };
    let impact = match q.impact {
        "" => None,
        typed => Some(
            Impact::parse(typed)
                .ok_or_else(|| DomainError::invalid("impact", "Choose an impact on offer."))?
                .as_str(),
        ),
    };
    let assignee = match q.assignee {
        "" => None,
        "me" => Some(Some(me.id)),
        "none" => Some(None),
        typed => Some(Some(AccountId(typed.parse().map_err(|_| {
            DomainError::invalid("assignee", "Choose someone from the support team.")
        })?))),
    };
    if q.q.chars().count() > 200 {
        return Err(DomainError::invalid(
            "q",
            "Search with at most 200 characters.",
        ));
    }
    let page = crate::page_number(q.page)?;
    let found = tickets::list(
        conn.reborrow(),
        &Filter {
            statuses,
            impact,
            community_slug: (!q.community.is_empty()).then_some(q.community),
            assignee,
            breached: q.breached,
            search: q.q,
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
            ..Filter::default()
        },
    )
    .await?;
    Ok(QueueView {
        tickets: found
            .items
            .iter()
            .map(|t| summary(desk, t, ctx.now))
            .collect(),
        total: found.total,
        page,
        pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        status: if q.status.is_empty() {
            "active"
        } else {
            q.status
        }
        .to_owned(),
        impact: q.impact.to_owned(),
        community: q.community.to_owned(),
        assignee: q.assignee.to_owned(),
        breached: q.breached,
        q: q.q.to_owned(),
        statuses: options(Status::ALL, Status::as_str, Status::label),
        impacts: options(Impact::ALL, Impact::as_str, Impact::label),
        assignees: staff_choices(conn).await?,
    })
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Breaches flagged (and mailed).
    pub breaches: usize,
    /// Resolved tickets closed at the end of their reopen window.
    pub closed: u64,
}

/// Flags the clocks overdue at `now` (each once, whichever process gets there first) and
/// mails the assignee, or the team; closes tickets resolved before the reopen window.
pub async fn sweep(
    tx: &mut WriteTx,
    desk: &Desk,
    public_url: &str,
    now: Timestamp,
) -> Result<Swept> {
    let mut swept = Swept::default();
    for (id, breach) in tickets::overdue(tx.conn(), now, 100).await? {
        if !tickets::flag_breach(tx.conn(), id, breach, now).await? {
            continue;
        }
        let Some(t) = tickets::get(tx.conn(), id).await? else {
            continue;
        };
        swept.breaches += 1;
        let what = match breach {
            Breach::FirstResponse => "first response",
            Breach::Resolution => "resolution",
        };
        let target = format!("#{} {}", t.id, t.title);
        crate::audit::Audit::by_stoa("ticket.sla_breached", &target)
            .after(serde_json::json!({ "clock": what }))
            .record(tx.conn(), now)
            .await?;
        let subject = format!("[Stoa support] SLA breached: #{} {}", t.id, t.title);
        let note = format!(
            "The {what} target of ticket #{} ({}, {} impact) has passed.\n\n\
             See it at {public_url}/communities/{}/support/{}\n",
            t.id, t.community_name, t.impact, t.community_slug, t.id,
        );
        mail_team(tx, t.assignee_id, &subject, &note, now).await?;
    }
    swept.closed =
        tickets::close_resolved_before(tx.conn(), now - desk.config.reopen_window(), now).await?;
    Ok(swept)
}

/// The member who opened a ticket allows the support team to see Stoa as they see it
/// (`allow`), or withdraws that; recorded on the ticket, for everyone on it to see, and in
/// the community's audit log.
pub async fn consent(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    number: &str,
    allow: bool,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::WriteTicket).await?;
    let me = ctx.caller()?;
    let t = visible(ctx, tx.conn(), &access, number).await?;
    if t.opened_by != Some(me.id) {
        return Err(DomainError::invalid(
            "form",
            "Only the person who opened the ticket can allow the support team to see Stoa as they do.",
        ));
    }
    if allow {
        tickets::grant_consent(tx.conn(), t.id, me.id, ctx.now).await?;
    } else {
        tickets::revoke_consent(tx.conn(), t.id, me.id, ctx.now).await?;
    }
    let text = if allow {
        "Allowed the support team to see Stoa's pages as I see them, read-only, for an hour at a time."
    } else {
        "Withdrew the support team's permission to see Stoa as I see it."
    };
    tickets::add_message(
        tx.conn(),
        &tickets::NewMessage {
            ticket: t.id,
            author: me.id,
            by_staff: false,
            internal: false,
            body: text,
            status_to: None,
        },
        ctx.now,
    )
    .await?;
    let action = if allow {
        "ticket.view_as_allowed"
    } else {
        "ticket.view_as_withdrawn"
    };
    crate::audit::Audit::by(me, action, &format!("#{} {}", t.id, t.title))
        .community(&access.community)
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// A staff member starts seeing Stoa as the member who opened ticket `number`, who
/// consented on it: read-only, until the configured time passes or they stop. Recorded in
/// the community's audit log with the ticket. Returns where to go: the member's dashboard.
pub async fn start_view_as(
    ctx: &Ctx,
    tx: &mut WriteTx,
    desk: &Desk,
    number: &str,
) -> Result<String> {
    let me = access::signed_in(ctx, Action::ManageTickets)?;
    let t = for_staff(tx.conn(), number).await?;
    let refused = || {
        DomainError::invalid(
            "form",
            "The member who opened this ticket has not allowed it (or withdrew it).",
        )
    };
    let member = t.opened_by.ok_or_else(refused)?;
    if member == me.id || !tickets::consents(tx.conn(), t.id, member).await? {
        return Err(refused());
    }
    let until = ctx.now + desk.config.view_as_time();
    tickets::start_view_as(tx.conn(), t.id, me.id, member, ctx.now, until).await?;
    let community = stoa_db::communities::by_id(tx.conn(), t.community_id).await?;
    crate::audit::Audit::by(
        me,
        "ticket.view_as_started",
        &format!("#{} {}", t.id, t.title),
    )
    .community(&community)
    .after(serde_json::json!({
        "member": t.opened_by_name, "until": when(until),
    }))
    .record(tx.conn(), ctx.now)
    .await?;
    Ok("/dashboard".to_owned())
}

/// The staff member `staff` (seen now as a member) stops viewing as them; recorded in the
/// community's audit log. Returns the ticket's page to go back to.
pub async fn stop_view_as(ctx: &Ctx, tx: &mut WriteTx, staff: AccountId) -> Result<String> {
    let account = stoa_db::accounts::get(tx.conn(), staff).await?;
    if !account.is_staff {
        return Err(DomainError::Forbidden);
    }
    let Some(v) = tickets::end_view_as(tx.conn(), staff, ctx.now).await? else {
        return Ok("/staff/tickets".to_owned());
    };
    let t = for_staff(tx.conn(), &v.ticket_id.to_string()).await?;
    let community = stoa_db::communities::by_id(tx.conn(), t.community_id).await?;
    let me = crate::Caller {
        id: account.id,
        name: account.name,
        email: None,
        staff: true,
    };
    crate::audit::Audit::by(
        &me,
        "ticket.view_as_ended",
        &format!("#{} {}", t.id, t.title),
    )
    .community(&community)
    .after(serde_json::json!({ "member": v.member_name }))
    .record(tx.conn(), ctx.now)
    .await?;
    Ok(format!(
        "/communities/{}/support/{}",
        t.community_slug, t.id
    ))
}
