//! Requested hub changes and their timelines (migration 0011): a row of `hub_deployments` per
//! change (apply a revision, start, stop) with its state now, and a row of
//! `hub_deployment_steps` per state it reached. Both are history: kept when the job that
//! carried the change out is purged.

use serde::Serialize;

use crate::accounts::AccountId;
use crate::hubs::HubId;
use crate::{Conn, DbError, Timestamp, on};

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    /// Run a revision.
    Apply,
    /// Start the hub again with what it ran.
    Start,
    /// Stop the hub.
    Stop,
}

impl Action {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Apply => "apply",
            Action::Start => "start",
            Action::Stop => "stop",
        }
    }

    /// From [`Self::as_str`] (anything else reads as an apply).
    pub fn parse(text: &str) -> Action {
        match text {
            "start" => Action::Start,
            "stop" => Action::Stop,
            _ => Action::Apply,
        }
    }
}

/// Where a change stands: requested → validated → deploying → deployed → healthy, or failed,
/// superseded (a newer change came first) or cancelled (by staff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum State {
    /// Asked for; waiting for the worker.
    Requested,
    /// The revision renders; about to go to the backend.
    Validated,
    /// The backend is working on it (or waits to retry).
    Deploying,
    /// The backend did it.
    Deployed,
    /// The hub answers with it.
    Healthy,
    /// The hub is stopped (a stop's last state).
    Stopped,
    /// It did not work, for a reason in words.
    Failed,
    /// A newer change was requested before this one ran.
    Superseded,
    /// Staff cancelled it.
    Cancelled,
}

impl State {
    /// Every state, in timeline order.
    pub const ALL: [State; 9] = [
        State::Requested,
        State::Validated,
        State::Deploying,
        State::Deployed,
        State::Healthy,
        State::Stopped,
        State::Failed,
        State::Superseded,
        State::Cancelled,
    ];

    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Validated => "validated",
            State::Deploying => "deploying",
            State::Deployed => "deployed",
            State::Healthy => "healthy",
            State::Stopped => "stopped",
            State::Failed => "failed",
            State::Superseded => "superseded",
            State::Cancelled => "cancelled",
        }
    }

    /// Parses a column value.
    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether nothing more happens to a change in this state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Healthy | State::Stopped | State::Failed | State::Superseded | State::Cancelled
        )
    }
}

/// Primary key of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct DeploymentId(pub i64);

/// A change and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Key.
    pub id: DeploymentId,
    /// The hub.
    pub hub_id: HubId,
    /// What it does.
    pub action: Action,
    /// The revision it applies (apply only).
    pub revision: Option<i32>,
    /// Where it stands.
    pub state: State,
    /// The backend's last word.
    pub message: Option<String>,
    /// Backend attempts so far.
    pub attempts: i32,
    /// Who asked (none: Stoa itself).
    pub requested_by: Option<AccountId>,
    /// Their name, when still known.
    pub requested_by_name: Option<String>,
    /// When.
    pub requested_at: Timestamp,
    /// Last change of state.
    pub updated_at: Timestamp,
    /// When it reached a final state.
    pub finished_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: DeploymentId,
    hub_id: HubId,
    action: String,
    revision: Option<i32>,
    state: String,
    message: Option<String>,
    attempts: i32,
    requested_by: Option<AccountId>,
    requested_by_name: Option<String>,
    requested_at: Timestamp,
    updated_at: Timestamp,
    finished_at: Option<Timestamp>,
}

impl From<Row> for Deployment {
    fn from(r: Row) -> Self {
        Deployment {
            id: r.id,
            hub_id: r.hub_id,
            action: Action::parse(&r.action),
            revision: r.revision,
            state: State::parse(&r.state).unwrap_or(State::Failed),
            message: r.message,
            attempts: r.attempts,
            requested_by: r.requested_by,
            requested_by_name: r.requested_by_name,
            requested_at: r.requested_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        }
    }
}

const SELECT: &str = "SELECT d.id, d.hub_id, d.action, d.revision, d.state, d.message, \
     d.attempts, d.requested_by, a.name AS requested_by_name, d.requested_at, d.updated_at, \
     d.finished_at FROM hub_deployments d LEFT JOIN accounts a ON a.id = d.requested_by";

/// One step of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Step {
    /// The change.
    pub deployment_id: DeploymentId,
    /// The state reached (column value).
    pub state: String,
    /// Words that came with it.
    pub message: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// Records a requested change, with the first step of its timeline.
