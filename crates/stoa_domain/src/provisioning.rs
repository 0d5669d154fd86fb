//! Carrying out hub changes: apply a revision, start, stop.
//!
//! A change is requested in the transaction that decides it: a row of `hub_deployments` and
//! the job that carries it out are written together ([`request`]), so there is never a change
//! without its job or a job without its change, and a crash loses neither. The job runs
//! [`Deployer::run`], which moves the change along its timeline (requested → validated →
//! deploying → deployed → healthy, or failed) and records every step.
//!
//! Ordering: the jobs of one hub share a queue (`hub:<id>`) and run one at a time, oldest
//! first. A change that finds a newer one requested for its hub ends as superseded without
//! touching the backend, so no older revision is ever applied after a newer one, and a burst
//! of applies deploys once.
//!
//! At least once: a job may run again after a crash (its lease ran out). Each step checks
//! what is recorded before acting, and the backend's apply does nothing for the revision a
//! hub already runs, so a retried change is never applied twice.

use async_trait::async_trait;
use rand::Rng as _;
use serde_json::json;
use stoa_db::accounts::AccountId;
use stoa_db::communities::{self, Community};
use stoa_db::deployments::{self, Action, DeploymentId, State};
use stoa_db::hubs::{self, Hub};
use stoa_db::jobs::{self, Placement as JobPlacement, Task};
use stoa_db::{Clock, Conn, Db, WriteTx};
use stoa_hubs::{HubSpec, RenderContext, SizeChoice};
use stoa_provision::{
    Deployment, Health, HubLogin, HubRef, Placement, ProvisionError, Provisioner,
};

use crate::audit::Audit;
use crate::{DomainError, Result};

/// What a request that queues hub changes needs: this process's runner name (a hub its
/// backend creates lives with it) and the wake-up of its workers.
#[derive(Debug, Clone, Default)]
pub struct Queueing {
    /// The backend's runner, if it ties hubs to a process.
    pub runner: Option<String>,
    /// Wakes this process's workers after the transaction commits.
    pub wake: stoa_db::jobs::Wake,
}

/// The queue of a hub's jobs.
pub fn queue_of(hub: hubs::HubId) -> String {
    format!("hub:{}", hub.0)
}

/// Records a requested change of `hub` and enqueues its job, in the caller's transaction.
/// `runner` places the job on the process that owns the hub (for a hub not created yet: the
/// one whose backend will create it).
pub async fn request(
    mut conn: Conn<'_>,
    hub: &Hub,
    action: Action,
    revision: Option<i32>,
    by: Option<AccountId>,
    runner: Option<&str>,
    now: stoa_db::Timestamp,
) -> Result<DeploymentId> {
    let id = deployments::create(conn.reborrow(), hub.id, action, revision, by, now).await?;
    let placement = JobPlacement {
        queue: Some(queue_of(hub.id)),
        runner: hub.runner.clone().or(runner.map(str::to_owned)),
        idempotency_key: Some(format!("deploy:{}", id.0)),
    };
    let task = Task::DeployHub {
        deployment_id: id.0,
    };
    jobs::enqueue_task_placed(conn.reborrow(), &task, &placement, now).await?;
    let desired = if action == Action::Stop {
        "stopped"
    } else {
        "running"
    };
    hubs::set_desired_state(conn, hub.id, desired).await?;
    Ok(id)
}

/// Where a hub's login credentials come from: Stoa's OpenID provider registers the hub as a
/// client (see `hub_login`). A seam so the deployer needs no knowledge of the provider.
#[async_trait]
pub trait LoginSource: Send + Sync {
    /// The hub's client at Stoa, registered for `placement` (made on first use).
    async fn login_for(
        &self,
        tx: &mut WriteTx,
        hub: &Hub,
        community: &Community,
        placement: &Placement,
        now: stoa_db::Timestamp,
    ) -> Result<HubLogin>;
}

