//! The limits a community works within ([`Bounds`]) and the machine sizes it picks from
//! ([`SizeChoice`]).
//!
//! Staff set defaults once, in Stoa's configuration (both types deserialise from it, and every
//! bounds field has a default so a configuration file may name only what it changes). A
//! community's own overrides live in the staff-only part of its spec
//! ([`crate::StaffSettings::bounds`]); [`Bounds::with_overrides`] gives the effective bounds
//! every bounded field is checked against.

use serde::{Deserialize, Serialize};

/// Bytes in one GiB.
pub const GIB: u64 = 1 << 30;

/// Effective limits for one community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bounds {
    /// Largest memory of a size a community may choose, in bytes.
    pub max_memory_bytes: u64,
    /// Largest CPU of a size a community may choose, in thousandths of a core.
    pub max_cpu_millis: u32,
    /// Largest home quota, in GiB.
    pub max_home_quota_gib: u32,
    /// Shortest idle timeout: shorter ones stop servers while people read.
    pub min_idle_timeout_seconds: u32,
    /// Longest idle timeout: idle servers cost money.
    pub max_idle_timeout_seconds: u32,
    /// Longest server lifetime.
    pub max_server_age_seconds: u32,
    /// Most people an event may expect at once.
    pub max_event_users: u32,
    /// Most environments in the spawn menu.
    pub max_environments: u32,
}

impl Default for Bounds {
    /// Conservative defaults, close to 2i2c's basehub (7-day maximum age, 1-hour idle
    /// timeout, 10 GiB homes by default).
    fn default() -> Self {
        Bounds {
            max_memory_bytes: 16 * GIB,
            max_cpu_millis: 4000,
            max_home_quota_gib: 50,
            min_idle_timeout_seconds: 10 * 60,
            max_idle_timeout_seconds: 24 * 3600,
            max_server_age_seconds: 7 * 24 * 3600,
            max_event_users: 300,
            max_environments: 12,
        }
    }
}

/// A community's overrides: each `Some` replaces the staff default. Staff-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoundsOverride {
    /// Replaces [`Bounds::max_memory_bytes`].
    pub max_memory_bytes: Option<u64>,
    /// Replaces [`Bounds::max_cpu_millis`].
    pub max_cpu_millis: Option<u32>,
    /// Replaces [`Bounds::max_home_quota_gib`].
    pub max_home_quota_gib: Option<u32>,
    /// Replaces [`Bounds::min_idle_timeout_seconds`].
    pub min_idle_timeout_seconds: Option<u32>,
    /// Replaces [`Bounds::max_idle_timeout_seconds`].
    pub max_idle_timeout_seconds: Option<u32>,
    /// Replaces [`Bounds::max_server_age_seconds`].
    pub max_server_age_seconds: Option<u32>,
    /// Replaces [`Bounds::max_event_users`].
    pub max_event_users: Option<u32>,
    /// Replaces [`Bounds::max_environments`].
    pub max_environments: Option<u32>,
}

impl Bounds {
    /// These defaults with a community's overrides applied.
    pub fn with_overrides(&self, o: &BoundsOverride) -> Bounds {
        Bounds {
            max_memory_bytes: o.max_memory_bytes.unwrap_or(self.max_memory_bytes),
            max_cpu_millis: o.max_cpu_millis.unwrap_or(self.max_cpu_millis),
            max_home_quota_gib: o.max_home_quota_gib.unwrap_or(self.max_home_quota_gib),
            min_idle_timeout_seconds: o
                .min_idle_timeout_seconds
                .unwrap_or(self.min_idle_timeout_seconds),
            max_idle_timeout_seconds: o
                .max_idle_timeout_seconds
                .unwrap_or(self.max_idle_timeout_seconds),
            max_server_age_seconds: o
                .max_server_age_seconds
                .unwrap_or(self.max_server_age_seconds),
            max_event_users: o.max_event_users.unwrap_or(self.max_event_users),
            max_environments: o.max_environments.unwrap_or(self.max_environments),
        }
    }
}

/// One machine size staff offer (from configuration, e.g. the output of 2i2c's
/// `deployer generate resource-allocation choices`). Memory and CPU are both the guarantee and
/// the limit, so a size means what its label says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeChoice {
    /// Stable id stored in specs (`small`, `mem-4`).
    pub id: String,
    /// What people see (`Small: 1 CPU, 4 GiB`).
    pub label: String,
    /// CPU in thousandths of a core.
    pub cpu_millis: u32,
    /// Memory in bytes.
    pub memory_bytes: u64,
}

impl SizeChoice {
    /// CPU in cores, as KubeSpawner and the local hub take it.
    pub fn cpu_cores(&self) -> f64 {
        f64::from(self.cpu_millis) / 1000.0
    }

    /// Memory in KubeSpawner's byte notation, where `K`, `M`, `G`, `T` are powers of 1024:
    /// the largest unit that divides exactly, else plain bytes.
    pub fn memory_spec(&self) -> String {
        byte_spec(self.memory_bytes)
    }
}

/// `bytes` as KubeSpawner's `ByteSpecification` (`4G` = 4 GiB), exact.
pub fn byte_spec(bytes: u64) -> String {
    for (unit, size) in [
        ("T", 1u64 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_they_name() {
        let defaults = Bounds::default();
        let effective = defaults.with_overrides(&BoundsOverride {
            max_home_quota_gib: Some(200),
            ..BoundsOverride::default()
        });
        assert_eq!(effective.max_home_quota_gib, 200);
        assert_eq!(effective.max_cpu_millis, defaults.max_cpu_millis);
        assert_eq!(
            defaults.with_overrides(&BoundsOverride::default()),
            defaults
        );
    }

    #[test]
    fn defaults_deserialise_from_partial_config() {
        let bounds: Bounds = serde_json::from_str(r#"{"max_event_users": 1000}"#).unwrap();
        assert_eq!(bounds.max_event_users, 1000);
        assert_eq!(bounds.max_environments, Bounds::default().max_environments);
        assert!(serde_json::from_str::<Bounds>(r#"{"max_event_user": 1}"#).is_err());
    }

    #[test]
    fn byte_specs_are_exact() {
        assert_eq!(byte_spec(4 * GIB), "4G");
        assert_eq!(byte_spec(1536 << 20), "1536M");
        assert_eq!(byte_spec(1 << 40), "1T");
        assert_eq!(byte_spec(1000), "1000");
        assert_eq!(byte_spec(0), "0");
    }
}
