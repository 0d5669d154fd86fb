//! Rendering for a hub on Kubernetes: Zero to JupyterHub Helm values.
//!
//! The render is an overlay (what `helm upgrade -f` takes), built from typed structs and
//! serialised to YAML, never assembled as text. Before it is returned it is deep-merged onto
//! the chart's own defaults (`z2jh/values.yaml`) and the result is checked against the chart's
//! schema (`z2jh/values.schema.yaml`, which refuses unknown top-level keys), then Stoa's own
//! checks of `singleuser.profileList`, which the schema leaves open (it is a passthrough to
//! KubeSpawner). A render that would fail `helm install` therefore fails here, at render
//! time. The chart files are z2jh 4.4.0 (schema byte-identical to 4.3.3, the version 2i2c
//! pins); see `z2jh/SOURCE.txt` and the BSD licence beside them.
//!
//! Mapping: environments → `singleuser.profileList` (image, CPU and memory guarantee = limit,
//! staff `node_selector` / `extra_resource_limits`, roles → `allowed_groups` named by
//! [`crate::role_group`]); bring-your-own-image → an `image` profile option with an unlisted
//! choice validated by [`crate::IMAGE_REFERENCE_PATTERN`]; default interface →
//! `singleuser.defaultUrl`; culling → `cull.timeout` / `cull.maxAge`; home quota →
//! `singleuser.storage.capacity` (`10Gi`); named servers → `hub.allowNamedServers`; homepage →
//! `custom.homepage.templateVars` (2i2c's basehub layout). Login rules, the event and the
//! custom domain are not rendered: Stoa enforces login, and the other two are staff work on
//! the cluster.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;

use crate::image::{IMAGE_REFERENCE_MESSAGE, IMAGE_REFERENCE_PATTERN, check_image_reference};
use crate::render::{
    RenderContext, RenderError, default_url, ordered_roles, present, role_group, size_of, to_yaml,
};
use crate::spec::HubSpec;

/// The chart's defaults, as shipped.
pub const CHART_VALUES_YAML: &str = include_str!("../z2jh/values.yaml");
/// The chart's values schema, as shipped.
pub const CHART_SCHEMA_YAML: &str = include_str!("../z2jh/values.schema.yaml");

static CHART_DEFAULTS: LazyLock<Result<Value, String>> = LazyLock::new(|| {
    serde_saphyr::from_str::<Value>(CHART_VALUES_YAML).map_err(|e| format!("values.yaml: {e}"))
});

static CHART_SCHEMA: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema = serde_saphyr::from_str::<Value>(CHART_SCHEMA_YAML)
        .map_err(|e| format!("values.schema.yaml: {e}"))?;
    jsonschema::draft7::new(&schema).map_err(|e| format!("values.schema.yaml: {e}"))
});

#[derive(Serialize)]
struct Values<'a> {
    singleuser: Singleuser<'a>,
    hub: Hub,
    cull: Cull,
    custom: Custom<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Singleuser<'a> {
    default_url: String,
    storage: Storage,
    profile_list: Vec<Profile<'a>>,
}

#[derive(Serialize)]
struct Storage {
    capacity: String,
}

#[derive(Serialize)]
struct Profile<'a> {
    display_name: &'a str,
    description: &'a str,
    slug: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    default: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowed_groups: Vec<String>,
    kubespawner_override: Override<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_options: Option<ProfileOptions<'a>>,
}

#[derive(Serialize)]
struct Override<'a> {
    image: &'a str,
    cpu_guarantee: f64,
    cpu_limit: f64,
    mem_guarantee: String,
    mem_limit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_selector: Option<&'a BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra_resource_limits: Option<&'a BTreeMap<String, String>>,
}

#[derive(Serialize)]
struct ProfileOptions<'a> {
    image: ImageOption<'a>,
}

#[derive(Serialize)]
struct ImageOption<'a> {
    display_name: &'static str,
    choices: BTreeMap<&'a str, ImageChoice<'a>>,
    unlisted_choice: UnlistedChoice,
}

