//! One community: sign-up, its page, settings, leaving and asking to join; one's own
//! communities; the staff list of all communities.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::policy::{Action, Role};

/// How people join.
pub const JOIN_POLICIES: [(&str, &str); 2] = [
    ("invite", "By invitation only"),
    ("request", "Signed-in people may ask to join"),
];

/// A community's page, shaped by who is looking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityView {
    /// URL name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Plain-text description.
    pub description: String,
    /// Field.
    pub field: String,
    /// Website.
    pub website: Option<String>,
    /// Logo (https).
    pub logo_url: Option<String>,
    /// `invite` or `request`.
    pub join_policy: String,
    /// Month it joined.
    pub joined: String,
    /// Signed in at all.
    pub signed_in: bool,
    /// The viewer's role.
    pub my_role: Option<Role>,
    /// When the viewer's membership ends (YYYY-MM-DD), if it does.
    pub my_end: Option<String>,
    /// The community actions the viewer may take (to show tabs and buttons).
    pub can: Vec<Action>,
    /// The viewer has a pending join request.
    pub request_pending: bool,
}

impl CommunityView {
    /// Whether the viewer may do `action` here.
    pub fn may(&self, action: Action) -> bool {
        self.can.contains(&action)
    }
}

/// The at-a-glance block of a community's home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityHome {
    /// Number of members.
    pub members: i64,
    /// Hub status (hubs arrive with the next milestone).
    pub hub_status: String,
    /// Billing status (billing arrives with a later milestone).
    pub billing_status: String,
    /// Paying institution, if chosen.
    pub institution: Option<String>,
}

/// A community in someone's own list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCommunityRow {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Membership end (YYYY-MM-DD).
    pub ends_on: Option<String>,
}

/// The signed-in person's communities and institutions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Communities they belong to.
    pub communities: Vec<MyCommunityRow>,
    /// Institutions they administer: (id, legal name).
    pub institutions: Vec<(i64, String)>,
}

/// One row of the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCommunityRow {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Members.
    pub members: i64,
    /// Date it joined.
    pub created: String,
}

/// A page of the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCommunityPage {
    /// Rows.
    pub items: Vec<StaffCommunityRow>,
    /// Matching rows in all.
    pub total: u64,
    /// Page, from 1.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

/// The checked fields of the community form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommunityFields {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Field.
    pub field: String,
    /// Website.
    pub website: Option<String>,
    /// Logo URL.
    pub logo_url: Option<String>,
    /// Join policy.
    pub join_policy: String,
}

/// Checks the editable community fields.
pub fn validate_fields(
    name: &str,
    description: &str,
    field: &str,
    website: &str,
    logo_url: &str,
    join_policy: &str,
) -> Result<CommunityFields, AppError> {
    use crate::validate;
    let mut checks = validate::Checks::default();
    let join_policy = join_policy.trim();
    let fields = CommunityFields {
        name: checks.take(validate::line("name", "a name", name, 2, 100)),
        description: checks.take(validate::text("description", description, 2000)),
        field: checks.take(validate::line("field", "a field", field, 0, 80)),
        website: checks.take(validate::url("website", website, false)),
        logo_url: checks.take(validate::url("logo_url", logo_url, true)),
        join_policy: checks.take(if JOIN_POLICIES.iter().any(|(p, _)| *p == join_policy) {
            Ok(join_policy.to_owned())
        } else {
            Err(AppError::Invalid {
                field: "join_policy".into(),
                message: "Choose how people join.".into(),
            })
        }),
    };
    checks.finish()?;
    Ok(fields)
}

