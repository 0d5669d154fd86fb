//! The keys ID tokens are signed with, the key set hubs verify them with, and the discovery
//! document.
//!
//! RSA (RS256, what every OpenID client supports). The private keys are stored encrypted
//! (PKCS#1 PEM sealed with the server's key). The newest unretired key signs; rotation adds
//! a key and retires the others, which stay in the published key set for
//! [`RETIRED_KEYS_PUBLISHED`], far longer than an ID token lives or a client caches keys, so
//! a rotation never fails a login in flight.

use chrono::TimeDelta;
use openidconnect::core::{
    CoreClaimName, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreResponseType, CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, EmptyAdditionalClaims, IssuerUrl, JsonWebKeyId,
    JsonWebKeySetUrl, PkceCodeChallengeMethod, PrivateSigningKey as _, ProviderMetadata,
    ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use serde::{Deserialize, Serialize};
use stoa_db::{Conn, DbError, Timestamp, hub_login as db};

use super::{Provider, SCOPES};
use crate::{DomainError, Result};

/// How long a retired key stays in the published key set.
pub const RETIRED_KEYS_PUBLISHED: TimeDelta = TimeDelta::days(7);
/// RSA modulus size.
const RSA_BITS: usize = 2048;

/// Discovery fields the core metadata type lacks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoaProviderMetadata {
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
    pub end_session_endpoint: String,
    /// PKCE: S256 only (RFC 8414).
    pub code_challenge_methods_supported: Vec<PkceCodeChallengeMethod>,
    /// Stoa adds `iss` to authorization responses (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
}

impl AdditionalProviderMetadata for StoaProviderMetadata {}

/// Stoa's discovery document.
pub type Discovery = ProviderMetadata<
    StoaProviderMetadata,
    openidconnect::core::CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    openidconnect::core::CoreClaimType,
    CoreGrantType,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    openidconnect::core::CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn config_error(what: &str, e: impl std::fmt::Display) -> DomainError {
    DomainError::Store(DbError::Config(format!("{what}: {e}")))
}

/// The discovery document (`/.well-known/openid-configuration`).
pub fn discovery(p: &Provider) -> Result<Discovery> {
    let url = |path: &str| format!("{}{path}", p.issuer);
    let issuer = IssuerUrl::new(p.issuer.clone()).map_err(|e| config_error("issuer", e))?;
    let metadata = Discovery::new(
        issuer,
        AuthUrl::new(url("/oauth/authorize")).map_err(|e| config_error("authorize URL", e))?,
        JsonWebKeySetUrl::new(url("/oauth/jwks")).map_err(|e| config_error("JWKS URL", e))?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        StoaProviderMetadata {
            end_session_endpoint: url("/oauth/end-session"),
            code_challenge_methods_supported: vec![PkceCodeChallengeMethod::new("S256".into())],
            authorization_response_iss_parameter_supported: true,
        },
    )
    .set_token_endpoint(Some(
        TokenUrl::new(url("/oauth/token")).map_err(|e| config_error("token URL", e))?,
    ))
    .set_userinfo_endpoint(Some(
        UserInfoUrl::new(url("/oauth/userinfo")).map_err(|e| config_error("userinfo URL", e))?,
    ))
    .set_scopes_supported(Some(
        SCOPES.iter().map(|s| Scope::new((*s).into())).collect(),
    ))
    .set_grant_types_supported(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
    ]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
    ]))
    .set_claims_supported(Some(
        [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nonce",
            "name",
            "preferred_username",
            "email",
            "email_verified",
            "groups",
            "hub_admin",
        ]
        .iter()
        .map(|c| CoreClaimName::new((*c).into()))
        .collect(),
    ));
    Ok(metadata)
}

fn context(kid: &str) -> String {
    format!("oauth_signing_key:{kid}")
}

/// A new key: `(kid, sealed PKCS#1 PEM)`.
fn generate(p: &Provider, now: Timestamp) -> Result<(String, String)> {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, RSA_BITS)
        .map_err(|e| config_error("generating an RSA key", e))?;
    let pem = key
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .map_err(|e| config_error("encoding an RSA key", e))?;
    let kid = format!(
        "{}-{}",
        now.as_datetime().format("%Y%m%d"),
        &stoa_auth::random_token()[..8]
    );
    let sealed = p.secrets.seal(&context(&kid), pem.as_bytes());
    Ok((kid, sealed))
}

