//! Join requests: admins list and decide; the requester is told by email.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::policy::Action;

/// A pending request, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequestRow {
    /// Id.
    pub id: i64,
    /// Requester's name.
    pub name: String,
    /// Their address.
    pub email: Option<String>,
    /// What they wrote.
    pub message: String,
    /// Date (YYYY-MM-DD).
    pub created_on: String,
}

/// Pending requests, oldest first (at most 500).
#[server(prefix = "/api", endpoint = "requests/list")]
pub async fn list_join_requests(slug: String) -> Result<Vec<JoinRequestRow>, AppError> {
    crate::ssr::respond(async move {
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access = crate::access::community(conn.conn(), &slug, Action::ViewJoinRequests).await?;
        let rows = stoa_db::join_requests::pending(conn.conn(), access.community.id, 500).await?;
        Ok(rows
            .into_iter()
            .map(|r| JoinRequestRow {
                id: r.id,
                name: r.name,
                email: r.email,
                message: r.message,
                created_on: crate::ssr::date_of(r.created_at),
            })
            .collect())
    })
    .await
}

/// Approves (the requester becomes a member) or denies a pending request, and mails the
/// requester the answer.
#[server(prefix = "/api", endpoint = "requests/decide")]
pub async fn decide_join_request(slug: String, id: i64, approve: bool) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{jobs, join_requests, memberships};
        let crate::access::Change { mut tx, access, now } =
            crate::access::change(&slug, Action::DecideJoinRequests).await?;
        let me = access.user()?.clone();
        let c = access.community.clone();
        let request = join_requests::decide(tx.conn(), c.id, id, approve, AccountId(me.id), now)
            .await?
            .ok_or_else(|| AppError::Invalid {
                field: "id".into(),
                message: "That request was decided already.".into(),
            })?;
        if approve && memberships::role_of(tx.conn(), c.id, request.account_id).await?.is_none() {
            memberships::add(tx.conn(), c.id, request.account_id, stoa_model::Role::Member, None, now).await?;
            access
                .audit(tx.conn(), "membership.added", &request.name, None, Some(serde_json::json!({"role": "member"})), now)
                .await?;
        }
        let status = if approve { "approved" } else { "denied" };
        access
            .audit(
                tx.conn(),
                &format!("join_request.{status}"),
                &request.name,
                Some(serde_json::json!({"status": "pending"})),
                Some(serde_json::json!({"status": status})),
                now,
            )
            .await?;
        if let Some(to) = request.email {
            let public_url = crate::ssr::auth()?.public_url().to_owned();
            let (subject, body) = if approve {
                (
                    format!("Welcome to {}", c.name),
                    format!(
                        "Hello {},\n\nYour request to join {} on Stoa was approved. You are a member now:\n\n{public_url}/communities/{}\n",
                        request.name, c.name, c.slug
                    ),
                )
            } else {
                (
                    format!("Your request to join {}", c.name),
                    format!(
                        "Hello {},\n\nThe admins of {} on Stoa did not approve your request to join this time.\n",
                        request.name, c.name
                    ),
                )
            };
            jobs::enqueue_task(tx.conn(), &jobs::Task::SendNotice { to, subject, body }, now).await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}
