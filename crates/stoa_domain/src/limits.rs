//! Abuse limits, set by the operator (`server/src/config.rs`) and handed to every service in
//! [`crate::Ctx::limits`]. Counting happens in the database, in the transaction of the change
//! that uses the allowance, so the limits hold with any number of Stoa processes on one
//! PostgreSQL database.

/// The operator's limits. [`Limits::default`] is what Stoa ships with; each number says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// New communities one account may sign up in any 24 hours (a rolling window). A lab,
    /// a course and a workshop in one day is generous; more is what someone minting
    /// communities to send invitations from would need.
    pub communities_per_account_per_day: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            communities_per_account_per_day: 3,
        }
    }
}
