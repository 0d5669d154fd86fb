//! Both renderings: contract, schema, determinism, hostile strings.

use serde_json::Value;
use stoa_hubs::local::LocalConfig;
use stoa_hubs::{
    DefaultInterface, HubSpec, RenderError, announcement_html, check_z2jh_values,
    merge_onto_chart_defaults, render_local, render_local_json, render_z2jh, z2jh_values,
};

use crate::fixtures::{all, course, render_context, research_lab, sizes, workshop};

#[test]
fn local_json_matches_the_contract() {
    let sizes = sizes();
    for (name, spec) in all() {
        let text = render_local_json(&spec, &render_context(&sizes)).unwrap();
        let parsed: LocalConfig =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            parsed,
            render_local(&spec, &render_context(&sizes)).unwrap()
        );
        assert_eq!(parsed.format, 1);
        assert_eq!(
            parsed.profiles.iter().filter(|p| p.default).count(),
            1,
            "{name}"
        );
    }
    // The contract refuses what it does not name, so a stray key cannot slip through.
    let text = render_local_json(&course(), &render_context(&sizes)).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["hub_token"] = Value::from("secret");
    assert!(serde_json::from_value::<LocalConfig>(value).is_err());
}

#[test]
fn local_json_carries_the_settings() {
    let sizes = sizes();
    let config = render_local(&research_lab(), &render_context(&sizes)).unwrap();
    assert_eq!(config.default_url, "/lab");
    assert!(config.named_servers);
    assert_eq!(config.cull.max_age_seconds, 3 * 86_400);
    let gpu = &config.profiles[1];
    assert_eq!(gpu.allowed_roles, ["owner", "admin"]);
    assert!((gpu.cpu_limit - 4.0).abs() < f64::EPSILON);
    assert_eq!(gpu.mem_limit_bytes, 15 << 30);
    assert_eq!(config.homepage.logo_url, None, "the lab hides its logo");
    let text = render_local_json(&research_lab(), &render_context(&sizes)).unwrap();
    for absent in ["ocean-lab:gpu-users", "urn:mace", "nvidia", "hub.ocean-lab"] {
        assert!(
            !text.contains(absent),
            "{absent} must not reach the local hub"
        );
    }
}

#[test]
fn every_render_validates_against_the_chart_schema() {
    let sizes = sizes();
    for (name, spec) in all() {
        let overlay = z2jh_values(&spec, &render_context(&sizes)).unwrap();
        let merged = merge_onto_chart_defaults(&overlay).unwrap();
        check_z2jh_values(&merged).unwrap_or_else(|e| panic!("{name}: {e}"));
        let yaml = render_z2jh(&spec, &render_context(&sizes)).unwrap();
        let back: Value = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(back, serde_saphyr::from_str::<Value>(&yaml).unwrap());
        assert_eq!(back, overlay, "{name}: the YAML says what was validated");
    }
}

#[test]
fn z2jh_values_carry_the_settings() {
    let sizes = sizes();
    let values = z2jh_values(&research_lab(), &render_context(&sizes)).unwrap();
    assert_eq!(values["singleuser"]["storage"]["capacity"], "100Gi");
    assert_eq!(values["singleuser"]["defaultUrl"], "/lab");
    assert_eq!(values["hub"]["allowNamedServers"], true);
    assert_eq!(values["cull"]["maxAge"], 259_200);
    let gpu = &values["singleuser"]["profileList"][1];
    assert_eq!(
        gpu["allowed_groups"],
        serde_json::json!(["stoa-role-owner", "stoa-role-admin"])
    );
    assert_eq!(
        gpu["kubespawner_override"]["extra_resource_limits"]["nvidia.com/gpu"],
        "1"
    );
    assert_eq!(gpu["kubespawner_override"]["mem_limit"], "15G");
    assert_eq!(
        gpu["profile_options"]["image"]["unlisted_choice"]["validation_regex"],
        stoa_hubs::IMAGE_REFERENCE_PATTERN
    );
    assert!(
        values["singleuser"]["profileList"][0]["kubespawner_override"]
            .get("node_selector")
            .is_none()
    );
    let text = serde_json::to_string(&values).unwrap();
    for absent in [
        "ocean-lab:gpu-users",
        "urn:mace",
        "hub.ocean-lab",
        "max_memory",
    ] {
        assert!(
            !text.contains(absent),
            "{absent} must not reach the Helm values"
        );
    }
    let course = z2jh_values(&course(), &render_context(&sizes)).unwrap();
    assert_eq!(
        course["custom"]["homepage"]["templateVars"]["org"]["logo_url"],
        "https://stoa.example.org/communities/ocean-lab/logo"
    );
    assert!(
        course["singleuser"]["profileList"][0]
            .get("profile_options")
            .is_none()
    );
}

