//! Server-only context helpers for server functions and pages.

use leptos::prelude::*;
use stoa_db::{Db, DbError};
use stoa_domain::{Caller, Ctx, DomainError};

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

/// The operator's abuse limits (from the server's configuration).
pub fn limits() -> Result<stoa_domain::limits::Limits, AppError> {
    use_context::<stoa_domain::limits::Limits>()
        .ok_or_else(|| internal("the limits are missing from the context"))
}

/// The staff configuration of hubs (sizes, default bounds, starter image).
pub fn hub_config() -> Result<std::sync::Arc<stoa_domain::hubs::HubConfig>, AppError> {
    use_context::<std::sync::Arc<stoa_domain::hubs::HubConfig>>()
        .ok_or_else(|| internal("the hub configuration is missing from the context"))
}

/// The catalog list pages this process keeps (one cache per application).
pub fn catalog_cache() -> Result<std::sync::Arc<stoa_domain::catalog::ListCache>, AppError> {
    use_context::<std::sync::Arc<stoa_domain::catalog::ListCache>>()
        .ok_or_else(|| internal("the catalog cache is missing from the context"))
}

/// The support desk: SLA targets and the team's business hours.
pub fn support_desk() -> Result<std::sync::Arc<stoa_domain::support::Desk>, AppError> {
    use_context::<std::sync::Arc<stoa_domain::support::Desk>>()
        .ok_or_else(|| internal("the support desk is missing from the context"))
}

/// The plans on offer and the currency (`[billing]`).
pub fn billing_config() -> Result<std::sync::Arc<stoa_domain::billing::BillingConfig>, AppError> {
    use_context::<std::sync::Arc<stoa_domain::billing::BillingConfig>>()
        .ok_or_else(|| internal("the billing configuration is missing from the context"))
}

/// Where hub changes are queued from this process.
pub fn queueing() -> Result<stoa_domain::provisioning::Queueing, AppError> {
    use_context::<stoa_domain::provisioning::Queueing>()
        .ok_or_else(|| internal("the job queue is missing from the context"))
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
        DomainError::from(err).into()
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::NotFound => AppError::NotFound,
            DomainError::SignIn => AppError::Unauthorized,
            DomainError::Forbidden => AppError::Forbidden,
            DomainError::Invalid(invalid) => invalid.into(),
            DomainError::Store(err) => internal(err),
        }
    }
}

/// What the domain services are given for this request: the signed-in person, the time (the
/// server's clock, which tests move) and the public URL.
pub fn ctx() -> Result<Ctx, AppError> {
    let auth = auth()?;
    Ok(Ctx {
        caller: current_user().map(|u| Caller {
            id: stoa_db::accounts::AccountId(u.id),
            email: u.email.as_deref().and_then(stoa_model::Email::parse),
            name: u.name,
            staff: u.is_staff,
        }),
        now: auth.clock().now(),
        public_url: auth.public_url().to_owned(),
        limits: limits()?,
    })
}

/// Runs a read-only service on a pooled connection; the body of a reading server function.
pub async fn read<T>(
    service: impl AsyncFnOnce(&Ctx, stoa_db::Conn<'_>) -> Result<T, DomainError>,
) -> Result<T, AppError> {
    respond(async move {
        let ctx = ctx()?;
        let db = db()?;
        let mut conn = db.read().await?;
        Ok(service(&ctx, conn.conn()).await?)
    })
    .await
}

/// Runs a service in a write transaction and commits it if the service succeeds (a refusal
/// or failure rolls everything back); the body of a changing server function.
pub async fn write<T>(
    service: impl AsyncFnOnce(&Ctx, &mut stoa_db::WriteTx) -> Result<T, DomainError>,
) -> Result<T, AppError> {
    respond(async move {
        let ctx = ctx()?;
        let db = db()?;
        let mut tx = db.begin().await?;
        let out = service(&ctx, &mut tx).await?;
        tx.commit().await?;
        Ok(out)
    })
    .await
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

/// What a plain HTML form posted to a server function led to, handed by the server's form
/// layer (`stoa_server::forms`) to the page the browser is sent to next, through the request
/// extensions. Pages render on the server only (islands), so every `ActionForm` is a plain
/// form; [`crate::components::forms::form_action`] turns this back into the action's value,
/// which the form's `FieldError`, `FormError` and `Saved` show as with a client-side call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FormOutcome {
    /// The server function's path, e.g. `/api/community/update`.
    pub action: String,
    /// Its answer as JSON, or why it refused.
    pub result: Result<serde_json::Value, AppError>,
    /// What the person had typed, field by field, when it refused (empty on success), so the
    /// form shows it again.
    pub fields: Vec<(String, String)>,
}

/// The outcome of the plain form submission that led to this page, if any.
pub fn form_outcome() -> Option<FormOutcome> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<FormOutcome>().cloned())
}

/// Name of the response header that asks the form layer to keep the submitted values for the
/// next view of the page even though the function succeeded (a "show the changes first"
/// submission: the person goes on editing what they typed).
pub const KEEP_TYPED_HEADER: &str = "x-stoa-keep-typed";

/// Marks this server function's answer so a plain form post keeps what was typed.
pub fn keep_typed_values() {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.insert_header(
            http::HeaderName::from_static(KEEP_TYPED_HEADER),
            http::HeaderValue::from_static("1"),
        );
    }
}

/// Sends the browser to `path` once the server function succeeds: a client-side call
/// navigates there, a plain form post is redirected there (`stoa_server::forms`).
pub fn go_to(path: &str) {
    leptos_axum::redirect(path);
}

/// Marks an answer whose `Location` leaves Stoa on purpose (a payment page Stripe hosts).
pub const LEAVE_HEADER: &str = "x-stoa-leave";

/// Sends the browser to `url`, a page of another site that Stoa chose (never a URL the
/// person typed): Stripe's Checkout or Customer Portal.
pub fn leave_to(url: &str) {
    leptos_axum::redirect(url);
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.insert_header(
            http::HeaderName::from_static(LEAVE_HEADER),
            http::HeaderValue::from_static("1"),
        );
    }
}

/// Stripe, when configured (`stripe_secret_key`).
pub fn stripe() -> Option<std::sync::Arc<stoa_domain::stripe::Client>> {
    use_context::<std::sync::Arc<stoa_domain::stripe::Client>>()
}

/// The server's clock (tests move it).
pub fn now() -> Result<stoa_db::Timestamp, AppError> {
    Ok(auth()?.clock().now())
}

pub use stoa_domain::{date_of, start_of};
