//! Community listings.

mod community_card;
mod community_list;

pub use community_card::CommunityCard;
pub use community_list::CommunityList;
