//! The signed-in person: who they are, their identities, sign-in options.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::error::AppError;

pub use stoa_model::account::{AccountView, IdentityView, MAX_NAME_CHARS, StaffView};

/// How someone can sign in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInChoices {
    /// `(id, display name)` of each OpenID Connect provider.
    pub providers: Vec<(String, String)>,
    /// Who is signed in already, if anyone.
    pub user: Option<CurrentUser>,
}

/// The signed-in person, if any.
#[server(prefix = "/api", endpoint = "account/current")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    crate::ssr::respond(async move {
        stoa_domain::accounts::visitor(&crate::ssr::ctx()?)?;
        Ok(crate::ssr::current_user())
    })
    .await
}

/// Providers and who is signed in, for the sign-in page.
#[server(prefix = "/api", endpoint = "account/sign_in_options")]
pub async fn sign_in_options() -> Result<SignInChoices, AppError> {
    crate::ssr::respond(async move {
        stoa_domain::accounts::visitor(&crate::ssr::ctx()?)?;
        Ok(SignInChoices {
            providers: crate::ssr::auth()?.providers(),
            user: crate::ssr::current_user(),
        })
    })
    .await
}

/// The address a sign-in link was sent to, if the link is still usable.
#[server(prefix = "/api", endpoint = "account/check_link")]
pub async fn check_sign_in_link(token: String) -> Result<Option<String>, AppError> {
    crate::ssr::respond(async move {
        stoa_domain::accounts::visitor(&crate::ssr::ctx()?)?;
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
    let providers = crate::ssr::auth()?.providers();
    crate::ssr::read(async |ctx, conn| stoa_domain::accounts::overview(ctx, conn, providers).await)
        .await
}

/// Changes the signed-in person's display name.
#[server(prefix = "/api", endpoint = "account/rename")]
pub async fn rename_account(name: String) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::accounts::rename(ctx, tx, &name).await).await
}

/// Removes one of the signed-in person's identities, unless it is the last.
#[server(prefix = "/api", endpoint = "account/unlink")]
pub async fn unlink_identity(identity_id: i64) -> Result<(), AppError> {
    crate::ssr::write(async |ctx, tx| stoa_domain::accounts::unlink(ctx, tx, identity_id).await)
        .await
}

/// The staff overview; staff only.
#[server(prefix = "/api", endpoint = "staff/overview")]
pub async fn staff_overview() -> Result<StaffView, AppError> {
    crate::ssr::read(async |ctx, conn| stoa_domain::accounts::staff_overview(ctx, conn).await).await
}
