//! What both renderings share: their inputs, their errors, and the values derived from the
//! spec the same way for both.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use stoa_model::Role;

use crate::bounds::SizeChoice;
use crate::spec::{DefaultInterface, Environment};

/// What a render needs besides the spec. Holds no secrets, and renders never contain any.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// Sizes staff offer; every environment's size id must be among them.
    pub sizes: &'a [SizeChoice],
    /// Stoa's public address of the community's logo, used when the spec shows the logo.
    pub logo_url: Option<&'a str>,
}

/// A spec could not be rendered. A spec that passed [`crate::validate()`] with the same sizes
/// renders, so any of these after validation is a bug in Stoa, not in the community's input.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An environment names a size that is not offered.
    #[error("environment “{environment}” uses size “{size}”, which is not offered")]
    UnknownSize {
        /// The environment's slug.
        environment: String,
        /// The size id it names.
        size: String,
    },
    /// The merged Helm values break the z2jh chart's schema.
    #[error("the Helm values do not match the z2jh chart schema: {}", .0.join("; "))]
    Schema(Vec<String>),
    /// The rendered `singleuser.profileList` fails Stoa's own checks.
    #[error("the profile list is not valid: {}", .0.join("; "))]
    ProfileList(Vec<String>),
    /// The chart files compiled into Stoa did not load.
    #[error("the z2jh chart data did not load: {0}")]
    Chart(String),
    /// A serialiser failed.
    #[error("the rendering could not be serialised: {0}")]
    Serialise(String),
}

/// YAML as both renderings and the spec diff write it. serde-saphyr (see the workspace
/// Cargo.toml) quotes every string a YAML 1.1 reader would take for something else, so Helm
/// reads `no` or `1_000` back as text. Long single-line strings stay on one line (never
/// folded, which would make diffs of URLs unreadable); strings with line breaks become
/// literal blocks.
pub(crate) fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, RenderError> {
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    serde_saphyr::to_string_with_options(value, options)
        .map_err(|e| RenderError::Serialise(e.to_string()))
}

/// The size an environment names.
pub(crate) fn size_of<'a>(
    env: &Environment,
    ctx: &RenderContext<'a>,
) -> Result<&'a SizeChoice, RenderError> {
    ctx.sizes
        .iter()
        .find(|s| s.id == env.size)
        .ok_or_else(|| RenderError::UnknownSize {
            environment: env.slug.clone(),
            size: env.size.clone(),
        })
}

/// An optional text, `None` when blank (a spec that skipped [`crate::HubSpec::normalize`]).
pub(crate) fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Roles in [`Role::ALL`] order, each once, whatever order the spec lists them in, so the
/// renders do not change when someone reorders ticks.
pub(crate) fn ordered_roles(roles: &[Role]) -> impl Iterator<Item = Role> + '_ {
    Role::ALL.into_iter().filter(|r| roles.contains(r))
}

/// The JupyterHub group Stoa keeps in sync with a community role (`stoa-role-admin`); the
/// z2jh rendering restricts profiles with `allowed_groups` of these names.
pub fn role_group(role: Role) -> String {
    format!("stoa-role-{}", role.as_str())
}

/// Characters left as they are in a query value: RFC 3986 unreserved ones.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path a new server opens, relative to the server (`Spawner.default_url`).
///
/// An nbgitpuller link is `/git-pull?repo=…&branch=…&urlpath=…`, each value percent-encoded
/// in full (so `&`, `#`, `?`, spaces and non-ASCII in a branch or path cannot break the link);
/// `urlpath` opens `path` inside the folder nbgitpuller clones into (the repository's name) in
/// JupyterLab.
pub fn default_url(interface: &DefaultInterface) -> String {
    match interface {
        DefaultInterface::JupyterLab => "/lab".to_owned(),
        DefaultInterface::Classic => "/tree".to_owned(),
        DefaultInterface::RStudio => "/rstudio".to_owned(),
        DefaultInterface::GitPuller { repo, branch, path } => {
            let folder = repo
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default();
            let folder = folder.strip_suffix(".git").unwrap_or(folder);
            let path = path.trim_matches('/');
            let urlpath = if path.is_empty() {
                format!("lab/tree/{folder}")
            } else {
                format!("lab/tree/{folder}/{path}")
            };
            format!(
                "/git-pull?repo={}&branch={}&urlpath={}",
                utf8_percent_encode(repo, QUERY_VALUE),
                utf8_percent_encode(branch, QUERY_VALUE),
                utf8_percent_encode(&urlpath, QUERY_VALUE)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_puller_links_are_encoded() {
        let url = default_url(&DefaultInterface::GitPuller {
            repo: "https://github.com/org/course-notes.git".into(),
            branch: "spring&2026#x".into(),
            path: "week 1/intro é.ipynb".into(),
        });
        assert_eq!(
            url,
            "/git-pull?repo=https%3A%2F%2Fgithub.com%2Forg%2Fcourse-notes.git&branch=spring%262026%23x&urlpath=lab%2Ftree%2Fcourse-notes%2Fweek%201%2Fintro%20%C3%A9.ipynb"
        );
        let parsed = url::Url::parse(&format!("https://hub.example.org{url}")).unwrap();
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [
                (
                    "repo".into(),
                    "https://github.com/org/course-notes.git".into()
                ),
                ("branch".into(), "spring&2026#x".into()),
                (
                    "urlpath".into(),
                    "lab/tree/course-notes/week 1/intro é.ipynb".into()
                ),
            ]
        );
        assert_eq!(
            default_url(&DefaultInterface::GitPuller {
                repo: "https://gitlab.com/a/b/".into(),
                branch: "main".into(),
                path: String::new(),
            }),
            "/git-pull?repo=https%3A%2F%2Fgitlab.com%2Fa%2Fb%2F&branch=main&urlpath=lab%2Ftree%2Fb"
        );
        assert_eq!(default_url(&DefaultInterface::RStudio), "/rstudio");
    }

    #[test]
    fn roles_come_out_in_a_fixed_order() {
        let roles: Vec<Role> = ordered_roles(&[Role::Member, Role::Owner, Role::Member]).collect();
        assert_eq!(roles, [Role::Owner, Role::Member]);
        assert_eq!(role_group(Role::Admin), "stoa-role-admin");
    }
}
