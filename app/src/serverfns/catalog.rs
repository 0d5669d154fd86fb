//! The environment catalog: browse, search and open entries.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::catalog::{CatalogView, EntryView, PublishForm, PublishView};
pub use stoa_model::hub::HubSaved;

/// Entries the caller may see matching the search and filters, one page.
#[server(prefix = "/api", endpoint = "catalog/list")]
pub async fn list_catalog(
    #[server(default)] q: String,
    #[server(default)] language: String,
    #[server(default)] tag: String,
    #[server(default)] sort: String,
    #[server(default)] page: String,
) -> Result<CatalogView, AppError> {
    let cache = crate::ssr::catalog_cache()?;
    let query = stoa_domain::catalog::Browse {
        search: &q,
        language: &language,
        tag: &tag,
        sort: &sort,
        page: &page,
    };
    crate::ssr::read(async |ctx, conn| stoa_domain::catalog::browse(ctx, conn, &cache, query).await)
        .await
}

/// An entry with its versions, if the caller may see it.
#[server(prefix = "/api", endpoint = "catalog/get")]
pub async fn get_catalog_entry(slug: String) -> Result<EntryView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::catalog::entry(ctx, conn, &slug).await).await
}

/// Adds a version of an entry to one of the caller's hubs as a new environment: a new
/// revision, reviewed and applied from the hub page.
#[server(prefix = "/api", endpoint = "catalog/add_to_hub")]
pub async fn add_to_hub(
    entry: String,
    community: String,
    version: String,
    #[server(default)] display_name: String,
) -> Result<HubSaved, AppError> {
    let cfg = crate::ssr::hub_config()?;
    let billing = crate::ssr::billing_config()?;
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::catalog::add_to_hub(
            ctx,
            tx,
            &cfg,
            &billing,
            &entry,
            &community,
            &version,
            &display_name,
        )
        .await
    })
    .await
    .inspect(|saved| {
        crate::ssr::go_to(&crate::serverfns::hub::changes_page(
            community.trim(),
            saved,
        ))
    })
}

/// Staff: deprecates a version, recommending another; the admins of the hubs using it are
/// mailed once. Returns how many hubs were told.
#[server(prefix = "/api", endpoint = "catalog/deprecate")]
pub async fn deprecate_version(
    entry: String,
    version: String,
    #[server(default)] replacement: String,
) -> Result<usize, AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::catalog::deprecate(ctx, tx, &entry, &version, &replacement).await
    })
    .await
}

/// Staff: attaches (or, blank, removes) a version's security notice; a new one is mailed
/// once to the admins of the hubs using it. Returns how many hubs were told.
#[server(prefix = "/api", endpoint = "catalog/security_notice")]
pub async fn set_security_notice(
    entry: String,
    version: String,
    #[server(default)] notice: String,
) -> Result<usize, AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::catalog::set_security_notice(ctx, tx, &entry, &version, &notice).await
    })
    .await
}

/// The publish page's communities and starting values (from `entry`, to publish a new
/// version of it).
#[server(prefix = "/api", endpoint = "catalog/publish_form")]
pub async fn get_publish_form(#[server(default)] entry: String) -> Result<PublishView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::catalog::publish_view(ctx, conn, &entry).await)
        .await
}

/// Publishes an environment a community maintains (public ones after staff review), or a new
/// version of one; goes to its page.
#[server(prefix = "/api", endpoint = "catalog/publish")]
pub async fn publish_entry(
    community: String,
    slug: String,
    name: String,
    #[server(default)] summary: String,
    #[server(default)] description: String,
    #[server(default)] languages: String,
    #[server(default)] tags: String,
    #[server(default)] source: String,
    #[server(default)] docs: String,
    visibility: String,
    version: String,
    image: String,
    #[server(default)] notes: String,
) -> Result<String, AppError> {
    let form = PublishForm {
        community,
        slug,
        name,
        summary,
        description,
        languages,
        tags,
        source,
        docs,
        visibility,
        version,
        image,
        notes,
    };
    crate::ssr::write(async |ctx, tx| stoa_domain::catalog::publish(ctx, tx, &form).await)
        .await
        .inspect(|slug| crate::ssr::go_to(&format!("/catalog/{slug}")))
}

/// Staff: approves an entry waiting for review, asks for changes or rejects it, with a
/// message for its community.
#[server(prefix = "/api", endpoint = "catalog/review")]
pub async fn review_entry(
    entry: String,
    decision: String,
    #[server(default)] message: String,
) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::catalog::review(ctx, tx, &entry, &decision, &message).await
    })
    .await
}

/// Staff: features, unfeatures, unpublishes or republishes an entry.
#[server(prefix = "/api", endpoint = "catalog/curate")]
pub async fn curate_entry(entry: String, action: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::catalog::curate(ctx, tx, &entry, &action).await)
        .await
}
