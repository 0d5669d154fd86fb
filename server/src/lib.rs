//! The `stoa` server: configuration, telemetry, the HTTP stack and the subcommands that
//! `src/main.rs` dispatches. A library so integration tests can start the real server
//! in-process on `127.0.0.1:0`.

pub mod assets;
pub mod auth;
pub mod body_limit;
pub mod client_ip;
pub mod config;
pub mod forms;
pub mod health;
pub mod hub_login;
pub mod logos;
pub mod middleware;
pub mod page_cache;
pub mod rate_limit;
pub mod seed;
pub mod startup;
pub mod stripe_webhook;
pub mod telemetry;
pub mod worker;
