//! Reusable components, one per file, grouped by area.

pub mod auth;
pub mod communities;
pub mod errors;
pub mod forms;
pub mod layout;
