//! Plans and money, with no IO: what Stoa offers and what it costs.
//!
//! - [`BillingConfig`] and [`Plan`]: the plans on offer, from Stoa's configuration
//!   (`[billing]`): an annual membership fee, a usage fee per monthly active user in bands
//!   with a monthly cap, included hubs, a support level, and the [`stoa_hubs::Bounds`] a
//!   community's hub settings must stay within.
//! - [`UsageFee::fee`]: the usage fee of a month, line by line.
//! - [`Month`]: calendar months (UTC), the period usage is counted and billed in.
//! - [`webhook`]: Stripe webhook signatures, checked on the raw body.
//! - [`Money`]: amounts are integers in the currency's minor unit (cents), never floats;
//!   [`Money::display`] writes them for people.
//!
//! **Monthly active users (MAU).** A person is active on a hub in a calendar month (UTC) when
//! they started a server on it during that month, as the hub reported it (a server start
//! counts on the day it happened). A community's MAU is the number of different people
//! active on any of its hubs; someone who uses two of its hubs counts once. Someone whose
//! server keeps running from the month before without a new start does not count: the idle
//! culler ends servers within a day, so in practice everyone who works starts one.

mod money;
mod month;
mod plans;
pub mod webhook;

pub use money::{Currency, Money};
pub use month::Month;
pub use plans::{
    BillingConfig, ConfigError, FeeBreakdown, FeeLine, Plan, PlanId, UsageBand, UsageFee,
    limits_in_words,
};
