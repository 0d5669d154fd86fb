//! `stoa seed --demo`: realistic demo data, so a fresh portal shows a living directory.
//! Safe to run again: rows that exist already are left alone.

use chrono::{Duration, Utc};
use stoa_db::communities::{self, NewCommunity};
use stoa_db::{Db, DbError, Timestamp};
use stoa_db::{accounts, institutions, memberships};
use stoa_domain::audit::Audit;
use stoa_domain::billing::BillingConfig;
use stoa_domain::hubs::HubConfig;
use stoa_model::{JoinPolicy, Role, Slug};

/// slug, name, field, description, website, days since sign-up
type DemoCommunity = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    i64,
);

const COMMUNITIES: &[DemoCommunity] = &[
    (
        "ocean-modelling-lab",
        "Ocean Modelling Lab",
        "Oceanography",
        "Regional ocean simulations with MOM6 and ROMS; students run analysis notebooks against shared model output.",
        Some("https://ocean-lab.example.edu"),
        3,
    ),
    (
        "data8-fall",
        "Data 8: Foundations of Data Science",
        "Data science education",
        "An introductory course for 1,200 undergraduates; every student gets the same environment on day one.",
        Some("https://data8.example.edu"),
        9,
    ),
    (
        "cryo-cloud",
        "CryoCloud",
        "Glaciology",
        "A NASA-funded community working with ICESat-2 and satellite imagery of ice sheets, on cloud-hosted data.",
        Some("https://cryo.example.org"),
        17,
    ),
    (
        "neuro-imaging-consortium",
        "Neuroimaging Consortium",
        "Neuroscience",
        "Seven labs sharing preprocessing pipelines for MRI data; GPU sessions for model fitting.",
        None,
        26,
    ),
    (
        "climate-risk-workshop",
        "Climate Risk Workshop 2026",
        "Climate science",
        "A two-week summer school on downscaled climate projections; memberships end when the workshop does.",
        Some("https://climate-risk.example.org"),
        34,
    ),
    (
        "genomics-core",
        "Genomics Core Facility",
        "Bioinformatics",
        "Shared notebooks for sequencing QC and variant calling, with large-memory environments for assembly.",
        Some("https://genomics.example.edu"),
        48,
    ),
    (
        "hydrology-commons",
        "Hydrology Commons",
        "Hydrology",
        "Watershed models and streamflow data for a consortium of hydrology groups across three countries.",
        None,
        61,
    ),
    (
        "econ-methods",
        "Econometrics Methods Seminar",
        "Economics",
        "Graduate seminar using R and Python side by side; RStudio is the default interface.",
        None,
        75,
    ),
    (
        "astro-surveys",
        "Astronomical Surveys Group",
        "Astronomy",
        "Catalogue cross-matching and light-curve analysis on survey data releases.",
        Some("https://astro.example.edu"),
        90,
    ),
    (
        "seismo-lab",
        "Seismology Lab",
        "Geophysics",
        "Waveform analysis with ObsPy; shared read-only data directory for continuous station archives.",
        None,
        112,
    ),
    (
        "digital-humanities",
        "Digital Humanities Hub",
        "Humanities",
        "Text mining of historical newspapers, with a notebook per project and group-restricted archives.",
        Some("https://dh.example.org"),
        140,
    ),
    (
        "ml-teaching-lab",
        "Machine Learning Teaching Lab",
        "Computer science education",
        "Hands-on courses in deep learning; small GPU profile for assignments, quotas per student.",
        None,
        175,
    ),
    (
        "public-health-analytics",
        "Public Health Analytics",
        "Epidemiology",
        "Surveillance dashboards and outbreak models for a regional public-health partnership.",
        None,
        210,
    ),
    (
        "materials-sim",
        "Materials Simulation Network",
        "Materials science",
        "DFT post-processing and interactive visualisation of crystal structures.",
        Some("https://materials.example.edu"),
        260,
    ),
];

/// Demo people: (name, email, role in every demo community). The first owns them all.
const PEOPLE: &[(&str, &str, Role)] = &[
    ("Ada Lovelace", "ada@demo.stoa.example", Role::Owner),
    ("Grace Hopper", "grace@demo.stoa.example", Role::Admin),
    (
        "Katherine Johnson",
        "katherine@demo.stoa.example",
        Role::Billing,
    ),
    ("Alan Turing", "alan@demo.stoa.example", Role::Member),
    ("Mary Somerville", "mary@demo.stoa.example", Role::Member),
];

