//! Server functions, one module per resource. Each is thin: it gathers its arguments, calls
//! one domain service (`stoa_domain`, which checks the policy, validates, writes and records
//! the audit entry) through `crate::ssr::read` or `crate::ssr::write`, and maps the error.

pub mod account;
pub mod announcements;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod communities;
pub mod community;
pub mod console;
pub mod hub;
pub mod institutions;
pub mod invitations;
pub mod join_requests;
pub mod members;
pub mod support;
