//! OpenID Connect relying party: authorization code flow with PKCE.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
};
use secrecy::{ExposeSecret, SecretString};

use crate::AuthError;

/// A client built from discovery: authorization endpoint set, token and user-info endpoints
/// as the provider's metadata says.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A configured provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Short id used in URLs.
    pub id: String,
    /// Button label.
    pub display_name: String,
    /// Issuer URL (discovery must report exactly this).
    pub issuer_url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: SecretString,
    /// Scopes, `openid` included.
    pub scopes: Vec<String>,
    /// Whether a verified email this provider asserts may link to an existing account with
    /// that address (and be recorded as the account's address). Only for providers that
    /// really verify addresses; off by default.
    pub trust_email: bool,
}

/// What the provider vouched for.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    /// Issuer URL.
    pub issuer: String,
    /// Subject.
    pub subject: String,
    /// Email, only when the provider says it is verified (lowercase).
    pub email: Option<String>,
    /// A display name.
    pub name: String,
}

/// Checks an ID token (signature, issuer, audience, expiry, nonce) and returns who it vouches
/// for. Separate from the code exchange so tests can feed it tokens a real provider never
/// issues: another issuer, another audience, another nonce, expired, foreign key.
pub fn verify_id_token(
    verifier: &openidconnect::core::CoreIdTokenVerifier<'_>,
    id_token: &openidconnect::core::CoreIdToken,
    nonce: &str,
) -> Result<VerifiedIdentity, ClaimsVerificationError> {
    let claims = id_token.claims(verifier, &Nonce::new(nonce.to_owned()))?;
    let email = claims
        .email()
        .filter(|_| claims.email_verified() == Some(true))
        .map(|e| e.as_str().to_lowercase());
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
        .or_else(|| email.clone())
        .unwrap_or_else(|| claims.subject().as_str().to_owned());
    Ok(VerifiedIdentity {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email,
        name,
    })
}

/// The start of a flow: where to send the browser and what to keep server-side.
pub struct Begin {
    /// The provider's authorization URL with all parameters.
    pub url: url::Url,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
}

/// How often, at most, a provider's keys are fetched again because an ID token named a key
/// the cached set does not have. Rotation needs one refetch; the limit stops forged tokens
/// with made-up key ids from turning Stoa into a tool for hammering the provider.
pub const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// The providers, with an HTTP client that never follows redirects (SSRF), and their
/// discovered metadata (keys included), cached per provider.
#[derive(Debug, Clone)]
pub struct Oidc {
    providers: Vec<ProviderConfig>,
    redirect_url: RedirectUrl,
    http: openidconnect::reqwest::Client,
    metadata_ttl: Duration,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

/// A provider's metadata and keys as last fetched.
#[derive(Debug, Clone)]
struct Cached {
    metadata: CoreProviderMetadata,
    fetched_at: Instant,
    /// When the keys were last fetched again for an unknown key id.
    keys_refetched_at: Option<Instant>,
}

impl Oidc {
    /// `redirect_url` is Stoa's callback (`<public_url>/auth/callback`); discovery metadata
    /// and keys are reused for `metadata_ttl`.
    pub fn new(
        providers: Vec<ProviderConfig>,
        redirect_url: &str,
        metadata_ttl: Duration,
    ) -> Result<Oidc, AuthError> {
        let redirect_url = RedirectUrl::new(redirect_url.to_owned())
            .map_err(|e| AuthError::Config(format!("callback URL: {e}")))?;
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| AuthError::Config(format!("HTTP client: {e}")))?;
        Ok(Oidc {
            providers,
            redirect_url,
            http,
            metadata_ttl,
            cache: Arc::default(),
        })
    }

    /// The configured providers, in order.
    pub fn providers(&self) -> &[ProviderConfig] {
        &self.providers
    }

