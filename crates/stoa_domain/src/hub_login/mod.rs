//! Stoa is the OpenID Connect provider of its hubs: people log in to their community's
//! JupyterHub with their Stoa account (the hub runs oauthenticator's GenericOAuthenticator
//! against Stoa; see README "Hub login").
//!
//! - Each hub is one confidential client ([`ensure_client`], called by provisioning), with
//!   exact redirect URIs and a secret stored encrypted (Stoa writes it into the hub's config)
//!   and as a SHA-256 hash ([`authenticate_client`] compares in constant time).
//! - [`authorize`]: code flow only, PKCE S256 required, no consent screen (the hubs are
//!   Stoa's own). Who may log in: an active member of the hub's community, or someone whose
//!   verified address is in one of the applied revision's `login.email_domains` (they join as
//!   a member on the spot, with an audit entry).
//! - [`token`]: codes are single use and live 60 s; a code used twice revokes what its first
//!   use got. Refresh tokens rotate; an old one used again revokes the grant.
//! - [`userinfo`] reads everything fresh: a membership that ended answers "invalid token", so
//!   the hub's next refresh fails and the person is sent back through login.
//! - [`end_session`]: ends the person's grant for that hub (not their Stoa session).
//!
//! Codes and tokens are random 256-bit values stored only as SHA-256 hashes. Nothing here
//! logs a token, code, secret or address.

mod keys;
mod username;

use chrono::TimeDelta;
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, AuthorizationCode, EndUserEmail, EndUserName,
    EndUserUsername, IdToken, IdTokenClaims, IssuerUrl, Nonce, StandardClaims, SubjectIdentifier,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use stoa_auth::{SecretBox, hash_token, random_token};
use stoa_db::accounts::{self, AccountId};
use stoa_db::hub_login::{self as db, Client, CodeUse, GrantId, RefreshUse};
use stoa_db::hubs::{self, HubId};
use stoa_db::{Conn, DbError, Timestamp, WriteTx, communities, memberships};
use stoa_model::Role;
use subtle::ConstantTimeEq as _;

use crate::audit::Audit;
use crate::{Ctx, DomainError, Result, date_of};

pub use keys::{Discovery, RETIRED_KEYS_PUBLISHED, ensure_signing_key, jwks, rotate_signing_key};
pub use username::base_name as username_base;

/// How long an authorization code may be exchanged.
pub const CODE_TTL: TimeDelta = TimeDelta::seconds(60);
/// How long an access token (for userinfo) works.
pub const ACCESS_TOKEN_TTL: TimeDelta = TimeDelta::hours(1);
/// How long an ID token is valid.
pub const ID_TOKEN_TTL: TimeDelta = TimeDelta::hours(1);
/// How long a refresh token works unused (each refresh gives a new one).
pub const REFRESH_TOKEN_TTL: TimeDelta = TimeDelta::days(30);
/// Scopes a hub may ask for. `openid` is required; the others select claims.
pub const SCOPES: &[&str] = &["openid", "profile", "email", "groups", "offline_access"];

/// Group of everyone the hub should let in.
pub const GROUP_MEMBERS: &str = "stoa-members";
/// Group of the hub's admins (the community's owners and admins).
pub const GROUP_HUB_ADMINS: &str = "stoa-hub-admins";

/// The provider's settings: its issuer (Stoa's public URL, no trailing slash) and the key
/// that client secrets and signing keys are encrypted with.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Issuer, also the base of every endpoint.
    pub issuer: String,
    /// Encryption at rest.
    pub secrets: SecretBox,
}

impl Provider {
    /// A provider for `public_url` (a trailing slash is dropped).
    pub fn new(public_url: &str, secrets: SecretBox) -> Provider {
        Provider {
            issuer: public_url.trim_end_matches('/').to_owned(),
            secrets,
        }
    }
}

/// The discovery document.
pub fn discovery(p: &Provider) -> Result<Discovery> {
    keys::discovery(p)
}