/// Signs up a community; the signed-in person becomes its owner. `institution` is empty
/// (choose later), `new` (create one from `legal_name` and `country`), or the id of an
/// institution the person administers. Returns the slug.
#[server(prefix = "/api", endpoint = "community/create")]
pub async fn create_community(
    name: String,
    slug: String,
    description: String,
    field: String,
    website: String,
    logo_url: String,
    join_policy: String,
    institution: String,
    legal_name: String,
    country: String,
) -> Result<String, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::communities::NewCommunity;
        use stoa_db::{DbError, audit, communities, institutions, memberships};
        let user = crate::access::signed_in(Action::CreateCommunity)?;
        let mut checks = crate::validate::Checks::default();
        let slug = checks.take(crate::validate::slug(&slug));
        let f = checks.take(validate_fields(
            &name,
            &description,
            &field,
            &website,
            &logo_url,
            &join_policy,
        ));
        let institution = institution.trim();
        let new_institution = if institution == "new" {
            Some((
                checks.take(crate::validate::line(
                    "legal_name",
                    "the legal name",
                    &legal_name,
                    2,
                    200,
                )),
                checks.take(crate::validate::country(&country)),
            ))
        } else {
            None
        };
        checks.finish()?;
        let db = crate::ssr::db()?;
        let now = crate::ssr::now()?;
        let me = AccountId(user.id);
        let mut tx = db.begin().await?;
        let institution_id = match (institution, &new_institution) {
            ("", _) => None,
            (_, Some((legal_name, country))) => {
                let fields = institutions::InstitutionFields {
                    legal_name,
                    address: "",
                    country,
                    tax_id: "",
                    billing_contacts: "",
                };
                let id = institutions::create(tx.conn(), &fields, me, now).await?;
                let entry = audit::Entry {
                    institution: Some(id),
                    after: Some(
                        serde_json::json!({"legal_name": legal_name, "country": country})
                            .to_string(),
                    ),
                    ..crate::access::entry(&user, "institution.created", legal_name)
                };
                audit::record(tx.conn(), &entry, now).await?;
                Some(id)
            }
            (id, None) => crate::serverfns::institutions::one_of_mine(tx.conn(), id, me).await?,
        };
        let new = NewCommunity {
            slug: &slug,
            name: &f.name,
            description: &f.description,
            field: &f.field,
            website: f.website.as_deref(),
            logo_url: f.logo_url.as_deref(),
            institution_id,
            join_policy: &f.join_policy,
        };
        let id = match communities::insert(tx.conn(), &new, now).await {
            Err(DbError::Conflict) => {
                return Err(AppError::Invalid {
                    field: "slug".into(),
                    message: format!("“{slug}” is taken; choose another."),
                });
            }
            other => other?,
        };
        memberships::add(tx.conn(), id, me, Role::Owner.as_str(), None, now).await?;
        let after = serde_json::json!({
            "slug": slug, "name": f.name, "field": f.field, "website": f.website,
            "logo_url": f.logo_url, "join_policy": f.join_policy, "institution_id": institution_id,
        });
        for (action, target, after) in [
            ("community.created", f.name.as_str(), after),
            (
                "membership.added",
                user.name.as_str(),
                serde_json::json!({"role": "owner"}),
            ),
        ] {
            let entry = audit::Entry {
                community: Some(id),
                institution: institution_id,
                after: Some(after.to_string()),
                ..crate::access::entry(&user, action, target)
            };
            audit::record(tx.conn(), &entry, now).await?;
        }
        tx.commit().await?;
        Ok(slug)
    })
    .await
}

/// A community's page: public facts for everyone, more for its members.
#[server(prefix = "/api", endpoint = "community/get")]
pub async fn get_community(slug: String) -> Result<CommunityView, AppError> {
    crate::ssr::respond(async move {
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access =
            crate::access::community(conn.conn(), &slug, Action::ViewCommunityPage).await?;
        view_of(conn.conn(), &access).await
    })
    .await
}

