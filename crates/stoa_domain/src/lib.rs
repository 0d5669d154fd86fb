//! Stoa's domain services: every rule about communities, members, invitations, join
//! requests and institutions lives here, and nowhere else.
//!
//! A service takes a [`Ctx`] (who asks, and when), a connection or write transaction from
//! the store (the store's own types: `stoa_db::Conn` for reads, `stoa_db::WriteTx` for
//! changes; the caller commits), and checked input. It asks the policy (through [`access`]),
//! applies the rules, writes, records the audit entry ([`audit::Audit`]) and queues the
//! background jobs in the same transaction. It knows nothing of HTTP, Leptos or sqlx: the
//! web layer's server functions gather the context, call one service and map the error.

pub mod access;
pub mod accounts;
pub mod announcements;
pub mod audit;
pub mod audit_log;
pub mod billing;
pub mod catalog;
pub mod communities;
pub mod console;
mod error;
pub mod hub_login;
pub mod hubs;
pub mod institutions;
pub mod invitations;
pub mod join_requests;
pub mod limits;
pub mod logos;
pub mod mail;
pub mod members;
pub mod provisioning;
pub mod quota;
pub mod quota_requests;
pub mod stripe;
pub mod support;

pub use error::DomainError;
pub use stoa_model as model;

use stoa_db::Timestamp;
use stoa_db::accounts::AccountId;
use stoa_model::Email;

/// Result of a service.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// The signed-in person a service acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Their account.
    pub id: AccountId,
    /// Display name (recorded in the audit log).
    pub name: String,
    /// Verified address, if known.
    pub email: Option<Email>,
    /// Staff of the service.
    pub staff: bool,
}

/// What every service is given: who asks and the time of the request. Built once per request
/// by the web layer (and by the worker and the CLI, which act as Stoa).
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The signed-in person, if any.
    pub caller: Option<Caller>,
    /// The time recorded for whatever the service does.
    pub now: Timestamp,
    /// Stoa's public base URL (no trailing slash), for links in mail.
    pub public_url: String,
    /// The operator's abuse limits.
    pub limits: limits::Limits,
}

impl Ctx {
    /// The signed-in person, or [`DomainError::SignIn`].
    pub fn caller(&self) -> Result<&Caller> {
        self.caller.as_ref().ok_or(DomainError::SignIn)
    }
}

/// A list's page number as typed in its URL: empty is the first; otherwise 1 to 100,000.
pub fn page_number(typed: &str) -> Result<i64> {
    match typed.trim() {
        "" => Ok(1),
        typed => typed
            .parse()
            .ok()
            .filter(|p| (1..=100_000).contains(p))
            .ok_or_else(|| DomainError::invalid("page", "A page number, from 1.")),
    }
}

/// `YYYY-MM-DD` of an instant (UTC), as shown and as recorded in the audit log.
pub fn date_of(at: Timestamp) -> String {
    at.as_datetime().format("%Y-%m-%d").to_string()
}

/// The first instant (00:00 UTC) of a date.
pub fn start_of(date: chrono::NaiveDate) -> Timestamp {
    Timestamp::from(date.and_time(chrono::NaiveTime::MIN).and_utc())
}
