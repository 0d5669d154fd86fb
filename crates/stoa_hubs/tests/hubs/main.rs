//! Integration tests of the public API (one binary, so the chart schema is compiled once per
//! run and linking stays cheap).

mod diff;
mod fixtures;
mod golden;
mod renders;
mod spec_versions;
mod validation;