#[async_trait]
impl LoginSource for crate::hub_login::Provider {
    async fn login_for(
        &self,
        tx: &mut WriteTx,
        hub: &Hub,
        community: &Community,
        placement: &Placement,
        now: stoa_db::Timestamp,
    ) -> Result<HubLogin> {
        let client = crate::hub_login::ensure_client(
            self,
            tx,
            hub.id,
            &placement.oauth_callback(),
            &placement.after_logout(),
            now,
        )
        .await?;
        Ok(HubLogin {
            issuer: self.issuer.clone(),
            client_id: client.client_id,
            client_secret: client.client_secret,
            join_url: format!("{}/communities/{}", self.issuer, community.slug),
        })
    }
}

/// What a run of a change's job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The change reached a final state (healthy, stopped, failed, superseded, cancelled).
    Finished(State),
    /// The backend could not do it now; run the job again after a pause.
    Retry(String),
}

/// Runs changes against a backend.
pub struct Deployer<'a> {
    /// The store.
    pub db: &'a Db,
    /// The clock.
    pub clock: &'a Clock,
    /// The backend.
    pub backend: &'a dyn Provisioner,
    /// The hub's login credentials.
    pub login: &'a dyn LoginSource,
    /// Sizes on offer, for rendering.
    pub sizes: &'a [SizeChoice],
    /// Stoa's public address (for the logo).
    pub public_url: &'a str,
    /// Backend attempts before a transient failure becomes final.
    pub max_attempts: i64,
}

/// A pause before retry `attempt` (1-based): doubling from 5 seconds, capped at 5 minutes,
/// with the upper half jittered so hubs that failed together do not retry together.
pub fn backoff(attempt: i64) -> chrono::TimeDelta {
    let base = 5_000i64.saturating_mul(1 << attempt.clamp(1, 12).saturating_sub(1));
    let capped = base.min(300_000);
    let jittered = rand::rng().random_range(capped / 2..=capped);
    chrono::TimeDelta::milliseconds(jittered)
}

fn hub_ref(hub: &Hub) -> HubRef {
    HubRef {
        id: hub.id.0,
        slug: hub.slug.clone(),
    }
}

