//! Checks a whole [`HubSpec`] against a community's effective [`Bounds`] and the offered
//! [`SizeChoice`]s, reporting every problem at once.
//!
//! Messages use stoa_model's [`FieldMessage`](stoa_model::FieldMessage) so the pages show them
//! next to form fields, exactly like the other forms. Field names are the serde path of the
//! value in the spec, joined with dots, with list positions counted from 0:
//! `homepage.org_name`, `environments.2.image`, `login.github_rules.0`,
//! `default_interface.branch`, `event.ends_on`, `staff.environments.<slug>.node_selector`,
//! `staff.bounds.max_cpu_millis`. A rule about a whole list is reported on the list
//! (`environments`); one about the whole spec on `form`, as in the other forms.

use std::collections::BTreeSet;

use stoa_model::validate::{Checks, line, text, url};
use stoa_model::{Invalid, Role};

use crate::bounds::{Bounds, GIB, SizeChoice};
use crate::image::check_image_reference;
use crate::spec::{DefaultInterface, HubSpec, SCHEMA_VERSION, StaffEnvironment};

/// Longest organisation or funder name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest environment name in the spawn menu.
pub const MAX_DISPLAY_NAME_CHARS: usize = 60;
/// Longest environment description.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Longest announcement (Markdown source).
pub const MAX_ANNOUNCEMENT_CHARS: usize = 2000;
/// Longest environment slug.
pub const MAX_SLUG_CHARS: usize = 40;
/// Most entries in each login list.
pub const MAX_LOGIN_RULES: usize = 50;
/// Longest nbgitpuller branch or path.
pub const MAX_GIT_TEXT_CHARS: usize = 200;

/// What validation needs besides the spec: staff defaults and the sizes on offer.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// Staff defaults from configuration; the spec's own overrides are applied on top.
    pub default_bounds: &'a Bounds,
    /// Sizes staff offer (from configuration).
    pub sizes: &'a [SizeChoice],
}

impl ValidationContext<'_> {
    /// The bounds `spec` is checked against: staff defaults with the community's overrides.
    /// An override that is itself invalid (zero, or a minimum above its maximum) is reported
    /// on its staff field and left out here, so the community's fields are not also flagged
    /// against a nonsensical limit.
    pub fn effective_bounds(&self, spec: &HubSpec) -> Bounds {
        let mut o = spec.staff.bounds;
        let nonzero32 = |v: &mut Option<u32>| *v = v.filter(|v| *v > 0);
        o.max_memory_bytes = o.max_memory_bytes.filter(|v| *v > 0);
        nonzero32(&mut o.max_cpu_millis);
        nonzero32(&mut o.max_home_quota_gib);
        nonzero32(&mut o.max_idle_timeout_seconds);
        nonzero32(&mut o.max_server_age_seconds);
        nonzero32(&mut o.max_event_users);
        nonzero32(&mut o.max_environments);
        let bounds = self.default_bounds.with_overrides(&o);
        if bounds.min_idle_timeout_seconds > bounds.max_idle_timeout_seconds {
            o.min_idle_timeout_seconds = None;
            o.max_idle_timeout_seconds = None;
            return self.default_bounds.with_overrides(&o);
        }
        bounds
    }
}

/// Checks every field and every rule between fields; `Err` holds one message per problem.
pub fn validate(spec: &HubSpec, ctx: &ValidationContext<'_>) -> Result<(), Invalid> {
    let bounds = ctx.effective_bounds(spec);
    let mut c = Checks::default();
    if spec.schema_version != SCHEMA_VERSION {
        // `HubSpec::from_json` upgrades stored specs; a spec built in code must say the
        // current version.
        c.add(
            "form",
            format!(
                "These settings are in format version {}, but this Stoa writes version {SCHEMA_VERSION}; reload the page.",
                spec.schema_version
            ),
        );
    }
    homepage(spec, &mut c);
    login(spec, &mut c);
    environments(spec, ctx, &bounds, &mut c);
    interface(&spec.default_interface, &mut c);
    limits(spec, &bounds, &mut c);
    staff(spec, &mut c);
    c.finish()
}

fn keep(c: &mut Checks, result: Result<impl Default, Invalid>) {
    c.take(result);
}

