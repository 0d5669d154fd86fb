//! Hub login over HTTP: Stoa as the OpenID Connect provider of its hubs.
//!
//! Thin handlers around `stoa_domain::hub_login`. Two groups, mounted differently:
//!
//! - [`browser_router`]: `/oauth/authorize` and `/oauth/end-session`, inside the app's
//!   layers (they need the Stoa session, and the end-session confirmation is a same-origin
//!   POST the CSRF layer checks);
//! - [`api_router`]: discovery, keys, token and userinfo, outside the session, CSRF and
//!   rate-limit layers: hubs call them server to server (token and userinfo authenticate the
//!   client or the bearer token; a hub serving a workshop sends hundreds a minute from one
//!   address, which the per-client limiter would refuse).
//!
//! Nothing here logs a code, token, secret or address.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Json, Router};
use base64::Engine as _;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use stoa_app::auth::CurrentUser;
use stoa_app::escape_html;
use stoa_db::{Clock, Db};
use stoa_domain::hub_login::{
    self, Authorize, AuthorizeRequest, EndSession, EndSessionRequest, Provider, TokenError,
    TokenRequest,
};
use stoa_domain::limits::Limits;
use stoa_domain::{Caller, Ctx, DomainError};

/// What the hub-login handlers need.
#[derive(Clone)]
pub struct HubLoginState {
    /// The store.
    pub db: Db,
    /// The clock.
    pub clock: Clock,
    /// Issuer and encryption at rest.
    pub provider: Arc<Provider>,
    /// The operator's limits (the domain's context carries them).
    pub limits: Limits,
}

impl HubLoginState {
    fn ctx(&self, user: Option<CurrentUser>) -> Ctx {
        Ctx {
            caller: user.map(|u| Caller {
                id: stoa_db::accounts::AccountId(u.id),
                email: u.email.as_deref().and_then(stoa_model::Email::parse),
                name: u.name,
                staff: u.is_staff,
            }),
            now: self.clock.now(),
            public_url: self.provider.issuer.clone(),
            limits: self.limits,
        }
    }
}

/// Authorize and end-session (browser-facing, with the session).
pub fn browser_router<S: Clone + Send + Sync + 'static>(state: HubLoginState) -> Router<S> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route(
            "/oauth/end-session",
            get(end_session).post(end_session_confirmed),
        )
        .with_state(state)
}

/// Discovery, keys, token and userinfo (server to server, no session).
pub fn api_router<S: Clone + Send + Sync + 'static>(state: HubLoginState) -> Router<S> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/token", axum::routing::post(token))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/api/hubs/usage", axum::routing::post(usage))
        .with_state(state)
}

fn internal(what: &str, err: &DomainError) -> Response {
    match err {
        DomainError::Store(e) => {
            tracing::error!(error = %stoa_db::error_chain(e), "{what} failed");
        }
        other => tracing::error!(error = %other, "{what} failed"),
    }
    crate::middleware::message_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "An error on our side stopped this page. It has been logged.",
        "-",
    )
}

/// A hub-login page: a title, a message, and optionally a link or a confirm form (all text
/// escaped here). Never cached.
fn page(status: StatusCode, title: &str, text: &str, extra: &str) -> Response {
    let css = crate::assets::stylesheet_href();
    let (title, text) = (escape_html(title), escape_html(text));
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{title} · Stoa</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"min-h-screen bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100\">\
         <main id=\"main\" class=\"mx-auto max-w-xl px-4 py-16\">\
         <h1 class=\"text-3xl font-bold\">{title}</h1>\
         <p class=\"mt-4\" data-testid=\"hub-login-message\">{text}</p>{extra}\
         <p class=\"mt-6\"><a class=\"underline\" href=\"/\">Go to Stoa</a></p>\
         </main></body></html>"
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(body))
        .expect("static parts are valid")
}

fn ask_to_join(slug: &str) -> String {
    let href = format!(
        "/communities/{}",
        utf8_percent_encode(slug, NON_ALPHANUMERIC)
    );
    format!(
        "<p class=\"mt-4\"><a class=\"underline\" data-testid=\"ask-to-join\" href=\"{}\">\
         Ask to join</a></p>",
        escape_html(&href)
    )
}

