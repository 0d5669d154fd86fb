//! The background job queue, in the database: a job is enqueued in the transaction that
//! makes it necessary, so it exists exactly when the change does, and survives restarts.
//!
//! Any number of workers (threads or processes) may claim jobs: on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, on SQLite through its single writer. A claim is a lease: a
//! worker that dies holding a job lets the lease run out and another takes it over, so jobs
//! run at least once and must be idempotent.

use chrono::TimeDelta;

use crate::{Conn, DbError, Timestamp, on};

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    /// Primary key.
    pub id: i64,
    /// Job type name.
    pub kind: String,
    /// Its arguments (JSON).
    pub payload: String,
    /// Runs so far, this one included.
    pub attempts: i64,
}

/// A job that gave up, for operators.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailedJob {
    /// Primary key.
    pub id: i64,
    /// Job type.
    pub kind: String,
    /// Runs.
    pub attempts: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// When it gave up.
    pub failed_at: Timestamp,
}

/// How a job is queued besides its task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// Jobs of one queue run one at a time, oldest first (`hub:12`).
    pub queue: Option<String>,
    /// Only the Stoa process of this name may run it (`None`: any).
    pub runner: Option<String>,
    /// Enqueueing a key that is queued already keeps the first job.
    pub idempotency_key: Option<String>,
}

/// Who claims: a worker (its lease is its own) of a Stoa process (its runner name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimer {
    /// Unique per worker and start (a lease taken over by another worker is no longer ours).
    pub worker: String,
    /// The process's runner name: it also claims jobs placed on that runner.
    pub runner: String,
}

/// Adds a job to run at `run_at`.
pub async fn enqueue(
    conn: Conn<'_>,
    kind: &str,
    payload: &str,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<i64, DbError> {
    let id = enqueue_placed(conn, kind, payload, &Placement::default(), run_at, now).await?;
    id.ok_or(DbError::Conflict)
}

/// Adds a job with its queue, runner and idempotency key. `None` when a job with the same
/// key is queued already (nothing is added).
pub async fn enqueue_placed(
    conn: Conn<'_>,
    kind: &str,
    payload: &str,
    placement: &Placement,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<Option<i64>, DbError> {
    const SQL: &str = "INSERT INTO jobs (kind, payload, run_at, created_at, queue, runner, \
         idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(kind).bind(payload).bind(run_at).bind(now)
        .bind(&placement.queue).bind(&placement.runner).bind(&placement.idempotency_key)
        .fetch_optional(c).await)?,
    )
}

/// Claims the oldest due job that `claimer` may run, for `lease`, if any: not leased by a
/// live worker, on no runner or on the claimer's, and first in its queue (a job waits while
/// an older job of its queue exists, running or waiting for a retry; one that gave up no
/// longer holds the queue). Run it in its own short transaction.
pub async fn claim(
    conn: Conn<'_>,
    now: Timestamp,
    lease: TimeDelta,
    claimer: &Claimer,
) -> Result<Option<Job>, DbError> {
    let due = "SELECT j.id FROM jobs j WHERE j.failed_at IS NULL AND j.run_at <= $1 \
         AND (j.locked_until IS NULL OR j.locked_until <= $1) \
         AND (j.runner IS NULL OR j.runner = $4) \
         AND (j.queue IS NULL OR NOT EXISTS (SELECT 1 FROM jobs k WHERE k.queue = j.queue \
              AND k.id < j.id AND k.failed_at IS NULL)) \
         ORDER BY j.run_at, j.id LIMIT 1";
    let lock = conn.skip_locked();
    let sql = format!(
        "UPDATE jobs SET locked_until = $2, locked_by = $3, attempts = attempts + 1 \
         WHERE id = ({due}{lock}) RETURNING id, kind, payload, attempts"
    );
    Ok(
        on!(conn, c => sqlx::query_as(&sql).bind(now).bind(now + lease).bind(&claimer.worker)
        .bind(&claimer.runner).fetch_optional(c).await)?,
    )
}

