//! Institutions (who pays) and a community's billing page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::policy::Action;

/// An institution's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionView {
    /// Id.
    pub id: i64,
    /// Legal name.
    pub legal_name: String,
    /// Postal address.
    pub address: String,
    /// Country code.
    pub country: String,
    /// Tax id.
    pub tax_id: String,
    /// Billing contacts, one per line.
    pub billing_contacts: String,
    /// Admins: (account id, name).
    pub admins: Vec<(i64, String)>,
    /// Communities it pays for, with their billing status: (slug, name, status).
    pub communities: Vec<(String, String, String)>,
    /// The viewer may edit.
    pub can_edit: bool,
}

/// A community's billing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView {
    /// Community name.
    pub community: String,
    /// Billing status in words (payment arrives with the billing milestone).
    pub status: String,
    /// The paying institution: (id, legal name).
    pub institution: Option<(i64, String)>,
    /// Institutions the viewer may choose (those they administer), when they may choose.
    pub choices: Option<Vec<(i64, String)>>,
}

/// The checked institution form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionFields {
    /// Legal name.
    pub legal_name: String,
    /// Address.
    pub address: String,
    /// Country code.
    pub country: String,
    /// Tax id.
    pub tax_id: String,
    /// Contacts, normalised, one per line.
    pub billing_contacts: String,
}

/// Checks the institution form. Billing contacts: up to 10 addresses, one per line (commas
/// also separate).
#[cfg(feature = "ssr")]
pub fn validate_institution(
    legal_name: &str,
    address: &str,
    country: &str,
    tax_id: &str,
    billing_contacts: &str,
) -> Result<InstitutionFields, AppError> {
    use crate::validate;
    let mut checks = validate::Checks::default();
    let contacts = checks.take(billing_contacts_of(billing_contacts));
    let fields = InstitutionFields {
        legal_name: checks.take(validate::line(
            "legal_name",
            "the legal name",
            legal_name,
            2,
            200,
        )),
        address: checks.take(validate::text("address", address, 500)),
        country: checks.take(validate::country(country)),
        tax_id: checks.take(validate::line("tax_id", "a tax id", tax_id, 0, 50)),
        billing_contacts: contacts,
    };
    checks.finish()?;
    Ok(fields)
}

/// Up to 10 addresses (lines, commas), normalised and deduplicated, one per line.
#[cfg(feature = "ssr")]
fn billing_contacts_of(text: &str) -> Result<String, stoa_model::Invalid> {
    let invalid = |message: String| stoa_model::Invalid::field("billing_contacts", message);
    let contacts = crate::serverfns::invitations::split_addresses(text);
    if contacts.len() > 10 {
        return Err(invalid("List at most 10 billing contacts.".into()));
    }
    let mut normalised: Vec<String> = Vec::with_capacity(contacts.len());
    for contact in &contacts {
        let email = stoa_auth::normalize_email(contact)
            .ok_or_else(|| invalid(format!("“{contact}” is not an email address.")))?;
        if !normalised.contains(&email) {
            normalised.push(email);
        }
    }
    Ok(normalised.join("\n"))
}

/// Registers an institution; the signed-in person becomes its admin. Returns its id.
#[server(prefix = "/api", endpoint = "institutions/create")]
pub async fn create_institution(
    legal_name: String,
    address: String,
    country: String,
    tax_id: String,
    billing_contacts: String,
) -> Result<i64, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{audit, institutions};
        let user = crate::access::signed_in(Action::CreateInstitution)?;
        let f = validate_institution(&legal_name, &address, &country, &tax_id, &billing_contacts)?;
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let mut tx = db.begin().await?;
        let fields = institutions::InstitutionFields {
            legal_name: &f.legal_name,
            address: &f.address,
            country: &f.country,
            tax_id: &f.tax_id,
            billing_contacts: &f.billing_contacts,
        };
        let id = institutions::create(tx.conn(), &fields, AccountId(user.id), now).await?;
        let entry = audit::Entry {
            institution: Some(id),
            after: Some(state(&f).to_string()),
            ..crate::access::entry(&user, "institution.created", &f.legal_name)
        };
        audit::record(tx.conn(), &entry, now).await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