/// What a hub is configured with.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// `hub-<hub slug>`.
    pub client_id: String,
    /// The secret, decrypted.
    pub client_secret: SecretString,
}

fn client_context(client_id: &str) -> String {
    format!("oauth_client:{client_id}")
}

fn uris_json(uri: &str) -> String {
    serde_json::to_string(&[uri]).unwrap_or_else(|_| "[]".into())
}

fn uris_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn check_uri(field: &str, uri: &str) -> Result<()> {
    match url::Url::parse(uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.fragment().is_none() => Ok(()),
        _ => Err(DomainError::invalid(
            field,
            "Must be an absolute http(s) URL without a fragment.",
        )),
    }
}

/// The hub's client: created with a fresh secret when missing, its URIs replaced when they
/// changed. Returns the client id and the decrypted secret (for the hub's configuration).
pub async fn ensure_client(
    p: &Provider,
    tx: &mut WriteTx,
    hub: HubId,
    redirect_uri: &str,
    post_logout_redirect_uri: &str,
    now: Timestamp,
) -> Result<ClientCredentials> {
    check_uri("redirect_uri", redirect_uri)?;
    check_uri("post_logout_redirect_uri", post_logout_redirect_uri)?;
    let (redirects, logouts) = (uris_json(redirect_uri), uris_json(post_logout_redirect_uri));
    if let Some(client) = db::client_of_hub(tx.conn(), hub).await? {
        if client.redirect_uris != redirects || client.post_logout_redirect_uris != logouts {
            db::set_client_uris(tx.conn(), client.id, &redirects, &logouts, now).await?;
        }
        let context = client_context(&client.client_id);
        let opened = p
            .secrets
            .open(&context, &client.secret_sealed)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let secret = match opened {
            Some(secret) => secret,
            None => {
                // Sealed under another secret_key: a new secret, which provisioning writes
                // into the hub's configuration as it would the old one.
                tracing::warn!(oauth.client_id = %client.client_id, "a hub client secret cannot be read; made a new one");
                let secret = random_token();
                db::set_client_secret(
                    tx.conn(),
                    client.id,
                    &p.secrets.seal(&context, secret.as_bytes()),
                    &hash_token(&secret),
                    now,
                )
                .await?;
                secret
            }
        };
        return Ok(ClientCredentials {
            client_id: client.client_id,
            client_secret: SecretString::from(secret),
        });
    }
    let h = hubs::get(tx.conn(), hub)
        .await?
        .ok_or(DomainError::NotFound)?;
    let client_id = format!("hub-{}", h.slug);
    let secret = random_token();
    db::create_client(
        tx.conn(),
        &db::NewClient {
            hub_id: hub,
            client_id: &client_id,
            secret_sealed: &p
                .secrets
                .seal(&client_context(&client_id), secret.as_bytes()),
            secret_hash: &hash_token(&secret),
            redirect_uris: &redirects,
            post_logout_redirect_uris: &logouts,
        },
        now,
    )
    .await?;
    tracing::info!(hub.id = hub.0, oauth.client_id = %client_id, "hub login client created");
    Ok(ClientCredentials {
        client_id,
        client_secret: SecretString::from(secret),
    })
}

/// The client `client_id` if `secret` is its secret (compared in constant time).
async fn authenticated(conn: Conn<'_>, client_id: &str, secret: &str) -> Result<Option<Client>> {
    let client = db::client(conn, client_id).await?;
    // Hash even for an unknown client, so timing says nothing about which ids exist.
    let presented = hash_token(secret);
    Ok(client.filter(|c| bool::from(c.secret_hash.as_bytes().ct_eq(presented.as_bytes()))))
}

/// The hub whose client `client_id` has `secret`, if any. Also used for the hubs' calls to
/// Stoa with Basic auth.
pub async fn authenticate_client(
    conn: Conn<'_>,
    client_id: &str,
    secret: &str,
) -> Result<Option<HubId>> {
    Ok(authenticated(conn, client_id, secret)
        .await?
        .map(|c| c.hub_id))
}

