//! Invitations to join a community by email.
//!
//! The token is made when the mail is sent (by a background job) and only its SHA-256 is
//! stored; sending again replaces it, so the newest mail holds the only working link.

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use stoa_model::Email;

use crate::{Conn, DbError, Timestamp, on};

/// An invitation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invitation {
    /// Primary key.
    pub id: i64,
    /// Community.
    pub community_id: CommunityId,
    /// Address invited; only an account with this verified address may accept.
    pub email: Email,
    /// Role given on acceptance.
    pub role: stoa_model::Role,
    /// End of the membership it grants, if any.
    pub membership_ends_at: Option<Timestamp>,
    /// Who invited.
    pub invited_by: Option<AccountId>,
    /// Created.
    pub created_at: Timestamp,
    /// Link stops working.
    pub expires_at: Timestamp,
    /// Newest mail queued (the resend cooldown runs from it).
    pub queued_at: Option<Timestamp>,
    /// Newest mail sent.
    pub sent_at: Option<Timestamp>,
    /// Accepted.
    pub accepted_at: Option<Timestamp>,
    /// By whom.
    pub accepted_by: Option<AccountId>,
    /// Revoked (or replaced by a newer invitation).
    pub revoked_at: Option<Timestamp>,
}

impl Invitation {
    /// Neither accepted, revoked nor expired.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

const COLUMNS: &str = "id, community_id, email, role, membership_ends_at, invited_by, created_at, \
     expires_at, queued_at, sent_at, accepted_at, accepted_by, revoked_at";

/// What it takes to invite.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    /// Community.
    pub community_id: CommunityId,
    /// Address.
    pub email: &'a Email,
    /// Role name.
    pub role: stoa_model::Role,
    /// End of the membership it grants.
    pub membership_ends_at: Option<Timestamp>,
    /// Who invites.
    pub invited_by: AccountId,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// Creates an invitation whose first mail is queued now; [`DbError::Conflict`] when one is
/// open for the address already.
pub async fn create(
    conn: Conn<'_>,
    new: &NewInvitation<'_>,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO invitations (community_id, email, role, membership_ends_at, invited_by, \
         created_at, expires_at, queued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $6) RETURNING id";
    Ok(on!(conn, c => sqlx::query_scalar(SQL)
        .bind(new.community_id).bind(new.email).bind(new.role).bind(new.membership_ends_at)
        .bind(new.invited_by).bind(now).bind(new.expires_at).fetch_one(c).await)?)
}

/// The invitation not yet accepted or revoked for this address, expired or not.
pub async fn find_unresolved(
    conn: Conn<'_>,
    community: CommunityId,
    email: &Email,
) -> Result<Option<Invitation>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE community_id = $1 AND email = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).bind(email).fetch_optional(c).await)?)
}

/// One invitation of a community.
pub async fn get(conn: Conn<'_>, community: CommunityId, id: i64) -> Result<Invitation, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE community_id = $1 AND id = $2");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).bind(id).fetch_one(c).await)?)
}

/// One invitation by id, whatever its community (for the mail job).
pub async fn by_id(conn: Conn<'_>, id: i64) -> Result<Option<Invitation>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

/// The invitation whose newest link carries this token hash.
pub async fn by_token_hash(conn: Conn<'_>, hash: &str) -> Result<Option<Invitation>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(hash).fetch_optional(c).await)?)
}

/// The unresolved invitations of a community (open and expired), newest first; at most
/// `limit`.
pub async fn pending(
    conn: Conn<'_>,
    community: CommunityId,
    limit: i64,
) -> Result<Vec<Invitation>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE community_id = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(community).bind(limit).fetch_all(c).await)?)
}

/// Records a new link for an open invitation; false when it is no longer open (revoked or
/// accepted meanwhile), in which case no mail may go out.
pub async fn set_token(
    conn: Conn<'_>,
    id: i64,
    token_hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE invitations SET token_hash = $2, sent_at = $3 WHERE id = $1 \
         AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(token_hash).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Gives an unresolved invitation a new expiry (resending an expired one).
pub async fn extend(conn: Conn<'_>, id: i64, expires_at: Timestamp) -> Result<(), DbError> {
    const SQL: &str = "UPDATE invitations SET expires_at = $2 WHERE id = $1 \
         AND accepted_at IS NULL AND revoked_at IS NULL";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(expires_at).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Marks an open invitation accepted by `account`; false when somebody got there first (or
/// it was revoked or expired meanwhile). One conditional UPDATE, so a link works once.
pub async fn accept(
    conn: Conn<'_>,
    id: i64,
    account: AccountId,
    now: Timestamp,
) -> Result<bool, DbError> {
    // The hash stays: the link then tells its holder "used already" instead of "unknown".
    const SQL: &str = "UPDATE invitations SET accepted_at = $3, accepted_by = $2 \
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(account).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Revokes an unresolved invitation; false when it was resolved already.
pub async fn revoke(conn: Conn<'_>, id: i64, now: Timestamp) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE invitations SET revoked_at = $2 \
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Notes that a new mail of an unresolved invitation is queued now, unless one was queued
/// after `cooldown_since`; false (nothing changed) if so, or if it was resolved meanwhile.
pub async fn mark_queued(
    conn: Conn<'_>,
    id: i64,
    now: Timestamp,
    cooldown_since: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE invitations SET queued_at = $2 WHERE id = $1 \
         AND accepted_at IS NULL AND revoked_at IS NULL AND (queued_at IS NULL OR queued_at <= $3)";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(now).bind(cooldown_since)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Whether `account` has the address `email` in a way that proves the mailbox: as the
/// account's own address (set only from an email link or a provider trusted for email), or
/// as an email-link identity (using a link proves the mailbox).
///
/// The address a provider gives an identity is not enough: a provider not trusted for email
/// may assert any address, and accepting an invitation with it would hand a forwarded (or
/// guessed) admin invitation to whoever controls that provider.
pub async fn account_has_address(
    conn: Conn<'_>,
    account: AccountId,
    email: &Email,
) -> Result<bool, DbError> {
    const SQL: &str = "SELECT (SELECT COUNT(*) FROM accounts WHERE id = $1 AND email = $2) \
         + (SELECT COUNT(*) FROM identities WHERE account_id = $1 AND issuer = $3 AND subject = $2)";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(account).bind(email)
        .bind(crate::accounts::EMAIL_ISSUER).fetch_one(c).await)?;
    Ok(n > 0)
}
