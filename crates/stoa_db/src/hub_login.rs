//! Stoa as the OpenID provider of its hubs (migration 0012): one OAuth client per hub,
//! authorization codes, grants with their access and refresh tokens, ID-token signing keys,
//! and the hub usernames people get at their first hub login.
//!
//! Codes and tokens arrive here already hashed (hex SHA-256): this module never sees one.
//! Secrets that must be read back (client secrets, private keys) arrive sealed.

use crate::accounts::AccountId;
use crate::hubs::HubId;
use crate::{Conn, DbError, Timestamp, on};

/// Primary key of an OAuth client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct ClientKey(pub i64);

/// Primary key of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct GrantId(pub i64);

/// A hub's OAuth client as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Client {
    /// Key.
    pub id: ClientKey,
    /// The hub.
    pub hub_id: HubId,
    /// `hub-<hub slug>`.
    pub client_id: String,
    /// The secret, sealed with the server's key.
    pub secret_sealed: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// JSON array of redirect URIs.
    pub redirect_uris: String,
    /// JSON array of post-logout redirect URIs.
    pub post_logout_redirect_uris: String,
}

const CLIENT_COLUMNS: &str =
    "id, hub_id, client_id, secret_sealed, secret_hash, redirect_uris, post_logout_redirect_uris";

/// The client of `hub`, if any.
pub async fn client_of_hub(conn: Conn<'_>, hub: HubId) -> Result<Option<Client>, DbError> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE hub_id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(hub).fetch_optional(c).await)?)
}

/// The client with this `client_id`, if any.
pub async fn client(conn: Conn<'_>, client_id: &str) -> Result<Option<Client>, DbError> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(client_id).fetch_optional(c).await)?)
}

/// The client with this key.
pub async fn client_by_key(conn: Conn<'_>, key: ClientKey) -> Result<Client, DbError> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(key).fetch_one(c).await)?)
}

/// A client to create.
#[derive(Debug, Clone)]
pub struct NewClient<'a> {
    /// The hub.
    pub hub_id: HubId,
    /// `hub-<hub slug>`.
    pub client_id: &'a str,
    /// Sealed secret.
    pub secret_sealed: &'a str,
    /// Hex SHA-256 of the secret.
    pub secret_hash: &'a str,
    /// JSON array.
    pub redirect_uris: &'a str,
    /// JSON array.
    pub post_logout_redirect_uris: &'a str,
}

/// Creates a client; [`DbError::Conflict`] when the hub (or the client id) has one.
pub async fn create_client(
    conn: Conn<'_>,
    new: &NewClient<'_>,
    now: Timestamp,
) -> Result<ClientKey, DbError> {
    const SQL: &str = "INSERT INTO oauth_clients (hub_id, client_id, secret_sealed, secret_hash, \
         redirect_uris, post_logout_redirect_uris, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
    Ok(on!(conn, c => sqlx::query_scalar(SQL)
        .bind(new.hub_id).bind(new.client_id).bind(new.secret_sealed).bind(new.secret_hash)
        .bind(new.redirect_uris).bind(new.post_logout_redirect_uris).bind(now)
        .fetch_one(c).await)?)
}

/// Replaces a client's URIs.
pub async fn set_client_uris(
    conn: Conn<'_>,
    key: ClientKey,
    redirect_uris: &str,
    post_logout_redirect_uris: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE oauth_clients SET redirect_uris = $2, post_logout_redirect_uris = $3, \
         updated_at = $4 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(key).bind(redirect_uris).bind(post_logout_redirect_uris)
        .bind(now).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Replaces a client's secret.
pub async fn set_client_secret(
    conn: Conn<'_>,
    key: ClientKey,
    secret_sealed: &str,
    secret_hash: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE oauth_clients SET secret_sealed = $2, secret_hash = $3, \
         updated_at = $4 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(key).bind(secret_sealed).bind(secret_hash).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// An authorization code as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Code {
    /// The client it was issued to.
    pub client_id: ClientKey,
    /// Who logged in.
    pub account_id: AccountId,
    /// The exact redirect URI of the request.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The client's nonce, for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// Issued.
    pub created_at: Timestamp,
}

/// A code to store.
#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    /// Hex SHA-256 of the code.
    pub code_hash: &'a str,
    /// The client.
    pub client_id: ClientKey,
    /// Who logged in.
    pub account_id: AccountId,
    /// The request's redirect URI.
    pub redirect_uri: &'a str,
    /// Scopes.
    pub scope: &'a str,
    /// Nonce.
    pub nonce: Option<&'a str>,
    /// PKCE challenge.
    pub code_challenge: &'a str,
    /// Unusable after.
    pub expires_at: Timestamp,
}

