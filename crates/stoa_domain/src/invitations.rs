//! Invitations to join a community: invite one or many addresses, list, revoke, resend, and
//! the page an invitation leads to and its acceptance.
//!
//! An invitation is bound to the address it was sent to: only an account that has that
//! verified address (its own, or one of its sign-in identities') may accept it, so a
//! forwarded link is worth nothing to whoever it was forwarded to. The token in the mail
//! only shows the invitation to whoever holds it; through sign-in the page carries the
//! non-secret [`InvitationRef`] instead, so no usable token is ever written anywhere (sign-in
//! rows, sessions): acceptance needs the address, not the token.

use std::collections::HashSet;

use chrono::TimeDelta;
use stoa_db::accounts::AccountId;
use stoa_db::communities::{self, Community};
use stoa_db::invitations::{self, Invitation, NewInvitation};
use stoa_db::jobs::{self, Task};
use stoa_db::{Conn, DbError, Timestamp, WriteTx, accounts, institutions, memberships};
use stoa_model::invitation::{
    DEFAULT_EXPIRY_DAYS, InvitationDetails, InvitationRef, InvitationRow, InvitationStatus,
    InvitationTarget, InvitationView, InviteOutcome, InviteRow, MAX_BULK, Viewer, split_addresses,
};
use stoa_model::{Action, Email, Role, validate};

use crate::audit::Audit;
use crate::{Ctx, DomainError, Result, access, date_of, quota, start_of};

/// Where an invitation stands at `now`.
pub fn status_of(invitation: &Invitation, now: Timestamp) -> InvitationStatus {
    status(
        invitation.accepted_at,
        invitation.revoked_at,
        invitation.expires_at,
        invitation.sent_at,
        now,
    )
}

/// Where an invitation stands, from its dates.
pub(crate) fn status(
    accepted_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    expires_at: Timestamp,
    sent_at: Option<Timestamp>,
    now: Timestamp,
) -> InvitationStatus {
    if revoked_at.is_some() {
        InvitationStatus::Revoked
    } else if accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if expires_at <= now {
        InvitationStatus::Expired
    } else if sent_at.is_some() {
        InvitationStatus::Sent
    } else {
        InvitationStatus::Sending
    }
}

/// The checked invite form.
struct InviteForm {
    inputs: Vec<String>,
    role: Role,
    expires_at: Timestamp,
    ends_at: Option<Timestamp>,
}

fn check_form(
    ctx: &Ctx,
    emails: &str,
    role: &str,
    expires_days: u32,
    ends_on: &str,
) -> Result<InviteForm> {
    let mut checks = validate::Checks::default();
    let inputs = split_addresses(emails);
    if inputs.is_empty() {
        checks.add("emails", "Enter at least one email address.");
    } else if inputs.len() > MAX_BULK {
        checks.add(
            "emails",
            format!(
                "Paste at most {MAX_BULK} addresses at a time ({} given).",
                inputs.len()
            ),
        );
    }
    let role = Role::parse(role.trim()).filter(|r| Role::GRANTABLE.contains(r));
    if role.is_none() {
        checks.add("role", "Choose admin, billing or member.");
    }
    if !(1..=30).contains(&expires_days) {
        checks.add("expires_days", "Invitations work for 1 to 30 days.");
    }
    let ends_at = checks
        .take(validate::date("ends_on", ends_on))
        .map(start_of);
    if ends_at.is_some_and(|e| e <= ctx.now) {
        checks.add("ends_on", "Choose a date in the future.");
    }
    checks.finish()?;
    Ok(InviteForm {
        inputs,
        role: role.unwrap_or(Role::Member),
        expires_at: ctx.now + TimeDelta::days(i64::from(expires_days)),
        ends_at,
    })
}

