//! What a community asks for beyond its bounds ([`QuotaRequest`]), and what granting it
//! changes in a hub's settings ([`QuotaRequest::grant`]).
//!
//! A request is not a revision: its values are outside what the community may set, so they
//! could not pass validation. It is kept on a support ticket; staff approve it, and the grant
//! makes the revision (raised bounds in the staff-only settings, and the value itself where
//! the request is for a setting of the hub).

use serde::{Deserialize, Serialize};

use crate::bounds::{Bounds, GIB};
use crate::spec::HubSpec;

/// The resource a GPU request adds to an environment (KubeSpawner `extra_resource_limits`).
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// The values one quota or change request asks for; at least one is set.
///
/// Units are the ones people think in (GiB, cores, hours, days); [`Self::grant`] converts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuotaRequest {
    /// Largest memory of a size, in GiB (bound only: the community then picks the size).
    pub memory_gib: Option<u32>,
    /// Largest CPU of a size, in cores (bound only).
    pub cpu_cores: Option<u32>,
    /// Home directory quota, in GiB (the hub's setting, and its bound).
    pub home_quota_gib: Option<u32>,
    /// Idle timeout, in hours (the hub's setting, and its bound).
    pub idle_timeout_hours: Option<u32>,
    /// Longest server lifetime, in days (the hub's setting, and its bound).
    pub max_age_days: Option<u32>,
    /// Most people an event may expect at once (bound only).
    pub event_users: Option<u32>,
    /// Most environments in the spawn menu (bound only).
    pub environments: Option<u32>,
    /// GPUs for one environment.
    pub gpu: Option<GpuRequest>,
    /// A community domain for the hub.
    pub custom_domain: Option<String>,
}

/// GPUs for the environment with slug `environment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuRequest {
    /// The environment's slug.
    pub environment: String,
    /// GPUs per server.
    pub gpus: u32,
}

/// The largest values a request may name: beyond them it is a conversation, not a form.
pub mod limits {
    /// GiB of memory.
    pub const MEMORY_GIB: u32 = 1024;
    /// CPU cores.
    pub const CPU_CORES: u32 = 256;
    /// GiB of home quota.
    pub const HOME_QUOTA_GIB: u32 = 10_000;
    /// Hours of idle timeout (30 days).
    pub const IDLE_TIMEOUT_HOURS: u32 = 720;
    /// Days of server lifetime.
    pub const MAX_AGE_DAYS: u32 = 90;
    /// People at one event.
    pub const EVENT_USERS: u32 = 100_000;
    /// Environments in the spawn menu.
    pub const ENVIRONMENTS: u32 = 100;
    /// GPUs per server.
    pub const GPUS: u32 = 8;
}

/// One mistake in a request, named by its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaProblem {
    /// The form field (`memory_gib`, `gpu_environment`, `custom_domain`, `form`).
    pub field: &'static str,
    /// What to do about it.
    pub message: String,
}

impl QuotaRequest {
    /// Whether it asks for nothing.
    pub fn is_empty(&self) -> bool {
        *self == QuotaRequest::default()
    }

    /// Whether any value is one no plan can include (plans bound numbers only).
    pub fn beyond_plans(&self) -> bool {
        self.gpu.is_some() || self.custom_domain.is_some()
    }

    /// Each number asked for, with the bound it needs raised.
    fn numbers(&self) -> [Number; 7] {
        [
            Number {
                field: "memory_gib",
                asked: self.memory_gib,
                most: limits::MEMORY_GIB,
                unit: "GiB",
                scale: GIB,
                bound: |b| b.max_memory_bytes,
            },
            Number {
                field: "cpu_cores",
                asked: self.cpu_cores,
                most: limits::CPU_CORES,
                unit: "cores",
                scale: 1000,
                bound: |b| u64::from(b.max_cpu_millis),
            },
            Number {
                field: "home_quota_gib",
                asked: self.home_quota_gib,
                most: limits::HOME_QUOTA_GIB,
                unit: "GiB",
                scale: 1,
                bound: |b| u64::from(b.max_home_quota_gib),
            },
            Number {
                field: "idle_timeout_hours",
                asked: self.idle_timeout_hours,
                most: limits::IDLE_TIMEOUT_HOURS,
                unit: "hours",
                scale: 3600,
                bound: |b| u64::from(b.max_idle_timeout_seconds),
            },
            Number {
                field: "max_age_days",
                asked: self.max_age_days,
                most: limits::MAX_AGE_DAYS,
                unit: "days",
                scale: 86_400,
                bound: |b| u64::from(b.max_server_age_seconds),
            },
            Number {
                field: "event_users",
                asked: self.event_users,
                most: limits::EVENT_USERS,
                unit: "people",
                scale: 1,
                bound: |b| u64::from(b.max_event_users),
            },
            Number {
                field: "environments",
                asked: self.environments,
                most: limits::ENVIRONMENTS,
                unit: "environments",
                scale: 1,
                bound: |b| u64::from(b.max_environments),
            },
        ]
    }

    /// Whether `bounds` already allow every number asked for (GPUs and domains aside).
    pub fn within(&self, bounds: &Bounds) -> bool {
        self.numbers().iter().all(|n| n.within(bounds))
    }

