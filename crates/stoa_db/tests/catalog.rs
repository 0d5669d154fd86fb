//! The catalog store on both engines: search, filters and sorts give the same entries; a
//! private entry reaches only its community's members (and staff), never others, not in a
//! list, a count, a facet or a lookup; upserts are idempotent.

use chrono::NaiveDate;
use stoa_db::accounts::{self, AccountId};
use stoa_db::catalog::{self, EntryFields, Listing, Sort, VersionFields, Viewer};
use stoa_db::communities::{self, CommunityId, NewCommunity};
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Db, Timestamp, memberships};
use stoa_model::{JoinPolicy, Role, Slug};

fn at(secs: i64) -> Timestamp {
    Timestamp::from(chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0).unwrap())
}

struct Fixture {
    member: AccountId,
    outsider: AccountId,
}

/// slug, name, summary, languages, tags, visibility, status, maintained by the lab.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    &'static str,
    bool,
);

const ENTRIES: &[Row] = &[
    (
        "pangeo",
        "Pangeo",
        "Big data geoscience",
        &["python"],
        &["geoscience", "dask"],
        "public",
        "published",
        false,
    ),
    (
        "jupyter-r",
        "Jupyter R",
        "R and the tidyverse",
        &["r"],
        &["statistics"],
        "public",
        "published",
        false,
    ),
    (
        "datascience",
        "Jupyter Data Science",
        "Python, R and Julia",
        &["python", "r", "julia"],
        &["data-science"],
        "public",
        "published",
        false,
    ),
    (
        "lab-secret",
        "Ocean Lab Secret Stack",
        "Geoscience for the lab only",
        &["python"],
        &["geoscience"],
        "private",
        "published",
        true,
    ),
    (
        "lab-draft",
        "Ocean Lab Draft",
        "Waiting for review",
        &["python"],
        &["geoscience"],
        "public",
        "in_review",
        true,
    ),
];

async fn fill(db: &Db) -> Fixture {
    let mut tx = db.begin().await.unwrap();
    let slug = Slug::parse("ocean-lab").unwrap();
    let new = NewCommunity {
        slug: &slug,
        name: "Ocean Lab",
        description: "",
        field: "",
        website: None,
        logo_url: None,
        institution_id: None,
        join_policy: JoinPolicy::Invite,
    };
    let lab: CommunityId = communities::insert(tx.conn(), &new, at(1_700_000_000))
        .await
        .unwrap();
    let member = accounts::create(tx.conn(), "Member", None, at(1_700_000_000))
        .await
        .unwrap();
    let outsider = accounts::create(tx.conn(), "Outsider", None, at(1_700_000_000))
        .await
        .unwrap();
    memberships::add(
        tx.conn(),
        lab,
        member,
        Role::Member,
        None,
        at(1_700_000_000),
    )
    .await
    .unwrap();
    for (i, (slug, name, summary, languages, tags, visibility, status, ours)) in
        ENTRIES.iter().enumerate()
    {
        let languages: Vec<String> = languages.iter().map(|s| (*s).to_owned()).collect();
        let tags: Vec<String> = tags.iter().map(|s| (*s).to_owned()).collect();
        let fields = EntryFields {
            slug,
            name,
            summary,
            description: "",
            maintainer: ours.then_some(lab),
            source_url: "",
            docs_url: "",
            visibility,
            status,
            languages: &languages,
            tags: &tags,
        };
        let (id, new) = catalog::upsert_entry(tx.conn(), &fields, at(1_700_000_100 + i as i64))
            .await
            .unwrap();
        assert!(new);
        let version = VersionFields {
            version: "1.0",
            image: "quay.io/example/image:1.0",
            release_notes: "",
            released_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            deprecated: false,
            security_notice: "",
        };
        catalog::upsert_version(tx.conn(), id, &version, at(1_700_000_100))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    Fixture { member, outsider }
}

async fn find(db: &Db, viewer: &Viewer, listing: &Listing<'_>) -> (Vec<String>, i64) {
    let mut conn = db.read().await.unwrap();
    let page = catalog::list(conn.conn(), viewer, listing).await.unwrap();
    (page.items.into_iter().map(|e| e.slug).collect(), page.total)
}

fn listing(search: &str) -> Listing<'_> {
    Listing {
        search,
        language: None,
        tag: None,
        sort: Sort::Name,
        limit: 50,
        offset: 0,
    }
}

