//! Limits that keep Stoa from being used for abuse, set by the operator (configuration).

/// The operator's limits, given to every service in [`crate::Ctx`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// New communities one account may sign up in any 24 hours (`communities_per_account_per_day`).
    pub communities_per_day: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            communities_per_day: 3,
        }
    }
}
