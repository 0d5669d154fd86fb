//! Who should be on a hub, as the membership sync reads it: the community's members with a
//! membership in force and a hub username (given at their first hub login, migration 0012).

use stoa_model::Role;

use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// Hub usernames of `community`'s members in force at `now`, with their roles.
pub async fn active_by_hub_username(
    conn: Conn<'_>,
    community: CommunityId,
    now: Timestamp,
) -> Result<Vec<(String, Role)>, DbError> {
    const SQL: &str = "SELECT a.hub_username, m.role FROM memberships m \
         JOIN accounts a ON a.id = m.account_id \
         WHERE m.community_id = $1 AND a.hub_username IS NOT NULL \
         AND (m.ends_at IS NULL OR m.ends_at > $2)";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(community).bind(now).fetch_all(c).await)?)
}