// ----------------------------------------------------------------------------------------
// Claims

/// What Stoa says about a person to a hub (ID token and userinfo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// Stable, opaque per account (random, see `username::ensure`).
    pub sub: String,
    /// The hub username (`profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Display name (`profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Verified address (`email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Always true when `email` is given: Stoa keeps only verified addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// `stoa-members`, `stoa-role-<role>`, `stoa-hub-admins` (`groups`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Whether the person administers the hub (`groups`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_admin: Option<bool>,
}

/// The groups of someone with `role` in the hub's community.
pub fn groups_of(role: Role) -> Vec<String> {
    let mut groups = vec![
        GROUP_MEMBERS.to_owned(),
        format!("stoa-role-{}", role.as_str()),
    ];
    if is_hub_admin(role) {
        groups.push(GROUP_HUB_ADMINS.to_owned());
    }
    groups
}

/// Hub admins are the community's owners and admins (staff of Stoa are not, by being staff).
pub fn is_hub_admin(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin)
}

fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

/// The claims about `account` for `client` now, filtered by `scope`; None when the person has
/// no active membership in the hub's community (anymore).
async fn claims_for(
    mut conn: Conn<'_>,
    client: &Client,
    account: AccountId,
    scope: &str,
    now: Timestamp,
) -> Result<Option<Claims>> {
    let Some(hub) = hubs::get(conn.reborrow(), client.hub_id).await? else {
        return Ok(None);
    };
    let Some((role, _)) =
        memberships::active(conn.reborrow(), hub.community_id, account, now).await?
    else {
        return Ok(None);
    };
    let person = match accounts::get(conn.reborrow(), account).await {
        Ok(person) => person,
        Err(DbError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (username, subject) = db::hub_identity(conn, account).await?;
    let (Some(username), Some(sub)) = (username, subject) else {
        return Ok(None);
    };
    let profile = has_scope(scope, "profile");
    let email = has_scope(scope, "email");
    let groups = has_scope(scope, "groups");
    Ok(Some(Claims {
        sub,
        preferred_username: profile.then_some(username),
        name: profile.then_some(person.name),
        email_verified: (email && person.email.is_some()).then_some(true),
        email: person.email.filter(|_| email),
        groups: groups.then(|| groups_of(role)),
        hub_admin: groups.then_some(is_hub_admin(role)),
    }))
}

/// Stoa's claims beyond the standard ones, in ID tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubClaims {
    /// See [`Claims::groups`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// See [`Claims::hub_admin`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_admin: Option<bool>,
}

impl AdditionalClaims for HubClaims {}

/// An ID token as Stoa signs it.
pub type HubIdToken =
    IdToken<HubClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

// ----------------------------------------------------------------------------------------
// Authorize

/// The query of an authorization request, as received.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeRequest {
    /// Must be `code`.
    pub response_type: Option<String>,
    /// The hub's client id.
    pub client_id: Option<String>,
    /// Must equal a registered URI exactly.
    pub redirect_uri: Option<String>,
    /// Space-separated; must include `openid`.
    pub scope: Option<String>,
    /// Echoed back.
    pub state: Option<String>,
    /// Put in the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge (required).
    pub code_challenge: Option<String>,
    /// Must be `S256`.
    pub code_challenge_method: Option<String>,
    /// `none`: fail rather than show anything.
    pub prompt: Option<String>,
}

/// Why no redirect back to the hub is safe: shown as a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadRequest {
    /// No such client.
    UnknownClient,
    /// The redirect URI is missing or not registered for the client.
    UnregisteredRedirect,
}

impl BadRequest {
    /// What the page says.
    pub fn message(self) -> &'static str {
        match self {
            BadRequest::UnknownClient => "This login request names a hub Stoa does not know.",
            BadRequest::UnregisteredRedirect => {
                "This login request would return to an address the hub has not registered, so \
                 Stoa will not send you there."
            }
        }
    }
}

