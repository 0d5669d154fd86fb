//! Institutions: the legal entities that pay for one or more communities.

use stoa_model::Email;

use crate::accounts::AccountId;
use crate::{Conn, DbError, Timestamp, on};

/// An institution.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Institution {
    /// Primary key.
    pub id: i64,
    /// Legal name.
    pub legal_name: String,
    /// Postal address.
    pub address: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Tax or VAT id.
    pub tax_id: String,
    /// Billing contacts, one address per line.
    pub billing_contacts: String,
}

/// The editable fields.
#[derive(Debug, Clone)]
pub struct InstitutionFields<'a> {
    /// Legal name.
    pub legal_name: &'a str,
    /// Postal address.
    pub address: &'a str,
    /// ISO country code.
    pub country: &'a str,
    /// Tax id.
    pub tax_id: &'a str,
    /// Billing contacts, one per line.
    pub billing_contacts: &'a str,
}

const COLUMNS: &str = "id, legal_name, address, country, tax_id, billing_contacts";

/// Creates an institution with `admin` as its first admin.
pub async fn create(
    mut conn: Conn<'_>,
    fields: &InstitutionFields<'_>,
    admin: AccountId,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO institutions (legal_name, address, country, tax_id, billing_contacts, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    let id: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(SQL)
        .bind(fields.legal_name).bind(fields.address).bind(fields.country).bind(fields.tax_id)
        .bind(fields.billing_contacts).bind(now).fetch_one(c).await)?;
    on!(conn, c => sqlx::query("INSERT INTO institution_admins (institution_id, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(id).bind(admin).bind(now).execute(c).await.map(|_| ()))?;
    Ok(id)
}

/// When the institutions `account` administers were registered, for those registered after
/// `since`: the oldest first, at most `limit`. To enforce a cap, lock the account first in the
/// same write transaction ([`crate::communities::lock_creator`]).
pub async fn registered_since(
    conn: Conn<'_>,
    account: AccountId,
    since: Timestamp,
    limit: i64,
) -> Result<Vec<Timestamp>, DbError> {
    const SQL: &str = "SELECT i.created_at FROM institutions i \
         JOIN institution_admins a ON a.institution_id = i.id \
         WHERE a.account_id = $1 AND i.created_at > $2 ORDER BY i.created_at LIMIT $3";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(account).bind(since).bind(limit).fetch_all(c).await)?,
    )
}

/// Replaces the editable fields.
pub async fn update(
    conn: Conn<'_>,
    id: i64,
    fields: &InstitutionFields<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE institutions SET legal_name = $2, address = $3, country = $4, tax_id = $5, \
         billing_contacts = $6, updated_at = $7 WHERE id = $1";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id)
        .bind(fields.legal_name).bind(fields.address).bind(fields.country).bind(fields.tax_id)
        .bind(fields.billing_contacts).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// One institution.
pub async fn get(conn: Conn<'_>, id: i64) -> Result<Option<Institution>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM institutions WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?)
}

/// Whether `account` administers institution `id`.
pub async fn is_admin(conn: Conn<'_>, id: i64, account: AccountId) -> Result<bool, DbError> {
    const SQL: &str =
        "SELECT COUNT(*) FROM institution_admins WHERE institution_id = $1 AND account_id = $2";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(id).bind(account).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The institutions `account` administers, by name.
pub async fn of_admin(conn: Conn<'_>, account: AccountId) -> Result<Vec<Institution>, DbError> {
    let sql = format!(
        "SELECT {} FROM institutions i JOIN institution_admins ia ON ia.institution_id = i.id \
         WHERE ia.account_id = $1 ORDER BY LOWER(i.legal_name), i.id",
        "i.id, i.legal_name, i.address, i.country, i.tax_id, i.billing_contacts"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(account).fetch_all(c).await)?)
}

/// `(slug, name)` of the communities the institution pays for, by name.
pub async fn communities(conn: Conn<'_>, id: i64) -> Result<Vec<(String, String)>, DbError> {
    const SQL: &str =
        "SELECT slug, name FROM communities WHERE institution_id = $1 ORDER BY LOWER(name), id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// Admins: (account id, name), by name.
pub async fn admins(conn: Conn<'_>, id: i64) -> Result<Vec<(AccountId, String)>, DbError> {
    const SQL: &str = "SELECT a.id, a.name FROM institution_admins ia JOIN accounts a ON a.id = ia.account_id \
         WHERE ia.institution_id = $1 ORDER BY LOWER(a.name), a.id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(id).fetch_all(c).await)?)
}

/// Makes `account` an admin of institution `id`; false when it is one already.
pub async fn add_admin(
    conn: Conn<'_>,
    id: i64,
    account: AccountId,
    now: Timestamp,
) -> Result<bool, DbError> {
    // ON CONFLICT instead of catching the error: on PostgreSQL a failed INSERT would abort
    // the transaction.
    const SQL: &str = "INSERT INTO institution_admins (institution_id, account_id, created_at) \
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(account).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Removes an admin unless they are the last; returns whether they were removed.
pub async fn remove_admin(
    mut conn: Conn<'_>,
    id: i64,
    account: AccountId,
) -> Result<bool, DbError> {
    if let Conn::Postgres(c) = conn.reborrow() {
        sqlx::query("SELECT id FROM institutions WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(c)
            .await?;
    }
    const COUNT: &str = "SELECT COUNT(*) FROM institution_admins WHERE institution_id = $1";
    let n: i64 = on!(conn.reborrow(), c => sqlx::query_scalar(COUNT).bind(id).fetch_one(c).await)?;
    if n < 2 {
        return Ok(false);
    }
    const SQL: &str =
        "DELETE FROM institution_admins WHERE institution_id = $1 AND account_id = $2";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(account).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// An invitation to administer an institution, accepted by the person with the invited
/// address (so inviting never tells whether an address has an account).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InstitutionInvitation {
    /// Primary key.
    pub id: i64,
    /// The institution.
    pub institution_id: i64,
    /// Address invited; only an account with this verified address may accept.
    pub email: Email,
    /// Who invited.
    pub invited_by: Option<AccountId>,
    /// Created.
    pub created_at: Timestamp,
    /// Link stops working.
    pub expires_at: Timestamp,
    /// Newest mail queued.
    pub queued_at: Option<Timestamp>,
    /// Newest mail sent.
    pub sent_at: Option<Timestamp>,
    /// Accepted.
    pub accepted_at: Option<Timestamp>,
    /// Revoked (or replaced by a newer invitation).
    pub revoked_at: Option<Timestamp>,
}

const INVITATION_COLUMNS: &str = "id, institution_id, email, invited_by, created_at, expires_at, \
     queued_at, sent_at, accepted_at, revoked_at";

/// Creates an admin invitation whose first mail is queued now; [`DbError::Conflict`] when one
/// is open for the address already.
pub async fn invite_admin(
    conn: Conn<'_>,
    id: i64,
    email: &Email,
    by: AccountId,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO institution_invitations (institution_id, email, invited_by, \
         created_at, expires_at, queued_at) VALUES ($1, $2, $3, $4, $5, $4) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(id).bind(email).bind(by).bind(now)
        .bind(expires_at).fetch_one(c).await)?,
    )
}

/// The admin invitation not yet accepted or revoked for this address, expired or not.
pub async fn unresolved_invitation(
    conn: Conn<'_>,
    id: i64,
    email: &Email,
) -> Result<Option<InstitutionInvitation>, DbError> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM institution_invitations WHERE institution_id = $1 \
         AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).bind(email).fetch_optional(c).await)?)
}

