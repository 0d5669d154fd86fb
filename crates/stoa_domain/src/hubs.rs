//! A community's hub settings: the tab members read, the revisions its admins save, diff,
//! preview, roll back and ask to apply, and the staff-only settings staff change.
//!
//! Every save makes a new immutable revision ([`stoa_db::hubs`]). An edit names the revision
//! it started from; when someone saved another one meanwhile the save is refused with what
//! changed (optimistic concurrency: nobody holds a lock while they type). Each form edits one
//! section of the [`HubSpec`]; the rest is carried over from the latest revision, so two admins
//! editing different sections still conflict (and are told what the other changed) rather than
//! silently undoing each other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use stoa_db::hubs::{self, Hub, NewRevision, Saved};
use stoa_db::{Conn, WriteTx};
use stoa_hubs::{
    Bounds, DefaultInterface, Environment, EventCapacity, HubSpec, SizeChoice, ValidationContext,
};
use stoa_model::hub::{
    EnvironmentForm, EnvironmentSummary, EventForm, HomepageForm, HubDetail, HubDiff, HubForm,
    HubPreview, HubSaved, HubSummary, HubView, LoginForm, RevisionRow, ServerForm, StaffForm,
};
use stoa_model::validate::Checks;
use stoa_model::{Action, FieldMessage, Invalid};

use crate::access::{self, CommunityAccess};
use crate::billing::BillingConfig;
use crate::{Ctx, DomainError, Result};

/// Staff configuration of hubs (`[hubs]` in Stoa's configuration): the sizes on offer, the
/// default bounds every community works within, and the image a new hub starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Machine sizes communities choose from, smallest first.
    pub sizes: Vec<SizeChoice>,
    /// Default bounds; staff override them per community in its staff-only settings.
    pub bounds: Bounds,
    /// Image of a new hub's first environment.
    pub default_image: String,
    /// The provisioning backend hubs run on.
    pub backend: BackendChoice,
    /// How the `local` backend runs hubs (`[hubs.local]`).
    pub local: stoa_provision::local::LocalSettings,
    /// Minutes between two membership syncs of a running hub (on top of the sync after
    /// every membership change).
    pub sync_minutes: u32,
}

/// Which provisioning backend deploys hubs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// Real JupyterHubs on this machine (`stoa_provision::local`).
    #[default]
    Local,
}

impl Default for HubConfig {
    fn default() -> Self {
        let size = |id: &str, label: &str, cpu_millis, gib: u64| SizeChoice {
            id: id.into(),
            label: label.into(),
            cpu_millis,
            memory_bytes: gib * stoa_hubs::GIB,
        };
        HubConfig {
            sizes: vec![
                size("small", "Small: 1 CPU, 2 GiB", 1000, 2),
                size("medium", "Medium: 2 CPU, 4 GiB", 2000, 4),
                size("large", "Large: 4 CPU, 16 GiB", 4000, 16),
            ],
            bounds: Bounds::default(),
            // 2i2c's basehub default image (../shared/notes/hub-config.md).
            default_image: "quay.io/jupyter/scipy-notebook:2024-03-18".into(),
            backend: BackendChoice::Local,
            local: stoa_provision::local::LocalSettings::default(),
            sync_minutes: 10,
        }
    }
}

impl HubConfig {
    /// Validation against `base`: the community's bounds before its staff overrides (the
    /// service's `bounds` with its plan's on top: [`crate::billing::base_bounds`]).
    fn validation<'a>(&'a self, base: &'a Bounds) -> ValidationContext<'a> {
        ValidationContext {
            default_bounds: base,
            sizes: &self.sizes,
        }
    }

    fn size_label(&self, id: &str) -> String {
        self.sizes
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.label.clone())
    }
}

/// Longest revision message.
pub const MAX_MESSAGE_CHARS: usize = 200;
/// Revisions one hub may get in any 24 hours: far above any real editing, it keeps a script
/// (or a stuck browser) from filling the database with revisions.
pub const MAX_REVISIONS_PER_DAY: i64 = 200;
/// Revisions the tab lists.
const HISTORY_ROWS: i64 = 50;

/// One form's change to the latest settings.
///
/// Only [`Edit::Staff`] (asked for with [`Action::EditHubStaffSettings`]) sets staff-only
/// settings: no other variant carries any, so a community edit cannot change them. Staff
/// settings are keyed by environment, so they follow a renamed environment and go with a
/// removed one ([`apply`]).
#[derive(Debug, Clone)]
pub enum Edit {
    /// The homepage section.
    Homepage(HomepageForm),
    /// Who may log in.
    Login(LoginForm),
    /// Adds an environment (`original` empty) or changes the one whose slug was `original`.
    Environment {
        /// The slug of the environment edited; empty to add one.
        original: String,
        /// Its new values.
        form: EnvironmentForm,
    },
    /// Removes the environment with this slug.
    RemoveEnvironment(String),
    /// Interface, culling, storage, named servers, bring-your-own image.
    Server(ServerForm),
    /// The planned event (all fields empty: none).
    Event(EventForm),
    /// Staff-only settings.
    Staff(StaffForm),
    /// Adds an environment from the shared catalog, or moves one to another catalog version.
    Catalog(CatalogChoice),
    /// Grants a quota request staff approved ([`grant_quota`]).
    Quota(QuotaGrant),
}

/// A quota request as staff grant it. Its fields are private to this crate: only
/// [`grant_quota`] makes one, from a request kept on a ticket, so no form of the hub's
/// settings raises a bound.
#[derive(Debug, Clone)]
pub struct QuotaGrant {
    /// The values asked for.
    pub(crate) request: stoa_hubs::quota::QuotaRequest,
    /// The ticket it came from (for the revision's message).
    pub(crate) ticket: i64,
}

/// An environment from the shared catalog, resolved by [`crate::catalog::add_to_hub`] or
/// [`crate::catalog::use_replacement`]. Its fields are private to this crate, so only those
/// functions make one: the image always is the catalog version's, never one a form typed.
#[derive(Debug, Clone)]
pub struct CatalogChoice {
    /// The environment moved to another version; empty to add one.
    pub(crate) original: String,
    /// Name in the spawn menu (for a new environment).
    pub(crate) display_name: String,
    /// Description in the spawn menu (for a new environment): the entry's summary.
    pub(crate) description: String,
    /// The version's image.
    pub(crate) image: String,
    /// The version.
    pub(crate) reference: stoa_hubs::CatalogRef,
}

impl Edit {
    fn action(&self) -> Action {
        match self {
            Edit::Staff(_) | Edit::Quota(_) => Action::EditHubStaffSettings,
            _ => Action::EditHub,
        }
    }