/// `GET /oauth/authorize`.
async fn authorize(
    State(state): State<HubLoginState>,
    user: Option<Extension<CurrentUser>>,
    uri: axum::http::Uri,
    Query(req): Query<AuthorizeRequest>,
) -> Response {
    let ctx = state.ctx(user.map(|u| u.0));
    let decided = async {
        let mut tx = state.db.begin().await?;
        let decided = hub_login::authorize(&state.provider, &ctx, &mut tx, &req).await?;
        tx.commit().await?;
        Ok::<_, DomainError>(decided)
    }
    .await;
    match decided {
        Ok(Authorize::Redirect(url)) => Redirect::to(url.as_str()).into_response(),
        Ok(Authorize::SignIn) => {
            // Back to this very request after signing in (an internal path; sign-in keeps
            // only internal paths, see `stoa_auth::safe_next`).
            let here = uri
                .path_and_query()
                .map_or("/oauth/authorize", |pq| pq.as_str());
            let next = stoa_auth::safe_next(Some(here));
            Redirect::to(&format!(
                "/signin?next={}",
                utf8_percent_encode(&next, NON_ALPHANUMERIC)
            ))
            .into_response()
        }
        Ok(Authorize::Refused(why)) => page(
            StatusCode::BAD_REQUEST,
            "This hub login cannot go on",
            why.message(),
            "",
        ),
        Ok(Authorize::NotMember { community, slug }) => page(
            StatusCode::FORBIDDEN,
            &format!("You are not a member of {community}"),
            &format!(
                "This hub is for the members of {community}. You can ask to join on the \
                 community's page."
            ),
            &ask_to_join(&slug),
        ),
        Ok(Authorize::MembershipEnded {
            community,
            slug,
            ended_on,
        }) => page(
            StatusCode::FORBIDDEN,
            &format!("Your membership ended on {ended_on}"),
            &format!(
                "Your membership of {community} ended on {ended_on}, so you can no longer \
                 log in to its hub. You can ask to join again on the community's page."
            ),
            &ask_to_join(&slug),
        ),
        Err(err) => internal("hub authorization", &err),
    }
}

fn end_session_response(outcome: EndSession, req: &EndSessionRequest) -> Response {
    match outcome {
        EndSession::Redirect(url) => Redirect::to(url.as_str()).into_response(),
        EndSession::Done => page(
            StatusCode::OK,
            "Signed out of the hub",
            "You are signed out of the hub. You are still signed in to Stoa.",
            "",
        ),
        EndSession::Refused(message) => page(
            StatusCode::BAD_REQUEST,
            "This sign-out cannot go on",
            message,
            "",
        ),
        EndSession::Confirm { hub } => {
            let field = |name: &str, value: Option<&str>| {
                value.map_or_else(String::new, |v| {
                    format!(
                        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                        escape_html(v)
                    )
                })
            };
            let form = format!(
                "<form method=\"post\" action=\"/oauth/end-session\" class=\"mt-6\">{}{}{}\
                 <button type=\"submit\" class=\"rounded bg-teal-700 px-4 py-2 text-white\" \
                 data-testid=\"confirm-hub-sign-out\">Sign out of the hub</button></form>",
                field("client_id", req.client_id.as_deref()),
                field(
                    "post_logout_redirect_uri",
                    req.post_logout_redirect_uri.as_deref()
                ),
                field("state", req.state.as_deref()),
            );
            page(
                StatusCode::OK,
                &format!("Sign out of the hub {hub}?"),
                "The hub asked Stoa to end your session there. You stay signed in to Stoa.",
                &form,
            )
        }
    }
}

