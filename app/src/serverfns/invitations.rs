//! Invitations: invite one or many addresses, list, revoke, resend, and accept.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::invitation::{
    DEFAULT_EXPIRY_DAYS, InvitationDetails, InvitationRef, InvitationRow, InvitationStatus,
    InvitationTarget, InvitationView, InviteOutcome, InviteRow, MAX_BULK, Viewer, split_addresses,
};

/// Invites every address in `emails` (one, or up to 500 pasted) with `role`; the link
/// works `expires_days` days; `ends_on` optionally ends the membership on that date.
#[server(prefix = "/api", endpoint = "invitations/create")]
pub async fn create_invitations(
    slug: String,
    emails: String,
    role: String,
    expires_days: u32,
    ends_on: String,
) -> Result<Vec<InviteRow>, AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::invitations::create(ctx, tx, &slug, &emails, &role, expires_days, &ends_on)
            .await
    })
    .await
}

/// The community's unresolved invitations (at most 1,000, newest first).
#[server(prefix = "/api", endpoint = "invitations/list")]
pub async fn list_invitations(slug: String) -> Result<Vec<InvitationRow>, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::invitations::list(ctx, conn, &slug).await).await
}

/// Revokes an invitation: its link stops working.
#[server(prefix = "/api", endpoint = "invitations/revoke")]
pub async fn revoke_invitation(slug: String, id: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::invitations::revoke(ctx, tx, &slug, id).await)
        .await
}

/// Sends an invitation again with a new link (the old link stops working), after a
/// cooldown; counted against the mail limits.
#[server(prefix = "/api", endpoint = "invitations/resend")]
pub async fn resend_invitation(slug: String, id: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::invitations::resend(ctx, tx, &slug, id).await)
        .await
}

/// What an invitation link (`token`), or after signing in its reference (`reference`),
/// leads to.
#[server(prefix = "/api", endpoint = "invitations/get")]
pub async fn get_invitation(token: String, reference: String) -> Result<InvitationView, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::invitations::view(ctx, conn, &token, &reference).await
    })
    .await
}

/// Accepts the invitation `reference` as the signed-in person, who must have the address it
/// was sent to; returns the path of what it was for, and goes there.
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(reference: String) -> Result<String, AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::invitations::accept(ctx, tx, &reference).await)
        .await
        .inspect(|path| crate::ssr::go_to(path))
}