/// What the authorization endpoint does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorize {
    /// Show an error page; never redirect.
    Refused(BadRequest),
    /// Send the person to sign in to Stoa, then back to the same request.
    SignIn,
    /// Send the browser back to the hub (with a code, or with `error=`).
    Redirect(url::Url),
    /// The person is not a member of the hub's community: say so and link to ask to join.
    NotMember {
        /// Community name.
        community: String,
        /// Community slug (`/communities/<slug>`).
        slug: String,
    },
    /// The person's membership ended.
    MembershipEnded {
        /// Community name.
        community: String,
        /// Community slug.
        slug: String,
        /// `YYYY-MM-DD`.
        ended_on: String,
    },
}

/// An authorization response to `redirect_uri`: the given parameters plus `state` and `iss`.
fn respond(
    p: &Provider,
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Authorize {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return Authorize::Refused(BadRequest::UnregisteredRedirect);
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &p.issuer);
    }
    Authorize::Redirect(url)
}

fn valid_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Decides an authorization request for the signed-in person in `ctx` (if any) and, when
/// they may log in to the hub, issues a code. Joins them to the community first when an
/// email-domain rule of the hub's applied revision lets them in.
pub async fn authorize(
    p: &Provider,
    ctx: &Ctx,
    tx: &mut WriteTx,
    req: &AuthorizeRequest,
) -> Result<Authorize> {
    // Until the client and its redirect URI are known, nothing may be redirected.
    let Some(client) = (match req.client_id.as_deref() {
        Some(id) => db::client(tx.conn(), id).await?,
        None => None,
    }) else {
        return Ok(Authorize::Refused(BadRequest::UnknownClient));
    };
    let Some(redirect_uri) = req
        .redirect_uri
        .as_deref()
        .filter(|uri| uris_of(&client.redirect_uris).iter().any(|r| r == uri))
    else {
        return Ok(Authorize::Refused(BadRequest::UnregisteredRedirect));
    };
    let state = req.state.as_deref();
    let error = |code: &str, description: &str| {
        respond(
            p,
            redirect_uri,
            &[("error", code), ("error_description", description)],
            state,
        )
    };
    if req.response_type.as_deref() != Some("code") {
        return Ok(error(
            "unsupported_response_type",
            "Only the authorization code flow (response_type=code) is supported.",
        ));
    }
    let scope = req.scope.as_deref().unwrap_or_default();
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !scopes.contains(&"openid") || scopes.iter().any(|s| !SCOPES.contains(s)) {
        return Ok(error(
            "invalid_scope",
            "The scope must include openid and only: openid profile email groups offline_access.",
        ));
    }
    if req.code_challenge_method.as_deref() != Some("S256")
        || !req.code_challenge.as_deref().is_some_and(valid_pkce_value)
    {
        return Ok(error(
            "invalid_request",
            "PKCE is required: code_challenge with code_challenge_method=S256.",
        ));
    }
    let Some(caller) = ctx.caller.as_ref() else {
        if req.prompt.as_deref() == Some("none") {
            return Ok(error("login_required", "Sign in to Stoa first."));
        }
        return Ok(Authorize::SignIn);
    };
    let hub = hubs::get(tx.conn(), client.hub_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let community = communities::by_id(tx.conn(), hub.community_id).await?;
    // The community's changes are serialised (see `access::change`): a membership made here
    // cannot race a removal.
    communities::lock(tx.conn(), community.slug.as_str()).await?;
    let active = memberships::active(tx.conn(), community.id, caller.id, ctx.now).await?;
    if active.is_none() {
        if let Some(ended) = memberships::get(tx.conn(), community.id, caller.id).await? {
            // Still on record but past its end (the sweep removes it soon).
            return Ok(Authorize::MembershipEnded {
                community: community.name,
                slug: community.slug.to_string(),
                ended_on: ended.ends_at.map(date_of).unwrap_or_default(),
            });
        }
        let Some(domain) = joining_domain(tx, &hub, caller).await? else {
            return Ok(Authorize::NotMember {
                community: community.name,
                slug: community.slug.to_string(),
            });
        };
        memberships::add(
            tx.conn(),
            community.id,
            caller.id,
            Role::Member,
            None,
            ctx.now,
        )
        .await?;
        Audit::by(caller, "membership.joined_by_login_rule", &caller.name)
            .community(&community)
            .after(json!({"role": Role::Member, "email_domain": domain, "hub": hub.slug}))
            .record(tx.conn(), ctx.now)
            .await?;
        tracing::info!(
            account.id = caller.id.0,
            community.id = community.id.0,
            "joined a community by its hub's email-domain rule"
        );
    }
    username::ensure(tx.conn(), caller.id, &caller.name, ctx.now).await?;
    let code = random_token();
    db::insert_code(
        tx.conn(),
        &db::NewCode {
            code_hash: &hash_token(&code),
            client_id: client.id,
            account_id: caller.id,
            redirect_uri,
            scope: &scopes.join(" "),
            nonce: req.nonce.as_deref(),
            code_challenge: req.code_challenge.as_deref().unwrap_or_default(),
            expires_at: ctx.now + CODE_TTL,
        },
        ctx.now,
    )
    .await?;
    Ok(respond(p, redirect_uri, &[("code", &code)], state))
}

/// The email domain of the hub's applied revision that lets `caller` in, if any.
async fn joining_domain(
    tx: &mut WriteTx,
    hub: &hubs::Hub,
    caller: &crate::Caller,
) -> Result<Option<String>> {
    let (Some(email), Some(applied)) = (caller.email.as_ref(), hub.applied_revision) else {
        return Ok(None);
    };
    let Some(revision) = hubs::revision(tx.conn(), hub.id, applied).await? else {
        return Ok(None);
    };
    let spec = stoa_hubs::HubSpec::from_json(&revision.spec).map_err(|e| {
        DomainError::Store(DbError::Config(format!(
            "hub {} revision {applied}: {e}",
            hub.slug
        )))
    })?;
    let domain = email.domain().to_ascii_lowercase();
    Ok(spec
        .login
        .email_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&domain))
        .then_some(domain))
}