/// Invites every address in `emails` (one, or up to [`MAX_BULK`] pasted) with `role`; the
/// link works `expires_days` days; `ends_on` optionally ends the membership on that date.
/// The mail counts against the limits; over one, nothing is created or queued.
pub async fn create(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    emails: &str,
    role: &str,
    expires_days: u32,
    ends_on: &str,
) -> Result<Vec<InviteRow>> {
    let access = access::change(ctx, tx, slug, Action::ManageInvitations).await?;
    let me = ctx.caller()?;
    let form = check_form(ctx, emails, role, expires_days, ends_on)?;
    let community = access.community.id;
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(form.inputs.len());
    let mut invited = Vec::new();
    for input in form.inputs {
        let outcome = 'row: {
            let Some(email) = Email::parse(&input) else {
                break 'row InviteOutcome::InvalidAddress;
            };
            if !seen.insert(email.clone()) {
                break 'row InviteOutcome::Duplicate;
            }
            if let Some(account) = accounts::find_by_email(tx.conn(), &email).await?
                && memberships::role_of(tx.conn(), community, account.id)
                    .await?
                    .is_some()
            {
                break 'row InviteOutcome::AlreadyMember;
            }
            if let Some(existing) =
                invitations::find_unresolved(tx.conn(), community, &email).await?
            {
                if existing.is_open(ctx.now) {
                    break 'row InviteOutcome::AlreadyInvited;
                }
                // Expired: the new invitation replaces it.
                invitations::revoke(tx.conn(), existing.id, ctx.now).await?;
            }
            let new = NewInvitation {
                community_id: community,
                email: &email,
                role: form.role,
                membership_ends_at: form.ends_at,
                invited_by: me.id,
                expires_at: form.expires_at,
            };
            let id = invitations::create(tx.conn(), &new, ctx.now).await?;
            invited.push(id);
            access
                .audit(me, "invitation.created", &email)
                .after(serde_json::json!({
                    "role": form.role,
                    "expires_on": date_of(form.expires_at),
                    "membership_ends_on": form.ends_at.map(date_of),
                }))
                .record(tx.conn(), ctx.now)
                .await?;
            InviteOutcome::Invited
        };
        rows.push(InviteRow { input, outcome });
    }
    // Counted once for the whole paste, after the rows are known: over a limit, the error
    // rolls back every invitation made above, and no mail is queued.
    let n = i64::try_from(invited.len()).unwrap_or(i64::MAX);
    let charge = quota::charge(ctx, tx, me.id, Some(community), n, "emails").await?;
    for invitation_id in invited {
        let task = Task::SendInvitation {
            invitation_id,
            charge: Some(charge.clone()),
        };
        jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
    }
    Ok(rows)
}

/// The community's unresolved invitations (at most 1,000, newest first).
pub async fn list(ctx: &Ctx, mut conn: Conn<'_>, slug: &str) -> Result<Vec<InvitationRow>> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewInvitations).await?;
    let pending = invitations::pending(conn, access.community.id, 1000).await?;
    Ok(pending
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id,
            status: status_of(&i, ctx.now),
            expires_on: date_of(i.expires_at),
            role: i.role,
            email: i.email.into(),
        })
        .collect())
}

/// Revokes an invitation: its link stops working.
pub async fn revoke(ctx: &Ctx, tx: &mut WriteTx, slug: &str, id: i64) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::ManageInvitations).await?;
    let me = ctx.caller()?;
    let invitation = invitations::get(tx.conn(), access.community.id, id).await?;
    if !invitations::revoke(tx.conn(), id, ctx.now).await? {
        return Err(DomainError::invalid(
            "id",
            "That invitation was accepted or revoked already.",
        ));
    }
    access
        .audit(me, "invitation.revoked", &invitation.email)
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Sends an invitation again with a new link (the old link stops working); an expired one
/// gets a fresh expiry of [`DEFAULT_EXPIRY_DAYS`]. Not sooner than the cooldown after the
/// last mail, and counted against the limits like a new one.
pub async fn resend(ctx: &Ctx, tx: &mut WriteTx, slug: &str, id: i64) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::ManageInvitations).await?;
    let me = ctx.caller()?;
    let invitation = invitations::get(tx.conn(), access.community.id, id).await?;
    if invitation.accepted_at.is_some() || invitation.revoked_at.is_some() {
        return Err(DomainError::invalid(
            "id",
            "That invitation was accepted or revoked already.",
        ));
    }
    let cooldown = ctx.limits.resend_cooldown;
    if !invitations::mark_queued(tx.conn(), id, ctx.now, ctx.now - cooldown).await? {
        let again = invitation.queued_at.map_or(ctx.now, |at| at + cooldown);
        return Err(DomainError::invalid(
            "id",
            format!(
                "This invitation was sent less than {} minutes ago; you can send it again after \
                 {} UTC.",
                cooldown.num_minutes(),
                again.as_datetime().format("%H:%M"),
            ),
        ));
    }
    if invitation.expires_at <= ctx.now {
        let expires = ctx.now + TimeDelta::days(i64::from(DEFAULT_EXPIRY_DAYS));
        invitations::extend(tx.conn(), id, expires).await?;
    }
    let charge = quota::charge(ctx, tx, me.id, Some(access.community.id), 1, "id").await?;
    let task = Task::SendInvitation {
        invitation_id: id,
        charge: Some(charge),
    };
    jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
    access
        .audit(me, "invitation.resent", &invitation.email)
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Tokens are 43 characters; anything much longer is not one (and is not hashed).
const MAX_TOKEN_LEN: usize = 100;