/// The catalog's starter set (`catalog/starter.yaml`), which `stoa seed --demo` loads.
pub const STARTER_CATALOG: &str = include_str!("../../catalog/starter.yaml");

/// Inserts the demo communities, people and an institution that are not there yet; returns
/// how many communities were added. Sign in as a demo person with an email link (without
/// SMTP the link is in the server log).
///
/// The first `apply` demo hubs also get their latest settings applied (by Ada, as she would
/// from the hub page): a portal that runs then starts them as real JupyterHubs, and the
/// catalog counts them among the users of their environments. Every other demo hub starts
/// when someone applies its settings, rather than fourteen at once.
pub async fn demo(
    db: &Db,
    hubs: &HubConfig,
    billing: &BillingConfig,
    desk: &stoa_domain::support::Desk,
    apply: usize,
) -> Result<usize, DbError> {
    let now = Timestamp::now();
    let mut added = 0;
    let mut tx = db.begin().await?;
    // First: the demo hubs' environments come from it.
    stoa_domain::catalog::import(&mut tx, STARTER_CATALOG, now)
        .await
        .map_err(|e| DbError::Config(format!("the starter catalog: {e}")))?;
    let mut people = Vec::new();
    for &(name, email, role) in PEOPLE {
        let id = match accounts::find_by_email(tx.conn(), email).await? {
            Some(account) => account.id,
            None => {
                let id = accounts::create(tx.conn(), name, Some(email), now).await?;
                let identity = accounts::NewIdentity {
                    issuer: accounts::EMAIL_ISSUER,
                    subject: email,
                    provider: "email",
                    email: Some(email),
                };
                accounts::add_identity(tx.conn(), id, &identity, now).await?;
                id
            }
        };
        people.push((id, name, role));
    }
    let owner = people[0].0;
    // The support team: one staff member, who sees the staff console and the queue.
    let (staff_name, staff_email) = STAFF;
    let staff = match accounts::find_by_email(tx.conn(), staff_email).await? {
        Some(account) => account.id,
        None => {
            let id = accounts::create(tx.conn(), staff_name, Some(staff_email), now).await?;
            let identity = accounts::NewIdentity {
                issuer: accounts::EMAIL_ISSUER,
                subject: staff_email,
                provider: "email",
                email: Some(staff_email),
            };
            accounts::add_identity(tx.conn(), id, &identity, now).await?;
            id
        }
    };
    accounts::set_staff(tx.conn(), staff_email, true, now).await?;
    let institution = match institutions::of_admin(tx.conn(), owner).await?.first() {
        Some(existing) => existing.id,
        None => {
            let fields = institutions::InstitutionFields {
                legal_name: "University of Example",
                address: "1 Example Way\nExample City",
                country: "GB",
                tax_id: "GB123456789",
                billing_contacts: "accounts@demo.stoa.example",
            };
            institutions::create(tx.conn(), &fields, owner, now).await?
        }
    };
    for (i, &(slug, name, field, description, website, days_ago)) in COMMUNITIES.iter().enumerate()
    {
        let slug = Slug::parse(slug).expect("demo slugs are valid");
        let new = NewCommunity {
            slug: &slug,
            name,
            description,
            field,
            website,
            logo_url: None,
            // A few pay through the demo institution and take join requests.
            institution_id: (i % 4 == 0).then_some(institution),
            join_policy: if i % 3 == 0 {
                JoinPolicy::Request
            } else {
                JoinPolicy::Invite
            },
        };
        // Checked first rather than caught: on PostgreSQL a failed INSERT aborts the whole
        // transaction.
        if communities::by_slug(tx.conn(), &slug).await?.is_some() {
            continue;
        }
        let joined = Timestamp::from(Utc::now() - Duration::days(days_ago));
        let id = communities::insert(tx.conn(), &new, joined).await?;
        added += 1;
        for &(account, _, role) in &people {
            memberships::add(tx.conn(), id, account, role, None, joined).await?;
        }
        let community = communities::by_id(tx.conn(), id).await?;
        Audit::by_stoa("community.created", name)
            .community(&community)
            .after(serde_json::json!({ "slug": slug, "demo": true }))
            .record(tx.conn(), joined)
            .await?;
        let ada = stoa_domain::Caller {
            id: owner,
            name: people[0].1.to_owned(),
            email: None,
            staff: false,
        };
        // The demo communities take turns on the plans, so each plan has some to look at.
        if let Some(plan) = billing.plans.get(i % billing.plans.len().max(1)) {
            stoa_db::plans::set(tx.conn(), id, &plan.id, owner, joined).await?;
        }
        demo_hub(
            &mut tx,
            hubs,
            billing,
            &ada,
            slug.as_str(),
            i,
            joined,
            i < apply,
        )
        .await?;
        if let Some(tickets) = DEMO_TICKETS.get(i) {
            let plan = billing.plans.get(i % billing.plans.len().max(1));
            let plan = plan.map_or("lab", |p| p.id.as_str());
            for ticket in *tickets {
                demo_ticket(&mut tx, desk, id, &people, staff, plan, ticket, now).await?;
            }
        }
        // Half of them let the catalog name them among the users of their environments.
        if i % 2 == 0 {
            communities::set_listed_in_catalog(tx.conn(), id, true).await?;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// The demo's staff member (`stoa staff add` makes others).
pub const STAFF: (&str, &str) = ("Margaret Hamilton", "margaret@demo.stoa.example");

/// A demo ticket: who opened it (index in [`PEOPLE`]), kind, impact, title, description,
/// hours ago, and what followed: (hours after opening, by staff, internal, text, status).
type DemoTicket = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static [(i64, bool, bool, &'static str, Option<&'static str>)],
);

/// Tickets of the first demo communities, in several states.
const DEMO_TICKETS: &[&[DemoTicket]] = &[
    &[
        (
            3,
            "incident",
            "high",
            "Kernel dies when loading the ERA5 sample",
            "Opening `era5.ipynb` and running the first cell kills the kernel, every time.",
            2,
            &[],
        ),
        (
            4,
            "guidance",
            "low",
            "How do I share a notebook with my students?",
            "I would like them to get a copy of my notebooks when they log in.",
            30,
            &[(
                3,
                true,
                false,
                "You can add an **nbgitpuller** link to the homepage announcement. Which repository holds the notebooks?",
                Some("pending"),
            )],
        ),
    ],
    &[(
        1,
        "change_request",
        "medium",
        "A GPU profile for the deep learning course",
        "Our course in January needs a GPU for about 40 students.",
        20,
        &[
            (
                1,
                true,
                true,
                "Needs a quota ticket: GPU profiles are outside their plan's bounds.",
                None,
            ),
            (
                2,
                true,
                false,
                "We can do that from January 5. How many hours a week per student?",
                Some("open"),
            ),
        ],
    )],
    &[
        (
            0,
            "quota",
            "medium",
            "More than the plan allows: Home quota: 100 GiB; Idle timeout: 48 hours",
            "Our simulations write large outputs and run overnight.",
            5,
            &[],
        ),
        (
            0,
            "incident",
            "critical",
            "Hub unreachable after the last change",
            "Since applying revision 3 the hub answers 502.",
            50,
            &[(
                1,
                true,
                false,
                "The image tag did not exist; we rolled the hub back to revision 2.",
                Some("resolved"),
            )],
        ),
    ],
    &[(
        4,
        "feature_request",
        "low",
        "Show the environment's version in the spawn menu",
        "It would help to know which Pangeo release we are on.",
        400,
        &[(
            20,
            true,
            false,
            "Shipped: the spawn menu now names the catalog version.",
            Some("resolved"),
        )],
    )],
];

/// Records one demo ticket and its conversation with the SLA clocks run as the service runs
/// them, without mail (the people are made up).
async fn demo_ticket(
    tx: &mut stoa_db::WriteTx,
    desk: &stoa_domain::support::Desk,
    community: communities::CommunityId,
    people: &[(accounts::AccountId, &str, Role)],
    staff: accounts::AccountId,
    plan: &str,
    &(who, kind, impact, title, body, hours_ago, after): &DemoTicket,
    now: Timestamp,
) -> Result<(), DbError> {
    use stoa_db::tickets;
    use stoa_support::{Impact, SlaClock, Status};
    let opened = now - Duration::hours(hours_ago);
    let impact_word = Impact::parse(impact).unwrap_or(Impact::Medium);
    let target = desk
        .config
        .target(plan, impact_word)
        .or_else(|| desk.config.target("lab", impact_word))
        .ok_or_else(|| DbError::Config(format!("no support targets for plan {plan}")))?;
    let mut clock = SlaClock::start(&desk.calendar, target, opened.as_datetime());
    let store = stoa_domain::support::to_store;
    let number = tickets::insert(
        tx.conn(),
        &tickets::NewTicket {
            community,
            hub: None,
            opened_by: people[who].0,
            kind,
            impact,
            title,
            body,
            hub_state: "",
            plan,
            clock: &store(&clock),
        },
        opened,
    )
    .await?;
    if kind == "quota" {
        // Waiting for staff to decide: the values the title names.
        let asked = stoa_hubs::quota::QuotaRequest {
            home_quota_gib: Some(100),
            idle_timeout_hours: Some(48),
            ..Default::default()
        };
        let json = serde_json::to_string(&asked).map_err(|e| DbError::Config(e.to_string()))?;
        tickets::insert_quota_request(tx.conn(), number, &json).await?;
    }
    let mut status = Status::New;
    let mut resolved_at = None;
    for &(hours, by_staff, internal, text, to) in after {
        let at = opened + Duration::hours(hours);
        if by_staff && !internal {
            clock.responded(at.as_datetime());
        }
        let next = to.and_then(Status::parse);
        if let Some(next) = next {
            status = next;
            clock.set_running(&desk.calendar, next.clock_runs(), at.as_datetime());
            resolved_at = (next == Status::Resolved).then_some(at);
        }
        tickets::add_message(
            tx.conn(),
            &tickets::NewMessage {
                ticket: number,
                author: if by_staff { staff } else { people[who].0 },
                by_staff,
                internal,
                body: text,
                status_to: next.map(Status::as_str),
            },
            at,
        )
        .await?;
    }
    tickets::save(
        tx.conn(),
        number,
        &tickets::State {
            status: status.as_str(),
            impact,
            assignee: after.iter().any(|a| a.1).then_some(staff),
            clock: &store(&clock),
            resolved_at,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Environments the demo hubs add from the starter catalog, by community: the entry, the
/// name in the spawn menu, the version added first and the one moved to later, if any.
const DEMO_ENVIRONMENTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("pangeo", "Pangeo", "2025.06.02", Some("2025.08.14")),
    ("rocker-binder", "R (Rocker)", "4.5.1", None),
    ("jupyter-datascience", "Data science", "2025-11-10", None),
    ("jupyter-scipy", "SciPy", "2025-11-10", None),
];

/// Gives a demo community a hub with a short history, saved through the same service (and so
/// the same validation and audit trail) as a person's edits: the homepage, an environment from
/// the catalog, a newer version of it; with `apply`, the latest revision applied.
async fn demo_hub(
    tx: &mut stoa_db::WriteTx,
    hubs: &HubConfig,
    billing: &BillingConfig,
    owner: &stoa_domain::Caller,
    slug: &str,
    i: usize,
    joined: Timestamp,
    apply: bool,
) -> Result<(), DbError> {
    use stoa_domain::hubs::{Edit, save};
    use stoa_model::hub::HomepageForm;
    let at = |hours: i64| stoa_domain::Ctx {
        caller: Some(owner.clone()),
        now: Timestamp::from(joined.as_datetime() + Duration::hours(hours)),
        public_url: String::new(),
        limits: stoa_domain::limits::Limits::default(),
    };
    let failed = |e: stoa_domain::DomainError| match e {
        stoa_domain::DomainError::Store(e) => e,
        other => DbError::Config(format!("demo hub of {slug}: {other}")),
    };
    let community = communities::by_slug(tx.conn(), slug)
        .await?
        .ok_or(DbError::NotFound)?;
    let homepage = HomepageForm {
        org_name: community.name.clone(),
        org_url: community.website.clone().unwrap_or_default(),
        funded_by_name: if i.is_multiple_of(4) { "University of Example".into() } else { String::new() },
        funded_by_url: String::new(),
        announcement: "Welcome! Servers stop after an hour without activity; **save your work** in your home folder.".into(),
        show_logo: false,
    };
    save(
        &at(1),
        tx,
        hubs,
        billing,
        slug,
        0,
        "Set up the hub",
        &Edit::Homepage(homepage),
        false,
    )
    .await
    .map_err(failed)?;
    // An environment from the catalog, then (where the entry has a newer version) the move
    // to it, so the history reads "Pangeo 2025.06.02 → 2025.08.14".
    let (entry, name, first, later) = DEMO_ENVIRONMENTS[i % DEMO_ENVIRONMENTS.len()];
    stoa_domain::catalog::add_to_hub(&at(2), tx, hubs, billing, entry, slug, first, name)
        .await
        .map_err(failed)?;
    let mut latest = 2;
    if let Some(later) = later {
        stoa_domain::catalog::move_to_version(&at(24), tx, hubs, billing, slug, entry, later)
            .await
            .map_err(failed)?;
        latest = 3;
    }
    if apply {
        stoa_domain::hubs::request_apply(&at(25), tx, slug, latest, None)
            .await
            .map_err(failed)?;
    }
    Ok(())
}

/// The number of demo communities.
pub fn demo_community_count() -> usize {
    COMMUNITIES.len()
}

/// What [`scale`] made.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Communities.
    pub communities: i64,
    /// Accounts.
    pub accounts: i64,
    /// Memberships.
    pub memberships: i64,
    /// Hubs (one per community).
    pub hubs: i64,
}

/// Bulk data for benchmarks: `communities` communities (`bench-1` …) and `members`
/// memberships spread over them, one account per membership, plus one large community
/// (`bench-1`) holding a tenth of all members; each community has a hub with one revision,
/// applied, and one provisioning change (every tenth failed, so the staff console's filters
/// have something to find). Set-based SQL (a recursive CTE works on both engines), so
/// 100,000 rows take seconds, not minutes. Refuses to run twice.
pub async fn scale(db: &Db, communities: i64, members: i64) -> Result<Scale, DbError> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let conn = &mut tx;
    let exists: Option<i64> = stoa_db::on!(conn.conn(), c => sqlx::query_scalar("SELECT id FROM communities WHERE slug = 'bench-1'")
        .fetch_optional(c).await)?;
    if exists.is_some() {
        return Err(DbError::Conflict);
    }
    const COMMUNITIES_SQL: &str = "INSERT INTO communities (slug, name, description, field, join_policy, created_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         SELECT 'bench-' || i, 'Bench community ' || i, 'Generated for benchmarks.', \
                CASE i % 4 WHEN 0 THEN 'Physics' WHEN 1 THEN 'Biology' WHEN 2 THEN 'Data science' ELSE 'Economics' END, \
                'invite', $2, $2 FROM n";
    const ACCOUNTS_SQL: &str = "INSERT INTO accounts (name, email, created_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         SELECT 'Bench Person ' || i, 'bench' || i || '@bench.stoa.example', $2, $2 FROM n";
    // Bench person n (n = 1..) owns community n while n <= N; after that every tenth person
    // joins bench-1 (the large community) and the others spread evenly as members.
    const MEMBERSHIPS_SQL: &str = "INSERT INTO memberships (community_id, account_id, role, created_at, updated_at) \
         SELECT c.id, a.id, CASE WHEN a.n <= $1 THEN 'owner' ELSE 'member' END, $2, $2 \
         FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM accounts WHERE email LIKE '%@bench.stoa.example') a \
         JOIN communities c ON c.slug = 'bench-' || (CASE WHEN a.n > $1 AND a.n % 10 = 0 THEN 1 ELSE ((a.n - 1) % $1) + 1 END)";
    stoa_db::on!(conn.conn(), c => sqlx::query(COMMUNITIES_SQL).bind(communities).bind(now)
        .execute(c).await.map(|_| ()))?;
    stoa_db::on!(conn.conn(), c => sqlx::query(ACCOUNTS_SQL).bind(members).bind(now)
        .execute(c).await.map(|_| ()))?;
    let memberships = stoa_db::on!(conn.conn(), c => sqlx::query(MEMBERSHIPS_SQL)
        .bind(communities).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    // The hubs belong to a runner no Stoa process is named after: a bench server must not
    // try to start ten thousand local hubs (as if another process, or Kubernetes, ran them).
    const HUBS_SQL: &str = "INSERT INTO hubs (community_id, slug, latest_revision, applied_revision, \
         applied_at, created_at, backend, runner, desired_state, deployed_revision) \
         SELECT id, slug, 1, 1, $1, $1, 'local', 'bench-elsewhere', 'running', \
                CASE WHEN id % 10 = 0 THEN NULL ELSE 1 END \
         FROM communities WHERE slug LIKE 'bench-%'";
    const REVISIONS_SQL: &str = "INSERT INTO hub_revisions (hub_id, number, message, spec, created_at) \
         SELECT id, 1, 'First settings', $2, $1 FROM hubs WHERE runner = 'bench-elsewhere'";
    const CHANGES_SQL: &str = "INSERT INTO hub_deployments (hub_id, action, revision, state, message, \
         attempts, requested_at, updated_at, finished_at) \
         SELECT id, 'apply', 1, CASE WHEN id % 10 = 0 THEN 'failed' ELSE 'healthy' END, \
                CASE WHEN id % 10 = 0 THEN 'The hub did not answer within 120 s.' END, 1, $1, $1, $1 \
         FROM hubs WHERE runner = 'bench-elsewhere'";
    let spec = stoa_hubs::HubSpec::starter(
        "Bench community",
        "quay.io/jupyter/scipy-notebook:2025-01-06",
        "small",
    )
    .to_json();
    let hubs = stoa_db::on!(conn.conn(), c => sqlx::query(HUBS_SQL).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    stoa_db::on!(conn.conn(), c => sqlx::query(REVISIONS_SQL).bind(now).bind(&spec)
        .execute(c).await.map(|_| ()))?;
    stoa_db::on!(conn.conn(), c => sqlx::query(CHANGES_SQL).bind(now)
        .execute(c).await.map(|_| ()))?;
    // The bulk INSERT above wrote no search words: made here, as for any other community.
    communities::index_pending(tx.conn()).await?;
    tx.commit().await?;
    Ok(Scale {
        communities,
        accounts: members,
        memberships: i64::try_from(memberships).unwrap_or(i64::MAX),
        hubs: i64::try_from(hubs).unwrap_or(i64::MAX),
    })
}

/// Bulk catalog entries for benchmarks: `entries` public entries maintained by staff, with
/// languages, tags, a description and one version each, written through the same store
/// functions as an import (so search words and labels are as in real use). Once: the slugs
/// (`bench-env-1`, …) are unique.
pub async fn catalog_scale(db: &Db, entries: i64) -> Result<(), DbError> {
    const TOPICS: &[&str] = &[
        "geoscience",
        "genomics",
        "astronomy",
        "teaching",
        "gpu",
        "climate",
        "neuroscience",
        "economics",
        "chemistry",
        "linguistics",
    ];
    const LANGUAGES: &[&str] = &["python", "r", "julia"];
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    if stoa_db::catalog::get(
        tx.conn(),
        &stoa_db::catalog::Viewer {
            account: None,
            staff: true,
            now,
        },
        "bench-env-1",
    )
    .await?
    .is_some()
    {
        return Err(DbError::Conflict);
    }
    for i in 1..=entries {
        let n = usize::try_from(i).unwrap_or_default();
        let (a, b) = (TOPICS[n % TOPICS.len()], TOPICS[(n / 3) % TOPICS.len()]);
        let slug = format!("bench-env-{i}");
        let name = format!("Bench Environment {i}");
        let summary = format!("A {a} and {b} stack for benchmarks.");
        let description = format!(
            "Environment number {i}: **{a}** tools with {b} extras, pinned for reproducible work."
        );
        let languages = vec![LANGUAGES[n % LANGUAGES.len()].to_owned()];
        let mut tags = vec![a.to_owned(), b.to_owned()];
        tags.sort();
        tags.dedup();
        let fields = stoa_db::catalog::EntryFields {
            slug: &slug,
            name: &name,
            summary: &summary,
            description: &description,
            maintainer: None,
            source_url: "",
            docs_url: "",
            visibility: "public",
            status: "published",
            languages: &languages,
            tags: &tags,
        };
        let (id, _) = stoa_db::catalog::upsert_entry(tx.conn(), &fields, now).await?;
        let image = format!("quay.io/bench/env-{i}:1.0");
        let version = stoa_db::catalog::VersionFields {
            version: "1.0",
            image: &image,
            release_notes: "",
            released_on: now.as_datetime().date_naive(),
            deprecated: false,
            security_notice: "",
        };
        stoa_db::catalog::upsert_version(tx.conn(), id, &version, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
