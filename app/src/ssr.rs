//! Server-only context helpers for server functions and pages.

use leptos::prelude::*;
use stoa_db::{Db, DbError};

use crate::error::AppError;

/// The request id given to this request by the server's middleware (`x-request-id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The store handle, provided by the server for every render and server function call.
pub fn db() -> Result<Db, AppError> {
    use_context::<Db>().ok_or_else(|| internal("the store is missing from the context"))
}

/// The signed-in person, if any (resolved by the server's session middleware).
pub fn current_user() -> Option<crate::auth::CurrentUser> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::auth::CurrentUser>().cloned())
}

/// The signed-in person, or [`AppError::Unauthorized`].
pub fn require_user() -> Result<crate::auth::CurrentUser, AppError> {
    current_user().ok_or(AppError::Unauthorized)
}

/// The sign-in service.
pub fn auth() -> Result<stoa_auth::Auth, AppError> {
    use_context::<stoa_auth::Auth>()
        .ok_or_else(|| internal("the sign-in service is missing from the context"))
}

/// This request's id, if the middleware set one.
pub fn request_id() -> Option<String> {
    use_context::<RequestId>().map(|r| r.0)
}

/// Logs `err` with its whole cause chain once, here where it is handled, and returns the
/// opaque error the user sees (with the request id to quote to support).
pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
    let err = err.into();
    let request_id = request_id();
    let chain = stoa_db::error_chain(err.as_ref());
    tracing::error!(request.id = request_id.as_deref().unwrap_or("-"), error = %chain, "request failed");
    AppError::Internal { request_id }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => AppError::NotFound,
            // A uniqueness check that passed was overtaken by a concurrent request; nothing
            // was changed (the transaction rolls back).
            DbError::Conflict => AppError::Invalid {
                field: "form".into(),
                message: "This was changed at the same moment elsewhere. Please try again.".into(),
            },
            other => internal(other),
        }
    }
}

/// Sets the status of the page being rendered (effective for `SsrMode::Async` routes and
/// the first chunk of streamed ones).
pub fn set_status(code: u16) {
    if let (Some(options), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        options.set_status(status);
    }
}

/// Runs a server function's body and, on error, sets the HTTP status to match: for a call
/// over HTTP the client gets 401/403/404/422/500 instead of a blanket 500, and for a page
/// rendered on the server the page gets that status. An anonymous visitor of a protected
/// page is redirected to sign in and back.
///
/// Everything it needs from the request context is taken before the first `.await`: the
/// body may resume on another worker thread, where the render's context is not guaranteed.
pub async fn respond<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let options = use_context::<leptos_axum::ResponseOptions>();
    let parts = use_context::<http::request::Parts>();
    let request_id = request_id();
    // The body runs with the render's (or call's) reactive owner re-entered on every poll,
    // so `use_context` finds the request's parts, store and signed-in person even after an
    // `.await` resumed it on another worker thread.
    let mut result = leptos::reactive::computed::ScopedFuture::new_untracked(body).await;
    if let Err(err) = &mut result {
        if let AppError::Internal {
            request_id: id @ None,
        } = err
        {
            id.clone_from(&request_id);
        }
        if let Some(options) = options {
            let page = parts
                .as_ref()
                .map(|p| p.uri.path().to_owned())
                .filter(|path| !path.starts_with("/api/"));
            match (&*err, page) {
                (AppError::Unauthorized, Some(path)) => {
                    let target = format!("/signin?next={path}");
                    if let Ok(location) = http::HeaderValue::from_str(&target) {
                        options.insert_header(http::header::LOCATION, location);
                        options.set_status(http::StatusCode::SEE_OTHER);
                    }
                }
                _ => {
                    if let Ok(status) = http::StatusCode::from_u16(err.status_code()) {
                        options.set_status(status);
                    }
                }
            }
        }
    }
    result
}

/// The server's clock (tests move it).
pub fn now() -> Result<stoa_db::Timestamp, AppError> {
    Ok(auth()?.clock().now())
}

/// `YYYY-MM-DD` of an instant (UTC).
pub fn date_of(at: stoa_db::Timestamp) -> String {
    at.as_datetime().format("%Y-%m-%d").to_string()
}

/// The first instant (00:00 UTC) of a date.
pub fn start_of(date: chrono::NaiveDate) -> stoa_db::Timestamp {
    stoa_db::Timestamp::from(date.and_time(chrono::NaiveTime::MIN).and_utc())
}
