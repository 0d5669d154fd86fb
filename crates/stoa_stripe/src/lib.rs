//! Stoa's calls to Stripe, and its reading of Stripe's answers and webhook events.
//!
//! - Requests are async-stripe's types ([`calls`]), so each parameter is encoded as the
//!   pinned API version ([`api_version`]) documents it; [`Client`] sends them with reqwest,
//!   naming that version and the caller's idempotency key.
//! - Answers and events are read by Stoa's own lenient views ([`objects`]): only the fields
//!   Stoa uses, in the shapes of older and newer API versions alike.
//! - Webhook signatures are checked by [`stoa_billing::webhook`], on the raw body.
//!
//! No database or web types: `stoa_domain` decides what to call and records what happened.

pub mod calls;
mod client;
pub mod objects;

pub use calls::{CheckoutRequest, Customer, InvoiceTerms, UsageItem, plan_id};
pub use client::{Client, StripeError, api_version};
pub use objects::{CheckoutSession, Created, Event, HostedPage, Invoice, List, Subscription};
