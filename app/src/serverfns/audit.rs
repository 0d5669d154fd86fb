//! Reading the audit log: a community's (its admins) or everything (staff).

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::audit::{AUDIT_PAGE, AuditPage, AuditRow};

/// A community's log; `action` filters by prefix, `actor` by name.
#[server(prefix = "/api", endpoint = "audit/community")]
pub async fn community_audit(
    slug: String,
    action: String,
    actor: String,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::audit_log::community(ctx, conn, &slug, &action, &actor, before).await
    })
    .await
}

/// The whole log, for staff; `community` filters by slug.
#[server(prefix = "/api", endpoint = "audit/all")]
pub async fn all_audit(
    community: String,
    action: String,
    actor: String,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::audit_log::all(ctx, conn, &community, &action, &actor, before).await
    })
    .await
}
