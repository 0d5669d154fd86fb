//! Plans and usage: the public pricing page with its calculator, and a community's usage.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::billing::{PlanChangeView, PricingView, UsageView};

/// The plans on offer; with `users`, each plan's monthly usage fee for that many people.
#[server(prefix = "/api", endpoint = "billing/pricing")]
pub async fn get_pricing(#[server(default)] users: String) -> Result<PricingView, AppError> {
    let cfg = crate::ssr::billing_config()?;
    let hubs = crate::ssr::hub_config()?;
    crate::ssr::respond(async move {
        let ctx = crate::ssr::ctx()?;
        Ok(stoa_domain::billing::pricing(
            &ctx,
            &cfg,
            &hubs.bounds,
            &users,
        )?)
    })
    .await
}

/// Moves the community to `plan`; with `intent` "check", only says what that would do (the
/// fee and every limit before and after, and what in its hub settings would not fit).
#[server(prefix = "/api", endpoint = "billing/change_plan")]
pub async fn change_plan(
    slug: String,
    plan: String,
    #[server(default)] intent: String,
) -> Result<PlanChangeView, AppError> {
    let cfg = crate::ssr::billing_config()?;
    let hubs = crate::ssr::hub_config()?;
    let confirm = intent == "confirm";
    if !confirm {
        crate::ssr::keep_typed_values();
    }
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::billing::change_plan(ctx, tx, &hubs, &cfg, &slug, &plan, confirm).await
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

/// Records an open invoice for the community (staff; manual billing: bank transfer, PO).
#[server(prefix = "/api", endpoint = "billing/record_invoice")]
pub async fn record_invoice(
    slug: String,
    number: String,
    description: String,
    amount: String,
    #[server(default)] po_number: String,
    #[server(default)] issued_on: String,
    #[server(default)] due_on: String,
) -> Result<i64, AppError> {
    let cfg = crate::ssr::billing_config()?;
    let form = stoa_domain::billing::InvoiceForm {
        number,
        description,
        amount,
        po_number,
        issued_on,
        due_on,
    };
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::billing::record_invoice(ctx, tx, &cfg, &slug, &form).await
    })
    .await
}

/// Records that one of the community's invoices was paid (staff), which makes it active.
#[server(prefix = "/api", endpoint = "billing/record_payment")]
pub async fn record_payment(
    slug: String,
    invoice_id: i64,
    #[server(default)] paid_on: String,
    #[server(default)] reference: String,
) -> Result<(), AppError> {
    let cfg = crate::ssr::billing_config()?;
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::billing::record_payment(ctx, tx, &cfg, &slug, invoice_id, &paid_on, &reference)
            .await
    })
    .await
}

/// Sends a billing contact of the community to Stripe's Checkout to pay its plan by card
/// (a yearly subscription); back on the billing page afterwards. Answers the page's address.
#[server(prefix = "/api", endpoint = "billing/checkout")]
pub async fn pay_by_card(slug: String) -> Result<String, AppError> {
    let cfg = crate::ssr::billing_config()?;
    let stripe = crate::ssr::stripe();
    crate::ssr::respond(async move {
        let (ctx, db) = (crate::ssr::ctx()?, crate::ssr::db()?);
        let url =
            stoa_domain::stripe::checkout_url(&ctx, &db, stripe.as_deref(), &cfg, &slug).await?;
        crate::ssr::leave_to(&url);
        Ok(url)
    })
    .await
}

/// Sends a billing contact to Stripe's Customer Portal: card, tax id, billing address and
/// invoice history. Answers the page's address.
#[server(prefix = "/api", endpoint = "billing/portal")]
pub async fn manage_payment(slug: String) -> Result<String, AppError> {
    let stripe = crate::ssr::stripe();
    crate::ssr::respond(async move {
        let (ctx, db) = (crate::ssr::ctx()?, crate::ssr::db()?);
        let url = stoa_domain::stripe::portal_url(&ctx, &db, stripe.as_deref(), &slug).await?;
        crate::ssr::leave_to(&url);
        Ok(url)
    })
    .await
}

/// Asks for the community to pay by invoice through Stripe (its paying institution is the
/// customer; Stripe mails each invoice, payable by bank transfer). Answers what happens next.
#[server(prefix = "/api", endpoint = "billing/invoice_terms")]
pub async fn request_invoice_terms(
    slug: String,
    #[server(default)] po_number: String,
    #[server(default)] grant_number: String,
) -> Result<String, AppError> {
    let stripe = crate::ssr::stripe().is_some();
    let form = stoa_domain::stripe::InvoiceTermsForm {
        po_number,
        grant_number,
    };
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::stripe::request_invoice_terms(ctx, tx, stripe, &slug, &form).await
    })
    .await
}
