//! Invitations: invite one or many addresses, list, revoke, resend, and accept.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::policy::Action;
use crate::policy::Role;

/// Most addresses one paste may hold.
pub const MAX_BULK: usize = 500;
/// Invitations one community may create per 24 hours: generous for a course of hundreds,
/// a brake on anyone using Stoa to send mail at scale.
pub const MAX_PER_DAY: i64 = 2000;
/// Days an invitation works unless told otherwise.
pub const DEFAULT_EXPIRY_DAYS: u32 = 7;

/// What happened to one pasted address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteOutcome {
    /// Invitation created; the mail is on its way.
    Invited,
    /// That person is in the community already.
    AlreadyMember,
    /// An open invitation exists already (resend it instead).
    AlreadyInvited,
    /// Not an email address.
    InvalidAddress,
    /// The same address appeared earlier in the paste.
    Duplicate,
}

impl InviteOutcome {
    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            InviteOutcome::Invited => "invited",
            InviteOutcome::AlreadyMember => "already a member",
            InviteOutcome::AlreadyInvited => "already invited",
            InviteOutcome::InvalidAddress => "invalid address",
            InviteOutcome::Duplicate => "duplicate",
        }
    }
}

/// One row of the bulk result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRow {
    /// What was typed (trimmed).
    pub input: String,
    /// What happened.
    pub outcome: InviteOutcome,
}

/// An unresolved invitation, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    /// Id.
    pub id: i64,
    /// Address.
    pub email: String,
    /// Role it grants.
    pub role: Role,
    /// `sending`, `sent` or `expired`.
    pub status: String,
    /// Expiry (YYYY-MM-DD).
    pub expires_on: String,
}

/// What the invitation page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    /// Community slug.
    pub slug: String,
    /// Community name.
    pub community: String,
    /// Role it grants.
    pub role: Role,
    /// Address it was sent to.
    pub email: String,
    /// `open`, `accepted`, `expired` or `revoked`.
    pub state: String,
    /// Someone is signed in.
    pub signed_in: bool,
    /// The signed-in person is a member already.
    pub already_member: bool,
}

/// Splits a paste into addresses: newlines, commas, semicolons and spaces separate.
pub fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c == '\n' || c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

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
    crate::ssr::respond(async move {
        use std::collections::HashSet;
        use stoa_db::accounts::{self, AccountId};
        use stoa_db::invitations::{self, NewInvitation};
        use stoa_db::{jobs, memberships};
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::ManageInvitations).await?;
        let me = access.user()?.clone();
        let inputs = split_addresses(&emails);
        if inputs.is_empty() {
            return Err(AppError::Invalid {
                field: "emails".into(),
                message: "Enter at least one email address.".into(),
            });
        }
        if inputs.len() > MAX_BULK {
            return Err(AppError::Invalid {
                field: "emails".into(),
                message: format!(
                    "Paste at most {MAX_BULK} addresses at a time ({} given).",
                    inputs.len()
                ),
            });
        }
        let role = Role::parse(role.trim())
            .filter(|r| Role::GRANTABLE.contains(r))
            .ok_or_else(|| AppError::Invalid {
                field: "role".into(),
                message: "Choose admin, billing or member.".into(),
            })?;
        if !(1..=30).contains(&expires_days) {
            return Err(AppError::Invalid {
                field: "expires_days".into(),
                message: "Invitations work for 1 to 30 days.".into(),
            });
        }
        let ends = crate::validate::date("ends_on", &ends_on)?.map(crate::ssr::start_of);
        if ends.is_some_and(|e| e <= now) {
            return Err(AppError::Invalid {
                field: "ends_on".into(),
                message: "Choose a date in the future.".into(),
            });
        }
        let recent = invitations::created_since(tx.conn(), access.community.id, now - chrono::TimeDelta::days(1)).await?;
        if recent + i64::try_from(inputs.len()).unwrap_or(i64::MAX) > MAX_PER_DAY {
            return Err(AppError::Invalid {
                field: "emails".into(),
                message: format!(
                    "A community can send {MAX_PER_DAY} invitations a day, and this one has sent {recent} in the last 24 hours. Try again tomorrow, or contact support."
                ),
            });
        }
        let expires_at = now + chrono::TimeDelta::days(i64::from(expires_days));
        let community = access.community.id;
        let mut seen = HashSet::new();
        let mut rows = Vec::with_capacity(inputs.len());
        for input in inputs {
            let outcome = 'row: {
                let Some(email) = stoa_auth::normalize_email(&input) else {
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
                    if existing.is_open(now) {
                        break 'row InviteOutcome::AlreadyInvited;
                    }
                    // Expired: the new invitation replaces it.
                    invitations::revoke(tx.conn(), existing.id, now).await?;
                }
                let new = NewInvitation {
                    community_id: community,
                    email: &email,
                    role,
                    membership_ends_at: ends,
                    invited_by: AccountId(me.id),
                    expires_at,
                };
                let id = invitations::create(tx.conn(), &new, now).await?;
                jobs::enqueue_task(
                    tx.conn(),
                    &jobs::Task::SendInvitation { invitation_id: id },
                    now,
                )
                .await?;
                let after = serde_json::json!({
                    "role": role.as_str(),
                    "expires_on": crate::ssr::date_of(expires_at),
                    "membership_ends_on": ends.map(crate::ssr::date_of),
                });
                access
                    .audit(
                        tx.conn(),
                        "invitation.created",
                        &email,
                        None,
                        Some(after),
                        now,
                    )
                    .await?;
                InviteOutcome::Invited
            };
            rows.push(InviteRow { input, outcome });
        }
        tx.commit().await?;
        Ok(rows)
    })
    .await
}

