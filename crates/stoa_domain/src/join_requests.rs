//! Join requests: a community's admins list and decide them; the requester is told by mail.

use stoa_db::communities::Community;
use stoa_db::{Conn, WriteTx, jobs, join_requests, memberships};
use stoa_model::join_requests::{JoinRequestRow, MAX_LISTED};
use stoa_model::{Action, JoinRequestStatus, Role};

use crate::{Ctx, DomainError, Result, access, date_of};

/// Pending requests, oldest first (at most [`MAX_LISTED`]).
pub async fn list(ctx: &Ctx, mut conn: Conn<'_>, slug: &str) -> Result<Vec<JoinRequestRow>> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewJoinRequests).await?;
    let rows = join_requests::pending(conn, access.community.id, MAX_LISTED).await?;
    Ok(rows
        .into_iter()
        .map(|r| JoinRequestRow {
            id: r.id,
            name: r.name,
            email: r.email.map(String::from),
            message: r.message,
            created_on: date_of(r.created_at),
        })
        .collect())
}

/// Approves (the requester becomes a member) or denies a pending request of community
/// `slug`, and queues the mail that tells the requester.
pub async fn decide(ctx: &Ctx, tx: &mut WriteTx, slug: &str, id: i64, approve: bool) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::DecideJoinRequests).await?;
    let me = ctx.caller()?;
    let c = &access.community;
    let status = JoinRequestStatus::decided(approve);
    // One conditional UPDATE: a request of another community, or one decided already (two
    // admins at once), changes nothing.
    let request = join_requests::decide(tx.conn(), c.id, id, status, me.id, ctx.now)
        .await?
        .ok_or_else(|| DomainError::invalid("id", "That request was decided already."))?;
    if approve
        && memberships::role_of(tx.conn(), c.id, request.account_id)
            .await?
            .is_none()
    {
        memberships::add(
            tx.conn(),
            c.id,
            request.account_id,
            Role::Member,
            None,
            ctx.now,
        )
        .await?;
        access
            .audit(me, "membership.added", &request.name)
            .after(serde_json::json!({"role": Role::Member}))
            .record(tx.conn(), ctx.now)
            .await?;
    }
    let action = format!("join_request.{status}");
    access
        .audit(me, &action, &request.name)
        .before(serde_json::json!({"status": JoinRequestStatus::Pending}))
        .after(serde_json::json!({"status": status}))
        .record(tx.conn(), ctx.now)
        .await?;
    if let Some(to) = request.email {
        let (subject, body) = decision_mail(&ctx.public_url, c, &request.name, status);
        let task = jobs::Task::SendNotice {
            to: to.into(),
            subject,
            body,
        };
        jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
    }
    Ok(())
}

/// Subject and body of the mail that tells `name` the admins' decision.
//
// NOTE for the merge: the helper working on invitations is moving Stoa's mail texts into a
// `stoa_domain::mail` module; this text belongs there once both branches are in.
pub fn decision_mail(
    public_url: &str,
    community: &Community,
    name: &str,
    status: JoinRequestStatus,
) -> (String, String) {
    let (c, slug) = (&community.name, &community.slug);
    if status == JoinRequestStatus::Approved {
        (
            format!("Welcome to {c}"),
            format!(
                "Hello {name},\n\nYour request to join {c} on Stoa was approved. You are a member now:\n\n{public_url}/communities/{slug}\n"
            ),
        )
    } else {
        (
            format!("Your request to join {c}"),
            format!(
                "Hello {name},\n\nThe admins of {c} on Stoa did not approve your request to join this time.\n"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stoa_db::communities::CommunityId;

    #[test]
    fn the_mail_says_what_was_decided_and_links_on_approval() {
        let c = Community {
            id: CommunityId(1),
            slug: stoa_model::Slug::parse("ocean-lab").unwrap(),
            name: "Ocean Lab".into(),
            description: String::new(),
            field: String::new(),
            website: None,
            logo_url: None,
            institution_id: None,
            join_policy: stoa_model::JoinPolicy::Request,
            created_at: crate::start_of(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
        };
        let url = "https://stoa.example";
        let (subject, body) = decision_mail(url, &c, "Ada", JoinRequestStatus::Approved);
        assert_eq!(subject, "Welcome to Ocean Lab");
        assert!(body.contains("was approved"));
        assert!(body.contains("https://stoa.example/communities/ocean-lab\n"));
        let (subject, body) = decision_mail(url, &c, "Ada", JoinRequestStatus::Denied);
        assert_eq!(subject, "Your request to join Ocean Lab");
        assert!(body.contains("did not approve"));
        assert!(!body.contains(url), "no link for a denied request");
    }
}