#[derive(Serialize)]
struct ImageChoice<'a> {
    display_name: &'a str,
    default: bool,
    kubespawner_override: ImageOverride<'a>,
}

#[derive(Serialize)]
struct ImageOverride<'a> {
    image: &'a str,
}

#[derive(Serialize)]
struct UnlistedChoice {
    enabled: bool,
    display_name: &'static str,
    validation_regex: &'static str,
    validation_message: &'static str,
    kubespawner_override: ImageOverride<'static>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hub {
    allow_named_servers: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cull {
    timeout: u32,
    max_age: u32,
}

#[derive(Serialize)]
struct Custom<'a> {
    homepage: Homepage<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Homepage<'a> {
    template_vars: TemplateVars<'a>,
}

#[derive(Serialize)]
struct TemplateVars<'a> {
    org: Org<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    funded_by: Option<Link<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    announcements: Vec<String>,
}

#[derive(Serialize)]
struct Org<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_url: Option<&'a str>,
}

#[derive(Serialize)]
struct Link<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

/// The overlay values for `spec`, as a JSON value, not yet checked against the chart.
pub fn z2jh_values(spec: &HubSpec, ctx: &RenderContext<'_>) -> Result<Value, RenderError> {
    let values = build(spec, ctx)?;
    serde_json::to_value(&values).map_err(|e| RenderError::Serialise(e.to_string()))
}

fn build<'a>(spec: &'a HubSpec, ctx: &RenderContext<'a>) -> Result<Values<'a>, RenderError> {
    let mut profile_list = Vec::with_capacity(spec.environments.len());
    for env in &spec.environments {
        let size = size_of(env, ctx)?;
        let staff = spec.staff.environments.get(&env.slug);
        let profile_options = spec.bring_your_own_image.then(|| ProfileOptions {
            image: ImageOption {
                display_name: "Image",
                choices: BTreeMap::from([(
                    env.slug.as_str(),
                    ImageChoice {
                        display_name: &env.image,
                        default: true,
                        kubespawner_override: ImageOverride { image: &env.image },
                    },
                )]),
                unlisted_choice: UnlistedChoice {
                    enabled: true,
                    display_name: "Custom image",
                    validation_regex: IMAGE_REFERENCE_PATTERN,
                    validation_message: IMAGE_REFERENCE_MESSAGE,
                    // KubeSpawner substitutes what the person typed for `{value}`.
                    kubespawner_override: ImageOverride { image: "{value}" },
                },
            },
        });
        profile_list.push(Profile {
            display_name: &env.display_name,
            description: &env.description,
            slug: &env.slug,
            default: env.default,
            allowed_groups: ordered_roles(&env.allowed_roles).map(role_group).collect(),
            kubespawner_override: Override {
                image: &env.image,
                cpu_guarantee: size.cpu_cores(),
                cpu_limit: size.cpu_cores(),
                mem_guarantee: size.memory_spec(),
                mem_limit: size.memory_spec(),
                node_selector: staff.map(|s| &s.node_selector).filter(|m| !m.is_empty()),
                extra_resource_limits: staff
                    .map(|s| &s.extra_resource_limits)
                    .filter(|m| !m.is_empty()),
            },
            profile_options,
        });
    }
    let h = &spec.homepage;
    let announcement = crate::announcement_html(&h.announcement);
    Ok(Values {
        singleuser: Singleuser {
            default_url: default_url(&spec.default_interface),
            storage: Storage {
                capacity: format!("{}Gi", spec.home_quota_gib),
            },
            profile_list,
        },
        hub: Hub {
            allow_named_servers: spec.named_servers,
        },
        cull: Cull {
            timeout: spec.culling.idle_timeout_seconds,
            max_age: spec.culling.max_age_seconds,
        },
        custom: Custom {
            homepage: Homepage {
                template_vars: TemplateVars {
                    org: Org {
                        name: &h.org_name,
                        url: present(&h.org_url),
                        logo_url: if h.show_logo { ctx.logo_url } else { None },
                    },
                    funded_by: present(&h.funded_by_name).map(|name| Link {
                        name,
                        url: present(&h.funded_by_url),
                    }),
                    announcements: if announcement.is_empty() {
                        Vec::new()
                    } else {
                        vec![announcement]
                    },
                },
            },
        },
    })
}

