//! The staff console's operations lists (issue 14): every hub with its revision, health,
//! last change, drift and this month's active people; every provisioning change with its
//! state, attempts and last error (re-run and cancel are [`crate::hubs::intervene`]).

use chrono::Datelike;
use stoa_db::Conn;
use stoa_db::console::{self, ChangeFilter, HubFilter};
use stoa_db::deployments::Action as Change;
use stoa_model::Action;
use stoa_model::console::{ConsoleChange, ConsoleChanges, ConsoleHub, ConsoleHubs};

use crate::{Ctx, DomainError, Result, access};

/// Rows per console page.
const PAGE_SIZE: i64 = stoa_model::console::PAGE_SIZE as i64;

const HUB_FILTERS: [(&str, &str, HubFilter); 5] = [
    ("all", "All hubs", HubFilter::All),
    ("drift", "Not running what was asked", HubFilter::Drift),
    ("failed", "Last change failed", HubFilter::Failed),
    ("busy", "Change on its way", HubFilter::Busy),
    ("unapplied", "Saved, not applied", HubFilter::Unapplied),
];

const CHANGE_FILTERS: [(&str, &str, ChangeFilter); 3] = [
    ("open", "Not finished", ChangeFilter::Open),
    ("failed", "Failed", ChangeFilter::Failed),
    ("all", "All", ChangeFilter::All),
];

fn pick<T: Copy>(
    filters: &[(&'static str, &'static str, T)],
    typed: &str,
) -> Result<(&'static str, T)> {
    let typed = if typed.is_empty() {
        filters[0].0
    } else {
        typed
    };
    filters
        .iter()
        .find(|(word, _, _)| *word == typed)
        .map(|(word, _, f)| (*word, *f))
        .ok_or_else(|| DomainError::invalid("show", "Choose one of the filters on offer."))
}

fn offered<T>(filters: &[(&str, &str, T)]) -> Vec<(String, String)> {
    filters
        .iter()
        .map(|(w, l, _)| ((*w).to_owned(), (*l).to_owned()))
        .collect()
}

fn pages(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

fn what(action: Change, revision: Option<i32>) -> String {
    match revision {
        Some(r) => format!("{} revision {r}", action.as_str()),
        None => action.as_str().to_owned(),
    }
}

/// Every hub, searched by community or hub name and filtered, for staff.
pub async fn hubs(
    ctx: &Ctx,
    conn: Conn<'_>,
    q: &str,
    show: &str,
    page: &str,
) -> Result<ConsoleHubs> {
    access::signed_in(ctx, Action::ViewOperations)?;
    let q = stoa_model::validate::text("q", q, 100)?;
    let (show, filter) = pick(&HUB_FILTERS, show.trim())?;
    let page = crate::page_number(page)?;
    let today = ctx.now.as_datetime().date_naive();
    let month = today.with_day(1).unwrap_or(today);
    let found = console::hubs(conn, &q, filter, month, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    Ok(ConsoleHubs {
        hubs: found
            .items
            .into_iter()
            .map(|h| {
                let revision = match (h.applied_revision, h.deployed_revision) {
                    _ if h.latest_revision == 0 => "no revision yet".to_owned(),
                    (None, _) => format!("{} saved, none applied", h.latest_revision),
                    (Some(a), Some(d)) => {
                        format!("{a} of {} asked for, {d} running", h.latest_revision)
                    }
                    (Some(a), None) => {
                        format!("{a} of {} asked for, none running", h.latest_revision)
                    }
                };
                let health = match (h.desired_state.as_deref(), h.last_state.as_deref()) {
                    (None, None) => "not deployed yet".to_owned(),
                    (Some("stopped"), Some("stopped")) => "stopped".to_owned(),
                    (_, Some(state)) => state.to_owned(),
                    (Some(s), None) => s.to_owned(),
                };
                let last_change = match (&h.last_action, h.last_at) {
                    (Some(action), Some(at)) => format!(
                        "{}, {}, {}",
                        what(Change::parse(action), h.last_revision),
                        h.last_state.as_deref().unwrap_or(""),
                        crate::support::when(at)
                    ),
                    _ => String::new(),
                };
                ConsoleHub {
                    drift: h.applied_revision.is_some()
                        && h.deployed_revision != h.applied_revision,
                    slug: h.slug,
                    community_slug: h.community_slug,
                    community_name: h.community_name,
                    revision,
                    health,
                    last_change,
                    last_message: h.last_message.unwrap_or_default(),
                    active_users: h.active_users,
                }
            })
            .collect(),
        total: found.total,
        page,
        pages: pages(found.total),
        q,
        show: show.to_owned(),
        filters: offered(&HUB_FILTERS),
        month: month.format("%Y-%m").to_string(),
    })
}

/// Provisioning changes across every hub, newest first, for staff.
pub async fn changes(
    ctx: &Ctx,
    conn: Conn<'_>,
    show: &str,
    community: &str,
    page: &str,
) -> Result<ConsoleChanges> {
    access::signed_in(ctx, Action::ViewOperations)?;
    let (show, filter) = pick(&CHANGE_FILTERS, show.trim())?;
    let community = community.trim().to_lowercase();
    if community.chars().count() > 64 {
        return Err(DomainError::invalid(
            "community",
            "A community's slug is at most 64 characters.",
        ));
    }
    let page = crate::page_number(page)?;
    let found = console::changes(
        conn,
        filter,
        (!community.is_empty()).then_some(community.as_str()),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    Ok(ConsoleChanges {
        changes: found
            .items
            .into_iter()
            .map(|c| ConsoleChange {
                id: c.id.0,
                what: what(c.action, c.revision),
                can_rerun: c.state.is_final(),
                can_cancel: !c.state.is_final(),
                state: c.state.as_str().to_owned(),
                message: c.message.unwrap_or_default(),
                attempts: c.attempts,
                requested_at: crate::support::when(c.requested_at),
                updated_at: crate::support::when(c.updated_at),
                hub_slug: c.hub_slug,
                community_slug: c.community_slug,
                community_name: c.community_name,
            })
            .collect(),
        total: found.total,
        page,
        pages: pages(found.total),
        show: show.to_owned(),
        community,
        filters: offered(&CHANGE_FILTERS),
    })
}
