//! A community's hub settings: the tab, saving one section as a new revision, rollback,
//! apply requests, diffs and the homepage preview. Each function gathers its form into one
//! `stoa_domain::hubs` call; validation, the policy and the audit entry are the domain's.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::hub::{
    EnvironmentForm, EventForm, HomepageForm, HubDiff, HubPreview, HubSaved, HubView, LoginForm,
    RoleChoice, ServerForm, ServerOptions, StaffForm,
};

#[cfg(feature = "ssr")]
use stoa_domain::DomainError;
#[cfg(feature = "ssr")]
use stoa_domain::hubs::{self, Edit};

/// Saves one section as a new revision on top of `base`; with `intent` "check", only says
/// what saving would change, and the form keeps what was typed.
#[cfg(feature = "ssr")]
async fn save(
    slug: String,
    base: i32,
    message: String,
    intent: String,
    edit: Edit,
) -> Result<HubSaved, AppError> {
    let cfg = crate::ssr::hub_config()?;
    let billing = crate::ssr::billing_config()?;
    let check_only = intent == "check";
    if check_only {
        crate::ssr::keep_typed_values();
    }
    crate::ssr::write(async |ctx, tx| {
        hubs::save(
            ctx, tx, &cfg, &billing, &slug, base, &message, &edit, check_only,
        )
        .await
    })
    .await
}

/// The hub tab: a summary for members; settings, history and bounds for admins and staff.
#[server(prefix = "/api", endpoint = "hub/get")]
pub async fn get_hub(slug: String) -> Result<HubView, AppError> {
    let cfg = crate::ssr::hub_config()?;
    let billing = crate::ssr::billing_config()?;
    crate::ssr::read(async |ctx, conn| hubs::view(ctx, conn, &cfg, &billing, &slug).await).await
}

/// Saves the homepage section.
#[server(prefix = "/api", endpoint = "hub/save_homepage")]
pub async fn save_homepage(
    slug: String,
    base: i32,
    message: String,
    #[server(default)] intent: String,
    org_name: String,
    org_url: String,
    funded_by_name: String,
    funded_by_url: String,
    announcement: String,
    #[server(default)] show_logo: bool,
) -> Result<HubSaved, AppError> {
    let form = HomepageForm {
        org_name,
        org_url,
        funded_by_name,
        funded_by_url,
        announcement,
        show_logo,
    };
    save(slug, base, message, intent, Edit::Homepage(form)).await
}

/// Saves who may log in (one rule per line).
#[server(prefix = "/api", endpoint = "hub/save_login")]
pub async fn save_login(
    slug: String,
    base: i32,
    message: String,
    #[server(default)] intent: String,
    email_domains: String,
    cilogon_idps: String,
    github_rules: String,
) -> Result<HubSaved, AppError> {
    let form = LoginForm {
        email_domains,
        cilogon_idps,
        github_rules,
    };
    save(slug, base, message, intent, Edit::Login(form)).await
}

/// Adds an environment (`original` empty) or changes the one whose slug was `original`.
#[server(prefix = "/api", endpoint = "hub/save_environment")]
pub async fn save_environment(
    slug: String,
    base: i32,
    message: String,
    #[server(default)] intent: String,
    original: String,
    env_slug: String,
    display_name: String,
    description: String,
    image: String,
    size: String,
    #[server(default)] default: bool,
    #[server(default)] roles: RoleChoice,
) -> Result<HubSaved, AppError> {
    let form = EnvironmentForm {
        slug: env_slug,
        display_name,
        description,
        image,
        size,
        default,
        roles: roles.roles(),
    };
    save(
        slug,
        base,
        message,
        intent,
        Edit::Environment { original, form },
    )
    .await
}

/// Moves an environment on a deprecated catalog version to the recommended one: a new
/// revision, applied like any other.
#[server(prefix = "/api", endpoint = "hub/use_replacement")]
pub async fn use_replacement(slug: String, env_slug: String) -> Result<HubSaved, AppError> {
    let cfg = crate::ssr::hub_config()?;
    let billing = crate::ssr::billing_config()?;
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::catalog::use_replacement(ctx, tx, &cfg, &billing, &slug, &env_slug).await
    })
    .await
    .inspect(|saved| crate::ssr::go_to(&changes_page(&slug, saved)))
}

/// Where to see what a saved revision changed: its diff with the one before, or the hub tab
/// for the first.
#[cfg(feature = "ssr")]
pub(crate) fn changes_page(community: &str, saved: &HubSaved) -> String {
    match saved.number {
        Some(n) if n > 1 => format!("/communities/{community}/hub/diff?from={}&to={n}", n - 1),
        _ => format!("/communities/{community}/hub"),
    }
}

/// Removes an environment.
#[server(prefix = "/api", endpoint = "hub/remove_environment")]
pub async fn remove_environment(
    slug: String,
    base: i32,
    message: String,
    env_slug: String,
) -> Result<HubSaved, AppError> {
    save(
        slug,
        base,
        message,
        String::new(),
        Edit::RemoveEnvironment(env_slug),
    )
    .await
}

