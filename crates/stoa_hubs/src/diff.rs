//! What changed between two revisions: field by field in words ([`diff`]) for the history
//! page, and as a unified diff of the specs' YAML ([`unified_yaml_diff`]) for people who want
//! every detail.
//!
//! Environments are matched by slug (stable across edits), so changing a display name reads as
//! a rename and changing a slug reads as one environment removed and another added.

use std::fmt;

use similar::TextDiff;
use stoa_model::Role;

use crate::image::ImageParts;
use crate::render::{RenderContext, RenderError, ordered_roles};
use crate::spec::{DefaultInterface, Environment, EventCapacity, HubSpec};
use crate::validate::duration;
use crate::z2jh::render_z2jh;

/// One change, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Field path in validation's scheme (`environments.pangeo.image` uses the slug, since
    /// positions shift between revisions).
    pub field: String,
    /// The sentence shown (`Environment 'Pangeo': image tag 2025.01.10 → 2026.04.29`).
    pub text: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

struct Changes(Vec<Change>);

impl Changes {
    fn push(&mut self, field: impl Into<String>, text: impl Into<String>) {
        self.0.push(Change {
            field: field.into(),
            text: text.into(),
        });
    }

    /// Records `label: old → new` when they differ.
    fn value(&mut self, field: &str, label: &str, old: String, new: String) {
        if old != new {
            self.push(field, format!("{label}: {old} → {new}"));
        }
    }
}

fn quoted(value: &str) -> String {
    format!("'{value}'")
}

fn opt(value: Option<&str>) -> String {
    value
        .filter(|v| !v.is_empty())
        .map_or_else(|| "none".to_owned(), quoted)
}

fn on_off(value: bool) -> String {
    if value { "on" } else { "off" }.to_owned()
}

fn roles(value: &[Role]) -> String {
    if value.is_empty() {
        return "everyone".to_owned();
    }
    let names: Vec<&str> = ordered_roles(value).map(Role::as_str).collect();
    names.join(", ")
}

fn interface(value: &DefaultInterface) -> String {
    match value {
        DefaultInterface::JupyterLab => "JupyterLab".to_owned(),
        DefaultInterface::Classic => "classic notebook".to_owned(),
        DefaultInterface::RStudio => "RStudio".to_owned(),
        DefaultInterface::GitPuller { repo, branch, path } => {
            format!("nbgitpuller link to {repo} (branch {branch}, path '{path}')")
        }
    }
}

fn event(value: Option<&EventCapacity>) -> String {
    value.map_or_else(
        || "none".to_owned(),
        |e| {
            format!(
                "{} people from {} to {}",
                e.expected_users, e.starts_on, e.ends_on
            )
        },
    )
}

/// Every change from `old` to `new`, in the order of the settings page.
pub fn diff(old: &HubSpec, new: &HubSpec) -> Vec<Change> {
    let mut c = Changes(Vec::new());
    let (o, n) = (&old.homepage, &new.homepage);
    c.value(
        "homepage.org_name",
        "Organisation name",
        quoted(&o.org_name),
        quoted(&n.org_name),
    );
    c.value(
        "homepage.org_url",
        "Organisation website",
        opt(o.org_url.as_deref()),
        opt(n.org_url.as_deref()),
    );
    c.value(
        "homepage.funded_by_name",
        "Funded by",
        opt(o.funded_by_name.as_deref()),
        opt(n.funded_by_name.as_deref()),
    );
    c.value(
        "homepage.funded_by_url",
        "Funder's website",
        opt(o.funded_by_url.as_deref()),
        opt(n.funded_by_url.as_deref()),
    );
    if o.announcement != n.announcement {
        let text = match (o.announcement.is_empty(), n.announcement.is_empty()) {
            (true, _) => "Announcement added",
            (_, true) => "Announcement removed",
            _ => "Announcement changed",
        };
        c.push("homepage.announcement", text);
    }
    if o.show_logo != n.show_logo {
        c.push(
            "homepage.show_logo",
            if n.show_logo {
                "Logo shown"
            } else {
                "Logo hidden"
            },
        );
    }

    let (o, n) = (&old.login, &new.login);
    list(
        &mut c,
        "login.email_domains",
        "Email domain",
        &o.email_domains,
        &n.email_domains,
    );
    list(
        &mut c,
        "login.cilogon_idps",
        "CILogon identity provider",
        &o.cilogon_idps,
        &n.cilogon_idps,
    );
    list(
        &mut c,
        "login.github_rules",
        "GitHub rule",
        &o.github_rules,
        &n.github_rules,
    );

    environments(&mut c, &old.environments, &new.environments);

    c.value(
        "bring_your_own_image",
        "Bring your own image",
        on_off(old.bring_your_own_image),
        on_off(new.bring_your_own_image),
    );
    c.value(
        "default_interface",
        "Default interface",
        interface(&old.default_interface),
        interface(&new.default_interface),
    );
    c.value(
        "culling.idle_timeout_seconds",
        "Idle timeout",
        duration(old.culling.idle_timeout_seconds),
        duration(new.culling.idle_timeout_seconds),
    );
    c.value(
        "culling.max_age_seconds",
        "Maximum server age",
        duration(old.culling.max_age_seconds),
        duration(new.culling.max_age_seconds),
    );
    c.value(
        "home_quota_gib",
        "Home quota",
        format!("{} GiB", old.home_quota_gib),
        format!("{} GiB", new.home_quota_gib),
    );
    c.value(
        "named_servers",
        "Named servers",
        on_off(old.named_servers),
        on_off(new.named_servers),
    );
    c.value(
        "event",
        "Event",
        event(old.event.as_ref()),
        event(new.event.as_ref()),
    );
    staff(&mut c, old, new);
    c.0
}

