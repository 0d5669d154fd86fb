//! Reading the audit log: a community's (its admins) or everything (staff).

use stoa_db::{Conn, audit, communities};
use stoa_model::audit::{AUDIT_PAGE, AuditPage, AuditRow};
use stoa_model::{Action, Invalid, validate};

use crate::{Ctx, Result, access};

/// The filter of the form: `action` by prefix, `actor` by name, older than `before`.
fn filter_of(action: &str, actor: &str, before: Option<i64>) -> Result<audit::Filter, Invalid> {
    let action = validate::line("action", "an action", action, 0, 60)?;
    let actor = validate::line("actor", "a name", actor, 0, 100)?;
    Ok(audit::Filter {
        action_prefix: (!action.is_empty()).then_some(action),
        actor: (!actor.is_empty()).then_some(actor),
        before_id: before,
        ..Default::default()
    })
}

async fn page_of(conn: Conn<'_>, filter: &audit::Filter) -> Result<AuditPage> {
    // One row more than a page tells whether there is an older page.
    let mut rows = audit::list(conn, filter, AUDIT_PAGE + 1).await?;
    let page = usize::try_from(AUDIT_PAGE).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
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
                community: r.community_slug.map(String::from),
                action: r.action,
                target: r.target,
                before: r.before_state,
                after: r.after_state,
            })
            .collect(),
    })
}

/// A community's log, newest first; `action` filters by prefix, `actor` by name.
pub async fn community(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    slug: &str,
    action: &str,
    actor: &str,
    before: Option<i64>,
) -> Result<AuditPage> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewAuditLog).await?;
    let mut filter = filter_of(action, actor, before)?;
    filter.community = Some(access.community.id);
    page_of(conn, &filter).await
}

/// The whole log, for staff; `community` filters by slug (an unknown one lists nothing).
pub async fn all(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    community: &str,
    action: &str,
    actor: &str,
    before: Option<i64>,
) -> Result<AuditPage> {
    access::signed_in(ctx, Action::ViewAllAuditLog)?;
    let mut filter = filter_of(action, actor, before)?;
    let community = community.trim();
    if !community.is_empty() {
        match communities::by_slug(conn.reborrow(), community).await? {
            Some(c) => filter.community = Some(c.id),
            None => {
                return Ok(AuditPage {
                    items: vec![],
                    next_before: None,
                });
            }
        }
    }
    page_of(conn, &filter).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = filter_of(" membership. ", "", Some(9)).unwrap();
        assert_eq!(f.action_prefix.as_deref(), Some("membership."));
        assert_eq!(f.actor, None);
        assert_eq!(f.before_id, Some(9));
        assert_eq!(
            filter_of(&"x".repeat(61), "", None).unwrap_err().fields(),
            ["action"]
        );
        assert_eq!(
            filter_of("", "a\u{0}", None).unwrap_err().fields(),
            ["actor"]
        );
    }
}
