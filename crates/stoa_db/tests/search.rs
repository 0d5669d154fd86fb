//! Full-text search and the members list order: the same answers on SQLite and PostgreSQL,
//! user input never taken as FTS syntax, and the indexes kept in step with every write.

use stoa_db::accounts;
use stoa_db::communities::{self, NewCommunity};
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Conn, Db, Timestamp, memberships, on};
use stoa_model::{JoinPolicy, Role, Slug};

fn at(secs: i64) -> Timestamp {
    Timestamp::from(chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0).unwrap())
}

/// Name and field of the fixture communities (slug `c<i>`, the later the newer).
const FIXTURE: &[(&str, &str)] = &[
    ("Ocean Lab", "Physics"),
    ("Oceanography Laboratory", "Earth sciences"),
    ("Physics of the Ocean", "Physics"),
    ("Data-Science Group", "Data science"),
    ("École normale supérieure", "Mathématiques"),
    ("ECOLE Polytechnique", "Engineering"),
    ("Straße & Co.", "Économie"),
    ("東京大学 Robotics", "Robotics"),
    ("Ελληνικά Studies", "Classics"),
    ("C++ users: \"AND\" NEAR (OR) NOT *", "Software"),
    ("it's a-b's lab -- 100% ready_now", "Misc"),
    ("example.org hosts a@b.org 3.14", "Web"),
    ("ﬁnance ＦＵＬＬ width x²", "Finance"),
];