fn homepage(spec: &HubSpec, c: &mut Checks) {
    let h = &spec.homepage;
    keep(
        c,
        line(
            "homepage.org_name",
            "the organisation's name",
            &h.org_name,
            1,
            MAX_NAME_CHARS,
        ),
    );
    if let Some(org_url) = &h.org_url {
        keep(c, url("homepage.org_url", org_url, false));
    }
    let funder = h.funded_by_name.as_deref().unwrap_or("");
    if !funder.trim().is_empty() {
        keep(
            c,
            line(
                "homepage.funded_by_name",
                "the funder's name",
                funder,
                1,
                MAX_NAME_CHARS,
            ),
        );
    }
    if let Some(funder_url) = h.funded_by_url.as_deref().filter(|u| !u.trim().is_empty()) {
        keep(c, url("homepage.funded_by_url", funder_url, false));
        if funder.trim().is_empty() {
            c.add(
                "homepage.funded_by_name",
                "Enter the funder's name to go with the link.",
            );
        }
    }
    keep(
        c,
        text(
            "homepage.announcement",
            &h.announcement,
            MAX_ANNOUNCEMENT_CHARS,
        ),
    );
}

fn login(spec: &HubSpec, c: &mut Checks) {
    let l = &spec.login;
    list(
        c,
        "login.email_domains",
        &l.email_domains,
        |d| d.to_owned(),
        email_domain,
    );
    list(
        c,
        "login.cilogon_idps",
        &l.cilogon_idps,
        |d| d.to_owned(),
        cilogon_idp,
    );
    // GitHub names are case-insensitive, so `Org` and `org` are the same rule.
    list(
        c,
        "login.github_rules",
        &l.github_rules,
        |d| d.to_ascii_lowercase(),
        github_rule,
    );
}

/// Checks each entry of a login list, its length and duplicates (compared by `key`).
fn list(
    c: &mut Checks,
    field: &str,
    values: &[String],
    key: impl Fn(&str) -> String,
    check: impl Fn(&str) -> Result<(), String>,
) {
    if values.len() > MAX_LOGIN_RULES {
        c.add(field, format!("Use at most {MAX_LOGIN_RULES} entries."));
    }
    let mut seen = BTreeSet::new();
    for (i, value) in values.iter().enumerate() {
        let at = format!("{field}.{i}");
        if let Err(message) = check(value) {
            c.add(&at, message);
        } else if !seen.insert(key(value)) {
            c.add(&at, "This is listed twice.");
        }
    }
}

/// A DNS name of letters, digits and inner hyphens, with at least one dot; lower case.
pub(crate) fn dns_name(value: &str) -> bool {
    value.len() <= 253
        && value.contains('.')
        && value.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        })
        && value
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().all(|ch| ch.is_ascii_lowercase()))
}

fn email_domain(value: &str) -> Result<(), String> {
    if value.contains('@') {
        return Err("Enter only the part after @, such as example.edu.".into());
    }
    if value.chars().any(|ch| ch.is_ascii_uppercase()) {
        return Err("Use lowercase letters, such as example.edu.".into());
    }
    if !dns_name(value) {
        return Err("Enter a domain such as example.edu.".into());
    }
    Ok(())
}

/// A SAML entity ID as CILogon lists them (https://cilogon.org/idplist/): an `https://`
/// address or a `urn:`.
fn cilogon_idp(value: &str) -> Result<(), String> {
    let bad = || {
        "Enter the identity provider's entity ID from cilogon.org/idplist, such as https://sso.example.edu/idp/shibboleth or urn:mace:incommon:example.edu.".to_owned()
    };
    if value.len() > 300 {
        return Err("Use at most 300 characters.".into());
    }
    if value.is_empty()
        || value
            .chars()
            .any(|ch| ch.is_whitespace() || ch.is_control() || matches!(ch, '"' | '<' | '>' | '\\'))
    {
        return Err(bad());
    }
    if let Some(rest) = value.strip_prefix("urn:") {
        let (nid, nss) = rest.split_once(':').ok_or_else(bad)?;
        let nid_ok = !nid.is_empty()
            && nid.len() <= 32
            && nid
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
        return if nid_ok && !nss.is_empty() {
            Ok(())
        } else {
            Err(bad())
        };
    }
    let parsed = url::Url::parse(value).map_err(|_| bad())?;
    match parsed.host() {
        Some(url::Host::Domain(host)) if parsed.scheme() == "https" && host.contains('.') => Ok(()),
        _ => Err(bad()),
    }
}

