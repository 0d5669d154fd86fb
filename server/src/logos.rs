//! Community logos over HTTP: the upload form's target (a plain multipart POST, so it works
//! without JavaScript), removal, and serving the image from Stoa's own origin.
//!
//! The rules (who may, which bytes are an acceptable image, the audit entries) are the
//! domain's (`stoa_domain::logos`); these handlers read the request, call one service and
//! shape the answer. State-changing requests pass the server's CSRF check like every other
//! POST (the layer wraps the whole router).

use axum::Router;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use stoa_app::auth::CurrentUser;
use stoa_auth::Auth;
use stoa_db::Db;
use stoa_domain::limits::Limits;
use stoa_domain::{Caller, Ctx, DomainError};
use stoa_model::Slug;
use stoa_model::logo::MAX_LOGO_BYTES;

/// What the logo handlers need.
#[derive(Clone)]
pub struct LogoState {
    /// The store.
    pub db: Db,
    /// The clock and public URL (through the sign-in service that owns them).
    pub auth: Auth,
    /// The operator's limits.
    pub limits: Limits,
}

/// The logo routes.
pub fn router<S: Clone + Send + Sync + 'static>(state: LogoState) -> Router<S> {
    Router::new()
        .route(
            "/communities/{slug}/logo",
            // The body limit is the server's per-route one (`crate::body_limit::LOGO_LIMIT`):
            // the image plus the form's framing, with room to spare so that an image somewhat
            // over `MAX_LOGO_BYTES` still reaches the domain's check and gets its specific
            // message; anything larger is answered 413 before it is read whole.
            get(serve).post(upload),
        )
        .route("/communities/{slug}/logo/remove", post(remove))
        .with_state(state)
}

impl LogoState {
    fn ctx(&self, user: Option<CurrentUser>) -> Ctx {
        Ctx {
            caller: user.map(|u| Caller {
                id: stoa_db::accounts::AccountId(u.id),
                email: u.email.as_deref().and_then(stoa_model::Email::parse),
                name: u.name,
                staff: u.is_staff,
            }),
            now: self.auth.clock().now(),
            public_url: self.auth.public_url().to_owned(),
            limits: self.limits,
        }
    }
}

/// `?v=` of a logo URL.
#[derive(Debug, serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// The logo, with the type sniffed at upload, `nosniff`, a CSP that lets it run nothing if
/// opened as a document, and caching: forever for the current version's URL, revalidated
/// (ETag) otherwise.
async fn serve(
    State(state): State<LogoState>,
    Path(slug): Path<String>,
    Query(version): Query<Version>,
    user: Option<axum::Extension<CurrentUser>>,
    headers: HeaderMap,
) -> Response {
    let ctx = state.ctx(user.map(|u| u.0));
    let found = async {
        let mut conn = state.db.read().await?;
        stoa_domain::logos::get(&ctx, conn.conn(), &slug).await
    }
    .await;
    let logo = match found {
        Ok(logo) => logo,
        Err(DomainError::Store(err)) => {
            tracing::error!(error = %stoa_db::error_chain(&err), "logo request failed");
            return broken();
        }
        // An image request: no logo, no community, or none the caller may see all answer
        // the same short 404 (the upload form's wording would not fit).
        Err(_) => {
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "No such logo.",
            )
                .into_response();
        }
    };
    let etag = format!("\"{}\"", logo.version);
    let cache = if version.v.as_deref() == Some(logo.version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'")
        .header("cross-origin-resource-policy", "same-origin");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    if fresh {
        builder = builder.status(StatusCode::NOT_MODIFIED);
        return builder.body(Body::empty()).unwrap_or_else(|_| broken());
    }
    builder
        .header(header::CONTENT_TYPE, logo.content_type.as_str())
        .body(Body::from(logo.bytes))
        .unwrap_or_else(|_| broken())
}

/// Stores the `logo` file of the multipart form as the community's logo, then back to the
/// settings page (303); a refusal is answered with its status and message.
async fn upload(
    State(state): State<LogoState>,
    Path(slug): Path<String>,
    user: Option<axum::Extension<CurrentUser>>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let json = wants_json(&headers);
    let ctx = state.ctx(user.map(|u| u.0));
    // Who may is decided by the service; an anonymous caller is told to sign in before the
    // body is read.
    if ctx.caller.is_none() {
        return refusal(DomainError::SignIn, json, &slug);
    }
    let bytes = match read_logo(form).await {
        Ok(bytes) => bytes,
        Err((status, message)) => return message_response(status, &message, json, &slug),
    };
    let result = async {
        let mut tx = state.db.begin().await?;
        let path = stoa_domain::logos::upload(&ctx, &mut tx, &slug, &bytes).await?;
        tx.commit().await?;
        Ok::<_, DomainError>(path)
    }
    .await;
    match result {
        Ok(path) if json => axum::Json(serde_json::json!({ "logo": path })).into_response(),
        Ok(_) => back_to_settings(&slug),
        Err(err) => refusal(err, json, &slug),
    }
}

