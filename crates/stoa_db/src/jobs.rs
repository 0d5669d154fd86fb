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

/// Adds a job to run at `run_at`.
pub async fn enqueue(
    conn: Conn<'_>,
    kind: &str,
    payload: &str,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<i64, DbError> {
    const SQL: &str =
        "INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
    Ok(
        on!(conn, c => sqlx::query_scalar(SQL).bind(kind).bind(payload).bind(run_at).bind(now)
        .fetch_one(c).await)?,
    )
}

/// Claims the oldest due job for `lease`, if any. Run it in its own short transaction.
pub async fn claim(
    conn: Conn<'_>,
    now: Timestamp,
    lease: TimeDelta,
) -> Result<Option<Job>, DbError> {
    let due = "SELECT id FROM jobs WHERE failed_at IS NULL AND run_at <= $1 \
         AND (locked_until IS NULL OR locked_until <= $1) ORDER BY run_at, id LIMIT 1";
    let lock = conn.skip_locked();
    let sql = format!(
        "UPDATE jobs SET locked_until = $2, attempts = attempts + 1 WHERE id = ({due}{lock}) \
         RETURNING id, kind, payload, attempts"
    );
    Ok(on!(conn, c => sqlx::query_as(&sql).bind(now).bind(now + lease).fetch_optional(c).await)?)
}

/// The job succeeded: it is removed.
pub async fn complete(conn: Conn<'_>, id: i64) -> Result<(), DbError> {
    on!(conn, c => sqlx::query("DELETE FROM jobs WHERE id = $1").bind(id).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// The job failed: it runs again at `retry_at`, or never (`None`: kept for operators).
pub async fn fail(
    conn: Conn<'_>,
    id: i64,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), DbError> {
    const SQL: &str = "UPDATE jobs SET locked_until = NULL, last_error = $2, \
         run_at = COALESCE($3, run_at), failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END WHERE id = $1";
    on!(conn, c => sqlx::query(SQL).bind(id).bind(error).bind(retry_at).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
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
        }
    }
}

/// Enqueues `task` to run now.
pub async fn enqueue_task(conn: Conn<'_>, task: &Task, now: Timestamp) -> Result<i64, DbError> {
    let payload = serde_json::to_string(task).map_err(|e| DbError::Config(e.to_string()))?;
    enqueue(conn, task.kind(), &payload, now, now).await
}

impl Task {
    /// The mail count this task was charged to, if any.
    pub fn charge(&self) -> Option<&crate::mail_counts::Charge> {
        match self {
            Task::SendInvitation { charge, .. } => charge.as_ref(),
            Task::SendInstitutionInvitation { charge, .. } => Some(charge),
            Task::SendNotice { .. } => None,
        }
    }
}

impl Job {
    /// The task this job runs.
    pub fn task(&self) -> Result<Task, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}