/// Saves the server settings: interface, culling, storage, named servers, own images.
#[server(prefix = "/api", endpoint = "hub/save_server")]
pub async fn save_server(
    slug: String,
    base: i32,
    message: String,
    #[server(default)] intent: String,
    interface: String,
    git_repo: String,
    git_branch: String,
    git_path: String,
    idle_timeout_minutes: String,
    max_age_hours: String,
    home_quota_gib: String,
    #[server(default)] options: ServerOptions,
) -> Result<HubSaved, AppError> {
    let form = ServerForm {
        interface,
        git_repo,
        git_branch,
        git_path,
        idle_timeout_minutes,
        max_age_hours,
        home_quota_gib,
        named_servers: options.named_servers,
        bring_your_own_image: options.bring_your_own_image,
    };
    save(slug, base, message, intent, Edit::Server(form)).await
}

/// Saves the planned event (all fields empty: no event).
#[server(prefix = "/api", endpoint = "hub/save_event")]
pub async fn save_event(
    slug: String,
    base: i32,
    message: String,
    #[server(default)] intent: String,
    expected_users: String,
    starts_on: String,
    ends_on: String,
) -> Result<HubSaved, AppError> {
    let form = EventForm {
        expected_users,
        starts_on,
        ends_on,
    };
    save(slug, base, message, intent, Edit::Event(form)).await
}

/// Saves the staff-only settings (staff only).
#[server(prefix = "/api", endpoint = "hub/save_staff")]
pub async fn save_staff(
    slug: String,
    base: i32,
    message: String,
    #[server(default)] intent: String,
    custom_domain: String,
    node_selectors: String,
    extra_resource_limits: String,
    bounds: String,
) -> Result<HubSaved, AppError> {
    let form = StaffForm {
        custom_domain,
        node_selectors,
        extra_resource_limits,
        bounds,
    };
    save(slug, base, message, intent, Edit::Staff(form)).await
}

/// Restores the settings of revision `to` as a new revision on top of `base`.
#[server(prefix = "/api", endpoint = "hub/rollback")]
pub async fn rollback_hub(slug: String, base: i32, to: i32) -> Result<i32, AppError> {
    let cfg = crate::ssr::hub_config()?;
    let billing = crate::ssr::billing_config()?;
    crate::ssr::write(async |ctx, tx| {
        hubs::rollback(ctx, tx, &cfg, &billing, &slug, base, to).await
    })
    .await
}

/// Asks for revision `number` to run on the hub; the change is queued with it and this
/// process's workers are woken once it is committed.
#[server(prefix = "/api", endpoint = "hub/apply")]
pub async fn apply_revision(slug: String, number: i32) -> Result<(), AppError> {
    let queue = crate::ssr::queueing()?;
    let runner = queue.runner.as_deref();
    crate::ssr::write(async |ctx, tx| hubs::request_apply(ctx, tx, &slug, number, runner).await)
        .await?;
    queue.wake.notify();
    Ok(())
}

/// Starts (`run`) or stops the hub.
#[server(prefix = "/api", endpoint = "hub/run")]
pub async fn set_hub_running(slug: String, run: bool) -> Result<(), AppError> {
    let queue = crate::ssr::queueing()?;
    crate::ssr::write(async |ctx, tx| hubs::set_running(ctx, tx, &slug, run).await).await?;
    queue.wake.notify();
    Ok(())
}

/// Staff: runs a finished change again, or cancels one (`intent`: `rerun` or `cancel`).
#[server(prefix = "/api", endpoint = "hub/intervene")]
pub async fn intervene_hub_change(
    slug: String,
    change: i64,
    intent: String,
) -> Result<(), AppError> {
    let queue = crate::ssr::queueing()?;
    crate::ssr::write(async |ctx, tx| {
        let rerun = match intent.as_str() {
            "rerun" => true,
            "cancel" => false,
            _ => return Err(DomainError::invalid("intent", "Choose re-run or cancel.")),
        };
        hubs::intervene(ctx, tx, &slug, change, rerun).await
    })
    .await?;
    queue.wake.notify();
    Ok(())
}

/// What changed between two revisions.
#[server(prefix = "/api", endpoint = "hub/diff")]
pub async fn get_hub_diff(slug: String, from: i32, to: i32) -> Result<HubDiff, AppError> {
    let cfg = crate::ssr::hub_config()?;
    crate::ssr::read(async |ctx, conn| hubs::diff(ctx, conn, &cfg, &slug, from, to).await).await
}

/// The hub's homepage as revision `number` renders it (0: the latest).
#[server(prefix = "/api", endpoint = "hub/preview")]
pub async fn get_hub_preview(slug: String, number: i32) -> Result<HubPreview, AppError> {
    let cfg = crate::ssr::hub_config()?;
    crate::ssr::read(async |ctx, conn| hubs::preview(ctx, conn, &cfg, &slug, number).await).await
}