async fn run_end_session(
    state: &HubLoginState,
    user: Option<CurrentUser>,
    req: &EndSessionRequest,
    confirmed: bool,
) -> Response {
    let ctx = state.ctx(user);
    let outcome = async {
        let mut tx = state.db.begin().await?;
        let outcome =
            hub_login::end_session(&state.provider, &ctx, &mut tx, req, confirmed).await?;
        tx.commit().await?;
        Ok::<_, DomainError>(outcome)
    }
    .await;
    match outcome {
        Ok(outcome) => end_session_response(outcome, req),
        Err(err) => internal("hub sign-out", &err),
    }
}

/// `GET /oauth/end-session`.
async fn end_session(
    State(state): State<HubLoginState>,
    user: Option<Extension<CurrentUser>>,
    Query(req): Query<EndSessionRequest>,
) -> Response {
    run_end_session(&state, user.map(|u| u.0), &req, false).await
}

/// `POST /oauth/end-session`: the signed-in person confirmed (same-origin, CSRF-checked).
async fn end_session_confirmed(
    State(state): State<HubLoginState>,
    user: Option<Extension<CurrentUser>>,
    Form(req): Form<EndSessionRequest>,
) -> Response {
    run_end_session(&state, user.map(|u| u.0), &req, true).await
}

/// JSON that must not be cached (tokens, claims).
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(State(state): State<HubLoginState>) -> Response {
    match hub_login::discovery(&state.provider) {
        Ok(doc) => ([(header::CACHE_CONTROL, "public, max-age=3600")], Json(doc)).into_response(),
        Err(err) => internal("discovery", &err),
    }
}

/// `GET /oauth/jwks`.
async fn jwks(State(state): State<HubLoginState>) -> Response {
    let keys = async {
        let now = state.clock.now();
        let keys = {
            let mut conn = state.db.read().await?;
            hub_login::jwks(&state.provider, conn.conn(), now).await?
        };
        if !keys.keys().is_empty() {
            return Ok(keys);
        }
        // Before the first login: make the first key now.
        let mut tx = state.db.begin().await?;
        hub_login::ensure_signing_key(&state.provider, tx.conn(), now).await?;
        tx.commit().await?;
        let mut conn = state.db.read().await?;
        hub_login::jwks(&state.provider, conn.conn(), now).await
    }
    .await;
    match keys {
        // Short caching: a rotated-in key must reach clients soon (they refetch on an
        // unknown kid anyway).
        Ok(keys) => ([(header::CACHE_CONTROL, "public, max-age=300")], Json(keys)).into_response(),
        Err(err) => internal("key set", &err),
    }
}

/// The form of a token request, client credentials included (client_secret_post).
#[derive(serde::Deserialize)]
struct TokenForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(flatten)]
    request: TokenRequest,
}

/// `(client_id, secret)` from `Authorization: Basic` (each part form-urlencoded, RFC 6749
/// §2.3.1); `Err` for a malformed header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    let form_decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| ())
    };
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

fn token_error(err: &TokenError) -> Response {
    let status = match err {
        TokenError::InvalidClient => StatusCode::UNAUTHORIZED,
        TokenError::Internal(e) => {
            match e {
                DomainError::Store(db) => {
                    tracing::error!(error = %stoa_db::error_chain(db), "token request failed");
                }
                other => tracing::error!(error = %other, "token request failed"),
            }
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    if !matches!(err, TokenError::Internal(_)) {
        tracing::info!(oauth.error = err.code(), "token request refused");
    }
    let mut res = no_store(
        status,
        serde_json::json!({"error": err.code(), "error_description": err.description()}),
    );
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"stoa\""),
        );
    }
    res
}