    /// What the audit log and a blank message call it.
    fn label(&self) -> String {
        match self {
            Edit::Homepage(_) => "Homepage updated".into(),
            Edit::Login(_) => "Login rules updated".into(),
            Edit::Environment { original, form } if original.is_empty() => {
                format!("Environment '{}' added", form.display_name.trim())
            }
            Edit::Environment { form, .. } => {
                format!("Environment '{}' updated", form.display_name.trim())
            }
            Edit::RemoveEnvironment(slug) => format!("Environment '{slug}' removed"),
            Edit::Server(_) => "Server settings updated".into(),
            Edit::Event(_) => "Event updated".into(),
            Edit::Staff(_) => "Staff settings updated".into(),
            Edit::Quota(g) => format!(
                "Quota request #{} approved: {}",
                g.ticket,
                g.request.lines().join("; ")
            ),
            Edit::Catalog(c) if c.original.is_empty() => format!(
                "Environment '{}' added from the catalog ({} {})",
                c.display_name.trim(),
                c.reference.name,
                c.reference.version
            ),
            Edit::Catalog(c) => format!(
                "Environment '{}' moved to {} {}",
                c.original, c.reference.name, c.reference.version
            ),
        }
    }
}

/// The community's first hub and its latest spec (a starter spec, revision 0, when nothing
/// was saved yet).
struct Current {
    hub: Option<Hub>,
    latest: i32,
    spec: HubSpec,
}

async fn current(mut conn: Conn<'_>, cfg: &HubConfig, access: &CommunityAccess) -> Result<Current> {
    let c = &access.community;
    let hub = hubs::of_community(conn.reborrow(), c.id)
        .await?
        .into_iter()
        .next();
    let starter = || {
        let size = cfg.sizes.first().map_or("small", |s| s.id.as_str());
        HubSpec::starter(&c.name, &cfg.default_image, size)
    };
    let Some(h) = hub.as_ref().filter(|h| h.latest_revision > 0) else {
        return Ok(Current {
            hub,
            latest: 0,
            spec: starter(),
        });
    };
    let spec = spec_of(conn, h, h.latest_revision).await?;
    Ok(Current {
        latest: h.latest_revision,
        hub,
        spec,
    })
}

/// The community's newest hub settings (the starter settings before the first save).
pub(crate) async fn latest_spec(
    conn: Conn<'_>,
    cfg: &HubConfig,
    access: &CommunityAccess,
) -> Result<HubSpec> {
    Ok(current(conn, cfg, access).await?.spec)
}

/// What in the community's newest hub settings would not fit `bounds` (a plan change's
/// warning), one sentence each; empty when all fits or there is no hub yet.
pub(crate) async fn misfits(
    conn: Conn<'_>,
    cfg: &HubConfig,
    access: &CommunityAccess,
    bounds: &Bounds,
) -> Result<Vec<String>> {
    let cur = current(conn, cfg, access).await?;
    if cur.latest == 0 {
        return Ok(Vec::new());
    }
    Ok(
        match stoa_hubs::validate(&cur.spec, &cfg.validation(bounds)) {
            Ok(()) => Vec::new(),
            Err(invalid) => invalid.0.into_iter().map(|m| m.message).collect(),
        },
    )
}

/// Revision `number`'s spec. A stored spec that cannot be read is an operational failure
/// (it was valid when written), reported with its cause.
async fn spec_of(conn: Conn<'_>, hub: &Hub, number: i32) -> Result<HubSpec> {
    let revision = hubs::revision(conn, hub.id, number)
        .await?
        .ok_or(DomainError::NotFound)?;
    HubSpec::from_json(&revision.spec).map_err(|e| {
        DomainError::Store(stoa_db::DbError::Config(format!(
            "hub {} revision {number}: {e}",
            hub.slug
        )))
    })
}

fn when(at: stoa_db::Timestamp) -> String {
    at.as_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The hub tab: a summary for every member; settings, history and bounds for its admins and
/// staff.
pub async fn view(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
) -> Result<HubView> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewHub).await?;
    let cur = current(conn.reborrow(), cfg, &access).await?;
    let base =
        crate::billing::base_bounds(conn.reborrow(), cfg, billing, access.community.id).await?;
    let detail = if access.may(Action::ViewHubRevisions) {
        let history = match &cur.hub {
            Some(h) => hubs::revisions(conn.reborrow(), h.id, HISTORY_ROWS, 0).await?,
            None => stoa_db::Page {
                items: Vec::new(),
                total: 0,
            },
        };
        Some(HubDetail {
            form: form_of(&cur.spec),
            staff: staff_form_of(&cur.spec),
            history: history
                .items
                .into_iter()
                .map(|r| RevisionRow {
                    number: r.number,
                    author: r.author_name,
                    message: r.message,
                    at: when(r.created_at),
                    rollback_of: r.rollback_of,
                })
                .collect(),
            history_total: history.total,
            sizes: cfg
                .sizes
                .iter()
                .map(|s| (s.id.clone(), s.label.clone()))
                .collect(),
            enforcement: stoa_hubs::enforcement()
                .iter()
                .map(|row| {
                    (
                        row.field.to_owned(),
                        row.enforcement.label().to_owned(),
                        row.why.to_owned(),
                    )
                })
                .collect(),
            image_pattern: stoa_hubs::IMAGE_REFERENCE_PATTERN.to_owned(),
            image_message: stoa_hubs::IMAGE_REFERENCE_MESSAGE.to_owned(),
            bounds: bounds_in_words(&cfg.validation(&base).effective_bounds(&cur.spec)),
        })
    } else {
        None
    };
    let status = status_of(conn.reborrow(), cur.hub.as_ref(), &access).await?;
    let catalog_notices = match &cur.hub {
        Some(h) => crate::catalog::notices(conn.reborrow(), h, &cur.spec).await?,
        None => Vec::new(),
    };
    Ok(HubView {
        catalog_notices,
        status,
        slug: cur
            .hub
            .as_ref()
            .map_or_else(|| access.community.slug.to_string(), |h| h.slug.clone()),
        latest: cur.latest,
        applied: cur.hub.as_ref().and_then(|h| {
            h.applied_revision
                .zip(h.applied_at)
                .map(|(n, at)| (n, when(at)))
        }),
        summary: summary_of(cfg, &cur.spec),
        can_edit: access.may(Action::EditHub),
        can_edit_staff: access.may(Action::EditHubStaffSettings),
        detail,
    })
}

/// Changes shown on the hub tab.
const CHANGE_ROWS: i64 = 5;