#[cfg(feature = "ssr")]
fn state(f: &InstitutionFields) -> serde_json::Value {
    serde_json::json!({
        "legal_name": f.legal_name, "address": f.address, "country": f.country,
        "tax_id": f.tax_id, "billing_contacts": f.billing_contacts,
    })
}

/// An institution and the communities it pays for.
#[server(prefix = "/api", endpoint = "institutions/get")]
pub async fn get_institution(id: i64) -> Result<InstitutionView, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::institutions;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let (_, actor) =
            crate::access::institution(conn.conn(), id, Action::ViewInstitution).await?;
        let i = institutions::get(conn.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let communities = institutions::communities(conn.conn(), id).await?;
        Ok(InstitutionView {
            id: i.id,
            legal_name: i.legal_name,
            address: i.address,
            country: i.country,
            tax_id: i.tax_id,
            billing_contacts: i.billing_contacts,
            admins: institutions::admins(conn.conn(), id)
                .await?
                .into_iter()
                .map(|(account, name)| (account.0, name))
                .collect(),
            communities: communities
                .into_iter()
                .map(|(slug, name)| (slug, name, "No payment method yet".to_owned()))
                .collect(),
            can_edit: crate::policy::decide(&actor, Action::UpdateInstitution)
                == crate::policy::Decision::Allow,
        })
    })
    .await
}

/// Changes an institution's details.
#[server(prefix = "/api", endpoint = "institutions/update")]
pub async fn update_institution(
    id: i64,
    legal_name: String,
    address: String,
    country: String,
    tax_id: String,
    billing_contacts: String,
) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::{audit, institutions};
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let mut tx = db.begin().await?;
        let (user, _) =
            crate::access::institution(tx.conn(), id, Action::UpdateInstitution).await?;
        let f = validate_institution(&legal_name, &address, &country, &tax_id, &billing_contacts)?;
        let old = institutions::get(tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let fields = institutions::InstitutionFields {
            legal_name: &f.legal_name,
            address: &f.address,
            country: &f.country,
            tax_id: &f.tax_id,
            billing_contacts: &f.billing_contacts,
        };
        institutions::update(tx.conn(), id, &fields, now).await?;
        let before = InstitutionFields {
            legal_name: old.legal_name,
            address: old.address,
            country: old.country,
            tax_id: old.tax_id,
            billing_contacts: old.billing_contacts,
        };
        if before != f {
            let entry = audit::Entry {
                institution: Some(id),
                before: Some(state(&before).to_string()),
                after: Some(state(&f).to_string()),
                ..crate::access::entry(&user, "institution.updated", &f.legal_name)
            };
            audit::record(tx.conn(), &entry, now).await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Makes the person with this (verified) address an admin of the institution too.
#[server(prefix = "/api", endpoint = "institutions/add_admin")]
pub async fn add_institution_admin(id: i64, email: String) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::{accounts, audit, institutions};
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let mut tx = db.begin().await?;
        let (user, _) = crate::access::institution(tx.conn(), id, Action::UpdateInstitution).await?;
        let invalid = |message: &str| AppError::Invalid { field: "email".into(), message: message.into() };
        let email = stoa_auth::normalize_email(&email)
            .ok_or_else(|| invalid("Enter a valid email address, like name@university.edu."))?;
        let account = accounts::find_by_email(tx.conn(), &email)
            .await?
            .ok_or_else(|| invalid("No Stoa account has that address yet: ask them to sign in once, then add them."))?;
        if !institutions::add_admin(tx.conn(), id, account.id, now).await? {
            return Err(invalid("They are an admin already."));
        }
        let entry = audit::Entry { institution: Some(id), ..crate::access::entry(&user, "institution.admin_added", &account.name) };
        audit::record(tx.conn(), &entry, now).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Removes an admin from the institution (never the last one).
#[server(prefix = "/api", endpoint = "institutions/remove_admin")]
pub async fn remove_institution_admin(id: i64, account_id: i64) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{audit, institutions};
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let mut tx = db.begin().await?;
        let (user, _) =
            crate::access::institution(tx.conn(), id, Action::UpdateInstitution).await?;
        let admins = institutions::admins(tx.conn(), id).await?;
        let Some((_, name)) = admins.iter().find(|(a, _)| a.0 == account_id) else {
            return Err(AppError::NotFound);
        };
        if !institutions::remove_admin(tx.conn(), id, AccountId(account_id)).await? {
            return Err(AppError::Invalid {
                field: "account_id".into(),
                message: "An institution needs at least one admin: add another first.".into(),
            });
        }
        let entry = audit::Entry {
            institution: Some(id),
            ..crate::access::entry(&user, "institution.admin_removed", name)
        };
        audit::record(tx.conn(), &entry, now).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// A community's billing status and paying institution.
#[server(prefix = "/api", endpoint = "billing/get")]
pub async fn get_billing(slug: String) -> Result<BillingView, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::institutions;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access = crate::access::community(conn.conn(), &slug, Action::ViewBilling).await?;
        let institution = match access.community.institution_id {
            Some(id) => institutions::get(conn.conn(), id)
                .await?
                .map(|i| (i.id, i.legal_name)),
            None => None,
        };
        let choices = if access.may(Action::ManageBilling) {
            let mine = institutions::of_admin(conn.conn(), AccountId(access.user()?.id)).await?;
            Some(mine.into_iter().map(|i| (i.id, i.legal_name)).collect())
        } else {
            None
        };
        Ok(BillingView {
            community: access.community.name.clone(),
            status: if institution.is_some() {
                "Institution chosen; payment by card or invoice arrives with billing.".into()
            } else {
                "No paying institution yet.".into()
            },
            institution,
            choices,
        })
    })
    .await
}

