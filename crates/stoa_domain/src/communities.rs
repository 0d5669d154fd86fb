//! Communities: the directory, sign-up, the community page and home, settings, leaving and
//! asking to join; one's own communities; the staff list.

use stoa_db::accounts::AccountId;
use stoa_db::communities::{self, NewCommunity};
use stoa_db::{Conn, DbError, WriteTx, institutions, join_requests, logos, memberships};
use stoa_model::community::{
    CommunityForm, CommunityHome, CommunityPage, CommunitySummary, CommunityView, Dashboard,
    InstitutionChoice, MAX_PER_PAGE, MAX_QUERY_CHARS, MyCommunityRow, Paged, StaffCommunityPage,
    StaffCommunityRow,
};
use stoa_model::logo::logo_path;
use stoa_model::validate::{self, Checks};
use stoa_model::{Action, Invalid, JoinPolicy, Role, Slug};

use crate::access::{self, CommunityAccess};
use crate::audit::{Audit, Changes};
use crate::{Ctx, DomainError, Result, date_of};

/// Checks and normalises list parameters (search text, page from 1, rows per page).
pub fn check_query(query: &str, page: u32, per_page: u32) -> Result<(String, u32, u32), Invalid> {
    let query = query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(Invalid::field(
            "q",
            format!("Search text is limited to {MAX_QUERY_CHARS} characters."),
        ));
    }
    if query.chars().any(char::is_control) {
        return Err(Invalid::field(
            "q",
            "Search text cannot contain control characters.",
        ));
    }
    if page == 0 || page > 100_000 {
        return Err(Invalid::field("page", "No such page."));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(Invalid::field(
            "per_page",
            format!("Between 1 and {MAX_PER_PAGE} rows per page."),
        ));
    }
    Ok((query.to_owned(), page, per_page))
}

/// The row offset of `page`.
pub(crate) fn offset(page: u32, per_page: u32) -> i64 {
    i64::from(page - 1) * i64::from(per_page)
}

/// Communities whose name, slug or field contains `query`, newest first.
pub async fn directory(
    ctx: &Ctx,
    conn: Conn<'_>,
    query: &str,
    page: u32,
    per_page: u32,
) -> Result<CommunityPage> {
    access::global(ctx, Action::ViewDirectory)?;
    let (query, page, per_page) = check_query(query, page, per_page)?;
    let found =
        communities::search(conn, &query, i64::from(per_page), offset(page, per_page)).await?;
    Ok(Paged {
        items: found
            .items
            .into_iter()
            .map(|c| CommunitySummary {
                joined: c.created_at.as_datetime().format("%B %Y").to_string(),
                slug: c.slug,
                name: c.name,
                description: c.description,
                field: c.field,
                website: c.website,
            })
            .collect(),
        total: u64::try_from(found.total).unwrap_or(0),
        page,
        per_page,
    })
}

/// The checked fields of the community form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    name: String,
    description: String,
    field: String,
    website: Option<String>,
    join_policy: JoinPolicy,
}

impl Fields {
    fn check(form: &CommunityForm, checks: &mut Checks) -> Fields {
        let policy = form.join_policy.trim();
        Fields {
            name: checks.take(validate::line("name", "a name", &form.name, 2, 100)),
            description: checks.take(validate::text("description", &form.description, 2000)),
            field: checks.take(validate::line("field", "a field", &form.field, 0, 80)),
            website: checks.take(validate::url("website", &form.website, false)),
            join_policy: checks.take(
                JoinPolicy::parse(policy)
                    .ok_or_else(|| Invalid::field("join_policy", "Choose how people join.")),
            ),
        }
    }

    /// `logo_url` is the column of the third-party logo URLs that uploads replaced: no longer
    /// set, kept as it is until it is dropped (expand/contract).
    fn as_new<'a>(
        &'a self,
        slug: &'a Slug,
        institution_id: Option<i64>,
        logo_url: Option<&'a str>,
    ) -> NewCommunity<'a> {
        NewCommunity {
            slug,
            name: &self.name,
            description: &self.description,
            field: &self.field,
            website: self.website.as_deref(),
            logo_url,
            institution_id,
            join_policy: self.join_policy,
        }
    }
}

