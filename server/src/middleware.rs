//! The response policy every request goes through: request id, CSP nonce, security headers,
//! and error pages that show the request id without internals.
//!
//! The request id and the static headers come from tower-http layers (see [`layers`] and
//! `startup::router`); what stays hand-written is what differs per response: the CSP with
//! this response's nonce, and the error page.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use axum::middleware::Next;
use base64::Engine;
use rand::RngCore;
use stoa_app::escape_html;
use tower_http::set_header::SetResponseHeaderLayer;

/// The id of this request, also sent back as `x-request-id` and recorded on every log line.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The CSP nonce of this response: inline scripts (hydration) carry it.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// Marks a response whose body should be replaced by the HTML error page.
#[derive(Debug, Clone, Copy)]
pub struct RenderErrorPage;

/// Settings the policy needs.
#[derive(Debug, Clone)]
pub struct PolicyConfig {
    /// Send `Strict-Transport-Security` (Stoa is served over https).
    pub hsts: bool,
    /// Origins forms may lead to besides Stoa itself: the sign-in providers (a sign-in form
    /// posts to Stoa, which redirects to the provider, and browsers apply `form-action` to
    /// that redirect too).
    pub form_action_origins: Vec<String>,
}

/// Header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// First of the request-id layers (then tower-http's `SetRequestIdLayer` with a UUID and
/// `PropagateRequestIdLayer`, see `startup::router`): drops an id the client sent. Ids are
/// ours, so logs cannot be forged or made to collide; `SetRequestId` keeps an existing one.
pub async fn drop_client_request_id(mut req: Request) -> Request {
    req.headers_mut().remove(REQUEST_ID_HEADER);
    req
}

/// Headers every response carries, whatever made it (handlers, timeouts, panics).
pub fn static_header_layers(hsts: bool) -> [SetResponseHeaderLayer<Option<HeaderValue>>; 5] {
    let set = |name: HeaderName, value: Option<&'static str>| {
        SetResponseHeaderLayer::overriding(name, value.map(HeaderValue::from_static))
    };
    [
        set(header::X_CONTENT_TYPE_OPTIONS, Some("nosniff")),
        set(
            header::REFERRER_POLICY,
            Some("strict-origin-when-cross-origin"),
        ),
        set(header::X_FRAME_OPTIONS, Some("DENY")),
        set(
            HeaderName::from_static("cross-origin-opener-policy"),
            Some("same-origin"),
        ),
        // `None` leaves the header out (plain http: HSTS would be ignored, or pin a test
        // host to https).
        set(
            header::STRICT_TRANSPORT_SECURITY,
            hsts.then_some("max-age=31536000"),
        ),
    ]
}

/// Gives the request its nonce (and the id the request-id layer set, as an extension for
/// the render), then sets the CSP on HTML responses and renders the error page where asked.
pub async fn response_policy(
    State(config): State<PolicyConfig>,
    mut req: Request,
    next: Next,
) -> Response<Body> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let nonce = new_nonce();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(CspNonce(nonce.clone()));

    let mut res = next.run(req).await;
    // Bodiless failures from the tower stack (timeout, body limit) get the page too.
    let bare_failure = res.headers().get(header::CONTENT_TYPE).is_none()
        && matches!(res.status().as_u16(), 408 | 413 | 500 | 503);
    if bare_failure || res.extensions().get::<RenderErrorPage>().is_some() {
        let status = res.status();
        res = error_page(status, &id);
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let csp = content_security_policy(&nonce, &config.form_action_origins);
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).expect("the policy is ASCII"),
        );
    }
    res
}

/// `Cache-Control` for pages (HTML) that do not set their own; runs inside the current-user
/// layer, so it knows whether someone is signed in.
///
/// Signed in: `private, no-cache`: never in a shared cache, and the browser asks again
/// before showing it (the back button still works from the back/forward cache, which
/// `no-store` would disable).
///
/// Anonymous: `no-cache`: a cache may keep the page but must ask Stoa before each use, and
/// Stoa answers every request with a freshly rendered page (no validators), so nobody is shown
/// a page older than the last change and every response carries its own CSP nonce. A longer
/// public lifetime would serve stale directories after a change and replay one nonce to many
/// people; the rendering cost is what Stoa's own page cache saves instead.
pub async fn html_cache_control(req: Request, next: Next) -> Response<Body> {
    let signed_in = req
        .extensions()
        .get::<stoa_app::auth::CurrentUser>()
        .is_some();
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if signed_in {
                "private, no-cache"
            } else {
                "no-cache"
            }),
        );
    }
    res
}

/// The policy for HTML responses. Scripts: same-origin files plus inline scripts carrying
/// this response's nonce (Leptos' hydration bootstrap); `wasm-unsafe-eval` lets the page
/// compile its WebAssembly and nothing else. No inline styles, no plugins, no framing, and
/// forms and `<base>` cannot point elsewhere.
pub fn content_security_policy(nonce: &str, form_action_origins: &[String]) -> String {
    let mut form_action = String::from("'self'");
    for origin in form_action_origins {
        form_action.push(' ');
        form_action.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A standalone HTML error page (no app shell: the app may be what failed).
pub fn error_page(status: StatusCode, request_id: &str) -> Response<Body> {
    let (title, text) = match status.as_u16() {
        408 => (
            "Request timed out",
            "The server took too long to answer. Please try again.",
        ),
        413 => (
            "Request too large",
            "What you sent is larger than Stoa accepts.",
        ),
        503 => (
            "Temporarily unavailable",
            "Stoa cannot answer right now. Please try again in a moment.",
        ),
        _ => (
            "Something went wrong",
            "An error on our side stopped this page. It has been logged.",
        ),
    };
    message_page(status, title, text, request_id)
}

/// A standalone HTML page for `status` with a title and a message (both escaped).
pub fn message_page(
    status: StatusCode,
    title: &str,
    text: &str,
    request_id: &str,
) -> Response<Body> {
    let code = status.as_u16();
    let (title, text, id) = (
        escape_html(title),
        escape_html(text),
        escape_html(request_id),
    );
    let css = crate::assets::stylesheet_href();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{title} · Stoa</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"min-h-screen bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100\">\
         <main id=\"main\" class=\"mx-auto max-w-xl px-4 py-16\">\
         <p class=\"text-sm font-semibold text-teal-700\">{code}</p>\
         <h1 class=\"mt-2 text-3xl font-bold\">{title}</h1>\
         <p class=\"mt-4\" data-testid=\"error-message\">{text}</p>\
         <p class=\"mt-4 text-sm\">If it keeps happening, contact support and quote request id \
         <code data-testid=\"request-id\">{id}</code>.</p>\
         <p class=\"mt-6\"><a class=\"underline\" href=\"/\">Back to the home page</a></p>\
         </main></body></html>"
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(body))
        .expect("static parts are valid")
}

/// Turns a panic in a handler into a logged 500 with the error page.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".into());
    tracing::error!(panic = %detail, "request handler panicked");
    marked_error(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An empty response of `status` that the policy renders as the error page.
pub fn marked_error(status: StatusCode) -> Response<Body> {
    let mut res = Response::builder()
        .status(status)
        .body(Body::empty())
        .expect("valid");
    res.extensions_mut().insert(RenderErrorPage);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_fresh_and_url_safe() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
