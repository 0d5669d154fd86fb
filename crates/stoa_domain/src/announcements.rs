//! Announcements (issue 14): staff tell everyone, or the members of chosen communities,
//! something for a time window, with a severity; optionally mailed when made. People
//! dismiss them, or acknowledge the required ones; staff see who acknowledged.
//!
//! They are shown to signed-in people only: anonymous pages stay the same for everyone (and
//! cacheable, `server/src/page_cache.rs`).

use chrono::{NaiveDateTime, TimeDelta};
use stoa_db::announcements::{self, Announcement, NewAnnouncement};
use stoa_db::{Timestamp, WriteTx};
use stoa_model::announcements::{
    AnnouncementDetail, AnnouncementRow, AnnouncementsView, Banner, ReadView,
};
use stoa_model::{Action, validate};

use crate::{Ctx, DomainError, Result, access};

/// Longest title.
pub const MAX_TITLE_CHARS: usize = 150;
/// Longest text.
pub const MAX_BODY_CHARS: usize = 5_000;
/// Most communities one announcement names.
pub const MAX_COMMUNITIES: usize = 500;
/// Longest window.
pub const MAX_DAYS: i64 = 366;
/// Announcements per page.
const PAGE_SIZE: i64 = 50;

const SEVERITIES: [&str; 3] = ["info", "warning", "critical"];

fn when(at: Timestamp) -> String {
    at.as_datetime().format("%Y-%m-%d %H:%M").to_string()
}

fn row(a: &Announcement, targets: usize, now: Timestamp) -> AnnouncementRow {
    AnnouncementRow {
        id: a.id,
        title: a.title.clone(),
        severity: a.severity.clone(),
        required: a.required,
        audience: if a.everyone {
            "Everyone".to_owned()
        } else if targets == 1 {
            "1 community".to_owned()
        } else {
            format!("{targets} communities")
        },
        window: format!("{} – {} UTC", when(a.starts_at), when(a.ends_at)),
        state: if now < a.starts_at {
            "scheduled"
        } else if now < a.ends_at {
            "shown"
        } else {
            "ended"
        }
        .to_owned(),
        mailed: a.mailed,
        acknowledged: a.acknowledged,
        dismissed: a.dismissed,
    }
}

/// What the caller should see now (nothing for anonymous visitors).
pub async fn current(ctx: &Ctx, conn: stoa_db::Conn<'_>) -> Result<Vec<Banner>> {
    let Some(me) = &ctx.caller else {
        return Ok(Vec::new());
    };
    Ok(announcements::current(conn, me.id, ctx.now)
        .await?
        .into_iter()
        .map(|a| Banner {
            id: a.id,
            title: a.title,
            body_html: stoa_hubs::announcement_html(&a.body),
            severity: a.severity,
            required: a.required,
        })
        .collect())
}

/// The caller dismisses an announcement shown to them, or acknowledges a required one.
pub async fn read(
    ctx: &Ctx,
    tx: &mut WriteTx,
    announcement: &str,
    acknowledge: bool,
) -> Result<()> {
    let me = access::signed_in(ctx, Action::ManageOwnAccount)?;
    let id: i64 = announcement
        .trim()
        .parse()
        .map_err(|_| DomainError::NotFound)?;
    let found = announcements::addressed_to(tx.conn(), id, me.id, ctx.now)
        .await?
        .ok_or(DomainError::NotFound)?;
    if found.required && !acknowledge {
        return Err(DomainError::invalid(
            "form",
            "This announcement asks you to acknowledge it.",
        ));
    }
    announcements::record_read(tx.conn(), id, me.id, acknowledge, ctx.now).await?;
    Ok(())
}

