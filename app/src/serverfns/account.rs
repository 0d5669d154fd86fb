//! The signed-in person: who they are, their identities, sign-in options.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::error::AppError;

/// Longest display name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// How someone can sign in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    /// `(id, display name)` of each OpenID Connect provider.
    pub providers: Vec<(String, String)>,
    /// Who is signed in already, if anyone.
    pub user: Option<CurrentUser>,
}

/// One linked identity, as shown on the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityView {
    /// Identity id (for unlinking).
    pub id: i64,
    /// Provider name, or "Email".
    pub provider: String,
    /// The address or subject at that provider.
    pub detail: String,
    /// Date linked.
    pub linked: String,
}

/// The account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Display name.
    pub name: String,
    /// Verified email.
    pub email: Option<String>,
    /// Linked identities.
    pub identities: Vec<IdentityView>,
    /// Providers that can be linked.
    pub providers: Vec<(String, String)>,
}

/// Staff overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    /// Number of accounts.
    pub accounts: i64,
    /// Staff members: (name, email).
    pub staff: Vec<(String, Option<String>)>,
}

/// Checks a display name: trimmed, 1–100 characters, no control characters.
pub fn validate_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let invalid = |message: &str| AppError::Invalid {
        field: "name".into(),
        message: message.into(),
    };
    if name.is_empty() {
        return Err(invalid("Enter a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid("Names are limited to 100 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("Names cannot contain control characters."));
    }
    Ok(name.to_owned())
}

/// The signed-in person, if any.
#[server(prefix = "/api", endpoint = "account/current")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    crate::ssr::respond(async move { crate::access::global(crate::policy::Action::SignIn) }).await
}

/// Providers and who is signed in, for the sign-in page.
#[server(prefix = "/api", endpoint = "account/sign_in_options")]
pub async fn sign_in_options() -> Result<SignInChoices, AppError> {
    crate::ssr::respond(async move {
        let user = crate::access::global(crate::policy::Action::SignIn)?;
        Ok(SignInChoices {
            providers: crate::ssr::auth()?.providers(),
            user,
        })
    })
    .await
}

/// The address a sign-in link was sent to, if the link is still usable.
#[server(prefix = "/api", endpoint = "account/check_link")]
pub async fn check_sign_in_link(token: String) -> Result<Option<String>, AppError> {
    crate::ssr::respond(async move {
        crate::access::global(crate::policy::Action::SignIn)?;
        if token.len() > 100 {
            return Ok(None);
        }
        crate::ssr::auth()?
            .peek_magic_link(&token)
            .await
            .map_err(crate::ssr::internal)
    })
    .await
}

/// The account page's data.
#[server(prefix = "/api", endpoint = "account/overview")]
pub async fn account_overview() -> Result<AccountView, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::{self, AccountId, EMAIL_ISSUER};
        let user = crate::access::signed_in(crate::policy::Action::ManageOwnAccount)?;
        let auth = crate::ssr::auth()?;
        let providers = auth.providers();
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let identities = accounts::identities(conn.conn(), AccountId(user.id)).await?;
        let provider_name = |id: &str| {
            providers
                .iter()
                .find(|(p, _)| p == id)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        Ok(AccountView {
            name: user.name,
            email: user.email,
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
    })
    .await
}

/// Changes the signed-in person's display name.
#[server(prefix = "/api", endpoint = "account/rename")]
pub async fn rename_account(name: String) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        let user = crate::access::signed_in(crate::policy::Action::ManageOwnAccount)?;
        let name = validate_name(&name)?;
        let db = crate::ssr::db()?;
        let now = crate::ssr::auth()?.clock().now();
        let mut tx = db.begin().await?;
        stoa_db::accounts::rename(tx.conn(), stoa_db::accounts::AccountId(user.id), &name, now)
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Removes one of the signed-in person's identities, unless it is the last.
#[server(prefix = "/api", endpoint = "account/unlink")]
pub async fn unlink_identity(identity_id: i64) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::{self, AccountId, UnlinkOutcome};
        let user = crate::access::signed_in(crate::policy::Action::ManageOwnAccount)?;
        let db = crate::ssr::db()?;
        let mut tx = db.begin().await?;
        let outcome = accounts::unlink_identity(tx.conn(), AccountId(user.id), identity_id).await?;
        tx.commit().await?;
        match outcome {
            UnlinkOutcome::Removed => Ok(()),
            UnlinkOutcome::NotFound => Err(AppError::NotFound),
            UnlinkOutcome::LastIdentity => Err(AppError::Invalid {
                field: "identity_id".into(),
                message: "This is your only way to sign in; link another before removing it."
                    .into(),
            }),
        }
    })
    .await
}

/// The staff overview; staff only.
#[server(prefix = "/api", endpoint = "staff/overview")]
pub async fn staff_overview() -> Result<StaffView, AppError> {
    crate::ssr::respond(async move {
        crate::access::signed_in(crate::policy::Action::ViewStaffOverview)?;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let accounts = stoa_db::accounts::count(conn.conn()).await?;
        let staff = stoa_db::accounts::staff(conn.conn()).await?;
        Ok(StaffView {
            accounts,
            staff: staff.into_iter().map(|a| (a.name, a.email)).collect(),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_names() {
        assert_eq!(validate_name("  Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(101)).is_err());
        assert!(validate_name("a\u{7}b").is_err());
        assert_eq!(
            validate_name("<script>").unwrap(),
            "<script>",
            "stored as typed, rendered as text"
        );
    }
}