/// One admin invitation by id.
pub async fn invitation(
    conn: Conn<'_>,
    invitation: i64,
) -> Result<Option<InstitutionInvitation>, DbError> {
    let sql = format!("SELECT {INVITATION_COLUMNS} FROM institution_invitations WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(invitation).fetch_optional(c).await)?)
}

/// The admin invitation whose newest link carries this token hash.
pub async fn invitation_by_token_hash(
    conn: Conn<'_>,
    hash: &str,
) -> Result<Option<InstitutionInvitation>, DbError> {
    let sql =
        format!("SELECT {INVITATION_COLUMNS} FROM institution_invitations WHERE token_hash = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(hash).fetch_optional(c).await)?)
}

/// The unresolved admin invitations of an institution, newest first.
pub async fn pending_invitations(
    conn: Conn<'_>,
    id: i64,
) -> Result<Vec<InstitutionInvitation>, DbError> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM institution_invitations WHERE institution_id = $1 \
         AND accepted_at IS NULL AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 100"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_all(c).await)?)
}

/// Records a new link for an open admin invitation; false when it is no longer open.
pub async fn set_invitation_token(
    conn: Conn<'_>,
    invitation: i64,
    token_hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE institution_invitations SET token_hash = $2, sent_at = $3 WHERE id = $1 \
         AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3";
    let rows = on!(conn, c => sqlx::query(SQL).bind(invitation).bind(token_hash).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Marks an open admin invitation accepted by `account`; false when it is no longer open.
pub async fn accept_invitation(
    conn: Conn<'_>,
    invitation: i64,
    account: AccountId,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE institution_invitations SET accepted_at = $3, accepted_by = $2 \
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3";
    let rows = on!(conn, c => sqlx::query(SQL).bind(invitation).bind(account).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Revokes an unresolved admin invitation; false when it was resolved already.
pub async fn revoke_invitation(
    conn: Conn<'_>,
    invitation: i64,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE institution_invitations SET revoked_at = $2 \
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL";
    let rows = on!(conn, c => sqlx::query(SQL).bind(invitation).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Locks institution `id` until the transaction ends (PostgreSQL; SQLite's single writer
/// serialises already), so admin changes and invitations to it run one after another.
pub async fn lock(conn: Conn<'_>, id: i64) -> Result<(), DbError> {
    if let Conn::Postgres(c) = conn {
        sqlx::query("SELECT id FROM institutions WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(c)
            .await?;
    }
    Ok(())
}
