//! Support tickets: a community's members open and follow them; staff answer from the queue.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::support::{QueueView, TicketList, TicketOpened, TicketView};

/// The community's tickets the caller may see, and the form's choices.
#[server(prefix = "/api", endpoint = "support/list")]
pub async fn list_tickets(
    slug: String,
    #[server(default)] show: String,
    #[server(default)] page: String,
) -> Result<TicketList, AppError> {
    let (desk, billing) = (crate::ssr::support_desk()?, crate::ssr::billing_config()?);
    let hubs = crate::ssr::hub_config()?;
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::support::list(ctx, conn, &desk, &hubs, &billing, &slug, &show, &page).await
    })
    .await
}

/// Opens a ticket; the answer leads to its page.
#[server(prefix = "/api", endpoint = "support/open")]
pub async fn open_ticket(
    slug: String,
    kind: String,
    impact: String,
    #[server(default)] hub: String,
    title: String,
    body: String,
) -> Result<TicketOpened, AppError> {
    let (desk, billing) = (crate::ssr::support_desk()?, crate::ssr::billing_config()?);
    let form = stoa_domain::support::OpenTicket {
        kind: &kind,
        impact: &impact,
        hub: &hub,
        title: &title,
        body: &body,
    };
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::open(ctx, tx, &desk, &billing, &slug, form).await
    })
    .await
    .inspect(|opened| crate::ssr::go_to(&opened.url))
}

/// One ticket and its conversation (internal notes for staff only).
#[server(prefix = "/api", endpoint = "support/get")]
pub async fn get_ticket(slug: String, number: String) -> Result<TicketView, AppError> {
    let (desk, billing) = (crate::ssr::support_desk()?, crate::ssr::billing_config()?);
    let hubs = crate::ssr::hub_config()?;
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::support::view(ctx, conn, &desk, &hubs, &billing, &slug, &number).await
    })
    .await
}

/// Asks for values beyond the community's bounds; the answer leads to the ticket.
#[server(prefix = "/api", endpoint = "support/request_quota")]
pub async fn request_quota(
    slug: String,
    #[server(default)] memory_gib: String,
    #[server(default)] cpu_cores: String,
    #[server(default)] home_quota_gib: String,
    #[server(default)] idle_timeout_hours: String,
    #[server(default)] max_age_days: String,
    #[server(default)] event_users: String,
    #[server(default)] environments: String,
    #[server(default)] gpu_environment: String,
    #[server(default)] gpus: String,
    #[server(default)] custom_domain: String,
    impact: String,
    body: String,
) -> Result<TicketOpened, AppError> {
    let (desk, billing) = (crate::ssr::support_desk()?, crate::ssr::billing_config()?);
    let hubs = crate::ssr::hub_config()?;
    let form = stoa_domain::quota_requests::QuotaForm {
        memory_gib: &memory_gib,
        cpu_cores: &cpu_cores,
        home_quota_gib: &home_quota_gib,
        idle_timeout_hours: &idle_timeout_hours,
        max_age_days: &max_age_days,
        event_users: &event_users,
        environments: &environments,
        gpu_environment: &gpu_environment,
        gpus: &gpus,
        custom_domain: &custom_domain,
        impact: &impact,
        body: &body,
    };
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::quota_requests::request(ctx, tx, &desk, &hubs, &billing, &slug, form).await
    })
    .await
    .inspect(|opened| crate::ssr::go_to(&opened.url))
}

/// Staff approve (`decision` = `approve`) or decline a quota request.
#[server(prefix = "/api", endpoint = "support/decide_quota")]
pub async fn decide_quota(
    number: String,
    decision: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (desk, billing) = (crate::ssr::support_desk()?, crate::ssr::billing_config()?);
    let hubs = crate::ssr::hub_config()?;
    let queue = crate::ssr::queueing()?;
    let runner = queue.runner.as_deref();
    crate::ssr::write(async |ctx, tx| {
        let approve = match decision.as_str() {
            "approve" => true,
            "decline" => false,
            _ => {
                return Err(stoa_domain::DomainError::invalid(
                    "decision",
                    "Approve or decline.",
                ));
            }
        };
        stoa_domain::quota_requests::decide(
            ctx, tx, &desk, &hubs, &billing, &number, approve, &reason, runner,
        )
        .await
    })
    .await?;
    // An approval may have queued the hub's change: this process's workers take it now.
    queue.wake.notify();
    Ok(())
}

