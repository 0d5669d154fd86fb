//! The support desk's rules, with no IO.
//!
//! - [`Kind`], [`Impact`], [`Status`]: what a ticket is, how much it hurts, where it stands;
//!   [`Status::after`] is the lifecycle (who may move a ticket where).
//! - [`Calendar`]: business time in the support team's time zone, working days and hours,
//!   without its holidays. SLA targets count business time only.
//! - [`SlaClock`]: a ticket's two clocks: first response (from opening to the first public
//!   answer by staff) and resolution (from opening to resolved, paused while the ticket waits
//!   on its community).
//! - [`SupportConfig`]: the settings (`[support]`): calendar, targets per plan and impact,
//!   and the window in which a member's reply reopens a resolved ticket.

mod calendar;
mod clock;
mod config;
mod ticket;

pub use calendar::Calendar;
pub use clock::SlaClock;
pub use config::{ConfigError, SupportConfig, Target};
pub use ticket::{Actor, Impact, Kind, Move, Refusal, Status};
