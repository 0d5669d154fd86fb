//! The typed hub configuration a community edits ([`HubSpec`]) and the staff-only part inside
//! it ([`StaffSettings`]).
//!
//! A spec is stored as JSON in every revision, so the format is versioned:
//! [`HubSpec::from_json`] reads every version ever written and upgrades it to the current one
//! ([`SCHEMA_VERSION`]). Unknown fields are refused rather than dropped, so a typo in a stored
//! document or a newer document read by older code is noticed instead of silently losing a
//! setting.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use stoa_model::Role;

use crate::bounds::BoundsOverride;

/// The version written by this code. Bump it when the stored shape changes, keep the old
/// shape readable in [`HubSpec::from_json`] (an upgrade step from the previous version), and
/// add a fixture of the old version under `tests/fixtures/`.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything that configures one community's hub.
///
/// Values are stored as the community typed them (trimmed by the form); [`crate::validate`]
/// decides whether they are acceptable. Field paths used in validation messages follow the
/// serde names here (see the crate documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubSpec {
    /// Format version of this document; always [`SCHEMA_VERSION`] once read.
    pub schema_version: u32,
    /// What the hub's front page shows.
    pub homepage: Homepage,
    /// Who may sign in, beyond the community's members.
    pub login: LoginRules,
    /// The environments (JupyterHub profiles) people choose from when starting a server.
    pub environments: Vec<Environment>,
    /// Whether people may type any image reference when starting a server.
    pub bring_your_own_image: bool,
    /// Where a freshly started server opens.
    pub default_interface: DefaultInterface,
    /// When idle or old servers are stopped.
    pub culling: Culling,
    /// Home directory quota per person, in GiB (z2jh `singleuser.storage.capacity`).
    pub home_quota_gib: u32,
    /// Whether people may run several named servers at once.
    pub named_servers: bool,
    /// Expected load of a planned event (a workshop or an exam), if any.
    pub event: Option<EventCapacity>,
    /// Settings only staff may change (see [`crate::touches_staff_fields`]).
    pub staff: StaffSettings,
}

/// The hub's front page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Homepage {
    /// The organisation's name (required).
    pub org_name: String,
    /// The organisation's web site.
    pub org_url: Option<String>,
    /// Who pays for the hub, shown as "Funded by".
    pub funded_by_name: Option<String>,
    /// Link for the "Funded by" name.
    pub funded_by_url: Option<String>,
    /// Announcement in Markdown; rendered by [`crate::announcement_html`].
    pub announcement: String,
    /// Whether to show the community's own logo. The image is the one uploaded to Stoa and
    /// served by Stoa, so the spec holds no address of its own: the renderer gets it from
    /// [`crate::RenderContext::logo_url`].
    pub show_logo: bool,
}

/// Who may sign in. Members of the community always may; these rules admit more people.
///
/// Stoa enforces them at its own login and passes claims to the hub, so they are stored and
/// validated here but never rendered into the hub's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRules {
    /// Verified email domains (`example.edu`) whose people join on first login.
    pub email_domains: Vec<String>,
    /// CILogon identity provider entity IDs (`https://sso.example.edu/idp/shibboleth` or a
    /// `urn:`).
    pub cilogon_idps: Vec<String>,
    /// GitHub rules: `org` or `org:team`.
    pub github_rules: Vec<String>,
}

/// One environment: a JupyterHub profile with a fixed image and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Stable identifier, unique within the hub (KubeSpawner's profile slug). Staff settings
    /// for an environment are keyed by it.
    pub slug: String,
    /// Name in the spawn menu.
    pub display_name: String,
    /// Description in the spawn menu (plain text, may span lines).
    pub description: String,
    /// OCI image reference (see [`crate::image::IMAGE_REFERENCE_PATTERN`]).
    pub image: String,
    /// Whether this is preselected; exactly one environment is.
    pub default: bool,
    /// Roles that may use it; empty means everyone who may use the hub.
    pub allowed_roles: Vec<Role>,
    /// Id of a staff-defined [`crate::SizeChoice`] (CPU and memory).
    pub size: String,
    /// The catalog version this environment's image came from, if it was added from the
    /// shared catalog (version 2 on). `image` is always the version's image, copied when the
    /// environment was added, so rendering never needs the catalog; the reference is what
    /// diffs ("Pangeo 2025.01 → 2026.04"), popularity and deprecation notices follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogRef>,
}

/// Where an environment's image came from in the shared catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogRef {
    /// The entry's slug (`pangeo`), its stable identifier.
    pub entry: String,
    /// The entry's name when the environment was added (`Pangeo`), so a diff reads in words
    /// without the catalog at hand.
    pub name: String,
    /// The version as the catalog names it (`2026.04`).
    pub version: String,
}

/// Where a server opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DefaultInterface {
    /// JupyterLab, `/lab`.
    JupyterLab,
    /// The classic notebook file browser, `/tree`.
    Classic,
    /// RStudio, `/rstudio` (the image must provide it).
    RStudio,
    /// An nbgitpuller link: pulls a public git repository into the home directory, then opens
    /// `path` inside it in JupyterLab.
    GitPuller {
        /// `https://` address of the repository.
        repo: String,
        /// Branch to pull.
        branch: String,
        /// File or folder inside the repository to open; empty for the repository's root.
        path: String,
    },
}

