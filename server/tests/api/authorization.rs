//! The authorization table, over HTTP: every server function and every page, as each of
//! anonymous, member, billing, admin, owner and staff, on their own community (or
//! institution) and on another one. The expected answer comes from the policy, whose own
//! unit test pins every decision to a hand-written table; this test proves that every
//! endpoint asks the policy about the right action and maps the answer to the right status.
//!
//! It fails when a server function, a page or an action is added without an entry here.

use std::collections::BTreeSet;

use reqwest::Client;
use stoa_app::policy::{Action, Actor, Decision, Role, decide};
use stoa_db::accounts::AccountId;
use stoa_db::communities::{CommunityId, NewCommunity};
use stoa_db::{institutions, invitations, join_requests, memberships};

use crate::auth::browser;
use crate::communities::{Person, person};
use crate::helpers::{TestApp, on_both, require_peers};

const WHO: [&str; 6] = ["anonymous", "member", "billing", "admin", "owner", "staff"];

/// What a probe is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Global,
    Community,
    Institution,
}

/// One server function: its path, the action it must ask about, its scope, and the
/// statuses that mean "allowed" (some refuse afterwards for a business reason: 422).
#[rustfmt::skip]
const SERVER_FNS: &[(&str, Action, Scope, &[u16])] = &[
    ("account/current", Action::SignIn, Scope::Global, &[200]),
    ("account/sign_in_options", Action::SignIn, Scope::Global, &[200]),
    ("account/check_link", Action::SignIn, Scope::Global, &[200]),
    ("account/overview", Action::ManageOwnAccount, Scope::Global, &[200]),
    ("account/rename", Action::ManageOwnAccount, Scope::Global, &[200]),
    ("account/unlink", Action::ManageOwnAccount, Scope::Global, &[422]),
    ("communities/list", Action::ViewDirectory, Scope::Global, &[200]),
    ("community/create", Action::CreateCommunity, Scope::Global, &[200]),
    ("me/dashboard", Action::ViewOwnCommunities, Scope::Global, &[200]),
    ("invitations/get", Action::ViewInvitation, Scope::Global, &[200]),
    ("invitations/accept", Action::AcceptInvitation, Scope::Global, &[200]),
    ("institutions/create", Action::CreateInstitution, Scope::Global, &[200]),
    ("staff/overview", Action::ViewStaffOverview, Scope::Global, &[200]),
    ("staff/communities", Action::ListAllCommunities, Scope::Global, &[200]),
    ("console/hubs", Action::ViewOperations, Scope::Global, &[200]),
    ("console/changes", Action::ViewOperations, Scope::Global, &[200]),
    ("audit/all", Action::ViewAllAuditLog, Scope::Global, &[200]),
    ("staff/mail_limit", Action::ManageMailLimits, Scope::Global, &[200]),
    ("staff/set_mail_limit", Action::ManageMailLimits, Scope::Global, &[200]),
    ("community/get", Action::ViewCommunityPage, Scope::Community, &[200]),
    ("community/request_join", Action::RequestToJoin, Scope::Community, &[200, 422]),
    ("community/leave", Action::LeaveCommunity, Scope::Community, &[200, 422]),
    ("community/settings", Action::UpdateCommunity, Scope::Community, &[200]),
    ("community/update", Action::UpdateCommunity, Scope::Community, &[200]),
    ("members/list", Action::ViewMembers, Scope::Community, &[200]),
    ("members/update", Action::ManageMembers, Scope::Community, &[200]),
    ("members/remove", Action::ManageMembers, Scope::Community, &[200]),
    ("members/transfer", Action::TransferOwnership, Scope::Community, &[200]),
    ("invitations/list", Action::ViewInvitations, Scope::Community, &[200]),
    ("invitations/create", Action::ManageInvitations, Scope::Community, &[200]),
    ("invitations/revoke", Action::ManageInvitations, Scope::Community, &[200]),
    ("invitations/resend", Action::ManageInvitations, Scope::Community, &[200]),
    ("requests/list", Action::ViewJoinRequests, Scope::Community, &[200]),
    ("requests/decide", Action::DecideJoinRequests, Scope::Community, &[200]),
    ("audit/community", Action::ViewAuditLog, Scope::Community, &[200]),
    ("billing/get", Action::ViewBilling, Scope::Community, &[200]),
    ("billing/pricing", Action::ViewPricing, Scope::Global, &[200]),
    ("catalog/list", Action::ViewCatalog, Scope::Global, &[200]),
    ("catalog/get", Action::ViewCatalog, Scope::Global, &[200]),
    ("catalog/add_to_hub", Action::EditHub, Scope::Community, &[200]),
    ("catalog/deprecate", Action::ManageCatalog, Scope::Global, &[200]),
    ("catalog/security_notice", Action::ManageCatalog, Scope::Global, &[200]),
    ("catalog/publish_form", Action::ViewOwnCommunities, Scope::Global, &[200]),
    ("catalog/publish", Action::PublishCatalogEntry, Scope::Community, &[200]),
    // 422: the starter entry is not waiting for review (the catalog tests review for real).
    ("catalog/review", Action::ManageCatalog, Scope::Global, &[422]),
    ("catalog/curate", Action::ManageCatalog, Scope::Global, &[200]),
    ("community/catalog_listing", Action::UpdateCommunity, Scope::Community, &[200]),
    ("hub/use_replacement", Action::EditHub, Scope::Community, &[200]),
    ("billing/usage", Action::ViewUsage, Scope::Community, &[200]),
    ("billing/change_plan", Action::ChangePlan, Scope::Community, &[200, 422]),
    ("billing/record_invoice", Action::RecordPayments, Scope::Community, &[200]),
    ("billing/record_payment", Action::RecordPayments, Scope::Community, &[404]),
    ("billing/set_institution", Action::ManageBilling, Scope::Community, &[200]),
    // No Stripe in this table's app: allowed callers are told card payments are not set up.
    ("billing/checkout", Action::ChangePlan, Scope::Community, &[422]),
    ("billing/portal", Action::ChangePlan, Scope::Community, &[422]),
    ("billing/invoice_terms", Action::ChangePlan, Scope::Community, &[422]),
    ("hub/get", Action::ViewHub, Scope::Community, &[200]),
    ("hub/diff", Action::ViewHubRevisions, Scope::Community, &[200]),
    ("hub/preview", Action::ViewHubRevisions, Scope::Community, &[200]),
    ("hub/save_homepage", Action::EditHub, Scope::Community, &[200]),
    ("hub/save_login", Action::EditHub, Scope::Community, &[200]),
    ("hub/save_environment", Action::EditHub, Scope::Community, &[200]),
    ("hub/remove_environment", Action::EditHub, Scope::Community, &[200]),
    ("hub/save_server", Action::EditHub, Scope::Community, &[200]),
    ("hub/save_event", Action::EditHub, Scope::Community, &[200]),
    ("hub/rollback", Action::EditHub, Scope::Community, &[200]),
    ("hub/apply", Action::EditHub, Scope::Community, &[200]),
    // 422: the fixture's hub was never deployed, so there is nothing to start or stop; the
    // refusal comes after the policy let the caller through.
    ("hub/run", Action::EditHub, Scope::Community, &[200, 422]),
    ("hub/intervene", Action::EditHubStaffSettings, Scope::Community, &[200]),
    ("hub/save_staff", Action::EditHubStaffSettings, Scope::Community, &[200]),
    ("announcements/current", Action::SignIn, Scope::Global, &[200]),
    ("announcements/read", Action::ManageOwnAccount, Scope::Global, &[200]),
    ("announcements/list", Action::ManageAnnouncements, Scope::Global, &[200]),
    ("announcements/create", Action::ManageAnnouncements, Scope::Global, &[200]),
    ("announcements/get", Action::ManageAnnouncements, Scope::Global, &[200]),
    ("support/list", Action::ViewTickets, Scope::Community, &[200]),
    ("support/get", Action::ViewTickets, Scope::Community, &[200]),
    ("support/open", Action::WriteTicket, Scope::Community, &[200]),
    ("support/reply", Action::WriteTicket, Scope::Community, &[200]),
    ("support/resolve", Action::WriteTicket, Scope::Community, &[200]),
    ("support/queue", Action::ManageTickets, Scope::Global, &[200]),
    ("support/answer", Action::ManageTickets, Scope::Global, &[200]),
    ("support/update", Action::ManageTickets, Scope::Global, &[200]),
    ("support/consent", Action::WriteTicket, Scope::Community, &[200]),
    // 422: the probe's ticket has no consent to view as its author (the support tests
    // start sessions for real).
    ("support/view_as", Action::ManageTickets, Scope::Global, &[422]),
    ("support/stop_view_as", Action::ManageTickets, Scope::Global, &[200]),
    ("support/request_quota", Action::EditHub, Scope::Community, &[200]),
    // 422: the probe's ticket is not a quota request (the support and real hub tests decide
    // real ones).
    ("support/decide_quota", Action::ManageTickets, Scope::Global, &[422]),
    ("institutions/get", Action::ViewInstitution, Scope::Institution, &[200]),
    ("institutions/update", Action::UpdateInstitution, Scope::Institution, &[200]),
    ("institutions/invite_admin", Action::UpdateInstitution, Scope::Institution, &[200]),
    ("institutions/revoke_invitation", Action::UpdateInstitution, Scope::Institution, &[200]),
    ("institutions/remove_admin", Action::UpdateInstitution, Scope::Institution, &[200]),
];

