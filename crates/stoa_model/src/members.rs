//! What the members page shows (crosses the wire).

use serde::{Deserialize, Serialize};

use crate::Role;

/// Members per page. 25, not 50: each row carries its role, date and action forms (about
/// 2.5 KB of HTML), and a large course has thousands of members, found by search rather
/// than by paging; half the rows halve the page's render time and size.
pub const MEMBERS_PER_PAGE: u32 = 25;

/// One member row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    /// Account id.
    pub account_id: i64,
    /// Name.
    pub name: String,
    /// Address.
    // Text on the wire, not `Email`: deserialising an `Email` checks it again, and an
    // address stored before a rule was tightened must not make the page fail to load.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// End date (YYYY-MM-DD).
    pub ends_on: Option<String>,
    /// Member since (YYYY-MM-DD).
    pub since: String,
}

/// A page of members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    /// Rows.
    pub items: Vec<MemberRow>,
    /// Matching members in all.
    pub total: u64,
    /// Page from 1.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// The viewer may change members.
    pub can_manage: bool,
    /// The viewer is an owner (may change owners and transfer).
    pub is_owner: bool,
    /// The viewer's account id.
    pub me: i64,
}
