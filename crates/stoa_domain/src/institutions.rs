//! Institutions: the legal entities that pay for communities; their admins (added by an
//! invitation the person accepts), and a community's choice of who pays.

use chrono::TimeDelta;
use serde::Serialize;
use stoa_db::accounts::AccountId;
use stoa_db::institutions::InstitutionInvitation;
use stoa_db::jobs::{self, Task};
use stoa_db::{Conn, WriteTx, communities, institutions};
use stoa_model::institution::{BillingView, InstitutionForm, InstitutionView};
use stoa_model::invitation::split_addresses;
use stoa_model::validate::{self, Checks};
use stoa_model::{Action, Decision, Email, Invalid, decide};

use crate::audit::{Audit, Changes};
use crate::{Caller, Ctx, DomainError, Result, access, date_of, quota};

/// Registers an institution from the community sign-up form (legal name and country, both
/// checked by the caller); the caller becomes its admin. Returns its id.
pub(crate) async fn create_minimal(
    ctx: &Ctx,
    tx: &mut WriteTx,
    legal_name: &str,
    country: &str,
) -> Result<i64> {
    let me = access::signed_in(ctx, Action::CreateInstitution)?;
    let fields = institutions::InstitutionFields {
        legal_name,
        address: "",
        country,
        tax_id: "",
        billing_contacts: "",
    };
    let id = institutions::create(tx.conn(), &fields, me.id, ctx.now).await?;
    Audit::by(me, "institution.created", legal_name)
        .institution(Some(id))
        .after(serde_json::json!({"legal_name": legal_name, "country": country}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(id)
}

/// The institution chosen in a form's `institution` field: none when empty, else one that
/// `account` administers (anyone else's is refused: choosing who pays is theirs).
pub async fn one_of_mine(conn: Conn<'_>, choice: &str, account: AccountId) -> Result<Option<i64>> {
    let refuse = || {
        DomainError::invalid(
            "institution",
            "Choose one of the institutions you administer, or a new one.",
        )
    };
    match choice.trim() {
        "" => Ok(None),
        id => {
            let id: i64 = id.parse().map_err(|_| refuse())?;
            if institutions::is_admin(conn, id, account).await? {
                Ok(Some(id))
            } else {
                Err(refuse())
            }
        }
    }
}

/// The checked institution form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
struct Fields {
    legal_name: String,
    address: String,
    country: String,
    tax_id: String,
    billing_contacts: String,
}

impl Fields {
    /// Checks every field of the form, reporting each bad one.
    fn check(form: &InstitutionForm) -> Result<Fields, Invalid> {
        let mut checks = Checks::default();
        let fields = Fields {
            legal_name: checks.take(validate::line(
                "legal_name",
                "the legal name",
                &form.legal_name,
                2,
                200,
            )),
            address: checks.take(validate::text("address", &form.address, 500)),
            country: checks.take(validate::country(&form.country)),
            tax_id: checks.take(validate::line("tax_id", "a tax id", &form.tax_id, 0, 50)),
            billing_contacts: checks.take(billing_contacts_of(&form.billing_contacts)),
        };
        checks.finish()?;
        Ok(fields)
    }

    fn as_store(&self) -> institutions::InstitutionFields<'_> {
        institutions::InstitutionFields {
            legal_name: &self.legal_name,
            address: &self.address,
            country: &self.country,
            tax_id: &self.tax_id,
            billing_contacts: &self.billing_contacts,
        }
    }
}

/// Up to 10 addresses (lines, commas), normalised and deduplicated, one per line.
fn billing_contacts_of(text: &str) -> Result<String, Invalid> {
    let invalid = |message: String| Invalid::field("billing_contacts", message);
    let contacts = split_addresses(text);
    if contacts.len() > 10 {
        return Err(invalid("List at most 10 billing contacts.".into()));
    }
    let mut normalised: Vec<Email> = Vec::with_capacity(contacts.len());
    for contact in &contacts {
        let email = Email::parse(contact)
            .ok_or_else(|| invalid(format!("“{contact}” is not an email address.")))?;
        if !normalised.contains(&email) {
            normalised.push(email);
        }
    }
    Ok(normalised
        .iter()
        .map(Email::as_str)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Registers an institution; the caller becomes its admin. Returns its id.
pub async fn create(ctx: &Ctx, tx: &mut WriteTx, form: &InstitutionForm) -> Result<i64> {
    let me = access::signed_in(ctx, Action::CreateInstitution)?;
    let f = Fields::check(form)?;
    // Registering is a write anyone signed in can repeat: the sign-up cap covers it too
    // (a community's sign-up form that registers one is within that community's cap).
    stoa_db::communities::lock_creator(tx.conn(), me.id).await?;
    let cap = ctx.limits.communities_per_account_per_day;
    let since = ctx.now - crate::communities::DAY;
    let made = institutions::registered_since(tx.conn(), me.id, since, cap).await?;
    crate::communities::daily_cap(&made, cap, "registered", "institutions", "register another")?;
    let id = institutions::create(tx.conn(), &f.as_store(), me.id, ctx.now).await?;
    Audit::by(me, "institution.created", &f.legal_name)
        .institution(Some(id))
        .after(serde_json::to_value(&f).unwrap_or_default())
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(id)
}

/// An institution, its admins, its open admin invitations (for those who may edit) and the
/// communities it pays for.
pub async fn get(ctx: &Ctx, mut conn: Conn<'_>, id: i64) -> Result<InstitutionView> {
    let (_, actor) = access::institution(ctx, conn.reborrow(), id, Action::ViewInstitution).await?;
    let i = institutions::get(conn.reborrow(), id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let can_edit = decide(&actor, Action::UpdateInstitution) == Decision::Allow;
    let invitations = if can_edit {
        institutions::pending_invitations(conn.reborrow(), id)
            .await?
            .into_iter()
            .filter(|inv| inv.expires_at > ctx.now)
            .map(|inv| (inv.id, inv.email.into(), date_of(inv.expires_at)))
            .collect()
    } else {
        Vec::new()
    };
    let communities = institutions::communities(conn.reborrow(), id).await?;
    Ok(InstitutionView {
        id: i.id,
        legal_name: i.legal_name,
        address: i.address,
        country: i.country,
        tax_id: i.tax_id,
        billing_contacts: i.billing_contacts,
        admins: institutions::admins(conn, id)
            .await?
            .into_iter()
            .map(|(account, name)| (account.0, name))
            .collect(),
        invitations,
        communities: communities
            .into_iter()
            .map(|(slug, name)| (slug, name, "No payment method yet".to_owned()))
            .collect(),
        can_edit,
    })
}

/// Changes an institution's details.
pub async fn update(ctx: &Ctx, tx: &mut WriteTx, id: i64, form: &InstitutionForm) -> Result<()> {
    let (me, _) = access::institution(ctx, tx.conn(), id, Action::UpdateInstitution).await?;
    let f = Fields::check(form)?;
    let old = institutions::get(tx.conn(), id)
        .await?
        .ok_or(DomainError::NotFound)?;
    institutions::update(tx.conn(), id, &f.as_store(), ctx.now).await?;
    let changes = Changes::default()
        .field("legal_name", &old.legal_name, &f.legal_name)
        .field("address", &old.address, &f.address)
        .field("country", &old.country, &f.country)
        .field("tax_id", &old.tax_id, &f.tax_id)
        .field(
            "billing_contacts",
            &old.billing_contacts,
            &f.billing_contacts,
        );
    if !changes.is_empty() {
        Audit::by(me, "institution.updated", &f.legal_name)
            .institution(Some(id))
            .changes(changes)
            .record(tx.conn(), ctx.now)
            .await?;
    }
    Ok(())
}

/// Days an admin invitation works.
pub const ADMIN_INVITATION_DAYS: i64 = 7;

/// Invites the person with address `email` to administer the institution; they accept
/// (signed in with that address) from the mail. The answer is the same whether the address
/// has a Stoa account or not, so it tells nobody who uses Stoa. The mail counts against the
/// caller's and Stoa's daily limits.
pub async fn invite_admin(ctx: &Ctx, tx: &mut WriteTx, id: i64, email: &str) -> Result<()> {
    let (me, _) = access::institution(ctx, tx.conn(), id, Action::UpdateInstitution).await?;
    institutions::lock(tx.conn(), id).await?;
    let email = Email::parse(email).ok_or_else(|| {
        DomainError::invalid(
            "email",
            "Enter a valid email address, like name@university.edu.",
        )
    })?;
    // An existing admin is told so only when they are the caller: for anyone else the
    // answer must not depend on who has an account (they get a harmless invitation, which
    // accepting leaves as it is).
    if me.email.as_ref() == Some(&email) {
        return Err(DomainError::invalid("email", "You are an admin already."));
    }
    if let Some(open) = institutions::unresolved_invitation(tx.conn(), id, &email).await? {
        if open.expires_at > ctx.now {
            return Err(DomainError::invalid(
                "email",
                "That address has an open invitation already.",
            ));
        }
        institutions::revoke_invitation(tx.conn(), open.id, ctx.now).await?;
    }
    let expires_at = ctx.now + TimeDelta::days(ADMIN_INVITATION_DAYS);
    let invitation_id =
        institutions::invite_admin(tx.conn(), id, &email, me.id, expires_at, ctx.now).await?;
    let charge = quota::charge(ctx, tx, me.id, None, 1, "email").await?;
    let task = Task::SendInstitutionInvitation {
        invitation_id,
        charge,
    };
    jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
    Audit::by(me, "institution.admin_invited", &email)
        .institution(Some(id))
        .after(serde_json::json!({"expires_on": date_of(expires_at)}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Withdraws an open admin invitation of the institution.
pub async fn revoke_admin_invitation(
    ctx: &Ctx,
    tx: &mut WriteTx,
    id: i64,
    invitation: i64,
) -> Result<()> {
    let (me, _) = access::institution(ctx, tx.conn(), id, Action::UpdateInstitution).await?;
    let found = institutions::invitation(tx.conn(), invitation)
        .await?
        .filter(|i| i.institution_id == id)
        .ok_or(DomainError::NotFound)?;
    if !institutions::revoke_invitation(tx.conn(), invitation, ctx.now).await? {
        return Err(DomainError::invalid(
            "invitation",
            "That invitation was accepted or revoked already.",
        ));
    }
    Audit::by(me, "institution.admin_invitation_revoked", &found.email)
        .institution(Some(id))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Accepts an admin invitation whose address the caller has (checked by
/// [`crate::invitations::accept`]); returns the institution's path.
pub(crate) async fn accept_admin_invitation(
    ctx: &Ctx,
    tx: &mut WriteTx,
    me: &Caller,
    invitation: InstitutionInvitation,
) -> Result<String> {
    let id = invitation.institution_id;
    institutions::lock(tx.conn(), id).await?;
    if !institutions::accept_invitation(tx.conn(), invitation.id, me.id, ctx.now).await? {
        return Err(crate::invitations::dead());
    }
    if !institutions::add_admin(tx.conn(), id, me.id, ctx.now).await? {
        return Err(DomainError::invalid(
            "reference",
            "You are an admin of this institution already.",
        ));
    }
    Audit::by(me, "institution.admin_added", &me.name)
        .institution(Some(id))
        .after(serde_json::json!({"invitation": invitation.email}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(format!("/institutions/{id}"))
}

/// Removes an admin from the institution (never the last one).
pub async fn remove_admin(ctx: &Ctx, tx: &mut WriteTx, id: i64, account: i64) -> Result<()> {
    let (me, _) = access::institution(ctx, tx.conn(), id, Action::UpdateInstitution).await?;
    let admins = institutions::admins(tx.conn(), id).await?;
    let Some((account, name)) = admins.into_iter().find(|(a, _)| a.0 == account) else {
        return Err(DomainError::NotFound);
    };
    if !institutions::remove_admin(tx.conn(), id, account).await? {
        return Err(DomainError::invalid(
            "account_id",
            "An institution needs at least one admin: add another first.",
        ));
    }
    Audit::by(me, "institution.admin_removed", &name)
        .institution(Some(id))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// A community's billing status and paying institution.
pub async fn billing(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    cfg: &crate::billing::BillingConfig,
    stripe: bool,
    slug: &str,
) -> Result<BillingView> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewBilling).await?;
    let institution = match access.community.institution_id {
        Some(id) => institutions::get(conn.reborrow(), id)
            .await?
            .map(|i| (i.id, i.legal_name)),
        None => None,
    };
    let choices = if access.may(Action::ManageBilling) {
        let me = ctx.caller()?;
        let mine = institutions::of_admin(conn.reborrow(), me.id).await?;
        Some(mine.into_iter().map(|i| (i.id, i.legal_name)).collect())
    } else {
        None
    };
    let plan = crate::billing::summary(ctx, conn.reborrow(), cfg, &access).await?;
    let payment = crate::stripe::payment_view(
        ctx,
        conn.reborrow(),
        stripe,
        &access,
        &plan,
        institution.as_ref().map(|(_, name)| name.as_str()),
    )
    .await?;
    let (standing, invoices) =
        crate::billing::standing_and_invoices(conn, cfg, access.community.id, ctx.now).await?;
    Ok(BillingView {
        community: access.community.name.clone(),
        status: if institution.is_some() {
            "Institution chosen; payment by card or invoice arrives with billing.".into()
        } else {
            "No paying institution yet.".into()
        },
        institution,
        choices,
        plan,
        standing,
        invoices,
        may_record: access.may(Action::RecordPayments),
        payment,
    })
}

/// Chooses the paying institution (one the caller administers), or none.
pub async fn set_billing_institution(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    institution: &str,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::ManageBilling).await?;
    let me = ctx.caller()?;
    let chosen = one_of_mine(tx.conn(), institution, me.id).await?;
    let c = &access.community;
    if chosen != c.institution_id {
        communities::set_institution(tx.conn(), c.id, chosen, ctx.now).await?;
        // Filed under the institution that now pays (or stopped paying), so its admins and
        // staff find it there.
        access
            .audit(me, "community.institution_changed", &c.name)
            .institution(chosen.or(c.institution_id))
            .changes(Changes::default().field("institution_id", &c.institution_id, &chosen))
            .record(tx.conn(), ctx.now)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_contacts_are_normalised_and_limited() {
        assert_eq!(
            billing_contacts_of("A@X.org, b@x.org\na@x.org").unwrap(),
            "a@x.org\nb@x.org"
        );
        assert_eq!(
            billing_contacts_of("nope").unwrap_err().fields(),
            ["billing_contacts"]
        );
        let many = (0..11)
            .map(|i| format!("p{i}@x.org"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(billing_contacts_of(&many).is_err());
    }

    #[test]
    fn form_reports_every_bad_field() {
        let form = InstitutionForm {
            legal_name: "x".into(),
            country: "Narnia".into(),
            billing_contacts: "not-an-address".into(),
            ..InstitutionForm::default()
        };
        assert_eq!(
            Fields::check(&form).unwrap_err().fields(),
            ["legal_name", "country", "billing_contacts"]
        );
    }
}
