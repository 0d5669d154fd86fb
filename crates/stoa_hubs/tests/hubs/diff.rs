//! Changes in words and as a unified diff.

use stoa_hubs::{
    DefaultInterface, diff, touches_staff_fields, unified_yaml_diff, unified_z2jh_diff,
};
use stoa_model::Role;

use crate::fixtures::{course, render_context, research_lab, sizes};

fn texts(old: &stoa_hubs::HubSpec, new: &stoa_hubs::HubSpec) -> Vec<String> {
    diff(old, new).iter().map(ToString::to_string).collect()
}

#[test]
fn no_change_no_diff() {
    assert!(diff(&course(), &course()).is_empty());
    assert_eq!(unified_yaml_diff(&course(), &course(), "a", "b"), "");
}

#[test]
fn environment_changes_in_words() {
    let old = research_lab();
    let mut new = old.clone();
    new.environments[0].image = "pangeo/pangeo-notebook:2026.05.13".into();
    new.environments[1].display_name = "GPU".into();
    new.environments[1].allowed_roles = vec![Role::Owner, Role::Admin, Role::Member];
    new.environments[2].size = "large".into();
    new.environments.remove(2);
    let mut added = new.environments[0].clone();
    added.slug = "r".into();
    added.display_name = "R".into();
    added.image = "rocker/binder:4.4.2".into();
    added.default = false;
    new.environments.push(added);
    new.environments[1].image = "ghcr.io/lab/torch:1".into();
    assert_eq!(
        texts(&old, &new),
        [
            "Environment 'Pangeo (large)' removed",
            "Environment 'Pangeo': image tag 2026.04.29 → 2026.05.13",
            "Environment 'GPU (PyTorch)' renamed to 'GPU'",
            "Environment 'GPU': image quay.io/jupyter/pytorch-notebook:cuda12-2026-04-27 → ghcr.io/lab/torch:1",
            "Environment 'GPU': open to owner, admin → owner, admin, member",
            "Environment 'R' added (rocker/binder:4.4.2)",
        ]
    );
    let fields: Vec<String> = diff(&old, &new).into_iter().map(|c| c.field).collect();
    assert_eq!(fields[1], "environments.pangeo.image");
}

fn pangeo(version: &str) -> Option<stoa_hubs::CatalogRef> {
    Some(stoa_hubs::CatalogRef {
        entry: "pangeo".into(),
        name: "Pangeo".into(),
        version: version.into(),
    })
}

#[test]
fn catalog_references_read_as_versions() {
    let mut old = research_lab();
    old.environments[0].catalog = pangeo("2026.04.29");
    let mut new = old.clone();
    new.environments[0].image = "pangeo/pangeo-notebook:2026.05.13".into();
    new.environments[0].catalog = pangeo("2026.05.13");
    let mut added = new.environments[0].clone();
    added.slug = "pangeo-old".into();
    added.display_name = "Pangeo (old)".into();
    added.default = false;
    added.catalog = pangeo("2026.04.29");
    new.environments.push(added);
    assert_eq!(
        texts(&old, &new),
        [
            "Environment 'Pangeo': Pangeo 2026.04.29 → 2026.05.13",
            "Environment 'Pangeo (old)' added (Pangeo 2026.04.29 from the catalog)",
        ]
    );
    assert_eq!(diff(&old, &new)[0].field, "environments.pangeo.catalog");

    // Typing another image by hand leaves the catalog: both facts are said.
    let mut by_hand = old.clone();
    by_hand.environments[0].catalog = None;
    by_hand.environments[0].image = "ghcr.io/lab/pangeo:1".into();
    assert_eq!(
        texts(&old, &by_hand),
        [
            "Environment 'Pangeo': no longer Pangeo 2026.04.29 from the catalog",
            "Environment 'Pangeo': image pangeo/pangeo-notebook:2026.04.29 → ghcr.io/lab/pangeo:1",
        ]
    );
}