pub async fn create(
    mut conn: Conn<'_>,
    hub: HubId,
    action: Action,
    revision: Option<i32>,
    by: Option<AccountId>,
    now: Timestamp,
) -> Result<DeploymentId, DbError> {
    const SQL: &str = "INSERT INTO hub_deployments (hub_id, action, revision, state, \
         requested_by, requested_at, updated_at) VALUES ($1, $2, $3, 'requested', $4, $5, $5) \
         RETURNING id";
    let id: DeploymentId = on!(conn.reborrow(), c => sqlx::query_scalar(SQL).bind(hub)
        .bind(action.as_str()).bind(revision).bind(by).bind(now).fetch_one(c).await)?;
    step(conn, id, State::Requested, None, now).await?;
    Ok(id)
}

async fn step(
    conn: Conn<'_>,
    id: DeploymentId,
    state: State,
    message: Option<&str>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO hub_deployment_steps (deployment_id, state, message, at) VALUES ($1, $2, $3, $4)";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(state.as_str()).bind(message).bind(now)
        .execute(c).await.map(drop))?;
    Ok(())
}

/// Moves a change to `state` unless it is final already (a change cancelled meanwhile stays
/// cancelled), adding a step to its timeline. False when it was final.
pub async fn advance(
    mut conn: Conn<'_>,
    id: DeploymentId,
    state: State,
    message: Option<&str>,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE hub_deployments SET state = $2, message = $3, updated_at = $4, \
         finished_at = CASE WHEN $5 THEN $4 ELSE NULL END \
         WHERE id = $1 AND state NOT IN ('healthy', 'stopped', 'failed', 'superseded', 'cancelled')";
    let rows = on!(conn.reborrow(), c => sqlx::query(SQL).bind(id).bind(state.as_str())
        .bind(message).bind(now).bind(state.is_final())
        .execute(c).await.map(|r| r.rows_affected()))?;
    if rows == 1 {
        step(conn, id, state, message, now).await?;
    }
    Ok(rows == 1)
}

/// Notes a retry the backend waits for, without a new step each time: the state stays.
pub async fn note_attempt(
    conn: Conn<'_>,
    id: DeploymentId,
    message: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE hub_deployments SET attempts = attempts + 1, message = $2, \
         updated_at = $3 WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(message).bind(now).execute(c).await.map(drop))?;
    Ok(())
}

/// One change.
pub async fn get(conn: Conn<'_>, id: DeploymentId) -> Result<Option<Deployment>, DbError> {
    let sql = format!("{SELECT} WHERE d.id = $1");
    let row: Option<Row> = on!(conn, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await)?;
    Ok(row.map(Deployment::from))
}

/// Whether a change newer than `id` was requested for the same hub.
pub async fn newer_exists(conn: Conn<'_>, id: DeploymentId) -> Result<bool, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM hub_deployments n JOIN hub_deployments d \
         ON d.hub_id = n.hub_id WHERE d.id = $1 AND n.id > d.id \
         AND n.state NOT IN ('cancelled')";
    let n: i64 = on!(conn, c => sqlx::query_scalar(SQL).bind(id).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The newest changes of a hub, newest first.
pub async fn recent(conn: Conn<'_>, hub: HubId, limit: i64) -> Result<Vec<Deployment>, DbError> {
    let sql = format!("{SELECT} WHERE d.hub_id = $1 ORDER BY d.id DESC LIMIT $2");
    let rows: Vec<Row> = on!(conn, c => sqlx::query_as(&sql).bind(hub).bind(limit)
        .fetch_all(c).await)?;
    Ok(rows.into_iter().map(Deployment::from).collect())
}

/// Changes of a hub not final yet, oldest first.
pub async fn open(conn: Conn<'_>, hub: HubId) -> Result<Vec<Deployment>, DbError> {
    let sql = format!(
        "{SELECT} WHERE d.hub_id = $1 AND d.state NOT IN ('healthy', 'stopped', 'failed', \
         'superseded', 'cancelled') ORDER BY d.id"
    );
    let rows: Vec<Row> = on!(conn, c => sqlx::query_as(&sql).bind(hub).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Deployment::from).collect())
}

/// The timelines of `ids`, in order.
pub async fn steps(conn: Conn<'_>, ids: &[DeploymentId]) -> Result<Vec<Step>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids
        .iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    // The ids are integers from the database, not input.
    let sql = format!(
        "SELECT deployment_id, state, message, at FROM hub_deployment_steps \
         WHERE deployment_id IN ({list}) ORDER BY id"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).fetch_all(c).await)?)
}