impl Deployer<'_> {
    async fn advance(&self, id: DeploymentId, state: State, message: Option<&str>) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let moved = deployments::advance(tx.conn(), id, state, message, self.clock.now()).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Runs change `id` once; `attempt` counts the job's runs (1 for the first).
    pub async fn run(&self, id: DeploymentId, attempt: i64) -> Result<Outcome> {
        let mut tx = self.db.begin().await?;
        let Some(change) = deployments::get(tx.conn(), id).await? else {
            return Ok(Outcome::Finished(State::Cancelled));
        };
        if change.state.is_final() {
            return Ok(Outcome::Finished(change.state));
        }
        if deployments::newer_exists(tx.conn(), id).await? {
            let now = self.clock.now();
            deployments::advance(
                tx.conn(),
                id,
                State::Superseded,
                Some("A newer change was requested before this one ran."),
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(Outcome::Finished(State::Superseded));
        }
        let hub = hubs::get(tx.conn(), change.hub_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let community = communities::by_id(tx.conn(), hub.community_id).await?;
        drop(tx);
        let result = match change.action {
            Action::Apply => {
                let revision = change.revision.ok_or(DomainError::NotFound)?;
                self.apply(id, change.state, &hub, &community, revision)
                    .await
            }
            Action::Start => self.start(id, &hub).await,
            Action::Stop => self.stop(id, &hub).await,
        };
        match result {
            Ok(state) => Ok(Outcome::Finished(state)),
            Err(Failure::Store(err)) => Err(err),
            Err(Failure::Backend(err)) if err.is_transient() && attempt < self.max_attempts => {
                let message = format!("Waiting to try again (attempt {attempt}): {err}");
                let mut tx = self.db.begin().await?;
                deployments::note_attempt(tx.conn(), id, &message, self.clock.now()).await?;
                tx.commit().await?;
                Ok(Outcome::Retry(err.to_string()))
            }
            Err(Failure::Backend(err)) => {
                let message = if err.is_transient() {
                    format!("Gave up after {attempt} attempts: {err}")
                } else {
                    err.to_string()
                };
                self.fail(id, &hub, &community, change.revision, &message)
                    .await?;
                Ok(Outcome::Finished(State::Failed))
            }
        }
    }

    async fn fail(
        &self,
        id: DeploymentId,
        hub: &Hub,
        community: &Community,
        revision: Option<i32>,
        message: &str,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if deployments::advance(tx.conn(), id, State::Failed, Some(message), now).await? {
            Audit::by_stoa("hub.deploy_failed", &hub.slug)
                .community(community)
                .after(json!({ "revision": revision, "reason": message }))
                .record(tx.conn(), now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The hub's placement, asking the backend to create it on first use.
    async fn placement(&self, hub: &Hub) -> Result<Placement, Failure> {
        if let Some(url) = &hub.url {
            return Ok(Placement { url: url.clone() });
        }
        let placement = self.backend.create(&hub_ref(hub)).await?;
        let mut tx = self.db.begin().await?;
        hubs::set_placement(
            tx.conn(),
            hub.id,
            self.backend.name(),
            self.backend.runner().as_deref(),
            &placement.url,
        )
        .await?;
        tx.commit().await?;
        Ok(placement)
    }

    async fn apply(
        &self,
        id: DeploymentId,
        state: State,
        hub: &Hub,
        community: &Community,
        revision: i32,
    ) -> Result<State, Failure> {
        let mut read = self.db.read().await?;
        let stored = hubs::revision(read.conn(), hub.id, revision)
            .await?
            .ok_or(DomainError::NotFound)?;
        let logo = stoa_db::logos::info(read.conn(), community.id).await?;
        drop(read);
        let spec = match HubSpec::from_json(&stored.spec) {
            Ok(spec) => spec,
            Err(err) => {
                return Err(Failure::Backend(ProvisionError::Rejected(format!(
                    "Revision {revision} cannot be read: {err}"
                ))));
            }
        };
        // The versioned address, as Stoa's pages use it: a new logo is a new address.
        let logo_url = logo.map(|l| {
            let path = stoa_model::logo::logo_path(community.slug.as_str(), &l.version);
            format!("{}{path}", self.public_url)
        });
        let ctx = RenderContext {
            sizes: self.sizes,
            logo_url: logo_url.as_deref(),
        };
        if let Err(err) = stoa_hubs::render_local(&spec, &ctx) {
            return Err(Failure::Backend(ProvisionError::Rejected(format!(
                "Revision {revision} cannot be rendered: {err}"
            ))));
        }
        if state == State::Requested {
            self.advance(id, State::Validated, None).await?;
        }
        let placement = self.placement(hub).await?;
        let mut tx = self.db.begin().await?;
        let login = self
            .login
            .login_for(&mut tx, hub, community, &placement, self.clock.now())
            .await?;
        tx.commit().await?;
        if matches!(state, State::Requested | State::Validated) {
            self.advance(id, State::Deploying, None).await?;
        }
        let deployment = Deployment {
            revision,
            spec,
            sizes: self.sizes.to_vec(),
            logo_url,
            login,
        };
        self.backend.apply(&hub_ref(hub), &deployment).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        deployments::advance(tx.conn(), id, State::Deployed, None, now).await?;
        hubs::set_deployed(tx.conn(), hub.id, revision).await?;
        tx.commit().await?;
        let version = self.answering(hub).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let message = format!("JupyterHub {version} answers with revision {revision}.");
        deployments::advance(tx.conn(), id, State::Healthy, Some(&message), now).await?;
        Audit::by_stoa("hub.deployed", &hub.slug)
            .community(community)
            .after(json!({ "revision": revision }))
            .record(tx.conn(), now)
            .await?;
        tx.commit().await?;
        Ok(State::Healthy)
    }

    /// JupyterHub's version once the hub answers after a change; a hub that does not is a
    /// failure worth retrying.
    async fn answering(&self, hub: &Hub) -> Result<String, Failure> {
        match self.backend.health(&hub_ref(hub)).await? {
            Health::Healthy { version, .. } => Ok(version),
            other => Err(Failure::Backend(ProvisionError::Unavailable(format!(
                "after the change, {other}"
            )))),
        }
    }

    async fn start(&self, id: DeploymentId, hub: &Hub) -> Result<State, Failure> {
        self.advance(id, State::Deploying, None).await?;
        self.backend.start(&hub_ref(hub)).await?;
        self.advance(id, State::Deployed, None).await?;
        let version = self.answering(hub).await?;
        let message = format!("JupyterHub {version} answers.");
        self.advance(id, State::Healthy, Some(&message)).await?;
        Ok(State::Healthy)
    }

    async fn stop(&self, id: DeploymentId, hub: &Hub) -> Result<State, Failure> {
        self.advance(id, State::Deploying, None).await?;
        self.backend.stop(&hub_ref(hub)).await?;
        self.advance(id, State::Stopped, None).await?;
        Ok(State::Stopped)
    }

    /// Makes sure a hub that should run does: starts it when it is down (a machine restart,
    /// a crash). Returns what it found.
    pub async fn ensure_running(&self, hub: &Hub) -> Result<Health, ProvisionError> {
        let found = self.backend.health(&hub_ref(hub)).await?;
        if matches!(found, Health::Down(_)) {
            tracing::info!(hub = hub.slug, "hub should run and does not; starting it");
            self.backend.start(&hub_ref(hub)).await?;
            return self.backend.health(&hub_ref(hub)).await;
        }
        Ok(found)
    }
}

/// What a hub reports when someone's server starts (the hook in the shipped hub config).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct UsageReport {
    /// The hub username.
    pub user: String,
    /// The server's name (`""`: the default server).
    #[serde(default)]
    pub server: String,
    /// What happened: `server_start`.
    pub event: String,
    /// When, RFC 3339 (default: when Stoa received it).
    #[serde(default)]
    pub at: Option<String>,
}

/// Records a usage event the hub `hub` reported (its credentials were checked by the
/// caller). Refused with a clear message: an unknown event, an empty or overlong name, a time
/// that is not RFC 3339 or more than a day old or in the future. False when it was known.
pub async fn record_usage(
    conn: Conn<'_>,
    hub: hubs::HubId,
    report: &UsageReport,
    now: stoa_db::Timestamp,
) -> Result<bool> {
    if report.event != "server_start" {
        return Err(DomainError::invalid(
            "event",
            "Only server_start is reported.",
        ));
    }
    let name_ok = |s: &str| s.chars().count() <= 255 && !s.chars().any(char::is_control);
    if report.user.is_empty() || !name_ok(&report.user) {
        return Err(DomainError::invalid(
            "user",
            "A hub username of 1 to 255 characters.",
        ));
    }
    if !name_ok(&report.server) {
        return Err(DomainError::invalid(
            "server",
            "A server name of at most 255 characters.",
        ));
    }
    let at = match &report.at {
        None => now,
        Some(text) => {
            let parsed = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| {
                DomainError::invalid("at", "A time in RFC 3339 form (2026-11-26T10:00:00Z).")
            })?;
            let at = stoa_db::Timestamp::from(parsed.with_timezone(&chrono::Utc));
            let (earliest, latest) = (
                now.as_datetime() - chrono::TimeDelta::days(1),
                now.as_datetime() + chrono::TimeDelta::minutes(5),
            );
            if at.as_datetime() < earliest || at.as_datetime() > latest {
                return Err(DomainError::invalid(
                    "at",
                    "A time within the last day (and not in the future).",
                ));
            }
            at
        }
    };
    let event = stoa_db::usage::UsageEvent {
        hub,
        hub_username: &report.user,
        event: "server_start",
        server_name: &report.server,
        at,
        source: "hook",
    };
    Ok(stoa_db::usage::record(conn, &event, now).await?)
}

/// What a membership sync found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// People removed from the hub (no membership in force).
    pub removed: Vec<String>,
    /// People given hub admin.
    pub promoted: Vec<String>,
    /// People whose hub admin was taken away.
    pub demoted: Vec<String>,
    /// Activity events recorded from the hub's API.
    pub activity: usize,
}

impl SyncReport {
    /// Whether anything was repaired.
    pub fn repaired(&self) -> bool {
        !(self.removed.is_empty() && self.promoted.is_empty() && self.demoted.is_empty())
    }
}

/// Queues a membership sync of every deployed hub of `community` (after a membership
/// changed). One sync waiting per hub is enough: its key keeps a second one out. Syncs are
/// outside the hub's queue: they only read and repair people, and must not wait behind a
/// change that retries for hours (a sync that meets a restarting hub leaves the rest to the
/// next periodic pass).
pub async fn sync_after_membership_change(
    mut conn: Conn<'_>,
    community: stoa_db::communities::CommunityId,
    now: stoa_db::Timestamp,
) -> Result<()> {
    for hub in hubs::of_community(conn.reborrow(), community).await? {
        if hub.url.is_none() {
            continue;
        }
        let placement = JobPlacement {
            queue: None,
            runner: hub.runner.clone(),
            idempotency_key: Some(format!("sync:{}", hub.id.0)),
        };
        let task = Task::SyncHubMembers { hub_id: hub.id.0 };
        jobs::enqueue_task_placed(conn.reborrow(), &task, &placement, now).await?;
    }
    Ok(())
}

impl Deployer<'_> {
    /// Brings the hub's people in line with the community, through its REST API: people
    /// without a membership in force are removed (servers stopped, tokens revoked, files
    /// kept), admin follows the role. Claims at login and refresh do the same for people who
    /// come back; this catches people who stay logged in. Repairs are audited, so a
    /// community's admins see drift in their audit log. Also records the activity the hub
    /// reports, for usage.
    pub async fn sync_members(&self, hub: &Hub) -> Result<SyncReport, ProvisionError> {
        let store = |e: stoa_db::DbError| ProvisionError::Unavailable(format!("store: {e}"));
        let now = self.clock.now();
        let mut read = self.db.read().await.map_err(store)?;
        let people =
            stoa_db::hub_people::active_by_hub_username(read.conn(), hub.community_id, now)
                .await
                .map_err(store)?;
        drop(read);
        let expected: std::collections::HashMap<String, stoa_model::Role> =
            people.into_iter().collect();
        let mut report = SyncReport::default();
        let on_hub = self.backend.users(&hub_ref(hub)).await?;
        for user in &on_hub {
            match expected.get(&user.name) {
                None => {
                    self.backend.remove_user(&hub_ref(hub), &user.name).await?;
                    report.removed.push(user.name.clone());
                }
                Some(role) if crate::hub_login::is_hub_admin(*role) != user.admin => {
                    let admin = crate::hub_login::is_hub_admin(*role);
                    self.backend
                        .set_admin(&hub_ref(hub), &user.name, admin)
                        .await?;
                    if admin {
                        report.promoted.push(user.name.clone());
                    } else {
                        report.demoted.push(user.name.clone());
                    }
                }
                Some(_) => {}
            }
        }
        let mut tx = self.db.begin().await.map_err(store)?;
        for user in &on_hub {
            let Some(at) = user.last_activity else {
                continue;
            };
            let event = stoa_db::usage::UsageEvent {
                hub: hub.id,
                hub_username: &user.name,
                event: "active",
                server_name: "",
                at: stoa_db::Timestamp::from(at),
                source: "poll",
            };
            if stoa_db::usage::record(tx.conn(), &event, now)
                .await
                .map_err(store)?
            {
                report.activity += 1;
            }
        }
        if report.repaired() {
            let community = communities::by_id(tx.conn(), hub.community_id)
                .await
                .map_err(store)?;
            Audit::by_stoa("hub.members_synced", &hub.slug)
                .community(&community)
                .after(json!({
                    "removed": report.removed,
                    "promoted": report.promoted,
                    "demoted": report.demoted,
                }))
                .record(tx.conn(), now)
                .await
                .map_err(store)?;
        }
        tx.commit().await.map_err(store)?;
        Ok(report)
    }
}

/// Why a step stopped.
enum Failure {
    Store(DomainError),
    Backend(ProvisionError),
}

impl From<DomainError> for Failure {
    fn from(err: DomainError) -> Self {
        Failure::Store(err)
    }
}

impl From<stoa_db::DbError> for Failure {
    fn from(err: stoa_db::DbError) -> Self {
        Failure::Store(err.into())
    }
}

impl From<ProvisionError> for Failure {
    fn from(err: ProvisionError) -> Self {
        Failure::Backend(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        for attempt in 1..=20 {
            let pause = backoff(attempt).num_milliseconds();
            let ceiling = (5_000i64 << (attempt - 1).min(11)).min(300_000);
            assert!(
                pause >= ceiling / 2 && pause <= ceiling,
                "{attempt}: {pause}"
            );
        }
        assert!(backoff(30).num_seconds() <= 300);
    }
}