fn list(c: &mut Changes, field: &str, label: &str, old: &[String], new: &[String]) {
    for value in new.iter().filter(|v| !old.contains(v)) {
        c.push(field, format!("{label} added: {value}"));
    }
    for value in old.iter().filter(|v| !new.contains(v)) {
        c.push(field, format!("{label} removed: {value}"));
    }
}

fn environments(c: &mut Changes, old: &[Environment], new: &[Environment]) {
    for o in old.iter().filter(|o| !new.iter().any(|n| n.slug == o.slug)) {
        c.push(
            format!("environments.{}", o.slug),
            format!("Environment {} removed", quoted(&o.display_name)),
        );
    }
    for n in new {
        let field = |name: &str| format!("environments.{}.{name}", n.slug);
        let Some(o) = old.iter().find(|o| o.slug == n.slug) else {
            let source = match &n.catalog {
                Some(r) => format!("{} {} from the catalog", r.name, r.version),
                None => n.image.clone(),
            };
            c.push(
                format!("environments.{}", n.slug),
                format!("Environment {} added ({source})", quoted(&n.display_name),),
            );
            continue;
        };
        if o.display_name != n.display_name {
            c.push(
                field("display_name"),
                format!(
                    "Environment {} renamed to {}",
                    quoted(&o.display_name),
                    quoted(&n.display_name)
                ),
            );
        }
        let name = quoted(&n.display_name);
        if o.description != n.description {
            c.push(
                field("description"),
                format!("Environment {name}: description changed"),
            );
        }
        match (&o.catalog, &n.catalog) {
            // The same catalog entry at another version: the words people use for it.
            (Some(a), Some(b)) if a.entry == b.entry && a != b => {
                c.push(
                    field("catalog"),
                    format!(
                        "Environment {name}: {} {} → {}",
                        b.name, a.version, b.version
                    ),
                );
            }
            (Some(a), Some(b)) if a != b => c.push(
                field("catalog"),
                format!(
                    "Environment {name}: {} {} → {} {}",
                    a.name, a.version, b.name, b.version
                ),
            ),
            (None, Some(b)) => c.push(
                field("catalog"),
                format!(
                    "Environment {name}: now {} {} from the catalog",
                    b.name, b.version
                ),
            ),
            (Some(a), None) => c.push(
                field("catalog"),
                format!(
                    "Environment {name}: no longer {} {} from the catalog",
                    a.name, a.version
                ),
            ),
            _ => {}
        }
        // A move between catalog versions says the image changed in the catalog's words.
        let moved_in_catalog = o.catalog.is_some() && n.catalog.is_some() && o.catalog != n.catalog;
        if o.image != n.image && !moved_in_catalog {
            let (a, b) = (ImageParts::split(&o.image), ImageParts::split(&n.image));
            let text = match (a.tag, b.tag) {
                (Some(old_tag), Some(new_tag))
                    if a.repository == b.repository && a.digest.is_none() && b.digest.is_none() =>
                {
                    format!("Environment {name}: image tag {old_tag} → {new_tag}")
                }
                _ => format!("Environment {name}: image {} → {}", o.image, n.image),
            };
            c.push(field("image"), text);
        }
        if o.default != n.default {
            c.push(
                field("default"),
                if n.default {
                    format!("Environment {name} is now the default")
                } else {
                    format!("Environment {name} is no longer the default")
                },
            );
        }
        if roles(&o.allowed_roles) != roles(&n.allowed_roles) {
            c.push(
                field("allowed_roles"),
                format!(
                    "Environment {name}: open to {} → {}",
                    roles(&o.allowed_roles),
                    roles(&n.allowed_roles)
                ),
            );
        }
        if o.size != n.size {
            c.push(
                field("size"),
                format!("Environment {name}: size {} → {}", o.size, n.size),
            );
        }
    }
    let order = |envs: &[Environment], other: &[Environment]| -> Vec<String> {
        envs.iter()
            .filter(|e| other.iter().any(|x| x.slug == e.slug))
            .map(|e| e.slug.clone())
            .collect()
    };
    if order(old, new) != order(new, old) {
        c.push("environments", "Environments reordered");
    }
}

