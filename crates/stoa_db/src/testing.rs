//! Throwaway databases for tests: a SQLite file in a temporary folder, or a PostgreSQL
//! database with a random name on the server named by `STOA_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Dropped when the guard is.

use std::path::PathBuf;

use sqlx::Connection;

use crate::Backend;

/// Default administrative URL of the test PostgreSQL server.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A fresh, empty database that disappears with this value.
#[derive(Debug)]
pub struct TestDb {
    /// URL to connect to it.
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Folder(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// Connects to this database with the default pool settings and applies the migrations.
    pub async fn migrated(&self) -> crate::Db {
        let db = crate::Db::connect(&self.url, &crate::PoolSettings::default())
            .await
            .expect("connect to the test database");
        db.migrate().await.expect("migrate the test database");
        db
    }

    /// Creates the database. Panics with set-up instructions when PostgreSQL is unreachable:
    /// the PostgreSQL tests are part of the suite, never silently skipped.
    pub async fn new(backend: Backend) -> TestDb {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("stoa-test-{id}"));
                std::fs::create_dir_all(&dir).expect("create temp dir");
                TestDb {
                    url: format!("sqlite://{}", dir.join("stoa.db").display()),
                    cleanup: Cleanup::Folder(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("STOA_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
                let name = format!("stoa_test_{id}");
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL tests need a server at STOA_TEST_POSTGRES_URL (default {DEFAULT_ADMIN_URL}); \
                         start it (see README) or point the variable at one: {e}"
                    )
                });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("STOA_TEST_POSTGRES_URL must end with /<database>"),
                };
                TestDb {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, db_name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot be blocked on; use a
                // thread with its own.
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await?;
                        Ok::<_, sqlx::Error>(())
                    })
                    .map_err(std::io::Error::other)
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("warning: could not drop test database {name}");
                }
            }
        }
    }
}

/// Runs `$body` as two tests, `sqlite` and `postgres`, each with a fresh migrated
/// [`crate::Db`] (`tokio` must be a dev-dependency of the caller).
#[macro_export]
macro_rules! db_on_both {
    ($name:ident, |$db:ident| $body:block) => {
        async fn $name($db: $crate::Db) $body
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let test_db = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                super::$name(test_db.migrated().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                let test_db = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                super::$name(test_db.migrated().await).await;
            }
        }
    };
}