// ----------------------------------------------------------------------------------------
// Token

/// A token request's form, as received (client credentials apart).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenRequest {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: Option<String>,
    /// The code.
    pub code: Option<String>,
    /// Must equal the authorization request's.
    pub redirect_uri: Option<String>,
    /// PKCE verifier.
    pub code_verifier: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// A successful token response (RFC 6749 §5.1). Holds secrets: `Debug` shows none.
#[derive(Clone, Serialize)]
pub struct TokenResponse {
    /// Opaque bearer token for userinfo.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the access token works.
    pub expires_in: i64,
    /// The next refresh token.
    pub refresh_token: String,
    /// Signed ID token.
    pub id_token: String,
    /// Granted scopes.
    pub scope: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Token endpoint errors (RFC 6749 §5.2).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Missing or malformed parameter.
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// Client authentication failed.
    #[error("invalid_client")]
    InvalidClient,
    /// The code or refresh token is invalid, expired, used, or not this client's.
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    /// Not a grant type Stoa supports.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// Something failed on Stoa's side.
    #[error("server_error")]
    Internal(#[source] DomainError),
}

impl TokenError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidClient => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::Internal(_) => "server_error",
        }
    }

    /// The `error_description` (safe to show).
    pub fn description(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(d) | TokenError::InvalidGrant(d) => d,
            TokenError::InvalidClient => "Client authentication failed.",
            TokenError::UnsupportedGrantType => {
                "Supported grant types: authorization_code, refresh_token."
            }
            TokenError::Internal(_) => "Something went wrong on Stoa's side.",
        }
    }
}

