//! A community's hub as its pages show it: the summary members see, the settings as the edit
//! forms hold them (text, the way a form sends it back), the revision history, diffs and the
//! homepage preview. The hub's typed settings, their validation and renderings live in
//! `stoa_hubs`, which never reaches the browser; these are the shapes the pages need.

use serde::{Deserialize, Serialize};

use crate::Role;

/// The hub tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubView {
    /// The hub's name in host names (the community's slug for its first hub).
    pub slug: String,
    /// Newest revision (0: the hub has no saved settings yet).
    pub latest: i32,
    /// The revision the community asked to run, and when (`YYYY-MM-DD HH:MM` UTC).
    pub applied: Option<(i32, String)>,
    /// What members see: environments and how to log in.
    pub summary: HubSummary,
    /// The viewer may save revisions, roll back and ask for one to be applied.
    pub can_edit: bool,
    /// The viewer may change staff-only settings.
    pub can_edit_staff: bool,
    /// Settings in full, history and diffs: for the community's admins and staff.
    pub detail: Option<HubDetail>,
    /// Where the hub runs and what happened to the changes asked of it.
    pub status: HubStatus,
    /// Catalog versions the applied revision uses that are deprecated or carry a security
    /// notice.
    pub catalog_notices: Vec<CatalogNotice>,
}

/// A hub environment on a catalog version that is deprecated or has a security notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogNotice {
    /// The environment's slug in the hub.
    pub environment: String,
    /// The catalog entry's slug (its page).
    pub entry_slug: String,
    /// What is wrong, in words ("Pangeo 2025.01 is deprecated").
    pub headline: String,
    /// The security notice, if any (plain text).
    pub security_notice: String,
    /// The version recommended instead, if any.
    pub replacement: Option<String>,
    /// A saved revision newer than the applied one already moves the environment on.
    pub moved_in: Option<i32>,
}

/// The running hub: its address, what it runs, and the timeline of recent changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubStatus {
    /// The hub's address, once created (never on Stoa's own host).
    pub url: Option<String>,
    /// The revision it last ran successfully.
    pub deployed: Option<i32>,
    /// Whether it should run (`false`: stopped on purpose, or never deployed).
    pub running: bool,
    /// In words: "Running revision 3", "Not deployed yet", "Stopped".
    pub headline: String,
    /// A change is on its way: the page refreshes itself while this is true.
    pub in_progress: bool,
    /// The viewer may start and stop the hub.
    pub can_operate: bool,
    /// The viewer may re-run or cancel changes (staff).
    pub can_intervene: bool,
    /// Recent changes, newest first.
    pub changes: Vec<ChangeRow>,
}

/// One requested change and its timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRow {
    /// Its id (for staff actions).
    pub id: i64,
    /// What it does, in words ("Apply revision 3", "Start", "Stop").
    pub what: String,
    /// Its state now (`requested`, …, `healthy`, `failed`).
    pub state: String,
    /// The backend's last word.
    pub message: Option<String>,
    /// Who asked ("Stoa" when nobody did).
    pub requested_by: String,
    /// When (`YYYY-MM-DD HH:MM` UTC).
    pub requested_at: String,
    /// The timeline: each state reached, with its time (`HH:MM:SS`) and words.
    pub steps: Vec<(String, String, Option<String>)>,
    /// Done: nothing more will happen to it.
    pub finished: bool,
}

/// What every member sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSummary {
    /// The environments on offer.
    pub environments: Vec<EnvironmentSummary>,
    /// Who may log in, in sentences.
    pub login: Vec<String>,
    /// Where a new server opens, in words.
    pub interface: String,
}

/// One environment as members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSummary {
    /// Name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Image reference.
    pub image: String,
    /// Size label (CPU and memory).
    pub size: String,
    /// Preselected.
    pub default: bool,
    /// Roles that may use it (empty: everyone).
    pub roles: Vec<Role>,
    /// The catalog entry's slug and its version in words ("Pangeo 2025.08.14"), when the
    /// environment comes from the catalog.
    pub catalog: Option<(String, String)>,
}

/// The hub for those who manage it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubDetail {
    /// The latest settings as the forms show them.
    pub form: HubForm,
    /// The staff-only settings as their form shows them.
    pub staff: StaffForm,
    /// Newest first.
    pub history: Vec<RevisionRow>,
    /// Revisions in all.
    pub history_total: i64,
    /// The sizes staff offer: (id, label).
    pub sizes: Vec<(String, String)>,
    /// What each setting means on a hub on this machine: (setting, meaning, why).
    pub enforcement: Vec<(String, String, String)>,
    /// The pattern images must match (also the `pattern` of the image fields).
    pub image_pattern: String,
    /// The pattern in words.
    pub image_message: String,
    /// The community's effective bounds, in words.
    pub bounds: Vec<String>,
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionRow {
    /// Number.
    pub number: i32,
    /// Who saved it (None once their account is gone).
    pub author: Option<String>,
    /// Their message.
    pub message: String,
    /// When (`YYYY-MM-DD HH:MM` UTC).
    pub at: String,
    /// The revision it restored, for a rollback.
    pub rollback_of: Option<i32>,
}

