//! The staff console's operations lists: every hub and every provisioning change.

use serde::{Deserialize, Serialize};

/// Rows per page of the console's lists.
pub const PAGE_SIZE: u32 = 50;

/// One hub, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleHub {
    /// The hub's slug.
    pub slug: String,
    /// Its community's slug (its hub page is `/communities/<slug>/hub`).
    pub community_slug: String,
    /// Its community's name.
    pub community_name: String,
    /// `revision 4 of 5 asked for, 4 running`, `no revision yet`.
    pub revision: String,
    /// `healthy`, `failed`, `deploying`, `stopped`, `not deployed yet`.
    pub health: String,
    /// The last change in words, with when (empty: none).
    pub last_change: String,
    /// The last change's message (a failure's reason).
    pub last_message: String,
    /// What runs is not what was asked for.
    pub drift: bool,
    /// People who started a server this month.
    pub active_users: i64,
}

/// A page of hubs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleHubs {
    /// This page.
    pub hubs: Vec<ConsoleHub>,
    /// Matching in all.
    pub total: i64,
    /// This page (from 1).
    pub page: i64,
    /// Pages in all.
    pub pages: i64,
    /// The search as applied.
    pub q: String,
    /// The filter as applied (`all`, `drift`, `failed`, `busy`, `unapplied`).
    pub show: String,
    /// The filters on offer (value, label).
    pub filters: Vec<(String, String)>,
    /// The month active people are counted in (`2026-11`).
    pub month: String,
}

/// One provisioning change, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleChange {
    /// Its id (for re-run and cancel).
    pub id: i64,
    /// The hub's slug.
    pub hub_slug: String,
    /// Its community's slug.
    pub community_slug: String,
    /// Its community's name.
    pub community_name: String,
    /// `apply revision 3`, `start`, `stop`.
    pub what: String,
    /// `requested` … `cancelled`.
    pub state: String,
    /// The backend's last word (a failure's reason).
    pub message: String,
    /// Backend attempts so far.
    pub attempts: i32,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub requested_at: String,
    /// Last moved.
    pub updated_at: String,
    /// Finished: may be run again.
    pub can_rerun: bool,
    /// Not finished: may be cancelled.
    pub can_cancel: bool,
}

/// A page of changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleChanges {
    /// This page, newest first.
    pub changes: Vec<ConsoleChange>,
    /// Matching in all.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Pages.
    pub pages: i64,
    /// `open`, `failed` or `all`.
    pub show: String,
    /// Community slug filter (empty: all).
    pub community: String,
    /// The filters on offer (value, label).
    pub filters: Vec<(String, String)>,
}
