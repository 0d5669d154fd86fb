//! A community's members: the list, roles and end dates, removal, ownership.

use stoa_db::accounts::AccountId;
use stoa_db::communities::CommunityId;
use stoa_db::{Conn, Timestamp, WriteTx, memberships};
use stoa_model::members::{MEMBERS_PER_PAGE, MemberRow, MembersPage};
use stoa_model::{Action, Role, validate};

use crate::access;
use crate::audit::Changes;
use crate::communities::{check_query, offset};
use crate::{Ctx, DomainError, Result, date_of, start_of};

/// Refuses when the community would be left without an owner. Run inside the write
/// transaction that removes or demotes an owner ([`crate::access::change`] has locked the
/// community, so the count cannot change before the commit).
pub async fn ensure_another_owner(conn: Conn<'_>, community: CommunityId) -> Result<()> {
    if memberships::count_owners(conn, community).await? < 2 {
        return Err(DomainError::invalid(
            "role",
            "A community needs at least one owner: make someone else owner first.",
        ));
    }
    Ok(())
}

/// Lists and searches a community's members (owners first), [`MEMBERS_PER_PAGE`] a page.
pub async fn list(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    slug: &str,
    query: &str,
    page: u32,
) -> Result<MembersPage> {
    let (query, page, per_page) = check_query(query, page, MEMBERS_PER_PAGE)?;
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewMembers).await?;
    let me = ctx.caller()?;
    let found = memberships::search(
        conn,
        access.community.id,
        &query,
        i64::from(per_page),
        offset(page, per_page),
    )
    .await?;
    Ok(MembersPage {
        items: found
            .items
            .into_iter()
            .map(|m| MemberRow {
                account_id: m.account_id.0,
                name: m.name,
                email: m.email.map(String::from),
                role: m.role,
                ends_on: m.ends_at.map(date_of),
                since: date_of(m.created_at),
            })
            .collect(),
        total: u64::try_from(found.total).unwrap_or(0),
        page,
        per_page,
        can_manage: access.may(Action::ManageMembers),
        is_owner: access.role == Some(Role::Owner),
        me: me.id.0,
    })
}

/// The rules of a role change, apart from the store: who may touch owners, owners' end
/// dates, end dates in the past. `acting` is the caller's role; `current` the member's role
/// and end; `role` and `ends` what is asked.
fn check_update(
    acting: Option<Role>,
    current: (Role, Option<Timestamp>),
    role: Role,
    ends: Option<Timestamp>,
    now: Timestamp,
) -> Result<()> {
    let (old_role, old_ends) = current;
    // Only owners change owners or make new ones.
    if (old_role == Role::Owner || role == Role::Owner) && acting != Some(Role::Owner) {
        return Err(DomainError::Forbidden);
    }
    if role == Role::Owner && ends.is_some() {
        return Err(DomainError::invalid(
            "ends_on",
            "Owners cannot have an end date.",
        ));
    }
    // An unchanged date may have passed meanwhile (the sweep removes such memberships); a new
    // one must be in the future.
    if ends.is_some_and(|e| e <= now) && ends != old_ends {
        return Err(DomainError::invalid(
            "ends_on",
            "Choose a date in the future.",
        ));
    }
    Ok(())
}

/// Changes a member's role and end date (`ends_on` empty: no end). Only owners change
/// owners or make new ones; the last owner stays an owner; owners have no end date.
pub async fn update(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    account: i64,
    role: &str,
    ends_on: &str,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::ManageMembers).await?;
    let me = ctx.caller()?;
    let new_role =
        Role::parse(role.trim()).ok_or_else(|| DomainError::invalid("role", "Choose a role."))?;
    let ends = validate::date("ends_on", ends_on)?.map(start_of);
    let c = access.community.id;
    let target = memberships::get(tx.conn(), c, AccountId(account))
        .await?
        .ok_or(DomainError::NotFound)?;
    check_update(
        access.role,
        (target.role, target.ends_at),
        new_role,
        ends,
        ctx.now,
    )?;
    if target.role == Role::Owner && new_role != Role::Owner {
        ensure_another_owner(tx.conn(), c).await?;
    }
    memberships::update(tx.conn(), c, AccountId(account), new_role, ends, ctx.now).await?;
    // The community's hubs learn at once, not only at the person's next login.
    crate::provisioning::sync_after_membership_change(tx.conn(), c, ctx.now).await?;
    let changes = Changes::default()
        .field("role", &target.role, &new_role)
        .field("ends_on", &target.ends_at.map(date_of), &ends.map(date_of));
    if !changes.is_empty() {
        access
            .audit(me, "membership.updated", &target.name)
            .changes(changes)
            .record(tx.conn(), ctx.now)
            .await?;
    }
    Ok(())
}