/// The hub's address, what it runs, and its recent changes with their timelines.
async fn status_of(
    mut conn: Conn<'_>,
    hub: Option<&Hub>,
    access: &CommunityAccess,
) -> Result<stoa_model::hub::HubStatus> {
    use stoa_db::deployments::{self, Action as Change};
    use stoa_model::hub::{ChangeRow, HubStatus};
    let changes = match hub {
        Some(h) => deployments::recent(conn.reborrow(), h.id, CHANGE_ROWS).await?,
        None => Vec::new(),
    };
    let ids: Vec<_> = changes.iter().map(|c| c.id).collect();
    let steps = deployments::steps(conn, &ids).await?;
    let in_progress = changes.iter().any(|c| !c.state.is_final());
    let running = hub.is_some_and(|h| h.desired_state.as_deref() == Some("running"));
    let deployed = hub.and_then(|h| h.deployed_revision);
    let headline = match (hub.and_then(|h| h.desired_state.as_deref()), deployed) {
        (None, _) => "Not deployed yet".to_owned(),
        (Some("stopped"), _) => "Stopped".to_owned(),
        (Some(_), Some(n)) => format!("Running revision {n}"),
        (Some(_), None) => "Being deployed for the first time".to_owned(),
    };
    Ok(HubStatus {
        url: hub.and_then(|h| h.url.clone()),
        deployed,
        running,
        headline,
        in_progress,
        can_operate: access.may(Action::EditHub) && deployed.is_some(),
        can_intervene: access.may(Action::EditHubStaffSettings),
        changes: changes
            .into_iter()
            .map(|c| ChangeRow {
                id: c.id.0,
                what: match (c.action, c.revision) {
                    (Change::Apply, Some(n)) => format!("Apply revision {n}"),
                    (Change::Apply, None) => "Apply".to_owned(),
                    (Change::Start, _) => "Start the hub".to_owned(),
                    (Change::Stop, _) => "Stop the hub".to_owned(),
                },
                state: c.state.as_str().to_owned(),
                message: c.message,
                requested_by: c.requested_by_name.unwrap_or_else(|| "Stoa".to_owned()),
                requested_at: when(c.requested_at),
                steps: steps
                    .iter()
                    .filter(|s| s.deployment_id == c.id)
                    .map(|s| {
                        (
                            s.state.clone(),
                            s.at.as_datetime().format("%H:%M:%S").to_string(),
                            s.message.clone(),
                        )
                    })
                    .collect(),
                finished: c.state.is_final(),
            })
            .collect(),
    })
}

fn summary_of(cfg: &HubConfig, spec: &HubSpec) -> HubSummary {
    let mut login = vec![
        "Members of the community log in with their Stoa account; its owners and admins are \
         the hub's admins."
            .to_owned(),
    ];
    if !spec.login.email_domains.is_empty() {
        login.push(format!(
            "Anyone whose verified email address is at {} may log in too, and joins the \
             community on first login.",
            spec.login.email_domains.join(", ")
        ));
    }
    if !spec.login.cilogon_idps.is_empty() || !spec.login.github_rules.is_empty() {
        login.push(
            "Rules by identity provider and GitHub organisation are saved and take effect once \
             a sign-in provider supplies those facts."
                .into(),
        );
    }
    HubSummary {
        environments: spec
            .environments
            .iter()
            .map(|e| EnvironmentSummary {
                display_name: e.display_name.clone(),
                description: e.description.clone(),
                image: e.image.clone(),
                size: cfg.size_label(&e.size),
                default: e.default,
                roles: e.allowed_roles.clone(),
                catalog: e
                    .catalog
                    .as_ref()
                    .map(|c| (c.entry.clone(), format!("{} {}", c.name, c.version))),
            })
            .collect(),
        login,
        interface: match &spec.default_interface {
            DefaultInterface::JupyterLab => "JupyterLab".into(),
            DefaultInterface::Classic => "The classic notebook".into(),
            DefaultInterface::RStudio => "RStudio".into(),
            DefaultInterface::GitPuller { repo, .. } => {
                format!("JupyterLab, with the content of {repo} pulled in")
            }
        },
    }
}

fn bounds_in_words(b: &Bounds) -> Vec<String> {
    let gib = |bytes: u64| bytes as f64 / stoa_hubs::GIB as f64;
    vec![
        format!(
            "Sizes up to {:.3} CPU and {} GiB of memory",
            f64::from(b.max_cpu_millis) / 1000.0,
            gib(b.max_memory_bytes)
        ),
        format!("Home storage up to {} GiB per person", b.max_home_quota_gib),
        format!(
            "Idle timeout between {} and {} minutes",
            b.min_idle_timeout_seconds / 60,
            b.max_idle_timeout_seconds / 60
        ),
        format!(
            "Servers stopped after at most {} hours",
            b.max_server_age_seconds / 3600
        ),
        format!("Events of up to {} people at once", b.max_event_users),
        format!("Up to {} environments", b.max_environments),
    ]
}

/// The spec as the forms show it.
pub fn form_of(spec: &HubSpec) -> HubForm {
    let h = &spec.homepage;
    let (interface, repo, branch, path) = match &spec.default_interface {
        DefaultInterface::JupyterLab => ("lab", "", "", ""),
        DefaultInterface::Classic => ("classic", "", "", ""),
        DefaultInterface::RStudio => ("rstudio", "", "", ""),
        DefaultInterface::GitPuller { repo, branch, path } => {
            ("git", repo.as_str(), branch.as_str(), path.as_str())
        }
    };
    HubForm {
        homepage: HomepageForm {
            org_name: h.org_name.clone(),
            org_url: h.org_url.clone().unwrap_or_default(),
            funded_by_name: h.funded_by_name.clone().unwrap_or_default(),
            funded_by_url: h.funded_by_url.clone().unwrap_or_default(),
            announcement: h.announcement.clone(),
            show_logo: h.show_logo,
        },
        login: LoginForm {
            email_domains: spec.login.email_domains.join("\n"),
            cilogon_idps: spec.login.cilogon_idps.join("\n"),
            github_rules: spec.login.github_rules.join("\n"),
        },
        environments: spec
            .environments
            .iter()
            .map(|e| EnvironmentForm {
                slug: e.slug.clone(),
                display_name: e.display_name.clone(),
                description: e.description.clone(),
                image: e.image.clone(),
                size: e.size.clone(),
                default: e.default,
                roles: e.allowed_roles.clone(),
            })
            .collect(),
        server: ServerForm {
            interface: interface.into(),
            git_repo: repo.into(),
            git_branch: branch.into(),
            git_path: path.into(),
            idle_timeout_minutes: (spec.culling.idle_timeout_seconds / 60).to_string(),
            max_age_hours: (spec.culling.max_age_seconds / 3600).to_string(),
            home_quota_gib: spec.home_quota_gib.to_string(),
            named_servers: spec.named_servers,
            bring_your_own_image: spec.bring_your_own_image,
        },
        event: spec.event.map_or_else(EventForm::default, |e| EventForm {
            expected_users: e.expected_users.to_string(),
            starts_on: e.starts_on.to_string(),
            ends_on: e.ends_on.to_string(),
        }),
    }
}

