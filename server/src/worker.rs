//! The background worker: runs queued jobs and ends memberships whose date has come.
//!
//! Everything it does starts from the database (the `jobs` table, membership end dates), so
//! a change requested before a crash is still done after the restart, and any number of
//! Stoa processes may run workers against one PostgreSQL: jobs are claimed with
//! `FOR UPDATE SKIP LOCKED` and leases, memberships with conditional writes that only one
//! transaction can win.
//!
//! A lease is short (`job_lease_seconds`, 30 s by default) and renewed while its job runs, so
//! a job of a killed process is taken over within about a lease, while a slow hub start
//! keeps its job for as long as it takes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::TimeDelta;
use stoa_auth::Mailer;
use stoa_db::deployments::DeploymentId;
use stoa_db::jobs::{self, Claimer, Job, Task, Wake};
use stoa_db::mail_counts::Charge;
use stoa_db::{Clock, Db, communities, hubs, memberships};
use stoa_domain::invitations::MailFor;
use stoa_domain::provisioning::{Deployer, LoginSource, Outcome};
use stoa_hubs::SizeChoice;
use stoa_provision::Provisioner;

/// Runs before a mail job gives up for good (about 4 hours of retries with backoff).
pub const MAX_ATTEMPTS: i64 = 8;
/// Runs before a hub change gives up on a backend that stays unavailable (about 3 hours).
pub const MAX_DEPLOY_ATTEMPTS: i64 = 40;
/// How many days before its end a member is told.
pub const END_NOTICE_DAYS: i64 = 3;
/// How often the hubs this process owns are checked (and started when down).
pub const HUB_CHECK: Duration = Duration::from_secs(60);
/// How often an idle worker looks for work.
pub const POLL: Duration = Duration::from_secs(2);

/// How a job run ended, when it did not fail.
#[derive(Debug)]
enum Done {
    /// Finished: remove the job.
    Completed,
    /// Run it again after this pause, for this reason (a backend unavailable for now).
    RetryAfter(TimeDelta, String),
}

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
    /// Communities that became past due (their billing contacts notified).
    pub past_due: usize,
    /// Support tickets' SLA clocks found breached (their assignee or the team notified).
    pub sla_breaches: usize,
}

/// What hub jobs need: the backend, the sizes to render with, and the hubs' logins.
#[derive(Clone)]
pub struct Hubs {
    /// The provisioning backend.
    pub backend: Arc<dyn Provisioner>,
    /// Sizes on offer.
    pub sizes: Arc<[SizeChoice]>,
    /// The hubs' credentials at Stoa's OpenID provider.
    pub login: Arc<dyn LoginSource>,
}

impl std::fmt::Debug for Hubs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hubs")
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

/// Runs background work.
#[derive(Clone, Debug)]
pub struct Worker {
    db: Db,
    clock: Clock,
    mailer: Mailer,
    public_url: String,
    hubs: Hubs,
    claimer: Claimer,
    lease: TimeDelta,
    wake: Wake,
    /// Minutes between membership syncs of running hubs.
    sync_every: Duration,
    /// The worker that also schedules periodic hub checks (one per process).
    leader: bool,
    /// Plans, trial and grace lengths (`[billing]`), for the billing sweep.
    billing: std::sync::Arc<stoa_domain::billing::BillingConfig>,
    /// Stripe, when configured: usage charges are added to its invoices.
    stripe: Option<stoa_stripe::Client>,
    /// The support desk (`[support]`), for the SLA sweep; none: no sweep.
    support: Option<std::sync::Arc<stoa_domain::support::Desk>>,
}

