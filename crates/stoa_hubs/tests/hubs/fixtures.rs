//! Three realistic hubs and the sizes staff offer.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use stoa_hubs::{
    Bounds, BoundsOverride, Culling, DefaultInterface, Environment, EventCapacity, GIB, Homepage,
    HubSpec, LoginRules, RenderContext, SCHEMA_VERSION, SizeChoice, StaffEnvironment,
    StaffSettings, ValidationContext,
};
use stoa_model::Role;

pub fn sizes() -> Vec<SizeChoice> {
    let size = |id: &str, label: &str, cpu_millis, gib: u64| SizeChoice {
        id: id.into(),
        label: label.into(),
        cpu_millis,
        memory_bytes: gib * GIB,
    };
    vec![
        size("small", "Small: 1 CPU, 4 GiB", 1000, 4),
        size("medium", "Medium: 2 CPU, 8 GiB", 2000, 8),
        size("large", "Large: 4 CPU, 16 GiB", 4000, 16),
        size("gpu-xl", "GPU: 4 CPU, 15 GiB, 1 T4", 4000, 15),
        size("huge", "Huge: 16 CPU, 64 GiB", 16_000, 64),
    ]
}

pub const BOUNDS: Bounds = Bounds {
    max_memory_bytes: 16 * GIB,
    max_cpu_millis: 4000,
    max_home_quota_gib: 50,
    min_idle_timeout_seconds: 600,
    max_idle_timeout_seconds: 86_400,
    max_server_age_seconds: 604_800,
    max_event_users: 300,
    max_environments: 12,
};

pub fn validation_context(sizes: &[SizeChoice]) -> ValidationContext<'_> {
    ValidationContext {
        default_bounds: &BOUNDS,
        sizes,
    }
}

pub fn render_context(sizes: &[SizeChoice]) -> RenderContext<'_> {
    RenderContext {
        sizes,
        logo_url: Some("https://stoa.example.org/communities/ocean-lab/logo"),
    }
}

fn env(slug: &str, name: &str, image: &str, size: &str, default: bool) -> Environment {
    Environment {
        slug: slug.into(),
        display_name: name.into(),
        description: String::new(),
        image: image.into(),
        default,
        allowed_roles: Vec::new(),
        size: size.into(),
        catalog: None,
    }
}

/// A university course: two environments, an nbgitpuller link, a small quota.
pub fn course() -> HubSpec {
    let mut python = env(
        "python",
        "Python",
        "quay.io/jupyter/scipy-notebook:2026-04-27",
        "small",
        true,
    );
    python.description = "Python 3.13 with NumPy, pandas and matplotlib.".into();
    let mut r = env("r", "R", "rocker/binder:4.4.2", "small", false);
    r.description = "R 4.4 with the tidyverse.".into();
    HubSpec {
        schema_version: SCHEMA_VERSION,
        homepage: Homepage {
            org_name: "Data Science 101 at Example University".into(),
            org_url: Some("https://datascience.example.edu/".into()),
            funded_by_name: Some("Example University, College of Computing".into()),
            funded_by_url: Some("https://computing.example.edu/".into()),
            announcement: "Homework 3 is due **Friday**. Office hours: see [the course page](https://datascience.example.edu/hours).".into(),
            show_logo: true,
        },
        login: LoginRules {
            email_domains: vec!["example.edu".into(), "students.example.edu".into()],
            cilogon_idps: vec!["https://sso.example.edu/idp/shibboleth".into()],
            github_rules: Vec::new(),
        },
        environments: vec![python, r],
        bring_your_own_image: false,
        default_interface: DefaultInterface::GitPuller {
            repo: "https://github.com/example-edu/ds101-materials".into(),
            branch: "main".into(),
            path: "week-01/intro.ipynb".into(),
        },
        culling: Culling {
            idle_timeout_seconds: 3600,
            max_age_seconds: 8 * 3600,
        },
        home_quota_gib: 5,
        named_servers: false,
        event: None,
        staff: StaffSettings::default(),
    }
}

