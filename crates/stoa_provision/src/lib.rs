//! Provisioning backends: what Stoa deploys hubs through.
//!
//! Stoa decides *what* a hub should run (a [`HubSpec`] revision, validated and rendered by
//! `stoa_hubs`) and records every step in its database; a [`Provisioner`] makes it so on real
//! infrastructure. The trait names the operations Stoa needs and nothing about how a backend
//! does them, so the Kubernetes backend (z2jh values through git) can sit beside [`local`]
//! later without the callers changing.
//!
//! Errors say whether trying again can help ([`ProvisionError::Unavailable`]: the backend is
//! down or busy) or not ([`ProvisionError::Rejected`]: this hub cannot run this revision).
//! The job that calls the backend retries the first kind with backoff and fails the change at
//! once on the second.
//!
//! Every operation is idempotent: the job queue runs a job at least once, so a backend may be
//! asked to apply a revision it already runs (it then does nothing), or to delete a hub that
//! is gone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use stoa_hubs::{HubSpec, SizeChoice};

pub mod jupyterhub;
pub mod local;

/// A hub as backends know it: Stoa's id and its globally unique slug (its host name is made
/// from the slug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRef {
    /// Stoa's id of the hub.
    pub id: i64,
    /// The hub's slug.
    pub slug: String,
}

/// Where a hub answers, fixed when it is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The address people open (`http://<slug>.hub.localhost:8100`). Never on Stoa's host:
    /// cookies ignore ports, so a hub there would receive Stoa's session cookie.
    pub url: String,
}

impl Placement {
    /// The OAuth redirect URI the hub sends people back to after they sign in at Stoa.
    pub fn oauth_callback(&self) -> String {
        format!("{}/hub/oauth_callback", self.url.trim_end_matches('/'))
    }

    /// Where Stoa may send people after they sign out of the hub.
    pub fn after_logout(&self) -> String {
        format!("{}/hub/", self.url.trim_end_matches('/'))
    }
}

/// How the hub signs people in: Stoa is its OpenID Connect provider.
#[derive(Debug, Clone)]
pub struct HubLogin {
    /// Stoa's issuer (its public address).
    pub issuer: String,
    /// The hub's client id at Stoa.
    pub client_id: String,
    /// The hub's client secret at Stoa.
    pub client_secret: SecretString,
    /// Stoa's page of the community, where people who may not use the hub ask to join.
    pub join_url: String,
}

impl HubLogin {
    /// An endpoint of Stoa's provider (`/oauth/token`, …).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer.trim_end_matches('/'))
    }
}

/// One revision to run.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The revision's number (kept by the backend to make applying it again a no-op).
    pub revision: i32,
    /// Its settings, validated.
    pub spec: HubSpec,
    /// The sizes on offer, for rendering.
    pub sizes: Vec<SizeChoice>,
    /// Stoa's address of the community logo.
    pub logo_url: Option<String>,
    /// How the hub signs people in.
    pub login: HubLogin,
}

/// What a health check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    /// The hub answers its API.
    Healthy {
        /// The revision it runs, if the backend knows.
        revision: Option<i32>,
        /// JupyterHub's version.
        version: String,
    },
    /// Stopped on purpose.
    Stopped,
    /// Not created yet.
    Absent,
    /// Should run and does not answer, in words.
    Down(String),
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Health::Healthy {
                revision: Some(n),
                version,
            } => write!(f, "JupyterHub {version} answers with revision {n}"),
            Health::Healthy { version, .. } => write!(f, "JupyterHub {version} answers"),
            Health::Stopped => f.write_str("the hub is stopped"),
            Health::Absent => f.write_str("the hub does not exist yet"),
            Health::Down(why) => write!(f, "the hub does not answer: {why}"),
        }
    }
}

/// A person known to the hub, read through its REST API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubUser {
    /// The hub username (Stoa's `preferred_username` claim).
    pub name: String,
    /// Whether the hub treats them as an admin.
    pub admin: bool,
    /// Last activity the hub saw.
    pub last_activity: Option<DateTime<Utc>>,
    /// Names of their running servers (`""` is the default server).
    pub running_servers: Vec<String>,
}

/// A backend operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The backend cannot do it now (down, busy, a port taken); trying later may work.
    #[error("{0}")]
    Unavailable(String),
    /// It will not work however often it is tried (the hub refuses this configuration).
    #[error("{0}")]
    Rejected(String),
}

impl ProvisionError {
    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, ProvisionError::Unavailable(_))
    }
}

/// Result of a backend operation.
pub type Result<T, E = ProvisionError> = std::result::Result<T, E>;

/// A provisioning backend.
#[async_trait]
pub trait Provisioner: Send + Sync + std::fmt::Debug {
    /// The backend's name in configuration (`local`).
    fn name(&self) -> &'static str;

    /// The Stoa process that must run this hub's jobs, when only one can (`local`: hubs live
    /// on the machine of the process that created them); `None` when any process can.
    fn runner(&self) -> Option<String>;

    /// Reserves what the hub needs (address, storage, secrets) and says where it will answer.
    /// Creating a hub that exists returns its placement unchanged.
    async fn create(&self, hub: &HubRef) -> Result<Placement>;

    /// Makes the hub run `deployment`, starting it if needed, and returns once it answers.
    /// A failed apply leaves the hub running what it ran before. Applying the revision it
    /// already runs and answers with does nothing.
    async fn apply(&self, hub: &HubRef, deployment: &Deployment) -> Result<()>;

    /// Starts the hub with the last revision applied (after a stop, or when found down).
    async fn start(&self, hub: &HubRef) -> Result<()>;

    /// Stops the hub and its people's servers; their files stay.
    async fn stop(&self, hub: &HubRef) -> Result<()>;

    /// Stops the hub and removes it with its files.
    async fn delete(&self, hub: &HubRef) -> Result<()>;

    /// Whether the hub answers.
    async fn health(&self, hub: &HubRef) -> Result<Health>;

    /// The people the hub knows, with their activity.
    async fn users(&self, hub: &HubRef) -> Result<Vec<HubUser>>;

    /// Gives or takes away hub admin.
    async fn set_admin(&self, hub: &HubRef, user: &str, admin: bool) -> Result<()>;

    /// Ends someone's access: stops their servers and removes them from the hub (their files
    /// stay); their tokens at the hub go with them.
    async fn remove_user(&self, hub: &HubRef, user: &str) -> Result<()>;
}