/// Extends the lease of a job `worker` holds until `until`. False when the job is no longer
/// its own (the lease ran out and another worker took it, or it is gone): stop working on it.
pub async fn renew(
    conn: Conn<'_>,
    id: i64,
    worker: &str,
    until: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE jobs SET locked_until = $3 WHERE id = $1 AND locked_by = $2 \
         AND failed_at IS NULL";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(worker).bind(until)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// The job succeeded: it is removed. False when `worker` no longer held it.
pub async fn complete(conn: Conn<'_>, id: i64, worker: &str) -> Result<bool, DbError> {
    let rows = on!(conn, c => sqlx::query("DELETE FROM jobs WHERE id = $1 AND locked_by = $2")
        .bind(id).bind(worker).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// The job failed: it runs again at `retry_at`, or never (`None`: kept for operators).
/// False when `worker` no longer held it.
pub async fn fail(
    conn: Conn<'_>,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE jobs SET locked_until = NULL, locked_by = NULL, last_error = $3, \
         run_at = COALESCE($4, run_at), failed_at = CASE WHEN $4 IS NULL THEN $5 ELSE NULL END \
         WHERE id = $1 AND locked_by = $2";
    let rows = on!(conn, c => sqlx::query(SQL).bind(id).bind(worker).bind(error).bind(retry_at)
        .bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Runs a waiting job of `queue` now (staff asked to retry); false when none waits.
pub async fn run_now(conn: Conn<'_>, queue: &str, now: Timestamp) -> Result<bool, DbError> {
    const SQL: &str = "UPDATE jobs SET run_at = $2 WHERE queue = $1 AND failed_at IS NULL \
         AND locked_until IS NULL AND run_at > $2";
    let rows = on!(conn, c => sqlx::query(SQL).bind(queue).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(rows > 0)
}

/// Deletes jobs that gave up before `before` (their payloads hold addresses and mail text,
/// kept for operators only as long as needed); returns how many.
pub async fn purge_failed(conn: Conn<'_>, before: Timestamp) -> Result<u64, DbError> {
    const SQL: &str = "DELETE FROM jobs WHERE failed_at IS NOT NULL AND failed_at < $1";
    Ok(on!(conn, c => sqlx::query(SQL).bind(before).execute(c).await.map(|r| r.rows_affected()))?)
}

/// Jobs waiting to run (not failed).
pub async fn pending_count(conn: Conn<'_>) -> Result<i64, DbError> {
    Ok(
        on!(conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE failed_at IS NULL")
        .fetch_one(c).await)?,
    )
}

/// Jobs that gave up, newest first.
pub async fn failed(conn: Conn<'_>, limit: i64) -> Result<Vec<FailedJob>, DbError> {
    const SQL: &str = "SELECT id, kind, attempts, last_error, failed_at FROM jobs \
         WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1";
    Ok(on!(conn, c => sqlx::query_as(SQL).bind(limit).fetch_all(c).await)?)
}

/// Every job type, in one list. Names are imperative; payloads are the arguments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "args")]
pub enum Task {
    /// Mails an invitation with a fresh link (the token is made here, never stored).
    SendInvitation {
        /// The invitation.
        invitation_id: i64,
        /// The mail count it was charged to (given back if nothing is sent); none for jobs
        /// queued before mail was counted.
        #[serde(default)]
        charge: Option<crate::mail_counts::Charge>,
    },
    /// Mails an invitation to administer an institution with a fresh link.
    SendInstitutionInvitation {
        /// The invitation.
        invitation_id: i64,
        /// The mail count it was charged to.
        charge: crate::mail_counts::Charge,
    },
    /// Carries out a requested hub change (a row of `hub_deployments`).
    DeployHub {
        /// The change.
        deployment_id: i64,
    },
    /// Makes sure a hub that should run does (a Stoa process starting adopts its hubs).
    EnsureHubRunning {
        /// The hub.
        hub_id: i64,
    },
    /// Brings a hub's people in line with the community: admins, removed members.
    SyncHubMembers {
        /// The hub.
        hub_id: i64,
    },
    /// Applies a Stripe webhook event (a row of `stripe_events`) once.
    ApplyStripeEvent {
        /// `evt_…`.
        event_id: String,
    },
    /// Adds a closed month's usage fee to the community's next Stripe invoice.
    ChargeUsage {
        /// The community.
        community_id: i64,
        /// `2027-03`.
        month: String,
    },
    /// Sets up a yearly subscription paid by invoice at Stripe for a community, its paying
    /// institution as the customer.
    SetUpInvoiceTerms {
        /// The community.
        community_id: i64,
        /// The institution's purchase order number (may be empty).
        po_number: String,
        /// The grant or award paying (may be empty).
        grant_number: String,
    },
    /// Moves a community's Stripe subscription to the plan it is on in Stoa.
    SyncStripePlan {
        /// The community.
        community_id: i64,
    },
    /// Mails an announcement to its next batch of people (after account `after`), then
    /// queues the next batch: a mailing to every account is many small transactions, not
    /// one that holds a job per person.
    MailAnnouncement {
        /// The announcement.
        announcement_id: i64,
        /// The last account mailed in earlier batches (0: none yet).
        after: i64,
        /// Subject line.
        subject: String,
        /// Plain-text body.
        body: String,
    },
    /// Mails a notice whose text is final.
    SendNotice {
        /// Recipient.
        to: String,
        /// Subject line.
        subject: String,
        /// Plain-text body.
        body: String,
    },
}

impl Task {
    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Task::SendInvitation { .. } => "send_invitation",
            Task::SendInstitutionInvitation { .. } => "send_institution_invitation",
            Task::SendNotice { .. } => "send_notice",
            Task::MailAnnouncement { .. } => "mail_announcement",
            Task::DeployHub { .. } => "deploy_hub",
            Task::EnsureHubRunning { .. } => "ensure_hub_running",
            Task::SyncHubMembers { .. } => "sync_hub_members",
            Task::ApplyStripeEvent { .. } => "apply_stripe_event",
            Task::ChargeUsage { .. } => "charge_usage",
            Task::SetUpInvoiceTerms { .. } => "set_up_invoice_terms",
            Task::SyncStripePlan { .. } => "sync_stripe_plan",
        }
    }
}

/// Enqueues `task` to run now.
pub async fn enqueue_task(conn: Conn<'_>, task: &Task, now: Timestamp) -> Result<i64, DbError> {
    let payload = serde_json::to_string(task).map_err(|e| DbError::Config(e.to_string()))?;
    enqueue(conn, task.kind(), &payload, now, now).await
}

/// Enqueues `task` to run now with its queue, runner and key; `None` when the key is queued.
pub async fn enqueue_task_placed(
    conn: Conn<'_>,
    task: &Task,
    placement: &Placement,
    now: Timestamp,
) -> Result<Option<i64>, DbError> {
    let payload = serde_json::to_string(task).map_err(|e| DbError::Config(e.to_string()))?;
    enqueue_placed(conn, task.kind(), &payload, placement, now, now).await
}

impl Task {
    /// The mail count this task was charged to, if any.
    pub fn charge(&self) -> Option<&crate::mail_counts::Charge> {
        match self {
            Task::SendInvitation { charge, .. } => charge.as_ref(),
            Task::SendInstitutionInvitation { charge, .. } => Some(charge),
            _ => None,
        }
    }
}

impl Job {
    /// The task this job runs.
    pub fn task(&self) -> Result<Task, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// Wakes this process's workers when a job was just enqueued, instead of leaving it to their
/// next poll. Other processes find the job at their poll. Waking is a hint: a wake-up with
/// nothing to do costs one claim query, and a lost one costs at most a poll interval.
#[derive(Debug, Clone, Default)]
pub struct Wake(std::sync::Arc<tokio::sync::Notify>);

impl Wake {
    /// Wakes one idle worker (or the next to go idle).
    pub fn notify(&self) {
        self.0.notify_one();
    }

    /// Waits for a wake-up.
    pub async fn notified(&self) {
        self.0.notified().await;
    }
}
