//! Request body limits, explicit per route. Too large a body is answered with 413 and a
//! message naming the limit before any handler runs; without this, a server function that
//! failed to read its body answered 500.
//!
//! Every request gets [`FORM_LIMIT`] unless a line in [`limits`] gives its route another:
//! `.route("/communities/{slug}/logo", LOGO_LIMIT)`. axum's own default limit is turned off
//! (startup), so this is the one place limits are decided.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use crate::middleware::{RequestId, message_page};

/// Forms and server functions: a few fields of text.
pub const FORM_LIMIT: usize = 64 * 1024;
/// Bulk invitations: up to 500 pasted addresses (254 characters at most each), form-encoded.
pub const BULK_INVITATIONS_LIMIT: usize = 256 * 1024;
/// A community logo upload (reserved for the logo upload route).
pub const LOGO_LIMIT: usize = 1024 * 1024;

/// A body declared over its limit but no larger than this is read and dropped before the 413
/// goes out. Browsers send the whole body before they read the answer: if Stoa answered and
/// closed at once, the person would see "connection reset" instead of the message (and a
/// test client, a broken pipe). Larger bodies are refused without reading: reading them would
/// cost more than the courtesy is worth.
pub const DRAIN_LIMIT: u64 = 8 * 1024 * 1024;
/// How long Stoa spends reading and dropping such a body at most.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// The limits of Stoa's routes. One line per route that needs more (or less) than forms.
pub fn limits() -> BodyLimits {
    BodyLimits::new(FORM_LIMIT)
        .route("/api/invitations/create", BULK_INVITATIONS_LIMIT)
        .route("/communities/{slug}/logo", LOGO_LIMIT)
}

/// A default limit and per-route exceptions. Patterns are paths whose `{name}` segments
/// match any one segment.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    default: usize,
    routes: Vec<(Vec<String>, usize)>,
}

impl BodyLimits {
    /// Every route gets `default` bytes.
    pub fn new(default: usize) -> BodyLimits {
        BodyLimits {
            default,
            routes: Vec::new(),
        }
    }

    /// Routes matching `pattern` get `limit` bytes.
    pub fn route(mut self, pattern: &str, limit: usize) -> BodyLimits {
        let segments = pattern.split('/').map(str::to_owned).collect();
        self.routes.push((segments, limit));
        self
    }

    /// The limit for a request to `path`.
    pub fn limit_for(&self, path: &str) -> usize {
        let segments: Vec<&str> = path.split('/').collect();
        self.routes
            .iter()
            .find(|(pattern, _)| {
                pattern.len() == segments.len()
                    && pattern.iter().zip(&segments).all(|(p, s)| {
                        (p.starts_with('{') && p.ends_with('}') && !s.is_empty()) || p == s
                    })
            })
            .map_or(self.default, |(_, limit)| *limit)
    }
}

/// Enforces the limit of the request's route: refuses a `Content-Length` over it at once,
/// and otherwise reads the body up to it (a chunked body declares no length), so handlers
/// get a body that is known to fit.
pub async fn limit_body(
    State(limits): State<Arc<BodyLimits>>,
    req: Request,
    next: Next,
) -> Response {
    let limit = limits.limit_for(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|n| *n > limit as u64) {
        let (parts, body) = req.into_parts();
        if declared <= DRAIN_LIMIT {
            drain(body).await;
        }
        return too_large(&Request::from_parts(parts, Body::empty()), limit);
    }
    let (parts, body) = req.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => {
            next.run(Request::from_parts(parts, Body::from(collected.to_bytes())))
                .await
        }
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            too_large(&Request::from_parts(parts, Body::empty()), limit)
        }
        Err(err) => {
            // The client went away or sent a broken body; nobody reads this answer.
            tracing::info!(error = %err, "request body could not be read");
            StatusCode::BAD_REQUEST.into_response()
        }
    }
}

/// Reads and drops what the client sends of `body` (at most [`DRAIN_LIMIT`] bytes, for at most
/// [`DRAIN_TIME`]), so that it gets to read the answer.
async fn drain(mut body: Body) {
    let mut read: u64 = 0;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |d| d.len() as u64);
            if read > DRAIN_LIMIT {
                break;
            }
        }
    })
    .await;
}

/// 413 with a message naming the limit: a JSON error for server functions (the page shows
/// it next to the form), an HTML page otherwise. With `Connection: close`: the rest of the
/// body may not have been read, so the connection cannot carry another request, and a
/// client that reused it would see its next request fail.
fn too_large(req: &Request, limit: usize) -> Response {
    let mut res = too_large_body(req, limit);
    res.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    res
}

fn too_large_body(req: &Request, limit: usize) -> Response {
    let message = format!(
        "What you sent is too large: Stoa accepts at most {} KiB here. Send less at once.",
        limit / 1024
    );
    if req.uri().path().starts_with("/api/") {
        let body = serde_json::json!({ "error": "invalid", "field": "form", "message": message });
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
    }
    let id = req
        .extensions()
        .get::<RequestId>()
        .map_or("-", |r| r.0.as_str());
    message_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request too large",
        &message,
        id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_get_their_own_limits() {
        let limits = limits();
        assert_eq!(limits.limit_for("/api/account/rename"), FORM_LIMIT);
        assert_eq!(
            limits.limit_for("/api/invitations/create"),
            BULK_INVITATIONS_LIMIT
        );
        assert_eq!(limits.limit_for("/communities/physics/logo"), LOGO_LIMIT);
        assert_eq!(limits.limit_for("/communities//logo"), FORM_LIMIT);
        assert_eq!(limits.limit_for("/communities/physics/logo/x"), FORM_LIMIT);
    }
}