/// Signs up a community; the caller becomes its owner. Returns its slug.
pub async fn create(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    form: &CommunityForm,
    paying: &InstitutionChoice,
) -> Result<Slug> {
    let me = access::signed_in(ctx, Action::CreateCommunity)?;
    within_daily_cap(ctx, tx, me.id).await?;
    let mut checks = Checks::default();
    let slug = checks
        .take(Slug::parse(slug).map(Some))
        .unwrap_or_else(placeholder_slug);
    let f = Fields::check(form, &mut checks);
    let new_institution = (paying.institution.trim() == "new").then(|| {
        (
            checks.take(validate::line(
                "legal_name",
                "the legal name",
                &paying.legal_name,
                2,
                200,
            )),
            checks.take(validate::country(&paying.country)),
        )
    });
    checks.finish()?;
    let institution_id = match new_institution {
        Some((legal_name, country)) => {
            Some(crate::institutions::create_minimal(ctx, tx, &legal_name, &country).await?)
        }
        None => crate::institutions::one_of_mine(tx.conn(), &paying.institution, me.id).await?,
    };
    let new = f.as_new(&slug, institution_id, None);
    let id = match communities::insert_as(tx.conn(), &new, Some(me.id), ctx.now).await {
        Err(DbError::Conflict) => {
            return Err(DomainError::invalid(
                "slug",
                format!("“{slug}” is taken; choose another."),
            ));
        }
        other => other?,
    };
    memberships::add(tx.conn(), id, me.id, Role::Owner, None, ctx.now).await?;
    let community = communities::by_id(tx.conn(), id).await?;
    let state = serde_json::json!({
        "slug": slug, "name": f.name, "field": f.field, "website": f.website,
        "join_policy": f.join_policy, "institution_id": institution_id,
    });
    Audit::by(me, "community.created", &f.name)
        .community(&community)
        .after(state)
        .record(tx.conn(), ctx.now)
        .await?;
    Audit::by(me, "membership.added", &me.name)
        .community(&community)
        .after(serde_json::json!({"role": Role::Owner}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(slug)
}

/// Refuses a sign-up when `account` has signed up
/// [`crate::limits::Limits::communities_per_account_per_day`]
/// communities in the last 24 hours (a rolling window: no burst at midnight). The account is
/// locked first, so two sign-ups at the same moment are counted one after the other.
async fn within_daily_cap(ctx: &Ctx, tx: &mut WriteTx, account: AccountId) -> Result<()> {
    communities::lock_creator(tx.conn(), account).await?;
    let cap = ctx.limits.communities_per_account_per_day;
    let since = ctx.now - DAY;
    let made = communities::created_since(tx.conn(), account, since, cap).await?;
    daily_cap(&made, cap, "signed up", "communities", "sign up another")
}

/// A rolling day.
pub(crate) const DAY: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Refuses when `made` (the times of what the account made in the last [`DAY`], oldest
/// first) reaches `cap`, saying how many and when the next is possible (when the oldest
/// leaves the window).
pub(crate) fn daily_cap(
    made: &[stoa_db::Timestamp],
    cap: i64,
    done: &str,
    what: &str,
    next_one: &str,
) -> Result<()> {
    match made.first() {
        Some(oldest) if i64::try_from(made.len()).unwrap_or(i64::MAX) >= cap => Err(
            DomainError::invalid("form", over_cap(cap, *oldest + DAY, [done, what, next_one])),
        ),
        _ => Ok(()),
    }
}

/// The refusal over a daily cap: how many, and when the next is possible.
fn over_cap(cap: i64, next: stoa_db::Timestamp, [done, what, next_one]: [&str; 3]) -> String {
    let next = next.as_datetime().format("%Y-%m-%d at %H:%M UTC");
    format!(
        "You have {done} {cap} {what} in the last 24 hours, the most one account may. \
         You can {next_one} from {next}; if you need more, ask Stoa's support."
    )
}

/// `Checks` needs a default for a field that failed; a slug has none, so the failed slug is
/// carried as `None` and this is never returned (the checks fail first).
fn placeholder_slug() -> Slug {
    Slug::parse("invalid").unwrap_or_else(|_| unreachable!("a valid literal"))
}

/// A community's page: public facts for everyone, more for its members.
///
/// With `glance`, the view also holds the at-a-glance block when the caller may see it, so
/// that the community's home is one call (one access check) rather than two.
pub async fn page(
    ctx: &Ctx,
    mut conn: Conn<'_>,
    slug: &str,
    glance: bool,
) -> Result<CommunityView> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::ViewCommunityPage).await?;
    let mut view = view_of(ctx, conn.reborrow(), &access).await?;
    if glance && access.may(Action::ViewCommunityHome) {
        view.glance = Some(glance_of(conn, &access).await?);
    }
    Ok(view)
}

/// The community as its settings form shows it; for those who may change it.
pub async fn settings(ctx: &Ctx, mut conn: Conn<'_>, slug: &str) -> Result<CommunityView> {
    let access = access::community(ctx, conn.reborrow(), slug, Action::UpdateCommunity).await?;
    let mut view = view_of(ctx, conn.reborrow(), &access).await?;
    view.listed_in_catalog = communities::listed_in_catalog(conn, access.community.id).await?;
    Ok(view)
}

async fn view_of(ctx: &Ctx, mut conn: Conn<'_>, access: &CommunityAccess) -> Result<CommunityView> {
    let c = &access.community;
    let request_pending = match &ctx.caller {
        Some(me) if access.role.is_none() => {
            join_requests::pending_of(conn.reborrow(), c.id, me.id)
                .await?
                .is_some()
        }
        _ => false,
    };
    Ok(CommunityView {
        slug: c.slug.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        field: c.field.clone(),
        website: c.website.clone(),
        logo: logos::info(conn.reborrow(), c.id)
            .await?
            .map(|l| logo_path(&c.slug, &l.version)),
        join_policy: c.join_policy,
        joined: c.created_at.as_datetime().format("%B %Y").to_string(),
        signed_in: ctx.caller.is_some(),
        my_role: access.role,
        my_end: access.ends_at.map(date_of),
        can: access.allowed(),
        request_pending,
        // Only the settings page shows it ([`settings`]), so other pages skip the query.
        listed_in_catalog: false,
        glance: None,
    })
}

/// Whether catalog pages may name the community among those whose hub uses an environment
/// (off until its owners or admins say so).
pub async fn set_catalog_listing(
    ctx: &Ctx,
    tx: &mut WriteTx,
    slug: &str,
    listed: bool,
) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::UpdateCommunity).await?;
    let me = ctx.caller()?;
    let c = &access.community;
    let before = communities::listed_in_catalog(tx.conn(), c.id).await?;
    if before == listed {
        return Ok(());
    }
    communities::set_listed_in_catalog(tx.conn(), c.id, listed).await?;
    access
        .audit(me, "community.catalog_listing", &c.name)
        .before(serde_json::json!({ "listed_in_catalog": before }))
        .after(serde_json::json!({ "listed_in_catalog": listed }))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// What matters at a glance: members, hub and billing status; for members, staff and the
