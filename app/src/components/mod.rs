//! Reusable components, one per file, grouped by area.

pub mod communities;
pub mod errors;
pub mod layout;