/// The staff-only settings as their form shows them.
pub fn staff_form_of(spec: &HubSpec) -> StaffForm {
    let per_env = |pick: fn(&stoa_hubs::StaffEnvironment) -> &BTreeMap<String, String>| {
        spec.staff
            .environments
            .iter()
            .flat_map(|(slug, env)| {
                pick(env)
                    .iter()
                    .map(move |(k, v)| format!("{slug} {k}={v}"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let b = &spec.staff.bounds;
    let bounds: Vec<String> = [
        ("max_memory_bytes", b.max_memory_bytes),
        ("max_cpu_millis", b.max_cpu_millis.map(u64::from)),
        ("max_home_quota_gib", b.max_home_quota_gib.map(u64::from)),
        (
            "min_idle_timeout_seconds",
            b.min_idle_timeout_seconds.map(u64::from),
        ),
        (
            "max_idle_timeout_seconds",
            b.max_idle_timeout_seconds.map(u64::from),
        ),
        (
            "max_server_age_seconds",
            b.max_server_age_seconds.map(u64::from),
        ),
        ("max_event_users", b.max_event_users.map(u64::from)),
        ("max_environments", b.max_environments.map(u64::from)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
    .collect();
    StaffForm {
        custom_domain: spec.staff.custom_domain.clone().unwrap_or_default(),
        node_selectors: per_env(|e| &e.node_selector),
        extra_resource_limits: per_env(|e| &e.extra_resource_limits),
        bounds: bounds.join("\n"),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A whole number typed in `field`, scaled by `unit` (seconds per minute, say).
fn number(checks: &mut Checks, field: &str, text: &str, what: &str, unit: u32) -> u32 {
    match text
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
    {
        Some(n) => n,
        None => {
            checks.add(field, format!("Enter {what} as a whole number."));
            0
        }
    }
}

fn date(checks: &mut Checks, field: &str, text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
        checks.add(field, "Enter a date as YYYY-MM-DD.");
        chrono::NaiveDate::MIN
    })
}

/// Applies `edit` to `spec`; typing errors (a number that is not one) go in `checks`, rules
/// are left to [`stoa_hubs::validate`].
/// Applies `edit` to `spec`; `bounds` are the community's before its own overrides (what a
/// quota grant raises).
fn apply(spec: &mut HubSpec, edit: &Edit, bounds: &Bounds, checks: &mut Checks) -> Result<()> {
    match edit {
        Edit::Homepage(f) => {
            let h = &mut spec.homepage;
            h.org_name.clone_from(&f.org_name);
            h.org_url = optional(&f.org_url);
            h.funded_by_name = optional(&f.funded_by_name);
            h.funded_by_url = optional(&f.funded_by_url);
            h.announcement.clone_from(&f.announcement);
            h.show_logo = f.show_logo;
        }
        Edit::Login(f) => {
            spec.login.email_domains = lines(&f.email_domains);
            spec.login.cilogon_idps = lines(&f.cilogon_idps);
            spec.login.github_rules = lines(&f.github_rules);
        }
        Edit::Environment { original, form } => {
            // An environment from the catalog stays one while its image is the catalog's;
            // typing another image makes it an environment of the hub's own.
            let catalog = spec
                .environments
                .iter()
                .find(|e| !original.is_empty() && e.slug == *original)
                .filter(|e| e.image == form.image.trim())
                .and_then(|e| e.catalog.clone());
            let env = Environment {
                slug: form.slug.clone(),
                display_name: form.display_name.clone(),
                description: form.description.clone(),
                image: form.image.clone(),
                default: form.default,
                allowed_roles: form.roles.clone(),
                size: form.size.clone(),
                catalog,
            };
            if form.default {
                // Making one the default unmarks the others: "exactly one default" is kept
                // by the form rather than refused.
                for e in &mut spec.environments {
                    e.default = false;
                }
            }
            if original.is_empty() {
                spec.environments.push(env);
            } else {
                let at = spec
                    .environments
                    .iter()
                    .position(|e| e.slug == *original)
                    .ok_or(DomainError::NotFound)?;
                let was_default = spec.environments[at].default;
                spec.environments[at] = env;
                if was_default && !form.default {
                    checks.add(
                        "default",
                        "Another environment must be the default first: mark the one that \
                         should be preselected.",
                    );
                }
                // Staff settings follow a renamed environment.
                if form.slug.trim() != original.as_str()
                    && let Some(s) = spec.staff.environments.remove(original)
                {
                    spec.staff
                        .environments
                        .insert(form.slug.trim().to_owned(), s);
                }
            }
        }
        Edit::Catalog(c) if c.original.is_empty() => {
            let taken = |slug: &str| spec.environments.iter().any(|e| e.slug == slug);
            let base: String = c.reference.entry.chars().take(40).collect();
            let slug = (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    }
                })
                .find(|s| !taken(s))
                .unwrap_or(base);
            // The size of the preselected environment: the one people start most; the
            // environment form changes it like any other.
            let size = spec
                .environments
                .iter()
                .find(|e| e.default)
                .or(spec.environments.first())
                .map(|e| e.size.clone())
                .unwrap_or_default();
            let default = spec.environments.is_empty();
            spec.environments.push(Environment {
                slug,
                display_name: c.display_name.clone(),
                description: c.description.clone(),
                image: c.image.clone(),
                default,
                allowed_roles: Vec::new(),
                size,
                catalog: Some(c.reference.clone()),
            });
        }
        Edit::Catalog(c) => {
            let env = spec
                .environments
                .iter_mut()
                .find(|e| e.slug == c.original)
                .ok_or(DomainError::NotFound)?;
            env.image.clone_from(&c.image);
            env.catalog = Some(c.reference.clone());
        }
        Edit::RemoveEnvironment(slug) => {
            let at = spec
                .environments
                .iter()
                .position(|e| e.slug == *slug)
                .ok_or(DomainError::NotFound)?;
            if spec.environments[at].default {
                return Err(DomainError::invalid(
                    "form",
                    "This is the default environment: make another one the default before \
                     removing it.",
                ));
            }
            spec.environments.remove(at);
            spec.staff.environments.remove(slug);
        }
        Edit::Server(f) => {
            spec.default_interface = match f.interface.as_str() {
                "lab" => DefaultInterface::JupyterLab,
                "classic" => DefaultInterface::Classic,
                "rstudio" => DefaultInterface::RStudio,
                "git" => DefaultInterface::GitPuller {
                    repo: f.git_repo.clone(),
                    branch: f.git_branch.clone(),
                    path: f.git_path.clone(),
                },
                _ => {
                    checks.add("interface", "Choose one of the interfaces listed.");
                    spec.default_interface.clone()
                }
            };
            spec.culling.idle_timeout_seconds = number(
                checks,
                "idle_timeout_minutes",
                &f.idle_timeout_minutes,
                "minutes",
                60,
            );
            spec.culling.max_age_seconds =
                number(checks, "max_age_hours", &f.max_age_hours, "hours", 3600);
            spec.home_quota_gib = number(checks, "home_quota_gib", &f.home_quota_gib, "GiB", 1);
            spec.named_servers = f.named_servers;
            spec.bring_your_own_image = f.bring_your_own_image;
        }
        Edit::Event(f) => {
            let blank = [&f.expected_users, &f.starts_on, &f.ends_on]
                .iter()
                .all(|t| t.trim().is_empty());
            spec.event = if blank {
                None
            } else {
                Some(EventCapacity {
                    expected_users: number(
                        checks,
                        "expected_users",
                        &f.expected_users,
                        "the number of people",
                        1,
                    ),
                    starts_on: date(checks, "starts_on", &f.starts_on),
                    ends_on: date(checks, "ends_on", &f.ends_on),
                })
            };
        }
        Edit::Staff(f) => apply_staff(spec, f, checks),
        Edit::Quota(g) => g.request.grant(spec, bounds),
    }
    Ok(())
}

fn apply_staff(spec: &mut HubSpec, f: &StaffForm, checks: &mut Checks) {
    let s = &mut spec.staff;
    s.custom_domain = optional(&f.custom_domain);
    s.environments.clear();
    for (field, text) in [
        ("node_selectors", &f.node_selectors),
        ("extra_resource_limits", &f.extra_resource_limits),
    ] {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let parsed = line
                .split_once(char::is_whitespace)
                .and_then(|(slug, kv)| kv.trim().split_once('=').map(|(k, v)| (slug, k, v)));
            let Some((slug, key, value)) = parsed else {
                checks.add(
                    field,
                    format!("“{line}”: write one `environment-slug key=value` per line."),
                );
                continue;
            };
            let env = s.environments.entry(slug.to_owned()).or_default();
            let map = if field == "node_selectors" {
                &mut env.node_selector
            } else {
                &mut env.extra_resource_limits
            };
            map.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    let mut o = stoa_hubs::BoundsOverride::default();
    for line in f.bounds.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once('=') else {
            checks.add(
                "bounds",
                format!("“{line}”: write one `name=value` per line."),
            );
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let Ok(n) = value.parse::<u64>() else {
            checks.add("bounds", format!("{key}: “{value}” is not a whole number."));
            continue;
        };
        let small = |checks: &mut Checks| {
            u32::try_from(n)
                .map_err(|_| checks.add("bounds", format!("{key}: {n} is too large.")))
                .ok()
        };
        match key {
            "max_memory_bytes" => o.max_memory_bytes = Some(n),
            "max_cpu_millis" => o.max_cpu_millis = small(checks),
            "max_home_quota_gib" => o.max_home_quota_gib = small(checks),
            "min_idle_timeout_seconds" => o.min_idle_timeout_seconds = small(checks),
            "max_idle_timeout_seconds" => o.max_idle_timeout_seconds = small(checks),
            "max_server_age_seconds" => o.max_server_age_seconds = small(checks),
            "max_event_users" => o.max_event_users = small(checks),
            "max_environments" => o.max_environments = small(checks),
            other => checks.add("bounds", format!("“{other}” is not a bound Stoa knows.")),
        }
    }
    s.bounds = o;
}

/// Moves validation messages (named by their place in the spec) next to the field of the form
/// that was sent; a message about another part of the spec goes on the form as a whole.
///
/// `before` is the spec the edit was applied to: an edited environment keeps its place in the
/// list, and an added one is the last.
fn for_form(edit: &Edit, before: &HubSpec, invalid: Invalid) -> Invalid {
    let edited_env = match edit {
        Edit::Environment { original, .. } if original.is_empty() => {
            Some(before.environments.len())
        }
        Edit::Environment { original, .. } => {
            before.environments.iter().position(|e| e.slug == *original)
        }
        _ => None,
    };
    let field_of = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split('.').collect();
        let last = |p: &[&str]| p.get(1).map(|s| (*s).to_owned());
        match (edit, parts.as_slice()) {
            (Edit::Homepage(_), ["homepage", ..]) => last(&parts),
            (Edit::Login(_), ["login", ..]) => last(&parts),
            (Edit::Environment { .. }, ["environments", i, field, ..])
                if edited_env.is_some_and(|at| i.parse() == Ok(at)) =>
            {
                Some(match *field {
                    "allowed_roles" => "roles".to_owned(),
                    "slug" => "env_slug".to_owned(),
                    f => f.to_owned(),
                })
            }
            (Edit::Server(_), ["culling", "idle_timeout_seconds"]) => {
                Some("idle_timeout_minutes".into())
            }
            (Edit::Server(_), ["culling", "max_age_seconds"]) => Some("max_age_hours".into()),
            (Edit::Server(_), ["default_interface", f]) => Some(format!("git_{f}")),
            (
                Edit::Server(_),
                [f @ ("home_quota_gib" | "named_servers" | "bring_your_own_image")],
            ) => Some((*f).to_owned()),
            (Edit::Event(_), ["event", f]) => Some((*f).to_owned()),
            (Edit::Catalog(_), ["environments", _, "display_name"]) => Some("display_name".into()),
            (Edit::Staff(_), ["staff", "custom_domain"]) => Some("custom_domain".into()),
            (Edit::Staff(_), ["staff", "bounds", ..]) => Some("bounds".into()),
            (Edit::Staff(_), ["staff", "environments", _, "node_selector", ..]) => {
                Some("node_selectors".into())
            }
            (Edit::Staff(_), ["staff", "environments", ..]) => Some("extra_resource_limits".into()),
            _ => None,
        }
    };
    Invalid(
        invalid
            .0
            .into_iter()
            .map(|m| match field_of(&m.field) {
                Some(field) => FieldMessage::new(&field, m.message),
                None if m.field == "form" => m,
                None => FieldMessage::new("form", m.message),
            })
            .collect(),
    )
}

/// Renders `spec` both ways (the JSON for a hub on this machine, the Helm values checked
/// against the z2jh chart's schema), so that no revision is saved that a hub could not run. A
/// spec that passed validation always renders; a failure here is a bug in Stoa, refused with
/// its reason rather than saved.
fn check_renders(cfg: &HubConfig, spec: &HubSpec) -> Result<()> {
    let render = stoa_hubs::RenderContext {
        sizes: &cfg.sizes,
        logo_url: None,
    };
    stoa_hubs::render_local_json(spec, &render)
        .map(|_| ())
        .and_then(|()| stoa_hubs::render_z2jh(spec, &render).map(|_| ()))
        .map_err(|e| {
            tracing::error!(error = %e, "a validated hub spec did not render");
            DomainError::invalid(
                "form",
                format!("These settings could not be turned into a hub configuration ({e}); nothing was saved."),
            )
        })
}

/// Saves `edit` on top of revision `base` as a new revision, or with `check_only` runs every
/// check and says what saving would change (and, for the homepage, how it would look) without
/// writing anything.
pub async fn save(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
    base: i32,
    message: &str,
    edit: &Edit,
    check_only: bool,
) -> Result<HubSaved> {
    save_on(
        ctx,
        tx,
        cfg,
        billing,
        slug,
        Some(base),
        message,
        edit,
        check_only,
    )
    .await
}

/// Saves `edit` on top of whatever revision is the latest: for a change that does not come
/// from a form of the settings (adding a catalog environment), so there is nothing the person
/// saw that could be out of date.
pub(crate) async fn save_on_latest(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
    edit: &Edit,
) -> Result<HubSaved> {
    save_on(ctx, tx, cfg, billing, slug, None, "", edit, false).await
}

async fn save_on(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
    base: Option<i32>,
    message: &str,
    edit: &Edit,
    check_only: bool,
) -> Result<HubSaved> {
    let access = access::change(ctx, tx, slug, edit.action()).await?;
    let me = ctx.caller()?;
    let message = message_or(message, || edit.label())?;
    let cur = current(tx.conn(), cfg, &access).await?;
    if let Some(base) = base
        && base != cur.latest
    {
        return Err(stale(tx.conn(), &cur, base).await);
    }
    let bounds = crate::billing::base_bounds(tx.conn(), cfg, billing, access.community.id).await?;
    let mut spec = cur.spec.clone();
    let mut checks = Checks::default();
    apply(&mut spec, edit, &bounds, &mut checks)?;
    checks.finish()?;
    spec.normalize();
    stoa_hubs::validate(&spec, &cfg.validation(&bounds))
        .map_err(|e| for_form(edit, &cur.spec, e))?;
    check_renders(cfg, &spec)?;
    if cur.latest > 0 && spec == cur.spec {
        return Err(DomainError::invalid(
            "form",
            format!(
                "Nothing changed: these are the settings of revision {}.",
                cur.latest
            ),
        ));
    }
    let changes: Vec<String> = stoa_hubs::diff(&cur.spec, &spec)
        .into_iter()
        .map(|c| c.text)
        .collect();
    if check_only {
        let preview = match edit {
            Edit::Homepage(_) => Some(preview_of(tx.conn(), &access, &spec, cur.latest + 1).await?),
            _ => None,
        };
        return Ok(HubSaved {
            number: None,
            changes,
            preview,
        });
    }
    let number = write(ctx, tx, &access, &cur, &spec, &message, None).await?;
    access
        .audit(me, "hub.revision_saved", &format!("Revision {number}"))
        .after(json!({
            "revision": number,
            "message": message,
            "changes": changes,
        }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(HubSaved {
        number: Some(number),
        changes,
        preview: None,
    })
}

fn message_or(message: &str, default: impl FnOnce() -> String) -> Result<String> {
    let message = message.trim();
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(DomainError::invalid(
            "message",
            format!("Keep the message to {MAX_MESSAGE_CHARS} characters."),
        ));
    }
    Ok(if message.is_empty() {
        default()
    } else {
        message.to_owned()
    })
}

/// Writes the revision (making the hub on its first save) and maps a lost race to the same
/// refusal as a stale base.
async fn write(
    ctx: &Ctx,
    tx: &mut WriteTx,
    access: &CommunityAccess,
    cur: &Current,
    spec: &HubSpec,
    message: &str,
    rollback_of: Option<i32>,
) -> Result<i32> {
    let me = ctx.caller()?;
    let hub = match &cur.hub {
        Some(h) => {
            let since =
                stoa_db::Timestamp::from(ctx.now.as_datetime() - chrono::TimeDelta::days(1));
            if hubs::revisions_since(tx.conn(), h.id, since).await? >= MAX_REVISIONS_PER_DAY {
                return Err(DomainError::invalid(
                    "form",
                    format!(
                        "This hub got {MAX_REVISIONS_PER_DAY} revisions in the last 24 hours, \
                         the most it may; nothing was saved. Try again later, or ask support."
                    ),
                ));
            }
            h.id
        }
        None => {
            let c = &access.community;
            hubs::create(tx.conn(), c.id, c.slug.as_str(), ctx.now).await?
        }
    };
    let json = spec.to_json();
    let new = NewRevision {
        base: cur.latest,
        rollback_of,
        author: me.id,
        message,
        spec: &json,
    };
    match hubs::add_revision(tx.conn(), hub, &new, ctx.now).await? {
        Saved::As(number) => Ok(number),
        // Another process saved between our read and our write (the conditional UPDATE
        // noticed): the same refusal as a stale form.
        Saved::Stale { latest } => Err(DomainError::invalid(
            "form",
            format!(
                "Revision {latest} was saved a moment ago, so your change was not saved. \
                 Reload the page to edit the latest settings."
            ),
        )),
    }
}

/// The refusal of a save that started from `base` while `cur.latest` is newer: what changed
/// meanwhile, in words, so the person can redo their change on top of it.
async fn stale(conn: Conn<'_>, cur: &Current, base: i32) -> DomainError {
    let mut text = format!(
        "Revision {} was saved since you started from revision {base}, so your change was not \
         saved. Reload the page to edit the latest settings.",
        cur.latest
    );
    if let Some(h) = &cur.hub
        && base > 0
        && base < cur.latest
        && let Ok(old) = spec_of(conn, h, base).await
    {
        let changes = stoa_hubs::diff(&old, &cur.spec);
        if !changes.is_empty() {
            text.push_str(" What changed meanwhile: ");
            text.push_str(
                &changes
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            text.push('.');
        }
    }
    DomainError::invalid("form", text)
}

/// Makes a new revision whose community settings are those of revision `to` (history is never
/// rewritten); the staff-only settings stay as they are now, since only staff change them. The
/// restored settings are checked against today's bounds like any save.
pub async fn rollback(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
    base: i32,
    to: i32,
) -> Result<i32> {
    let access = access::change(ctx, tx, slug, Action::EditHub).await?;
    let me = ctx.caller()?;
    let cur = current(tx.conn(), cfg, &access).await?;
    let hub = cur.hub.clone().ok_or(DomainError::NotFound)?;
    if base != cur.latest {
        return Err(stale(tx.conn(), &cur, base).await);
    }
    if to < 1 || to > cur.latest {
        return Err(DomainError::NotFound);
    }
    let mut spec = spec_of(tx.conn(), &hub, to).await?;
    spec.staff = cur.spec.staff.clone();
    if spec == cur.spec {
        return Err(DomainError::invalid(
            "form",
            format!(
                "Revision {} already has the settings of revision {to}.",
                cur.latest
            ),
        ));
    }
    let bounds = crate::billing::base_bounds(tx.conn(), cfg, billing, access.community.id).await?;
    stoa_hubs::validate(&spec, &cfg.validation(&bounds)).map_err(|invalid| {
        let problems: Vec<String> = invalid.0.into_iter().map(|m| m.message).collect();
        DomainError::invalid(
            "form",
            format!(
                "Revision {to} does not fit today's limits, so it cannot be restored as it is: {}",
                problems.join(" ")
            ),
        )
    })?;
    check_renders(cfg, &spec)?;
    let changes = stoa_hubs::diff(&cur.spec, &spec);
    let message = format!("Roll back to revision {to}");
    let number = write(ctx, tx, &access, &cur, &spec, &message, Some(to)).await?;
    access
        .audit(me, "hub.rolled_back", &format!("Revision {number}"))
        .after(json!({
            "revision": number,
            "rollback_of": to,
            "changes": changes.iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
        }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(number)
}

/// Asks for revision `number` to run on the hub: records the request and, in the same
/// transaction, the change and its job ([`crate::provisioning::request`]). `runner` is the
/// process whose backend will create the hub if it does not exist yet.
pub async fn request_apply(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    number: i32,
    runner: Option<&str>,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::EditHub).await?;
    apply_on(ctx, tx, &access, number, runner).await
}

/// Requests the apply of revision `number` for the community of `access` (whose right to
/// ask for it the caller checked).
async fn apply_on(
    ctx: &Ctx,
    tx: &mut WriteTx,
    access: &CommunityAccess,
    number: i32,
    runner: Option<&str>,
) -> Result<()> {
    let me = ctx.caller()?;
    // Unpaid past the grace period: new revisions may be saved, not applied (the hub keeps
    // running what it runs).
    if let Some(why) =
        crate::billing::changes_paused(tx.conn(), access.community.id, ctx.now).await?
    {
        return Err(DomainError::invalid("form", why));
    }
    let hub = first_hub(tx.conn(), access).await?;
    let running = hub.desired_state.as_deref() == Some("running");
    if hub.deployed_revision == Some(number) && running {
        return Err(DomainError::invalid(
            "form",
            format!("Revision {number} is already the one running."),
        ));
    }
    // Applying again is how a community retries after a failure; not while the same
    // revision is still on its way.
    let pending = stoa_db::deployments::open(tx.conn(), hub.id).await?;
    if pending.iter().any(|d| d.revision == Some(number)) {
        return Err(DomainError::invalid(
            "form",
            format!("Revision {number} is being applied already."),
        ));
    }
    hubs::request_apply(tx.conn(), hub.id, number, me.id, ctx.now).await?;
    let spec = spec_of(tx.conn(), &hub, number).await?;
    crate::catalog::record_uses(tx.conn(), hub.id, &spec).await?;
    crate::provisioning::request(
        tx.conn(),
        &hub,
        stoa_db::deployments::Action::Apply,
        Some(number),
        Some(me.id),
        runner,
        ctx.now,
    )
    .await?;
    access
        .audit(me, "hub.apply_requested", &format!("Revision {number}"))
        .before(json!({ "revision": hub.applied_revision }))
        .after(json!({ "revision": number }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// What approving a quota request would do to the community's hub, for staff to read first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaPreview {
    /// The revision's changes in words; empty when `problem` is set.
    pub changes: Vec<String>,
    /// Why the request cannot be granted as it stands (an environment removed since, a
    /// value the hub's rules refuse), or `None`.
    pub problem: Option<String>,
    /// What happens to the revision: applied, or saved for the community to apply.
    pub apply_note: String,
}

/// Whether the revision made on top of `cur` is applied at once: only when the hub runs
/// the latest revision, so that an approval never deploys settings the community saved but
/// has not applied; and not while changes are paused for an unpaid bill. `Err` holds why not.
async fn applies_at_once(
    conn: Conn<'_>,
    access: &CommunityAccess,
    cur: &Current,
    now: stoa_db::Timestamp,
) -> Result<std::result::Result<(), String>> {
    let Some(hub) = cur.hub.as_ref().filter(|h| h.deployed_revision.is_some()) else {
        return Ok(Err(
            "the hub is not deployed yet: the community applies it".into()
        ));
    };
    let running = hub.desired_state.as_deref() == Some("running");
    if hub.deployed_revision != Some(cur.latest) || !running {
        return Ok(Err(format!(
            "the hub runs revision {} and the community has not applied revision {} yet: the community applies it",
            hub.deployed_revision.unwrap_or(0),
            cur.latest
        )));
    }
    if let Some(why) = crate::billing::changes_paused(conn, access.community.id, now).await? {
        return Ok(Err(why));
    }
    Ok(Ok(()))
}

/// The grant of `request` on the community's newest settings, validated: the spec and its
/// changes, or why it cannot be granted.
async fn granted(
    conn: &mut Conn<'_>,
    cfg: &HubConfig,
    billing: &BillingConfig,
    access: &CommunityAccess,
    cur: &Current,
    request: &stoa_hubs::quota::QuotaRequest,
) -> Result<std::result::Result<HubSpec, String>> {
    let base =
        crate::billing::base_bounds(conn.reborrow(), cfg, billing, access.community.id).await?;
    let mut spec = cur.spec.clone();
    request.grant(&mut spec, &base);
    spec.normalize();
    if let Err(invalid) = stoa_hubs::validate(&spec, &cfg.validation(&base)) {
        let words: Vec<String> = invalid.0.iter().map(|m| m.message.clone()).collect();
        return Ok(Err(words.join(" ")));
    }
    Ok(Ok(spec))
}

/// What approving `request` would change in the hub of `access`'s community.
pub(crate) async fn quota_preview(
    mut conn: Conn<'_>,
    cfg: &HubConfig,
    billing: &BillingConfig,
    access: &CommunityAccess,
    request: &stoa_hubs::quota::QuotaRequest,
    now: stoa_db::Timestamp,
) -> Result<QuotaPreview> {
    let cur = current(conn.reborrow(), cfg, access).await?;
    let next = cur.latest + 1;
    let apply_note = match applies_at_once(conn.reborrow(), access, &cur, now).await? {
        Ok(()) => format!("Revision {next} will be made and applied to the hub at once."),
        Err(why) => format!("Revision {next} will be made, not applied: {why}."),
    };
    Ok(
        match granted(&mut conn, cfg, billing, access, &cur, request).await? {
            Ok(spec) => QuotaPreview {
                changes: stoa_hubs::diff(&cur.spec, &spec)
                    .into_iter()
                    .map(|c| c.text)
                    .collect(),
                problem: None,
                apply_note,
            },
            Err(problem) => QuotaPreview {
                changes: Vec::new(),
                problem: Some(problem),
                apply_note,
            },
        },
    )
}

/// A granted quota request: the revision made, and whether it is being applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaGranted {
    /// The new revision.
    pub number: i32,
    /// `Ok`: being applied; `Err`: why not (the community applies it).
    pub applying: std::result::Result<(), String>,
}

/// Grants the quota request of ticket `ticket` for the community `slug` (staff): a revision
/// on top of the latest, through the normal save path (policy, validation, render check,
/// audit), applied at once when the hub runs the latest revision.
///
/// Staff apply it although applying is the community's to do: the community asked for
/// exactly these values on the ticket, and applying then is what it asked for.
pub(crate) async fn grant_quota(
    ctx: &Ctx,
    tx: &mut WriteTx,
    cfg: &HubConfig,
    billing: &BillingConfig,
    slug: &str,
    ticket: i64,
    request: &stoa_hubs::quota::QuotaRequest,
    runner: Option<&str>,
) -> Result<QuotaGranted> {
    let access = access::change(ctx, tx, slug, Action::EditHubStaffSettings).await?;
    let cur = current(tx.conn(), cfg, &access).await?;
    let applying = applies_at_once(tx.conn(), &access, &cur, ctx.now).await?;
    let edit = Edit::Quota(QuotaGrant {
        request: request.clone(),
        ticket,
    });
    let saved = save_on_latest(ctx, tx, cfg, billing, slug, &edit).await?;
    let number = saved.number.ok_or(DomainError::NotFound)?;
    if applying.is_ok() {
        apply_on(ctx, tx, &access, number, runner).await?;
    }
    Ok(QuotaGranted { number, applying })
}

async fn first_hub(conn: Conn<'_>, access: &CommunityAccess) -> Result<Hub> {
    hubs::of_community(conn, access.community.id)
        .await?
        .into_iter()
        .next()
        .ok_or(DomainError::NotFound)
}

/// Starts or stops a deployed hub (people's files stay either way).
pub async fn set_running(ctx: &Ctx, tx: &mut WriteTx, slug: &str, run: bool) -> Result<()> {
    use stoa_db::deployments::Action as Change;
    let access = access::change(ctx, tx, slug, Action::EditHub).await?;
    let me = ctx.caller()?;
    let hub = first_hub(tx.conn(), &access).await?;
    if hub.deployed_revision.is_none() {
        return Err(DomainError::invalid(
            "form",
            "The hub has not been deployed yet: apply a revision first.",
        ));
    }
    let running = hub.desired_state.as_deref() == Some("running");
    if running == run {
        let now = if run { "running" } else { "stopped" };
        return Err(DomainError::invalid(
            "form",
            format!("The hub is {now} already."),
        ));
    }
    let change = if run { Change::Start } else { Change::Stop };
    crate::provisioning::request(tx.conn(), &hub, change, None, Some(me.id), None, ctx.now).await?;
    let action = if run {
        "hub.start_requested"
    } else {
        "hub.stop_requested"
    };
    access
        .audit(me, action, &hub.slug)
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Staff: runs a change again as a new one (a failed apply whose cause was fixed), or
/// cancels one that has not finished.
pub async fn intervene(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    change: i64,
    rerun: bool,
) -> Result<()> {
    use stoa_db::deployments::{self, DeploymentId, State};
    let access = access::change(ctx, tx, slug, Action::EditHubStaffSettings).await?;
    let me = ctx.caller()?;
    let hub = first_hub(tx.conn(), &access).await?;
    let found = deployments::get(tx.conn(), DeploymentId(change))
        .await?
        .filter(|d| d.hub_id == hub.id)
        .ok_or(DomainError::NotFound)?;
    if rerun {
        if !found.state.is_final() {
            return Err(DomainError::invalid(
                "form",
                "This change has not finished; cancel it first or wait.",
            ));
        }
        crate::provisioning::request(
            tx.conn(),
            &hub,
            found.action,
            found.revision,
            Some(me.id),
            None,
            ctx.now,
        )
        .await?;
    } else {
        let cancelled = deployments::advance(
            tx.conn(),
            found.id,
            State::Cancelled,
            Some("Cancelled by staff."),
            ctx.now,
        )
        .await?;
        if !cancelled {
            return Err(DomainError::invalid(
                "form",
                "This change has finished already.",
            ));
        }
    }
    let what = if rerun {
        "hub.change_rerun"
    } else {
        "hub.change_cancelled"
    };
    access
        .audit(me, what, &format!("Change {change}"))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// What changed from revision `from` to revision `to`, in words and as YAML.
pub async fn diff(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    cfg: &HubConfig,
    slug: &str,
    from: i32,
    to: i32,
) -> Result<HubDiff> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewHubRevisions).await?;
    let hub = hubs::of_community(conn.reborrow(), access.community.id)
        .await?
        .into_iter()
        .next()
        .ok_or(DomainError::NotFound)?;
    let old = spec_of(conn.reborrow(), &hub, from).await?;
    let new = spec_of(conn, &hub, to).await?;
    let (from_label, to_label) = (format!("revision {from}"), format!("revision {to}"));
    let render = stoa_hubs::RenderContext {
        sizes: &cfg.sizes,
        logo_url: None,
    };
    // An old revision may name a size staff no longer offer: then there is no rendered diff
    // to show, and the page says so rather than failing.
    let rendered = stoa_hubs::unified_z2jh_diff(&old, &new, &render, &from_label, &to_label)
        .unwrap_or_else(|e| format!("(not rendered: {e})"));
    Ok(HubDiff {
        from,
        to,
        rendered,
        changes: stoa_hubs::diff(&old, &new)
            .into_iter()
            .map(|c| c.text)
            .collect(),
        yaml: stoa_hubs::unified_yaml_diff(&old, &new, &from_label, &to_label),
    })
}

/// The hub's homepage as revision `number` renders it (the latest with 0).
pub async fn preview(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    cfg: &HubConfig,
    slug: &str,
    number: i32,
) -> Result<HubPreview> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewHubRevisions).await?;
    let cur = current(conn.reborrow(), cfg, &access).await?;
    let (number, spec) = match (&cur.hub, number) {
        (_, 0) => (cur.latest, cur.spec),
        (Some(h), n) => (n, spec_of(conn.reborrow(), h, n).await?),
        (None, _) => return Err(DomainError::NotFound),
    };
    preview_of(conn, &access, &spec, number).await
}

/// The homepage `spec` renders, shown as revision `number`.
async fn preview_of(
    conn: Conn<'_>,
    access: &CommunityAccess,
    spec: &HubSpec,
    number: i32,
) -> Result<HubPreview> {
    let logo = if spec.homepage.show_logo {
        stoa_db::logos::info(conn, access.community.id)
            .await?
            .map(|l| stoa_model::logo::logo_path(&access.community.slug, &l.version))
    } else {
        None
    };
    let web =
        |url: Option<String>| url.filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let h = spec.homepage.clone();
    Ok(HubPreview {
        number,
        announcement_html: stoa_hubs::announcement_html(&h.announcement),
        org_name: h.org_name,
        org_url: web(h.org_url),
        funded_by_name: h.funded_by_name,
        funded_by_url: web(h.funded_by_url),
        logo,
    })
}