/// What staff type to make an announcement.
#[derive(Debug, Clone, Copy)]
pub struct NewForm<'a> {
    /// One line.
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// `info`, `warning`, `critical`.
    pub severity: &'a str,
    /// Acknowledged rather than dismissed.
    pub required: bool,
    /// `everyone` or `communities`.
    pub audience: &'a str,
    /// Community slugs, separated by commas, spaces or lines (for `communities`).
    pub communities: &'a str,
    /// `YYYY-MM-DDTHH:MM` (UTC), or empty: now.
    pub starts: &'a str,
    /// `YYYY-MM-DDTHH:MM` (UTC).
    pub ends: &'a str,
    /// Mail it to its audience now.
    pub mail: bool,
}

fn instant(field: &str, typed: &str) -> Result<Timestamp> {
    let typed = typed.trim();
    NaiveDateTime::parse_from_str(typed, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(typed, "%Y-%m-%d %H:%M"))
        .map(|t| Timestamp::from(t.and_utc()))
        .map_err(|_| DomainError::invalid(field, "A date and time, YYYY-MM-DD HH:MM (UTC)."))
}

/// Staff make an announcement; with `mail`, it is mailed to its audience at once: this
/// transaction queues the first batch ([`mail_batch`]), which queues the next.
pub async fn create(ctx: &Ctx, tx: &mut WriteTx, form: NewForm<'_>) -> Result<i64> {
    let me = access::signed_in(ctx, Action::ManageAnnouncements)?;
    let title = validate::line("title", "a title", form.title, 3, MAX_TITLE_CHARS)?;
    let body = validate::text("body", form.body, MAX_BODY_CHARS)?;
    let severity = SEVERITIES
        .into_iter()
        .find(|s| *s == form.severity)
        .ok_or_else(|| DomainError::invalid("severity", "Choose info, warning or critical."))?;
    let everyone = match form.audience {
        "everyone" => true,
        "communities" => false,
        _ => {
            return Err(DomainError::invalid(
                "audience",
                "Choose everyone or chosen communities.",
            ));
        }
    };
    let starts = match form.starts.trim() {
        "" => ctx.now,
        typed => instant("starts", typed)?,
    };
    let ends = instant("ends", form.ends)?;
    if ends <= starts || ends <= ctx.now {
        return Err(DomainError::invalid(
            "ends",
            "The end must come after the start, and after now.",
        ));
    }
    if ends > starts + TimeDelta::days(MAX_DAYS) {
        return Err(DomainError::invalid(
            "ends",
            format!("Show an announcement for at most {MAX_DAYS} days."),
        ));
    }
    let mut targets = Vec::new();
    if !everyone {
        let slugs: Vec<&str> = form
            .communities
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if slugs.is_empty() || slugs.len() > MAX_COMMUNITIES {
            return Err(DomainError::invalid(
                "communities",
                format!("Name from 1 to {MAX_COMMUNITIES} communities by their short names."),
            ));
        }
        for slug in slugs {
            let community = stoa_db::communities::by_slug(tx.conn(), slug)
                .await?
                .ok_or_else(|| {
                    DomainError::invalid("communities", format!("No community is called {slug:?}."))
                })?;
            if !targets.contains(&community.id) {
                targets.push(community.id);
            }
        }
    }
    let id = announcements::insert(
        tx.conn(),
        &NewAnnouncement {
            title: &title,
            body: &body,
            severity,
            required: form.required,
            everyone,
            mailed: form.mail,
            starts_at: starts,
            ends_at: ends,
            created_by: me.id,
        },
        &targets,
        ctx.now,
    )
    .await?;
    crate::audit::Audit::by(me, "announcement.created", &title)
        .after(serde_json::json!({
            "severity": severity, "required": form.required, "everyone": everyone,
            "communities": targets.len(), "mailed": form.mail,
        }))
        .record(tx.conn(), ctx.now)
        .await?;
    if form.mail {
        let text = format!(
            "{body}\n\n(From {} to {} UTC; also shown when you sign in to Stoa: {}/dashboard)\n",
            when(starts),
            when(ends),
            ctx.public_url
        );
        let task = stoa_db::jobs::Task::MailAnnouncement {
            announcement_id: id,
            after: 0,
            subject: format!("[Stoa] {title}"),
            body: text,
        };
        stoa_db::jobs::enqueue_task(tx.conn(), &task, ctx.now).await?;
    }
    Ok(id)
}

