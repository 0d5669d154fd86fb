//! Abuse limits, set by the operator (`server/src/config.rs`) and handed to every service in
//! [`crate::Ctx::limits`]. Counting happens in the database, in the transaction of the change
//! that uses the allowance (see [`crate::mail`]), so the limits hold with any number of Stoa
//! processes on one PostgreSQL database.

use chrono::TimeDelta;

/// The operator's limits. [`Limits::default`] is what Stoa ships with; each number says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Invitation mail one community may have sent per UTC day (resends included), unless
    /// staff raised it for that community. 500 is one full paste (a large course) a day;
    /// a lab or consortium sends a handful.
    pub mail_per_community_per_day: i64,
    /// Invitation mail one account may have sent per UTC day across every community and
    /// institution it manages (so creating communities does not multiply the allowance).
    /// Never lower than the limit of the community the mail is for, so a community whose
    /// limit staff raised is not held back by its admin's own allowance.
    pub mail_per_account_per_day: i64,
    /// Invitation mail all of Stoa may send per UTC day: the operator's cap, sized to the
    /// SMTP relay's quota; staff raising one community's limit does not lift it.
    pub mail_per_day: i64,
    /// How soon the same invitation may be sent again.
    pub resend_cooldown: TimeDelta,
    /// New communities one account may sign up in any 24 hours (a rolling window). A lab,
    /// a course and a workshop in one day is generous; more is what someone minting
    /// communities to send invitations from would need.
    pub communities_per_account_per_day: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            mail_per_community_per_day: 500,
            mail_per_account_per_day: 1000,
            mail_per_day: 10_000,
            resend_cooldown: TimeDelta::minutes(10),
            communities_per_account_per_day: 3,
        }
    }
}