/// Server function, extra form fields, JSON field, action, scope.
type Part = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    Action,
    Scope,
);

/// Parts of an answer that an action of their own guards inside a call another action
/// allows: the server function, the extra form fields that ask for the part, the JSON field
/// holding it (null when the caller may not see it), the action, its scope.
#[rustfmt::skip]
const PARTS: &[Part] = &[
    ("community/get", &[("glance", "true")], "glance", Action::ViewCommunityHome, Scope::Community),
];

/// Routes outside the server functions and pages (the logo upload is a plain multipart form
/// POST so it works without JavaScript): method and path, the action, its scope, and the
/// statuses that mean "allowed".
#[rustfmt::skip]
const ROUTES: &[(&str, &str, Action, Scope, &[u16])] = &[
    ("GET", "/communities/:slug/logo", Action::ViewCommunityPage, Scope::Community, &[200]),
    ("POST", "/communities/:slug/logo", Action::UpdateCommunity, Scope::Community, &[303]),
    ("POST", "/communities/:slug/logo/remove", Action::UpdateCommunity, Scope::Community, &[303]),
];

/// Every page: its route, the action that governs it, its scope. Pages answer 200, a 303 to
/// sign in, 403 or 404.
#[rustfmt::skip]
const PAGES: &[(&str, Action, Scope)] = &[
    ("/", Action::ViewDirectory, Scope::Global),
    ("/communities", Action::ViewDirectory, Scope::Global),
    ("/pricing", Action::ViewPricing, Scope::Global),
    ("/catalog", Action::ViewCatalog, Scope::Global),
    ("/catalog/:slug", Action::ViewCatalog, Scope::Global),
    ("/catalog/publish", Action::ViewOwnCommunities, Scope::Global),
    ("/signin", Action::SignIn, Scope::Global),
    ("/signin/email-sent", Action::SignIn, Scope::Global),
    ("/signin/link", Action::SignIn, Scope::Global),
    ("/account", Action::ManageOwnAccount, Scope::Global),
    ("/dashboard", Action::ViewOwnCommunities, Scope::Global),
    ("/communities/new", Action::CreateCommunity, Scope::Global),
    ("/invitations/accept", Action::ViewInvitation, Scope::Global),
    ("/institutions/new", Action::CreateInstitution, Scope::Global),
    ("/staff", Action::ViewStaffOverview, Scope::Global),
    ("/staff/communities", Action::ListAllCommunities, Scope::Global),
    ("/staff/hubs", Action::ViewOperations, Scope::Global),
    ("/staff/changes", Action::ViewOperations, Scope::Global),
    ("/staff/audit", Action::ViewAllAuditLog, Scope::Global),
    ("/staff/tickets", Action::ManageTickets, Scope::Global),
    ("/staff/announcements", Action::ManageAnnouncements, Scope::Global),
    ("/staff/announcements/:id", Action::ManageAnnouncements, Scope::Global),
    ("/communities/:slug", Action::ViewCommunityPage, Scope::Community),
    ("/communities/:slug/hub", Action::ViewHub, Scope::Community),
    ("/communities/:slug/hub/diff", Action::ViewHubRevisions, Scope::Community),
    ("/communities/:slug/hub/preview", Action::ViewHubRevisions, Scope::Community),
    ("/communities/:slug/members", Action::ViewMembers, Scope::Community),
    ("/communities/:slug/invitations", Action::ViewInvitations, Scope::Community),
    ("/communities/:slug/requests", Action::ViewJoinRequests, Scope::Community),
    ("/communities/:slug/usage", Action::ViewUsage, Scope::Community),
    ("/communities/:slug/billing", Action::ViewBilling, Scope::Community),
    ("/communities/:slug/settings", Action::UpdateCommunity, Scope::Community),
    ("/communities/:slug/audit", Action::ViewAuditLog, Scope::Community),
    ("/communities/:slug/support", Action::ViewTickets, Scope::Community),
    ("/communities/:slug/support/:number", Action::ViewTickets, Scope::Community),
    ("/institutions/:id", Action::ViewInstitution, Scope::Institution),
];

#[tokio::test]
async fn every_server_fn_page_and_action_has_an_entry() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let listed: BTreeSet<String> = SERVER_FNS.iter().map(|(p, ..)| (*p).to_owned()).collect();
    assert_eq!(
        registered, listed,
        "server functions without an authorization entry (or stale entries)"
    );

    let routes: BTreeSet<String> = leptos_axum::generate_route_list(stoa_app::App)
        .iter()
        .map(|r| r.path().replace('{', ":").replace('}', ""))
        .collect();
    let pages: BTreeSet<String> = PAGES.iter().map(|(p, ..)| (*p).to_owned()).collect();
    assert_eq!(
        routes, pages,
        "pages without an authorization entry (or stale entries)"
    );

    for action in Action::ALL {
        assert!(
            SERVER_FNS.iter().any(|(_, a, ..)| a == action)
                || PARTS.iter().any(|(.., a, _)| a == action),
            "{action:?} is checked by no server function in the table"
        );
    }
}

