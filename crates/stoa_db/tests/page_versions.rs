//! The page version (migration 0007) moves with every committed change to what cached
//! anonymous pages show, and only then; on SQLite and PostgreSQL.

use stoa_db::page_versions::VersionReader;
use stoa_db::testing::TestDb;
use stoa_db::{Backend, Db, PoolSettings, on};

async fn exec(db: &Db, sql: &str, commit: bool) {
    let mut tx = db.begin().await.unwrap();
    on!(tx.conn(), c => sqlx::query(sql).execute(c).await.map(|_| ())).unwrap();
    if commit {
        tx.commit().await.unwrap();
    }
}

async fn bumps_on_every_committed_change(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = Db::connect(&test_db.url, &PoolSettings::default())
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let mut reader = VersionReader::new(db.clone());
    let v0 = reader.read().await.unwrap();
    assert_eq!(reader.read().await.unwrap(), v0, "nothing changed");

    // Changes through another handle, as another process would make them.
    let other = Db::connect(&test_db.url, &PoolSettings::default())
        .await
        .unwrap();
    let t = "'2026-01-01T00:00:00.000000Z'";
    exec(
        &other,
        &format!(
            "INSERT INTO communities (slug, name, join_policy, created_at, updated_at) \
             VALUES ('lab', 'Lab', 'invite', {t}, {t})"
        ),
        true,
    )
    .await;
    let v1 = reader.read().await.unwrap();
    assert_ne!(v1, v0, "an insert counts");

    exec(&other, "UPDATE communities SET name = 'Lab 2'", true).await;
    let v2 = reader.read().await.unwrap();
    assert_ne!(v2, v1, "an update counts");

    let byte = match backend {
        Backend::Sqlite => "x'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    exec(
        &other,
        &format!(
            "INSERT INTO community_logos (community_id, content_type, bytes, version, width, \
             height, updated_at) SELECT id, 'image/png', {byte}, 'v1', 1, 1, {t} FROM communities"
        ),
        true,
    )
    .await;
    let v3 = reader.read().await.unwrap();
    assert_ne!(v3, v2, "a logo counts");

    exec(&other, "DELETE FROM communities", false).await;
    assert_eq!(
        reader.read().await.unwrap(),
        v3,
        "a rollback does not count"
    );

    exec(
        &other,
        &format!("INSERT INTO accounts (name, created_at, updated_at) VALUES ('Ada', {t}, {t})"),
        true,
    )
    .await;
    assert_eq!(
        reader.read().await.unwrap(),
        v3,
        "accounts are on no cached page"
    );

    exec(&other, "DELETE FROM communities", true).await;
    assert_ne!(reader.read().await.unwrap(), v3, "a delete counts");

    reader.close().await;
    other.close().await;
    db.close().await;
}

#[tokio::test]
async fn bumps_on_every_committed_change_sqlite() {
    bumps_on_every_committed_change(Backend::Sqlite).await;
}

#[tokio::test]
async fn bumps_on_every_committed_change_postgres() {
    bumps_on_every_committed_change(Backend::Postgres).await;
}