/// paying institution's admins (the caller checks [`Action::ViewCommunityHome`]).
async fn glance_of(mut conn: Conn<'_>, access: &CommunityAccess) -> Result<CommunityHome> {
    let c = &access.community;
    let institution = match c.institution_id {
        Some(id) => institutions::get(conn.reborrow(), id)
            .await?
            .map(|i| i.legal_name),
        None => None,
    };
    let hub = stoa_db::hubs::of_community(conn.reborrow(), c.id)
        .await?
        .into_iter()
        .next();
    let hub_status = match hub {
        Some(h) => match (h.desired_state.as_deref(), h.deployed_revision) {
            (Some("stopped"), _) => "Stopped".to_owned(),
            (Some(_), Some(n)) => format!("Running revision {n} of {}", h.latest_revision),
            (Some(_), None) => "Being deployed".to_owned(),
            (None, _) if h.latest_revision > 0 => format!(
                "Settings at revision {}; not deployed yet",
                h.latest_revision
            ),
            (None, _) => "Not deployed yet".to_owned(),
        },
        None => "Not deployed yet".into(),
    };
    Ok(CommunityHome {
        members: memberships::count(conn, c.id).await?,
        hub_status,
        billing_status: if institution.is_some() {
            "Institution chosen; no payment method yet".into()
        } else {
            "No paying institution yet".into()
        },
        institution,
    })
}

/// Changes a community's settings (the slug is fixed once chosen: hub URLs use it).
pub async fn update(ctx: &Ctx, tx: &mut WriteTx, slug: &str, form: &CommunityForm) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::UpdateCommunity).await?;
    let me = ctx.caller()?;
    let mut checks = Checks::default();
    let f = Fields::check(form, &mut checks);
    checks.finish()?;
    let c = &access.community;
    let new = f.as_new(&c.slug, c.institution_id, c.logo_url.as_deref());
    communities::update(tx.conn(), c.id, &new, ctx.now).await?;
    let changes = Changes::default()
        .field("name", &c.name, &f.name)
        .field("description", &c.description, &f.description)
        .field("field", &c.field, &f.field)
        .field("website", &c.website, &f.website)
        .field("join_policy", &c.join_policy, &f.join_policy);
    if !changes.is_empty() {
        access
            .audit(me, "community.updated", &f.name)
            .changes(changes)
            .record(tx.conn(), ctx.now)
            .await?;
    }
    Ok(())
}

