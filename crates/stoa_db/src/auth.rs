//! Short-lived sign-in state: OIDC attempts and magic links.

use crate::accounts::AccountId;
use crate::{Conn, DbError, Timestamp, on};

/// A sign-in attempt with an OIDC provider, kept server-side until its callback.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OidcAttempt {
    /// The `state` parameter (random, single use).
    pub state: String,
    /// Configured provider id.
    pub provider: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// PKCE verifier for the code exchange.
    pub pkce_verifier: String,
    /// Internal path to return to.
    pub next_path: String,
    /// Set when a signed-in person links another identity.
    pub link_account_id: Option<AccountId>,
    /// Created.
    pub created_at: Timestamp,
    /// Unusable after.
    pub expires_at: Timestamp,
}

/// Stores an attempt.
pub async fn insert_oidc_attempt(conn: Conn<'_>, attempt: &OidcAttempt) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO oidc_attempts (state, provider, nonce, pkce_verifier, next_path, link_account_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on!(conn, c => sqlx::query(SQL)
        .bind(&attempt.state)
        .bind(&attempt.provider)
        .bind(&attempt.nonce)
        .bind(&attempt.pkce_verifier)
        .bind(&attempt.next_path)
        .bind(attempt.link_account_id)
        .bind(attempt.created_at)
        .bind(attempt.expires_at)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Removes and returns the attempt with this state, if it exists and has not expired.
/// A second call with the same state finds nothing: states are single use.
pub async fn take_oidc_attempt(
    conn: Conn<'_>,
    state: &str,
    now: Timestamp,
) -> Result<Option<OidcAttempt>, DbError> {
    const SQL: &str = "DELETE FROM oidc_attempts WHERE state = $1 RETURNING \
         state, provider, nonce, pkce_verifier, next_path, link_account_id, created_at, expires_at";
    let attempt: Option<OidcAttempt> =
        on!(conn, c => sqlx::query_as(SQL).bind(state).fetch_optional(c).await)?;
    Ok(attempt.filter(|a| a.expires_at > now))
}

/// Deletes expired attempts and magic links; returns how many rows went.
pub async fn purge_expired(mut conn: Conn<'_>, now: Timestamp) -> Result<u64, DbError> {
    let a = on!(conn.reborrow(), c => sqlx::query("DELETE FROM oidc_attempts WHERE expires_at <= $1")
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    let b = on!(conn, c => sqlx::query("DELETE FROM magic_links WHERE expires_at <= $1")
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(a + b)
}

/// A magic link as stored (the token itself is never stored).
#[derive(Debug, Clone)]
pub struct NewMagicLink<'a> {
    /// Hex SHA-256 of the token.
    pub token_hash: &'a str,
    /// Lowercase address it was sent to.
    pub email: &'a str,
    /// Internal path to return to.
    pub next_path: &'a str,
    /// Opaque requester key (a hash of the client address) for rate limits.
    pub requester: &'a str,
    /// Created.
    pub created_at: Timestamp,
    /// Unusable after.
    pub expires_at: Timestamp,
}

/// Stores a magic link.
pub async fn insert_magic_link(conn: Conn<'_>, link: &NewMagicLink<'_>) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO magic_links (token_hash, email, next_path, requester, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)";
    on!(conn, c => sqlx::query(SQL)
        .bind(link.token_hash)
        .bind(link.email)
        .bind(link.next_path)
        .bind(link.requester)
        .bind(link.created_at)
        .bind(link.expires_at)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Recent sign-in link requests, for the rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentLinks {
    /// For this address from this requester.
    pub pair: i64,
    /// By this requester, for any address.
    pub requester: i64,
    /// For this address, from anyone.
    pub email: i64,
}

/// How many links were requested since `since`: for `email` by `requester`, by
/// `requester` for any address, and for `email` by anyone.
pub async fn recent_magic_links(
    mut conn: Conn<'_>,
    email: &str,
    requester: &str,
    since: Timestamp,
) -> Result<RecentLinks, DbError> {
    let pair = on!(conn.reborrow(), c => sqlx::query_scalar("SELECT COUNT(*) FROM magic_links WHERE email = $1 AND requester = $2 AND created_at > $3")
        .bind(email).bind(requester).bind(since).fetch_one(c).await)?;
    let by_email = on!(conn.reborrow(), c => sqlx::query_scalar("SELECT COUNT(*) FROM magic_links WHERE email = $1 AND created_at > $2")
        .bind(email).bind(since).fetch_one(c).await)?;
    let by_requester = on!(conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM magic_links WHERE requester = $1 AND created_at > $2")
        .bind(requester).bind(since).fetch_one(c).await)?;
    Ok(RecentLinks {
        pair,
        requester: by_requester,
        email: by_email,
    })
}

/// Marks the link used and returns `(email, next_path)`, if it exists, is unused and has
/// not expired. Exactly one caller can win.
pub async fn use_magic_link(
    conn: Conn<'_>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(String, String)>, DbError> {
    const SQL: &str = "UPDATE magic_links SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email, next_path";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(token_hash).bind(now).fetch_optional(c).await)?)
}

/// Whether a usable link with this hash exists (for the confirmation page), and its email.
pub async fn peek_magic_link(
    conn: Conn<'_>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<String>, DbError> {
    const SQL: &str = "SELECT email FROM magic_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(token_hash).bind(now).fetch_optional(c).await)?)
}

/// Deletes a link (its mail could not be sent).
pub async fn delete_magic_link(conn: Conn<'_>, token_hash: &str) -> Result<(), DbError> {
    on!(conn, c => sqlx::query("DELETE FROM magic_links WHERE token_hash = $1").bind(token_hash).execute(c).await.map(|_| ()))?;
    Ok(())
}
