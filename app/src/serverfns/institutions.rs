//! Institutions (who pays), their admins, and a community's billing page.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::institution::{BillingView, InstitutionForm, InstitutionView, MailLimitView};

/// Registers an institution; the signed-in person becomes its admin. Returns its id, and goes
/// to its page.
#[server(prefix = "/api", endpoint = "institutions/create")]
pub async fn create_institution(
    legal_name: String,
    address: String,
    country: String,
    tax_id: String,
    billing_contacts: String,
) -> Result<i64, AppError> {
    let form = InstitutionForm {
        legal_name,
        address,
        country,
        tax_id,
        billing_contacts,
    };
    crate::ssr::write(async |ctx, tx| stoa_domain::institutions::create(ctx, tx, &form).await)
        .await
        .inspect(|id| crate::ssr::go_to(&format!("/institutions/{id}")))
}

/// An institution and the communities it pays for.
#[server(prefix = "/api", endpoint = "institutions/get")]
pub async fn get_institution(id: i64) -> Result<InstitutionView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::institutions::get(ctx, conn, id).await).await
}

/// Changes an institution's details.
#[server(prefix = "/api", endpoint = "institutions/update")]
pub async fn update_institution(
    id: i64,
    legal_name: String,
    address: String,
    country: String,
    tax_id: String,
    billing_contacts: String,
) -> Result<(), AppError> {
    let form = InstitutionForm {
        legal_name,
        address,
        country,
        tax_id,
        billing_contacts,
    };
    crate::ssr::write(async |ctx, tx| stoa_domain::institutions::update(ctx, tx, id, &form).await)
        .await
}

/// Invites the person with this address to administer the institution; they accept from the
/// mail, signed in with that address. The answer never tells whether the address has an
/// account.
#[server(prefix = "/api", endpoint = "institutions/invite_admin")]
pub async fn invite_institution_admin(id: i64, email: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::institutions::invite_admin(ctx, tx, id, &email).await
    })
    .await
}

/// Withdraws an open admin invitation.
#[server(prefix = "/api", endpoint = "institutions/revoke_invitation")]
pub async fn revoke_institution_invitation(id: i64, invitation: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::institutions::revoke_admin_invitation(ctx, tx, id, invitation).await
    })
    .await
}

/// Removes an admin from the institution (never the last one).
#[server(prefix = "/api", endpoint = "institutions/remove_admin")]
pub async fn remove_institution_admin(id: i64, account_id: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::institutions::remove_admin(ctx, tx, id, account_id).await
    })
    .await
}

/// A community's billing status and paying institution.
#[server(prefix = "/api", endpoint = "billing/get")]
pub async fn get_billing(slug: String) -> Result<BillingView, AppError> {
    let cfg = crate::ssr::billing_config()?;
    let stripe = crate::ssr::stripe().is_some();
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::institutions::billing(ctx, conn, &cfg, stripe, &slug).await
    })
    .await
}

/// Chooses the paying institution (one the signed-in person administers), or none.
#[server(prefix = "/api", endpoint = "billing/set_institution")]
pub async fn set_billing_institution(slug: String, institution: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::institutions::set_billing_institution(ctx, tx, &slug, &institution).await
    })
    .await
}

/// A community's daily invitation mail limit and today's count (staff).
#[server(prefix = "/api", endpoint = "staff/mail_limit")]
pub async fn community_mail_limit(slug: String) -> Result<MailLimitView, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::quota::community_allowance(ctx, conn, &slug).await
    })
    .await
}

/// Raises (or, empty, resets to the default) a community's daily invitation mail limit
/// (staff).
#[server(prefix = "/api", endpoint = "staff/set_mail_limit")]
pub async fn set_community_mail_limit(slug: String, per_day: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::quota::set_community_limit(ctx, tx, &slug, &per_day).await
    })
    .await
}
