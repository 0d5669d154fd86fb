//! The signed-in person's own account: the account page, renaming, unlinking an identity; and
//! the staff overview of accounts.

use stoa_db::accounts::{self, EMAIL_ISSUER, UnlinkOutcome};
use stoa_db::{Conn, WriteTx};
use stoa_model::account::{AccountView, IdentityView, StaffView};
use stoa_model::{Action, validate};

use crate::{Caller, Ctx, DomainError, Result, access};

/// Whoever may see the sign-in pages (everyone): the caller, if signed in.
pub fn visitor(ctx: &Ctx) -> Result<Option<&Caller>> {
    access::global(ctx, Action::SignIn)
}

/// The account page: name, address, linked identities. `providers` are the configured
/// sign-in providers as (id, display name), shown by name and offered for linking.
pub async fn overview(
    ctx: &Ctx,
    conn: Conn<'_>,
    providers: Vec<(String, String)>,
) -> Result<AccountView> {
    let me = access::signed_in(ctx, Action::ManageOwnAccount)?;
    let identities = accounts::identities(conn, me.id).await?;
    let provider_name = |id: &str| {
        providers
            .iter()
            .find(|(p, _)| p == id)
            .map_or_else(|| id.to_owned(), |(_, name)| name.clone())
    };
    Ok(AccountView {
        name: me.name.clone(),
        email: me.email.clone().map(String::from),
        identities: identities
            .into_iter()
            .map(|i| IdentityView {
                id: i.id,
                provider: if i.issuer == EMAIL_ISSUER {
                    "Email".into()
                } else {
                    provider_name(&i.provider)
                },
                detail: i.email.unwrap_or(i.subject),
                linked: i.created_at.as_datetime().format("%-d %B %Y").to_string(),
            })
            .collect(),
        providers,
    })
}

/// Changes the caller's display name.
pub async fn rename(ctx: &Ctx, tx: &mut WriteTx, name: &str) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageOwnAccount)?;
    let name = validate::name(name)?;
    accounts::rename(tx.conn(), me.id, &name, ctx.now).await?;
    Ok(())
}

/// Removes one of the caller's identities, unless it is their last way to sign in.
pub async fn unlink(ctx: &Ctx, tx: &mut WriteTx, identity_id: i64) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageOwnAccount)?;
    match accounts::unlink_identity(tx.conn(), me.id, identity_id).await? {
        UnlinkOutcome::Removed => Ok(()),
        UnlinkOutcome::NotFound => Err(DomainError::NotFound),
        UnlinkOutcome::LastIdentity => Err(DomainError::invalid(
            "identity_id",
            "This is your only way to sign in; link another before removing it.",
        )),
    }
}

/// The staff overview: how many accounts, who is staff.
pub async fn staff_overview(ctx: &Ctx, mut conn: Conn<'_>) -> Result<StaffView> {
    access::signed_in(ctx, Action::ViewStaffOverview)?;
    let count = accounts::count(conn.reborrow()).await?;
    let staff = accounts::staff(conn).await?;
    Ok(StaffView {
        accounts: count,
        staff: staff.into_iter().map(|a| (a.name, a.email)).collect(),
    })
}
