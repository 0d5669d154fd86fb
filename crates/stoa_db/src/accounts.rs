//! Accounts (one per person) and the identities they sign in with.

use serde::Serialize;

use crate::{Conn, DbError, Timestamp, on};

/// Primary key of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct AccountId(pub i64);

/// Issuer recorded for magic-link (email) identities.
pub const EMAIL_ISSUER: &str = "email";

/// A person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    /// Primary key.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// Verified email address (lowercase), if known.
    pub email: Option<String>,
    /// Staff of the service (operations, support).
    pub is_staff: bool,
    /// Sessions started in an older epoch are signed out.
    pub session_epoch: i64,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A way to sign in to an account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Identity {
    /// Primary key.
    pub id: i64,
    /// Owning account.
    pub account_id: AccountId,
    /// OIDC issuer URL, or [`EMAIL_ISSUER`].
    pub issuer: String,
    /// Subject at that issuer (the address for email identities).
    pub subject: String,
    /// Configured provider id (`email` for magic links).
    pub provider: String,
    /// Address the provider reported, if verified.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: Timestamp,
    /// Last sign-in with it.
    pub last_used_at: Timestamp,
}

const ACCOUNT_COLUMNS: &str = "id, name, email, is_staff, session_epoch, created_at";

/// The account with this id.
pub async fn get(conn: Conn<'_>, id: AccountId) -> Result<Account, DbError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_one(c).await)?)
}

/// The account with this verified email address (lowercase).
pub async fn find_by_email(conn: Conn<'_>, email: &str) -> Result<Option<Account>, DbError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(email).fetch_optional(c).await)?)
}

/// The account an identity belongs to.
pub async fn find_by_identity(
    conn: Conn<'_>,
    issuer: &str,
    subject: &str,
) -> Result<Option<Account>, DbError> {
    let sql = format!(
        "SELECT {} FROM accounts a JOIN identities i ON i.account_id = a.id \
         WHERE i.issuer = $1 AND i.subject = $2",
        "a.id, a.name, a.email, a.is_staff, a.session_epoch, a.created_at"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(issuer).bind(subject).fetch_optional(c).await)?)
}

/// Creates an account. [`DbError::Conflict`] when the email belongs to another account.
pub async fn create(
    conn: Conn<'_>,
    name: &str,
    email: Option<&str>,
    now: Timestamp,
) -> Result<AccountId, DbError> {
    const SQL: &str = "INSERT INTO accounts (name, email, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id";
    let id = on!(conn, c => sqlx::query_scalar(SQL).bind(name).bind(email).bind(now).fetch_one(c).await)?;
    Ok(AccountId(id))
}

/// What it takes to link an identity.
#[derive(Debug, Clone)]
pub struct NewIdentity<'a> {
    /// Issuer URL or [`EMAIL_ISSUER`].
    pub issuer: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Provider id.
    pub provider: &'a str,
    /// Verified address, if any.
    pub email: Option<&'a str>,
}

