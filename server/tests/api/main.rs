//! Integration tests: the real server on 127.0.0.1:0, driven over HTTP, on SQLite and on
//! PostgreSQL (a fresh database per test).

mod helpers;

mod announcements;
mod assets;
mod auth;
mod authorization;
mod billing;
mod catalog;
mod cli;
mod communities;
mod console;
mod forms;
mod health;
mod hub_deploy;
mod hub_login;
mod hubs;
mod institutions;
mod invitations;
mod logos;
mod page_cache;
mod pages;
mod parallel;
mod security;
mod stripe_invoices;
mod stripe_local;
mod stripe_webhooks;
mod support;
