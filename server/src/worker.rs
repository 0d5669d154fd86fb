//! The background worker: runs queued jobs and ends memberships whose date has come.
//!
//! Everything it does starts from the database (the `jobs` table, membership end dates), so
//! a change requested before a crash is still done after the restart, and any number of
//! Stoa processes may run workers against one PostgreSQL: jobs are claimed with
//! `FOR UPDATE SKIP LOCKED` and leases, memberships with conditional writes that only one
//! transaction can win.

use std::time::Duration;

use anyhow::Context as _;
use chrono::TimeDelta;
use stoa_auth::Mailer;
use stoa_db::jobs::{self, Job, Task};
use stoa_db::mail_counts::Charge;
use stoa_db::{Clock, Db, communities, memberships};
use stoa_domain::invitations::MailFor;

/// How long a claimed job is reserved for its worker; after that another may retry it.
pub const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Runs before a job gives up for good (about 4 hours of retries with backoff).
pub const MAX_ATTEMPTS: i64 = 8;
/// How many days before its end a member is told.
pub const END_NOTICE_DAYS: i64 = 3;
/// How often an idle worker looks for work.
pub const POLL: Duration = Duration::from_secs(2);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Jobs that succeeded.
    pub jobs_done: usize,
    /// Jobs that failed (and will retry or gave up).
    pub jobs_failed: usize,
    /// End-of-membership notices queued.
    pub notices: usize,
    /// Memberships ended.
    pub ended: usize,
}

/// Runs background work.
#[derive(Clone, Debug)]
pub struct Worker {
    db: Db,
    clock: Clock,
    mailer: Mailer,
    public_url: String,
}

