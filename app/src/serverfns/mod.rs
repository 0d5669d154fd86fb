//! Server functions, one module per resource. Each is thin: check the policy (through
//! `crate::access`), validate, call `stoa_db`, record the audit entry, map the error.

pub mod account;
pub mod audit;
pub mod communities;
pub mod community;
pub mod institutions;
pub mod invitations;
pub mod join_requests;
pub mod members;