fn staff(c: &mut Changes, old: &HubSpec, new: &HubSpec) {
    let (o, n) = (&old.staff, &new.staff);
    let slugs: std::collections::BTreeSet<&String> =
        o.environments.keys().chain(n.environments.keys()).collect();
    for slug in slugs {
        let (a, b) = (o.environments.get(slug), n.environments.get(slug));
        if a == b {
            continue;
        }
        let describe = |e: Option<&crate::spec::StaffEnvironment>| {
            e.map_or_else(
                || "none".to_owned(),
                |e| {
                    let pairs: Vec<String> = e
                        .node_selector
                        .iter()
                        .chain(&e.extra_resource_limits)
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    pairs.join(", ")
                },
            )
        };
        c.push(
            format!("staff.environments.{slug}"),
            format!(
                "Kubernetes settings of environment '{slug}': {} → {}",
                describe(a),
                describe(b)
            ),
        );
    }
    c.value(
        "staff.custom_domain",
        "Custom domain",
        opt(o.custom_domain.as_deref()),
        opt(n.custom_domain.as_deref()),
    );
    let (a, b) = (
        serde_json::to_value(o.bounds).unwrap_or_default(),
        serde_json::to_value(n.bounds).unwrap_or_default(),
    );
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (key, old_value) in a {
            let new_value = b.get(key).unwrap_or(&serde_json::Value::Null);
            let show = |v: &serde_json::Value| {
                if v.is_null() {
                    "default".to_owned()
                } else {
                    v.to_string()
                }
            };
            c.value(
                &format!("staff.bounds.{key}"),
                &format!("Limit {key}"),
                show(old_value),
                show(new_value),
            );
        }
    }
}

/// A unified diff of the two specs' YAML (`---`/`+++` headers named by the labels, three lines
/// of context); empty when they are equal. This is the diff of what the community edited, and
/// it stays meaningful when the renderings change between Stoa versions.
pub fn unified_yaml_diff(old: &HubSpec, new: &HubSpec, old_label: &str, new_label: &str) -> String {
    unified_diff(&old.to_yaml(), &new.to_yaml(), old_label, new_label)
}

/// A unified diff of the Helm values the two specs render to: what would change on the
/// cluster (for staff reviewing a deploy).
pub fn unified_z2jh_diff(
    old: &HubSpec,
    new: &HubSpec,
    ctx: &RenderContext<'_>,
    old_label: &str,
    new_label: &str,
) -> Result<String, RenderError> {
    Ok(unified_diff(
        &render_z2jh(old, ctx)?,
        &render_z2jh(new, ctx)?,
        old_label,
        new_label,
    ))
}

fn unified_diff(a: &str, b: &str, old_label: &str, new_label: &str) -> String {
    if a == b {
        return String::new();
    }
    TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}
