//! One module per route (or group of routes).

mod account;
mod announcements;
mod audit;
mod billing;
mod catalog;
mod communities;
pub mod community;
mod dashboard;
mod home;
mod hub;
mod institutions;
mod invitations;
mod members;
mod not_found;
mod signin;
mod staff;
mod support;

pub use account::AccountPage;
pub use announcements::{Announcements, StaffAnnouncementPage, StaffAnnouncementsPage};
pub use audit::{CommunityAuditPage, StaffAuditPage};
pub use billing::{PricingPage, UsagePage};
pub use catalog::{CatalogEntryPage, CatalogPage, CatalogPublishPage};
pub use communities::CommunitiesPage;
pub use community::{
    BillingPage, CommunityFrame, CommunityHomePage, CommunitySettingsPage, JoinRequestsPage,
    NewCommunityPage,
};
pub use dashboard::DashboardPage;
pub use home::HomePage;
pub use hub::{HubDiffPage, HubPage, HubPreviewPage};
pub use institutions::{InstitutionPage, NewInstitutionPage};
pub use invitations::{AcceptInvitationPage, InvitationsPage};
pub use members::MembersPage;
pub use not_found::NotFoundPage;
pub use signin::{EmailSentPage, SignInLinkPage, SignInPage};
pub use staff::{StaffChangesPage, StaffCommunitiesPage, StaffHubsPage, StaffNav, StaffPage};
pub use support::{StaffTicketsPage, SupportPage, TicketPage, ViewAsBanner};
