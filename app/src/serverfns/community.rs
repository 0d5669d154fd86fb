//! One community: sign-up, its page, settings, leaving and asking to join; one's own
//! communities; the staff list of all communities.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::JoinPolicy;
pub use stoa_model::community::{
    CommunityForm, CommunityHome, CommunityView, Dashboard, InstitutionChoice, MyCommunityRow,
    StaffCommunityPage, StaffCommunityRow,
};

/// Signs up a community; the signed-in person becomes its owner. `institution` is empty
/// (choose later), `new` (create one from `legal_name` and `country`), or the id of an
/// institution the person administers. Returns the slug, and goes to the community's page.
#[server(prefix = "/api", endpoint = "community/create")]
pub async fn create_community(
    name: String,
    slug: String,
    description: String,
    field: String,
    website: String,
    join_policy: String,
    institution: String,
    legal_name: String,
    country: String,
) -> Result<String, AppError> {
    crate::ssr::write(async |ctx, tx| {
        let form = CommunityForm {
            name,
            description,
            field,
            website,
            join_policy,
        };
        let paying = InstitutionChoice {
            institution,
            legal_name,
            country,
        };
        stoa_domain::communities::create(ctx, tx, &slug, &form, &paying)
            .await
            .map(String::from)
    })
    .await
    .inspect(|slug| crate::ssr::go_to(&format!("/communities/{slug}")))
}

/// A community's page: public facts for everyone, more for its members; with `glance`, also
/// members, hub and billing at a glance for those who may see them (the community's home).
#[server(prefix = "/api", endpoint = "community/get")]
pub async fn get_community(
    slug: String,
    #[server(default)] glance: bool,
) -> Result<CommunityView, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::communities::page(ctx, conn, &slug, glance).await
    })
    .await
}

/// The community as its settings form shows it; for those who may change it.
#[server(prefix = "/api", endpoint = "community/settings")]
pub async fn community_settings(slug: String) -> Result<CommunityView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::communities::settings(ctx, conn, &slug).await)
        .await
}

/// Changes a community's settings (the slug is fixed once chosen: hub URLs use it).
#[server(prefix = "/api", endpoint = "community/update")]
pub async fn update_community(
    slug: String,
    name: String,
    description: String,
    field: String,
    website: String,
    join_policy: String,
) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        let form = CommunityForm {
            name,
            description,
            field,
            website,
            join_policy,
        };
        stoa_domain::communities::update(ctx, tx, &slug, &form).await
    })
    .await
}

/// Leaves a community (the last owner cannot: transfer ownership first), and goes to the
/// dashboard.
/// Whether the catalog may name the community among those using an environment.
#[server(prefix = "/api", endpoint = "community/catalog_listing")]
pub async fn set_catalog_listing(
    slug: String,
    #[server(default)] listed: bool,
) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::communities::set_catalog_listing(ctx, tx, &slug, listed).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "community/leave")]
pub async fn leave_community(slug: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::communities::leave(ctx, tx, &slug).await)
        .await
        .inspect(|()| crate::ssr::go_to("/dashboard"))
}

/// Asks to join a community that takes requests; its admins decide.
#[server(prefix = "/api", endpoint = "community/request_join")]
pub async fn request_to_join(slug: String, message: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::communities::request_to_join(ctx, tx, &slug, &message).await
    })
    .await
}

/// The signed-in person's communities and institutions.
#[server(prefix = "/api", endpoint = "me/dashboard")]
pub async fn my_dashboard() -> Result<Dashboard, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::communities::dashboard(ctx, conn).await).await
}

/// Every community with its member count, for staff; searchable and paged.
#[server(prefix = "/api", endpoint = "staff/communities")]
pub async fn staff_communities(
    query: String,
    page: u32,
    per_page: u32,
) -> Result<StaffCommunityPage, AppError> {
    let billing = crate::ssr::billing_config()?;
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::communities::staff_list(ctx, conn, &billing, &query, page, per_page).await
    })
    .await
}
