//! The HTTP side of signing in: sessions, the current user, CSRF defence, and the routes
//! that redirect to providers and back.

pub mod csrf;
pub mod routes;
pub mod session;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse as _;
use axum::response::Response;
use stoa_app::auth::{CurrentUser, ViewingAs};
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
                    let viewing = if account.is_staff {
                        match auth.viewing_as(account.id).await {
                            Ok(v) => v,
                            Err(err) => {
                                tracing::error!(
                                    error = err.log_detail(),
                                    "cannot check for a view-as session"
                                );
                                None
                            }
                        }
                    } else {
                        None
                    };
                    let user = match viewing {
                        // Seen as the member: their id, name and address, never staff.
                        Some(v) => CurrentUser {
                            id: v.member_id.0,
                            name: v.member_name,
                            email: v.member_email,
                            is_staff: false,
                            viewing_as: Some(ViewingAs {
                                staff_id: account.id.0,
                                staff_name: account.name,
                                ticket: v.ticket_id,
                                community_slug: v.community_slug,
                                until: v.ends_at.as_datetime().format("%H:%M UTC").to_string(),
                            }),
                        },
                        None => CurrentUser {
                            id: account.id.0,
                            name: account.name,
                            email: account.email,
                            is_staff: account.is_staff,
                            viewing_as: None,
                        },
                    };
                    if user.viewing_as.is_some() && !read_only_allows(&req) {
                        return read_only_refusal(&user);
                    }
                    req.extensions_mut().insert(user);
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

/// Where a staff member viewing Stoa as a member may go: reading anything (GET, HEAD), and
/// the two ways out (stopping, signing out). Never the member's hubs: the hub login
/// (`/oauth/authorize`) is refused even though it is a GET, so no hub, server or file of the
/// member is reachable.
fn read_only_allows(req: &Request) -> bool {
    let path = req.uri().path();
    if path.starts_with("/oauth/") {
        return false;
    }
    matches!(*req.method(), Method::GET | Method::HEAD)
        || path == "/api/support/stop_view_as"
        || path == "/auth/signout"
}

/// The answer to anything else while viewing as someone: 403, saying why and how to stop.
fn read_only_refusal(user: &CurrentUser) -> Response {
    let message = format!(
        "Read-only: you are viewing Stoa as {}. Stop viewing as them (the banner at the top of \
         every page) to act as yourself.",
        user.name
    );
    (StatusCode::FORBIDDEN, message).into_response()
}
