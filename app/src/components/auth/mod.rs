//! Sign-in related components.

mod sign_in_required;
mod user_menu;

pub use sign_in_required::SignInRequired;
pub use user_menu::UserMenu;