    /// The provider with this id.
    pub fn provider(&self, id: &str) -> Result<&ProviderConfig, AuthError> {
        self.providers
            .iter()
            .find(|p| p.id == id)
            .ok_or(AuthError::UnknownProvider)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // A panic while holding the lock cannot leave the map half-written (every write is
        // one insert), so a poisoned lock is still usable.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The provider's metadata and keys: from the cache while younger than the TTL, else
    /// discovered again (two requests: the discovery document and the key set). Without the
    /// cache every sign-in start, which anyone may trigger, cost the provider two requests.
    /// Concurrent misses may both discover; that is harmless and only happens once per TTL.
    async fn metadata(&self, provider: &ProviderConfig) -> Result<CoreProviderMetadata, AuthError> {
        if let Some(cached) = self.cache().get(&provider.id)
            && cached.fetched_at.elapsed() < self.metadata_ttl
        {
            return Ok(cached.metadata.clone());
        }
        let issuer = IssuerUrl::new(provider.issuer_url.clone())
            .map_err(|e| AuthError::Config(format!("issuer of {}: {e}", provider.id)))?;
        // The crate refuses metadata whose issuer differs from the configured one.
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                AuthError::Provider(format!(
                    "discovery for {} failed: {}",
                    provider.id,
                    stoa_db::error_chain(&e)
                ))
            })?;
        self.cache().insert(
            provider.id.clone(),
            Cached {
                metadata: metadata.clone(),
                fetched_at: Instant::now(),
                keys_refetched_at: None,
            },
        );
        Ok(metadata)
    }

    /// Fetches the provider's keys again after an ID token named a key id the cached set
    /// lacks (the provider rotated its keys), at most once per [`KEY_REFETCH_INTERVAL`].
    /// `None` when a refetch happened too recently.
    async fn refetch_keys(
        &self,
        provider: &ProviderConfig,
        metadata: &CoreProviderMetadata,
    ) -> Result<Option<CoreProviderMetadata>, AuthError> {
        {
            let mut cache = self.cache();
            let Some(cached) = cache.get_mut(&provider.id) else {
                return Ok(None);
            };
            if cached
                .keys_refetched_at
                .is_some_and(|at| at.elapsed() < KEY_REFETCH_INTERVAL)
            {
                return Ok(None);
            }
            // Claimed before the request, so concurrent callers do not all fetch.
            cached.keys_refetched_at = Some(Instant::now());
        }
        let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| {
                AuthError::Provider(format!(
                    "fetching the keys of {} failed: {}",
                    provider.id,
                    stoa_db::error_chain(&e)
                ))
            })?;
        let refreshed = metadata.clone().set_jwks(keys);
        if let Some(cached) = self.cache().get_mut(&provider.id) {
            cached.metadata = refreshed.clone();
        }
        tracing::info!(provider = %provider.id, "provider keys fetched again for an unknown key id");
        Ok(Some(refreshed))
    }

    /// A client for `provider` from its metadata.
    fn client(&self, provider: &ProviderConfig, metadata: CoreProviderMetadata) -> Client {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(
                provider.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_url.clone())
    }

    /// Builds the authorization request.
    pub async fn begin(&self, provider_id: &str) -> Result<Begin, AuthError> {
        let provider = self.provider(provider_id)?;
        let client = self.client(provider, self.metadata(provider).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in provider.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Begin {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and verifies the ID token (signature, issuer, audience, expiry,
    /// nonce).
    pub async fn finish(
        &self,
        provider_id: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<VerifiedIdentity, AuthError> {
        let provider = self.provider(provider_id)?;
        let metadata = self.metadata(provider).await?;
        let client = self.client(provider, metadata.clone());
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| {
                AuthError::Provider(format!("{} has no token endpoint: {e}", provider.id))
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                AuthError::Provider(format!(
                    "code exchange with {} failed: {}",
                    provider.id,
                    stoa_db::error_chain(&e)
                ))
            })?;
        let id_token = openidconnect::TokenResponse::id_token(&token)
            .ok_or_else(|| AuthError::Provider(format!("{} returned no ID token", provider.id)))?;
        let refused = |e: ClaimsVerificationError| {
            AuthError::Provider(format!(
                "ID token from {} refused: {}",
                provider.id,
                stoa_db::error_chain(&e)
            ))
        };
        match verify_id_token(&client.id_token_verifier(), id_token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // Signed with a key the cached set lacks: the provider may have rotated.
                let Some(refreshed) = self.refetch_keys(provider, &metadata).await? else {
                    return Err(AuthError::Provider(format!(
                        "ID token from {} names an unknown key, and its keys were fetched again \
                         less than {} s ago",
                        provider.id,
                        KEY_REFETCH_INTERVAL.as_secs()
                    )));
                };
                let client = self.client(provider, refreshed);
                verify_id_token(&client.id_token_verifier(), id_token, nonce).map_err(refused)
            }
            other => other.map_err(refused),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};
    use openidconnect::core::{
        CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet,
        CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
    };
    use openidconnect::{
        Audience, ClientId, ClientSecret, EmptyAdditionalClaims, EndUserEmail, IssuerUrl,
        JsonWebKeyId, Nonce, PrivateSigningKey, StandardClaims, SubjectIdentifier,
    };

    use super::verify_id_token;

    const ISSUER: &str = "https://op.example";
    const CLIENT: &str = "stoa";

    fn signing_key() -> CoreRsaPrivateSigningKey {
        let out = std::process::Command::new("openssl")
            .args(["genrsa", "-traditional", "2048"])
            .output()
            .expect("openssl makes a test key");
        let pem = String::from_utf8(out.stdout).unwrap();
        CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
    }

    fn token(
        key: &CoreRsaPrivateSigningKey,
        iss: &str,
        aud: &str,
        nonce: &str,
        valid_for: TimeDelta,
    ) -> CoreIdToken {
        let standard = StandardClaims::new(SubjectIdentifier::new("alice".into()))
            .set_email(Some(EndUserEmail::new("Alice@Example.org".into())))
            .set_email_verified(Some(true));
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(iss.into()).unwrap(),
            vec![Audience::new(aud.into())],
            Utc::now() + valid_for,
            Utc::now(),
            standard,
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce.into())));
        CoreIdToken::new(
            claims,
            key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap()
    }

    #[test]
    fn id_tokens_with_the_wrong_issuer_audience_nonce_key_or_age_are_refused() {
        let key = signing_key();
        let jwks = CoreJsonWebKeySet::new(vec![key.as_verification_key()]);
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(CLIENT.into()),
            ClientSecret::new("secret".into()),
            IssuerUrl::new(ISSUER.into()).unwrap(),
            jwks,
        );
        let minutes = TimeDelta::minutes;
        let good = verify_id_token(
            &verifier,
            &token(&key, ISSUER, CLIENT, "n1", minutes(5)),
            "n1",
        )
        .unwrap();
        assert_eq!(
            (good.subject.as_str(), good.email.as_deref()),
            ("alice", Some("alice@example.org"))
        );

        let other_key = signing_key();
        let refused = [
            ("wrong nonce", token(&key, ISSUER, CLIENT, "n2", minutes(5))),
            (
                "wrong issuer",
                token(&key, "https://evil.example", CLIENT, "n1", minutes(5)),
            ),
            (
                "wrong audience",
                token(&key, ISSUER, "another-client", "n1", minutes(5)),
            ),
            ("expired", token(&key, ISSUER, CLIENT, "n1", minutes(-5))),
            (
                "foreign key",
                token(&other_key, ISSUER, CLIENT, "n1", minutes(5)),
            ),
        ];
        for (what, bad) in refused {
            assert!(
                verify_id_token(&verifier, &bad, "n1").is_err(),
                "{what} was accepted"
            );
        }
    }
}