/// Renders `spec` as Helm values YAML, after checking the merged values against the chart
/// schema and the profile list rules ([`check_z2jh_values`]). Same spec and context, same
/// bytes: struct fields serialise in declaration order and maps are sorted.
pub fn render_z2jh(spec: &HubSpec, ctx: &RenderContext<'_>) -> Result<String, RenderError> {
    let values = build(spec, ctx)?;
    let overlay =
        serde_json::to_value(&values).map_err(|e| RenderError::Serialise(e.to_string()))?;
    check_z2jh_values(&merge_onto_chart_defaults(&overlay)?)?;
    to_yaml(&values)
}

/// `overlay` deep-merged onto the chart defaults the way Helm merges `-f` files: maps merge
/// key by key, anything else (lists included) replaces the default.
pub fn merge_onto_chart_defaults(overlay: &Value) -> Result<Value, RenderError> {
    let mut merged = CHART_DEFAULTS
        .as_ref()
        .map_err(|e| RenderError::Chart(e.clone()))?
        .clone();
    merge(&mut merged, overlay);
    Ok(merged)
}

fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

/// Checks complete (merged) Helm values: the chart's JSON schema, then the profile list.
/// Every problem is reported, each with the path of the value (`/singleuser/profileList/0`).
pub fn check_z2jh_values(merged: &Value) -> Result<(), RenderError> {
    let validator = CHART_SCHEMA
        .as_ref()
        .map_err(|e| RenderError::Chart(e.clone()))?;
    let errors: Vec<String> = validator
        .iter_errors(merged)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if !errors.is_empty() {
        return Err(RenderError::Schema(errors));
    }
    let profiles = merged
        .pointer("/singleuser/profileList")
        .unwrap_or(&Value::Null);
    check_profile_list(profiles).map_err(RenderError::ProfileList)
}

const PROFILE_KEYS: &[&str] = &[
    "display_name",
    "description",
    "slug",
    "default",
    "allowed_groups",
    "kubespawner_override",
    "profile_options",
];
const OVERRIDE_KEYS: &[&str] = &[
    "image",
    "cpu_guarantee",
    "cpu_limit",
    "mem_guarantee",
    "mem_limit",
    "node_selector",
    "extra_resource_limits",
];

/// KubeSpawner byte notation (`4G`, `1536M`, `1000`) in bytes.
fn parse_bytes(value: &Value) -> Option<u64> {
    let text = value.as_str()?;
    let (number, unit) = match text.char_indices().last()? {
        (i, 'K') => (&text[..i], 1u64 << 10),
        (i, 'M') => (&text[..i], 1 << 20),
        (i, 'G') => (&text[..i], 1 << 30),
        (i, 'T') => (&text[..i], 1 << 40),
        _ => (text, 1),
    };
    number.parse::<u64>().ok()?.checked_mul(unit)
}