#[test]
fn a_misspelt_key_is_caught_by_the_schema() {
    let sizes = sizes();
    let mut overlay = z2jh_values(&course(), &render_context(&sizes)).unwrap();
    overlay["singleuser"]["defaultURL"] = Value::from("/lab");
    let merged = merge_onto_chart_defaults(&overlay).unwrap();
    match check_z2jh_values(&merged) {
        Err(RenderError::Schema(errors)) => {
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains("defaultURL") && e.starts_with("/singleuser")),
                "{errors:?}"
            );
        }
        other => panic!("expected a schema error, got {other:?}"),
    }
    let mut overlay = z2jh_values(&course(), &render_context(&sizes)).unwrap();
    overlay["culling"] = serde_json::json!({"timeout": 1});
    let merged = merge_onto_chart_defaults(&overlay).unwrap();
    assert!(
        matches!(check_z2jh_values(&merged), Err(RenderError::Schema(_))),
        "unknown top-level key"
    );
    let mut overlay = z2jh_values(&course(), &render_context(&sizes)).unwrap();
    overlay["cull"]["timeout"] = Value::from("an hour");
    let merged = merge_onto_chart_defaults(&overlay).unwrap();
    assert!(
        matches!(check_z2jh_values(&merged), Err(RenderError::Schema(_))),
        "wrong type"
    );
}

/// A named way to break rendered values.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn profile_lists_get_their_own_checks() {
    let sizes = sizes();
    let base = z2jh_values(&research_lab(), &render_context(&sizes)).unwrap();
    let broken: [Breakage; 7] = [
        ("two defaults", |v| {
            v["singleuser"]["profileList"][1]["default"] = Value::Bool(true)
        }),
        ("same slug", |v| {
            v["singleuser"]["profileList"][1]["slug"] = Value::from("pangeo")
        }),
        ("typo", |v| {
            v["singleuser"]["profileList"][0]["kubespawner_overide"] = serde_json::json!({})
        }),
        ("override typo", |v| {
            v["singleuser"]["profileList"][0]["kubespawner_override"]["mem_limt"] =
                Value::from("1G")
        }),
        ("bad image", |v| {
            v["singleuser"]["profileList"][0]["kubespawner_override"]["image"] =
                Value::from("pangeo")
        }),
        ("guarantee over limit", |v| {
            v["singleuser"]["profileList"][0]["kubespawner_override"]["mem_guarantee"] =
                Value::from("64G")
        }),
        ("empty", |v| {
            v["singleuser"]["profileList"] = serde_json::json!([])
        }),
    ];
    for (name, breaks) in broken {
        let mut overlay = base.clone();
        breaks(&mut overlay);
        let merged = merge_onto_chart_defaults(&overlay).unwrap();
        assert!(
            matches!(check_z2jh_values(&merged), Err(RenderError::ProfileList(_))),
            "{name} passed"
        );
    }
}

