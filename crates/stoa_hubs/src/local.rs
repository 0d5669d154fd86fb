//! Rendering for a hub running on this machine: one JSON document read by a fixed, versioned
//! `jupyterhub_config.py` (shipped with Stoa; no Python is generated).
//!
//! # The contract with `jupyterhub_config.py`
//!
//! The types below *are* the contract: the Python side reads exactly these keys, and
//! `deny_unknown_fields` makes the Rust tests fail if a render ever carries a key the contract
//! does not name. When a key is added or its meaning changes, bump [`LOCAL_FORMAT`]; the
//! Python side refuses a `format` it does not know instead of guessing.
//!
//! What the Python side does with each key (format 1):
//! - `format`: must be `1`.
//! - `default_url` → `c.Spawner.default_url`.
//! - `named_servers` → `c.JupyterHub.allow_named_servers`.
//! - `cull.idle_timeout_seconds`, `cull.max_age_seconds` → arguments of the
//!   jupyterhub-idle-culler service (`--timeout`, `--max-age`).
//! - `profiles` → the spawn menu (`c.Spawner.options_form` / profile list): `slug`,
//!   `display_name`, `description`, `default` (exactly one is `true`), `allowed_roles` (Stoa
//!   role names, from the claims Stoa sends at login; empty = everyone), `cpu_limit` (cores,
//!   → `c.Spawner.cpu_limit`) and `mem_limit_bytes` (→ `c.Spawner.mem_limit`). A spawner
//!   without containers may not enforce the limits; see [`crate::enforcement`].
//! - `homepage` → template variables of the front page: `org_name`, `org_url`,
//!   `funded_by_name`, `funded_by_url` (each `null` when unset), `logo_url` (Stoa's address of
//!   the community logo, or `null`) and `announcement_html`, already sanitised: insert as-is.
//!
//! Login rules are not rendered: Stoa enforces who may sign in and sends claims. Nothing here
//! is secret; tokens reach the hub another way.

use serde::{Deserialize, Serialize};

use crate::render::{RenderContext, RenderError, default_url, present, size_of};
use crate::spec::HubSpec;

/// The contract's current version, written to `format`.
pub const LOCAL_FORMAT: u32 = 1;

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// Always [`LOCAL_FORMAT`].
    pub format: u32,
    /// Path a new server opens (`/lab`, `/tree`, `/rstudio`, or an nbgitpuller link).
    pub default_url: String,
    /// Allow several named servers per person.
    pub named_servers: bool,
    /// Idle culling.
    pub cull: LocalCull,
    /// The spawn menu, in the spec's order.
    pub profiles: Vec<LocalProfile>,
    /// Front page template variables.
    pub homepage: LocalHomepage,
}

/// Culling arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalCull {
    /// Stop a server idle this long.
    pub idle_timeout_seconds: u32,
    /// Stop a server this long after it started.
    pub max_age_seconds: u32,
}

/// One spawn menu entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalProfile {
    /// Stable id.
    pub slug: String,
    /// Name shown.
    pub display_name: String,
    /// Description shown (plain text).
    pub description: String,
    /// Preselected.
    pub default: bool,
    /// Stoa role names allowed; empty = everyone.
    pub allowed_roles: Vec<String>,
    /// CPU limit in cores.
    pub cpu_limit: f64,
    /// Memory limit in bytes.
    pub mem_limit_bytes: u64,
}

/// Front page variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalHomepage {
    /// Organisation name.
    pub org_name: String,
    /// Organisation address.
    pub org_url: Option<String>,
    /// "Funded by" name.
    pub funded_by_name: Option<String>,
    /// "Funded by" address.
    pub funded_by_url: Option<String>,
    /// Logo address served by Stoa.
    pub logo_url: Option<String>,
    /// Sanitised announcement HTML; empty for none.
    pub announcement_html: String,
}

/// Builds the local document for `spec`.
pub fn render_local(spec: &HubSpec, ctx: &RenderContext<'_>) -> Result<LocalConfig, RenderError> {
    let profiles = spec
        .environments
        .iter()
        .map(|env| {
            let size = size_of(env, ctx)?;
            Ok(LocalProfile {
                slug: env.slug.clone(),
                display_name: env.display_name.clone(),
                description: env.description.clone(),
                default: env.default,
                allowed_roles: crate::render::ordered_roles(&env.allowed_roles)
                    .map(|r| r.as_str().to_owned())
                    .collect(),
                cpu_limit: size.cpu_cores(),
                mem_limit_bytes: size.memory_bytes,
            })
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    let h = &spec.homepage;
    Ok(LocalConfig {
        format: LOCAL_FORMAT,
        default_url: default_url(&spec.default_interface),
        named_servers: spec.named_servers,
        cull: LocalCull {
            idle_timeout_seconds: spec.culling.idle_timeout_seconds,
            max_age_seconds: spec.culling.max_age_seconds,
        },
        profiles,
        homepage: LocalHomepage {
            org_name: h.org_name.clone(),
            org_url: present(&h.org_url).map(str::to_owned),
            funded_by_name: present(&h.funded_by_name).map(str::to_owned),
            funded_by_url: present(&h.funded_by_url).map(str::to_owned),
            logo_url: if h.show_logo {
                ctx.logo_url.map(str::to_owned)
            } else {
                None
            },
            announcement_html: crate::announcement_html(&h.announcement),
        },
    })
}

/// The local document as the bytes written for the hub: pretty JSON, keys in contract order,
/// ending in a newline. The same spec and context give the same bytes.
pub fn render_local_json(spec: &HubSpec, ctx: &RenderContext<'_>) -> Result<String, RenderError> {
    let config = render_local(spec, ctx)?;
    let mut text =
        serde_json::to_string_pretty(&config).map_err(|e| RenderError::Serialise(e.to_string()))?;
    text.push('\n');
    Ok(text)
}