/// Whether the caller has the verified address `email`.
async fn viewer(ctx: &Ctx, conn: Conn<'_>, email: &Email) -> Result<Viewer> {
    Ok(match &ctx.caller {
        None => Viewer::Anonymous,
        Some(me) if me.email.as_ref() == Some(email) => Viewer::Invitee,
        Some(me) if invitations::account_has_address(conn, me.id, email).await? => Viewer::Invitee,
        Some(_) => Viewer::OtherAccount,
    })
}

/// The invitation a link (`token`) or, after signing in, a reference (`reference`) leads to.
/// The token shows the invitation to whoever holds it; a reference shows it only to the
/// invitee, and everyone else gets the same answer whether it exists or not.
pub async fn view(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    token: &str,
    reference: &str,
) -> Result<InvitationView> {
    access::global(ctx, Action::ViewInvitation)?;
    let (found, by_token) = if !token.is_empty() {
        if token.len() > MAX_TOKEN_LEN {
            return Err(DomainError::NotFound);
        }
        let hash = stoa_auth::hash_token(token);
        let found = match invitations::by_token_hash(conn.reborrow(), &hash).await? {
            Some(i) => Some(Found::Community(i)),
            None => institutions::invitation_by_token_hash(conn.reborrow(), &hash)
                .await?
                .map(Found::Institution),
        };
        (found.ok_or(DomainError::NotFound)?, true)
    } else {
        let reference = InvitationRef::parse(reference).ok_or(DomainError::NotFound)?;
        let hidden = InvitationView {
            reference: reference.to_string(),
            details: None,
            viewer: if ctx.caller.is_some() {
                Viewer::OtherAccount
            } else {
                Viewer::Anonymous
            },
        };
        match find(conn.reborrow(), reference).await? {
            Some(found) => (found, false),
            None => return Ok(hidden),
        }
    };
    let viewer = viewer(ctx, conn.reborrow(), found.email()).await?;
    if !by_token && viewer != Viewer::Invitee {
        return Ok(InvitationView {
            reference: found.reference().to_string(),
            details: None,
            viewer,
        });
    }
    let details = found.details(ctx, conn).await?;
    Ok(InvitationView {
        reference: found.reference().to_string(),
        details: Some(details),
        viewer,
    })
}

/// An invitation of either kind.
pub(crate) enum Found {
    Community(Invitation),
    Institution(institutions::InstitutionInvitation),
}

pub(crate) async fn find(conn: Conn<'_>, reference: InvitationRef) -> Result<Option<Found>> {
    Ok(match reference {
        InvitationRef::Community(id) => invitations::by_id(conn, id).await?.map(Found::Community),
        InvitationRef::Institution(id) => institutions::invitation(conn, id)
            .await?
            .map(Found::Institution),
    })
}

impl Found {
    fn email(&self) -> &Email {
        match self {
            Found::Community(i) => &i.email,
            Found::Institution(i) => &i.email,
        }
    }

