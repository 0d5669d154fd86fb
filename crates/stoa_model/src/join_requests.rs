//! Join requests: their status, and what the requests page shows (crosses the wire).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a join request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinRequestStatus {
    /// Waiting for the community's admins.
    Pending,
    /// Approved: the requester became a member.
    Approved,
    /// Denied.
    Denied,
}

impl JoinRequestStatus {
    /// Every status.
    pub const ALL: [JoinRequestStatus; 3] = [
        JoinRequestStatus::Pending,
        JoinRequestStatus::Approved,
        JoinRequestStatus::Denied,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JoinRequestStatus::Pending => "pending",
            JoinRequestStatus::Approved => "approved",
            JoinRequestStatus::Denied => "denied",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<JoinRequestStatus> {
        JoinRequestStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    /// The decision an admin made: approved or denied.
    pub fn decided(approve: bool) -> JoinRequestStatus {
        if approve {
            JoinRequestStatus::Approved
        } else {
            JoinRequestStatus::Denied
        }
    }
}

impl fmt::Display for JoinRequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most pending requests listed at once.
pub const MAX_LISTED: i64 = 500;

/// A pending request, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequestRow {
    /// Id.
    pub id: i64,
    /// Requester's name.
    pub name: String,
    /// Their address.
    // Text on the wire, not `Email`: deserialising an `Email` checks it again, and an
    // address stored before a rule was tightened must not make the page fail to load.
    pub email: Option<String>,
    /// What they wrote.
    pub message: String,
    /// Date (YYYY-MM-DD).
    pub created_on: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in JoinRequestStatus::ALL {
            assert_eq!(JoinRequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(JoinRequestStatus::parse("maybe"), None);
        assert_eq!(
            JoinRequestStatus::decided(true),
            JoinRequestStatus::Approved
        );
        assert_eq!(JoinRequestStatus::decided(false), JoinRequestStatus::Denied);
    }
}
