//! The staff console's operations lists.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::console::{ConsoleChanges, ConsoleHubs};

/// Every hub with its state, searched and filtered.
#[server(prefix = "/api", endpoint = "console/hubs")]
pub async fn hub_list(
    #[server(default)] q: String,
    #[server(default)] show: String,
    #[server(default)] page: String,
) -> Result<ConsoleHubs, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::console::hubs(ctx, conn, &q, &show, &page).await
    })
    .await
}

/// Provisioning changes across every hub, newest first.
#[server(prefix = "/api", endpoint = "console/changes")]
pub async fn change_list(
    #[server(default)] show: String,
    #[server(default)] community: String,
    #[server(default)] page: String,
) -> Result<ConsoleChanges, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::console::changes(ctx, conn, &show, &community, &page).await
    })
    .await
}