impl Worker {
    /// A worker that mails through `mailer` with links to `public_url` and deploys hubs
    /// through `hubs`. Its claims name a fresh worker id and this process's runner name
    /// (`runner`: the backend's, or `any`).
    pub fn new(
        db: Db,
        clock: Clock,
        mailer: Mailer,
        public_url: &str,
        hubs: Hubs,
        lease: Duration,
        wake: Wake,
        sync_every: Duration,
    ) -> Worker {
        let runner = hubs.backend.runner().unwrap_or_else(|| "any".into());
        Worker {
            db,
            clock,
            mailer,
            public_url: public_url.trim_end_matches('/').to_owned(),
            claimer: Claimer {
                worker: format!("{runner}/{}", stoa_auth::random_token()),
                runner,
            },
            hubs,
            lease: TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(30)),
            wake,
            sync_every,
            leader: true,
            billing: std::sync::Arc::default(),
            stripe: None,
            support: None,
        }
    }

    /// This worker with the support desk whose SLA clocks its sweep watches.
    pub fn with_support(mut self, desk: std::sync::Arc<stoa_domain::support::Desk>) -> Worker {
        self.support = Some(desk);
        self
    }

    /// This worker with Stripe to add usage charges to invoices.
    pub fn with_stripe(mut self, stripe: Option<stoa_stripe::Client>) -> Worker {
        self.stripe = stripe;
        self
    }

    /// This worker with the billing settings its sweep uses.
    pub fn with_billing(mut self, billing: stoa_domain::billing::BillingConfig) -> Worker {
        self.billing = std::sync::Arc::new(billing);
        self
    }

    /// Another worker of the same process (its own id, so its leases are its own).
    pub fn sibling(&self) -> Worker {
        let mut other = self.clone();
        other.claimer.worker = format!("{}/{}", self.claimer.runner, stoa_auth::random_token());
        other.leader = false;
        other
    }

    /// Queues a check of every hub this process owns and that should run (a starting Stoa
    /// adopts running hubs and starts those that are down), and with `sync` a membership sync
    /// of each. A check or sync already queued for a hub is not queued twice.
    pub async fn check_hubs(&self, sync: bool) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let owned = hubs::to_run(tx.conn(), &self.claimer.runner).await?;
        for hub in &owned {
            let placement = jobs::Placement {
                queue: Some(stoa_domain::provisioning::queue_of(hub.id)),
                runner: hub.runner.clone(),
                idempotency_key: Some(format!("ensure:{}", hub.id.0)),
            };
            let task = Task::EnsureHubRunning { hub_id: hub.id.0 };
            jobs::enqueue_task_placed(tx.conn(), &task, &placement, now).await?;
            if sync {
                let placement = jobs::Placement {
                    queue: None,
                    runner: hub.runner.clone(),
                    idempotency_key: Some(format!("sync:{}", hub.id.0)),
                };
                let task = Task::SyncHubMembers { hub_id: hub.id.0 };
                jobs::enqueue_task_placed(tx.conn(), &task, &placement, now).await?;
            }
        }
        tx.commit().await?;
        Ok(owned.len())
    }

    /// Runs forever: a pass, then a pause when there was nothing to do, cut short when a job
    /// is enqueued in this process.
    pub async fn run(self) {
        let mut last_check: Option<tokio::time::Instant> = None;
        let mut last_sync = tokio::time::Instant::now();
        loop {
            if self.leader && last_check.is_none_or(|t| t.elapsed() >= HUB_CHECK) {
                let sync = last_sync.elapsed() >= self.sync_every;
                match self.check_hubs(sync).await {
                    Ok(n) if last_check.is_none() && n > 0 => {
                        tracing::info!(hubs = n, "checking the hubs this process owns");
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::error!(error = format!("{err:#}"), "cannot queue hub checks")
                    }
                }
                if sync {
                    last_sync = tokio::time::Instant::now();
                }
                last_check = Some(tokio::time::Instant::now());
            }
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
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One pass: membership ends and notices, then every job due now. Tests call this after
    /// moving the clock, instead of sleeping.
    pub async fn run_once(&self) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        let (notices, ended) = self.sweep_memberships().await?;
        pass.notices = notices;
        pass.ended = ended;
        // One worker per process is enough for billing dates (they move by the day), and it
        // keeps an idle pass of the others free of another write transaction.
        if self.leader {
            pass.past_due = self.sweep_billing().await?;
            pass.sla_breaches = self.sweep_support().await?;
        }
        while let Some(job) = self.claim().await? {
            match self.execute_leased(&job).await {
                Ok(Done::Completed) => {
                    let mut tx = self.db.begin().await?;
                    jobs::complete(tx.conn(), job.id, &self.claimer.worker).await?;
                    tx.commit().await?;
                    pass.jobs_done += 1;
                }
                Ok(Done::RetryAfter(pause, reason)) => {
                    let now = self.clock.now();
                    tracing::info!(
                        job.id = job.id,
                        job.kind = job.kind,
                        job.attempts = job.attempts,
                        reason,
                        "job waits to retry"
                    );
                    let mut tx = self.db.begin().await?;
                    jobs::fail(
                        tx.conn(),
                        job.id,
                        &self.claimer.worker,
                        &reason,
                        Some(now + pause),
                        now,
                    )
                    .await?;
                    tx.commit().await?;
                    pass.jobs_failed += 1;
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
                    jobs::fail(
                        tx.conn(),
                        job.id,
                        &self.claimer.worker,
                        &error,
                        retry_at,
                        now,
                    )
                    .await?;
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
        let job = jobs::claim(tx.conn(), self.clock.now(), self.lease, &self.claimer).await?;
        tx.commit().await?;
        Ok(job)
    }

    /// Runs `job`, renewing its lease every third of it meanwhile. A renewal that finds the
    /// job taken over (this process stalled past its lease) is logged; the other worker's
    /// run is the one that counts, and this one's completion is then refused by the store.
    async fn execute_leased(&self, job: &Job) -> anyhow::Result<Done> {
        let every = (self.lease / 3).to_std().unwrap_or(Duration::from_secs(10));
        let work = self.execute(job);
        tokio::pin!(work);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tokio::select! {
                done = &mut work => return done,
                _ = ticks.tick() => {
                    let until = self.clock.now() + self.lease;
                    let mut tx = self.db.begin().await?;
                    let mine = jobs::renew(tx.conn(), job.id, &self.claimer.worker, until).await?;
                    tx.commit().await?;
                    if !mine {
                        tracing::warn!(job.id = job.id, job.kind = job.kind, "lost the lease of a running job");
                    }
                }
            }
        }
    }

    async fn execute(&self, job: &Job) -> anyhow::Result<Done> {
        let task = job
            .task()
            .with_context(|| format!("job {} has an unreadable payload", job.id))?;
        match task {
            Task::DeployHub { deployment_id } => {
                self.deploy(DeploymentId(deployment_id), job.attempts).await
            }
            Task::EnsureHubRunning { hub_id } => {
                self.ensure_running(hubs::HubId(hub_id), job.attempts).await
            }
            Task::SyncHubMembers { hub_id } => self.sync_members(hubs::HubId(hub_id)).await,
            Task::SendInvitation {
                invitation_id,
                charge,
            } => self
                .send_invitation(MailFor::Community(invitation_id), charge.as_ref())
                .await
                .map(|()| Done::Completed),
            Task::SendInstitutionInvitation {
                invitation_id,
                charge,
            } => self
                .send_invitation(MailFor::Institution(invitation_id), Some(&charge))
                .await
                .map(|()| Done::Completed),
            Task::ApplyStripeEvent { event_id } => {
                use stoa_domain::stripe::Applied;
                let now = self.clock.now();
                let mut tx = self.db.begin().await?;
                let applied = stoa_domain::stripe::apply_event(
                    &mut tx,
                    &self.billing,
                    &event_id,
                    job.attempts,
                    now,
                )
                .await
                .map_err(|e| anyhow::anyhow!("Stripe event {event_id}: {e}"))?;
                tx.commit().await?;
                match applied {
                    Applied::Done(outcome) => {
                        tracing::info!(stripe.event = event_id, outcome, "Stripe event applied");
                        Ok(Done::Completed)
                    }
                    // 1, 2, 4 … minutes, then every 4 hours: about two and a half days in
                    // all, as long as Stripe keeps retrying a delivery it could not make.
                    Applied::Later(reason) => Ok(Done::RetryAfter(
                        TimeDelta::minutes(1i64 << job.attempts.clamp(0, 8))
                            .min(TimeDelta::hours(4)),
                        reason,
                    )),
                }
            }
            Task::ChargeUsage {
                community_id,
                month,
            } => self.charge_usage(community_id, &month).await,
            Task::SyncStripePlan { community_id } => {
                use stoa_domain::stripe::ChargeError;
                let Some(stripe) = &self.stripe else {
                    tracing::warn!(
                        community_id,
                        "Stripe plan change queued, but Stripe is not configured: skipped"
                    );
                    return Ok(Done::Completed);
                };
                let community = communities::CommunityId(community_id);
                match stoa_domain::stripe::sync_plan(
                    &self.db,
                    stripe,
                    &self.billing,
                    community,
                    job.id,
                )
                .await
                {
                    Ok(()) => Ok(Done::Completed),
                    Err(ChargeError::Stripe(e)) if e.is_transient() => {
                        Ok(Done::RetryAfter(TimeDelta::minutes(5), e.to_string()))
                    }
                    Err(e) => Err(anyhow::anyhow!("Stripe plan change: {e}")),
                }
            }
            Task::SetUpInvoiceTerms {
                community_id,
                po_number,
                grant_number,
            } => {
                use stoa_domain::stripe::ChargeError;
                let Some(stripe) = &self.stripe else {
                    tracing::warn!(
                        community_id,
                        "invoice terms queued, but Stripe is not configured: skipped"
                    );
                    return Ok(Done::Completed);
                };
                let form = stoa_domain::stripe::InvoiceTermsForm {
                    po_number,
                    grant_number,
                };
                match stoa_domain::stripe::set_up_invoice_terms(
                    &self.db,
                    stripe,
                    &self.billing,
                    communities::CommunityId(community_id),
                    &form,
                    job.id,
                    self.clock.now(),
                )
                .await
                {
                    Ok(()) => Ok(Done::Completed),
                    Err(ChargeError::Stripe(e)) if e.is_transient() => {
                        Ok(Done::RetryAfter(TimeDelta::minutes(5), e.to_string()))
                    }
                    Err(e) => Err(anyhow::anyhow!("invoice terms: {e}")),
                }
            }
            Task::MailAnnouncement {
                announcement_id,
                after,
                subject,
                body,
            } => {
                let mut tx = self.db.begin().await?;
                stoa_domain::announcements::mail_batch(
                    &mut tx,
                    announcement_id,
                    after,
                    &subject,
                    &body,
                    self.clock.now(),
                )
                .await
                .map_err(|e| anyhow::anyhow!("announcement {announcement_id}: {e}"))?;
                tx.commit().await?;
                Ok(Done::Completed)
            }
            Task::SendNotice { to, subject, body } => self
                .mailer
                .send(&to, &subject, body)
                .await
                .context("cannot send a notice")
                .map(|()| Done::Completed),
        }
    }

    fn deployer(&self) -> Deployer<'_> {
        Deployer {
            db: &self.db,
            clock: &self.clock,
            backend: self.hubs.backend.as_ref(),
            login: self.hubs.login.as_ref(),
            sizes: &self.hubs.sizes,
            public_url: &self.public_url,
            max_attempts: MAX_DEPLOY_ATTEMPTS,
        }
    }

    async fn deploy(&self, id: DeploymentId, attempt: i64) -> anyhow::Result<Done> {
        let outcome = self
            .deployer()
            .run(id, attempt)
            .await
            .with_context(|| format!("cannot carry out hub change {}", id.0))?;
        Ok(match outcome {
            Outcome::Finished(state) => {
                tracing::info!(
                    deployment.id = id.0,
                    state = state.as_str(),
                    "hub change finished"
                );
                Done::Completed
            }
            Outcome::Retry(reason) => {
                Done::RetryAfter(stoa_domain::provisioning::backoff(attempt), reason)
            }
        })
    }

    async fn ensure_running(&self, hub: hubs::HubId, attempt: i64) -> anyhow::Result<Done> {
        let mut conn = self.db.read().await?;
        let Some(hub) = hubs::get(conn.conn(), hub).await? else {
            return Ok(Done::Completed);
        };
        drop(conn);
        if hub.desired_state.as_deref() != Some("running") || hub.deployed_revision.is_none() {
            return Ok(Done::Completed);
        }
        match self.deployer().ensure_running(&hub).await {
            Ok(health) => {
                tracing::info!(hub = hub.slug, health = ?health, "hub adopted");
                Ok(Done::Completed)
            }
            // Not retried here: a retrying job would hold the hub's queue, and the change
            // that fixes the hub must not wait behind it. The next check (periodic, or the
            // next start of Stoa) tries again.
            Err(err) => {
                tracing::warn!(hub = hub.slug, attempt, error = %err, "cannot start a hub that should run");
                Ok(Done::Completed)
            }
        }
    }

    async fn sync_members(&self, hub: hubs::HubId) -> anyhow::Result<Done> {
        let mut conn = self.db.read().await?;
        let Some(hub) = hubs::get(conn.conn(), hub).await? else {
            return Ok(Done::Completed);
        };
        drop(conn);
        if hub.url.is_none() || hub.desired_state.as_deref() != Some("running") {
            return Ok(Done::Completed);
        }
        match self.deployer().sync_members(&hub).await {
            Ok(report) => {
                if report.repaired() {
                    tracing::info!(
                        hub = hub.slug,
                        removed = report.removed.len(),
                        promoted = report.promoted.len(),
                        demoted = report.demoted.len(),
                        "hub members repaired"
                    );
                }
                Ok(Done::Completed)
            }
            // A hub that does not answer now is synced by the next periodic pass.
            Err(err) => {
                tracing::warn!(hub = hub.slug, error = %err, "cannot sync a hub's members");
                Ok(Done::Completed)
            }
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
    /// Trials begin, lapsed and overdue standings become past due (with notices), in one
    /// transaction.
    /// SLA breaches flagged and mailed (each once, whichever process finds it), and resolved
    /// tickets closed after their reopen window. Returns the breaches.
    async fn sweep_support(&self) -> anyhow::Result<usize> {
        let Some(desk) = &self.support else {
            return Ok(0);
        };
        let now = self.clock.now();
        let due = {
            let mut conn = self.db.read().await?;
            let cutoff = now - desk.config.reopen_window();
            stoa_db::tickets::sweep_due(conn.conn(), now, cutoff).await?
        };
        if !due {
            return Ok(0);
        }
        let mut tx = self.db.begin().await?;
        let swept = stoa_domain::support::sweep(&mut tx, desk, &self.public_url, now)
            .await
            .map_err(|e| anyhow::anyhow!("support sweep: {e}"))?;
        tx.commit().await?;
        if swept.breaches > 0 || swept.closed > 0 {
            tracing::info!(
                breaches = swept.breaches,
                closed = swept.closed,
                "support tickets swept"
            );
        }
        Ok(swept.breaches)
    }

    async fn sweep_billing(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let changed = stoa_domain::billing::sweep(&mut tx, &self.billing, now, &self.public_url)
            .await
            .map_err(|e| anyhow::anyhow!("billing sweep: {e}"))?;
        if self.stripe.is_some() {
            stoa_domain::stripe::queue_usage_charges(&mut tx, now)
                .await
                .map_err(|e| anyhow::anyhow!("usage charges: {e}"))?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn charge_usage(&self, community: i64, month: &str) -> anyhow::Result<Done> {
        use stoa_domain::stripe::{ChargeError, Charged};
        let Some(stripe) = &self.stripe else {
            tracing::warn!(
                community,
                month,
                "usage charge queued, but Stripe is not configured: skipped"
            );
            return Ok(Done::Completed);
        };
        let month = stoa_domain::billing::Month::parse(month)
            .with_context(|| format!("usage charge for an unreadable month {month:?}"))?;
        let now = self.clock.now();
        match stoa_domain::stripe::charge_usage(
            &self.db,
            stripe,
            &self.billing,
            communities::CommunityId(community),
            month,
            now,
        )
        .await
        {
            Ok(Charged::Done(c)) => {
                tracing::info!(
                    community,
                    month = c.month,
                    users = c.active_users,
                    amount = c.amount,
                    "usage charged"
                );
                Ok(Done::Completed)
            }
            Ok(Charged::NotStripe) => Ok(Done::Completed),
            Err(ChargeError::Stripe(e)) if e.is_transient() => {
                Ok(Done::RetryAfter(TimeDelta::minutes(5), e.to_string()))
            }
            Err(e) => Err(anyhow::anyhow!("usage charge: {e}")),
        }
    }

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
            stoa_domain::provisioning::sync_after_membership_change(
                tx.conn(),
                ending.community_id,
                now,
            )
            .await?;
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