/// A member's reply.
#[server(prefix = "/api", endpoint = "support/reply")]
pub async fn reply_to_ticket(slug: String, number: String, body: String) -> Result<(), AppError> {
    let desk = crate::ssr::support_desk()?;
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::reply(ctx, tx, &desk, &slug, &number, &body).await
    })
    .await
}

/// A member marks the ticket resolved.
#[server(prefix = "/api", endpoint = "support/resolve")]
pub async fn resolve_ticket(slug: String, number: String) -> Result<(), AppError> {
    let desk = crate::ssr::support_desk()?;
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::resolve(ctx, tx, &desk, &slug, &number).await
    })
    .await
}

/// Staff: a public reply (with a status) or an internal note (`internal` = `on`).
#[server(prefix = "/api", endpoint = "support/answer")]
pub async fn answer_ticket(
    number: String,
    body: String,
    #[server(default)] internal: String,
    #[server(default)] status: String,
) -> Result<(), AppError> {
    let desk = crate::ssr::support_desk()?;
    let answer = stoa_domain::support::Answer {
        body: &body,
        internal: matches!(internal.as_str(), "on" | "true"),
        status: &status,
    };
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::answer(ctx, tx, &desk, &number, answer).await
    })
    .await
}

/// Staff: status, impact or assignee.
#[server(prefix = "/api", endpoint = "support/update")]
pub async fn update_ticket(
    number: String,
    #[server(default)] status: String,
    #[server(default)] impact: String,
    #[server(default)] assignee: String,
) -> Result<(), AppError> {
    let desk = crate::ssr::support_desk()?;
    let update = stoa_domain::support::Update {
        status: &status,
        impact: &impact,
        assignee: &assignee,
    };
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::update(ctx, tx, &desk, &number, update).await
    })
    .await
}

/// Staff: the support queue, filtered and searched.
#[server(prefix = "/api", endpoint = "support/queue")]
pub async fn support_queue(
    #[server(default)] status: String,
    #[server(default)] impact: String,
    #[server(default)] community: String,
    #[server(default)] assignee: String,
    #[server(default)] breached: String,
    #[server(default)] q: String,
    #[server(default)] page: String,
) -> Result<QueueView, AppError> {
    let desk = crate::ssr::support_desk()?;
    let query = stoa_domain::support::QueueQuery {
        status: &status,
        impact: &impact,
        community: &community,
        assignee: &assignee,
        breached: matches!(breached.as_str(), "on" | "true"),
        q: &q,
        page: &page,
    };
    crate::ssr::read(async |ctx, conn| stoa_domain::support::queue(ctx, conn, &desk, query).await)
        .await
}

/// The member who opened the ticket lets the support team see Stoa as they do (`allow` =
/// `true`), or withdraws that.
#[server(prefix = "/api", endpoint = "support/consent")]
pub async fn consent_to_view_as(
    slug: String,
    number: String,
    #[server(default)] allow: String,
) -> Result<(), AppError> {
    let allow = allow == "true";
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::consent(ctx, tx, &slug, &number, allow).await
    })
    .await
}

/// Staff: see Stoa as the member who opened the ticket (with their consent), read-only.
#[server(prefix = "/api", endpoint = "support/view_as")]
pub async fn view_as(number: String) -> Result<String, AppError> {
    let desk = crate::ssr::support_desk()?;
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::support::start_view_as(ctx, tx, &desk, &number).await
    })
    .await
    .inspect(|to| crate::ssr::go_to(to))
}

/// Staff: stop seeing Stoa as a member (the one write a view-as session lets through).
#[server(prefix = "/api", endpoint = "support/stop_view_as")]
pub async fn stop_view_as() -> Result<String, AppError> {
    // While viewing as a member the request's person is the member; the staff member is
    // the one the session layer recorded.
    let viewing = crate::ssr::current_user().and_then(|u| u.viewing_as);
    crate::ssr::write(async |ctx, tx| {
        let staff = match viewing {
            Some(v) => stoa_db::accounts::AccountId(v.staff_id),
            None => stoa_domain::access::signed_in(ctx, stoa_model::Action::ManageTickets)?.id,
        };
        stoa_domain::support::stop_view_as(ctx, tx, staff).await
    })
    .await
    .inspect(|to| crate::ssr::go_to(to))
}
