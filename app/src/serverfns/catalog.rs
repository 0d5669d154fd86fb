//! The environment catalog: browse, search and open entries.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::catalog::{CatalogView, EntryView};

/// Entries the caller may see matching the search and filters, one page.
#[server(prefix = "/api", endpoint = "catalog/list")]
pub async fn list_catalog(
    #[server(default)] q: String,
    #[server(default)] language: String,
    #[server(default)] tag: String,
    #[server(default)] sort: String,
    #[server(default)] page: String,
) -> Result<CatalogView, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::catalog::browse(ctx, conn, &q, &language, &tag, &sort, &page).await
    })
    .await
}

/// An entry with its versions, if the caller may see it.
#[server(prefix = "/api", endpoint = "catalog/get")]
pub async fn get_catalog_entry(slug: String) -> Result<EntryView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::catalog::entry(ctx, conn, &slug).await).await
}
