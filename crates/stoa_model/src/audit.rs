//! What the audit log pages show (crosses the wire).

use serde::{Deserialize, Serialize};

/// Entries per page.
pub const AUDIT_PAGE: i64 = 50;

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// Id.
    pub id: i64,
    /// When (UTC, to the minute).
    pub at: String,
    /// Who.
    pub actor: String,
    /// Community slug, if any.
    pub community: Option<String>,
    /// Action name.
    pub action: String,
    /// Target in words.
    pub target: String,
    /// Before (JSON text).
    pub before: Option<String>,
    /// After (JSON text).
    pub after: Option<String>,
}

/// A page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Rows.
    pub items: Vec<AuditRow>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}