/// Leaves a community (the last owner cannot: transfer ownership first).
pub async fn leave(ctx: &Ctx, tx: &mut WriteTx, slug: &str) -> Result<()> {
    let access = access::change(ctx, tx, slug, Action::LeaveCommunity).await?;
    let me = ctx.caller()?;
    if access.role == Some(Role::Owner) {
        crate::members::ensure_another_owner(tx.conn(), access.community.id).await?;
    }
    memberships::remove(tx.conn(), access.community.id, me.id).await?;
    crate::provisioning::sync_after_membership_change(tx.conn(), access.community.id, ctx.now)
        .await?;
    access
        .audit(me, "membership.left", &me.name)
        .before(serde_json::json!({"role": access.role}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// Asks to join a community that takes requests; its admins decide.
pub async fn request_to_join(ctx: &Ctx, tx: &mut WriteTx, slug: &str, message: &str) -> Result<()> {
    let me = access::signed_in(ctx, Action::RequestToJoin)?;
    let message = validate::text("message", message, 1000)?;
    let access = access::change(ctx, tx, slug, Action::ViewCommunityPage).await?;
    let refuse = |m: &str| DomainError::invalid("message", m);
    if access.role.is_some() {
        return Err(refuse("You are a member already."));
    }
    if access.community.join_policy != JoinPolicy::Request {
        return Err(refuse("This community takes members by invitation only."));
    }
    match join_requests::create(tx.conn(), access.community.id, me.id, &message, ctx.now).await {
        Err(DbError::Conflict) => {
            return Err(refuse("You have asked already; the admins will decide."));
        }
        other => other?,
    };
    access
        .audit(me, "join_request.created", &me.name)
        .after(serde_json::json!({"message": message}))
        .record(tx.conn(), ctx.now)
        .await?;
    Ok(())
}

/// The caller's communities and institutions.
pub async fn dashboard(ctx: &Ctx, mut conn: Conn<'_>) -> Result<Dashboard> {
    let me = access::signed_in(ctx, Action::ViewOwnCommunities)?;
    let communities = memberships::of_account(conn.reborrow(), me.id).await?;
    let institutions = institutions::of_admin(conn, me.id).await?;
    Ok(Dashboard {
        communities: communities
            .into_iter()
            .map(|c| MyCommunityRow {
                slug: c.slug,
                name: c.name,
                role: c.role,
                ends_on: c.ends_at.map(date_of),
            })
            .collect(),
        institutions: institutions
            .into_iter()
            .map(|i| (i.id, i.legal_name))
            .collect(),
    })
}

/// Every community with its members, plan, billing status and hubs, for staff; searchable
/// and paged.
pub async fn staff_list(
    ctx: &Ctx,
    conn: Conn<'_>,
    billing: &crate::billing::BillingConfig,
    query: &str,
    page: u32,
    per_page: u32,
) -> Result<StaffCommunityPage> {
    access::signed_in(ctx, Action::ListAllCommunities)?;
    let (query, page, per_page) = check_query(query, page, per_page)?;
    let found =
        communities::search_with_counts(conn, &query, i64::from(per_page), offset(page, per_page))
            .await?;
    Ok(Paged {
        items: found
            .items
            .into_iter()
            .map(|r| StaffCommunityRow {
                created: date_of(r.community.created_at),
                plan: match r.plan_id.as_deref() {
                    Some(id) => billing
                        .plan(id)
                        .map_or_else(|| id.to_owned(), |p| p.name.clone()),
                    None => billing.default_plan().name.clone(),
                },
                billing: r.billing_status.unwrap_or_default(),
                hubs: r.hubs,
                members: r.members,
                slug: r.community.slug,
                name: r.community.name,
            })
            .collect(),
        total: u64::try_from(found.total).unwrap_or(0),
        page,
        per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters() {
        assert_eq!(
            check_query("  ocean ", 1, 20).unwrap(),
            ("ocean".into(), 1, 20)
        );
        assert_eq!(
            check_query(&"x".repeat(101), 1, 20).unwrap_err().fields(),
            ["q"]
        );
        assert_eq!(check_query("a\u{0}b", 1, 20).unwrap_err().fields(), ["q"]);
        assert_eq!(check_query("", 0, 20).unwrap_err().fields(), ["page"]);
        assert_eq!(check_query("", 1, 51).unwrap_err().fields(), ["per_page"]);
    }

    #[test]
    fn the_cap_message_says_when_the_next_is_possible() {
        let next = crate::start_of(chrono::NaiveDate::from_ymd_opt(2027, 3, 4).unwrap())
            + chrono::TimeDelta::minutes(6 * 60 + 5);
        assert_eq!(
            over_cap(3, next, ["signed up", "communities", "sign up another"]),
            "You have signed up 3 communities in the last 24 hours, the most one account may. \
             You can sign up another from 2027-03-04 at 06:05 UTC; if you need more, ask Stoa's \
             support."
        );
    }

    #[test]
    fn form_reports_every_bad_field() {
        let form = CommunityForm {
            name: " ".into(),
            website: "javascript:alert(1)".into(),
            join_policy: "open".into(),
            ..CommunityForm::default()
        };
        let mut checks = Checks::default();
        Fields::check(&form, &mut checks);
        assert_eq!(
            checks.finish().unwrap_err().fields(),
            ["name", "website", "join_policy"]
        );
    }
}