    /// What is wrong with the request for a hub with settings `spec` within `bounds`: a value
    /// out of range, one the community may already set itself, an environment the hub does not
    /// have, a host name that is not one. Empty: it may be filed.
    pub fn problems(&self, spec: &HubSpec, bounds: &Bounds) -> Vec<QuotaProblem> {
        let mut out = Vec::new();
        let mut add =
            |field: &'static str, message: String| out.push(QuotaProblem { field, message });
        if self.is_empty() {
            add(
                "form",
                "Ask for at least one value: more memory, a longer timeout, a GPU, a domain…"
                    .into(),
            );
        }
        for n in self.numbers() {
            let Some(v) = n.asked else { continue };
            if v == 0 || v > n.most {
                add(
                    n.field,
                    format!("Ask for between 1 and {} {}.", n.most, n.unit),
                );
            } else if n.within(bounds) {
                add(
                    n.field,
                    format!(
                        "Your hub may already have up to {} {}: set it yourself in the hub's settings.",
                        (n.bound)(bounds) / n.scale,
                        n.unit
                    ),
                );
            }
        }
        if let Some(gpu) = &self.gpu {
            if !spec.environments.iter().any(|e| e.slug == gpu.environment) {
                add(
                    "gpu_environment",
                    "Choose one of your hub's environments.".into(),
                );
            }
            if gpu.gpus == 0 || gpu.gpus > limits::GPUS {
                add(
                    "gpus",
                    format!("Ask for between 1 and {} GPUs.", limits::GPUS),
                );
            } else if spec
                .staff
                .environments
                .get(&gpu.environment)
                .and_then(|e| e.extra_resource_limits.get(GPU_RESOURCE))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|has| has >= gpu.gpus)
            {
                add("gpus", "That environment already has as many GPUs.".into());
            }
        }
        if let Some(domain) = &self.custom_domain {
            if !crate::validate::dns_name(domain) {
                add(
                    "custom_domain",
                    "Enter a host name such as hub.example.org.".into(),
                );
            } else if spec.staff.custom_domain.as_deref() == Some(domain.as_str()) {
                add("custom_domain", "Your hub has this domain already.".into());
            }
        }
        out
    }

    /// Grants the request on `spec`, whose community works within `bounds` (its plan's,
    /// before the community's own overrides): every bound asked for is raised to the value
    /// (never lowered), and where the request is for a setting of the hub, the setting takes
    /// the value.
    pub fn grant(&self, spec: &mut HubSpec, bounds: &Bounds) {
        let effective = bounds.with_overrides(&spec.staff.bounds);
        let o = &mut spec.staff.bounds;
        let raise = |cur: u64, want: u64| (want > cur).then_some(want);
        if let Some(g) = self.memory_gib {
            let want = u64::from(g) * GIB;
            if let Some(v) = raise(effective.max_memory_bytes, want) {
                o.max_memory_bytes = Some(v);
            }
        }
        let raise32 = |cur: u32, want: u32| (want > cur).then_some(want);
        if let Some(c) = self.cpu_cores
            && let Some(v) = raise32(effective.max_cpu_millis, c.saturating_mul(1000))
        {
            o.max_cpu_millis = Some(v);
        }
        if let Some(q) = self.home_quota_gib {
            if let Some(v) = raise32(effective.max_home_quota_gib, q) {
                o.max_home_quota_gib = Some(v);
            }
            spec.home_quota_gib = q;
        }
        if let Some(h) = self.idle_timeout_hours {
            let s = h.saturating_mul(3600);
            if let Some(v) = raise32(effective.max_idle_timeout_seconds, s) {
                o.max_idle_timeout_seconds = Some(v);
            }
            spec.culling.idle_timeout_seconds = s;
        }
        if let Some(d) = self.max_age_days {
            let s = d.saturating_mul(86_400);
            if let Some(v) = raise32(effective.max_server_age_seconds, s) {
                o.max_server_age_seconds = Some(v);
            }
            spec.culling.max_age_seconds = s;
        }
        if let Some(n) = self.event_users
            && let Some(v) = raise32(effective.max_event_users, n)
        {
            o.max_event_users = Some(v);
        }
        if let Some(n) = self.environments
            && let Some(v) = raise32(effective.max_environments, n)
        {
            o.max_environments = Some(v);
        }
        if let Some(gpu) = &self.gpu {
            spec.staff
                .environments
                .entry(gpu.environment.clone())
                .or_default()
                .extra_resource_limits
                .insert(GPU_RESOURCE.to_owned(), gpu.gpus.to_string());
        }
        if let Some(domain) = &self.custom_domain {
            spec.staff.custom_domain = Some(domain.clone());
        }
    }

    /// The request in words, one line per value (`Home quota: 100 GiB`).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut num = |label: &str, v: Option<u32>, unit: &str| {
            if let Some(v) = v {
                out.push(format!("{label}: {v} {unit}"));
            }
        };
        num("Largest size's memory", self.memory_gib, "GiB");
        num("Largest size's CPU", self.cpu_cores, "cores");
        num("Home quota", self.home_quota_gib, "GiB");
        num("Idle timeout", self.idle_timeout_hours, "hours");
        num("Longest server lifetime", self.max_age_days, "days");
        num("People at an event", self.event_users, "at once");
        num("Environments", self.environments, "at most");
        if let Some(gpu) = &self.gpu {
            out.push(format!(
                "GPUs: {} per server in the environment “{}”",
                gpu.gpus, gpu.environment
            ));
        }
        if let Some(d) = &self.custom_domain {
            out.push(format!("Custom domain: {d}"));
        }
        out
    }
}

