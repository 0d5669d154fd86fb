//! The catalog's pages and server functions on both engines: browse, search, filter, sort
//! and page; an entry with its versions; a private entry reaches only its community; bad
//! input is refused with its reason.

use crate::communities::{create_community, person};
use crate::helpers::{TestApp, on_both, require_peers};

async fn import(app: &TestApp, yaml: &str) {
    let mut tx = app.db.begin().await.unwrap();
    stoa_domain::catalog::import(&mut tx, yaml, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

on_both!(the_catalog_lists_searches_and_shows_entries, |app| {
    require_peers();
    import(&app, stoa_server::seed::STARTER_CATALOG).await;
    let anyone = reqwest::Client::new();

    let (status, html) = page(&anyone, &app, "/catalog").await;
    assert_eq!(status, 200);
    assert!(html.contains("8 environments"), "the starter set");
    assert!(html.contains("data-testid=\"entry-pangeo\""));
    assert!(html.contains("geoscience (1)"), "tag filter with its count");

    let (_, html) = page(&anyone, &app, "/catalog?q=tidyverse").await;
    assert!(
        html.contains("3 environments"),
        "R entries mention the tidyverse"
    );
    assert!(html.contains("entry-jupyter-r") && !html.contains("entry-pangeo"));
    let (_, html) = page(&anyone, &app, "/catalog?language=julia&sort=newest").await;
    assert!(html.contains("2 environments"), "datascience and julia");
    let (_, html) = page(&anyone, &app, "/catalog?tag=gpu").await;
    assert!(
        html.contains("1 environment<") || html.contains("1 environment\""),
        "one GPU entry"
    );

    for bad in [
        "/catalog?sort=popular-ish",
        "/catalog?page=0",
        "/catalog?tag=%3Cscript%3E",
    ] {
        let (status, html) = page(&anyone, &app, bad).await;
        assert_eq!(status, 422, "{bad}");
        assert!(
            !html.contains("<script>"),
            "{bad}: nothing typed is rendered as HTML"
        );
    }

    let (status, html) = page(&anyone, &app, "/catalog/pangeo").await;
    assert_eq!(status, 200);
    for text in [
        "Pangeo",
        "pangeo/pangeo-notebook:2025.08.14",
        "quay.io/pangeo/pangeo-notebook:2025.06.02",
        "Use 2025.08.14 instead.",
        "deprecated",
        "https://github.com/pangeo-data/pangeo-docker-images",
    ] {
        assert!(html.contains(text), "{text:?} missing");
    }
    assert!(
        html.contains("<strong>pangeo-notebook</strong>")
            || html.contains("xarray, Dask and the cloud-native"),
        "the description is rendered"
    );
    let (status, _) = page(&anyone, &app, "/catalog/no-such-entry").await;
    assert_eq!(status, 404);

    let (status, body) = app
        .call(&anyone, "catalog/list", &[("q", "pangeo"), ("page", "1")])
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    let (status, body) = app.call(&anyone, "catalog/list", &[("page", "x")]).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("page")),
        "{body}"
    );
});

on_both!(a_private_entry_reaches_only_its_community, |app| {
    require_peers();
    let owner = person(&app, "catalog-owner").await;
    create_community(&app, &owner, "secret-lab", "invite").await;
    let outsider = person(&app, "catalog-outsider").await;
    import(
        &app,
        r#"
entries:
  - slug: secret-stack
    name: Secret Stack
    summary: Only for the lab.
    maintainer: secret-lab
    visibility: private
    tags: [hidden-tag]
    versions:
      - { version: "1", image: "quay.io/lab/secret:1", released: 2025-01-01 }
"#,
    )
    .await;
    for (who, sees) in [
        (&owner.client, true),
        (&outsider.client, false),
        (&reqwest::Client::new(), false),
    ] {
        let (status, html) = page(who, &app, "/catalog/secret-stack").await;
        assert_eq!(status, if sees { 200 } else { 404 });
        let (_, list) = page(who, &app, "/catalog?q=secret").await;
        assert_eq!(list.contains("entry-secret-stack"), sees);
        assert_eq!(list.contains("hidden-tag"), sees, "not even its tag");
        let (_, body) = app.call(who, "catalog/list", &[("q", "secret")]).await;
        assert_eq!(body["total"], i64::from(sees));
        if sees {
            assert!(html.contains("private to its community"));
        }
    }
});