/// People mailed per batch of an announcement.
const MAIL_BATCH: i64 = 500;

/// Queues the mail of announcement `id` to its next people after account `after`, and the
/// batch after them if there may be more (the worker runs it, in the transaction `tx`).
/// The announcement records how far its mailing went, in the same transaction, so a batch
/// run twice (a worker that died before marking it done) mails nobody twice: returns how many
/// it queued, 0 for a batch that went out already.
pub async fn mail_batch(
    tx: &mut WriteTx,
    id: i64,
    after: i64,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<usize> {
    use stoa_db::jobs::{Placement, Task};
    let Some(a) = announcements::get(tx.conn(), id).await? else {
        return Ok(0);
    };
    let people =
        announcements::recipients_after(tx.conn(), id, a.everyone, now, after, MAIL_BATCH).await?;
    let Some(&(last, _)) = people.last() else {
        return Ok(0);
    };
    if !announcements::claim_mail_batch(tx.conn(), id, after, last).await? {
        return Ok(0);
    }
    for (_, to) in &people {
        let task = Task::SendNotice {
            to: to.clone(),
            subject: subject.to_owned(),
            body: body.to_owned(),
        };
        stoa_db::jobs::enqueue_task(tx.conn(), &task, now).await?;
    }
    if people.len() == usize::try_from(MAIL_BATCH).unwrap_or(usize::MAX) {
        // A key, so the next batch is queued once even if two runs of this one race.
        let placed = Placement {
            queue: None,
            runner: None,
            idempotency_key: Some(format!("announcement:{id}:after:{last}")),
        };
        let task = Task::MailAnnouncement {
            announcement_id: id,
            after: last,
            subject: subject.to_owned(),
            body: body.to_owned(),
        };
        stoa_db::jobs::enqueue_task_placed(tx.conn(), &task, &placed, now).await?;
    }
    Ok(people.len())
}

/// Every announcement, for staff.
pub async fn list(ctx: &Ctx, conn: stoa_db::Conn<'_>, page: &str) -> Result<AnnouncementsView> {
    access::signed_in(ctx, Action::ManageAnnouncements)?;
    let page = crate::page_number(page)?;
    // The target counts come with the page (one query, not one per row).
    let found = announcements::list(conn, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    Ok(AnnouncementsView {
        items: found
            .items
            .iter()
            .map(|a| row(a, usize::try_from(a.targets).unwrap_or(0), ctx.now))
            .collect(),
        total: found.total,
        page,
        pages: ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
    })
}

/// One announcement with its audience and who acknowledged or dismissed it, for staff.
pub async fn detail(
    ctx: &Ctx,
    mut conn: stoa_db::Conn<'_>,
    announcement: &str,
) -> Result<AnnouncementDetail> {
    access::signed_in(ctx, Action::ManageAnnouncements)?;
    let id: i64 = announcement
        .trim()
        .parse()
        .map_err(|_| DomainError::NotFound)?;
    let a = announcements::get(conn.reborrow(), id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let communities = announcements::targets(conn.reborrow(), id).await?;
    let audience_size = announcements::audience(conn.reborrow(), id, a.everyone, ctx.now).await?;
    let reads = announcements::reads(conn, id).await?;
    Ok(AnnouncementDetail {
        row: row(&a, communities.len(), ctx.now),
        body_html: stoa_hubs::announcement_html(&a.body),
        communities,
        audience_size,
        reads: reads
            .into_iter()
            .map(|r| ReadView {
                name: r.name,
                email: r.email.unwrap_or_default(),
                acknowledged: r.acknowledged,
                at: format!("{} UTC", when(r.read_at)),
            })
            .collect(),
    })
}
