//! Join requests: a community's admins list and decide them; the requester is told by mail.

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
        let mail = crate::mail::join_decision(
            &request.name,
            &c.name,
            &c.slug,
            status == JoinRequestStatus::Approved,
            &ctx.public_url,
        );
        let task = jobs::Task::SendNotice {
            to: to.into(),
            subject: mail.subject,
            body: mail.body,
        };
        jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_mail_says_what_was_decided_and_links_on_approval() {
        let url = "https://stoa.example";
        let mail = crate::mail::join_decision("Ada", "Ocean Lab", "ocean-lab", true, url);
        assert_eq!(mail.subject, "Welcome to Ocean Lab");
        assert!(mail.body.contains("was approved"));
        assert!(
            mail.body
                .contains("https://stoa.example/communities/ocean-lab\n")
        );
        let mail = crate::mail::join_decision("Ada", "Ocean Lab", "ocean-lab", false, url);
        assert_eq!(mail.subject, "Your request to join Ocean Lab");
        assert!(mail.body.contains("did not approve"));
        assert!(!mail.body.contains(url), "no link for a denied request");
    }
}
