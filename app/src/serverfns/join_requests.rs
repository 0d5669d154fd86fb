//! Join requests: admins list and decide; the requester is told by email.

use leptos::prelude::*;

use crate::error::AppError;
pub use stoa_model::join_requests::{JoinRequestRow, JoinRequestStatus};

/// Pending requests, oldest first (at most 500).
#[server(prefix = "/api", endpoint = "requests/list")]
pub async fn list_join_requests(slug: String) -> Result<Vec<JoinRequestRow>, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::join_requests::list(ctx, conn, &slug).await)
        .await
}

/// Approves (the requester becomes a member) or denies a pending request, and mails the
/// requester the answer.
#[server(prefix = "/api", endpoint = "requests/decide")]
pub async fn decide_join_request(slug: String, id: i64, approve: bool) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| {
        stoa_domain::join_requests::decide(ctx, tx, &slug, id, approve).await
    })
    .await
}