#[tokio::test]
async fn search_filters_and_visibility_agree_on_both_engines() {
    let (sqlite_db, postgres_db) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Postgres).await,
    );
    for db in [sqlite_db.migrated().await, postgres_db.migrated().await] {
        let f = fill(&db).await;
        let now = at(1_800_000_000);
        let anonymous = Viewer {
            account: None,
            staff: false,
            now,
        };
        let outsider = Viewer {
            account: Some(f.outsider),
            staff: false,
            now,
        };
        let member = Viewer {
            account: Some(f.member),
            staff: false,
            now,
        };
        let staff = Viewer {
            account: None,
            staff: true,
            now,
        };

        let public = ["datascience", "jupyter-r", "pangeo"];
        for viewer in [&anonymous, &outsider] {
            let (slugs, total) = find(&db, viewer, &listing("")).await;
            assert_eq!(
                (slugs, total),
                (public.iter().map(|s| (*s).to_owned()).collect(), 3)
            );
            // Not through search, a filter, a count or a lookup either.
            assert_eq!(find(&db, viewer, &listing("secret")).await, (vec![], 0));
            assert_eq!(find(&db, viewer, &listing("ocean")).await, (vec![], 0));
            let geo = Listing {
                tag: Some("geoscience"),
                ..listing("")
            };
            assert_eq!(
                find(&db, viewer, &geo).await,
                (vec!["pangeo".to_owned()], 1)
            );
            let mut conn = db.read().await.unwrap();
            assert!(
                catalog::get(conn.conn(), viewer, "lab-secret")
                    .await
                    .unwrap()
                    .is_none()
            );
            let facets = catalog::facets(conn.conn(), viewer).await.unwrap();
            let geoscience = facets
                .iter()
                .find(|(k, v, _)| k == "tag" && v == "geoscience")
                .unwrap();
            assert_eq!(geoscience.2, 1, "the private entries are not counted");
        }
        // The lab's members see its entries in every state; staff see everything.
        let (slugs, total) = find(&db, &member, &listing("ocean")).await;
        assert_eq!(
            (slugs, total),
            (vec!["lab-draft".to_owned(), "lab-secret".to_owned()], 2)
        );
        let mut conn = db.read().await.unwrap();
        assert!(
            catalog::get(conn.conn(), &member, "lab-secret")
                .await
                .unwrap()
                .is_some()
        );
        drop(conn);
        assert_eq!(find(&db, &staff, &listing("")).await.1, 5);

        // Search: every word a prefix, accents and case folded; filters combine.
        assert_eq!(
            find(&db, &anonymous, &listing("GEO big")).await.0,
            vec!["pangeo"]
        );
        assert_eq!(
            find(&db, &anonymous, &listing("tidyverse")).await.0,
            vec!["jupyter-r"]
        );
        assert_eq!(
            find(&db, &anonymous, &listing("\"*\" --")).await,
            (vec![], 0),
            "no words: nothing"
        );
        let r = Listing {
            language: Some("r"),
            ..listing("")
        };
        assert_eq!(
            find(&db, &anonymous, &r).await.0,
            vec!["datascience", "jupyter-r"]
        );
        let r_stats = Listing {
            language: Some("r"),
            tag: Some("statistics"),
            ..listing("")
        };
        assert_eq!(find(&db, &anonymous, &r_stats).await.0, vec!["jupyter-r"]);
        let python = Listing {
            language: Some("python"),
            search: "julia",
            ..listing("")
        };
        assert_eq!(find(&db, &anonymous, &python).await.0, vec!["datascience"]);
        // Sorts and pages.
        let newest = Listing {
            sort: Sort::Newest,
            ..listing("")
        };
        assert_eq!(
            find(&db, &anonymous, &newest).await.0,
            vec!["datascience", "jupyter-r", "pangeo"]
        );
        let second = Listing {
            limit: 1,
            offset: 1,
            ..listing("")
        };
        assert_eq!(
            find(&db, &anonymous, &second).await,
            (vec!["jupyter-r".to_owned()], 3)
        );
    }
}