/// The people and places of the table.
struct Fixture {
    /// member, billing, admin, owner, staff (in [`WHO`] order, from index 1).
    people: Vec<Person>,
    anonymous: Client,
    own: (CommunityId, &'static str),
    other: (CommunityId, &'static str),
    /// Where invitations for the accept probes come from (nobody of the table belongs).
    elsewhere: CommunityId,
    own_institution: i64,
    other_institution: i64,
    stranger: AccountId,
    counter: std::cell::Cell<u32>,
}

impl Fixture {
    fn person(&self, who: &str) -> Option<&Person> {
        let i = WHO.iter().position(|w| *w == who).unwrap();
        (i > 0).then(|| &self.people[i - 1])
    }

    fn client(&self, who: &str) -> &Client {
        self.person(who).map_or(&self.anonymous, |p| &p.client)
    }

    fn fresh(&self, tag: &str) -> String {
        format!("{tag}{}", self.next())
    }

    fn next(&self) -> u32 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }
}

/// Gives `community` a hub with two revisions (so diffs and rollbacks have something to work
/// on), as its owner would have saved them.
async fn hub(app: &TestApp, community: CommunityId, slug: &str) {
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::hubs::create(tx.conn(), community, slug, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for name in ["First", "Second"] {
        hub_revision(app, community, |spec| spec.homepage.org_name = name.into()).await;
    }
}

/// Saves a revision of `community`'s hub changed by `change` directly in the store (the table
/// needs a fresh latest revision before some probes); returns its number.
async fn hub_revision(
    app: &TestApp,
    community: CommunityId,
    change: impl FnOnce(&mut stoa_hubs::HubSpec),
) -> i32 {
    let mut tx = app.db.begin().await.unwrap();
    let hub = stoa_db::hubs::of_community(tx.conn(), community)
        .await
        .unwrap()
        .remove(0);
    let mut spec = if hub.latest_revision == 0 {
        let cfg = stoa_domain::hubs::HubConfig::default();
        stoa_hubs::HubSpec::starter("Lab", &cfg.default_image, &cfg.sizes[0].id)
    } else {
        let stored = stoa_db::hubs::revision(tx.conn(), hub.id, hub.latest_revision)
            .await
            .unwrap()
            .unwrap();
        stoa_hubs::HubSpec::from_json(&stored.spec).unwrap()
    };
    change(&mut spec);
    let json = spec.to_json();
    let owner = memberships::search(tx.conn(), community, "", 1, 0)
        .await
        .unwrap()
        .items[0]
        .account_id;
    let new = stoa_db::hubs::NewRevision {
        base: hub.latest_revision,
        rollback_of: None,
        author: owner,
        message: "Set up by the test",
        spec: &json,
    };
    let saved = stoa_db::hubs::add_revision(tx.conn(), hub.id, &new, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    match saved {
        stoa_db::hubs::Saved::As(n) => n,
        stale => panic!("{stale:?}"),
    }
}

/// The latest revision of `community`'s hub.
async fn hub_latest(app: &TestApp, community: CommunityId) -> i32 {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::hubs::of_community(conn.conn(), community)
        .await
        .unwrap()[0]
        .latest_revision
}

async fn community(app: &TestApp, slug: &'static str, owner: AccountId) -> CommunityId {
    let mut tx = app.db.begin().await.unwrap();
    let parsed = stoa_model::Slug::parse(slug).unwrap();
    let new = NewCommunity {
        slug: &parsed,
        name: slug,
        description: "",
        field: "",
        website: None,
        logo_url: None,
        institution_id: None,
        join_policy: stoa_model::JoinPolicy::Request,
    };
    let id = stoa_db::communities::insert(tx.conn(), &new, app.clock.now())
        .await
        .unwrap();
    memberships::add(tx.conn(), id, owner, Role::Owner, None, app.clock.now())
        .await
        .unwrap();
    // The largest plan, so the hub probes' settings fit whatever they try (bounds are the
    // hub tests' subject, not this table's).
    stoa_db::plans::set(tx.conn(), id, "consortium", owner, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A 1×1 GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Gives `community` a logo (as its owner would have).
async fn set_logo(app: &TestApp, community: CommunityId) {
    let mut tx = app.db.begin().await.unwrap();
    let logo = stoa_db::logos::NewLogo {
        content_type: stoa_model::logo::LogoType::Gif,
        bytes: GIF,
        version: "0123456789abcdef",
        width: 1,
        height: 1,
    };
    let owner = memberships::search(tx.conn(), community, "", 1, 0)
        .await
        .unwrap()
        .items[0]
        .account_id;
    stoa_db::logos::set(tx.conn(), community, &logo, owner, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn account(app: &TestApp, name: &str) -> AccountId {
    let mut tx = app.db.begin().await.unwrap();
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    let id = stoa_db::accounts::create(tx.conn(), name, Some(&email), app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn arrange(app: &TestApp) -> Fixture {
    let mut people = Vec::new();
    for who in &WHO[1..] {
        people.push(person(app, who).await);
    }
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::accounts::set_staff(tx.conn(), &people[4].email, true, app.clock.now())
        .await
        .unwrap();
    // The starter catalog: its public entries are what the catalog's pages show anyone.
    stoa_domain::catalog::import(&mut tx, stoa_server::seed::STARTER_CATALOG, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let stranger = account(app, "Stranger Owner").await;
    let owner = AccountId(people[3].id);
    let own = community(app, "own-lab", owner).await;
    let other = community(app, "other-lab", stranger).await;
    let elsewhere = community(app, "elsewhere-lab", stranger).await;
    let fields = institutions::InstitutionFields {
        legal_name: "Institution",
        address: "",
        country: "DE",
        tax_id: "",
        billing_contacts: "",
    };
    hub(app, own, "own-lab").await;
    hub(app, other, "other-lab").await;
    let mut tx = app.db.begin().await.unwrap();
    let own_institution = institutions::create(tx.conn(), &fields, owner, app.clock.now())
        .await
        .unwrap();
    let other_institution = institutions::create(tx.conn(), &fields, stranger, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Fixture {
        people,
        anonymous: browser(),
        own: (own, "own-lab"),
        other: (other, "other-lab"),
        elsewhere,
        own_institution,
        other_institution,
        stranger,
        counter: std::cell::Cell::new(0),
    }
}

/// Puts the table's people back in their roles (probes leave, transfer, demote).
/// An announcement to everyone, shown now.
async fn probe_announcement(app: &TestApp) -> i64 {
    let now = app.clock.now();
    let mut tx = app.db.begin().await.unwrap();
    let by = stoa_db::accounts::create(tx.conn(), "Announcer", None, now)
        .await
        .unwrap();
    let id = stoa_db::announcements::insert(
        tx.conn(),
        &stoa_db::announcements::NewAnnouncement {
            title: "A probe's announcement",
            body: "",
            severity: "info",
            required: false,
            everyone: true,
            mailed: false,
            starts_at: now - chrono::TimeDelta::hours(1),
            ends_at: now + chrono::TimeDelta::days(1),
            created_by: by,
        },
        &[],
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// A new ticket in `community` that `who` may see if their role lets them: opened by them
/// when they belong to it (a member sees only the tickets they opened), else by a stranger.
async fn probe_ticket(app: &TestApp, fx: &Fixture, who: &str, community: CommunityId) -> i64 {
    let now = app.clock.now();
    let opener = match fx.person(who) {
        Some(p) if community == fx.own.0 && who != "staff" => AccountId(p.id),
        _ => fx.stranger,
    };
    let clock = stoa_db::tickets::Clock {
        first_response_target_secs: 3600,
        first_response_due_at: now + chrono::TimeDelta::hours(1),
        first_responded_at: None,
        resolution_target_secs: 7200,
        resolution_spent_secs: 0,
        resolution_running_since: Some(now),
        resolution_due_at: Some(now + chrono::TimeDelta::hours(2)),
    };
    let mut tx = app.db.begin().await.unwrap();
    let n = stoa_db::tickets::insert(
        tx.conn(),
        &stoa_db::tickets::NewTicket {
            community,
            hub: None,
            opened_by: opener,
            kind: "incident",
            impact: "medium",
            title: "A probe's ticket",
            body: "Something is off.",
            hub_state: "",
            plan: "lab",
            clock: &clock,
        },
        // Opened two days ago: the probes' many tickets must not count against the daily
        // cap on new tickets that the probes of support/open and request_quota meet.
        now - chrono::TimeDelta::days(2),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    n
}

async fn reset(app: &TestApp, fx: &Fixture) {
    let mut tx = app.db.begin().await.unwrap();
    for (i, role) in [Role::Member, Role::Billing, Role::Admin, Role::Owner]
        .into_iter()
        .enumerate()
    {
        let id = AccountId(fx.people[i].id);
        for c in [fx.own.0, fx.other.0, fx.elsewhere] {
            let _ = memberships::remove(tx.conn(), c, id).await;
        }
        memberships::add(tx.conn(), fx.own.0, id, role, None, app.clock.now())
            .await
            .unwrap();
    }
    let staff = AccountId(fx.people[4].id);
    for c in [fx.own.0, fx.other.0, fx.elsewhere] {
        let _ = memberships::remove(tx.conn(), c, staff).await;
    }
    tx.commit().await.unwrap();
}

/// A fresh member (to change or remove), invitation, or join request in `community`.
async fn fresh_member(app: &TestApp, fx: &Fixture, community: CommunityId) -> AccountId {
    let id = account(app, &fx.fresh("Target ")).await;
    let mut tx = app.db.begin().await.unwrap();
    memberships::add(
        tx.conn(),
        community,
        id,
        Role::Member,
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn fresh_invitation(app: &TestApp, fx: &Fixture, community: CommunityId) -> (i64, String) {
    let email = format!("{}@example.org", fx.fresh("invitee"));
    invitation_to(app, fx, community, &email).await
}

/// An invitation to `email` with a known token.
async fn invitation_to(
    app: &TestApp,
    fx: &Fixture,
    community: CommunityId,
    email: &str,
) -> (i64, String) {
    let token = fx.fresh("token-");
    crate::helpers::remember_secret(&token);
    let email = stoa_model::Email::parse(email).unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let new = invitations::NewInvitation {
        community_id: community,
        email: &email,
        role: Role::Member,
        membership_ends_at: None,
        invited_by: fx.stranger,
        expires_at: app.clock.now() + chrono::TimeDelta::days(7),
    };
    // Made an hour ago, so that a resend is past its cooldown.
    let made = app.clock.now() - chrono::TimeDelta::hours(1);
    let id = invitations::create(tx.conn(), &new, made).await.unwrap();
    invitations::set_token(
        tx.conn(),
        id,
        &stoa_auth::hash_token(&token),
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (id, token)
}

/// The form for one call of `endpoint` about `slug` / `institution`.
async fn form(
    app: &TestApp,
    fx: &Fixture,
    endpoint: &str,
    who: &str,
    (community, slug): (CommunityId, &str),
    institution: i64,
) -> Vec<(&'static str, String)> {
    let s = || ("slug", slug.to_owned());
    match endpoint {
        "account/current"
        | "account/sign_in_options"
        | "account/overview"
        | "me/dashboard"
        | "staff/overview" => vec![],
        "account/check_link" => vec![("token", "not-a-token".into())],
        "account/rename" => vec![("name", "Renamed Person".into())],
        "account/unlink" => {
            // Their only identity: allowed to ask, refused as the last way to sign in.
            let id = match fx.person(who) {
                Some(p) => {
                    let mut conn = app.db.read().await.unwrap();
                    stoa_db::accounts::identities(conn.conn(), AccountId(p.id))
                        .await
                        .unwrap()[0]
                        .id
                }
                None => 1,
            };
            vec![("identity_id", id.to_string())]
        }
        "communities/list" | "staff/communities" => {
            vec![
                ("query", String::new()),
                ("page", "1".into()),
                ("per_page", "10".into()),
            ]
        }
        "audit/all" => vec![
            ("community", String::new()),
            ("action", String::new()),
            ("actor", String::new()),
        ],
        "community/create" => vec![
            ("name", "Probe".into()),
            ("slug", fx.fresh("probe-")),
            ("description", String::new()),
            ("field", String::new()),
            ("website", String::new()),
            ("join_policy", "invite".into()),
            ("institution", String::new()),
            ("legal_name", String::new()),
            ("country", String::new()),
        ],
        "invitations/get" => {
            let (_, token) = fresh_invitation(app, fx, fx.elsewhere).await;
            vec![("token", token), ("reference", String::new())]
        }
        "invitations/accept" => {
            // Sent to the caller's own address: accepting is theirs to do (an invitation for
            // someone else is refused whoever asks: see the invitation tests).
            let (id, _) = match fx.person(who) {
                Some(p) => invitation_to(app, fx, fx.elsewhere, &p.email).await,
                None => fresh_invitation(app, fx, fx.elsewhere).await,
            };
            vec![("reference", format!("community-{id}"))]
        }
        "staff/mail_limit" => vec![("slug", "own-lab".into())],
        "staff/set_mail_limit" => vec![("slug", "own-lab".into()), ("per_day", "1000".into())],
        "institutions/create" | "institutions/update" => {
            let mut f = vec![
                ("legal_name", "Probe University".into()),
                ("address", String::new()),
                ("country", "FR".into()),
                ("tax_id", String::new()),
                ("billing_contacts", String::new()),
            ];
            if endpoint == "institutions/update" {
                f.push(("id", institution.to_string()));
            }
            f
        }
        "institutions/get" => vec![("id", institution.to_string())],
        "institutions/invite_admin" => vec![
            ("id", institution.to_string()),
            ("email", format!("{}@example.org", fx.fresh("admin"))),
        ],
        "institutions/revoke_invitation" => {
            let email =
                stoa_model::Email::parse(&format!("{}@example.org", fx.fresh("adm"))).unwrap();
            let mut tx = app.db.begin().await.unwrap();
            let invitation = institutions::invite_admin(
                tx.conn(),
                institution,
                &email,
                fx.stranger,
                app.clock.now() + chrono::TimeDelta::days(7),
                app.clock.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            vec![
                ("id", institution.to_string()),
                ("invitation", invitation.to_string()),
            ]
        }
        "institutions/remove_admin" => {
            // A second admin, so that the remove is allowed when the caller may.
            let extra = account(app, &fx.fresh("Second Admin ")).await;
            let mut tx = app.db.begin().await.unwrap();
            institutions::add_admin(tx.conn(), institution, extra, app.clock.now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            vec![
                ("id", institution.to_string()),
                ("account_id", extra.0.to_string()),
            ]
        }
        "community/get"
        | "community/leave"
        | "community/settings"
        | "invitations/list"
        | "requests/list"
        | "billing/get"
        | "billing/usage"
        | "billing/checkout"
        | "billing/portal"
        | "billing/invoice_terms" => vec![s()],
        "billing/pricing" => vec![("users", "40".into())],
        "catalog/list" => vec![("q", "pangeo".into())],
        "catalog/get" => vec![("slug", "pangeo".into())],
        "catalog/add_to_hub" => vec![
            ("entry", "pangeo".into()),
            ("community", slug.to_owned()),
            ("version", "2025.08.14".into()),
            ("display_name", fx.fresh("Pangeo ")),
        ],
        // The starter set's deprecated version, again with its replacement (so the
        // use_replacement probe still has one to move to).
        "catalog/deprecate" => vec![
            ("entry", "pangeo".into()),
            ("version", "2025.01.10".into()),
            ("replacement", "2025.08.14".into()),
        ],
        "catalog/security_notice" => vec![
            ("entry", "pangeo".into()),
            ("version", "2025.01.10".into()),
            ("notice", "Probe notice.".into()),
        ],
        "community/catalog_listing" => vec![s(), ("listed", "true".into())],
        "catalog/publish_form" => vec![("entry", String::new())],
        "catalog/publish" => vec![
            ("community", slug.to_owned()),
            ("slug", fx.fresh("probe-env-")),
            ("name", "Probe environment".into()),
            ("visibility", "private".into()),
            ("version", "1".into()),
            ("image", "quay.io/probe/env:1".into()),
        ],
        "catalog/review" => vec![("entry", "pangeo".into()), ("decision", "approve".into())],
        "catalog/curate" => vec![("entry", "pangeo".into()), ("action", "feature".into())],
        "announcements/current" | "announcements/list" => vec![],
        "announcements/read" | "announcements/get" => {
            vec![("announcement", probe_announcement(app).await.to_string())]
        }
        "announcements/create" => vec![
            ("title", fx.fresh("Maintenance ")),
            ("severity", "info".into()),
            ("audience", "everyone".into()),
            (
                "ends",
                (app.clock.now() + chrono::TimeDelta::days(30))
                    .as_datetime()
                    .format("%Y-%m-%dT%H:%M")
                    .to_string(),
            ),
        ],
        "support/list" => vec![s()],
        "support/resolve" | "support/get" | "support/reply" => {
            let n = probe_ticket(app, fx, who, community).await;
            let mut form = vec![s(), ("number", n.to_string())];
            if endpoint == "support/reply" {
                form.push(("body", "A probe's reply.".into()));
            }
            form
        }
        "support/open" => vec![
            s(),
            ("kind", "guidance".into()),
            ("impact", "low".into()),
            ("title", "A probe's question".into()),
            ("body", "How do I use the hub?".into()),
        ],
        "support/queue" | "support/stop_view_as" | "console/hubs" | "console/changes" => vec![],
        "support/request_quota" => vec![
            s(),
            ("event_users", "100000".into()),
            ("impact", "low".into()),
            ("body", "A probe's workshop.".into()),
        ],
        "support/decide_quota" => {
            let n = probe_ticket(app, fx, who, community).await;
            vec![
                ("number", n.to_string()),
                ("decision", "decline".into()),
                ("reason", "A probe's reason.".into()),
            ]
        }
        "support/consent" => {
            let n = probe_ticket(app, fx, who, community).await;
            vec![s(), ("number", n.to_string()), ("allow", "true".into())]
        }
        "support/view_as" => {
            let n = probe_ticket(app, fx, who, community).await;
            vec![("number", n.to_string())]
        }
        "support/answer" => {
            let n = probe_ticket(app, fx, who, community).await;
            vec![
                ("number", n.to_string()),
                ("body", "A probe's answer.".into()),
            ]
        }
        "support/update" => {
            let n = probe_ticket(app, fx, who, community).await;
            vec![("number", n.to_string()), ("impact", "high".into())]
        }
        "hub/use_replacement" => {
            // An applied environment on the deprecated Pangeo version (the same one each
            // time, set back to it: an allowed probe moved it on).
            let env = "old-pangeo".to_owned();
            let n = hub_revision(app, community, move |spec| {
                spec.environments.retain(|e| e.slug != "old-pangeo");
                let mut e = spec.environments[0].clone();
                e.slug = "old-pangeo".into();
                e.display_name = format!("Old Pangeo {}", spec.environments.len());
                e.default = false;
                e.image = "pangeo/pangeo-notebook:2025.01.10".into();
                e.catalog = Some(stoa_hubs::CatalogRef {
                    entry: "pangeo".into(),
                    name: "Pangeo".into(),
                    version: "2025.01.10".into(),
                });
                spec.environments.push(e);
            })
            .await;
            let mut tx = app.db.begin().await.unwrap();
            let hub = stoa_db::hubs::of_community(tx.conn(), community)
                .await
                .unwrap()
                .remove(0);
            stoa_db::hubs::request_apply(tx.conn(), hub.id, n, fx.stranger, app.clock.now())
                .await
                .unwrap();
            let uses = [stoa_db::catalog::Use {
                environment: &env,
                entry: "pangeo",
                version: "2025.01.10",
            }];
            stoa_db::catalog::record_uses(tx.conn(), hub.id, &uses)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            vec![s(), ("env_slug", env)]
        }
        "billing/record_invoice" => vec![
            s(),
            ("number", fx.fresh("INV-")),
            ("description", "Membership".into()),
            ("amount", "600.00".into()),
        ],
        // No such invoice of this community: allowed to ask, then 404 (the staff test of
        // billing records real payments).
        "billing/record_payment" => vec![s(), ("invoice_id", "987654321".into())],
        // Confirmed: the change itself is probed (422 once the community is on it).
        "billing/change_plan" => vec![
            s(),
            ("plan", "department".into()),
            ("intent", "confirm".into()),
        ],
        "community/request_join" => vec![s(), ("message", String::new())],
        "community/update" => vec![
            s(),
            ("name", "Renamed community".into()),
            ("description", String::new()),
            ("field", String::new()),
            ("website", String::new()),
            ("join_policy", "request".into()),
        ],
        "members/list" => vec![s(), ("query", String::new()), ("page", "1".into())],
        "members/update" | "members/remove" | "members/transfer" => {
            let target = fresh_member(app, fx, community).await;
            let mut f = vec![s(), ("account_id", target.0.to_string())];
            if endpoint == "members/update" {
                f.push(("role", "billing".into()));
                f.push(("ends_on", String::new()));
            }
            f
        }
        "invitations/create" => vec![
            s(),
            ("emails", format!("{}@example.org", fx.fresh("new"))),
            ("role", "member".into()),
            ("expires_days", "7".into()),
            ("ends_on", String::new()),
        ],
        "invitations/revoke" | "invitations/resend" => {
            let (id, _) = fresh_invitation(app, fx, community).await;
            vec![s(), ("id", id.to_string())]
        }
        "requests/decide" => {
            let asker = account(app, &fx.fresh("Asker ")).await;
            let mut tx = app.db.begin().await.unwrap();
            let id = join_requests::create(tx.conn(), community, asker, "", app.clock.now())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            vec![s(), ("id", id.to_string()), ("approve", "true".into())]
        }
        "audit/community" => vec![s(), ("action", String::new()), ("actor", String::new())],
        "hub/get" => vec![s()],
        "hub/diff" => vec![s(), ("from", "1".into()), ("to", "2".into())],
        "hub/preview" => vec![s(), ("number", "0".into())],
        "hub/apply" => {
            let n = hub_revision(app, community, |spec| {
                spec.homepage.org_name = fx.fresh("Org ")
            })
            .await;
            vec![s(), ("number", n.to_string())]
        }
        "hub/run" => vec![s(), ("run", "true".into())],
        "hub/intervene" => {
            let n = hub_revision(app, community, |spec| {
                spec.homepage.org_name = fx.fresh("Org ")
            })
            .await;
            let mut tx = app.db.begin().await.unwrap();
            let hub = stoa_db::hubs::of_community(tx.conn(), community)
                .await
                .unwrap()
                .remove(0);
            let change = stoa_db::deployments::create(
                tx.conn(),
                hub.id,
                stoa_db::deployments::Action::Apply,
                Some(n),
                None,
                app.clock.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            vec![
                s(),
                ("change", change.0.to_string()),
                ("intent", "cancel".into()),
            ]
        }
        "hub/rollback" => {
            let n = hub_revision(app, community, |spec| {
                spec.homepage.org_name = fx.fresh("Org ")
            })
            .await;
            vec![s(), ("base", n.to_string()), ("to", (n - 1).to_string())]
        }
        "hub/remove_environment" => {
            let env = fx.fresh("extra-");
            let slug = env.clone();
            let n = hub_revision(app, community, move |spec| {
                let mut e = spec.environments[0].clone();
                e.slug.clone_from(&slug);
                e.display_name.clone_from(&slug);
                e.default = false;
                spec.environments.push(e);
            })
            .await;
            vec![
                s(),
                ("base", n.to_string()),
                ("message", String::new()),
                ("env_slug", env),
            ]
        }
        save if save.starts_with("hub/save_") => {
            let base = ("base", hub_latest(app, community).await.to_string());
            let n = fx.next();
            let mut f = vec![s(), base, ("message", String::new())];
            match save {
                "hub/save_homepage" => f.extend([
                    ("org_name", format!("Org {n}")),
                    ("org_url", String::new()),
                    ("funded_by_name", String::new()),
                    ("funded_by_url", String::new()),
                    ("announcement", String::new()),
                ]),
                "hub/save_login" => f.extend([
                    ("email_domains", format!("d{n}.example.edu")),
                    ("cilogon_idps", String::new()),
                    ("github_rules", String::new()),
                ]),
                "hub/save_environment" => f.extend([
                    ("original", String::new()),
                    ("env_slug", format!("probe-{n}")),
                    ("display_name", format!("Probe {n}")),
                    ("description", String::new()),
                    ("image", "quay.io/jupyter/scipy-notebook:2024-03-18".into()),
                    ("size", "small".into()),
                ]),
                "hub/save_server" => f.extend([
                    ("interface", "lab".into()),
                    ("git_repo", String::new()),
                    ("git_branch", String::new()),
                    ("git_path", String::new()),
                    ("idle_timeout_minutes", (30 + n % 60).to_string()),
                    ("max_age_hours", "8".into()),
                    ("home_quota_gib", "10".into()),
                ]),
                "hub/save_event" => f.extend([
                    ("expected_users", (1 + n % 200).to_string()),
                    ("starts_on", "2027-03-01".into()),
                    ("ends_on", "2027-03-02".into()),
                ]),
                "hub/save_staff" => f.extend([
                    ("custom_domain", format!("h{n}.example.org")),
                    ("node_selectors", String::new()),
                    ("extra_resource_limits", String::new()),
                    ("bounds", String::new()),
                ]),
                other => panic!("no form for {other}"),
            }
            f
        }
        "billing/set_institution" => vec![s(), ("institution", String::new())],
        other => panic!("no form for {other}"),
    }
}

fn actor(who: &str, scope: Scope, own: bool) -> Actor {
    let role = match who {
        "member" => Some(Role::Member),
        "billing" => Some(Role::Billing),
        "admin" => Some(Role::Admin),
        "owner" => Some(Role::Owner),
        _ => None,
    };
    Actor {
        signed_in: who != "anonymous",
        staff: who == "staff",
        role: if scope == Scope::Community && own {
            role
        } else {
            None
        },
        pays: scope == Scope::Institution && own && who == "owner",
    }
}

on_both!(
    every_server_fn_and_page_answers_as_the_policy_decides,
    |app| {
        require_peers();
        let fx = arrange(&app).await;
        let mut failures = Vec::new();
        let mut calls = 0;
        for &(endpoint, action, scope, ok) in SERVER_FNS {
            for who in WHO {
                for own in [true, false] {
                    if scope == Scope::Global && !own {
                        continue;
                    }
                    reset(&app, &fx).await;
                    let target = if own { fx.own } else { fx.other };
                    let institution = if own {
                        fx.own_institution
                    } else {
                        fx.other_institution
                    };
                    let form = form(&app, &fx, endpoint, who, target, institution).await;
                    let status = fx
                        .client(who)
                        .post(app.url(&format!("/api/{endpoint}")))
                        .form(&form)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    calls += 1;
                    let decision = decide(&actor(who, scope, own), action);
                    let expected: &[u16] = match decision {
                        Decision::Allow => ok,
                        Decision::SignIn => &[401],
                        Decision::NotFound => &[404],
                        Decision::Forbidden => &[403],
                    };
                    if !expected.contains(&status) {
                        failures.push(format!("{endpoint} as {who} on {} community: {status}, expected {expected:?} ({decision:?})", if own { "their own" } else { "another" }));
                    }
                }
            }
        }
        for &(endpoint, extra, field, action, scope) in PARTS {
            for who in WHO {
                for own in [true, false] {
                    reset(&app, &fx).await;
                    let target = if own { fx.own } else { fx.other };
                    let mut form = form(&app, &fx, endpoint, who, target, 0).await;
                    form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
                    let res = fx
                        .client(who)
                        .post(app.url(&format!("/api/{endpoint}")))
                        .form(&form)
                        .send()
                        .await
                        .unwrap();
                    calls += 1;
                    if res.status() != 200 {
                        continue; // the call's own action refused it: checked above
                    }
                    let body: serde_json::Value = res.json().await.unwrap();
                    let shown = !body[field].is_null();
                    let allowed = decide(&actor(who, scope, own), action) == Decision::Allow;
                    if shown != allowed {
                        failures.push(format!("{endpoint} as {who} on {} community: {field} shown {shown}, allowed {allowed}", if own { "their own" } else { "another" }));
                    }
                }
            }
        }
        reset(&app, &fx).await;
        let (_, token) = fresh_invitation(&app, &fx, fx.elsewhere).await;
        for &(route, action, scope) in PAGES {
            for who in WHO {
                for own in [true, false] {
                    if scope == Scope::Global && !own {
                        continue;
                    }
                    let route = if route.ends_with("/announcements/:id") {
                        route.replace(":id", &probe_announcement(&app).await.to_string())
                    } else {
                        route.to_owned()
                    };
                    let path = route
                        .replace(":slug", if own { fx.own.1 } else { fx.other.1 })
                        .replace(
                            ":id",
                            &(if own {
                                fx.own_institution
                            } else {
                                fx.other_institution
                            })
                            .to_string(),
                        );
                    let path = if path.ends_with("/:number") {
                        let target = if own { fx.own.0 } else { fx.other.0 };
                        let n = probe_ticket(&app, &fx, who, target).await;
                        path.replace(":number", &n.to_string())
                    } else {
                        path
                    };
                    let path = match path.as_str() {
                        "/invitations/accept" => format!("{path}?token={token}"),
                        p if p.ends_with("/hub/diff") => format!("{path}?from=1&to=2"),
                        p if p.ends_with("/hub/preview") => format!("{path}?revision=1"),
                        "/signin/link" => format!("{path}?token=not-a-token"),
                        "/catalog/publish" => path,
                        p if p.starts_with("/catalog/") => "/catalog/pangeo".to_owned(),
                        _ => path,
                    };
                    let status = fx
                        .client(who)
                        .get(app.url(&path))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    calls += 1;
                    let decision = decide(&actor(who, scope, own), action);
                    let expected = match decision {
                        Decision::Allow => 200,
                        Decision::SignIn => 303,
                        Decision::NotFound => 404,
                        Decision::Forbidden => 403,
                    };
                    if status != expected {
                        failures.push(format!(
                            "page {path} as {who}: {status}, expected {expected} ({decision:?})"
                        ));
                    }
                }
            }
        }
        for &(method, route, action, scope, ok) in ROUTES {
            for who in WHO {
                for own in [true, false] {
                    reset(&app, &fx).await;
                    // Each probe finds a logo in place (GET and remove need one).
                    for c in [fx.own.0, fx.other.0] {
                        set_logo(&app, c).await;
                    }
                    let path = route.replace(":slug", if own { fx.own.1 } else { fx.other.1 });
                    let url = app.url(&path);
                    let client = fx.client(who);
                    let request = match (method, path.ends_with("/logo")) {
                        ("GET", _) => client.get(url),
                        (_, true) => {
                            let boundary = "authz-boundary";
                            let mut body = format!(
                                "--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; \
                                 filename=\"l.gif\"\r\nContent-Type: image/gif\r\n\r\n"
                            )
                            .into_bytes();
                            body.extend_from_slice(GIF);
                            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                            client
                                .post(url)
                                .header(
                                    "content-type",
                                    format!("multipart/form-data; boundary={boundary}"),
                                )
                                .body(body)
                        }
                        _ => client.post(url),
                    };
                    let status = request
                        .header("origin", &app.settings.public_url)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    calls += 1;
                    let decision = decide(&actor(who, scope, own), action);
                    let expected: &[u16] = match decision {
                        Decision::Allow => ok,
                        Decision::SignIn => &[401],
                        Decision::NotFound => &[404],
                        Decision::Forbidden => &[403],
                    };
                    if !expected.contains(&status) {
                        failures.push(format!("{method} {path} as {who}: {status}, expected {expected:?} ({decision:?})"));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {calls} answers are wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // Something that does not exist answers exactly like something invisible.
        let member = fx.client("member");
        for endpoint in ["members/list", "audit/community", "billing/get"] {
            let ask = |slug: &'static str| {
                member
                    .post(app.url(&format!("/api/{endpoint}")))
                    .form(&[
                        ("slug", slug),
                        ("query", ""),
                        ("page", "1"),
                        ("action", ""),
                        ("actor", ""),
                    ])
                    .send()
            };
            let (hidden, missing) = (
                ask("other-lab").await.unwrap(),
                ask("no-such-lab").await.unwrap(),
            );
            assert_eq!(hidden.status(), missing.status());
            assert_eq!(
                hidden.text().await.unwrap(),
                missing.text().await.unwrap(),
                "{endpoint}"
            );
        }
    }
);

/// Server functions that take the id of something inside a tenant (a member's account, an
/// invitation, a join request, an institution admin, an identity, a paying institution), so
/// they must check that it belongs to the tenant beside it: each is probed below with the
/// caller's own tenant and an id from another one.
const CROSS_TENANT_PROBES: &[&str] = &[
    "members/update",
    "members/remove",
    "members/transfer",
    "invitations/revoke",
    "invitations/resend",
    "requests/decide",
    "institutions/remove_admin",
    "account/unlink",
    "billing/set_institution",
    "community/create",
    "billing/record_payment",
];

/// Server functions whose id names the tenant itself (an institution): the table above calls
/// them on another institution.
const TENANT_IDS: &[&str] = &[
    "institutions/get",
    "institutions/update",
    "institutions/invite_admin",
    "institutions/revoke_invitation",
];

/// Every `#[server]` function in app/src/serverfns with a parameter that is an id (`id`,
/// `…_id`, or `institution`; not `tax_id`, which is text), by endpoint, read from the source.
fn server_fns_taking_ids() -> BTreeSet<String> {
    let mut files = vec![];
    let mut dirs = vec![crate::helpers::workspace_root().join("app/src/serverfns")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut found = BTreeSet::new();
    for path in files {
        let source = std::fs::read_to_string(path).unwrap();
        for (i, _) in source.match_indices("#[server(") {
            let rest = &source[i..];
            // `#[server(default)]` marks a parameter, not a function.
            if rest.starts_with("#[server(default)]") {
                continue;
            }
            let endpoint = rest
                .split("endpoint = \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("every server function names its endpoint");
            let params = rest
                .split_once("fn ")
                .and_then(|(_, r)| r.split_once('('))
                .and_then(|(_, r)| r.split_once(')'))
                .map(|(p, _)| p)
                .unwrap();
            let takes_id = params.split(',').any(|p| {
                let name = p.split(':').next().unwrap().trim();
                name == "id" || (name.ends_with("_id") && name != "tax_id") || name == "institution"
            });
            if takes_id {
                found.insert(endpoint.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_server_fn_taking_an_id_has_a_cross_tenant_probe() {
    let probed: BTreeSet<String> = CROSS_TENANT_PROBES
        .iter()
        .chain(TENANT_IDS)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        server_fns_taking_ids(),
        probed,
        "server functions taking an id without a cross-tenant probe (or stale entries)"
    );
}

/// What a cross-tenant probe must leave as it was: the other community's members,
/// invitation and requests, the other institution's admins, the other person's identities,
/// the caller's own community's members, and every job and audit entry.
async fn state(app: &TestApp, fx: &Fixture, b_member: AccountId, b_invitation: i64) -> String {
    let mut conn = app.db.read().await.unwrap();
    let (own, other) = (fx.own.0, fx.other.0);
    let mut s = format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
        memberships::get(conn.conn(), other, b_member)
            .await
            .unwrap(),
        memberships::get(conn.conn(), other, fx.stranger)
            .await
            .unwrap(),
        invitations::get(conn.conn(), other, b_invitation)
            .await
            .unwrap(),
        join_requests::pending(conn.conn(), other, 100)
            .await
            .unwrap(),
        institutions::admins(conn.conn(), fx.other_institution)
            .await
            .unwrap(),
        stoa_db::accounts::identities(conn.conn(), AccountId(fx.people[0].id))
            .await
            .unwrap(),
        memberships::count(conn.conn(), own).await.unwrap(),
    );
    for table in [
        "jobs",
        "audit_log",
        "memberships",
        "institution_admins",
        "communities",
    ] {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 =
            stoa_db::on!(conn.conn(), c => sqlx::query_scalar(&sql).fetch_one(c).await).unwrap();
        s.push_str(&format!("{table}: {n}\n"));
    }
    s
}

on_both!(
    ids_from_another_tenant_answer_404_and_change_nothing,
    |app| {
        require_peers();
        let fx = arrange(&app).await;
        reset(&app, &fx).await;
        // The caller: the owner of their own community (`own-lab`) and admin of their own
        // institution, so every refusal below is about the id, not about rights.
        let owner = fx.client("owner");
        let other = fx.other.0;
        let b_member = fresh_member(&app, &fx, other).await;
        let (b_invitation, _) = fresh_invitation(&app, &fx, other).await;
        let asker = account(&app, "Asker in B").await;
        let mut tx = app.db.begin().await.unwrap();
        let b_request = join_requests::create(tx.conn(), other, asker, "", app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let member_identity = {
            let mut conn = app.db.read().await.unwrap();
            stoa_db::accounts::identities(conn.conn(), AccountId(fx.people[0].id))
                .await
                .unwrap()[0]
                .id
        };
        let own_slug = fx.own.1.to_owned();
        let own_institution = fx.own_institution.to_string();
        // (endpoint, form with B's id, the same form with an id that exists nowhere, expected
        // status). Choosing who pays is a form field: another's institution is refused like a
        // wrong choice (422), exactly as one that does not exist.
        let probe = |endpoint: &'static str,
                     field: &'static str,
                     foreign: String,
                     extra: Vec<(&'static str, String)>,
                     status: u16| {
            let with = |id: String| {
                let mut form = vec![(field, id)];
                form.extend(extra.iter().cloned());
                form
            };
            (endpoint, with(foreign), with("987654321".into()), status)
        };
        let s = || ("slug", own_slug.clone());
        let probes = vec![
            probe(
                "members/update",
                "account_id",
                b_member.0.to_string(),
                vec![s(), ("role", "admin".into()), ("ends_on", String::new())],
                404,
            ),
            probe(
                "members/remove",
                "account_id",
                b_member.0.to_string(),
                vec![s()],
                404,
            ),
            probe(
                "members/transfer",
                "account_id",
                b_member.0.to_string(),
                vec![s()],
                404,
            ),
            probe(
                "invitations/revoke",
                "id",
                b_invitation.to_string(),
                vec![s()],
                404,
            ),
            probe(
                "invitations/resend",
                "id",
                b_invitation.to_string(),
                vec![s()],
                404,
            ),
            probe(
                "requests/decide",
                "id",
                b_request.to_string(),
                vec![s(), ("approve", "true".into())],
                404,
            ),
            probe(
                "institutions/remove_admin",
                "account_id",
                fx.stranger.0.to_string(),
                vec![("id", own_institution.clone())],
                404,
            ),
            probe(
                "account/unlink",
                "identity_id",
                member_identity.to_string(),
                vec![],
                404,
            ),
            probe(
                "billing/set_institution",
                "institution",
                fx.other_institution.to_string(),
                vec![s()],
                422,
            ),
            // Staff only: the owner is refused whichever invoice it names (staff naming another
            // community's invoice get 404: see the billing tests).
            probe(
                "billing/record_payment",
                "invoice_id",
                "1".into(),
                vec![s()],
                403,
            ),
            probe(
                "community/create",
                "institution",
                fx.other_institution.to_string(),
                vec![
                    ("name", "Paid by others".into()),
                    ("slug", "paid-by-others".into()),
                    ("description", String::new()),
                    ("field", String::new()),
                    ("website", String::new()),
                    ("logo_url", String::new()),
                    ("join_policy", "invite".into()),
                    ("legal_name", String::new()),
                    ("country", String::new()),
                ],
                422,
            ),
        ];
        let probed: BTreeSet<&str> = probes.iter().map(|(e, ..)| *e).collect();
        assert_eq!(
            probed,
            CROSS_TENANT_PROBES.iter().copied().collect(),
            "one probe per entry"
        );
        let mut failures = Vec::new();
        for (endpoint, foreign, missing, expected) in probes {
            let before = state(&app, &fx, b_member, b_invitation).await;
            let call = |form: Vec<(&'static str, String)>| {
                owner
                    .post(app.url(&format!("/api/{endpoint}")))
                    .form(&form)
                    .send()
            };
            let res = call(foreign).await.unwrap();
            let (status, body) = (res.status().as_u16(), res.text().await.unwrap());
            let res = call(missing).await.unwrap();
            let (missing_status, missing_body) = (res.status().as_u16(), res.text().await.unwrap());
            let after = state(&app, &fx, b_member, b_invitation).await;
            if status != expected {
                failures.push(format!(
                    "{endpoint} with another tenant's id: {status} {body}, expected {expected}"
                ));
            }
            if (status, &body) != (missing_status, &missing_body) {
                failures.push(format!(
                "{endpoint}: another tenant's id answers {status} {body}, one that exists nowhere {missing_status} {missing_body}"
            ));
            }
            if before != after {
                failures.push(format!(
                    "{endpoint} changed something:\n{before}\n-- became --\n{after}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
);