/// Idle culling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Culling {
    /// A server with no activity for this long is stopped.
    pub idle_timeout_seconds: u32,
    /// A server is stopped this long after it started, active or not.
    pub max_age_seconds: u32,
}

/// A planned event, so staff can scale the hub ahead of it. Dates are inclusive: a one-day
/// workshop starts and ends on the same date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCapacity {
    /// People expected to use the hub at the same time.
    pub expected_users: u32,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (on or after `starts_on`).
    pub ends_on: NaiveDate,
}

/// Settings only staff may change: they need cloud work (node pools, DNS) or set the limits
/// the community works within.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSettings {
    /// Kubernetes-only settings per environment, keyed by environment slug (GPUs, node pools).
    pub environments: BTreeMap<String, StaffEnvironment>,
    /// A community domain (`hub.example.org`) instead of the default host name.
    pub custom_domain: Option<String>,
    /// This community's bounds, overriding the staff defaults.
    pub bounds: BoundsOverride,
}

/// Kubernetes scheduling for one environment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffEnvironment {
    /// `node_selector` labels (e.g. `node.kubernetes.io/instance-type: g4dn.xlarge`).
    pub node_selector: BTreeMap<String, String>,
    /// `extra_resource_limits` (e.g. `nvidia.com/gpu: "1"`).
    pub extra_resource_limits: BTreeMap<String, String>,
}

impl StaffEnvironment {
    /// Whether it asks for a GPU (any `*/gpu` resource).
    pub fn has_gpu(&self) -> bool {
        self.extra_resource_limits
            .keys()
            .any(|k| k.ends_with("/gpu"))
    }
}

/// A stored spec could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SpecReadError {
    /// Not JSON, or not the shape of its version.
    #[error("the hub settings are not readable as version {version}: {source}")]
    Malformed {
        /// The version the document claimed.
        version: u32,
        /// What serde found.
        source: serde_json::Error,
    },
    /// Not JSON, or no `schema_version`.
    #[error("the hub settings have no readable schema_version: {0}")]
    NoVersion(String),
    /// Written by newer code.
    #[error(
        "the hub settings are version {0}, newer than this Stoa understands ({SCHEMA_VERSION})"
    )]
    TooNew(u32),
}

impl HubSpec {
    /// Reads a stored spec of any known version and upgrades it to [`SCHEMA_VERSION`].
    ///
    /// Upgrades run on the JSON value one version at a time (`v1 → v2 → …`), so each step is
    /// written once against a fixed old shape. Version 1 is the first released shape; its
    /// fixture (`tests/fixtures/spec-v1.json`) must keep reading forever. Version 2 added
    /// catalog references to environments.
    pub fn from_json(text: &str) -> Result<HubSpec, SpecReadError> {
        #[derive(Deserialize)]
        struct Versioned {
            schema_version: u32,
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SpecReadError::NoVersion(e.to_string()))?;
        let version = Versioned::deserialize(&value)
            .map_err(|e| SpecReadError::NoVersion(e.to_string()))?
            .schema_version;
        match version {
            0 => Err(SpecReadError::NoVersion(
                "version 0 was never written".into(),
            )),
            // Version 2 added the optional `environments.*.catalog`: a version 1 document is
            // a version 2 document without it. Checked as version 1 (so a mistake is reported
            // against the version the document claims), then relabelled.
            1 => {
                let has_catalog = value["environments"]
                    .as_array()
                    .is_some_and(|envs| envs.iter().any(|e| e.get("catalog").is_some()));
                if has_catalog {
                    return Err(SpecReadError::Malformed {
                        version,
                        source: serde::de::Error::custom(
                            "unknown field `catalog`: version 1 had no catalog references",
                        ),
                    });
                }
                let mut spec = HubSpec::deserialize(value)
                    .map_err(|source| SpecReadError::Malformed { version, source })?;
                spec.schema_version = SCHEMA_VERSION;
                Ok(spec)
            }
            SCHEMA_VERSION => HubSpec::deserialize(value)
                .map_err(|source| SpecReadError::Malformed { version, source }),
            newer => Err(SpecReadError::TooNew(newer)),
        }
    }

