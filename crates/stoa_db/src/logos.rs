//! Community logos, stored in the database so that every Stoa process serves them.

use stoa_model::logo::LogoType;

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// A stored logo.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Logo {
    /// Its type, sniffed from the bytes when it was uploaded.
    pub content_type: LogoType,
    /// The image.
    pub bytes: Vec<u8>,
    /// Changes with the image (in its URL and ETag).
    pub version: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// A logo's facts without its bytes (for pages and audit entries).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LogoInfo {
    /// Its type.
    pub content_type: LogoType,
    /// Changes with the image.
    pub version: String,
    /// Size in bytes.
    pub size: i64,
}

/// The logo of `community`, bytes included.
pub async fn get(conn: Conn<'_>, community: CommunityId) -> Result<Option<Logo>, DbError> {
    const SQL: &str = "SELECT content_type, bytes, version, width, height FROM community_logos \
         WHERE community_id = $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).fetch_optional(c).await)?)
}

/// The logo of the community `slug`, bytes included (one query: the logo route serves it
/// on every page view).
pub async fn by_slug(conn: Conn<'_>, slug: &str) -> Result<Option<Logo>, DbError> {
    const SQL: &str = "SELECT l.content_type, l.bytes, l.version, l.width, l.height \
         FROM community_logos l JOIN communities c ON c.id = l.community_id WHERE c.slug = $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(slug).fetch_optional(c).await)?)
}

/// The logo's facts, without the bytes.
pub async fn info(conn: Conn<'_>, community: CommunityId) -> Result<Option<LogoInfo>, DbError> {
    const SQL: &str = "SELECT content_type, version, CAST(LENGTH(bytes) AS BIGINT) AS size \
         FROM community_logos WHERE community_id = $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).fetch_optional(c).await)?)
}

/// What to store (checked already).
#[derive(Debug, Clone)]
pub struct NewLogo<'a> {
    /// Its sniffed type.
    pub content_type: LogoType,
    /// The image.
    pub bytes: &'a [u8],
    /// Its version (hash prefix).
    pub version: &'a str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Sets (or replaces) the logo of `community`.
pub async fn set(
    conn: Conn<'_>,
    community: CommunityId,
    logo: &NewLogo<'_>,
    by: AccountId,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO community_logos \
         (community_id, content_type, bytes, version, width, height, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (community_id) DO UPDATE SET content_type = excluded.content_type, \
         bytes = excluded.bytes, version = excluded.version, width = excluded.width, \
         height = excluded.height, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    let (width, height) = (
        i32::try_from(logo.width).map_err(|_| DbError::Config("logo too wide".into()))?,
        i32::try_from(logo.height).map_err(|_| DbError::Config("logo too high".into()))?,
    );
    on!(conn, c => sqlx::query(SQL)
        .bind(community)
        .bind(logo.content_type)
        .bind(logo.bytes)
        .bind(logo.version)
        .bind(width)
        .bind(height)
        .bind(by)
        .bind(now)
        .execute(c)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Removes the logo of `community`; whether there was one.
pub async fn remove(conn: Conn<'_>, community: CommunityId) -> Result<bool, DbError> {
    const SQL: &str = "DELETE FROM community_logos WHERE community_id = $1";
    let rows = on!(conn, c => sqlx::query(SQL).bind(community).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows > 0)
}
