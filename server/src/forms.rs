//! Plain HTML forms posted to server functions: the same outcome as a client-side call.
//!
//! Pages are rendered on the server only (islands), so an `ActionForm` is a plain
//! `<form method="post" action="/api/…">`, with JavaScript or without. Left to itself, Leptos
//! answers such a post with the server function's JSON (a refusal shows as raw JSON with 422)
//! or a redirect to the empty form. This layer turns it into Post/Redirect/Get:
//!
//! - the post runs the server function as usual, then answers `303 See Other`: to where the
//!   function sends the person (`stoa_app::ssr::go_to`), else back to the page the form was on
//!   (its `Referer`, same origin only);
//! - the outcome (the answer, or the error and the values typed) waits in the session for
//!   that page's next view, which gets it as a [`FormOutcome`] request extension; the page's
//!   form shows it (`stoa_app::components::forms::form_action`): each message next to its
//!   field with the typed values, or the success note;
//! - a refusal because the session has ended goes to sign-in and back.
//!
//! Redirecting after a refusal, rather than rendering the page in the post's answer, keeps
//! the address bar on the page (not `/api/…`): reloading does not post again, and the next
//! submission's `Referer` is still the page. Calls from the server-function client (`fetch`,
//! which does not accept `text/html`) pass through untouched.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use stoa_app::error::AppError;
use stoa_app::ssr::FormOutcome;
use tower_sessions::Session;

use crate::middleware::{RequestId, marked_error, message_page};

/// Session key of the outcome waiting for its page.
const OUTCOME_KEY: &str = "stoa.form_outcome";
/// The most of a form body or a server function's answer this layer reads (the body-limit
/// layer outside refuses larger posts first).
const MAX_BYTES: usize = 4 << 20;

/// Where plain form posts may be sent back to.
#[derive(Debug, Clone)]
pub struct FormsConfig {
    /// Stoa's public origin (`scheme://host[:port]`); only pages there are returned to.
    pub origin: String,
}

/// An outcome and the page (path) it is for.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    page: String,
    outcome: FormOutcome,
}

/// The layer: handles plain form posts to `/api/…`, and hands a waiting outcome to the page
/// view it is for.
pub async fn plain_forms(
    State(config): State<FormsConfig>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_plain_form_post(&req) {
        return submit(&config, req, next).await;
    }
    if is_page_view(&req) {
        attach_outcome(&mut req).await;
    }
    next.run(req).await
}

fn accepts_html(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// A browser submitting an HTML form to a server function (what the server-function client
/// sends accepts JSON, not HTML).
fn is_plain_form_post(req: &Request) -> bool {
    req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && accepts_html(req)
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn is_page_view(req: &Request) -> bool {
    req.method() == Method::GET && !req.uri().path().starts_with("/api/") && accepts_html(req)
}

/// Whether `url` is a page Stripe hosts (`https://checkout.stripe.com/…`,
/// `https://billing.stripe.com/…`): the only places Stoa sends people to on leaving.
fn is_stripe_page(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "https"
            && u.host_str()
                .is_some_and(|h| h == "stripe.com" || h.ends_with(".stripe.com"))
    })
}

