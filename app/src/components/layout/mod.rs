//! The app shell: header and footer around every page.

mod footer;
mod header;

pub use footer::Footer;
pub use header::Header;
