//! Reading the audit log: a community's (its admins) or everything (staff).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::policy::Action;

/// Entries per page.
pub const AUDIT_PAGE: i64 = 50;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Id.
    pub id: i64,
    /// When (UTC, to the minute).
    pub at: String,
    /// Who.
    pub actor: String,
    /// Community slug, if any.
    pub community: Option<String>,
    /// Action name.
    pub action: String,
    /// Target in words.
    pub target: String,
    /// Before (JSON text).
    pub before: Option<String>,
    /// After (JSON text).
    pub after: Option<String>,
}

/// A page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Rows.
    pub items: Vec<AuditRow>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

#[cfg(feature = "ssr")]
fn filter_of(
    action: &str,
    actor: &str,
    before: Option<i64>,
) -> Result<stoa_db::audit::Filter, AppError> {
    let action = crate::validate::line("action", "an action", action, 0, 60)?;
    let actor = crate::validate::line("actor", "a name", actor, 0, 100)?;
    Ok(stoa_db::audit::Filter {
        action_prefix: (!action.is_empty()).then_some(action),
        actor: (!actor.is_empty()).then_some(actor),
        before_id: before,
        ..Default::default()
    })
}

#[cfg(feature = "ssr")]
async fn page_of(
    conn: stoa_db::Conn<'_>,
    filter: &stoa_db::audit::Filter,
) -> Result<AuditPage, AppError> {
    let mut rows = stoa_db::audit::list(conn, filter, AUDIT_PAGE + 1).await?;
    let more = rows.len() > AUDIT_PAGE as usize;
    rows.truncate(AUDIT_PAGE as usize);
    Ok(AuditPage {
        next_before: if more {
            rows.last().map(|r| r.id)
        } else {
            None
        },
        items: rows
            .into_iter()
            .map(|r| AuditRow {
                id: r.id,
                at: r.at.as_datetime().format("%Y-%m-%d %H:%M UTC").to_string(),
                actor: r.actor_name,
                community: r.community_slug,
                action: r.action,
                target: r.target,
                before: r.before_state,
                after: r.after_state,
            })
            .collect(),
    })
}

/// A community's log; `action` filters by prefix, `actor` by name.
#[server(prefix = "/api", endpoint = "audit/community")]
pub async fn community_audit(
    slug: String,
    action: String,
    actor: String,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    crate::ssr::respond(async move {
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access = crate::access::community(conn.conn(), &slug, Action::ViewAuditLog).await?;
        let mut filter = filter_of(&action, &actor, before)?;
        filter.community = Some(access.community.id);
        page_of(conn.conn(), &filter).await
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
    crate::ssr::respond(async move {
        crate::access::signed_in(Action::ViewAllAuditLog)?;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let mut filter = filter_of(&action, &actor, before)?;
        let community = community.trim();
        if !community.is_empty() {
            match stoa_db::communities::by_slug(conn.conn(), community).await? {
                Some(c) => filter.community = Some(c.id),
                None => {
                    return Ok(AuditPage {
                        items: vec![],
                        next_before: None,
                    });
                }
            }
        }
        page_of(conn.conn(), &filter).await
    })
    .await
}
