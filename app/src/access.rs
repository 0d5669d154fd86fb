//! Server side of authorization: finds the actor's relation to a resource and asks the
//! policy. Every server function goes through [`community`], [`institution`] or [`global`]
//! before it touches data; mutations go through [`change`], which checks inside the write
//! transaction with the community locked, so the role that is checked is the role at the
//! moment of the change (a demoted admin loses rights on the very next request, and no
//! request slips between the check and the write).

use stoa_db::accounts::AccountId;
use stoa_db::communities::{self, Community};
use stoa_db::{Conn, Timestamp, audit, institutions, memberships};

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::policy::{Action, Actor, Decision, Role, decide};

/// Maps a refusal to the error the caller sees.
pub fn enforce(decision: Decision) -> Result<(), AppError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::SignIn => Err(AppError::Unauthorized),
        Decision::NotFound => Err(AppError::NotFound),
        Decision::Forbidden => Err(AppError::Forbidden),
    }
}

/// An action not about any one community or institution.
pub fn global(action: Action) -> Result<Option<CurrentUser>, AppError> {
    let user = crate::ssr::current_user();
    let actor = Actor {
        signed_in: user.is_some(),
        staff: user.as_ref().is_some_and(|u| u.is_staff),
        ..Actor::ANONYMOUS
    };
    enforce(decide(&actor, action))?;
    Ok(user)
}

/// Like [`global`] for actions that need someone signed in.
pub fn signed_in(action: Action) -> Result<CurrentUser, AppError> {
    global(action)?.ok_or(AppError::Unauthorized)
}

/// A community the actor may do something with.
#[derive(Debug, Clone)]
pub struct CommunityAccess {
    /// The community.
    pub community: Community,
    /// Who asks (None: anonymous, for public actions).
    pub user: Option<CurrentUser>,
    /// Their role in it.
    pub role: Option<Role>,
    /// When their membership ends, if it does.
    pub ends_at: Option<Timestamp>,
    /// How the policy saw them.
    pub actor: Actor,
}

impl CommunityAccess {
    /// The signed-in person (actions other than public ones always have one).
    pub fn user(&self) -> Result<&CurrentUser, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    /// Whether the actor may also do `action` here (to show or hide controls).
    pub fn may(&self, action: Action) -> bool {
        decide(&self.actor, action) == Decision::Allow
    }

    /// Appends an audit entry about this community, by this actor.
    pub async fn audit(
        &self,
        conn: Conn<'_>,
        action: &str,
        target: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let entry = audit::Entry {
            community: Some(self.community.id),
            institution: self.community.institution_id,
            before: before.map(|v| v.to_string()),
            after: after.map(|v| v.to_string()),
            ..entry(self.user()?, action, target)
        };
        audit::record(conn, &entry, now).await?;
        Ok(())
    }
}

/// Loads the community `slug` and checks that the current user may do `action` on it. An
/// anonymous visitor is asked to sign in before the community is even looked up, so the
/// answer never tells whether it exists.
pub async fn community(
    mut conn: Conn<'_>,
    slug: &str,
    action: Action,
) -> Result<CommunityAccess, AppError> {
    let user = crate::ssr::current_user();
    if user.is_none() {
        enforce(decide(&Actor::ANONYMOUS, action))?;
    }
    let Some(community) = communities::by_slug(conn.reborrow(), slug).await? else {
        return Err(AppError::NotFound);
    };
    let (membership, pays) = match &user {
        Some(u) => {
            let now = crate::ssr::now()?;
            let membership =
                memberships::active(conn.reborrow(), community.id, AccountId(u.id), now).await?;
            let pays = match community.institution_id {
                Some(inst) => institutions::is_admin(conn, inst, AccountId(u.id)).await?,
                None => false,
            };
            (membership, pays)
        }
        None => (None, false),
    };
    let role = membership.as_ref().map(|(role, _)| *role);
    let ends_at = membership.and_then(|(_, ends_at)| ends_at);
    let actor = Actor {
        signed_in: user.is_some(),
        staff: user.as_ref().is_some_and(|u| u.is_staff),
        role,
        pays,
    };
    enforce(decide(&actor, action))?;
    Ok(CommunityAccess {
        community,
        user,
        role,
        ends_at,
        actor,
    })
}

/// A change to a community about to be made: the open write transaction, the actor's
/// access (checked inside that transaction) and the time of the change.
pub struct Change {
    /// The write transaction; commit it when done.
    pub tx: stoa_db::WriteTx,
    /// The community and the actor, checked for the action.
    pub access: CommunityAccess,
    /// The time recorded for the change.
    pub now: Timestamp,
}

/// Opens a write transaction, locks the community `slug` (PostgreSQL) and checks in it that
/// the current user may do `action` on it. With the lock, the role checked cannot change
/// before the transaction commits, and changes to one community never interleave (the last
/// owner cannot be demoted by one request while another transfers ownership).
pub async fn change(slug: &str, action: Action) -> Result<Change, AppError> {
    let db = crate::ssr::db()?;
    let now = crate::ssr::now()?;
    let mut tx = db.begin().await?;
    if crate::ssr::current_user().is_some() {
        communities::lock(tx.conn(), slug).await?;
    }
    let access = community(tx.conn(), slug, action).await?;
    Ok(Change { tx, access, now })
}

/// An audit entry by `user` (community, institution and states to be filled in with struct
/// update syntax).
pub fn entry<'a>(user: &'a CurrentUser, action: &'a str, target: &'a str) -> audit::Entry<'a> {
    audit::Entry {
        actor: Some(AccountId(user.id)),
        actor_name: &user.name,
        community: None,
        institution: None,
        action,
        target,
        before: None,
        after: None,
    }
}

/// Checks that the current user may do `action` on institution `id`; returns them.
pub async fn institution(
    conn: Conn<'_>,
    id: i64,
    action: Action,
) -> Result<(CurrentUser, Actor), AppError> {
    let Some(user) = crate::ssr::current_user() else {
        enforce(decide(&Actor::ANONYMOUS, action))?;
        return Err(AppError::Unauthorized);
    };
    let pays = institutions::is_admin(conn, id, AccountId(user.id)).await?;
    let actor = Actor {
        signed_in: true,
        staff: user.is_staff,
        role: None,
        pays,
    };
    enforce(decide(&actor, action))?;
    Ok((user, actor))
}