#[tokio::test]
async fn upserts_are_idempotent() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let test_db = TestDb::new(backend).await;
        let db = test_db.migrated().await;
        let tags = vec!["a".to_owned()];
        let mut tx = db.begin().await.unwrap();
        let fields = EntryFields {
            slug: "same",
            name: "Same",
            summary: "first",
            description: "",
            maintainer: None,
            source_url: "",
            docs_url: "",
            visibility: "public",
            status: "published",
            languages: &[],
            tags: &tags,
        };
        let (id, new) = catalog::upsert_entry(tx.conn(), &fields, at(1))
            .await
            .unwrap();
        assert!(new);
        let again = EntryFields {
            summary: "second",
            ..fields.clone()
        };
        assert_eq!(
            catalog::upsert_entry(tx.conn(), &again, at(2))
                .await
                .unwrap(),
            (id, false)
        );
        let v = VersionFields {
            version: "1",
            image: "quay.io/a/b:1",
            release_notes: "",
            released_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            deprecated: false,
            security_notice: "",
        };
        let (vid, new) = catalog::upsert_version(tx.conn(), id, &v, at(1))
            .await
            .unwrap();
        assert!(new);
        let deprecated = VersionFields {
            deprecated: true,
            ..v.clone()
        };
        assert_eq!(
            catalog::upsert_version(tx.conn(), id, &deprecated, at(2))
                .await
                .unwrap(),
            (vid, false)
        );
        let versions = catalog::versions(tx.conn(), id).await.unwrap();
        assert_eq!(versions.len(), 1);
        assert!(versions[0].deprecated);
        assert_eq!(
            catalog::labels(tx.conn(), id).await.unwrap(),
            (vec![], vec!["a".to_owned()])
        );
        tx.commit().await.unwrap();
        let viewer = Viewer {
            account: None,
            staff: false,
            now: at(3),
        };
        let (slugs, total) = find(&db, &viewer, &listing("second")).await;
        assert_eq!(
            (slugs, total),
            (vec!["same".to_owned()], 1),
            "the search follows the update"
        );
        assert_eq!(find(&db, &viewer, &listing("first")).await.1, 0);
    }
}

async fn generation(db: &Db) -> i64 {
    let mut conn = db.read().await.unwrap();
    catalog::generation(conn.conn()).await.unwrap()
}

/// The list cache's generation (migration 0019) moves with every committed change to what
/// the list shows, and only then; who sees which hidden entries is read per viewer.
#[tokio::test]
async fn the_generation_moves_with_every_change_the_list_shows() {
    let (sqlite_db, postgres_db) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Postgres).await,
    );
    for db in [sqlite_db.migrated().await, postgres_db.migrated().await] {
        let g0 = generation(&db).await;
        let f = fill(&db).await;
        let g1 = generation(&db).await;
        assert_ne!(g1, g0, "an import counts");
        assert_eq!(generation(&db).await, g1, "reading does not count");

        let write = async |sql: &str, commit: bool| {
            let mut tx = db.begin().await.unwrap();
            stoa_db::on!(tx.conn(), c => sqlx::query(sql).execute(c).await.map(|_| ())).unwrap();
            if commit {
                tx.commit().await.unwrap();
            }
        };
        let mut last = g1;
        for (what, sql) in [
            (
                "featuring an entry",
                "UPDATE catalog_entries SET featured = TRUE WHERE slug = 'pangeo'",
            ),
            ("a label", "DELETE FROM catalog_labels WHERE value = 'dask'"),
            ("a version", "UPDATE catalog_versions SET deprecated = TRUE"),
            (
                "renaming a maintaining community",
                "UPDATE communities SET name = 'Ocean Lab 2'",
            ),
        ] {
            write(sql, true).await;
            let now = generation(&db).await;
            assert_ne!(now, last, "{what} counts");
            last = now;
        }
        write("DELETE FROM catalog_entries", false).await;
        assert_eq!(generation(&db).await, last, "a rollback does not count");
        write("UPDATE communities SET description = 'Oceans'", true).await;
        write("UPDATE accounts SET name = 'Someone'", true).await;
        assert_eq!(
            generation(&db).await,
            last,
            "a community's description and accounts are on no list"
        );

        // Both of the lab's own entries are hidden from others (one private, one in review):
        // its member's list differs from everyone else's, and only by the lab.
        let mut conn = db.read().await.unwrap();
        let viewer = |account| Viewer {
            account,
            staff: false,
            now: at(1_800_000_000),
        };
        let lab = catalog::own_hidden(conn.conn(), &viewer(Some(f.member)))
            .await
            .unwrap();
        assert_eq!(lab.len(), 1);
        for other in [None, Some(f.outsider)] {
            assert_eq!(
                catalog::own_hidden(conn.conn(), &viewer(other))
                    .await
                    .unwrap(),
                Vec::new()
            );
        }
    }
}
