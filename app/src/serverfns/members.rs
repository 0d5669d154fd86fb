//! A community's members: list, change role and end date, remove, transfer ownership.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::members::{MEMBERS_PER_PAGE, MemberRow, MembersPage};

/// Lists and searches members (owners first).
#[server(prefix = "/api", endpoint = "members/list")]
pub async fn list_members(slug: String, query: String, page: u32) -> Result<MembersPage, AppError> {
    crate::ssr::read(async |ctx, conn| {
        stoa_domain::members::list(ctx, conn, &slug, &query, page).await
    })
    .await
}

/// Changes a member's role and end date (`ends_on` empty: no end). Only owners change
/// owners or make new ones; the last owner stays an owner; owners have no end date.
#[server(prefix = "/api", endpoint = "members/update")]
pub async fn update_member(
    slug: String,
    account_id: i64,
    role: String,
    ends_on: String,
) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::members::update(ctx, tx, &slug, account_id, &role, &ends_on).await
    })
    .await
}

/// Removes a member. Only owners remove owners; the last owner cannot be removed.
#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(slug: String, account_id: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::members::remove(ctx, tx, &slug, account_id).await
    })
    .await
}

/// Makes another member the owner; the current owner becomes an admin.
#[server(prefix = "/api", endpoint = "members/transfer")]
pub async fn transfer_ownership(slug: String, account_id: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::members::transfer(ctx, tx, &slug, account_id).await
    })
    .await
}