/// `path?query` of `url` if it is on Stoa's origin and is a page (not a server function).
fn same_origin_page(url: &str, origin: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    if url.origin().ascii_serialization() != origin || url.path().starts_with("/api/") {
        return None;
    }
    // server_fn's own form redirect hands back the Referer with an empty `?` added.
    Some(match url.query().filter(|q| !q.is_empty()) {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

async fn submit(config: &FormsConfig, req: Request, next: Next) -> Response {
    let action = req.uri().path().to_owned();
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| same_origin_page(referer, &config.origin));
    let session = req.extensions().get::<Session>().cloned();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    let (parts, body) = req.into_parts();
    let Ok(form) = axum::body::to_bytes(body, MAX_BYTES).await else {
        return marked_error(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&form).into_owned().collect();

    let res = next.run(Request::from_parts(parts, Body::from(form))).await;
    let failed = res
        .headers()
        .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER);
    if !failed && (res.status().is_client_error() || res.status().is_server_error()) {
        // Not an answer of the function (no such function, body too large): as it is.
        return res;
    }
    let (head, body) = res.into_parts();
    let answer = axum::body::to_bytes(body, MAX_BYTES)
        .await
        .unwrap_or_else(|_| Bytes::new());

    if failed {
        let error = serde_json::from_slice::<AppError>(&answer).unwrap_or(AppError::Internal {
            request_id: request_id.clone(),
        });
        if error == AppError::Unauthorized {
            let next = back.as_deref().unwrap_or("/");
            let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            return see_other(&format!("/signin?next={next}"));
        }
        let status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let outcome = FormOutcome {
            action,
            result: Err(error.clone()),
            fields,
        };
        return match (back, session) {
            (Some(page), Some(session)) if keep(&session, &page, outcome).await => see_other(&page),
            // Nowhere to show it in place: say so on a page of its own.
            _ => message_page(
                status,
                "Your changes were not saved",
                &error.to_string(),
                request_id.as_deref().unwrap_or("-"),
            ),
        };
    }

    // A payment page the function chose (`leave_to`): Stripe's, not a typed address.
    if head.headers.contains_key(stoa_app::ssr::LEAVE_HEADER)
        && let Some(location) = head
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        && is_stripe_page(location)
    {
        return see_other(location);
    }
    // Where the function sends the person (`go_to`), else back to the form's page.
    let target = head
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| {
            if location.starts_with('/') && !location.starts_with("//") {
                Some(location.to_owned())
            } else {
                same_origin_page(location, &config.origin)
            }
        })
        .filter(|location| !location.starts_with("/api/"))
        .or(back)
        .unwrap_or_else(|| "/".to_owned());
    let value = serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null);
    // Values are kept after a success only when the function asks (a check before saving,
    // after which the person goes on editing); otherwise the page shows the stored state.
    let keep_typed = head.headers.contains_key(stoa_app::ssr::KEEP_TYPED_HEADER);
    if let Some(session) = session {
        let outcome = FormOutcome {
            action,
            result: Ok(value),
            fields: if keep_typed { fields } else { Vec::new() },
        };
        // Without it the person still lands in the right place, only without the note.
        keep(&session, &target, outcome).await;
    }
    see_other(&target)
}

/// Stores `outcome` for the next view of `page`; false if the session store failed.
async fn keep(session: &Session, page: &str, outcome: FormOutcome) -> bool {
    let page = page.split('?').next().unwrap_or(page).to_owned();
    match session.insert(OUTCOME_KEY, Pending { page, outcome }).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, "cannot keep a form's outcome in the session");
            false
        }
    }
}

/// Takes the waiting outcome out of the session, and gives it to this view if it is for
/// this page (an outcome is shown once, and never on another page).
async fn attach_outcome(req: &mut Request) {
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return;
    };
    // No session yet: nothing waits, and nothing needs loading.
    if session.id().is_none() {
        return;
    }
    // Reading first: removing marks the session changed (a write), which most views need not.
    match session.get_value(OUTCOME_KEY).await {
        Ok(Some(value)) => {
            if let Err(err) = session.remove_value(OUTCOME_KEY).await {
                tracing::warn!(error = %err, "cannot clear a form's outcome from the session");
            }
            match serde_json::from_value::<Pending>(value) {
                Ok(pending) if pending.page == req.uri().path() => {
                    req.extensions_mut().insert(pending.outcome);
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "unreadable form outcome in the session"),
            }
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "cannot read the session"),
    }
}

fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::empty())
        .expect("valid parts")
}

#[cfg(test)]
mod tests {
    use super::{is_stripe_page, same_origin_page};

    #[test]
    fn only_stripes_own_pages_are_left_to() {
        assert!(is_stripe_page(
            "https://checkout.stripe.com/c/pay/cs_test_a1"
        ));
        assert!(is_stripe_page(
            "https://billing.stripe.com/p/session/test_1"
        ));
        for other in [
            "http://checkout.stripe.com/c/pay/x",
            "https://stripe.com.evil.test/",
            "https://evilstripe.com/",
            "//checkout.stripe.com/x",
            "javascript:alert(1)",
            "/communities/x",
        ] {
            assert!(!is_stripe_page(other), "{other}");
        }
    }

    #[test]
    fn only_pages_on_our_origin_are_returned_to() {
        let origin = "https://stoa.example";
        assert_eq!(
            same_origin_page("https://stoa.example/communities/x/settings?tab=1", origin)
                .as_deref(),
            Some("/communities/x/settings?tab=1")
        );
        assert_eq!(same_origin_page("https://evil.example/", origin), None);
        assert_eq!(same_origin_page("http://stoa.example/", origin), None);
        assert_eq!(
            same_origin_page("https://stoa.example/api/community/create", origin),
            None
        );
        assert_eq!(same_origin_page("not a url", origin), None);
        assert_eq!(
            same_origin_page("https://stoa.example/account?", origin).as_deref(),
            Some("/account")
        );
    }
}