/// The page of the community `access` was checked for, as its viewer sees it.
#[cfg(feature = "ssr")]
async fn view_of(
    conn: stoa_db::Conn<'_>,
    access: &crate::access::CommunityAccess,
) -> Result<CommunityView, AppError> {
    use stoa_db::accounts::AccountId;
    let c = &access.community;
    let can: Vec<Action> = Action::ALL
        .iter()
        .copied()
        .filter(|a| matches!(a.rule(), crate::policy::Rule::Community { .. }) && access.may(*a))
        .collect();
    let request_pending = match &access.user {
        Some(u) if access.role.is_none() => {
            stoa_db::join_requests::pending_of(conn, c.id, AccountId(u.id))
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
        logo_url: c.logo_url.clone(),
        join_policy: c.join_policy.clone(),
        joined: c.created_at.as_datetime().format("%B %Y").to_string(),
        signed_in: access.user.is_some(),
        my_role: access.role,
        my_end: access.ends_at.map(crate::ssr::date_of),
        can,
        request_pending,
    })
}

/// What matters at a glance: members, hub and billing status; for members, staff and the
/// paying institution's admins.
#[server(prefix = "/api", endpoint = "community/home")]
pub async fn get_community_home(slug: String) -> Result<CommunityHome, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::{institutions, memberships};
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access =
            crate::access::community(conn.conn(), &slug, Action::ViewCommunityHome).await?;
        let c = &access.community;
        let institution = match c.institution_id {
            Some(id) => institutions::get(conn.conn(), id)
                .await?
                .map(|i| i.legal_name),
            None => None,
        };
        Ok(CommunityHome {
            members: memberships::count(conn.conn(), c.id).await?,
            // Hubs arrive with the next milestone; until then every hub is "not deployed".
            hub_status: "Not deployed yet".into(),
            billing_status: if institution.is_some() {
                "Institution chosen; no payment method yet".into()
            } else {
                "No paying institution yet".into()
            },
            institution,
        })
    })
    .await
}

/// The community as its settings form shows it; for those who may change it.
#[server(prefix = "/api", endpoint = "community/settings")]
pub async fn community_settings(slug: String) -> Result<CommunityView, AppError> {
    crate::ssr::respond(async move {
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let access = crate::access::community(conn.conn(), &slug, Action::UpdateCommunity).await?;
        view_of(conn.conn(), &access).await
    })
    .await
}