/// `POST /oauth/token`.
async fn token(
    State(state): State<HubLoginState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return token_error(&TokenError::InvalidRequest(
            "The body must be application/x-www-form-urlencoded.",
        ));
    };
    let credentials = match (
        basic_credentials(&headers),
        &form.client_id,
        &form.client_secret,
    ) {
        (Err(()), _, _) => return token_error(&TokenError::InvalidClient),
        (Ok(Some(_)), _, Some(_)) => {
            return token_error(&TokenError::InvalidRequest(
                "Use one client authentication method, not two.",
            ));
        }
        (Ok(Some(pair)), _, None) => pair,
        (Ok(None), Some(id), Some(secret)) => (id.clone(), secret.clone()),
        (Ok(None), _, _) => return token_error(&TokenError::InvalidClient),
    };
    let issued = async {
        let mut tx = state
            .db
            .begin()
            .await
            .map_err(|e| TokenError::Internal(e.into()))?;
        let result = hub_login::token(
            &state.provider,
            &mut tx,
            &credentials.0,
            &credentials.1,
            &form.request,
            state.clock.now(),
        )
        .await;
        // Refusals commit too: a reused code or refresh token revokes its grant.
        tx.commit()
            .await
            .map_err(|e| TokenError::Internal(e.into()))?;
        result
    }
    .await;
    match issued {
        Ok(tokens) => match serde_json::to_value(&tokens) {
            Ok(body) => no_store(StatusCode::OK, body),
            Err(e) => token_error(&TokenError::Internal(DomainError::Store(
                stoa_db::DbError::Config(e.to_string()),
            ))),
        },
        Err(err) => token_error(&err),
    }
}

fn invalid_token() -> Response {
    let mut res = no_store(
        StatusCode::UNAUTHORIZED,
        serde_json::json!({"error": "invalid_token", "error_description": "The access token is invalid, expired or no longer grants access."}),
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    res
}

/// `POST /api/hubs/usage`: a hub reports a server start, authenticated as its OAuth client
/// (Basic). 204 when recorded (or known already), 401 for bad credentials, 422 with the
/// field and message for a bad report.
async fn usage(
    State(state): State<HubLoginState>,
    headers: HeaderMap,
    body: Result<
        Json<stoa_domain::provisioning::UsageReport>,
        axum::extract::rejection::JsonRejection,
    >,
) -> Response {
    let unauthorized = || {
        let mut res = no_store(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "invalid_client"}),
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"stoa\""),
        );
        res
    };
    let Ok(Some((id, secret))) = basic_credentials(&headers) else {
        return unauthorized();
    };
    let hub = match state.db.read().await {
        Ok(mut conn) => hub_login::authenticate_client(conn.conn(), &id, &secret).await,
        Err(e) => Err(e.into()),
    };
    let hub = match hub {
        Ok(Some(hub)) => hub,
        Ok(None) => return unauthorized(),
        Err(e) => return internal("usage report", &e),
    };
    let Ok(Json(report)) = body else {
        return no_store(
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({"field": "body", "message": "A JSON object with user, server, event and at."}),
        );
    };
    let recorded = async {
        let mut tx = state.db.begin().await?;
        let known =
            stoa_domain::provisioning::record_usage(tx.conn(), hub, &report, state.clock.now())
                .await?;
        tx.commit().await?;
        Ok::<_, DomainError>(known)
    }
    .await;
    match recorded {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(DomainError::Invalid(invalid)) => {
            let (field, message) = invalid
                .0
                .first()
                .map(|e| (e.field.clone(), e.message.clone()))
                .unwrap_or_default();
            no_store(
                StatusCode::UNPROCESSABLE_ENTITY,
                serde_json::json!({"field": field, "message": message}),
            )
        }
        Err(e) => internal("usage report", &e),
    }
}

/// `GET|POST /oauth/userinfo` with `Authorization: Bearer`.
async fn userinfo(State(state): State<HubLoginState>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
    else {
        let mut res = no_store(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "invalid_request", "error_description": "A bearer token is required."}),
        );
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    };
    let claims = async {
        let mut conn = state.db.read().await?;
        hub_login::userinfo(conn.conn(), token, state.clock.now()).await
    }
    .await;
    match claims {
        Ok(Some(claims)) => match serde_json::to_value(&claims) {
            Ok(body) => no_store(StatusCode::OK, body),
            Err(_) => invalid_token(),
        },
        Ok(None) => invalid_token(),
        Err(err) => {
            if let DomainError::Store(e) = &err {
                tracing::error!(error = %stoa_db::error_chain(e), "userinfo failed");
            }
            no_store(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"error": "server_error"}),
            )
        }
    }
}