    /// Tidies what a form sends, before [`crate::validate()`]: trims every text, turns blank
    /// optional texts into `None`, drops blank list entries, normalises line ends to `\n`,
    /// lower-cases email domains and the custom domain, and lists each role once in a fixed
    /// order. It never turns an invalid value into a different valid one (a slug with capitals
    /// stays invalid), so validation still reports what the person typed. Idempotent.
    pub fn normalize(&mut self) {
        fn line(value: &mut String) {
            let trimmed = value.trim();
            if trimmed.len() != value.len() {
                *value = trimmed.to_owned();
            }
        }
        fn text(value: &mut String) {
            *value = value.replace("\r\n", "\n").trim().to_owned();
        }
        fn optional(value: &mut Option<String>) {
            if let Some(v) = value {
                line(v);
            }
            if value.as_deref() == Some("") {
                *value = None;
            }
        }
        fn list(values: &mut Vec<String>, lowercase: bool) {
            for v in values.iter_mut() {
                line(v);
                if lowercase {
                    *v = v.to_lowercase();
                }
            }
            values.retain(|v| !v.is_empty());
        }
        let h = &mut self.homepage;
        line(&mut h.org_name);
        optional(&mut h.org_url);
        optional(&mut h.funded_by_name);
        optional(&mut h.funded_by_url);
        text(&mut h.announcement);
        list(&mut self.login.email_domains, true);
        list(&mut self.login.cilogon_idps, false);
        list(&mut self.login.github_rules, false);
        for env in &mut self.environments {
            line(&mut env.slug);
            line(&mut env.display_name);
            text(&mut env.description);
            line(&mut env.image);
            line(&mut env.size);
            if let Some(c) = &mut env.catalog {
                line(&mut c.entry);
                line(&mut c.name);
                line(&mut c.version);
            }
            env.allowed_roles = Role::ALL
                .into_iter()
                .filter(|r| env.allowed_roles.contains(r))
                .collect();
        }
        if let DefaultInterface::GitPuller { repo, branch, path } = &mut self.default_interface {
            line(repo);
            line(branch);
            line(path);
        }
        optional(&mut self.staff.custom_domain);
        if let Some(domain) = &mut self.staff.custom_domain {
            *domain = domain.to_lowercase();
        }
    }

    /// The stored form: pretty JSON, keys in declaration order.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers, dates and string-keyed maps always serialises.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The spec as YAML, for the unified diff between revisions.
    pub fn to_yaml(&self) -> String {
        // As for JSON: every map has string keys, so the serialiser cannot fail.
        crate::render::to_yaml(self).unwrap_or_default()
    }

    /// A starting point for a new hub: one JupyterLab environment on `size`, the given
    /// organisation name, and conservative limits.
    pub fn starter(org_name: &str, image: &str, size: &str) -> HubSpec {
        HubSpec {
            schema_version: SCHEMA_VERSION,
            homepage: Homepage {
                org_name: org_name.to_owned(),
                ..Homepage::default()
            },
            login: LoginRules::default(),
            environments: vec![Environment {
                slug: "default".into(),
                display_name: "Default".into(),
                description: String::new(),
                image: image.to_owned(),
                default: true,
                allowed_roles: Vec::new(),
                size: size.to_owned(),
                catalog: None,
            }],
            bring_your_own_image: false,
            default_interface: DefaultInterface::JupyterLab,
            culling: Culling {
                idle_timeout_seconds: 3600,
                max_age_seconds: 8 * 3600,
            },
            home_quota_gib: 10,
            named_servers: false,
            event: None,
            staff: StaffSettings::default(),
        }
    }
}

/// Whether going from `old` to `new` changes anything only staff may change, so the server can
/// refuse the change for everybody else. Staff-only settings all live in [`HubSpec::staff`].
/// For a hub's first spec, compare with a spec whose `staff` is `StaffSettings::default()`.
pub fn touches_staff_fields(old: &HubSpec, new: &HubSpec) -> bool {
    old.staff != new.staff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_tidies_form_input() {
        let mut spec = HubSpec::starter(
            "  Ocean Lab ",
            " quay.io/jupyter/base-notebook:2026-01-01 ",
            "small ",
        );
        spec.homepage.org_url = Some("   ".into());
        spec.homepage.funded_by_name = Some(" NSF ".into());
        spec.homepage.announcement = " a\r\nb \n".into();
        spec.login.email_domains = vec![" Ocean.EDU ".into(), "  ".into()];
        spec.login.github_rules = vec![" Ocean-Lab:Team ".into()];
        spec.environments[0].allowed_roles = vec![Role::Member, Role::Owner, Role::Member];
        spec.environments[0].slug = " Default ".into();
        spec.staff.custom_domain = Some(" Hub.Example.ORG ".into());
        spec.normalize();
        assert_eq!(spec.homepage.org_name, "Ocean Lab");
        assert_eq!(spec.homepage.org_url, None);
        assert_eq!(spec.homepage.funded_by_name.as_deref(), Some("NSF"));
        assert_eq!(spec.homepage.announcement, "a\nb");
        assert_eq!(spec.login.email_domains, ["ocean.edu"]);
        assert_eq!(
            spec.login.github_rules,
            ["Ocean-Lab:Team"],
            "GitHub names keep their case"
        );
        assert_eq!(
            spec.environments[0].allowed_roles,
            [Role::Owner, Role::Member]
        );
        assert_eq!(
            spec.environments[0].slug, "Default",
            "still invalid, as typed"
        );
        assert_eq!(
            spec.environments[0].image,
            "quay.io/jupyter/base-notebook:2026-01-01"
        );
        assert_eq!(spec.environments[0].size, "small");
        assert_eq!(spec.staff.custom_domain.as_deref(), Some("hub.example.org"));
        let once = spec.clone();
        spec.normalize();
        assert_eq!(spec, once);
    }
}