    fn reference(&self) -> InvitationRef {
        match self {
            Found::Community(i) => InvitationRef::Community(i.id),
            Found::Institution(i) => InvitationRef::Institution(i.id),
        }
    }

    async fn details(&self, ctx: &Ctx, mut conn: Conn<'_>) -> Result<InvitationDetails> {
        Ok(match self {
            Found::Community(i) => {
                let c = communities::by_id(conn.reborrow(), i.community_id).await?;
                let already_in = match &ctx.caller {
                    Some(me) => memberships::role_of(conn, c.id, me.id).await?.is_some(),
                    None => false,
                };
                InvitationDetails {
                    target: InvitationTarget::Community {
                        slug: c.slug.to_string(),
                        name: c.name,
                        role: i.role,
                    },
                    email: i.email.to_string(),
                    status: status_of(i, ctx.now),
                    already_in,
                }
            }
            Found::Institution(i) => {
                let inst = institutions::get(conn.reborrow(), i.institution_id)
                    .await?
                    .ok_or(DomainError::NotFound)?;
                let already_in = match &ctx.caller {
                    Some(me) => institutions::is_admin(conn, inst.id, me.id).await?,
                    None => false,
                };
                InvitationDetails {
                    target: InvitationTarget::Institution {
                        id: inst.id,
                        name: inst.legal_name,
                    },
                    email: i.email.to_string(),
                    status: status(
                        i.accepted_at,
                        i.revoked_at,
                        i.expires_at,
                        i.sent_at,
                        ctx.now,
                    ),
                    already_in,
                }
            }
        })
    }
}

/// The refusal for an account without the invited address: nothing changes.
pub(crate) fn not_your_address() -> DomainError {
    DomainError::invalid(
        "reference",
        "This invitation was sent to a different email address than the ones on your account, \
         and only that address can accept it. Sign out, then sign in with the address the \
         invitation was sent to (an email link to it works, and creates an account if there \
         is none). If you should have it, ask whoever invited you to invite this account's \
         address instead.",
    )
}

/// The refusal for an invitation that can no longer be used.
pub(crate) fn dead() -> DomainError {
    DomainError::invalid(
        "reference",
        "This invitation is no longer valid: it was used, revoked or has expired. Ask for a \
         new one.",
    )
}

/// Accepts the invitation `reference` as the signed-in person, who must have the invited
/// address; returns the path to go to (the community, or the institution). An invitation
/// works once.
pub async fn accept(ctx: &Ctx, tx: &mut WriteTx, reference: &str) -> Result<String> {
    let me = access::signed_in(ctx, Action::AcceptInvitation)?;
    let reference = InvitationRef::parse(reference).ok_or_else(dead)?;
    let found = find(tx.conn(), reference).await?;
    // Someone else's invitation and one that does not exist get the same answer.
    let Some(found) = found else {
        return Err(not_your_address());
    };
    if viewer(ctx, tx.conn(), found.email()).await? != Viewer::Invitee {
        return Err(not_your_address());
    }
    match found {
        Found::Community(invitation) => accept_community(ctx, tx, me, invitation).await,
        Found::Institution(invitation) => {
            crate::institutions::accept_admin_invitation(ctx, tx, me, invitation).await
        }
    }
}