/// Chooses the paying institution (one the signed-in person administers), or none.
#[server(prefix = "/api", endpoint = "billing/set_institution")]
pub async fn set_billing_institution(slug: String, institution: String) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::communities;
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::ManageBilling).await?;
        let me = AccountId(access.user()?.id);
        let chosen = one_of_mine(tx.conn(), &institution, me).await?;
        let c = &access.community;
        if chosen != c.institution_id {
            communities::set_institution(tx.conn(), c.id, chosen, now).await?;
            // Filed under the institution that now pays (or stopped paying), so its admins
            // and staff find it there.
            let user = access.user()?;
            let entry = stoa_db::audit::Entry {
                community: Some(c.id),
                institution: chosen.or(c.institution_id),
                before: Some(serde_json::json!({"institution_id": c.institution_id}).to_string()),
                after: Some(serde_json::json!({"institution_id": chosen}).to_string()),
                ..crate::access::entry(user, "community.institution_changed", &c.name)
            };
            stoa_db::audit::record(tx.conn(), &entry, now).await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The institution chosen in a form's `institution` field: none when empty, else one that
/// `account` administers (anyone else's is refused: choosing who pays is theirs).
#[cfg(feature = "ssr")]
pub async fn one_of_mine(
    conn: stoa_db::Conn<'_>,
    choice: &str,
    account: stoa_db::accounts::AccountId,
) -> Result<Option<i64>, AppError> {
    let refuse = || AppError::Invalid {
        field: "institution".into(),
        message: "Choose one of the institutions you administer, or a new one.".into(),
    };
    match choice.trim() {
        "" => Ok(None),
        id => {
            let id: i64 = id.parse().map_err(|_| refuse())?;
            if stoa_db::institutions::is_admin(conn, id, account).await? {
                Ok(Some(id))
            } else {
                Err(refuse())
            }
        }
    }
}
