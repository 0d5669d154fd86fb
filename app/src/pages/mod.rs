//! One module per route.

mod account;
mod communities;
mod home;
mod not_found;
mod signin;
mod staff;

pub use account::AccountPage;
pub use communities::CommunitiesPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;
pub use signin::{EmailSentPage, SignInLinkPage, SignInPage};
pub use staff::StaffPage;
