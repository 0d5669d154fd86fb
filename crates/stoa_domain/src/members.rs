//! A community's members: roles, end dates, removal, ownership.

use stoa_db::communities::CommunityId;
use stoa_db::{Conn, memberships};

use crate::{DomainError, Result};

/// Refuses when the community would be left without an owner. Run inside the write
/// transaction that removes or demotes an owner ([`crate::access::change`] has locked the
/// community, so the count cannot change before the commit).
pub async fn ensure_another_owner(conn: Conn<'_>, community: CommunityId) -> Result<()> {
    if memberships::count_owners(conn, community).await? < 2 {
        return Err(DomainError::invalid(
            "role",
            "A community needs at least one owner: make someone else owner first.",
        ));
    }
    Ok(())
}