/// One number a request may ask for, and the bound it needs.
struct Number {
    /// The form field.
    field: &'static str,
    /// The value asked for, in `unit`.
    asked: Option<u32>,
    /// The largest a request may name.
    most: u32,
    /// For people.
    unit: &'static str,
    /// How many of the bound's own unit one `unit` is (bytes in a GiB, seconds in an hour).
    scale: u64,
    /// The bound it needs, in the bound's own unit.
    bound: fn(&Bounds) -> u64,
}

impl Number {
    /// Nothing asked, or `bounds` allow it already.
    fn within(&self, bounds: &Bounds) -> bool {
        self.asked
            .is_none_or(|v| u64::from(v) * self.scale <= (self.bound)(bounds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> HubSpec {
        HubSpec::starter(
            "Ocean Lab",
            "quay.io/jupyter/scipy-notebook:2025-01-06",
            "small",
        )
    }

    fn lab() -> Bounds {
        Bounds {
            max_home_quota_gib: 10,
            max_environments: 4,
            ..Bounds::default()
        }
    }

    #[test]
    fn a_grant_raises_bounds_and_sets_the_values_asked_for() {
        let mut s = spec();
        let slug = s.environments[0].slug.clone();
        let r = QuotaRequest {
            home_quota_gib: Some(100),
            idle_timeout_hours: Some(48),
            environments: Some(6),
            gpu: Some(GpuRequest {
                environment: slug.clone(),
                gpus: 1,
            }),
            custom_domain: Some("hub.ocean.example.edu".into()),
            ..QuotaRequest::default()
        };
        assert!(
            r.problems(&s, &lab()).is_empty(),
            "{:?}",
            r.problems(&s, &lab())
        );
        r.grant(&mut s, &lab());
        assert_eq!(s.home_quota_gib, 100);
        assert_eq!(s.culling.idle_timeout_seconds, 48 * 3600);
        let o = s.staff.bounds;
        assert_eq!(o.max_home_quota_gib, Some(100));
        assert_eq!(o.max_idle_timeout_seconds, Some(48 * 3600));
        assert_eq!(o.max_environments, Some(6));
        assert_eq!(o.max_memory_bytes, None, "not asked for, not touched");
        assert_eq!(
            s.staff.environments[&slug].extra_resource_limits[GPU_RESOURCE],
            "1"
        );
        assert_eq!(
            s.staff.custom_domain.as_deref(),
            Some("hub.ocean.example.edu")
        );
        let effective = lab().with_overrides(&s.staff.bounds);
        assert!(r.within(&effective));
        assert!(!r.within(&lab()));
    }

    #[test]
    fn a_grant_never_lowers_a_bound() {
        let mut s = spec();
        s.staff.bounds.max_environments = Some(20);
        let r = QuotaRequest {
            environments: Some(8),
            ..QuotaRequest::default()
        };
        r.grant(&mut s, &lab());
        assert_eq!(s.staff.bounds.max_environments, Some(20));
    }

    #[test]
    fn each_problem_is_named_by_its_field() {
        let s = spec();
        let fields = |r: &QuotaRequest| -> Vec<&str> {
            r.problems(&s, &lab()).iter().map(|p| p.field).collect()
        };
        assert_eq!(fields(&QuotaRequest::default()), ["form"]);
        let within = QuotaRequest {
            home_quota_gib: Some(5),
            ..QuotaRequest::default()
        };
        let problems = within.problems(&s, &lab());
        assert_eq!(problems[0].field, "home_quota_gib");
        assert!(problems[0].message.contains("up to 10 GiB"), "{problems:?}");
        let bad = QuotaRequest {
            memory_gib: Some(0),
            cpu_cores: Some(limits::CPU_CORES + 1),
            gpu: Some(GpuRequest {
                environment: "nope".into(),
                gpus: 9,
            }),
            custom_domain: Some("not a host".into()),
            ..QuotaRequest::default()
        };
        assert_eq!(
            fields(&bad),
            [
                "memory_gib",
                "cpu_cores",
                "gpu_environment",
                "gpus",
                "custom_domain"
            ]
        );
    }

    #[test]
    fn a_request_reads_in_words() {
        let r = QuotaRequest {
            idle_timeout_hours: Some(48),
            custom_domain: Some("hub.example.org".into()),
            ..QuotaRequest::default()
        };
        assert_eq!(
            r.lines(),
            ["Idle timeout: 48 hours", "Custom domain: hub.example.org"]
        );
        assert!(r.beyond_plans());
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<QuotaRequest>(&json).unwrap(), r);
    }
}
