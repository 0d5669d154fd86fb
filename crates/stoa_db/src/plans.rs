//! The plan each community chose (migration 0014). No row: the configured default plan.

use crate::accounts::AccountId;
use crate::communities::CommunityId;
use crate::{Conn, DbError, Timestamp, on};

/// The id of the plan `community` chose, if it chose one.
pub async fn of_community(
    conn: Conn<'_>,
    community: CommunityId,
) -> Result<Option<String>, DbError> {
    const SQL: &str = "SELECT plan_id FROM community_plans WHERE community_id = $1";
    Ok(on!(conn, c => sqlx::query_scalar(SQL).bind(community).fetch_optional(c).await)?)
}

/// Puts `community` on `plan`.
pub async fn set(
    conn: Conn<'_>,
    community: CommunityId,
    plan: &str,
    by: AccountId,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO community_plans (community_id, plan_id, changed_at, changed_by) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (community_id) DO UPDATE SET plan_id = excluded.plan_id, \
         changed_at = excluded.changed_at, changed_by = excluded.changed_by";
    on!(conn, c => sqlx::query(SQL).bind(community).bind(plan).bind(now).bind(by).execute(c).await.map(drop))?;
    Ok(())
}
