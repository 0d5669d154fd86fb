//! Table-driven validation: each case changes one thing in a valid spec and names the field
//! that must (or must not) get a message.

use chrono::NaiveDate;
use stoa_hubs::{DefaultInterface, EventCapacity, HubSpec, StaffEnvironment, validate};
use stoa_model::Role;

use crate::fixtures::{all, course, research_lab, sizes, validation_context};

type Case = (&'static str, fn(&mut HubSpec), Option<&'static str>);

fn gitpuller(spec: &mut HubSpec, repo: &str, branch: &str, path: &str) {
    spec.default_interface = DefaultInterface::GitPuller {
        repo: repo.into(),
        branch: branch.into(),
        path: path.into(),
    };
}

fn event(spec: &mut HubSpec, users: u32, start: (i32, u32, u32), end: (i32, u32, u32)) {
    spec.event = Some(EventCapacity {
        expected_users: users,
        starts_on: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
        ends_on: NaiveDate::from_ymd_opt(end.0, end.1, end.2).unwrap(),
    });
}

const CASES: &[Case] = &[
    // Homepage.
    (
        "org name ok",
        |s| s.homepage.org_name = "Ocean & <Lab>".into(),
        None,
    ),
    (
        "org name empty",
        |s| s.homepage.org_name = "  ".into(),
        Some("homepage.org_name"),
    ),
    (
        "org name long",
        |s| s.homepage.org_name = "x".repeat(101),
        Some("homepage.org_name"),
    ),
    (
        "org name newline",
        |s| s.homepage.org_name = "a\nb".into(),
        Some("homepage.org_name"),
    ),
    ("org url none", |s| s.homepage.org_url = None, None),
    (
        "org url http",
        |s| s.homepage.org_url = Some("http://lab.example.org".into()),
        None,
    ),
    (
        "org url script",
        |s| s.homepage.org_url = Some("javascript:alert(1)".into()),
        Some("homepage.org_url"),
    ),
    (
        "org url no host",
        |s| s.homepage.org_url = Some("https://localhost/".into()),
        Some("homepage.org_url"),
    ),
    (
        "funder long",
        |s| s.homepage.funded_by_name = Some("x".repeat(101)),
        Some("homepage.funded_by_name"),
    ),
    (
        "funder url without name",
        |s| s.homepage.funded_by_name = None,
        Some("homepage.funded_by_name"),
    ),
    (
        "funder url bad",
        |s| s.homepage.funded_by_url = Some("ftp://x.org".into()),
        Some("homepage.funded_by_url"),
    ),
    (
        "funder none",
        |s| {
            s.homepage.funded_by_name = None;
            s.homepage.funded_by_url = None;
        },
        None,
    ),
    (
        "announcement max",
        |s| s.homepage.announcement = "x".repeat(2000),
        None,
    ),
    (
        "announcement long",
        |s| s.homepage.announcement = "x".repeat(2001),
        Some("homepage.announcement"),
    ),
    (
        "announcement control",
        |s| s.homepage.announcement = "a\u{0}b".into(),
        Some("homepage.announcement"),
    ),
    (
        "announcement html ok",
        |s| s.homepage.announcement = "<script>x</script>\n\nline".into(),
        None,
    ),
    // Login.
    (
        "email domain ok",
        |s| s.login.email_domains = vec!["mtu.edu".into()],
        None,
    ),
    (
        "email domain with @",
        |s| s.login.email_domains = vec!["@mtu.edu".into()],
        Some("login.email_domains.0"),
    ),
    (
        "email domain upper",
        |s| s.login.email_domains = vec!["MTU.edu".into()],
        Some("login.email_domains.0"),
    ),
    (
        "email domain no dot",
        |s| s.login.email_domains = vec!["localhost".into()],
        Some("login.email_domains.0"),
    ),
    (
        "email domain twice",
        |s| s.login.email_domains = vec!["a.edu".into(), "a.edu".into()],
        Some("login.email_domains.1"),
    ),
    (
        "email domains too many",
        |s| s.login.email_domains = (0..51).map(|i| format!("d{i}.edu")).collect(),
        Some("login.email_domains"),
    ),
    (
        "idp urn",
        |s| s.login.cilogon_idps = vec!["urn:mace:incommon:uiuc.edu".into()],
        None,
    ),
    (
        "idp http",
        |s| s.login.cilogon_idps = vec!["http://sso.example.edu/idp".into()],
        Some("login.cilogon_idps.0"),
    ),
    (
        "idp words",
        |s| s.login.cilogon_idps = vec!["Example University".into()],
        Some("login.cilogon_idps.0"),
    ),
    (
        "idp urn empty",
        |s| s.login.cilogon_idps = vec!["urn:mace:".into()],
        Some("login.cilogon_idps.0"),
    ),
    (
        "github org",
        |s| s.login.github_rules = vec!["2i2c-org".into()],
        None,
    ),
    (
        "github team",
        |s| s.login.github_rules = vec!["2i2c-org:hub_access-1".into()],
        None,
    ),
    (
        "github bad org",
        |s| s.login.github_rules = vec!["-org".into()],
        Some("login.github_rules.0"),
    ),
    (
        "github double hyphen",
        |s| s.login.github_rules = vec!["a--b".into()],
        Some("login.github_rules.0"),
    ),
    (
        "github empty team",
        |s| s.login.github_rules = vec!["org:".into()],
        Some("login.github_rules.0"),
    ),
    (
        "github team spaces",
        |s| s.login.github_rules = vec!["org:Hub Users".into()],
        Some("login.github_rules.0"),
    ),
    (
        "github case twice",
        |s| s.login.github_rules = vec!["Org".into(), "org".into()],
        Some("login.github_rules.1"),
    ),
    // Environments.
    (
        "no environments",
        |s| s.environments.clear(),
        Some("environments"),
    ),
    (
        "no default",
        |s| s.environments[0].default = false,
        Some("environments"),
    ),
    (
        "two defaults",
        |s| s.environments[1].default = true,
        Some("environments"),
    ),
    (
        "too many",
        |s| {
            let e = s.environments[1].clone();
            for i in 0..11 {
                let mut e = e.clone();
                e.slug = format!("r{i}");
                e.display_name = format!("R {i}");
                s.environments.push(e);
            }
        },
        Some("environments"),
    ),
    (
        "slug twice",
        |s| s.environments[1].slug = "python".into(),
        Some("environments.1.slug"),
    ),
    (
        "slug upper",
        |s| s.environments[1].slug = "R".into(),
        Some("environments.1.slug"),
    ),
    (
        "slug digit first",
        |s| s.environments[1].slug = "4r".into(),
        Some("environments.1.slug"),
    ),
    (
        "slug long",
        |s| s.environments[1].slug = "r".repeat(41),
        Some("environments.1.slug"),
    ),
    (
        "name empty",
        |s| s.environments[1].display_name = String::new(),
        Some("environments.1.display_name"),
    ),
    (
        "name long",
        |s| s.environments[1].display_name = "x".repeat(61),
        Some("environments.1.display_name"),
    ),
    (
        "name twice",
        |s| s.environments[1].display_name = "PYTHON".into(),
        Some("environments.1.display_name"),
    ),
    (
        "description long",
        |s| s.environments[1].description = "x".repeat(501),
        Some("environments.1.description"),
    ),
    (
        "description lines",
        |s| s.environments[1].description = "a\nb\n\tc".into(),
        None,
    ),
    (
        "image digest",
        |s| s.environments[1].image = format!("rocker/binder@sha256:{}", "a".repeat(64)),
        None,
    ),
    (
        "image no tag",
        |s| s.environments[1].image = "rocker/binder".into(),
        Some("environments.1.image"),
    ),
    (
        "image upper",
        |s| s.environments[1].image = "Rocker/binder:1".into(),
        Some("environments.1.image"),
    ),
    (
        "image short digest",
        |s| s.environments[1].image = "rocker/binder@sha256:abc".into(),
        Some("environments.1.image"),
    ),
    (
        "roles",
        |s| s.environments[1].allowed_roles = vec![Role::Admin, Role::Owner],
        None,
    ),
    (
        "roles twice",
        |s| s.environments[1].allowed_roles = vec![Role::Admin, Role::Admin],
        Some("environments.1.allowed_roles"),
    ),
    (
        "size unknown",
        |s| s.environments[1].size = "xl".into(),
        Some("environments.1.size"),
    ),
    (
        "size largest allowed",
        |s| s.environments[1].size = "large".into(),
        None,
    ),
    (
        "size over bounds",
        |s| s.environments[1].size = "huge".into(),
        Some("environments.1.size"),
    ),
    (
        "size allowed by override",
        |s| {
            s.environments[1].size = "huge".into();
            s.staff.bounds.max_memory_bytes = Some(64 << 30);
            s.staff.bounds.max_cpu_millis = Some(16_000);
        },
        None,
    ),
    (
        "size over cpu only",
        |s| {
            s.environments[1].size = "huge".into();
            s.staff.bounds.max_memory_bytes = Some(64 << 30);
        },
        Some("environments.1.size"),
    ),
    // Interface.
    (
        "lab",
        |s| s.default_interface = DefaultInterface::JupyterLab,
        None,
    ),
    (
        "rstudio",
        |s| s.default_interface = DefaultInterface::RStudio,
        None,
    ),
    (
        "puller root",
        |s| gitpuller(s, "https://gitlab.com/a/b.git", "release/2026", ""),
        None,
    ),
    (
        "puller http",
        |s| gitpuller(s, "http://github.com/a/b", "main", ""),
        Some("default_interface.repo"),
    ),
    (
        "puller ssh",
        |s| gitpuller(s, "git@github.com:a/b.git", "main", ""),
        Some("default_interface.repo"),
    ),
    (
        "puller empty repo",
        |s| gitpuller(s, "", "main", ""),
        Some("default_interface.repo"),
    ),
    (
        "puller query",
        |s| gitpuller(s, "https://github.com/a/b?x=1", "main", ""),
        Some("default_interface.repo"),
    ),
    (
        "puller no branch",
        |s| gitpuller(s, "https://github.com/a/b", "", ""),
        Some("default_interface.branch"),
    ),
    (
        "puller bad branch",
        |s| gitpuller(s, "https://github.com/a/b", "a..b", ""),
        Some("default_interface.branch"),
    ),
    (
        "puller branch space",
        |s| gitpuller(s, "https://github.com/a/b", "my branch", ""),
        Some("default_interface.branch"),
    ),
    (
        "puller branch lock",
        |s| gitpuller(s, "https://github.com/a/b", "x.lock", ""),
        Some("default_interface.branch"),
    ),
    (
        "puller path up",
        |s| gitpuller(s, "https://github.com/a/b", "main", "../etc/passwd"),
        Some("default_interface.path"),
    ),
    (
        "puller path absolute",
        |s| gitpuller(s, "https://github.com/a/b", "main", "/etc"),
        Some("default_interface.path"),
    ),
    (
        "puller path spaces",
        |s| gitpuller(s, "https://github.com/a/b", "main", "week 1/é & ?.ipynb"),
        None,
    ),
    // Limits.
    ("idle min", |s| s.culling.idle_timeout_seconds = 600, None),
    (
        "idle too short",
        |s| s.culling.idle_timeout_seconds = 599,
        Some("culling.idle_timeout_seconds"),
    ),
    (
        "idle too long",
        |s| s.culling.idle_timeout_seconds = 86_401,
        Some("culling.idle_timeout_seconds"),
    ),
    ("age max", |s| s.culling.max_age_seconds = 604_800, None),
    (
        "age too long",
        |s| s.culling.max_age_seconds = 604_801,
        Some("culling.max_age_seconds"),
    ),
    (
        "age too short",
        |s| s.culling.max_age_seconds = 60,
        Some("culling.max_age_seconds"),
    ),
    (
        "age by override",
        |s| {
            s.culling.max_age_seconds = 30 * 86_400;
            s.staff.bounds.max_server_age_seconds = Some(30 * 86_400);
        },
        None,
    ),
    (
        "quota zero",
        |s| s.home_quota_gib = 0,
        Some("home_quota_gib"),
    ),
    ("quota max", |s| s.home_quota_gib = 50, None),
    (
        "quota over",
        |s| s.home_quota_gib = 51,
        Some("home_quota_gib"),
    ),
    (
        "event ok",
        |s| event(s, 300, (2026, 7, 6), (2026, 7, 6)),
        None,
    ),
    (
        "event too big",
        |s| event(s, 301, (2026, 7, 6), (2026, 7, 7)),
        Some("event.expected_users"),
    ),
    (
        "event nobody",
        |s| event(s, 0, (2026, 7, 6), (2026, 7, 7)),
        Some("event.expected_users"),
    ),
    (
        "event backwards",
        |s| event(s, 10, (2026, 7, 6), (2026, 7, 5)),
        Some("event.ends_on"),
    ),
    // Every bound follows the community's override, in both directions.
    (
        "event users by override",
        |s| {
            event(s, 1000, (2026, 7, 6), (2026, 7, 7));
            s.staff.bounds.max_event_users = Some(1000);
        },
        None,
    ),
    (
        "quota lowered by override",
        |s| s.staff.bounds.max_home_quota_gib = Some(4),
        Some("home_quota_gib"),
    ),
    (
        "environments lowered by override",
        |s| s.staff.bounds.max_environments = Some(1),
        Some("environments"),
    ),
    (
        "idle lowered by override",
        |s| s.staff.bounds.max_idle_timeout_seconds = Some(1800),
        Some("culling.idle_timeout_seconds"),
    ),
    (
        "idle minimum raised by override",
        |s| s.staff.bounds.min_idle_timeout_seconds = Some(7200),
        Some("culling.idle_timeout_seconds"),
    ),
    (
        "age lowered by override",
        |s| s.staff.bounds.max_server_age_seconds = Some(3600),
        Some("culling.max_age_seconds"),
    ),
    (
        "memory lowered by override",
        |s| {
            s.environments.truncate(1);
            s.staff.bounds.max_memory_bytes = Some(2 << 30);
        },
        Some("environments.0.size"),
    ),
    // Staff.
    ("old format", |s| s.schema_version = 0, Some("form")),
    (
        "staff orphan",
        |s| {
            s.staff
                .environments
                .insert("gone".into(), StaffEnvironment::default());
        },
        Some("environments"),
    ),
    (
        "staff bad label",
        |s| {
            s.staff.environments.insert(
                "r".into(),
                StaffEnvironment {
                    node_selector: [("a b".to_owned(), "x".to_owned())].into(),
                    ..StaffEnvironment::default()
                },
            );
        },
        Some("staff.environments.r.node_selector"),
    ),
    (
        "staff bad quantity",
        |s| {
            s.staff.environments.insert(
                "r".into(),
                StaffEnvironment {
                    extra_resource_limits: [("nvidia.com/gpu".to_owned(), "one".to_owned())].into(),
                    ..StaffEnvironment::default()
                },
            );
        },
        Some("staff.environments.r.extra_resource_limits"),
    ),
    (
        "staff domain",
        |s| s.staff.custom_domain = Some("hub.example.org".into()),
        None,
    ),
    (
        "staff bad domain",
        |s| s.staff.custom_domain = Some("https://hub.example.org".into()),
        Some("staff.custom_domain"),
    ),
    (
        "staff zero bound",
        |s| s.staff.bounds.max_environments = Some(0),
        Some("staff.bounds.max_environments"),
    ),
    (
        "staff min above max",
        |s| {
            s.staff.bounds.min_idle_timeout_seconds = Some(7200);
            s.staff.bounds.max_idle_timeout_seconds = Some(3600);
        },
        Some("staff.bounds.min_idle_timeout_seconds"),
    ),
];