async fn fill(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    for (i, (name, field)) in FIXTURE.iter().enumerate() {
        let slug = Slug::parse(&format!("c{i}")).unwrap();
        let new = NewCommunity {
            slug: &slug,
            name,
            description: "Not searched: only name, slug and field are.",
            field,
            website: None,
            logo_url: None,
            institution_id: None,
            join_policy: JoinPolicy::Invite,
        };
        communities::insert(tx.conn(), &new, at(1_700_000_000 + i as i64))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The slugs a search finds, in page order, and the total.
async fn find(db: &Db, q: &str) -> (Vec<String>, i64) {
    let mut conn = db.read().await.unwrap();
    let page = communities::search(conn.conn(), q, 50, 0).await.unwrap();
    let staff = communities::search_with_counts(conn.conn(), q, 50, 0)
        .await
        .unwrap();
    assert_eq!(
        staff.total, page.total,
        "{q:?}: the staff list finds the same"
    );
    let slugs: Vec<String> = page
        .items
        .iter()
        .map(|c| c.slug.as_str().to_owned())
        .collect();
    (slugs, page.total)
}

/// Every query is run on both engines and must give the same page; the expectations pin
/// what that page is (slugs are `c<index in FIXTURE>`, newest first).
#[tokio::test]
async fn both_engines_give_the_same_results() {
    let (sqlite_db, postgres_db) = (
        TestDb::new(Backend::Sqlite).await,
        TestDb::new(Backend::Postgres).await,
    );
    let (sqlite, postgres) = (sqlite_db.migrated().await, postgres_db.migrated().await);
    fill(&sqlite).await;
    fill(&postgres).await;
    let cases: &[(&str, &[usize])] = &[
        ("", &[12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
        ("   ", &[12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
        ("ocean", &[2, 1, 0]),
        ("OCEAN lab", &[1, 0]),
        ("oce lab", &[1, 0]),
        ("cean", &[]),
        ("physics", &[2, 0]),
        ("phys ocean", &[2, 0]),
        ("data-sci", &[3]),
        ("data science", &[3]),
        ("\"data science\"", &[3]),
        ("science data", &[3]),
        ("ecole", &[5, 4]),
        ("école", &[5, 4]),
        ("ÉCOLE", &[5, 4]),
        ("e\u{301}cole", &[5, 4]),
        ("superieure", &[4]),
        ("economie", &[6]),
        ("strasse", &[]),
        ("straße", &[6]),
        ("STRASSE", &[]),
        ("東京", &[7]),
        ("大学", &[]),
        ("ελλην", &[8]),
        ("ΕΛΛΗΝΙΚΑ", &[8]),
        ("c++", &[12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
        ("AND", &[9]),
        ("and", &[9]),
        ("NEAR", &[9]),
        ("NEAR(ocean lab)", &[]),
        ("OR", &[11, 9]),
        ("ocean OR physics", &[]),
        ("NOT ocean", &[]),
        ("ocean NOT lab", &[]),
        ("-ocean", &[2, 1, 0]),
        ("ocean -lab", &[1, 0]),
        ("*", &[]),
        ("oce*", &[2, 1, 0]),
        ("\"", &[]),
        ("\"ocean", &[2, 1, 0]),
        ("'", &[]),
        ("it's", &[10]),
        ("a-b's", &[10]),
        ("100%", &[10]),
        ("ready_now", &[10]),
        ("%", &[]),
        ("_", &[]),
        ("\\", &[]),
        ("ocean\\", &[2, 1, 0]),
        ("ocean:*", &[2, 1, 0]),
        ("ocean & !lab | x", &[]),
        ("(ocean)", &[2, 1, 0]),
        ("^ocean", &[2, 1, 0]),
        ("col:ocean", &[]),
        ("search_words:ocean", &[]),
        ("{ocean lab}", &[1, 0]),
        ("example.org", &[11]),
        ("org", &[11]),
        ("a@b.org", &[11]),
        ("3.14", &[11]),
        ("14", &[11]),
        ("finance", &[12]),
        ("full", &[12]),
        ("ＦＵＬＬ", &[12]),
        ("x2", &[12]),
        ("x²", &[12]),
        ("c1", &[12, 11, 10, 1]),
        ("c", &[12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
        ("c12", &[12]),
        ("normale not", &[]),
        ("zzz", &[]),
        ("🙂", &[]),
        ("ocean 🙂", &[2, 1, 0]),
    ];
    for (q, want) in cases {
        let on_sqlite = find(&sqlite, q).await;
        let on_postgres = find(&postgres, q).await;
        assert_eq!(on_sqlite, on_postgres, "{q:?}: the engines disagree");
        let want: Vec<String> = want.iter().map(|i| format!("c{i}")).collect();
        assert_eq!(on_sqlite.0, want, "{q:?}");
        assert_eq!(on_sqlite.1, want.len() as i64, "{q:?}: total");
    }
    // Paging through a search keeps the order and the total.
    for db in [&sqlite, &postgres] {
        let mut conn = db.read().await.unwrap();
        let second = communities::search(conn.conn(), "ocean", 2, 2)
            .await
            .unwrap();
        let slugs: Vec<_> = second
            .items
            .iter()
            .map(|c| c.slug.as_str().to_owned())
            .collect();
        assert_eq!((slugs, second.total), (vec!["c0".to_owned()], 3));
        let past = communities::search(conn.conn(), "ocean", 2, 4)
            .await
            .unwrap();
        assert_eq!((past.items.len(), past.total), (0, 3));
    }
}

use stoa_db::db_on_both as on_both;

/// On SQLite, FTS5's own check that its index matches the content table.
async fn fts5_consistent(conn: Conn<'_>) {
    if let Conn::Sqlite(c) = conn {
        sqlx::query(
            "INSERT INTO communities_fts (communities_fts, rank) VALUES ('integrity-check', 1)",
        )
        .execute(c)
        .await
        .expect("the FTS5 index matches the communities table");
    }
}

on_both!(the_index_follows_every_write, |db| {
    let slug = Slug::parse("tide").unwrap();
    let mut new = NewCommunity {
        slug: &slug,
        name: "Tide Watchers",
        description: "",
        field: "Oceanography",
        website: None,
        logo_url: None,
        institution_id: None,
        join_policy: JoinPolicy::Invite,
    };
    let mut tx = db.begin().await.unwrap();
    let id = communities::insert(tx.conn(), &new, at(1)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&db, "watch").await.1, 1);

    // Renamed: found by the new name only.
    new.name = "Wave Riders";
    let mut tx = db.begin().await.unwrap();
    communities::update(tx.conn(), id, &new, at(2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&db, "watch").await.1, 0, "the old name is gone");
    assert_eq!(find(&db, "riders").await.1, 1);
    assert_eq!(find(&db, "oceanog").await.1, 1);

    // A rolled-back rename leaves the index as it was.
    new.name = "Never Mind";
    let mut tx = db.begin().await.unwrap();
    communities::update(tx.conn(), id, &new, at(3))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(find(&db, "never").await.1, 0);
    assert_eq!(find(&db, "wave").await.1, 1);

    // A row written by other means than the store's functions (bulk seed, an older release)
    // has no words yet: migrate's backfill indexes it.
    let mut tx = db.begin().await.unwrap();
    on!(tx.conn(), c => sqlx::query("INSERT INTO communities (slug, name, field, created_at, updated_at) \
         VALUES ('raw', 'Raw Insert', 'Geology', $1, $1)").bind(at(4)).execute(c).await.map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&db, "raw").await.1, 0, "not indexed yet");
    db.migrate().await.unwrap();
    assert_eq!(find(&db, "raw geo").await.1, 1, "indexed by the backfill");

    // Deleted: gone from the index too.
    let mut tx = db.begin().await.unwrap();
    on!(tx.conn(), c => sqlx::query("DELETE FROM communities WHERE id = $1").bind(id).execute(c).await.map(|_| ()))
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&db, "wave").await.1, 0);
    let mut conn = db.read().await.unwrap();
    fts5_consistent(conn.conn()).await;
});

on_both!(the_members_list_order_comes_from_the_index, |db| {
    let mut tx = db.begin().await.unwrap();
    let slug = Slug::parse("big").unwrap();
    let new = NewCommunity {
        slug: &slug,
        name: "Big",
        description: "",
        field: "",
        website: None,
        logo_url: None,
        institution_id: None,
        join_policy: JoinPolicy::Invite,
    };
    let community = communities::insert(tx.conn(), &new, at(1)).await.unwrap();
    let people = [
        ("zoe", Role::Owner),
        ("Bob", Role::Member),
        ("alice", Role::Member),
        ("Carol", Role::Admin),
        ("bob", Role::Member),
        ("Dave", Role::Billing),
        ("Erin", Role::Admin),
    ];
    let mut ids = Vec::new();
    for (name, role) in people {
        let id = accounts::create(tx.conn(), name, None, at(1))
            .await
            .unwrap();
        memberships::add(tx.conn(), community, id, role, None, at(1))
            .await
            .unwrap();
        ids.push(id);
    }
    tx.commit().await.unwrap();
    let names = async |db: &Db, q: &str, limit: i64, offset: i64| -> (Vec<String>, i64) {
        let mut conn = db.read().await.unwrap();
        let page = memberships::search(conn.conn(), community, q, limit, offset)
            .await
            .unwrap();
        (page.items.into_iter().map(|m| m.name).collect(), page.total)
    };
    let all = names(&db, "", 50, 0).await;
    assert_eq!(
        all,
        (
            vec!["zoe", "Carol", "Erin", "Dave", "alice", "Bob", "bob"]
                .into_iter()
                .map(String::from)
                .collect(),
            7
        ),
        "owners, admins, billing, members; each by name, any case; ties by account"
    );
    // Pages tile the list.
    let mut paged = Vec::new();
    for offset in (0..7).step_by(3) {
        paged.extend(names(&db, "", 3, offset).await.0);
    }
    assert_eq!(paged, all.0);
    assert_eq!(names(&db, "", 3, 9).await, (vec![], 7), "past the end");
    assert_eq!(names(&db, "BOB", 50, 0).await.1, 2, "search, any case");

    // A rename moves the member (the key follows the account), a role change too.
    let mut tx = db.begin().await.unwrap();
    accounts::rename(tx.conn(), ids[2], "Zed", at(2))
        .await
        .unwrap();
    memberships::update(tx.conn(), community, ids[1], Role::Admin, None, at(2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        names(&db, "", 50, 0).await.0,
        ["zoe", "Bob", "Carol", "Erin", "Dave", "bob", "Zed"]
    );
    assert_eq!(names(&db, "zed", 50, 0).await.1, 1);
});