/// Links an identity to an account. [`DbError::Conflict`] when it is linked already
/// (to this or another account).
pub async fn add_identity(
    conn: Conn<'_>,
    account: AccountId,
    identity: &NewIdentity<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO identities (account_id, issuer, subject, provider, email, created_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)";
    on!(conn, c => sqlx::query(SQL)
        .bind(account)
        .bind(identity.issuer)
        .bind(identity.subject)
        .bind(identity.provider)
        .bind(identity.email)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Records a sign-in with an identity.
pub async fn touch_identity(
    conn: Conn<'_>,
    issuer: &str,
    subject: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE identities SET last_used_at = $3 WHERE issuer = $1 AND subject = $2";
    on!(conn, c => sqlx::query(SQL).bind(issuer).bind(subject).bind(now).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The identities of an account, oldest first.
pub async fn identities(conn: Conn<'_>, account: AccountId) -> Result<Vec<Identity>, DbError> {
    const SQL: &str = "SELECT id, account_id, issuer, subject, provider, email, created_at, last_used_at \
         FROM identities WHERE account_id = $1 ORDER BY created_at, id";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(account).fetch_all(c).await)?)
}

/// Why an identity could not be removed.
#[derive(Debug, PartialEq, Eq)]
pub enum UnlinkOutcome {
    /// Removed.
    Removed,
    /// It is the account's only way to sign in.
    LastIdentity,
    /// No such identity on this account.
    NotFound,
}

/// Removes an identity unless it is the account's last one. Run it in a write transaction.
///
/// Counting and deleting in two statements let two concurrent unlinks of an account's last
/// two identities both see "2" and both delete, leaving no way to sign in. Here the delete
/// is one conditional statement, and it runs after the account's row is locked: on
/// PostgreSQL (READ COMMITTED) a statement's subquery reads the snapshot taken when the
/// statement starts, so without the lock both deletes would still count the other's row.
/// With it, the second transaction waits for the first to commit and its statement then
/// counts one identity. SQLite's single writer serialises the two anyway.
pub async fn unlink_identity(
    mut conn: Conn<'_>,
    account: AccountId,
    identity_id: i64,
) -> Result<UnlinkOutcome, DbError> {
    const LOCK: &str = "UPDATE accounts SET session_epoch = session_epoch WHERE id = $1";
    const DELETE: &str = "DELETE FROM identities WHERE id = $1 AND account_id = $2 \
         AND (SELECT COUNT(*) FROM identities WHERE account_id = $2) > 1";
    const OWNED: &str = "SELECT id FROM identities WHERE id = $1 AND account_id = $2";
    on!(conn.reborrow(), c => sqlx::query(LOCK).bind(account).execute(c).await.map(|_| ()))?;
    let removed = on!(conn.reborrow(), c => sqlx::query(DELETE)
        .bind(identity_id)
        .bind(account)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if removed == 1 {
        return Ok(UnlinkOutcome::Removed);
    }
    // Nothing deleted: tell "not yours" from "your last one".
    let owned: Option<i64> = on!(conn, c => sqlx::query_scalar(OWNED)
        .bind(identity_id).bind(account).fetch_optional(c).await)?;
    Ok(if owned.is_some() {
        UnlinkOutcome::LastIdentity
    } else {
        UnlinkOutcome::NotFound
    })
}

/// Sets the display name.
pub async fn rename(
    conn: Conn<'_>,
    account: AccountId,
    name: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE accounts SET name = $2, updated_at = $3 WHERE id = $1";
    let rows = on!(conn, c => sqlx::query(SQL).bind(account).bind(name).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 0 {
        Err(DbError::NotFound)
    } else {
        Ok(())
    }
}

/// Signs the account out of every session: sessions from older epochs stop working.
pub async fn bump_session_epoch(
    conn: Conn<'_>,
    account: AccountId,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str = "UPDATE accounts SET session_epoch = session_epoch + 1, updated_at = $2 WHERE id = $1 RETURNING session_epoch";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(account).bind(now).fetch_one(c).await)?)
}

/// Grants or revokes staff rights by email; [`DbError::NotFound`] if no account has it.
pub async fn set_staff(
    conn: Conn<'_>,
    email: &str,
    staff: bool,
    now: Timestamp,
) -> Result<AccountId, DbError> {
    const SQL: &str =
        "UPDATE accounts SET is_staff = $2, updated_at = $3 WHERE email = $1 RETURNING id";
    let id = on!(conn, c => sqlx::query_scalar(SQL).bind(email).bind(staff).bind(now).fetch_one(c).await)?;
    Ok(AccountId(id))
}

/// Staff accounts, by name.
pub async fn staff(conn: Conn<'_>) -> Result<Vec<Account>, DbError> {
    let sql =
        // A literal, not a bind: the planner then reads the partial index on the staff
        // (migration 0024) instead of every account.
        format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE is_staff = TRUE ORDER BY name, id");
    Ok(on!(conn, c => sqlx::query_as(&sql).fetch_all(c).await)?)
}

/// Number of accounts.
pub async fn count(conn: Conn<'_>) -> Result<i64, DbError> {
    Ok(on!(conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(c).await)?)
}
