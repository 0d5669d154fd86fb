//! Server functions, one module per resource. Each is thin: validate, call `stoa_db`, map
//! the error.

pub mod account;
pub mod communities;
