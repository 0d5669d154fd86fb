//! What the account and staff overview pages show (crosses the wire).

use serde::{Deserialize, Serialize};

/// Longest display name accepted.
pub const MAX_NAME_CHARS: usize = 100;

/// One linked identity, as shown on the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityView {
    /// Identity id (for unlinking).
    pub id: i64,
    /// Provider name, or "Email".
    pub provider: String,
    /// The address or subject at that provider.
    pub detail: String,
    /// Date linked.
    pub linked: String,
}

/// The account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Display name.
    pub name: String,
    /// Verified email.
    pub email: Option<String>,
    /// Linked identities.
    pub identities: Vec<IdentityView>,
    /// Providers that can be linked.
    pub providers: Vec<(String, String)>,
}

/// Staff overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    /// Number of accounts.
    pub accounts: i64,
    /// Staff members: (name, email).
    pub staff: Vec<(String, Option<String>)>,
}