#[test]
fn renders_are_deterministic() {
    let sizes = sizes();
    for (name, spec) in all() {
        let ctx = render_context(&sizes);
        let copy: HubSpec = HubSpec::from_json(&spec.to_json()).unwrap();
        assert_eq!(
            render_z2jh(&spec, &ctx).unwrap(),
            render_z2jh(&copy, &ctx).unwrap(),
            "{name}"
        );
        assert_eq!(
            render_local_json(&spec, &ctx).unwrap(),
            render_local_json(&copy, &ctx).unwrap(),
            "{name}"
        );
        // Reordering role ticks changes nothing.
        let mut reordered = spec.clone();
        for env in &mut reordered.environments {
            env.allowed_roles.reverse();
        }
        assert_eq!(
            render_z2jh(&spec, &ctx).unwrap(),
            render_z2jh(&reordered, &ctx).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn unknown_sizes_are_a_render_error() {
    let sizes = sizes();
    let mut spec = workshop();
    spec.environments[0].size = "gone".into();
    assert!(matches!(
        render_z2jh(&spec, &render_context(&sizes)),
        Err(RenderError::UnknownSize { .. })
    ));
    assert!(matches!(
        render_local(&spec, &render_context(&sizes)),
        Err(RenderError::UnknownSize { .. })
    ));
}

const HOSTILE: &[&str] = &[
    "it's \"quoted\"",
    "line one\nline two\r\n\ttabbed",
    "{{ .Values.hub.config }} {value} ${HOME} $(JUPYTERHUB_USER)",
    "\"\"\" ; import os; os.system('x') #",
    "&anchor *alias << : merge",
    "!!python/object/apply:os.system ['ls']",
    "- item\n- second: value\n? key",
    "yes",
    "null",
    "~",
    "0x1F",
    "1e3",
    "Zürich — 東京 🚀 \u{202e}rtl",
    "</script><script>alert(1)</script>",
    "---\n...\n%YAML 1.2",
    "# not a comment",
    "  leading and trailing  ",
    "back\\slash \\n \\u0000",
    // What YAML 1.1 readers such as Helm's Go YAML would turn into booleans, numbers or
    // timestamps if written bare.
    "no",
    "On",
    "y",
    "1_000",
    "0b101",
    "0o17",
    "12:30:00",
    "2026-04-29",
    "+.5",
];

/// Strings a YAML 1.1 reader resolves to something other than a string when plain.
const YAML_11_TRAPS: &[&str] = &[
    "yes",
    "no",
    "On",
    "y",
    "1_000",
    "0b101",
    "0o17",
    "12:30:00",
    "2026-04-29",
    "+.5",
    "~",
    "null",
];

#[test]
fn hostile_strings_survive_both_renderings() {
    let sizes = sizes();
    let ctx = render_context(&sizes);
    for hostile in HOSTILE {
        let mut spec = research_lab();
        spec.homepage.org_name = (*hostile).into();
        spec.homepage.org_url = Some(format!("https://x.example.org/{hostile}"));
        spec.homepage.funded_by_name = Some((*hostile).into());
        spec.homepage.funded_by_url = Some((*hostile).into());
        spec.homepage.announcement = (*hostile).into();
        spec.homepage.show_logo = true;
        for env in &mut spec.environments {
            env.display_name = format!("{hostile} {}", env.slug);
            env.description = (*hostile).into();
        }
        // Slugs become YAML keys (image choices); staff settings follow the GPU slug.
        let gpu_slug = format!("{hostile} gpu");
        spec.environments[1].slug.clone_from(&gpu_slug);
        let mut gpu = spec.staff.environments.remove("gpu").unwrap();
        gpu.node_selector
            .insert((*hostile).into(), (*hostile).into());
        spec.staff.environments.insert(gpu_slug.clone(), gpu);
        spec.login.github_rules.push((*hostile).into());
        spec.default_interface = DefaultInterface::GitPuller {
            repo: format!("https://github.com/a/{hostile}"),
            branch: (*hostile).into(),
            path: (*hostile).into(),
        };
        let html = announcement_html(hostile);
        let url = stoa_hubs::default_url(&spec.default_interface);
        let parsed = url::Url::parse(&format!("https://hub.example.org{url}")).unwrap();
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs.len(), 3, "{url}");
        assert_eq!(pairs[0].1, format!("https://github.com/a/{hostile}"));
        assert_eq!(pairs[1].1, *hostile);

        let local: LocalConfig =
            serde_json::from_str(&render_local_json(&spec, &ctx).unwrap()).unwrap();
        assert_eq!(local.homepage.org_name, *hostile);
        assert_eq!(local.homepage.funded_by_name.as_deref(), Some(*hostile));
        assert_eq!(local.homepage.funded_by_url.as_deref(), Some(*hostile));
        assert_eq!(local.homepage.announcement_html, html);
        assert_eq!(local.default_url, url);
        for (profile, env) in local.profiles.iter().zip(&spec.environments) {
            assert_eq!(profile.display_name, env.display_name);
            assert_eq!(profile.description, *hostile);
        }

        let yaml = render_z2jh(&spec, &ctx).unwrap_or_else(|e| panic!("{hostile:?}: {e}"));
        // Read back by an independent parser (libyaml), and by serde-saphyr itself.
        let back: Value =
            yaml_serde::from_str(&yaml).unwrap_or_else(|e| panic!("{hostile:?}: {e}\n{yaml}"));
        let own: Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(own, back);
        if YAML_11_TRAPS.contains(hostile) {
            assert!(
                !yaml.contains(&format!(": {hostile}\n")),
                "{hostile:?} written bare:\n{yaml}"
            );
        }
        let vars = &back["custom"]["homepage"]["templateVars"];
        assert_eq!(vars["org"]["name"], *hostile, "{yaml}");
        assert_eq!(vars["funded_by"]["name"], *hostile);
        assert_eq!(vars["funded_by"]["url"], *hostile);
        if html.is_empty() {
            assert!(vars.get("announcements").is_none());
        } else {
            assert_eq!(vars["announcements"][0], html.as_str());
        }
        assert_eq!(back["singleuser"]["defaultUrl"], url.as_str());
        for (i, env) in spec.environments.iter().enumerate() {
            let profile = &back["singleuser"]["profileList"][i];
            assert_eq!(profile["display_name"], env.display_name.as_str());
            assert_eq!(profile["description"], *hostile);
            assert_eq!(profile["slug"], env.slug.as_str());
            assert!(
                profile["profile_options"]["image"]["choices"]
                    .get(&env.slug)
                    .is_some()
            );
        }
        let selector =
            &back["singleuser"]["profileList"][1]["kubespawner_override"]["node_selector"];
        assert_eq!(selector[*hostile], *hostile, "{yaml}");
        assert_eq!(selector["node.kubernetes.io/instance-type"], "g4dn.xlarge");
        // Nothing became a YAML tag, anchor or alias.
        assert!(
            !yaml.contains("\n!!")
                && !yaml.contains(": !!")
                && !yaml.contains(": &")
                && !yaml.contains(": *"),
            "{yaml}"
        );
    }
}