/// Stores a code.
pub async fn insert_code(
    conn: Conn<'_>,
    code: &NewCode<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO oauth_codes (code_hash, client_id, account_id, redirect_uri, \
         scope, nonce, code_challenge, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on!(conn, c => sqlx::query(SQL).bind(code.code_hash).bind(code.client_id).bind(code.account_id)
        .bind(code.redirect_uri).bind(code.scope).bind(code.nonce).bind(code.code_challenge)
        .bind(now).bind(code.expires_at).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// What presenting a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeUse {
    /// Unused and in time: now marked used (exactly one caller gets this).
    Fresh(Code),
    /// Used before; the grant its first use created, if any.
    Reused(Option<GrantId>),
    /// Unknown or expired.
    Invalid,
}

/// Marks the code used, in one conditional UPDATE (single use across processes).
pub async fn use_code(
    mut conn: Conn<'_>,
    code_hash: &str,
    now: Timestamp,
) -> Result<CodeUse, DbError> {
    const USE: &str = "UPDATE oauth_codes SET used_at = $2 \
         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING client_id, account_id, redirect_uri, scope, nonce, code_challenge, created_at";
    let fresh: Option<Code> = on!(conn.reborrow(), c => sqlx::query_as(USE).bind(code_hash)
        .bind(now).fetch_optional(c).await)?;
    if let Some(code) = fresh {
        return Ok(CodeUse::Fresh(code));
    }
    const USED: &str =
        "SELECT grant_id FROM oauth_codes WHERE code_hash = $1 AND used_at IS NOT NULL";
    let used: Option<Option<GrantId>> = on!(conn, c => sqlx::query_scalar(USED).bind(code_hash)
        .fetch_optional(c).await)?;
    Ok(match used {
        Some(grant) => CodeUse::Reused(grant),
        None => CodeUse::Invalid,
    })
}

/// Records the grant a code's use created.
pub async fn set_code_grant(
    conn: Conn<'_>,
    code_hash: &str,
    grant: GrantId,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE oauth_codes SET grant_id = $2 WHERE code_hash = $1";
    on!(conn, c => sqlx::query(SQL).bind(code_hash).bind(grant).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Grant {
    /// Key.
    pub id: GrantId,
    /// The client.
    pub client_id: ClientKey,
    /// Who.
    pub account_id: AccountId,
    /// Scopes, space-separated.
    pub scope: String,
    /// Set once revoked.
    pub revoked_at: Option<Timestamp>,
}

/// Creates a grant.
pub async fn create_grant(
    conn: Conn<'_>,
    client: ClientKey,
    account: AccountId,
    scope: &str,
    now: Timestamp,
) -> Result<GrantId, DbError> {
    const SQL: &str = "INSERT INTO oauth_grants (client_id, account_id, scope, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(client).bind(account).bind(scope).bind(now)
        .fetch_one(c).await)?,
    )
}

/// Revokes a grant (every token under it stops working). Idempotent.
pub async fn revoke_grant(conn: Conn<'_>, grant: GrantId, now: Timestamp) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE oauth_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
    on!(conn, c => sqlx::query(SQL).bind(grant).bind(now).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Revokes every live grant of `account` for `client`; returns how many.
pub async fn revoke_grants_of(
    conn: Conn<'_>,
    client: ClientKey,
    account: AccountId,
    now: Timestamp,
) -> Result<u64, DbError> {
    const SQL: &str = "UPDATE oauth_grants SET revoked_at = $3 \
         WHERE client_id = $1 AND account_id = $2 AND revoked_at IS NULL";
    Ok(
        on!(conn, c => sqlx::query(SQL).bind(client).bind(account).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?,
    )
}

/// Stores an access token (hashed).
pub async fn insert_access_token(
    conn: Conn<'_>,
    token_hash: &str,
    grant: GrantId,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO oauth_access_tokens (token_hash, grant_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)";
    on!(conn, c => sqlx::query(SQL).bind(token_hash).bind(grant).bind(now).bind(expires_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The live grant behind an access token: unexpired, grant not revoked.
pub async fn grant_of_access_token(
    conn: Conn<'_>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<Grant>, DbError> {
    const SQL: &str = "SELECT g.id, g.client_id, g.account_id, g.scope, g.revoked_at \
         FROM oauth_access_tokens t JOIN oauth_grants g ON g.id = t.grant_id \
         WHERE t.token_hash = $1 AND t.expires_at > $2 AND g.revoked_at IS NULL";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(token_hash).bind(now).fetch_optional(c).await)?)
}

/// Stores a refresh token (hashed).
pub async fn insert_refresh_token(
    conn: Conn<'_>,
    token_hash: &str,
    grant: GrantId,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)";
    on!(conn, c => sqlx::query(SQL).bind(token_hash).bind(grant).bind(now).bind(expires_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// Unused, unexpired, its grant live: now marked used (one caller gets this).
    Fresh(Grant),
    /// Used before (a copy is in someone's hands), or its grant is revoked: the grant.
    Reused(GrantId),
    /// Unknown or expired.
    Invalid,
}

/// Marks a refresh token used, in one conditional UPDATE.
pub async fn use_refresh_token(
    mut conn: Conn<'_>,
    token_hash: &str,
    now: Timestamp,
) -> Result<RefreshUse, DbError> {
    const USE: &str = "UPDATE oauth_refresh_tokens SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         AND grant_id IN (SELECT id FROM oauth_grants WHERE revoked_at IS NULL) \
         RETURNING grant_id";
    let fresh: Option<GrantId> = on!(conn.reborrow(), c => sqlx::query_scalar(USE)
        .bind(token_hash).bind(now).fetch_optional(c).await)?;
    if let Some(grant) = fresh {
        const GRANT: &str =
            "SELECT id, client_id, account_id, scope, revoked_at FROM oauth_grants WHERE id = $1";
        let grant = on!(conn, c => sqlx::query_as(GRANT).bind(grant).fetch_one(c).await)?;
        return Ok(RefreshUse::Fresh(grant));
    }
    const KNOWN: &str = "SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = $1 \
         AND (used_at IS NOT NULL OR expires_at > $2)";
    let known: Option<GrantId> = on!(conn, c => sqlx::query_scalar(KNOWN).bind(token_hash)
        .bind(now).fetch_optional(c).await)?;
    Ok(known.map_or(RefreshUse::Invalid, RefreshUse::Reused))
}

/// Deletes expired codes and tokens and long-revoked grants; returns how many rows went.
pub async fn purge_expired(mut conn: Conn<'_>, now: Timestamp) -> Result<u64, DbError> {
    let day_ago = now - chrono::TimeDelta::days(1);
    let mut n = 0;
    // Used codes are kept a day after expiry so that a replay still finds them.
    n += on!(conn.reborrow(), c => sqlx::query("DELETE FROM oauth_codes WHERE expires_at <= $1")
        .bind(day_ago).execute(c).await.map(|r| r.rows_affected()))?;
    n += on!(conn.reborrow(), c => sqlx::query("DELETE FROM oauth_access_tokens WHERE expires_at <= $1")
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    n += on!(conn.reborrow(), c => sqlx::query("DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1")
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    // A grant with no refresh token left is over; its codes and tokens go with it.
    n += on!(conn, c => sqlx::query(
        "DELETE FROM oauth_grants WHERE created_at <= $1 AND id NOT IN \
         (SELECT grant_id FROM oauth_refresh_tokens)")
        .bind(day_ago).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n)
}

/// A signing key as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SigningKey {
    /// Key id (`kid`).
    pub kid: String,
    /// PKCS#1 PEM, sealed.
    pub key_sealed: String,
    /// Made.
    pub created_at: Timestamp,
    /// Retired (no longer signs), if so.
    pub retired_at: Option<Timestamp>,
}

/// Stores a new key.
pub async fn insert_signing_key(
    conn: Conn<'_>,
    kid: &str,
    key_sealed: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str =
        "INSERT INTO oauth_signing_keys (kid, key_sealed, created_at) VALUES ($1, $2, $3)";
    on!(conn, c => sqlx::query(SQL).bind(kid).bind(key_sealed).bind(now).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Retires every key but `keep`; returns how many.
pub async fn retire_signing_keys_except(
    conn: Conn<'_>,
    keep: &str,
    now: Timestamp,
) -> Result<u64, DbError> {
    const SQL: &str =
        "UPDATE oauth_signing_keys SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL";
    Ok(
        on!(conn, c => sqlx::query(SQL).bind(keep).bind(now).execute(c).await.map(|r| r.rows_affected()))?,
    )
}

/// Keys that sign or were retired after `retired_after`, newest first: the first unretired
/// one signs, all are published.
pub async fn signing_keys(
    conn: Conn<'_>,
    retired_after: Timestamp,
) -> Result<Vec<SigningKey>, DbError> {
    const SQL: &str = "SELECT kid, key_sealed, created_at, retired_at FROM oauth_signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid DESC";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(retired_after).fetch_all(c).await)?)
}

/// An account's hub identity: `(hub_username, hub_subject)`, both None until the first hub
/// login.
pub async fn hub_identity(
    conn: Conn<'_>,
    account: AccountId,
) -> Result<(Option<String>, Option<String>), DbError> {
    const SQL: &str = "SELECT hub_username, hub_subject FROM accounts WHERE id = $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(account).fetch_one(c).await)?)
}

/// Reserves `username` for `account` forever; false when anyone ever had it.
pub async fn reserve_username(
    conn: Conn<'_>,
    username: &str,
    account: AccountId,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "INSERT INTO hub_usernames (username, account_id, created_at) \
         VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING username";
    let got: Option<String> = on!(conn, c => sqlx::query_scalar(SQL).bind(username).bind(account)
        .bind(now).fetch_optional(c).await)?;
    Ok(got.is_some())
}

/// Gives the account its hub username and subject unless it has them; true when set here.
pub async fn set_hub_identity(
    conn: Conn<'_>,
    account: AccountId,
    username: &str,
    subject: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE accounts SET hub_username = $2, hub_subject = $3, updated_at = $4 \
         WHERE id = $1 AND hub_username IS NULL";
    let rows = on!(conn, c => sqlx::query(SQL).bind(account).bind(username).bind(subject).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// The account whose hub subject is `subject`.
pub async fn account_by_subject(
    conn: Conn<'_>,
    subject: &str,
) -> Result<Option<AccountId>, DbError> {
    const SQL: &str = "SELECT id FROM accounts WHERE hub_subject = $1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(subject).fetch_optional(c).await)?)
}