fn open(p: &Provider, key: &db::SigningKey) -> Result<CoreRsaPrivateSigningKey> {
    let pem = p
        .secrets
        .open(&context(&key.kid), &key.key_sealed)
        .map_err(|e| config_error(&format!("signing key {}", key.kid), e))?;
    let pem = String::from_utf8(pem).map_err(|e| config_error("signing key", e))?;
    CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(key.kid.clone())))
        .map_err(|e| config_error(&format!("signing key {}", key.kid), e))
}

/// The key that signs now, made on first need.
pub(crate) async fn current(
    p: &Provider,
    mut conn: Conn<'_>,
    now: Timestamp,
) -> Result<CoreRsaPrivateSigningKey> {
    let keys = db::signing_keys(conn.reborrow(), now - RETIRED_KEYS_PUBLISHED).await?;
    if let Some(key) = keys.iter().find(|k| k.retired_at.is_none()) {
        return open(p, key);
    }
    let (kid, sealed) = generate(p, now)?;
    db::insert_signing_key(conn, &kid, &sealed, now).await?;
    tracing::info!(key.id = %kid, "made the first key for hub ID tokens");
    open(
        p,
        &db::SigningKey {
            kid,
            key_sealed: sealed,
            created_at: now,
            retired_at: None,
        },
    )
}

/// Adds a new signing key and retires the others (they stay published for
/// [`RETIRED_KEYS_PUBLISHED`]). Returns the new key's id. Run it in a write transaction.
pub async fn rotate_signing_key(
    p: &Provider,
    mut conn: Conn<'_>,
    now: Timestamp,
) -> Result<String> {
    let (kid, sealed) = generate(p, now)?;
    db::insert_signing_key(conn.reborrow(), &kid, &sealed, now).await?;
    let retired = db::retire_signing_keys_except(conn, &kid, now).await?;
    tracing::info!(key.id = %kid, retired, "rotated the hub ID-token signing key");
    Ok(kid)
}

/// Makes the first signing key if there is none (the key set is never published empty, so
/// a client that fetches it before the first login can verify that login's token). Run it in
/// a write transaction.
pub async fn ensure_signing_key(p: &Provider, conn: Conn<'_>, now: Timestamp) -> Result<()> {
    current(p, conn, now).await.map(|_| ())
}

/// The published key set (`/oauth/jwks`): the signing key and those retired within
/// [`RETIRED_KEYS_PUBLISHED`].
pub async fn jwks(p: &Provider, conn: Conn<'_>, now: Timestamp) -> Result<CoreJsonWebKeySet> {
    let keys = db::signing_keys(conn, now - RETIRED_KEYS_PUBLISHED).await?;
    let mut public = Vec::with_capacity(keys.len());
    for key in &keys {
        match open(p, key) {
            Ok(key) => public.push(key.as_verification_key()),
            // Sealed under another secret_key: unusable, but the others are still published
            // (after `stoa rotate-hub-key` the new key signs).
            Err(err) => {
                tracing::warn!(key.id = %key.kid, error = %err, "a hub signing key cannot be read")
            }
        }
    }
    Ok(CoreJsonWebKeySet::new(public))
}

/// Checks an ID token Stoa issued to `client_id` (signature with any published key, issuer,
/// audience) and returns its subject. Expiry is not checked: logout hints may be old.
pub(crate) async fn verify_hint(
    p: &Provider,
    conn: Conn<'_>,
    client_id: &str,
    token: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    let Ok(token) = token.parse::<openidconnect::IdToken<
        EmptyAdditionalClaims,
        openidconnect::core::CoreGenderClaim,
        openidconnect::core::CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >>() else {
        return Ok(None);
    };
    let keys = jwks(p, conn, now).await?;
    let Ok(issuer) = IssuerUrl::new(p.issuer.clone()) else {
        return Ok(None);
    };
    let verifier = openidconnect::core::CoreIdTokenVerifier::new_public_client(
        openidconnect::ClientId::new(client_id.to_owned()),
        issuer,
        keys,
    )
    .set_time_fn(|| chrono::DateTime::UNIX_EPOCH);
    let claims = token.claims(&verifier, |_: Option<&openidconnect::Nonce>| Ok(()));
    Ok(claims.ok().map(|c| c.subject().as_str().to_owned()))
}