/// `org` or `org:team`, as GitHubOAuthenticator's `allowed_organizations` takes them.
fn github_rule(value: &str) -> Result<(), String> {
    let (org, team) = match value.split_once(':') {
        Some((org, team)) => (org, Some(team)),
        None => (value, None),
    };
    let org_ok = !org.is_empty()
        && org.len() <= 39
        && !org.starts_with('-')
        && !org.ends_with('-')
        && !org.contains("--")
        && org
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    if !org_ok {
        return Err("Enter a GitHub organisation (such as 2i2c-org) or organisation:team (such as 2i2c-org:hub-users).".into());
    }
    if let Some(team) = team {
        let team_ok = !team.is_empty()
            && team.len() <= 100
            && team
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_');
        if !team_ok {
            return Err("Use the team's slug as in its address on github.com: lowercase letters, digits, hyphens and underscores.".into());
        }
    }
    Ok(())
}

fn environment_slug(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= MAX_SLUG_CHARS
        && value.starts_with(|ch: char| ch.is_ascii_lowercase())
        && !value.ends_with('-')
        && value
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Use 1 to {MAX_SLUG_CHARS} lowercase letters, digits and hyphens, starting with a letter."
        ))
    }
}

/// `1.5` for 1500 thousandths of a core.
fn cores(millis: u32) -> String {
    let text = format!("{:.3}", f64::from(millis) / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `4 GiB`, or `1.5 GiB`.
fn gib(bytes: u64) -> String {
    // Precision is lost only beyond 2^53 bytes (8 PiB), far past any size.
    let value = bytes as f64 / GIB as f64;
    let text = format!("{value:.2}");
    format!("{} GiB", text.trim_end_matches('0').trim_end_matches('.'))
}

fn environments(spec: &HubSpec, ctx: &ValidationContext<'_>, bounds: &Bounds, c: &mut Checks) {
    let envs = &spec.environments;
    if envs.is_empty() {
        c.add("environments", "Add at least one environment.");
        return;
    }
    if envs.len() > bounds.max_environments as usize {
        c.add(
            "environments",
            format!("Use at most {} environments.", bounds.max_environments),
        );
    }
    let defaults = envs.iter().filter(|e| e.default).count();
    if defaults != 1 {
        c.add(
            "environments",
            format!("Mark exactly one environment as the default ({defaults} are marked)."),
        );
    }
    let mut slugs = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (i, env) in envs.iter().enumerate() {
        let at = |field: &str| format!("environments.{i}.{field}");
        match environment_slug(&env.slug) {
            Err(message) => c.add(&at("slug"), message),
            Ok(()) if !slugs.insert(env.slug.as_str()) => {
                c.add(&at("slug"), "Another environment already uses this slug.");
            }
            Ok(()) => {}
        }
        match line(
            &at("display_name"),
            "a name",
            &env.display_name,
            1,
            MAX_DISPLAY_NAME_CHARS,
        ) {
            Err(e) => keep(c, Err::<(), _>(e)),
            Ok(name) if !names.insert(name.to_lowercase()) => {
                c.add(
                    &at("display_name"),
                    "Another environment already has this name.",
                );
            }
            Ok(_) => {}
        }
        keep(
            c,
            text(&at("description"), &env.description, MAX_DESCRIPTION_CHARS),
        );
        if let Err(message) = check_image_reference(&env.image) {
            c.add(&at("image"), message);
        }
        let mut roles = BTreeSet::new();
        if env
            .allowed_roles
            .iter()
            .any(|r| !roles.insert(Role::ALL.iter().position(|x| x == r)))
        {
            c.add(&at("allowed_roles"), "List each role once.");
        }
        match ctx.sizes.iter().find(|s| s.id == env.size) {
            None => c.add(&at("size"), "Choose one of the offered sizes."),
            Some(size) => {
                if size.memory_bytes > bounds.max_memory_bytes
                    || size.cpu_millis > bounds.max_cpu_millis
                {
                    c.add(
                        &at("size"),
                        format!(
                            "This size is larger than this community may use (at most {} memory and {} CPU); choose a smaller one.",
                            gib(bounds.max_memory_bytes),
                            cores(bounds.max_cpu_millis)
                        ),
                    );
                }
            }
        }
    }
}

/// A git branch name (git check-ref-format, for one branch).
fn git_branch(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("Enter a branch, such as main.".into());
    }
    let ok = value.chars().count() <= MAX_GIT_TEXT_CHARS
        && !value.starts_with(['-', '/', '.'])
        && !value.ends_with(['/', '.'])
        && !value.ends_with(".lock")
        && !value.contains("..")
        && !value.contains("//")
        && !value.contains("@{")
        && !value.contains("/.")
        && value != "@"
        && !value.chars().any(|ch| {
            ch.is_whitespace()
                || ch.is_control()
                || matches!(ch, '~' | '^' | ':' | '?' | '*' | '[' | '\\')
        });
    if ok {
        Ok(())
    } else {
        Err("That is not a valid branch name.".into())
    }
}

/// A path inside the repository: relative, without `..`.
fn repo_path(value: &str) -> Result<(), String> {
    if value.chars().count() > MAX_GIT_TEXT_CHARS {
        return Err(format!("Use at most {MAX_GIT_TEXT_CHARS} characters."));
    }
    if value.starts_with('/') || value.split('/').any(|part| part == "..") {
        return Err("Use a path inside the repository, such as notebooks/intro.ipynb.".into());
    }
    if value.chars().any(char::is_control) {
        return Err("Remove the control characters.".into());
    }
    Ok(())
}

fn interface(value: &DefaultInterface, c: &mut Checks) {
    let DefaultInterface::GitPuller { repo, branch, path } = value else {
        return;
    };
    if repo.trim().is_empty() {
        c.add(
            "default_interface.repo",
            "Enter the repository's https:// address.",
        );
    } else {
        match url("default_interface.repo", repo, true) {
            Err(e) => keep(c, Err::<(), _>(e)),
            Ok(_) if repo.contains(['?', '#']) => c.add(
                "default_interface.repo",
                "Use the repository's address without ? or #.",
            ),
            Ok(_) => {}
        }
    }
    if let Err(message) = git_branch(branch) {
        c.add("default_interface.branch", message);
    }
    if let Err(message) = repo_path(path) {
        c.add("default_interface.path", message);
    }
}

/// `90 minutes`, `2 hours`, `7 days`: the largest unit that divides exactly.
pub(crate) fn duration(seconds: u32) -> String {
    let plural = |n: u32, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    for (unit, size) in [("day", 86_400), ("hour", 3600), ("minute", 60)] {
        if seconds >= size && seconds.is_multiple_of(size) {
            return plural(seconds / size, unit);
        }
    }
    plural(seconds, "second")
}

fn limits(spec: &HubSpec, b: &Bounds, c: &mut Checks) {
    let idle = spec.culling.idle_timeout_seconds;
    if !(b.min_idle_timeout_seconds..=b.max_idle_timeout_seconds).contains(&idle) {
        c.add(
            "culling.idle_timeout_seconds",
            format!(
                "Use between {} and {}.",
                duration(b.min_idle_timeout_seconds),
                duration(b.max_idle_timeout_seconds)
            ),
        );
    }
    let age = spec.culling.max_age_seconds;
    if !(b.min_idle_timeout_seconds..=b.max_server_age_seconds).contains(&age) {
        c.add(
            "culling.max_age_seconds",
            format!(
                "Use between {} and {}.",
                duration(b.min_idle_timeout_seconds),
                duration(b.max_server_age_seconds)
            ),
        );
    }
    if !(1..=b.max_home_quota_gib).contains(&spec.home_quota_gib) {
        c.add(
            "home_quota_gib",
            format!("Use between 1 and {} GiB.", b.max_home_quota_gib),
        );
    }
    if let Some(event) = &spec.event {
        if !(1..=b.max_event_users).contains(&event.expected_users) {
            c.add(
                "event.expected_users",
                format!(
                    "Use between 1 and {} people; for more, ask staff.",
                    b.max_event_users
                ),
            );
        }
        if event.ends_on < event.starts_on {
            c.add(
                "event.ends_on",
                "The last day cannot be before the first day.",
            );
        }
    }
}

/// A Kubernetes qualified name (`[prefix/]name`), as used for label and resource keys.
fn k8s_key(value: &str) -> bool {
    let (prefix, name) = match value.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, value),
    };
    prefix.is_none_or(|p| dns_name(p) || (!p.is_empty() && !p.contains('.') && dns_label(p)))
        && label_value(name)
        && !name.is_empty()
}