/// Removes a member. Only owners remove owners; the last owner cannot be removed.
pub async fn remove(ctx: &Ctx, tx: &mut WriteTx, slug: &str, account: i64) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::ManageMembers).await?;
    let me = ctx.caller()?;
    let c = access.community.id;
    let target = memberships::get(tx.conn(), c, AccountId(account))
        .await?
        .ok_or(DomainError::NotFound)?;
    if target.role == Role::Owner {
        if access.role != Some(Role::Owner) {
            return Err(DomainError::Forbidden);
        }
        ensure_another_owner(tx.conn(), c).await?;
    }
    memberships::remove(tx.conn(), c, AccountId(account)).await?;
    // The community's hubs learn at once, not only at the person's next login.
    crate::provisioning::sync_after_membership_change(tx.conn(), c, ctx.now).await?;
    access
        .audit(me, "membership.removed", &target.name)
        .before(serde_json::json!({"role": target.role}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Makes another member the owner; the current owner becomes an admin.
pub async fn transfer(ctx: &Ctx, tx: &mut WriteTx, slug: &str, account: i64) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::TransferOwnership).await?;
    let me = ctx.caller()?;
    if account == me.id.0 {
        return Err(DomainError::invalid("account_id", "Choose another member."));
    }
    let c = access.community.id;
    let target = memberships::get(tx.conn(), c, AccountId(account))
        .await?
        .ok_or(DomainError::NotFound)?;
    memberships::update(tx.conn(), c, AccountId(account), Role::Owner, None, ctx.now).await?;
    memberships::update(tx.conn(), c, me.id, Role::Admin, None, ctx.now).await?;
    // The community's hubs learn at once, not only at the person's next login.
    crate::provisioning::sync_after_membership_change(tx.conn(), c, ctx.now).await?;
    access
        .audit(me, "community.ownership_transferred", &target.name)
        .before(serde_json::json!({"owner": me.name, "new_owner_role": target.role}))
        .after(serde_json::json!({"owner": target.name, "previous_owner_role": Role::Admin}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> Timestamp {
        start_of(chrono::NaiveDate::from_ymd_opt(2027, 1, day).unwrap())
    }

    #[test]
    fn only_owners_touch_owners() {
        let now = at(10);
        let admin = Some(Role::Admin);
        let owner = Some(Role::Owner);
        assert!(matches!(
            check_update(admin, (Role::Owner, None), Role::Admin, None, now),
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(
            check_update(admin, (Role::Member, None), Role::Owner, None, now),
            Err(DomainError::Forbidden)
        ));
        assert!(check_update(admin, (Role::Member, None), Role::Billing, None, now).is_ok());
        assert!(check_update(owner, (Role::Member, None), Role::Owner, None, now).is_ok());
    }

    #[test]
    fn end_dates() {
        let now = at(10);
        let owner = Some(Role::Owner);
        let err = |r: Result<()>| match r {
            Err(DomainError::Invalid(i)) => i.fields().join(","),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(check_update(
                owner,
                (Role::Member, None),
                Role::Owner,
                Some(at(20)),
                now
            )),
            "ends_on"
        );
        assert_eq!(
            err(check_update(
                owner,
                (Role::Member, None),
                Role::Member,
                Some(at(10)),
                now
            )),
            "ends_on"
        );
        // An end that passed meanwhile may be kept while the role changes.
        assert!(
            check_update(
                owner,
                (Role::Member, Some(at(9))),
                Role::Billing,
                Some(at(9)),
                now
            )
            .is_ok()
        );
        assert!(check_update(owner, (Role::Member, None), Role::Member, Some(at(11)), now).is_ok());
    }
}
