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

/// This request's id, if the middleware set one.
pub fn request_id() -> Option<String> {
    use_context::<RequestId>().map(|r| r.0)
}

/// Logs `err` with its whole cause chain once, here where it is handled, and returns the
/// opaque error the user sees (with the request id to quote to support).
pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
    let err = err.into();
    let request_id = request_id();
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(request.id = request_id.as_deref().unwrap_or("-"), error = %chain, "request failed");
    AppError::Internal { request_id }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => AppError::NotFound,
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
