//! Counting invitation mail against the operator's limits ([`crate::limits::Limits`]).
//!
//! A mail is counted when it is queued, in the same transaction (so a refused request queues
//! nothing and a rolled-back one counts nothing), and given back by the worker if it ends up
//! sending nothing (the invitation was revoked or accepted first, or sending gave up): the
//! counts are of mail sent or about to be sent. Counting at queue time rather than at the
//! worker's send is what lets the person be told "over the limit" before anything is queued.
//! Each count is one conditional UPSERT (`stoa_db::mail_counts::charge`), atomic on both
//! engines, so the limits hold with several Stoa processes on one PostgreSQL. Days are UTC
//! calendar days: a fixed window a person can read ("try again after midnight UTC").
//!
//! Stoa's own notices (sign-in links, join decisions the requester asked for, membership
//! ends) are not counted: they go to people who asked for them or belong already.

use stoa_db::accounts::AccountId;
use stoa_db::communities::CommunityId;
use stoa_db::mail_counts::{self, Charge, Scope};
use stoa_db::{Conn, WriteTx, communities};
use stoa_model::Action;
use stoa_model::institution::MailLimitView;

use crate::audit::{Audit, Changes};
use crate::{Ctx, DomainError, Result, access};

/// The daily invitation mail limit of `community` now: staff's raise, or the default.
pub async fn community_limit(ctx: &Ctx, conn: Conn<'_>, community: CommunityId) -> Result<i64> {
    Ok(mail_counts::community_limit(conn, community)
        .await?
        .unwrap_or(ctx.limits.mail_per_community_per_day))
}

/// The UTC day of the request, as counts are kept.
pub fn today(ctx: &Ctx) -> String {
    crate::date_of(ctx.now)
}

/// Counts `n` invitation mails queued now by `account` (for `community`, if a community
/// invitation) against every limit, or refuses with a message for `field` and counts
/// nothing (the caller's transaction rolls back).
pub(crate) async fn charge(
    ctx: &Ctx,
    tx: &mut WriteTx,
    account: AccountId,
    community: Option<CommunityId>,
    n: i64,
    field: &str,
) -> Result<Charge> {
    let day = today(ctx);
    let charge = Charge {
        day: day.clone(),
        community: community.map(|c| c.0),
        account: account.0,
    };
    if n == 0 {
        return Ok(charge);
    }
    let community_limit = match community {
        Some(c) => Some(community_limit(ctx, tx.conn(), c).await?),
        None => None,
    };
    // Locks are taken in one order (total, account, community) by every transaction, so two
    // requests never wait on each other in a cycle.
    let limit = ctx.limits.mail_per_day;
    if !mail_counts::charge(tx.conn(), Scope::Total, &day, n, limit).await? {
        return Err(DomainError::invalid(
            field,
            "Stoa has reached its limit of invitation emails for today, so nothing was sent. \
             Please try again after midnight UTC.",
        ));
    }
    // A community whose limit staff raised is not held back by its admin's own allowance.
    let limit = ctx
        .limits
        .mail_per_account_per_day
        .max(community_limit.unwrap_or(0));
    if !mail_counts::charge(tx.conn(), Scope::Account(account), &day, n, limit).await? {
        let sent = mail_counts::sent(tx.conn(), Scope::Account(account), &day).await?;
        return Err(DomainError::invalid(
            field,
            format!(
                "You can have {limit} invitation emails sent a day across your communities and \
                 institutions; {sent} went out today (UTC), and {n} more would pass the limit. \
                 Nothing was sent. Please try again after midnight UTC."
            ),
        ));
    }
    if let (Some(c), Some(limit)) = (community, community_limit) {
        let scope = Scope::Community(c);
        if !mail_counts::charge(tx.conn(), scope, &day, n, limit).await? {
            let sent = mail_counts::sent(tx.conn(), scope, &day).await?;
            return Err(DomainError::invalid(
                field,
                format!(
                    "This community can send {limit} invitation emails a day; {sent} went out \
                     today (UTC), and {n} more would pass the limit. Nothing was sent. Please \
                     try again after midnight UTC, or ask Stoa's staff to raise the limit."
                ),
            ));
        }
    }
    Ok(charge)
}

/// Gives back one mail of `charge` (queued, never sent). Called by the worker.
pub async fn refund(mut conn: Conn<'_>, charge: &Charge) -> Result<()> {
    for scope in charge.scopes() {
        mail_counts::refund(conn.reborrow(), scope, &charge.day, 1).await?;
    }
    Ok(())
}

/// Most invitation mail staff may allow one community per day.
pub const MAX_COMMUNITY_LIMIT: i64 = 100_000;

/// A community's daily invitation mail limit and today's count, for staff.
pub async fn community_allowance(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    slug: &str,
) -> Result<MailLimitView> {
    access::signed_in(ctx, Action::ManageMailLimits)?;
    let community = communities::by_slug(conn.reborrow(), slug)
        .await?
        .ok_or(DomainError::NotFound)?;
    let raised = mail_counts::community_limit(conn.reborrow(), community.id).await?;
    let sent_today = mail_counts::sent(conn, Scope::Community(community.id), &today(ctx)).await?;
    Ok(MailLimitView {
        slug: community.slug.to_string(),
        per_day: raised.unwrap_or(ctx.limits.mail_per_community_per_day),
        raised: raised.is_some(),
        sent_today,
    })
}

/// Sets a community's daily invitation mail limit (staff only); an empty `per_day` goes back
/// to the default. Takes effect on the next invitation.
pub async fn set_community_limit(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    per_day: &str,
) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageMailLimits)?;
    communities::lock(tx.conn(), slug).await?;
    let community = communities::by_slug(tx.conn(), slug)
        .await?
        .ok_or(DomainError::NotFound)?;
    let per_day = match per_day.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_COMMUNITY_LIMIT).contains(n))
                .ok_or_else(|| {
                    DomainError::invalid(
                        "per_day",
                        format!(
                            "Enter a whole number of emails a day from 1 to {MAX_COMMUNITY_LIMIT}, \
                             or leave it empty for the default ({}).",
                            ctx.limits.mail_per_community_per_day
                        ),
                    )
                })?,
        ),
    };
    let old = mail_counts::community_limit(tx.conn(), community.id).await?;
    mail_counts::set_community_limit(tx.conn(), community.id, per_day, me.id, ctx.now).await?;
    let changes = Changes::default().field("mail_per_day", &old, &per_day);
    if !changes.is_empty() {
        Audit::by(me, "community.mail_limit_changed", &community.name)
            .community(&community)
            .changes(changes)
            .record(tx.conn(), ctx.now)
            .await?;
    }
    Ok(())
}