/// Removes the community's logo, then back to the settings page.
async fn remove(
    State(state): State<LogoState>,
    Path(slug): Path<String>,
    user: Option<axum::Extension<CurrentUser>>,
    headers: HeaderMap,
) -> Response {
    let json = wants_json(&headers);
    let ctx = state.ctx(user.map(|u| u.0));
    let result = async {
        let mut tx = state.db.begin().await?;
        stoa_domain::logos::remove(&ctx, &mut tx, &slug).await?;
        tx.commit().await?;
        Ok::<_, DomainError>(())
    }
    .await;
    match result {
        Ok(()) if json => StatusCode::NO_CONTENT.into_response(),
        Ok(()) => back_to_settings(&slug),
        Err(err) => refusal(err, json, &slug),
    }
}

/// The bytes of the form's `logo` field (other fields are ignored).
async fn read_logo(
    form: Result<Multipart, MultipartRejection>,
) -> Result<Vec<u8>, (StatusCode, String)> {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The upload is too large: a logo may be at most {} KiB.",
                MAX_LOGO_BYTES / 1024
            ),
        )
    };
    let unreadable = || {
        (
            StatusCode::BAD_REQUEST,
            "The upload could not be read: send the form with an image file in its “logo” field."
                .to_owned(),
        )
    };
    let mut form = form.map_err(|_| unreadable())?;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(unreadable()),
        };
        if field.name() != Some("logo") {
            continue;
        }
        return match field.bytes().await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(_) => Err(unreadable()),
        };
    }
    Err((
        StatusCode::UNPROCESSABLE_ENTITY,
        "Choose an image file to upload.".to_owned(),
    ))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn back_to_settings(slug: &str) -> Response {
    // The service found the community by this slug, so it is a valid one; parsed again
    // anyway, so nothing but a slug ever goes into the Location header.
    match Slug::parse(slug) {
        Ok(slug) => Redirect::to(&format!("/communities/{slug}/settings")).into_response(),
        Err(_) => Redirect::to("/").into_response(),
    }
}

/// The answer for a refusal or failure: the status the server functions would give, with
/// the message.
fn refusal(err: DomainError, json: bool, slug: &str) -> Response {
    let (status, message) = match err {
        DomainError::NotFound => (StatusCode::NOT_FOUND, "We could not find that.".to_owned()),
        DomainError::SignIn => (
            StatusCode::UNAUTHORIZED,
            "Please sign in to continue.".to_owned(),
        ),
        DomainError::Forbidden => (
            StatusCode::FORBIDDEN,
            "You may not change this community's logo.".to_owned(),
        ),
        DomainError::Invalid(invalid) => (StatusCode::UNPROCESSABLE_ENTITY, invalid.to_string()),
        DomainError::Store(err) => {
            tracing::error!(error = %stoa_db::error_chain(&err), "logo request failed");
            return crate::middleware::marked_error(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    message_response(status, &message, json, slug)
}

/// `message` with `status`: JSON for scripts that ask for it, else a small page with a way
/// back to the settings (the form posts here without JavaScript).
fn message_response(status: StatusCode, message: &str, json: bool, slug: &str) -> Response {
    if json {
        let body =
            serde_json::json!({ "error": status.as_u16(), "field": "logo", "message": message });
        return (status, axum::Json(body)).into_response();
    }
    let back = Slug::parse(slug)
        .map(|s| format!("/communities/{s}/settings"))
        .unwrap_or_else(|_| "/".into());
    let message = stoa_app::escape_html(message);
    let css = crate::assets::stylesheet_href();
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Logo not changed · Stoa</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"min-h-screen bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100\">\
         <main id=\"main\" class=\"mx-auto max-w-xl px-4 py-16\">\
         <h1 class=\"text-2xl font-bold\">The logo was not changed</h1>\
         <p class=\"mt-4\" role=\"alert\" data-error-for=\"logo\">{message}</p>\
         <p class=\"mt-6\"><a class=\"underline\" href=\"{back}\">Back to the settings</a></p>\
         </main></body></html>"
    );
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn broken() -> Response {
    crate::middleware::marked_error(StatusCode::INTERNAL_SERVER_ERROR)
}