fn dns_label(value: &str) -> bool {
    value.len() <= 63
        && !value.starts_with('-')
        && !value.ends_with('-')
        && value
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
}

/// A Kubernetes label value: empty, or up to 63 of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
fn label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && value.ends_with(|ch: char| ch.is_ascii_alphanumeric())
            && value
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')))
}

/// A Kubernetes quantity as used in resource limits (`1`, `500m`, `2Gi`).
fn quantity(value: &str) -> bool {
    let digits_end = value
        .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
        .unwrap_or(value.len());
    let (number, suffix) = value.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number.split('.').count() <= 2
        && number.split('.').all(|part| !part.is_empty());
    number_ok
        && [
            "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
        ]
        .contains(&suffix)
}

fn staff_environment(at: &str, env: &StaffEnvironment, c: &mut Checks) {
    for (key, value) in &env.node_selector {
        if !k8s_key(key) || !label_value(value) {
            c.add(
                &format!("{at}.node_selector"),
                format!("“{key}: {value}” is not a valid Kubernetes label."),
            );
        }
    }
    for (key, value) in &env.extra_resource_limits {
        if !k8s_key(key) || !quantity(value) {
            c.add(
                &format!("{at}.extra_resource_limits"),
                format!("“{key}: {value}” is not a valid resource name and quantity."),
            );
        }
    }
}