async fn accept_community(
    ctx: &Ctx,
    tx: &mut WriteTx,
    me: &crate::Caller,
    invitation: Invitation,
) -> Result<String> {
    let community: Community = communities::by_id(tx.conn(), invitation.community_id).await?;
    communities::lock(tx.conn(), &community.slug).await?;
    if memberships::role_of(tx.conn(), community.id, me.id)
        .await?
        .is_some()
    {
        return Err(DomainError::invalid(
            "reference",
            "You are a member of this community already.",
        ));
    }
    if !invitations::accept(tx.conn(), invitation.id, me.id, ctx.now).await? {
        return Err(dead());
    }
    match memberships::add(
        tx.conn(),
        community.id,
        me.id,
        invitation.role,
        invitation.membership_ends_at,
        ctx.now,
    )
    .await
    {
        Err(DbError::Conflict) => {
            return Err(DomainError::invalid(
                "reference",
                "You are a member of this community already.",
            ));
        }
        other => other?,
    }
    Audit::by(me, "invitation.accepted", &invitation.email)
        .community(&community)
        .after(serde_json::json!({"by": me.name}))
        .record(tx.conn(), ctx.now)
        .await?;
    Audit::by(me, "membership.added", &me.name)
        .community(&community)
        .after(serde_json::json!({
            "role": invitation.role,
            "ends_on": invitation.membership_ends_at.map(date_of),
        }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(format!("/communities/{}", community.slug))
}

/// The invitation's inviter, for the mail ("An admin" if their account is gone).
pub async fn inviter_name(conn: Conn<'_>, by: Option<AccountId>) -> Result<String> {
    Ok(match by {
        Some(by) => accounts::get(conn, by).await?.name,
        None => "An admin".to_owned(),
    })
}

/// Which invitation a mail job is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFor {
    /// An invitation to join a community (by id).
    Community(i64),
    /// An invitation to administer an institution (by id).
    Institution(i64),
}

/// The mail of an invitation job, with a fresh link made from `token`: only the token's hash
/// is stored, replacing the previous one, so only the newest link works and no usable token
/// is ever at rest. `None` when the invitation was accepted or revoked meanwhile: then its
/// mail is given back to the limits ([`crate::quota::refund`]) and nothing is to be sent.
/// Run by the worker in a transaction it commits before sending (a crash after the commit
/// sends nothing; the job is retried and makes a new link).
pub async fn mail_with_fresh_link(
    tx: &mut WriteTx,
    now: Timestamp,
    public_url: &str,
    which: MailFor,
    token: &str,
    charge: Option<&stoa_db::mail_counts::Charge>,
) -> Result<Option<(Email, crate::mail::Mail)>> {
    let hash = stoa_auth::hash_token(token);
    let link = format!("{public_url}/invitations/accept?token={token}");
    let prepared = match which {
        MailFor::Community(id) => match invitations::by_id(tx.conn(), id).await? {
            Some(invitation) if invitations::set_token(tx.conn(), id, &hash, now).await? => {
                let community = communities::by_id(tx.conn(), invitation.community_id).await?;
                let inviter = inviter_name(tx.conn(), invitation.invited_by).await?;
                let mail = crate::mail::invitation(
                    &inviter,
                    &community.name,
                    invitation.role,
                    &invitation.email,
                    &link,
                    invitation.expires_at,
                );
                Some((invitation.email, mail))
            }
            _ => None,
        },
        MailFor::Institution(id) => match institutions::invitation(tx.conn(), id).await? {
            Some(invitation)
                if institutions::set_invitation_token(tx.conn(), id, &hash, now).await? =>
            {
                let institution = institutions::get(tx.conn(), invitation.institution_id)
                    .await?
                    .ok_or(DomainError::NotFound)?;
                let inviter = inviter_name(tx.conn(), invitation.invited_by).await?;
                let mail = crate::mail::institution_invitation(
                    &inviter,
                    &institution.legal_name,
                    &invitation.email,
                    &link,
                    invitation.expires_at,
                );
                Some((invitation.email, mail))
            }
            _ => None,
        },
    };
    if prepared.is_none()
        && let Some(charge) = charge
    {
        crate::quota::refund(tx.conn(), charge).await?;
    }
    Ok(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from(chrono::DateTime::from_timestamp(secs, 0).unwrap())
    }

    #[test]
    fn statuses() {
        let now = at(1000);
        assert_eq!(
            status(None, None, at(2000), None, now),
            InvitationStatus::Sending
        );
        assert_eq!(
            status(None, None, at(2000), Some(at(10)), now),
            InvitationStatus::Sent
        );
        assert_eq!(
            status(None, None, at(1000), None, now),
            InvitationStatus::Expired
        );
        assert_eq!(
            status(Some(at(5)), None, at(1000), None, now),
            InvitationStatus::Accepted
        );
        assert_eq!(
            status(Some(at(5)), Some(at(6)), at(2000), None, now),
            InvitationStatus::Revoked
        );
    }
}
