//! What the community pages show: the views the domain services return and the UI renders
//! (they cross the wire between server and browser).

use serde::{Deserialize, Serialize};

use crate::{Action, JoinPolicy, Role, Slug};

/// Most rows one directory page may ask for.
pub const MAX_PER_PAGE: u32 = 50;
/// Longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// A community as shown in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunitySummary {
    /// URL name.
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    pub description: String,
    /// Research or teaching field.
    pub field: String,
    /// Public website.
    pub website: Option<String>,
    /// Month it joined, e.g. "November 2026".
    pub joined: String,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged<T> {
    /// Rows on this page.
    pub items: Vec<T>,
    /// Rows matching in all.
    pub total: u64,
    /// This page, from 1.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

/// One page of directory results.
pub type CommunityPage = Paged<CommunitySummary>;

/// A community's page, shaped by who is looking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityView {
    /// URL name.
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    pub description: String,
    /// Field.
    pub field: String,
    /// Website.
    pub website: Option<String>,
    /// The path of the community's uploaded logo on Stoa's origin, if it has one.
    pub logo: Option<String>,
    /// How people join.
    pub join_policy: JoinPolicy,
    /// Month it joined.
    pub joined: String,
    /// Signed in at all.
    pub signed_in: bool,
    /// The viewer's role.
    pub my_role: Option<Role>,
    /// When the viewer's membership ends (YYYY-MM-DD), if it does.
    pub my_end: Option<String>,
    /// The community actions the viewer may take (to show tabs and buttons).
    pub can: Vec<Action>,
    /// The viewer has a pending join request.
    pub request_pending: bool,
    /// Catalog pages may name the community among those using an environment.
    pub listed_in_catalog: bool,
    /// Members, hub and billing at a glance: asked for by the community's home only, and
    /// there only for those who may see it.
    pub glance: Option<CommunityHome>,
}

impl CommunityView {
    /// Whether the viewer may do `action` here.
    pub fn may(&self, action: Action) -> bool {
        self.can.contains(&action)
    }
}

/// The at-a-glance block of a community's home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityHome {
    /// Number of members.
    pub members: i64,
    /// Hub status (hubs arrive with a later milestone).
    pub hub_status: String,
    /// Billing status (billing arrives with a later milestone).
    pub billing_status: String,
    /// Paying institution, if chosen.
    pub institution: Option<String>,
}

/// A community in someone's own list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCommunityRow {
    /// Slug.
    pub slug: Slug,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Membership end (YYYY-MM-DD).
    pub ends_on: Option<String>,
}

/// The signed-in person's communities and institutions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Communities they belong to.
    pub communities: Vec<MyCommunityRow>,
    /// Institutions they administer: (id, legal name).
    pub institutions: Vec<(i64, String)>,
}

/// One row of the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCommunityRow {
    /// Slug.
    pub slug: Slug,
    /// Name.
    pub name: String,
    /// Members.
    pub members: i64,
    /// Date it joined.
    pub created: String,
    /// Its plan's name.
    pub plan: String,
    /// Where it stands with paying (`trialing`, `active`, `past_due`, `canceled`; empty:
    /// no billing record yet).
    pub billing: String,
    /// Its hubs.
    pub hubs: i64,
}

/// A page of the staff list.
pub type StaffCommunityPage = Paged<StaffCommunityRow>;

/// The community sign-up and settings form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityForm {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Field.
    pub field: String,
    /// Website.
    pub website: String,
    /// Join policy (`invite` or `request`).
    pub join_policy: String,
}

/// Where a new community's bills go, as chosen on the sign-up form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionChoice {
    /// Empty (choose later), `new`, or the id of an institution the person administers.
    pub institution: String,
    /// Legal name of a new institution.
    pub legal_name: String,
    /// Country of a new institution.
    pub country: String,
}