impl From<DbError> for TokenError {
    fn from(e: DbError) -> Self {
        TokenError::Internal(DomainError::Store(e))
    }
}

impl From<DomainError> for TokenError {
    fn from(e: DomainError) -> Self {
        TokenError::Internal(e)
    }
}

/// BASE64URL(SHA-256(verifier)) == challenge, in constant time.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine as _;
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// The token endpoint: authenticates the client (`client_id`, `secret`: from Basic auth or
/// the form), then redeems a code or a refresh token.
pub async fn token(
    p: &Provider,
    tx: &mut WriteTx,
    client_id: &str,
    secret: &str,
    req: &TokenRequest,
    now: Timestamp,
) -> Result<TokenResponse, TokenError> {
    let client = authenticated(tx.conn(), client_id, secret)
        .await?
        .ok_or(TokenError::InvalidClient)?;
    match req.grant_type.as_deref() {
        Some("authorization_code") => redeem_code(p, tx, &client, req, now).await,
        Some("refresh_token") => refresh(p, tx, &client, req, now).await,
        Some(_) => Err(TokenError::UnsupportedGrantType),
        None => Err(TokenError::InvalidRequest("grant_type is missing.")),
    }
}

async fn redeem_code(
    p: &Provider,
    tx: &mut WriteTx,
    client: &Client,
    req: &TokenRequest,
    now: Timestamp,
) -> Result<TokenResponse, TokenError> {
    let code = req
        .code
        .as_deref()
        .ok_or(TokenError::InvalidRequest("code is missing."))?;
    let verifier = req
        .code_verifier
        .as_deref()
        .filter(|v| valid_pkce_value(v))
        .ok_or(TokenError::InvalidRequest(
            "code_verifier is missing or malformed (PKCE is required).",
        ))?;
    let code_hash = hash_token(code);
    let stored = match db::use_code(tx.conn(), &code_hash, now).await? {
        CodeUse::Fresh(stored) => stored,
        CodeUse::Reused(grant) => {
            // A code seen twice was copied: whatever its first use got is revoked.
            if let Some(grant) = grant {
                db::revoke_grant(tx.conn(), grant, now).await?;
            }
            tracing::warn!(oauth.client_id = %client.client_id, "an authorization code was used twice; its grant is revoked");
            return Err(TokenError::InvalidGrant("The code was used already."));
        }
        CodeUse::Invalid => {
            return Err(TokenError::InvalidGrant("The code is invalid or expired."));
        }
    };
    if stored.client_id != client.id {
        return Err(TokenError::InvalidGrant(
            "The code was issued to another client.",
        ));
    }
    if req.redirect_uri.as_deref() != Some(stored.redirect_uri.as_str()) {
        return Err(TokenError::InvalidGrant(
            "redirect_uri differs from the authorization request's.",
        ));
    }
    if !pkce_matches(verifier, &stored.code_challenge) {
        return Err(TokenError::InvalidGrant(
            "The code_verifier does not match.",
        ));
    }
    let grant =
        db::create_grant(tx.conn(), client.id, stored.account_id, &stored.scope, now).await?;
    db::set_code_grant(tx.conn(), &code_hash, grant).await?;
    issue(
        p,
        tx,
        client,
        grant,
        stored.account_id,
        &stored.scope,
        stored.nonce.as_deref(),
        now,
    )
    .await
}