fn staff(spec: &HubSpec, c: &mut Checks) {
    let s = &spec.staff;
    for (slug, env) in &s.environments {
        let at = format!("staff.environments.{slug}");
        // Reported on the environment list, where the community sees it: removing or
        // re-slugging an environment that staff gave a GPU or node pool is what causes it.
        if !spec.environments.iter().any(|e| &e.slug == slug) {
            c.add(
                "environments",
                format!(
                    "Staff settings (such as a GPU) belong to the environment with the slug “{slug}”; keep an environment with that slug, or ask staff to move the settings."
                ),
            );
        }
        staff_environment(&at, env, c);
    }
    if let Some(domain) = &s.custom_domain
        && !dns_name(domain)
    {
        c.add(
            "staff.custom_domain",
            "Enter a host name such as hub.example.org.",
        );
    }
    let o = &s.bounds;
    let zero = [
        ("max_memory_bytes", o.max_memory_bytes.map(|v| v == 0)),
        ("max_cpu_millis", o.max_cpu_millis.map(|v| v == 0)),
        ("max_home_quota_gib", o.max_home_quota_gib.map(|v| v == 0)),
        (
            "max_idle_timeout_seconds",
            o.max_idle_timeout_seconds.map(|v| v == 0),
        ),
        (
            "max_server_age_seconds",
            o.max_server_age_seconds.map(|v| v == 0),
        ),
        ("max_event_users", o.max_event_users.map(|v| v == 0)),
        ("max_environments", o.max_environments.map(|v| v == 0)),
    ];
    for (field, is_zero) in zero {
        if is_zero == Some(true) {
            c.add(
                &format!("staff.bounds.{field}"),
                "Use a limit above zero, or leave it empty for the default.",
            );
        }
    }
    if o.min_idle_timeout_seconds.is_some()
        && o.max_idle_timeout_seconds.is_some()
        && o.min_idle_timeout_seconds > o.max_idle_timeout_seconds
    {
        c.add(
            "staff.bounds.min_idle_timeout_seconds",
            "The shortest idle timeout is above the longest.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_checks() {
        assert!(dns_name("example.edu"));
        assert!(!dns_name("example"));
        assert!(!dns_name("ex_ample.edu"));
        assert!(!dns_name("example.123"));
        assert!(k8s_key("node.kubernetes.io/instance-type"));
        assert!(k8s_key("nvidia.com/gpu"));
        assert!(k8s_key("gpu"));
        assert!(!k8s_key("nvidia.com/"));
        assert!(!k8s_key("a b"));
        assert!(quantity("1") && quantity("500m") && quantity("2Gi") && quantity("0.5"));
        assert!(!quantity("") && !quantity("1.") && !quantity("one") && !quantity("1GB"));
        assert_eq!(duration(5400), "90 minutes");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(61), "61 seconds");
        assert_eq!(cores(1500), "1.5");
        assert_eq!(cores(4000), "4");
        assert_eq!(gib(16 * GIB), "16 GiB");
        assert_eq!(gib(GIB + GIB / 2), "1.5 GiB");
    }
}