impl Worker {
    /// A worker that mails through `mailer` with links to `public_url`.
    pub fn new(db: Db, clock: Clock, mailer: Mailer, public_url: &str) -> Worker {
        Worker {
            db,
            clock,
            mailer,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Runs forever: a pass, then a pause when there was nothing to do.
    pub async fn run(self) {
        loop {
            match self.run_once().await {
                Ok(pass) if pass != Pass::default() => {
                    tracing::info!(
                        jobs.done = pass.jobs_done,
                        jobs.failed = pass.jobs_failed,
                        memberships.noticed = pass.notices,
                        memberships.ended = pass.ended,
                        "background pass"
                    );
                    continue;
                }
                Ok(_) => {}
                Err(err) => tracing::error!(error = format!("{err:#}"), "background pass failed"),
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// One pass: membership ends and notices, then every job due now. Tests call this after
    /// moving the clock, instead of sleeping.
    pub async fn run_once(&self) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        let (notices, ended) = self.sweep_memberships().await?;
        pass.notices = notices;
        pass.ended = ended;
        while let Some(job) = self.claim().await? {
            match self.execute(&job).await {
                Ok(()) => {
                    let mut tx = self.db.begin().await?;
                    jobs::complete(tx.conn(), job.id).await?;
                    tx.commit().await?;
                    pass.jobs_done += 1;
                }
                Err(err) => {
                    let now = self.clock.now();
                    let retry_at = (job.attempts < MAX_ATTEMPTS)
                        .then(|| now + TimeDelta::minutes(1i64 << job.attempts.clamp(0, 10)));
                    // SMTP errors quote the server's answer, which may name the recipient.
                    let error = stoa_auth::mail::redact_addresses(&format!("{err:#}"));
                    tracing::warn!(
                        job.id = job.id,
                        job.kind = job.kind,
                        job.attempts = job.attempts,
                        error,
                        gives_up = retry_at.is_none(),
                        "job failed"
                    );
                    let mut tx = self.db.begin().await?;
                    jobs::fail(tx.conn(), job.id, &error, retry_at, now).await?;
                    // Given up: the mail was never sent, so it no longer counts.
                    if retry_at.is_none()
                        && let Some(charge) = job.task().ok().as_ref().and_then(Task::charge)
                    {
                        stoa_domain::quota::refund(tx.conn(), charge).await?;
                    }
                    tx.commit().await?;
                    pass.jobs_failed += 1;
                }
            }
        }
        Ok(pass)
    }

    async fn claim(&self) -> anyhow::Result<Option<Job>> {
        let mut tx = self.db.begin().await?;
        let job = jobs::claim(tx.conn(), self.clock.now(), LEASE).await?;
        tx.commit().await?;
        Ok(job)
    }

    async fn execute(&self, job: &Job) -> anyhow::Result<()> {
        let task = job
            .task()
            .with_context(|| format!("job {} has an unreadable payload", job.id))?;
        match task {
            Task::SendInvitation {
                invitation_id,
                charge,
            } => {
                self.send_invitation(MailFor::Community(invitation_id), charge.as_ref())
                    .await
            }
            Task::SendInstitutionInvitation {
                invitation_id,
                charge,
            } => {
                self.send_invitation(MailFor::Institution(invitation_id), Some(&charge))
                    .await
            }
            Task::SendNotice { to, subject, body } => self
                .mailer
                .send(&to, &subject, body)
                .await
                .context("cannot send a notice"),
        }
    }

    /// Makes a fresh link for an open invitation and mails it. An invitation revoked or
    /// accepted meanwhile is skipped (the job is done) and its mail no longer counts against
    /// the limits, in the same transaction.
    async fn send_invitation(&self, which: MailFor, charge: Option<&Charge>) -> anyhow::Result<()> {
        let token = stoa_auth::random_token();
        let mut tx = self.db.begin().await?;
        let prepared = stoa_domain::invitations::mail_with_fresh_link(
            &mut tx,
            self.clock.now(),
            &self.public_url,
            which,
            &token,
            charge,
        )
        .await
        .with_context(|| format!("cannot prepare the mail of {which:?}"))?;
        tx.commit().await?;
        let Some((to, mail)) = prepared else {
            return Ok(());
        };
        self.mailer
            .send(&to, &mail.subject, mail.body)
            .await
            .with_context(|| format!("cannot mail {which:?}"))
    }

    /// Queues notices for memberships ending within [`END_NOTICE_DAYS`] and ends those whose
    /// date has come, with an audit entry each. Returns (notices, ended).
    async fn sweep_memberships(&self) -> anyhow::Result<(usize, usize)> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let horizon = now + TimeDelta::days(END_NOTICE_DAYS);
        let noticed = memberships::claim_end_notices(tx.conn(), now, horizon, 500).await?;
        for ending in &noticed {
            let account = stoa_db::accounts::get(tx.conn(), ending.account_id).await?;
            let community = communities::by_id(tx.conn(), ending.community_id).await?;
            let Some(to) = account.email else { continue };
            let mail = stoa_domain::mail::membership_end(
                &account.name,
                &community.name,
                &community.slug,
                ending.ends_at,
                &self.public_url,
            );
            let task = Task::SendNotice {
                to,
                subject: mail.subject,
                body: mail.body,
            };
            jobs::enqueue_task(tx.conn(), &task, now).await?;
        }
        let ended = memberships::end_due(tx.conn(), now, 500).await?;
        for ending in &ended {
            // The membership row existed a moment ago and accounts cascade to memberships, so
            // the account is there; any error (which aborts the transaction on PostgreSQL)
            // ends the pass.
            let name = stoa_db::accounts::get(tx.conn(), ending.account_id)
                .await?
                .name;
            let community = communities::by_id(tx.conn(), ending.community_id).await?;
            let before = serde_json::json!({
                "role": ending.role,
                "ends_on": ending.ends_at.as_datetime().format("%Y-%m-%d").to_string(),
            });
            stoa_domain::audit::Audit::by_stoa("membership.ended", &name)
                .community(&community)
                .before(before)
                .record(tx.conn(), now)
                .await?;
        }
        tx.commit().await?;
        Ok((noticed.len(), ended.len()))
    }
}
