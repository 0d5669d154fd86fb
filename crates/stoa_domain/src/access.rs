//! Finds the caller's relation to a resource and asks the policy. Every service goes through
//! [`global`], [`community`], [`change`] or [`institution`] before it touches data. Changes go
//! through [`change`], which checks inside the write transaction with the community locked,
//! so the role that is checked is the role at the moment of the change (a demoted admin loses
//! rights on the very next request, and no request slips between the check and the write).

use stoa_db::communities::{self, Community};
use stoa_db::{Conn, Timestamp, WriteTx, institutions, memberships};
use stoa_model::{Action, Actor, Decision, Role, decide};

use crate::audit::Audit;
use crate::{Caller, Ctx, DomainError, Result};

/// `Ok` when the policy allows, else the matching refusal.
pub fn enforce(decision: Decision) -> Result<()> {
    DomainError::from_decision(decision).map_or(Ok(()), Err)
}

/// An action not about any one community or institution; the caller, if signed in.
pub fn global(ctx: &Ctx, action: Action) -> Result<Option<&Caller>> {
    let actor = Actor {
        signed_in: ctx.caller.is_some(),
        staff: ctx.caller.as_ref().is_some_and(|c| c.staff),
        ..Actor::ANONYMOUS
    };
    enforce(decide(&actor, action))?;
    Ok(ctx.caller.as_ref())
}

/// Like [`global`] for actions that need someone signed in.
pub fn signed_in(ctx: &Ctx, action: Action) -> Result<&Caller> {
    global(ctx, action)?.ok_or(DomainError::SignIn)
}

/// A community the caller may do something with, and how the policy saw them.
#[derive(Debug, Clone)]
pub struct CommunityAccess {
    /// The community.
    pub community: Community,
    /// The caller's role in it.
    pub role: Option<Role>,
    /// When their membership ends, if it does.
    pub ends_at: Option<Timestamp>,
    /// How the policy saw them.
    pub actor: Actor,
}

impl CommunityAccess {
    /// Whether the caller may also do `action` here (to show or hide controls).
    pub fn may(&self, action: Action) -> bool {
        decide(&self.actor, action) == Decision::Allow
    }

    /// Every community action the caller may take here.
    pub fn allowed(&self) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| {
                matches!(
                    a.rule(),
                    stoa_model::Rule::Community { .. } | stoa_model::Rule::CommunityStaff
                ) && self.may(*a)
            })
            .collect()
    }

    /// An audit entry about this community by the caller.
    pub fn audit<'a>(&'a self, caller: &'a Caller, action: &'a str, target: &'a str) -> Audit<'a> {
        Audit::by(caller, action, target).community(&self.community)
    }
}

/// Loads the community `slug` and checks that the caller may do `action` on it. An anonymous
/// visitor is asked to sign in before the community is even looked up, so the answer never
/// tells whether it exists.
pub async fn community(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    slug: &str,
    action: Action,
) -> Result<CommunityAccess> {
    if ctx.caller.is_none() {
        enforce(decide(&Actor::ANONYMOUS, action))?;
    }
    let Some(community) = communities::by_slug(conn.reborrow(), slug).await? else {
        return Err(DomainError::NotFound);
    };
    let (membership, pays) = match &ctx.caller {
        Some(caller) => {
            let membership =
                memberships::active(conn.reborrow(), community.id, caller.id, ctx.now).await?;
            let pays = match community.institution_id {
                Some(inst) => institutions::is_admin(conn, inst, caller.id).await?,
                None => false,
            };
            (membership, pays)
        }
        None => (None, false),
    };
    let role = membership.as_ref().map(|(role, _)| *role);
    let ends_at = membership.and_then(|(_, ends_at)| ends_at);
    let actor = Actor {
        signed_in: ctx.caller.is_some(),
        staff: ctx.caller.as_ref().is_some_and(|c| c.staff),
        role,
        pays,
    };
    enforce(decide(&actor, action))?;
    Ok(CommunityAccess {
        community,
        role,
        ends_at,
        actor,
    })
}

/// Locks the community `slug` in the write transaction `tx` (PostgreSQL; SQLite's single
/// writer serialises anyway) and checks in it that the caller may do `action`. With the
/// lock, the role checked cannot change before the transaction commits, and changes to one
/// community never interleave (the last owner cannot be demoted by one request while another
/// transfers ownership).
pub async fn change(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    action: Action,
) -> Result<CommunityAccess> {
    if ctx.caller.is_some() {
        communities::lock(tx.conn(), slug).await?;
    }
    community(ctx, tx.conn(), slug, action).await
}

/// Checks that the caller may do `action` on institution `id`; returns them and how the
/// policy saw them.
pub async fn institution<'c>(
    ctx: &'c Ctx,
    conn: Conn<'_>,
    id: i64,
    action: Action,
) -> Result<(&'c Caller, Actor)> {
    let Some(caller) = ctx.caller.as_ref() else {
        enforce(decide(&Actor::ANONYMOUS, action))?;
        return Err(DomainError::SignIn);
    };
    let pays = institutions::is_admin(conn, id, caller.id).await?;
    let actor = Actor {
        signed_in: true,
        staff: caller.staff,
        role: None,
        pays,
    };
    enforce(decide(&actor, action))?;
    Ok((caller, actor))
}