async fn refresh(
    p: &Provider,
    tx: &mut WriteTx,
    client: &Client,
    req: &TokenRequest,
    now: Timestamp,
) -> Result<TokenResponse, TokenError> {
    let presented = req
        .refresh_token
        .as_deref()
        .ok_or(TokenError::InvalidRequest("refresh_token is missing."))?;
    let grant = match db::use_refresh_token(tx.conn(), &hash_token(presented), now).await? {
        RefreshUse::Fresh(grant) => grant,
        RefreshUse::Reused(grant) => {
            // Only the newest refresh token works; an older one back means a copy exists.
            db::revoke_grant(tx.conn(), grant, now).await?;
            tracing::warn!(oauth.client_id = %client.client_id, "a used refresh token was presented again; its grant is revoked");
            return Err(TokenError::InvalidGrant(
                "The refresh token was used already or revoked.",
            ));
        }
        RefreshUse::Invalid => {
            return Err(TokenError::InvalidGrant(
                "The refresh token is invalid or expired.",
            ));
        }
    };
    if grant.client_id != client.id {
        return Err(TokenError::InvalidGrant(
            "The refresh token was issued to another client.",
        ));
    }
    issue(
        p,
        tx,
        client,
        grant.id,
        grant.account_id,
        &grant.scope,
        None,
        now,
    )
    .await
}

/// Issues access, refresh and ID tokens under `grant`, if the person still has access.
async fn issue(
    p: &Provider,
    tx: &mut WriteTx,
    client: &Client,
    grant: GrantId,
    account: AccountId,
    scope: &str,
    nonce: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, TokenError> {
    let Some(claims) = claims_for(tx.conn(), client, account, scope, now).await? else {
        db::revoke_grant(tx.conn(), grant, now).await?;
        return Err(TokenError::InvalidGrant(
            "The person no longer has access to this hub.",
        ));
    };
    let access_token = random_token();
    let refresh_token = random_token();
    db::insert_access_token(
        tx.conn(),
        &hash_token(&access_token),
        grant,
        now,
        now + ACCESS_TOKEN_TTL,
    )
    .await?;
    db::insert_refresh_token(
        tx.conn(),
        &hash_token(&refresh_token),
        grant,
        now,
        now + REFRESH_TOKEN_TTL,
    )
    .await?;
    let key = keys::current(p, tx.conn(), now).await?;
    let issuer = IssuerUrl::new(p.issuer.clone())
        .map_err(|e| DomainError::Store(DbError::Config(format!("issuer: {e}"))))?;
    let mut standard = StandardClaims::new(SubjectIdentifier::new(claims.sub.clone()))
        .set_preferred_username(claims.preferred_username.clone().map(EndUserUsername::new))
        .set_email(claims.email.clone().map(EndUserEmail::new))
        .set_email_verified(claims.email_verified);
    if let Some(name) = claims.name.clone() {
        standard = standard.set_name(Some(EndUserName::new(name).into()));
    }
    let id_claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(client.client_id.clone())],
        (now + ID_TOKEN_TTL).as_datetime(),
        now.as_datetime(),
        standard,
        HubClaims {
            groups: claims.groups.clone(),
            hub_admin: claims.hub_admin,
        },
    )
    .set_nonce(nonce.map(|n| Nonce::new(n.to_owned())));
    let at = AccessToken::new(access_token.clone());
    let id_token = HubIdToken::new(
        id_claims,
        &key,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(&at),
        None::<&AuthorizationCode>,
    )
    .map_err(|e| DomainError::Store(DbError::Config(format!("signing an ID token: {e}"))))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_TTL.num_seconds(),
        refresh_token,
        id_token: id_token.to_string(),
        scope: scope.to_owned(),
    })
}

// ----------------------------------------------------------------------------------------
// Userinfo

/// The claims for a bearer `access_token`, read fresh; None when the token is unknown,
/// expired or revoked, or the person's membership has ended (the hub must then treat the
/// token as invalid).
pub async fn userinfo(
    mut conn: Conn<'_>,
    access_token: &str,
    now: Timestamp,
) -> Result<Option<Claims>> {
    let Some(grant) =
        db::grant_of_access_token(conn.reborrow(), &hash_token(access_token), now).await?
    else {
        return Ok(None);
    };
    let client = db::client_by_key(conn.reborrow(), grant.client_id).await?;
    claims_for(conn, &client, grant.account_id, &grant.scope, now).await
}

