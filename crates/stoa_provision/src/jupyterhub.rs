//! A small client of JupyterHub's REST API (`/hub/api`), as Stoa's service `stoa` uses it:
//! health, people and activity, admin, removing someone. Any backend whose hubs are
//! JupyterHubs uses it; only how it finds the address and token differs.
//!
//! Bodies of `/users` carry `auth_state` (access and refresh tokens) when the caller may read
//! it: nothing here logs a body, and errors quote only the status and JupyterHub's `message`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{HubUser, ProvisionError, Result};

/// The REST API of one hub.
#[derive(Clone)]
pub struct HubApi {
    base: String,
    token: SecretString,
    http: reqwest::Client,
}

impl std::fmt::Debug for HubApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubApi")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Version {
    version: String,
}

#[derive(Deserialize)]
struct UserModel {
    name: String,
    #[serde(default)]
    admin: bool,
    last_activity: Option<DateTime<Utc>>,
    #[serde(default)]
    servers: std::collections::BTreeMap<String, ServerModel>,
}

#[derive(Deserialize)]
struct ServerModel {
    #[serde(default)]
    ready: bool,
}

#[derive(Deserialize)]
struct Paged {
    items: Vec<UserModel>,
    #[serde(rename = "_pagination")]
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    next: Option<NextPage>,
}

#[derive(Deserialize)]
struct NextPage {
    offset: u64,
}

impl HubApi {
    /// The API under `base` (`http://127.0.0.1:8100/hub/api`), called with `token`.
    pub fn new(base: &str, token: SecretString) -> HubApi {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        HubApi {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header(
                "Authorization",
                format!("token {}", self.token.expose_secret()),
            )
    }

    /// JupyterHub's version, from the unauthenticated root of the API: the hub answers.
    pub async fn version(&self) -> Result<String> {
        let response = self
            .http
            .get(format!("{}/", self.base))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .map_err(unreachable)?;
        let response = checked(response).await?;
        let version: Version = response.json().await.map_err(unreadable)?;
        Ok(version.version)
    }

    /// Everyone the hub knows, page by page.
    pub async fn users(&self) -> Result<Vec<HubUser>> {
        let mut users = Vec::new();
        let mut offset = 0;
        loop {
            let response = self
                .request(reqwest::Method::GET, "/users")
                .query(&[("offset", offset), ("limit", 200)])
                .header("Accept", "application/jupyterhub-pagination+json")
                .send()
                .await
                .map_err(unreachable)?;
            let page: Paged = checked(response).await?.json().await.map_err(unreadable)?;
            users.extend(page.items.into_iter().map(|u| {
                HubUser {
                    name: u.name,
                    admin: u.admin,
                    last_activity: u.last_activity,
                    running_servers: u
                        .servers
                        .into_iter()
                        .filter(|(_, s)| s.ready)
                        .map(|(name, _)| name)
                        .collect(),
                }
            }));
            match page.pagination.next {
                Some(next) if next.offset > offset => offset = next.offset,
                _ => return Ok(users),
            }
        }
    }

    /// Sets someone's admin flag; a person the hub does not know yet is skipped (they get
    /// the right flag from their claims at first login).
    pub async fn set_admin(&self, user: &str, admin: bool) -> Result<()> {
        let response = self
            .request(reqwest::Method::PATCH, &format!("/users/{}", segment(user)))
            .json(&serde_json::json!({ "admin": admin }))
            .send()
            .await
            .map_err(unreachable)?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        checked(response).await.map(drop)
    }

    /// Removes someone: JupyterHub stops their servers first and revokes their tokens; their
    /// home folder stays. Someone already gone is fine.
    pub async fn remove_user(&self, user: &str) -> Result<()> {
        let response = self
            .request(
                reqwest::Method::DELETE,
                &format!("/users/{}", segment(user)),
            )
            .send()
            .await
            .map_err(unreachable)?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        checked(response).await.map(drop)
    }

    /// Stops every running server (before the hub itself stops for good).
    pub async fn stop_all_servers(&self) -> Result<()> {
        for user in self.users().await? {
            for server in &user.running_servers {
                let path = if server.is_empty() {
                    format!("/users/{}/server", segment(&user.name))
                } else {
                    format!("/users/{}/servers/{}", segment(&user.name), segment(server))
                };
                let response = self
                    .request(reqwest::Method::DELETE, &path)
                    .send()
                    .await
                    .map_err(unreachable)?;
                if response.status() != reqwest::StatusCode::NOT_FOUND {
                    checked(response).await?;
                }
            }
        }
        Ok(())
    }
}

/// A username or server name as one path segment.
fn segment(name: &str) -> String {
    percent_encode(name)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unreachable(err: reqwest::Error) -> ProvisionError {
    // The URL is a loopback address and a path; no token is in it.
    ProvisionError::Unavailable(format!("the hub does not answer: {}", err.without_url()))
}

fn unreadable(err: reqwest::Error) -> ProvisionError {
    ProvisionError::Unavailable(format!(
        "the hub's answer was not understood: {}",
        err.without_url()
    ))
}

/// The response when it succeeded; an error naming the status and JupyterHub's message when
/// not. 5xx and 429 may pass; other refusals will not.
async fn checked(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    #[derive(Deserialize)]
    struct Problem {
        message: Option<String>,
    }
    let message = response
        .json::<Problem>()
        .await
        .ok()
        .and_then(|p| p.message)
        .unwrap_or_default();
    let text = format!("the hub answered {status}: {message}")
        .trim_end_matches([':', ' '])
        .to_owned();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(ProvisionError::Unavailable(text))
    } else {
        Err(ProvisionError::Rejected(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_path_segment() {
        assert_eq!(segment("alice"), "alice");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("é"), "%C3%A9");
    }
}
