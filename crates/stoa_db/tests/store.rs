//! The store's behaviour, run identically on SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use stoa_db::communities::{self, NewCommunity};
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Db, DbError, PoolSettings, Timestamp};

/// Runs `$body` as two tests, `sqlite` and `postgres`, each with a fresh migrated `Db`.
macro_rules! on_both {
    ($name:ident, |$db:ident| $body:block) => {
        async fn $name($db: Db) $body
        mod $name {
            use stoa_db::Backend;
            use stoa_db::testing::TestDb;
            #[tokio::test]
            async fn sqlite() {
                let test_db = TestDb::new(Backend::Sqlite).await;
                super::$name(super::connect(&test_db).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                let test_db = TestDb::new(Backend::Postgres).await;
                super::$name(super::connect(&test_db).await).await;
            }
        }
    };
}

async fn connect(test_db: &TestDb) -> Db {
    let db = Db::connect(&test_db.url, &PoolSettings::default())
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    db
}

fn community<'a>(slug: &'a str, name: &'a str) -> NewCommunity<'a> {
    NewCommunity {
        slug,
        name,
        description: "d",
        field: "Physics",
        website: None,
    }
}

fn at(secs: i64, micros: u32) -> Timestamp {
    Timestamp::from(DateTime::<Utc>::from_timestamp(secs, micros * 1000).unwrap())
}

on_both!(migrations_go_up_down_and_up_again, |db| {
    let status = db.migration_status().await.unwrap();
    assert!(status.is_current(), "{status:?}");
    assert!(status.applied >= 1);
    db.migrate_down(0).await.unwrap();
    let status = db.migration_status().await.unwrap();
    assert_eq!(status.applied, 0);
    assert!(status.pending >= 1);
    assert!(!status.is_current());
    db.migrate().await.unwrap();
    assert!(db.migration_status().await.unwrap().is_current());
});

on_both!(insert_then_search, |db| {
    let mut tx = db.begin().await.unwrap();
    communities::insert(
        tx.conn(),
        &community("ocean-lab", "Ocean Lab"),
        at(1_700_000_000, 0),
    )
    .await
    .unwrap();
    communities::insert(
        tx.conn(),
        &community("glacier-group", "Glacier Group"),
        at(1_700_000_100, 0),
    )
    .await
    .unwrap();
    communities::insert(
        tx.conn(),
        &community("pct-lab", "100% Science_Lab"),
        at(1_700_000_200, 0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut conn = db.read().await.unwrap();
    let all = communities::search(conn.conn(), "", 10, 0).await.unwrap();
    assert_eq!(all.total, 3);
    let slugs: Vec<_> = all.items.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(
        slugs,
        ["pct-lab", "glacier-group", "ocean-lab"],
        "newest first"
    );

    let found = communities::search(conn.conn(), "OCEAN", 10, 0)
        .await
        .unwrap();
    assert_eq!(
        (found.total, found.items[0].slug.as_str()),
        (1, "ocean-lab"),
        "case-insensitive"
    );
    // Wildcards in the search text are literal.
    assert_eq!(
        communities::search(conn.conn(), "%", 10, 0)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        communities::search(conn.conn(), "n_l", 10, 0)
            .await
            .unwrap()
            .total,
        0,
        "`_` is no wildcard"
    );
    assert_eq!(
        communities::search(conn.conn(), "e_l", 10, 0)
            .await
            .unwrap()
            .total,
        1
    );
    // Paging.
    let second = communities::search(conn.conn(), "", 2, 2).await.unwrap();
    assert_eq!(
        (
            second.total,
            second.items.len(),
            second.items[0].slug.as_str()
        ),
        (3, 1, "ocean-lab")
    );
});

on_both!(duplicate_slug_is_a_conflict_and_changes_nothing, |db| {
    let mut tx = db.begin().await.unwrap();
    communities::insert(tx.conn(), &community("dup", "First"), Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let err = communities::insert(tx.conn(), &community("dup", "Second"), Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Conflict), "{err:?}");
    drop(tx);
    let mut conn = db.read().await.unwrap();
    let page = communities::search(conn.conn(), "", 10, 0).await.unwrap();
    assert_eq!((page.total, page.items[0].name.as_str()), (1, "First"));
});

on_both!(uncommitted_transactions_roll_back, |db| {
    let mut tx = db.begin().await.unwrap();
    communities::insert(tx.conn(), &community("gone", "Gone"), Timestamp::now())
        .await
        .unwrap();
    drop(tx);
    let mut conn = db.read().await.unwrap();
    assert_eq!(
        communities::search(conn.conn(), "", 10, 0)
            .await
            .unwrap()
            .total,
        0
    );
});

on_both!(timestamps_round_trip_and_order, |db| {
    let times = [
        at(1_700_000_000, 999_999),
        at(1_700_000_000, 5),
        at(1_700_000_001, 0),
        at(0, 0),
    ];
    let mut tx = db.begin().await.unwrap();
    for (i, t) in times.iter().enumerate() {
        let slug = format!("c{i}");
        communities::insert(tx.conn(), &community(&slug, "x"), *t)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut conn = db.read().await.unwrap();
    let page = communities::search(conn.conn(), "", 10, 0).await.unwrap();
    let got: Vec<Timestamp> = page.items.iter().map(|c| c.created_at).collect();
    let mut want = times.to_vec();
    want.sort_by(|a, b| b.cmp(a));
    assert_eq!(got, want, "exact values, ordered by time");
});

on_both!(concurrent_write_transactions_all_succeed, |db| {
    // 64 tasks, each a read-then-write transaction: on SQLite a naive setup fails some of
    // these with "database is locked"; here every one must commit.
    let db = Arc::new(db);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let db = Arc::clone(&db);
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await?;
            let mut conn = tx.conn();
            let before = communities::search(conn.reborrow(), "", 1, 0).await?.total;
            let slug = format!("c{i}");
            communities::insert(conn, &community(&slug, "x"), Timestamp::now()).await?;
            tx.commit().await?;
            Ok::<i64, DbError>(before)
        }));
    }
    let readers: Vec<_> = (0..16)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                let mut conn = db.read().await?;
                communities::search(conn.conn(), "", 5, 0)
                    .await
                    .map(|p| p.total)
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("every write transaction commits");
    }
    for reader in readers {
        reader.await.unwrap().expect("reads succeed during writes");
    }
    let mut conn = db.read().await.unwrap();
    assert_eq!(
        communities::search(conn.conn(), "", 1, 0)
            .await
            .unwrap()
            .total,
        64
    );
});

#[tokio::test]
async fn rejects_unusable_urls_clearly() {
    let settings = PoolSettings::default();
    let err = Db::connect("mysql://localhost/x", &settings)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("sqlite:// or postgres://"),
        "{err}"
    );
    let err = Db::connect("sqlite::memory:", &settings).await.unwrap_err();
    assert!(err.to_string().contains("in-memory"), "{err}");
}

#[tokio::test]
async fn sqlite_is_configured_for_concurrency() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let db = Db::connect(&test_db.url, &PoolSettings::default())
        .await
        .unwrap();
    let mut conn = db.read().await.unwrap();
    let stoa_db::Conn::Sqlite(c) = conn.conn() else {
        panic!("sqlite")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!((mode.as_str(), fk), ("wal", 1));
    assert!(busy >= 1000, "busy_timeout {busy}");
}
