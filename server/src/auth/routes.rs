//! `/auth/*`: plain HTTP form posts and redirects, so signing in works without JavaScript.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use stoa_app::auth::CurrentUser;
use stoa_auth::{Auth, AuthError, SignedIn};
use stoa_db::accounts::AccountId;
use tower_sessions::Session;

use super::session::AuthSession;
use crate::client_ip::ClientIp;
use crate::rate_limit::RateLimiter;

/// Rate-limit class of the endpoints that start a sign-in (they store state, call a
/// provider or send mail).
pub const SIGN_IN_START: &str = "sign_in_start";
/// Rate-limit class of the endpoints that finish one (they consume a code or a link).
pub const SIGN_IN_FINISH: &str = "sign_in_finish";

/// The routes, to merge into the app router. Everything here that answers anonymous people
/// is behind the rate limiter.
pub fn router<S: Clone + Send + Sync + 'static>(auth: Auth, limiter: &RateLimiter) -> Router<S> {
    Router::new()
        .route(
            "/auth/oidc/{provider}",
            post(begin_oidc).layer(limiter.layer(SIGN_IN_START)),
        )
        .route(
            "/auth/callback",
            get(oidc_callback).layer(limiter.layer(SIGN_IN_FINISH)),
        )
        .route(
            "/auth/email",
            post(request_link).layer(limiter.layer(SIGN_IN_START)),
        )
        .route(
            "/auth/email/verify",
            post(use_link).layer(limiter.layer(SIGN_IN_FINISH)),
        )
        .route("/auth/signout", post(sign_out))
        .route("/auth/signout-everywhere", post(sign_out_everywhere))
        .with_state(auth)
}

/// 303 to the sign-in page with a message code (see `stoa_app::auth::sign_in_error_message`).
fn back_to_sign_in(code: &str, next: Option<&str>) -> Response {
    let next = stoa_auth::safe_next(next);
    let next = if next == "/" {
        String::new()
    } else {
        format!("&next={}", utf8_percent_encode(&next, NON_ALPHANUMERIC))
    };
    Redirect::to(&format!("/signin?error={code}{next}")).into_response()
}

fn error_code(err: &AuthError) -> &'static str {
    match err {
        AuthError::UnknownProvider => "provider",
        AuthError::InvalidEmail => "invalid_email",
        AuthError::RateLimited => "rate_limited",
        AuthError::LinkInvalid => "link_invalid",
        AuthError::AttemptInvalid | AuthError::Provider(_) => "failed",
        AuthError::IdentityTaken => "identity_taken",
        AuthError::EmailInUse => "email_in_use",
        AuthError::Mail(_) => "mail_failed",
        AuthError::Config(_) | AuthError::Db(_) => "internal",
    }
}

fn log_failure(what: &str, err: &AuthError) {
    if err.is_internal() {
        tracing::error!(error = err.log_detail(), "{what} failed");
    } else {
        tracing::info!(reason = err.log_detail(), "{what} refused");
    }
}

fn session_failure(err: tower_sessions::session::Error) -> Response {
    tracing::error!(error = %err, "session store failed");
    back_to_sign_in("internal", None)
}

/// Puts the account into a fresh session and sends the person on.
async fn complete(session: &AuthSession, auth: &Auth, signed_in: SignedIn) -> Response {
    let SignedIn { account, next } = signed_in;
    if let Err(err) = session
        .sign_in(account.id, account.session_epoch, auth.clock().now())
        .await
    {
        return session_failure(err);
    }
    tracing::info!(account.id = account.id.0, "signed in");
    Redirect::to(&next).into_response()
}

#[derive(Deserialize)]
struct BeginForm {
    next: Option<String>,
    /// "1" to link this provider to the signed-in account instead of signing in.
    link: Option<String>,
}

