//! What each setting means on a hub running on this machine (the local hub, a JupyterHub
//! without containers or Kubernetes) compared with a hub on Kubernetes. The README and the hub
//! page show this table, so it is data here rather than prose in two places.

use serde::Serialize;

/// How far a setting takes effect on the local hub. On Kubernetes every setting takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// Takes effect on the local hub too (or is enforced by Stoa itself for both).
    EnforcedLocally,
    /// Shown in the local spawn menu, but nothing on this machine enforces it.
    LocalSpawnMenuOnly,
    /// Means something only on Kubernetes; the local hub ignores it.
    KubernetesOnly,
}

impl Enforcement {
    /// Words for the table.
    pub fn label(self) -> &'static str {
        match self {
            Enforcement::EnforcedLocally => "enforced on the local hub",
            Enforcement::LocalSpawnMenuOnly => "shown in the local spawn menu only",
            Enforcement::KubernetesOnly => "Kubernetes only",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldEnforcement {
    /// Field path in validation's scheme; `*` stands for every environment.
    pub field: &'static str,
    /// How far it takes effect locally.
    pub enforcement: Enforcement,
    /// Why, in a few words.
    pub why: &'static str,
}

const fn row(field: &'static str, enforcement: Enforcement, why: &'static str) -> FieldEnforcement {
    FieldEnforcement {
        field,
        enforcement,
        why,
    }
}

use Enforcement::{EnforcedLocally, KubernetesOnly, LocalSpawnMenuOnly};

const TABLE: &[FieldEnforcement] = &[
    row("homepage", EnforcedLocally, "The front page shows it."),
    row(
        "login",
        EnforcedLocally,
        "Stoa checks it at sign-in, before the hub sees anyone.",
    ),
    row(
        "environments.*.display_name",
        EnforcedLocally,
        "The spawn menu shows it.",
    ),
    row(
        "environments.*.description",
        EnforcedLocally,
        "The spawn menu shows it.",
    ),
    row(
        "environments.*.default",
        EnforcedLocally,
        "The spawn menu preselects it.",
    ),
    row(
        "environments.*.allowed_roles",
        EnforcedLocally,
        "The hub hides the environment from other roles, from the claims Stoa sends.",
    ),
    row(
        "environments.*.image",
        KubernetesOnly,
        "The local hub runs no containers.",
    ),
    row(
        "environments.*.size",
        LocalSpawnMenuOnly,
        "A local server is a process; nothing caps its CPU or memory.",
    ),
    row(
        "bring_your_own_image",
        KubernetesOnly,
        "The local hub runs no containers.",
    ),
    row(
        "default_interface",
        EnforcedLocally,
        "Servers open there (RStudio and nbgitpuller must be installed).",
    ),
    row(
        "culling",
        EnforcedLocally,
        "The idle culler runs on the local hub too.",
    ),
    row(
        "home_quota_gib",
        KubernetesOnly,
        "Local home folders are ordinary folders without quotas.",
    ),
    row(
        "named_servers",
        EnforcedLocally,
        "JupyterHub allows them or not.",
    ),
    row(
        "event",
        KubernetesOnly,
        "Used by staff to add nodes ahead of the event.",
    ),
    row(
        "staff.environments",
        KubernetesOnly,
        "Node selectors and GPUs are Kubernetes scheduling.",
    ),
    row(
        "staff.custom_domain",
        KubernetesOnly,
        "The local hub has the machine's address.",
    ),
    row(
        "staff.bounds",
        EnforcedLocally,
        "Stoa checks every setting against them before saving.",
    ),
];

/// Every setting and how far it takes effect on the local hub, in the settings page's order.
pub fn enforcement() -> &'static [FieldEnforcement] {
    TABLE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_shows_this_table() {
        let mut table = String::from("| Setting | On the local hub | Why |\n| --- | --- | --- |\n");
        for row in enforcement() {
            table.push_str(&format!(
                "| `{}` | {} | {} |\n",
                row.field,
                row.enforcement.label(),
                row.why
            ));
        }
        for (name, readme) in [
            ("crates/stoa_hubs/README.md", include_str!("../README.md")),
            ("README.md", include_str!("../../../README.md")),
        ] {
            assert!(
                readme.contains(&table),
                "{name}'s table is out of date; replace it with:\n{table}"
            );
        }
    }

    #[test]
    fn every_spec_field_is_in_the_table() {
        let spec =
            crate::HubSpec::starter("Org", "quay.io/jupyter/base-notebook:2026-01-01", "small");
        let value = serde_json::to_value(&spec).unwrap();
        let env = serde_json::to_value(&spec.environments[0]).unwrap();
        let fields: Vec<&str> = enforcement().iter().map(|r| r.field).collect();
        for key in value.as_object().unwrap().keys() {
            if matches!(key.as_str(), "schema_version" | "environments" | "staff") {
                continue;
            }
            assert!(fields.contains(&key.as_str()), "{key} missing");
        }
        for key in env.as_object().unwrap().keys().filter(|k| *k != "slug") {
            let field = format!("environments.*.{key}");
            assert!(fields.contains(&field.as_str()), "{field} missing");
        }
        for key in serde_json::to_value(&spec.staff)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
        {
            let field = format!("staff.{key}");
            assert!(fields.contains(&field.as_str()), "{field} missing");
        }
    }
}
