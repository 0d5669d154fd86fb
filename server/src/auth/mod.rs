//! The HTTP side of signing in: sessions, the current user, CSRF defence, and the routes
//! that redirect to providers and back.

pub mod csrf;
pub mod routes;
pub mod session;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use stoa_app::auth::CurrentUser;
use stoa_auth::Auth;
use tower_sessions::Session;

use self::session::AuthSession;

/// Resolves the signed-in person once per request and puts [`CurrentUser`] in the request
/// extensions for handlers and pages. A session that is no longer valid (signed out
/// everywhere, too old, unused too long, account gone) is ended here; a valid one has its
/// last-seen time refreshed (at most hourly, see `session::LAST_SEEN_REFRESH`).
pub async fn current_user(State(auth): State<Auth>, mut req: Request, next: Next) -> Response {
    if let Some(session) = req.extensions().get::<Session>().cloned() {
        let session = AuthSession(session);
        match session.auth().await {
            Ok(Some(stored)) => match auth
                .session_account(
                    stored.account_id,
                    stored.epoch,
                    stored.signed_in_at,
                    stored.last_seen(),
                )
                .await
            {
                Ok(Some(account)) => {
                    if let Err(err) = session.touch(&stored, auth.clock().now()).await {
                        tracing::warn!(error = %err, "cannot record the session's last use");
                    }
                    req.extensions_mut().insert(CurrentUser {
                        id: account.id.0,
                        name: account.name,
                        email: account.email,
                        is_staff: account.is_staff,
                    });
                }
                Ok(None) => {
                    if let Err(err) = session.sign_out().await {
                        tracing::warn!(error = %err, "cannot end an invalid session");
                    }
                }
                Err(err) => tracing::error!(
                    error = err.log_detail(),
                    "cannot check the session's account"
                ),
            },
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "cannot read the session"),
        }
    }
    next.run(req).await
}