async fn begin_oidc(
    State(auth): State<Auth>,
    Path(provider): Path<String>,
    session: Session,
    user: Option<Extension<CurrentUser>>,
    Form(form): Form<BeginForm>,
) -> Response {
    let link_to = match (form.link.as_deref(), &user) {
        (Some("1"), Some(Extension(user))) => Some(AccountId(user.id)),
        (Some("1"), None) => return Redirect::to("/signin?next=/account").into_response(),
        _ => None,
    };
    match auth
        .begin_oidc(&provider, form.next.as_deref(), link_to)
        .await
    {
        Ok((url, state)) => {
            if let Err(err) = AuthSession(session).set_oidc_state(&state).await {
                return session_failure(err);
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(err) => {
            log_failure("starting a provider sign-in", &err);
            back_to_sign_in(
                if matches!(err, AuthError::Provider(_)) {
                    "failed"
                } else {
                    error_code(&err)
                },
                form.next.as_deref(),
            )
        }
    }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

async fn oidc_callback(
    State(auth): State<Auth>,
    session: Session,
    Query(q): Query<Callback>,
) -> Response {
    let session = AuthSession(session);
    let remembered = match session.take_oidc_state().await {
        Ok(state) => state,
        Err(err) => return session_failure(err),
    };
    if q.error.is_some() {
        // The person cancelled or the provider refused; still burn the attempt.
        if let Some(state) = &q.state
            && let Err(err) = auth.discard_oidc(state).await
        {
            log_failure("discarding a provider sign-in", &err);
        }
        return back_to_sign_in("denied", None);
    }
    let (Some(code), Some(state)) = (q.code.as_deref(), q.state.as_deref()) else {
        return back_to_sign_in("failed", None);
    };
    match auth
        .finish_oidc(state, remembered.as_deref(), code, q.iss.as_deref())
        .await
    {
        Ok(signed_in) => complete(&session, &auth, signed_in).await,
        Err(err) => {
            log_failure("provider sign-in", &err);
            back_to_sign_in(error_code(&err), None)
        }
    }
}

#[derive(Deserialize)]
struct LinkRequest {
    email: String,
    next: Option<String>,
}

async fn request_link(
    State(auth): State<Auth>,
    client: Option<Extension<ClientIp>>,
    Form(form): Form<LinkRequest>,
) -> Response {
    // The client as the trusted proxies report it (see `client_ip`), per IPv6 /64.
    let requester = client
        .map(|Extension(ip)| ip.rate_key())
        .unwrap_or_default();
    match auth
        .request_magic_link(&form.email, form.next.as_deref(), &requester)
        .await
    {
        Ok(()) => Redirect::to("/signin/email-sent").into_response(),
        Err(err) => {
            log_failure("sending a sign-in link", &err);
            back_to_sign_in(error_code(&err), form.next.as_deref())
        }
    }
}

#[derive(Deserialize)]
struct UseLink {
    token: String,
}

async fn use_link(
    State(auth): State<Auth>,
    session: Session,
    Form(form): Form<UseLink>,
) -> Response {
    match auth.consume_magic_link(&form.token).await {
        Ok(signed_in) => complete(&AuthSession(session), &auth, signed_in).await,
        Err(err) => {
            log_failure("sign-in link", &err);
            back_to_sign_in(error_code(&err), None)
        }
    }
}

async fn sign_out(session: Session) -> Response {
    if let Err(err) = AuthSession(session).sign_out().await {
        return session_failure(err);
    }
    Redirect::to("/").into_response()
}

async fn sign_out_everywhere(
    State(auth): State<Auth>,
    session: Session,
    user: Option<Extension<CurrentUser>>,
) -> Response {
    let Some(Extension(user)) = user else {
        return Redirect::to("/signin").into_response();
    };
    if let Err(err) = auth.sign_out_everywhere(AccountId(user.id)).await {
        log_failure("signing out everywhere", &err);
        return back_to_sign_in("internal", None);
    }
    if let Err(err) = AuthSession(session).sign_out().await {
        return session_failure(err);
    }
    tracing::info!(account.id = user.id, "signed out everywhere");
    Redirect::to("/signin?notice=signed_out_everywhere").into_response()
}