/// The community's unresolved invitations (at most 1,000, newest first).
#[server(prefix = "/api", endpoint = "invitations/list")]
pub async fn list_invitations(slug: String) -> Result<Vec<InvitationRow>, AppError> {
    crate::ssr::respond(async move {
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let mut conn = db.read().await?;
        let access = crate::access::community(conn.conn(), &slug, Action::ViewInvitations).await?;
        let pending = stoa_db::invitations::pending(conn.conn(), access.community.id, 1000).await?;
        Ok(pending
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id,
                status: if i.expires_at <= now {
                    "expired"
                } else if i.sent_at.is_some() {
                    "sent"
                } else {
                    "sending"
                }
                .into(),
                expires_on: crate::ssr::date_of(i.expires_at),
                role: i.role,
                email: i.email,
            })
            .collect())
    })
    .await
}

/// Revokes an invitation: its link stops working.
#[server(prefix = "/api", endpoint = "invitations/revoke")]
pub async fn revoke_invitation(slug: String, id: i64) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::invitations;
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::ManageInvitations).await?;
        let invitation = invitations::get(tx.conn(), access.community.id, id).await?;
        if !invitations::revoke(tx.conn(), id, now).await? {
            return Err(AppError::Invalid {
                field: "id".into(),
                message: "That invitation was accepted or revoked already.".into(),
            });
        }
        access
            .audit(
                tx.conn(),
                "invitation.revoked",
                &invitation.email,
                None,
                None,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Sends an invitation again with a new link (the old link stops working); an expired one
/// gets a fresh expiry of [`DEFAULT_EXPIRY_DAYS`].
#[server(prefix = "/api", endpoint = "invitations/resend")]
pub async fn resend_invitation(slug: String, id: i64) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::{invitations, jobs};
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::ManageInvitations).await?;
        let invitation = invitations::get(tx.conn(), access.community.id, id).await?;
        if invitation.accepted_at.is_some() || invitation.revoked_at.is_some() {
            return Err(AppError::Invalid {
                field: "id".into(),
                message: "That invitation was accepted or revoked already.".into(),
            });
        }
        if invitation.expires_at <= now {
            let expires = now + chrono::TimeDelta::days(i64::from(DEFAULT_EXPIRY_DAYS));
            invitations::extend(tx.conn(), id, expires).await?;
        }
        jobs::enqueue_task(
            tx.conn(),
            &jobs::Task::SendInvitation { invitation_id: id },
            now,
        )
        .await?;
        access
            .audit(
                tx.conn(),
                "invitation.resent",
                &invitation.email,
                None,
                None,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// What an invitation link leads to (the token is the credential; nothing else is shown
/// for an unknown token).
#[server(prefix = "/api", endpoint = "invitations/get")]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{communities, invitations, memberships};
        let user = crate::access::global(Action::ViewInvitation)?;
        if token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let mut conn = db.read().await?;
        let invitation = invitations::by_token_hash(conn.conn(), &stoa_auth::hash_token(&token))
            .await?
            .ok_or(AppError::NotFound)?;
        let community = communities::by_id(conn.conn(), invitation.community_id).await?;
        let already_member = match &user {
            Some(u) => memberships::role_of(conn.conn(), community.id, AccountId(u.id))
                .await?
                .is_some(),
            None => false,
        };
        Ok(InvitationView {
            state: if invitation.revoked_at.is_some() {
                "revoked"
            } else if invitation.accepted_at.is_some() {
                "accepted"
            } else if invitation.expires_at <= now {
                "expired"
            } else {
                "open"
            }
            .into(),
            slug: community.slug.to_string(),
            community: community.name,
            role: invitation.role,
            email: invitation.email,
            signed_in: user.is_some(),
            already_member,
        })
    })
    .await
}

/// Accepts an invitation as the signed-in person; returns the community's slug. A link
/// works once: after acceptance it is dead for everybody.
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<String, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{audit, communities, invitations, memberships};
        let user = crate::access::signed_in(Action::AcceptInvitation)?;
        let dead = || AppError::Invalid {
            field: "token".into(),
            message: "This invitation is no longer valid: it was used, revoked or has expired. Ask for a new one.".into(),
        };
        if token.len() > 100 {
            return Err(dead());
        }
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let me = AccountId(user.id);
        let mut tx = db.begin().await?;
        let invitation = invitations::by_token_hash(tx.conn(), &stoa_auth::hash_token(&token))
            .await?
            .ok_or_else(dead)?;
        let community = communities::by_id(tx.conn(), invitation.community_id).await?;
        communities::lock(tx.conn(), &community.slug).await?;
        if memberships::role_of(tx.conn(), community.id, me).await?.is_some() {
            return Err(AppError::Invalid {
                field: "token".into(),
                message: "You are a member of this community already.".into(),
            });
        }
        if !invitations::accept(tx.conn(), invitation.id, me, now).await? {
            return Err(dead());
        }
        memberships::add(tx.conn(), community.id, me, invitation.role, invitation.membership_ends_at, now).await?;
        for (action, target, after) in [
            ("invitation.accepted", invitation.email.as_str(), serde_json::json!({"by": user.name})),
            (
                "membership.added",
                user.name.as_str(),
                serde_json::json!({"role": invitation.role, "ends_on": invitation.membership_ends_at.map(crate::ssr::date_of)}),
            ),
        ] {
            let entry = audit::Entry {
                community: Some(community.id),
                institution: community.institution_id,
                after: Some(after.to_string()),
                ..crate::access::entry(&user, action, target)
            };
            audit::record(tx.conn(), &entry, now).await?;
        }
        tx.commit().await?;
        Ok(community.slug.to_string())
    })
    .await
}
