//! One module per route.

mod communities;
mod home;
mod not_found;
mod signin;

pub use communities::CommunitiesPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;
pub use signin::SignInPage;