/// Changes a community's settings (the slug is fixed once chosen: hub URLs use it).
#[server(prefix = "/api", endpoint = "community/update")]
pub async fn update_community(
    slug: String,
    name: String,
    description: String,
    field: String,
    website: String,
    logo_url: String,
    join_policy: String,
) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::communities::{self, NewCommunity};
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::UpdateCommunity).await?;
        let f = validate_fields(
            &name,
            &description,
            &field,
            &website,
            &logo_url,
            &join_policy,
        )?;
        let c = &access.community;
        let new = NewCommunity {
            slug: &c.slug,
            name: &f.name,
            description: &f.description,
            field: &f.field,
            website: f.website.as_deref(),
            logo_url: f.logo_url.as_deref(),
            institution_id: c.institution_id,
            join_policy: &f.join_policy,
        };
        communities::update(tx.conn(), c.id, &new, now).await?;
        let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
        let pairs = [
            ("name", Some(c.name.clone()), Some(f.name.clone())),
            (
                "description",
                Some(c.description.clone()),
                Some(f.description.clone()),
            ),
            ("field", Some(c.field.clone()), Some(f.field.clone())),
            ("website", c.website.clone(), f.website.clone()),
            ("logo_url", c.logo_url.clone(), f.logo_url.clone()),
            (
                "join_policy",
                Some(c.join_policy.clone()),
                Some(f.join_policy.clone()),
            ),
        ];
        for (key, old, new) in pairs {
            if old != new {
                before.insert(key.into(), old.into());
                after.insert(key.into(), new.into());
            }
        }
        if !after.is_empty() {
            access
                .audit(
                    tx.conn(),
                    "community.updated",
                    &f.name,
                    Some(before.into()),
                    Some(after.into()),
                    now,
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Leaves a community (the last owner cannot: transfer ownership first).
#[server(prefix = "/api", endpoint = "community/leave")]
pub async fn leave_community(slug: String) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::memberships;
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::LeaveCommunity).await?;
        let user = access.user()?.clone();
        if access.role == Some(Role::Owner) {
            crate::serverfns::members::ensure_another_owner(tx.conn(), access.community.id).await?;
        }
        memberships::remove(tx.conn(), access.community.id, AccountId(user.id)).await?;
        let before = serde_json::json!({"role": access.role.map(Role::as_str)});
        access
            .audit(
                tx.conn(),
                "membership.left",
                &user.name,
                Some(before),
                None,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Asks to join a community that takes requests; its admins decide.
#[server(prefix = "/api", endpoint = "community/request_join")]
pub async fn request_to_join(slug: String, message: String) -> Result<(), AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{DbError, join_requests};
        let user = crate::access::signed_in(Action::RequestToJoin)?;
        let message = crate::validate::text("message", &message, 1000)?;
        let crate::access::Change {
            mut tx,
            access,
            now,
        } = crate::access::change(&slug, Action::ViewCommunityPage).await?;
        let refuse = |m: &str| AppError::Invalid {
            field: "message".into(),
            message: m.into(),
        };
        if access.role.is_some() {
            return Err(refuse("You are a member already."));
        }
        if access.community.join_policy != "request" {
            return Err(refuse("This community takes members by invitation only."));
        }
        match join_requests::create(
            tx.conn(),
            access.community.id,
            AccountId(user.id),
            &message,
            now,
        )
        .await
        {
            Err(DbError::Conflict) => {
                return Err(refuse("You have asked already; the admins will decide."));
            }
            other => other?,
        };
        access
            .audit(
                tx.conn(),
                "join_request.created",
                &user.name,
                None,
                Some(serde_json::json!({"message": message})),
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The signed-in person's communities and institutions.
#[server(prefix = "/api", endpoint = "me/dashboard")]
pub async fn my_dashboard() -> Result<Dashboard, AppError> {
    crate::ssr::respond(async move {
        use stoa_db::accounts::AccountId;
        use stoa_db::{institutions, memberships};
        let user = crate::access::signed_in(Action::ViewOwnCommunities)?;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let communities = memberships::of_account(conn.conn(), AccountId(user.id)).await?;
        let institutions = institutions::of_admin(conn.conn(), AccountId(user.id)).await?;
        Ok(Dashboard {
            communities: communities
                .into_iter()
                .map(|c| MyCommunityRow {
                    slug: c.slug,
                    name: c.name,
                    role: c.role,
                    ends_on: c.ends_at.map(crate::ssr::date_of),
                })
                .collect(),
            institutions: institutions
                .into_iter()
                .map(|i| (i.id, i.legal_name))
                .collect(),
        })
    })
    .await
}

/// Every community with its member count, for staff; searchable and paged.
#[server(prefix = "/api", endpoint = "staff/communities")]
pub async fn staff_communities(
    query: String,
    page: u32,
    per_page: u32,
) -> Result<StaffCommunityPage, AppError> {
    crate::ssr::respond(async move {
        crate::access::signed_in(Action::ListAllCommunities)?;
        let (query, page, per_page) =
            crate::serverfns::communities::validate_query(&query, page, per_page)?;
        let db = crate::ssr::db()?;
        let mut conn = db.read().await?;
        let offset = i64::from(page - 1) * i64::from(per_page);
        let found = stoa_db::communities::search_with_counts(
            conn.conn(),
            &query,
            i64::from(per_page),
            offset,
        )
        .await?;
        Ok(StaffCommunityPage {
            items: found
                .items
                .into_iter()
                .map(|(c, members)| StaffCommunityRow {
                    created: crate::ssr::date_of(c.created_at),
                    slug: c.slug,
                    name: c.name,
                    members,
                })
                .collect(),
            total: u64::try_from(found.total).unwrap_or(0),
            page,
            per_page,
        })
    })
    .await
}