/// Stoa's rules for `singleuser.profileList`, which the chart schema only types as a list:
/// the keys KubeSpawner knows (as Stoa uses them), unique non-empty slugs, exactly one
/// default, a valid image, positive CPU and memory with guarantee ≤ limit, string maps for
/// node selectors and resource limits.
pub fn check_profile_list(profiles: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let Some(list) = profiles.as_array() else {
        return Err(vec!["singleuser.profileList is not a list".to_owned()]);
    };
    if list.is_empty() {
        errors.push("singleuser.profileList is empty".to_owned());
    }
    let mut slugs = std::collections::BTreeSet::new();
    let mut defaults = 0;
    for (i, profile) in list.iter().enumerate() {
        let at = format!("singleuser.profileList[{i}]");
        let Some(profile) = profile.as_object() else {
            errors.push(format!("{at} is not a map"));
            continue;
        };
        for key in profile.keys() {
            if !PROFILE_KEYS.contains(&key.as_str()) {
                errors.push(format!("{at} has unknown key {key:?}"));
            }
        }
        if profile
            .get("display_name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            errors.push(format!("{at}.display_name is missing"));
        }
        match profile.get("slug").and_then(Value::as_str) {
            Some(slug) if !slug.is_empty() => {
                if !slugs.insert(slug.to_owned()) {
                    errors.push(format!("{at}.slug {slug:?} is used twice"));
                }
            }
            _ => errors.push(format!("{at}.slug is missing")),
        }
        match profile.get("default") {
            None => {}
            Some(Value::Bool(true)) => defaults += 1,
            Some(Value::Bool(false)) => {}
            Some(_) => errors.push(format!("{at}.default is not true or false")),
        }
        if let Some(groups) = profile.get("allowed_groups")
            && !groups
                .as_array()
                .is_some_and(|g| g.iter().all(Value::is_string))
        {
            errors.push(format!("{at}.allowed_groups is not a list of names"));
        }
        let Some(over) = profile
            .get("kubespawner_override")
            .and_then(Value::as_object)
        else {
            errors.push(format!("{at}.kubespawner_override is missing"));
            continue;
        };
        for key in over.keys() {
            if !OVERRIDE_KEYS.contains(&key.as_str()) {
                errors.push(format!("{at}.kubespawner_override has unknown key {key:?}"));
            }
        }
        match over.get("image").and_then(Value::as_str) {
            Some(image) => {
                if let Err(message) = check_image_reference(image) {
                    errors.push(format!("{at}.kubespawner_override.image: {message}"));
                }
            }
            None => errors.push(format!("{at}.kubespawner_override.image is missing")),
        }
        let cpu = |key: &str| over.get(key).and_then(Value::as_f64).filter(|v| *v > 0.0);
        match (cpu("cpu_guarantee"), cpu("cpu_limit")) {
            (Some(guarantee), Some(limit)) if guarantee <= limit => {}
            _ => errors.push(format!(
                "{at}.kubespawner_override needs positive cpu_guarantee ≤ cpu_limit"
            )),
        }
        let mem = |key: &str| over.get(key).and_then(parse_bytes).filter(|v| *v > 0);
        match (mem("mem_guarantee"), mem("mem_limit")) {
            (Some(guarantee), Some(limit)) if guarantee <= limit => {}
            _ => errors.push(format!(
                "{at}.kubespawner_override needs positive mem_guarantee ≤ mem_limit"
            )),
        }
        for key in ["node_selector", "extra_resource_limits"] {
            if let Some(map) = over.get(key)
                && !map
                    .as_object()
                    .is_some_and(|m| !m.is_empty() && m.values().all(Value::is_string))
            {
                errors.push(format!(
                    "{at}.kubespawner_override.{key} is not a map of strings"
                ));
            }
        }
    }
    if defaults != 1 {
        errors.push(format!(
            "singleuser.profileList has {defaults} default profiles; exactly one is needed"
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_files_load_and_defaults_validate() {
        let defaults = CHART_DEFAULTS.as_ref().unwrap();
        let validator = CHART_SCHEMA.as_ref().unwrap();
        let errors: Vec<String> = validator
            .iter_errors(defaults)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn merge_is_deep_for_maps_and_replaces_lists() {
        let mut base = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": 1});
        merge(&mut base, &serde_json::json!({"a": {"c": [3], "e": null}}));
        assert_eq!(
            base,
            serde_json::json!({"a": {"b": 1, "c": [3], "e": null}, "d": 1})
        );
    }

    #[test]
    fn byte_notation() {
        assert_eq!(parse_bytes(&Value::from("4G")), Some(4 << 30));
        assert_eq!(parse_bytes(&Value::from("1000")), Some(1000));
        assert_eq!(parse_bytes(&Value::from("4GB")), None);
        assert_eq!(parse_bytes(&Value::from(4)), None);
    }
}