/// The community-editable settings as text, the way the forms send them back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubForm {
    /// Homepage.
    pub homepage: HomepageForm,
    /// Login rules, one per line.
    pub login: LoginForm,
    /// Environments.
    pub environments: Vec<EnvironmentForm>,
    /// Server settings.
    pub server: ServerForm,
    /// The planned event, if any.
    pub event: EventForm,
}

/// The homepage form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomepageForm {
    /// Organisation name.
    pub org_name: String,
    /// Organisation web site.
    pub org_url: String,
    /// "Funded by" name.
    pub funded_by_name: String,
    /// "Funded by" link.
    pub funded_by_url: String,
    /// Announcement (Markdown).
    pub announcement: String,
    /// Show the community's logo.
    pub show_logo: bool,
}

/// The login form: one rule per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginForm {
    /// Verified email domains whose people join on first login.
    pub email_domains: String,
    /// CILogon identity provider entity IDs.
    pub cilogon_idps: String,
    /// GitHub `org` or `org:team`.
    pub github_rules: String,
}

/// One environment's form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentForm {
    /// Slug (unique within the hub).
    pub slug: String,
    /// Name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Image reference.
    pub image: String,
    /// Size id.
    pub size: String,
    /// Preselected.
    pub default: bool,
    /// Roles that may use it (empty: everyone).
    pub roles: Vec<Role>,
}

/// Server settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerForm {
    /// `lab`, `classic`, `rstudio` or `git`.
    pub interface: String,
    /// For `git`: repository address.
    pub git_repo: String,
    /// For `git`: branch.
    pub git_branch: String,
    /// For `git`: path inside the repository.
    pub git_path: String,
    /// Idle timeout in minutes.
    pub idle_timeout_minutes: String,
    /// Maximum server age in hours.
    pub max_age_hours: String,
    /// Home quota in GiB.
    pub home_quota_gib: String,
    /// Several named servers per person.
    pub named_servers: bool,
    /// People may type their own image.
    pub bring_your_own_image: bool,
}

/// The event form (all empty: no event).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventForm {
    /// Expected concurrent users.
    pub expected_users: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`.
    pub ends_on: String,
}

/// The staff-only settings as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffForm {
    /// Custom domain.
    pub custom_domain: String,
    /// Per-environment scheduling, one `slug key=value` per line, for node selectors.
    pub node_selectors: String,
    /// Per-environment extra resource limits, one `slug key=value` per line (GPUs).
    pub extra_resource_limits: String,
    /// Bound overrides, one `name=value` per line (empty: the staff default).
    pub bounds: String,
}

/// The difference between two revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubDiff {
    /// From revision.
    pub from: i32,
    /// To revision.
    pub to: i32,
    /// Field by field, in words.
    pub changes: Vec<String>,
    /// Unified diff of the settings as YAML (what the community edited).
    pub yaml: String,
    /// Unified diff of the Zero to JupyterHub Helm values they render to (what changes on a
    /// hub on Kubernetes).
    pub rendered: String,
}

/// What a section's form did: saved a revision, or (asked to show the changes first) nothing
/// yet, with what saving would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSaved {
    /// The new revision, when saved; None when only checked.
    pub number: Option<i32>,
    /// What changes (or changed) from the latest revision, in words.
    pub changes: Vec<String>,
    /// For the homepage: how it would look.
    pub preview: Option<HubPreview>,
}

/// The hub's homepage as a revision would render it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubPreview {
    /// Revision shown.
    pub number: i32,
    /// Organisation name.
    pub org_name: String,
    /// Organisation link (http or https only).
    pub org_url: Option<String>,
    /// "Funded by" name.
    pub funded_by_name: Option<String>,
    /// "Funded by" link.
    pub funded_by_url: Option<String>,
    /// The logo's path on Stoa, when shown and uploaded.
    pub logo: Option<String>,
    /// The announcement as sanitised HTML (made on the server by `stoa_hubs`).
    pub announcement_html: String,
}

/// The switches of the server settings form (`options[named_servers]=true`, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerOptions {
    /// Several named servers per person.
    pub named_servers: bool,
    /// People may type their own image.
    pub bring_your_own_image: bool,
}

/// The roles ticked on an environment's form (`roles[owner]=true`, …); none ticked means
/// everyone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleChoice {
    /// Owners.
    pub owner: bool,
    /// Admins.
    pub admin: bool,
    /// Billing.
    pub billing: bool,
    /// Members.
    pub member: bool,
}

impl RoleChoice {
    /// The roles ticked, most powerful first.
    pub fn roles(self) -> Vec<Role> {
        [
            (self.owner, Role::Owner),
            (self.admin, Role::Admin),
            (self.billing, Role::Billing),
            (self.member, Role::Member),
        ]
        .into_iter()
        .filter_map(|(on, role)| on.then_some(role))
        .collect()
    }
}
