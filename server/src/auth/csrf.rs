//! Cross-site request forgery defence for every state-changing request.
//!
//! Browsers say where a request comes from: `Sec-Fetch-Site` (all current browsers) and
//! `Origin` (on every POST). A request that changes state is refused with 403 unless it comes
//! from Stoa's own origin. Requests with neither header are not from a browser page (curl,
//! API clients) and carry no ambient cookies a third-party page could abuse, so they pass; the
//! session cookie is also `SameSite=Lax`, a second line for browsers that send neither.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// The origin requests must come from (`scheme://host[:port]`).
#[derive(Debug, Clone)]
pub struct CsrfConfig {
    /// Stoa's public origin.
    pub origin: String,
}

/// Refuses cross-site state-changing requests.
pub async fn csrf(State(config): State<CsrfConfig>, req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match (fetch_site, origin) {
        (Some(site), _) if site != "same-origin" && site != "none" => false,
        (_, Some(origin)) => origin == config.origin,
        _ => true,
    };
    if allowed {
        return next.run(req).await;
    }
    tracing::warn!(http.method = %req.method(), "refused a cross-site request");
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from("Cross-site request refused."))
        .expect("static response")
}
