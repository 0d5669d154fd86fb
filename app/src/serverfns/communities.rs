//! The public community directory.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::community::{CommunityPage, CommunitySummary, MAX_PER_PAGE, MAX_QUERY_CHARS};

/// Lists communities whose name, slug or field contains `query`, newest first.
#[server(prefix = "/api", endpoint = "communities/list")]
pub async fn list_communities(
    query: String,
    page: u32,
    per_page: u32,
) -> Result<CommunityPage, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::communities::directory(ctx, conn, &query, page, per_page).await
    })
    .await
}