// ----------------------------------------------------------------------------------------
// End session

/// An end-session request (OpenID Connect RP-Initiated Logout), as received.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndSessionRequest {
    /// The hub's client id.
    pub client_id: Option<String>,
    /// Where to send the browser afterwards; must be registered exactly.
    pub post_logout_redirect_uri: Option<String>,
    /// An ID token Stoa issued to this client: names the person without asking them.
    pub id_token_hint: Option<String>,
    /// Echoed back.
    pub state: Option<String>,
}

/// What the end-session endpoint does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndSession {
    /// The request cannot be honoured (unknown client, unregistered URI): a page, no redirect.
    Refused(&'static str),
    /// Ask the signed-in person to confirm (a cross-site link must not log them out).
    Confirm {
        /// The hub's slug, to name it.
        hub: String,
    },
    /// Done: send the browser here.
    Redirect(url::Url),
    /// Done, and nowhere to return to.
    Done,
}

/// Handles an end-session request. It ends the person's grant for the hub (every token the
/// hub holds for them stops working), not their Stoa session: signing out of one hub should
/// not sign anyone out of Stoa or the other hubs. The person is known from a valid
/// `id_token_hint` (then nothing is asked), else from the Stoa session after they confirm
/// (`confirmed`, a same-origin POST), else there is nothing to end.
pub async fn end_session(
    p: &Provider,
    ctx: &Ctx,
    tx: &mut WriteTx,
    req: &EndSessionRequest,
    confirmed: bool,
) -> Result<EndSession> {
    let Some(client) = (match req.client_id.as_deref() {
        Some(id) => db::client(tx.conn(), id).await?,
        None => None,
    }) else {
        return Ok(EndSession::Refused(
            "This sign-out request names a hub Stoa does not know.",
        ));
    };
    let target = match req.post_logout_redirect_uri.as_deref() {
        None => None,
        Some(uri)
            if uris_of(&client.post_logout_redirect_uris)
                .iter()
                .any(|r| r == uri) =>
        {
            let mut url = url::Url::parse(uri)
                .map_err(|e| DomainError::Store(DbError::Config(format!("registered URI: {e}"))))?;
            if let Some(state) = req.state.as_deref() {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url)
        }
        Some(_) => {
            return Ok(EndSession::Refused(
                "This sign-out request would return to an address the hub has not registered.",
            ));
        }
    };
    let hinted = match req.id_token_hint.as_deref() {
        Some(hint) => {
            let subject = keys::verify_hint(p, tx.conn(), &client.client_id, hint, ctx.now).await?;
            match subject {
                Some(sub) => accounts_by_subject(tx.conn(), &sub).await?,
                None => None,
            }
        }
        None => None,
    };
    let account = match (hinted, ctx.caller.as_ref()) {
        (Some(account), _) => Some(account),
        (None, Some(caller)) if confirmed => Some(caller.id),
        (None, Some(_)) => {
            let hub = hubs::get(tx.conn(), client.hub_id)
                .await?
                .map(|h| h.slug)
                .unwrap_or_default();
            return Ok(EndSession::Confirm { hub });
        }
        (None, None) => None,
    };
    if let Some(account) = account {
        let n = db::revoke_grants_of(tx.conn(), client.id, account, ctx.now).await?;
        tracing::info!(account.id = account.0, oauth.client_id = %client.client_id, grants = n, "hub session ended");
    }
    Ok(target.map_or(EndSession::Done, EndSession::Redirect))
}

async fn accounts_by_subject(conn: Conn<'_>, subject: &str) -> Result<Option<AccountId>> {
    Ok(db::account_by_subject(conn, subject).await?)
}

/// Deletes expired codes and tokens (housekeeping).
pub async fn purge_expired(conn: Conn<'_>, now: Timestamp) -> Result<u64> {
    Ok(db::purge_expired(conn, now).await?)
}
