use serde_json::Value;

use crate::helpers::on_both;

on_both!(healthz_answers_while_the_process_runs, |app| {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    app.stop().await.unwrap();
});

on_both!(readyz_reports_the_database_and_its_migrations, |app| {
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let backend = if app.backend == stoa_db::Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(body["database"]["backend"], backend);
    assert_eq!(body["database"]["reachable"], true);
    assert_eq!(body["database"]["migrations"]["pending"], 0);
    assert_eq!(
        body["database"]["migrations"]["applied"],
        body["database"]["migrations"]["expected"]
    );
});

on_both!(readyz_is_unavailable_while_migrations_are_missing, |app| {
    app.db.migrate_down(0).await.unwrap();
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["reason"], "migrations are not current");
    assert_eq!(body["database"]["migrations"]["applied"], 0);
    // Healthy still: the process is fine, it just must not get traffic.
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.db.migrate().await.unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
});
