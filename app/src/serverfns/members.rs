//! A community's members: list, change role and end date, remove, transfer ownership.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::policy::Action;
use crate::policy::Role;

/// Members per page.
pub const MEMBERS_PER_PAGE: u32 = 50;

/// One member row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    /// Account id.
    pub account_id: i64,
    /// Name.
    pub name: String,
    /// Address.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// End date (YYYY-MM-DD).
    pub ends_on: Option<String>,
    /// Member since (YYYY-MM-DD).
    pub since: String,
}

/// A page of members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    /// Rows.
    pub items: Vec<MemberRow>,
    /// Matching members in all.
    pub total: u64,
    /// Page from 1.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// The viewer may change members.
    pub can_manage: bool,
    /// The viewer is an owner (may change owners and transfer).
    pub is_owner: bool,
    /// The viewer's account id.
    pub me: i64,
}

/// Refuses when the community would be left without an owner. Run inside the write
/// transaction that removes or demotes an owner ([`crate::access::change`] has locked the
/// community, so the count cannot change before the commit).
#[cfg(feature = "ssr")]
pub async fn ensure_another_owner(
    conn: stoa_db::Conn<'_>,
    community: stoa_db::communities::CommunityId,
) -> Result<(), AppError> {
    use stoa_db::memberships;
    if memberships::count_owners(conn, community).await? < 2 {
        return Err(AppError::Invalid {
            field: "role".into(),
            message: "A community needs at least one owner: make someone else owner first.".into(),
        });
    }
    Ok(())
}

/// Lists and searches members (owners first).
#[server(prefix = "/api", endpoint = "members/list")]
pub async fn list_members(slug: String, query: String, page: u32) -> Result<MembersPage, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::memberships;
        let (query, page, per_page) =
            stoa_domain::communities::check_query(&query, page, MEMBERS_PER_PAGE)?;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access = crate::access::community(conn.conn(), &slug, Action::ViewMembers).await?;
        let offset = i64::from(page - 1) * i64::from(per_page);
        let found = memberships::search(
            conn.conn(),
            access.community.id,
            &query,
            i64::from(per_page),
            offset,
        )
        .await?;
        Ok(MembersPage {
            items: found
                .items
                .into_iter()
                .map(|m| MemberRow {
                    account_id: m.account_id.0,
                    name: m.name,
                    email: m.email,
                    role: m.role,
                    ends_on: m.ends_at.map(crate::ssr::date_of),
                    since: crate::ssr::date_of(m.created_at),
                })
                .collect(),
            total: u64::try_from(found.total).unwrap_or(0),
            page,
            per_page,
            can_manage: access.may(Action::ManageMembers),
            is_owner: access.role == Some(Role::Owner),
            me: access.user()?.id,
        })
    })
    .await
}

/// Changes a member's role and end date (`ends_on` empty: no end). Only owners change
/// owners or make new ones; the last owner stays an owner; owners have no end date.
#[server(prefix = "/api", endpoint = "members/update")]
pub async fn update_member(
    slug: String,
    account_id: i64,
    role: String,
    ends_on: String,
) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::memberships;
        let crate::access::Change { mut tx, access, now } =
            crate::access::change(&slug, Action::ManageMembers).await?;
        let new_role = Role::parse(role.trim()).ok_or_else(|| AppError::Invalid {
            field: "role".into(),
            message: "Choose a role.".into(),
        })?;
        let ends = crate::validate::date("ends_on", &ends_on)?.map(crate::ssr::start_of);
        let target = memberships::get(tx.conn(), access.community.id, AccountId(account_id))
            .await?
            .ok_or(AppError::NotFound)?;
        let old_role = target.role;
        if (old_role == Role::Owner || new_role == Role::Owner) && access.role != Some(Role::Owner) {
            return Err(AppError::Forbidden);
        }
        if new_role == Role::Owner && ends.is_some() {
            return Err(AppError::Invalid {
                field: "ends_on".into(),
                message: "Owners cannot have an end date.".into(),
            });
        }
        if ends.is_some_and(|e| e <= now) && ends != target.ends_at {
            return Err(AppError::Invalid {
                field: "ends_on".into(),
                message: "Choose a date in the future.".into(),
            });
        }
        if old_role == Role::Owner && new_role != Role::Owner {
            ensure_another_owner(tx.conn(), access.community.id).await?;
        }
        memberships::update(tx.conn(), access.community.id, AccountId(account_id), new_role, ends, now)
            .await?;
        if old_role != new_role || target.ends_at != ends {
            let state = |role: Role, ends: Option<stoa_db::Timestamp>| {
                serde_json::json!({"role": role.as_str(), "ends_on": ends.map(crate::ssr::date_of)})
            };
            access
                .audit(
                    tx.conn(),
                    "membership.updated",
                    &target.name,
                    Some(state(old_role, target.ends_at)),
                    Some(state(new_role, ends)),
                    now,
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Removes a member. Only owners remove owners; the last owner cannot be removed.
#[server(prefix = "/api", endpoint = "members/remove")]
pub async fn remove_member(slug: String, account_id: i64) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::memberships;
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::ManageMembers).await?;
        let target = memberships::get(tx.conn(), access.community.id, AccountId(account_id))
            .await?
            .ok_or(AppError::NotFound)?;
        if target.role == Role::Owner {
            if access.role != Some(Role::Owner) {
                return Err(AppError::Forbidden);
            }
            ensure_another_owner(tx.conn(), access.community.id).await?;
        }
        memberships::remove(tx.conn(), access.community.id, AccountId(account_id)).await?;
        access
            .audit(
                tx.conn(),
                "membership.removed",
                &target.name,
                Some(serde_json::json!({"role": target.role})),
                None,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Makes another member the owner; the current owner becomes an admin.
#[server(prefix = "/api", endpoint = "members/transfer")]
pub async fn transfer_ownership(slug: String, account_id: i64) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::memberships;
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::TransferOwnership).await?;
        let me = access.user()?.clone();
        if account_id == me.id {
            return Err(AppError::Invalid {
                field: "account_id".into(),
                message: "Choose another member.".into(),
            });
        }
        let target = memberships::get(tx.conn(), access.community.id, AccountId(account_id))
            .await?
            .ok_or(AppError::NotFound)?;
        let c = access.community.id;
        memberships::update(tx.conn(), c, AccountId(account_id), Role::Owner, None, now).await?;
        memberships::update(tx.conn(), c, AccountId(me.id), Role::Admin, None, now).await?;
        access
            .audit(
                tx.conn(),
                "community.ownership_transferred",
                &target.name,
                Some(serde_json::json!({"owner": me.name, "new_owner_role": target.role})),
                Some(serde_json::json!({"owner": target.name, "previous_owner_role": "admin"})),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}