#[test]
fn the_fixtures_are_valid() {
    let sizes = sizes();
    for (name, spec) in all() {
        assert_eq!(
            validate(&spec, &validation_context(&sizes)),
            Ok(()),
            "{name}"
        );
        let mut tidy = spec.clone();
        tidy.normalize();
        assert_eq!(tidy, spec, "{name} is already normalized");
    }
}

#[test]
fn every_case() {
    let sizes = sizes();
    let ctx = validation_context(&sizes);
    let mut failures = Vec::new();
    for (label, change, expected) in CASES {
        let mut spec = course();
        change(&mut spec);
        let result = validate(&spec, &ctx);
        match (expected, &result) {
            (None, Ok(())) => {}
            (Some(field), Err(invalid)) if invalid.fields() == [*field] => {
                let message = invalid.message_for(field).unwrap_or_default();
                if !message.ends_with('.') || message.len() < 10 {
                    failures.push(format!("{label}: message {message:?} is not a sentence"));
                }
            }
            _ => failures.push(format!("{label}: expected {expected:?}, got {result:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_problems_are_reported_at_once() {
    let sizes = sizes();
    let mut spec = research_lab();
    spec.homepage.org_name.clear();
    spec.environments[0].image = "pangeo".into();
    spec.environments[1].default = true;
    spec.environments[2].slug = "gpu".into();
    spec.home_quota_gib = 500;
    spec.login.github_rules.push("bad org".into());
    let invalid = validate(&spec, &validation_context(&sizes)).unwrap_err();
    assert_eq!(
        invalid.fields(),
        [
            "homepage.org_name",
            "login.github_rules.2",
            "environments",
            "environments.0.image",
            "environments.2.slug",
            "home_quota_gib",
        ]
    );
    assert_eq!(
        invalid.message_for("home_quota_gib"),
        Some("Use between 1 and 200 GiB."),
        "checked against the community's override, not the default"
    );
}

/// The hub editor checks images against the same table as the catalog's import and publish
/// form (`stoa_hubs::image::examples`).
#[test]
fn environment_images_follow_the_shared_table() {
    use stoa_hubs::image::examples::{BAD, GOOD};
    let sizes = sizes();
    let ctx = validation_context(&sizes);
    for good in GOOD {
        let mut spec = course();
        spec.environments[0].image = (*good).to_owned();
        assert_eq!(validate(&spec, &ctx), Ok(()), "{good:?}");
    }
    for bad in BAD {
        let mut spec = course();
        spec.environments[0].image = (*bad).to_owned();
        let invalid = validate(&spec, &ctx).unwrap_err();
        assert_eq!(invalid.fields(), ["environments.0.image"], "{bad:?}");
    }
}
