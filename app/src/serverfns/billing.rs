//! Plans and usage: the public pricing page with its calculator, and a community's usage.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::billing::{PricingView, UsageView};

/// The plans on offer; with `users`, each plan's monthly usage fee for that many people.
#[server(prefix = "/api", endpoint = "billing/pricing")]
pub async fn get_pricing(#[server(default)] users: String) -> Result<PricingView, AppError> {
    let cfg = crate::ssr::billing_config()?;
    crate::ssr::respond(async move {
        let ctx = crate::ssr::ctx()?;
        Ok(stoa_domain::billing::pricing(&ctx, &cfg, &users)?)
    })
    .await
}

/// A community's usage in `month` (`YYYY-MM`; empty: this month).
#[server(prefix = "/api", endpoint = "billing/usage")]
pub async fn get_usage(
    slug: String,
    #[server(default)] month: String,
) -> Result<UsageView, AppError> {
    let cfg = crate::ssr::billing_config()?;
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::billing::usage(ctx, conn, &cfg, &slug, &month).await
    })
    .await
}