/// A research lab with a GPU environment for owners and admins, larger bounds and its own
/// domain.
pub fn research_lab() -> HubSpec {
    let mut pangeo = env(
        "pangeo",
        "Pangeo",
        "pangeo/pangeo-notebook:2026.04.29",
        "medium",
        true,
    );
    pangeo.description = "Xarray, Dask and friends for ocean data.".into();
    let mut gpu = env(
        "gpu",
        "GPU (PyTorch)",
        "quay.io/jupyter/pytorch-notebook:cuda12-2026-04-27",
        "gpu-xl",
        false,
    );
    gpu.description = "One NVIDIA T4. Stop your server when you are done.".into();
    gpu.allowed_roles = vec![Role::Owner, Role::Admin];
    let large = env(
        "large",
        "Pangeo (large)",
        "pangeo/pangeo-notebook:2026.04.29",
        "huge",
        false,
    );
    HubSpec {
        schema_version: SCHEMA_VERSION,
        homepage: Homepage {
            org_name: "Ocean Dynamics Lab".into(),
            org_url: Some("https://ocean-lab.example.org".into()),
            funded_by_name: Some("National Science Foundation".into()),
            funded_by_url: Some("https://www.nsf.gov/".into()),
            announcement: String::new(),
            show_logo: false,
        },
        login: LoginRules {
            email_domains: Vec::new(),
            cilogon_idps: vec![
                "https://sso.ocean.example.edu/idp/shibboleth".into(),
                "urn:mace:incommon:ocean.example.edu".into(),
            ],
            github_rules: vec!["ocean-lab".into(), "ocean-lab:gpu-users".into()],
        },
        environments: vec![pangeo, gpu, large],
        bring_your_own_image: true,
        default_interface: DefaultInterface::JupyterLab,
        culling: Culling {
            idle_timeout_seconds: 2 * 3600,
            max_age_seconds: 3 * 86_400,
        },
        home_quota_gib: 100,
        named_servers: true,
        event: None,
        staff: StaffSettings {
            environments: BTreeMap::from([(
                "gpu".into(),
                StaffEnvironment {
                    node_selector: BTreeMap::from([(
                        "node.kubernetes.io/instance-type".into(),
                        "g4dn.xlarge".into(),
                    )]),
                    extra_resource_limits: BTreeMap::from([("nvidia.com/gpu".into(), "1".into())]),
                },
            )]),
            custom_domain: Some("hub.ocean-lab.example.org".into()),
            bounds: BoundsOverride {
                max_memory_bytes: Some(64 * GIB),
                max_cpu_millis: Some(16_000),
                max_home_quota_gib: Some(200),
                ..BoundsOverride::default()
            },
        },
    }
}

/// A one-week workshop with 120 people at once, a pinned image digest and short culling.
pub fn workshop() -> HubSpec {
    let mut workshop = env(
        "workshop",
        "Workshop environment",
        "ghcr.io/climate-school/workshop-env@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "small",
        true,
    );
    workshop.description = "Everything the exercises need.\nNothing to install.".into();
    HubSpec {
        schema_version: SCHEMA_VERSION,
        homepage: Homepage {
            org_name: "Summer School on Climate Data 2026".into(),
            org_url: Some("https://climate-school.example.org/2026".into()),
            funded_by_name: None,
            funded_by_url: None,
            announcement: "## Welcome!\n\n1. Sign in with GitHub.\n2. Start the *Workshop environment*.\n\nQuestions? Write to <mailto:help@climate-school.example.org>.".into(),
            show_logo: true,
        },
        login: LoginRules {
            email_domains: Vec::new(),
            cilogon_idps: Vec::new(),
            github_rules: vec!["climate-school".into()],
        },
        environments: vec![workshop],
        bring_your_own_image: false,
        default_interface: DefaultInterface::Classic,
        culling: Culling {
            idle_timeout_seconds: 30 * 60,
            max_age_seconds: 12 * 3600,
        },
        home_quota_gib: 2,
        named_servers: false,
        event: Some(EventCapacity {
            expected_users: 120,
            starts_on: NaiveDate::from_ymd_opt(2026, 7, 6).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2026, 7, 10).unwrap(),
        }),
        staff: StaffSettings::default(),
    }
}

pub fn all() -> [(&'static str, HubSpec); 3] {
    [
        ("course", course()),
        ("research-lab", research_lab()),
        ("workshop", workshop()),
    ]
}