#[test]
fn other_settings_in_words() {
    let old = course();
    let mut new = old.clone();
    new.homepage.org_name = "DS 101".into();
    new.homepage.announcement.clear();
    new.homepage.show_logo = false;
    new.login.email_domains.remove(1);
    new.login.github_rules.push("ds101".into());
    new.environments.swap(0, 1);
    new.environments[0].default = true;
    new.environments[1].default = false;
    new.bring_your_own_image = true;
    new.default_interface = DefaultInterface::RStudio;
    new.culling.idle_timeout_seconds = 5400;
    new.home_quota_gib = 10;
    new.named_servers = true;
    new.staff.custom_domain = Some("hub.ds101.example.edu".into());
    new.staff.bounds.max_home_quota_gib = Some(100);
    assert_eq!(
        texts(&old, &new),
        [
            "Organisation name: 'Data Science 101 at Example University' → 'DS 101'",
            "Announcement removed",
            "Logo hidden",
            "Email domain removed: students.example.edu",
            "GitHub rule added: ds101",
            "Environment 'R' is now the default",
            "Environment 'Python' is no longer the default",
            "Environments reordered",
            "Bring your own image: off → on",
            "Default interface: nbgitpuller link to https://github.com/example-edu/ds101-materials (branch main, path 'week-01/intro.ipynb') → RStudio",
            "Idle timeout: 1 hour → 90 minutes",
            "Home quota: 5 GiB → 10 GiB",
            "Named servers: off → on",
            "Custom domain: none → 'hub.ds101.example.edu'",
            "Limit max_home_quota_gib: default → 100",
        ]
    );
}

#[test]
fn staff_fields_are_detected() {
    let old = research_lab();
    let mut new = old.clone();
    new.homepage.org_name = "Renamed".into();
    new.environments[1].display_name = "GPU".into();
    assert!(!touches_staff_fields(&old, &new), "community fields only");
    let changes: [fn(&mut stoa_hubs::HubSpec); 4] = [
        |s: &mut stoa_hubs::HubSpec| s.staff.custom_domain = None,
        |s: &mut stoa_hubs::HubSpec| s.staff.bounds.max_cpu_millis = Some(64_000),
        |s: &mut stoa_hubs::HubSpec| {
            s.staff
                .environments
                .get_mut("gpu")
                .unwrap()
                .extra_resource_limits
                .insert("nvidia.com/gpu".into(), "4".into());
        },
        |s: &mut stoa_hubs::HubSpec| {
            s.staff
                .environments
                .get_mut("gpu")
                .unwrap()
                .node_selector
                .clear();
        },
    ];
    for change in changes {
        let mut new = old.clone();
        change(&mut new);
        assert!(touches_staff_fields(&old, &new));
    }
}

#[test]
fn unified_diff_of_the_yaml() {
    let old = research_lab();
    let mut new = old.clone();
    new.environments[0].image = "pangeo/pangeo-notebook:2026.05.13".into();
    new.home_quota_gib = 150;
    let text = unified_yaml_diff(&old, &new, "revision 3", "revision 4");
    assert!(
        text.starts_with("--- revision 3\n+++ revision 4\n@@"),
        "{text}"
    );
    assert!(text.contains("\n-  image: pangeo/pangeo-notebook:2026.04.29\n+  image: pangeo/pangeo-notebook:2026.05.13\n"), "{text}");
    assert!(
        text.contains("\n-home_quota_gib: 100\n+home_quota_gib: 150\n"),
        "{text}"
    );
}

#[test]
fn unified_diff_of_the_helm_values() {
    let sizes = sizes();
    let old = research_lab();
    let mut new = old.clone();
    new.home_quota_gib = 150;
    let text =
        unified_z2jh_diff(&old, &new, &render_context(&sizes), "deployed", "proposed").unwrap();
    assert!(
        text.contains("\n-    capacity: 100Gi\n+    capacity: 150Gi\n"),
        "{text}"
    );
    assert_eq!(
        unified_z2jh_diff(&old, &old, &render_context(&sizes), "a", "b").unwrap(),
        ""
    );
}
