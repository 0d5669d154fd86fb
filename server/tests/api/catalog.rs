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

/// How many mails maildev holds for `email` whose subject contains `subject`, after a worker
/// pass (nothing queued is left).
async fn mails(app: &TestApp, email: &str, subject: &str) -> usize {
    app.run_worker().await;
    let maildev = std::env::var("STOA_TEST_MAILDEV_URL").unwrap();
    let all: Vec<serde_json::Value> = reqwest::get(format!("{maildev}/api/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.iter()
        .filter(|m| {
            m["to"]
                .as_array()
                .is_some_and(|to| to.iter().any(|t| t["address"] == email))
                && m["subject"].as_str().is_some_and(|s| s.contains(subject))
        })
        .count()
}

async fn add(
    app: &TestApp,
    who: &reqwest::Client,
    community: &str,
    entry: &str,
    version: &str,
    name: &str,
) -> (u16, serde_json::Value) {
    app.call(
        who,
        "catalog/add_to_hub",
        &[
            ("entry", entry),
            ("community", community),
            ("version", version),
            ("display_name", name),
        ],
    )
    .await
}

async fn apply(app: &TestApp, who: &reqwest::Client, community: &str, number: i64) {
    let number = number.to_string();
    let (status, body) = app
        .call(
            who,
            "hub/apply",
            &[("slug", community), ("number", &number)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

const TWO_VERSIONS: &str = r#"
entries:
  - slug: ocean-stack
    name: Ocean Stack
    summary: Models and data for oceanography.
    languages: [python]
    tags: [geoscience]
    versions:
      - { version: "1.0", image: "quay.io/ocean/stack:1.0", released: 2025-01-01 }
      - { version: "2.0", image: "quay.io/ocean/stack:2.0", released: 2026-01-01 }
"#;

// "Add to my hub" makes a revision whose environment names its catalog version (and reads
// so in the diff); deprecated versions, versions that do not exist, other people's hubs and
// private entries of another community are refused; applied, the hub counts as a user.
on_both!(
    an_entry_added_to_a_hub_is_a_revision_naming_its_version,
    |app| {
        require_peers();
        import(&app, stoa_server::seed::STARTER_CATALOG).await;
        import(&app, TWO_VERSIONS).await;
        let ada = person(&app, "catalog-add-owner").await;
        create_community(&app, &ada, "ocean-cat", "invite").await;
        let (_, html) = page(&ada.client, &app, "/catalog/pangeo").await;
        assert!(html.contains("Add to my hub") && html.contains("value=\"ocean-cat\""));
        assert!(
            !html.contains("<option value=\"2025.01.10\""),
            "deprecated versions are not offered"
        );
        let (_, html) = page(&reqwest::Client::new(), &app, "/catalog/pangeo").await;
        assert!(!html.contains("add-to-hub-form"), "nobody to add it for");

        let (status, body) = add(&app, &ada.client, "ocean-cat", "ocean-stack", "1.0", "").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["number"], 1);
        assert_eq!(
            body["changes"][0],
            "Environment 'Ocean Stack 1.0' added (Ocean Stack 1.0 from the catalog)"
        );
        let (status, body) = add(
            &app,
            &ada.client,
            "ocean-cat",
            "pangeo",
            "2025.08.14",
            "Pangeo",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["number"], 2);

        for (version, field, says) in [
            (
                "2025.01.10",
                "version",
                "Version 2025.01.10 is deprecated. Use 2025.08.14 instead.",
            ),
            ("1999.01", "version", "Choose one of the versions listed."),
        ] {
            let (status, body) = add(&app, &ada.client, "ocean-cat", "pangeo", version, "").await;
            assert_eq!(
                (status, body["field"].as_str()),
                (422, Some(field)),
                "{body}"
            );
            assert_eq!(body["message"], says);
        }
        let (status, _) = add(&app, &ada.client, "ocean-cat", "no-such-entry", "1", "").await;
        assert_eq!(status, 404);
        let stranger = person(&app, "catalog-add-stranger").await;
        let (status, _) = add(
            &app,
            &stranger.client,
            "ocean-cat",
            "pangeo",
            "2025.08.14",
            "",
        )
        .await;
        assert_eq!(status, 404, "not their community");
        let member = person(&app, "catalog-add-member").await;
        crate::communities::add_member(&app, "ocean-cat", member.id, "member").await;
        let (status, _) = add(
            &app,
            &member.client,
            "ocean-cat",
            "pangeo",
            "2025.08.14",
            "",
        )
        .await;
        assert_eq!(status, 403, "members do not edit the hub");

        // A private entry of another community Ada also runs: only that community's hub.
        create_community(&app, &ada, "secret-cat", "invite").await;
        import(
            &app,
            r#"
entries:
  - slug: secret-cat-stack
    name: Secret
    maintainer: secret-cat
    visibility: private
    versions:
      - { version: "1", image: "quay.io/lab/secret:1", released: 2025-01-01 }
"#,
        )
        .await;
        let (status, body) = add(&app, &ada.client, "ocean-cat", "secret-cat-stack", "1", "").await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("community")),
            "{body}"
        );
        let (status, body) =
            add(&app, &ada.client, "secret-cat", "secret-cat-stack", "1", "").await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = add(
            &app,
            &stranger.client,
            "ocean-cat",
            "secret-cat-stack",
            "1",
            "",
        )
        .await;
        assert_eq!(status, 404, "a private entry is not found by others");

        // Moving to another version by hand (the environment form with the same image) keeps
        // the reference; the diff reads in catalog words.
        let (_, h) = app
            .call(&ada.client, "hub/get", &[("slug", "ocean-cat")])
            .await;
        let envs = h["detail"]["form"]["environments"]
            .as_array()
            .unwrap()
            .clone();
        let stack = envs.iter().find(|e| e["slug"] == "ocean-stack").unwrap();
        assert_eq!(stack["image"], "quay.io/ocean/stack:1.0");

        // Nothing applied yet: nobody uses anything.
        let (_, list) = app
            .call(&ada.client, "catalog/list", &[("sort", "popular")])
            .await;
        assert!(
            list["entries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["used_by"] == 0)
        );
        apply(&app, &ada.client, "ocean-cat", 2).await;
        let (_, list) = app
            .call(&ada.client, "catalog/list", &[("sort", "popular")])
            .await;
        let first: Vec<(&str, i64)> = list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .map(|e| (e["slug"].as_str().unwrap(), e["used_by"].as_i64().unwrap()))
            .collect();
        assert_eq!(first[..2], [("ocean-stack", 1), ("pangeo", 1)], "{first:?}");
        assert_eq!(first[2].1, 0);
        let (_, html) = page(&stranger.client, &app, "/catalog/pangeo").await;
        assert!(html.contains("used by 1 hub"));
        assert!(
            !html.contains("entry-communities"),
            "communities are not named until they choose to be"
        );
        let (status, body) = app
            .call(
                &ada.client,
                "community/catalog_listing",
                &[("slug", "ocean-cat"), ("listed", "true")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (_, html) = page(&stranger.client, &app, "/catalog/pangeo").await;
        assert!(
            html.contains("entry-communities") && html.contains("href=\"/communities/ocean-cat\"")
        );
        // The private entry in use counts for its own community only: strangers see nothing of it.
        apply(&app, &ada.client, "secret-cat", 1).await;
        let (_, body) = app
            .call(&stranger.client, "catalog/list", &[("sort", "popular")])
            .await;
        assert!(!body.to_string().contains("secret-cat-stack"));
    }
);

// Deprecating a version tells the admins of exactly the hubs whose applied revision uses it,
// once, and their hub page offers the replacement as a one-click revision; a security notice
// is mailed the same way.
on_both!(
    deprecation_reaches_the_admins_of_hubs_using_the_version_once,
    |app| {
        require_peers();
        import(&app, TWO_VERSIONS).await;
        let ada = person(&app, "dep-owner").await;
        let bob = person(&app, "dep-admin").await;
        let carl = person(&app, "dep-member").await;
        create_community(&app, &ada, "dep-ocean", "invite").await;
        crate::communities::add_member(&app, "dep-ocean", bob.id, "admin").await;
        crate::communities::add_member(&app, "dep-ocean", carl.id, "member").await;
        let (status, body) = add(
            &app,
            &ada.client,
            "dep-ocean",
            "ocean-stack",
            "1.0",
            "Ocean",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        apply(&app, &ada.client, "dep-ocean", 1).await;
        // Uses version 2.0: not told.
        let dora = person(&app, "dep-other").await;
        create_community(&app, &dora, "dep-other", "invite").await;
        add(&app, &dora.client, "dep-other", "ocean-stack", "2.0", "").await;
        apply(&app, &dora.client, "dep-other", 1).await;
        // Saved 1.0 but never applied: not told.
        let eve = person(&app, "dep-draft").await;
        create_community(&app, &eve, "dep-draft", "invite").await;
        add(&app, &eve.client, "dep-draft", "ocean-stack", "1.0", "").await;

        let grace = person(&app, "dep-staff").await;
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::accounts::set_staff(tx.conn(), &grace.email, true, app.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let deprecate = |replacement: &'static str| {
            [
                ("entry", "ocean-stack"),
                ("version", "1.0"),
                ("replacement", replacement),
            ]
        };
        let (status, _) = app
            .call(&ada.client, "catalog/deprecate", &deprecate("2.0"))
            .await;
        assert_eq!(status, 403, "staff only");
        let (status, body) = app
            .call(&grace.client, "catalog/deprecate", &deprecate("1.0"))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("replacement")),
            "{body}"
        );
        let (status, body) = app
            .call(&grace.client, "catalog/deprecate", &deprecate("2.0"))
            .await;
        assert_eq!(
            (status, body.as_i64()),
            (200, Some(1)),
            "one hub told: {body}"
        );
        let (status, body) = app
            .call(&grace.client, "catalog/deprecate", &deprecate("2.0"))
            .await;
        assert_eq!((status, body.as_i64()), (200, Some(0)), "told once: {body}");

        let subject = "Ocean Stack 1.0 is deprecated on your hub";
        assert_eq!(mails(&app, &ada.email, subject).await, 1);
        assert_eq!(mails(&app, &bob.email, subject).await, 1);
        for nobody in [&carl.email, &dora.email, &eve.email, &grace.email] {
            assert_eq!(mails(&app, nobody, subject).await, 0);
        }
        let text = crate::communities::mail_to(&app, &ada.email, subject, 0).await;
        assert!(
            text.contains("recommends Ocean Stack 2.0")
                && text.contains("/communities/dep-ocean/hub")
        );

        // The hub page: the notice and the one-click move, for admins.
        let (_, html) = page(&carl.client, &app, "/communities/dep-ocean/hub").await;
        assert!(html.contains("Ocean Stack 1.0 is deprecated"));
        assert!(!html.contains("Move to 2.0"), "members only read it");
        let (_, html) = page(&ada.client, &app, "/communities/dep-ocean/hub").await;
        assert!(html.contains("Move to 2.0"));
        let (status, body) = app
            .call(
                &carl.client,
                "hub/use_replacement",
                &[("slug", "dep-ocean"), ("env_slug", "ocean-stack")],
            )
            .await;
        assert_eq!(status, 403, "{body}");
        let (status, body) = app
            .call(
                &ada.client,
                "hub/use_replacement",
                &[("slug", "dep-ocean"), ("env_slug", "ocean-stack")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["number"], 2);
        assert_eq!(
            body["changes"][0],
            "Environment 'Ocean': Ocean Stack 1.0 → 2.0"
        );
        let (_, diff) = app
            .call(
                &ada.client,
                "hub/diff",
                &[("slug", "dep-ocean"), ("from", "1"), ("to", "2")],
            )
            .await;
        assert!(
            diff["yaml"]
                .as_str()
                .unwrap()
                .contains("+    version: \"2.0\""),
            "{diff}"
        );
        assert!(
            diff["rendered"]
                .as_str()
                .unwrap()
                .contains("quay.io/ocean/stack:2.0")
        );
        let (_, html) = page(&ada.client, &app, "/communities/dep-ocean/hub").await;
        assert!(html.contains("Revision 2 moves it on"));
        apply(&app, &ada.client, "dep-ocean", 2).await;
        let (_, html) = page(&ada.client, &app, "/communities/dep-ocean/hub").await;
        assert!(
            !html.contains("catalog-notices"),
            "applied: nothing left to say"
        );

        // A security notice on 2.0: told to the hubs now using it (both), once each.
        let notice = [
            ("entry", "ocean-stack"),
            ("version", "2.0"),
            ("notice", "CVE-2026-0001 in the bundled OpenSSL; update."),
        ];
        let (status, body) = app
            .call(&grace.client, "catalog/security_notice", &notice)
            .await;
        assert_eq!((status, body.as_i64()), (200, Some(2)), "{body}");
        let (_, body) = app
            .call(&grace.client, "catalog/security_notice", &notice)
            .await;
        assert_eq!(body.as_i64(), Some(0));
        let subject = "Security notice for Ocean Stack 2.0";
        for (who, n) in [
            (&ada.email, 1),
            (&bob.email, 1),
            (&dora.email, 1),
            (&carl.email, 0),
            (&eve.email, 0),
        ] {
            assert_eq!(mails(&app, who, subject).await, n, "{who}");
        }
        let (_, html) = page(&dora.client, &app, "/communities/dep-other/hub").await;
        assert!(html.contains("CVE-2026-0001"));
    }
);

// A community publishes its environment: public ones wait for staff review (asked for
// changes with a message, mailed; then approved); new versions of a published entry are
// listed at once, a version name never changes its image; private ones are listed for the
// community at once; staff unpublish and republish.
on_both!(publishing_goes_through_staff_review, |app| {
    require_peers();
    import(&app, stoa_server::seed::STARTER_CATALOG).await;
    let ada = person(&app, "pub-owner").await;
    create_community(&app, &ada, "pub-lab", "invite").await;
    let member = person(&app, "pub-member").await;
    crate::communities::add_member(&app, "pub-lab", member.id, "member").await;
    let grace = person(&app, "pub-staff").await;
    let mut tx = app.db.begin().await.unwrap();
    stoa_db::accounts::set_staff(tx.conn(), &grace.email, true, app.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let anyone = reqwest::Client::new();
    let form = |slug: &'static str,
                version: &'static str,
                image: &'static str,
                visibility: &'static str| {
        vec![
            ("community", "pub-lab"),
            ("slug", slug),
            ("name", "Lab Stack"),
            ("summary", "Our course image."),
            ("description", "Python with **our** course packages."),
            ("languages", "python, r"),
            ("tags", "teaching"),
            ("source", "https://github.com/pub-lab/stack"),
            ("docs", ""),
            ("visibility", visibility),
            ("version", version),
            ("image", image),
            ("notes", "First release."),
        ]
    };

    for (bad, field) in [
        (form("lab-stack", "1", "not an image!", "public"), "image"),
        (
            form("publish", "1", "quay.io/lab/stack:1", "public"),
            "slug",
        ),
        (form("pangeo", "1", "quay.io/lab/stack:1", "public"), "slug"),
        (
            form("lab-stack", "1", "quay.io/lab/stack:1", "everyone"),
            "visibility",
        ),
    ] {
        let (status, body) = app.call(&ada.client, "catalog/publish", &bad).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
    let (status, _) = app
        .call(
            &member.client,
            "catalog/publish",
            &form("lab-stack", "1", "quay.io/lab/stack:1", "public"),
        )
        .await;
    assert_eq!(status, 403, "members do not publish");
    let (_, list) = app.call(&anyone, "catalog/list", &[("q", "lab")]).await;
    assert_eq!(list["total"], 0, "refusals wrote nothing");

    let (status, body) = app
        .call(
            &ada.client,
            "catalog/publish",
            &form("lab-stack", "1", "quay.io/lab/stack:1", "public"),
        )
        .await;
    assert_eq!((status, body.as_str()), (200, Some("lab-stack")), "{body}");
    assert_eq!(
        page(&anyone, &app, "/catalog/lab-stack").await.0,
        404,
        "not before review"
    );
    let (_, html) = page(&ada.client, &app, "/catalog/lab-stack").await;
    assert!(html.contains("in review") && html.contains("Publish a new version"));
    let (_, html) = page(&grace.client, &app, "/catalog").await;
    assert!(html.contains("catalog-waiting") && html.contains("href=\"/catalog/lab-stack\""));

    let review = |decision: &'static str, message: &'static str| {
        [
            ("entry", "lab-stack"),
            ("decision", decision),
            ("message", message),
        ]
    };
    let (status, _) = app
        .call(&ada.client, "catalog/review", &review("approve", ""))
        .await;
    assert_eq!(status, 403, "staff review");
    let (status, body) = app
        .call(&grace.client, "catalog/review", &review("changes", ""))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("message")),
        "{body}"
    );
    let (status, body) = app
        .call(
            &grace.client,
            "catalog/review",
            &review("changes", "Pin the package versions."),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = crate::communities::mail_to(&app, &ada.email, "Lab Stack needs changes", 0).await;
    assert!(text.contains("Pin the package versions.") && text.contains("/catalog/lab-stack"));
    let (_, html) = page(&ada.client, &app, "/catalog/lab-stack").await;
    assert!(html.contains("changes requested") && html.contains("Pin the package versions."));
    let (status, _) = app
        .call(&grace.client, "catalog/review", &review("approve", ""))
        .await;
    assert_eq!(status, 422, "not waiting for review any more");

    // Resubmitted with a new version: back in review; approved: listed for everyone.
    let (status, body) = app
        .call(
            &ada.client,
            "catalog/publish",
            &form("lab-stack", "2", "quay.io/lab/stack:2", "public"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call(&grace.client, "catalog/review", &review("approve", ""))
        .await;
    assert_eq!(status, 200, "{body}");
    crate::communities::mail_to(&app, &ada.email, "Lab Stack is now listed", 0).await;
    let (_, list) = app
        .call(&anyone, "catalog/list", &[("q", "lab stack")])
        .await;
    assert_eq!(list["total"], 1, "{list}");
    let (_, html) = page(&anyone, &app, "/catalog/lab-stack").await;
    assert!(html.contains("quay.io/lab/stack:2") && html.contains("quay.io/lab/stack:1"));
    assert!(
        !html.contains("Pin the package versions."),
        "review words are for the community"
    );

    // A new version of a published entry is listed at once; a version keeps its image.
    let (status, body) = app
        .call(
            &ada.client,
            "catalog/publish",
            &form("lab-stack", "3", "quay.io/lab/stack:3", "public"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, html) = page(&anyone, &app, "/catalog/lab-stack").await;
    assert!(html.contains("quay.io/lab/stack:3"));
    let (status, body) = app
        .call(
            &ada.client,
            "catalog/publish",
            &form("lab-stack", "3", "quay.io/lab/stack:9", "public"),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("version")),
        "{body}"
    );

    // Private: listed for the community at once, for nobody else.
    let (status, _) = app
        .call(
            &ada.client,
            "catalog/publish",
            &form("lab-private", "1", "quay.io/lab/p:1", "private"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page(&ada.client, &app, "/catalog/lab-private").await.0, 200);
    assert_eq!(page(&anyone, &app, "/catalog/lab-private").await.0, 404);

    // Staff unpublish and republish.
    let curate = |action: &'static str| [("entry", "lab-stack"), ("action", action)];
    let (status, _) = app
        .call(&grace.client, "catalog/curate", &curate("unpublish"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page(&anyone, &app, "/catalog/lab-stack").await.0, 404);
    assert_eq!(
        page(&ada.client, &app, "/catalog/lab-stack").await.0,
        200,
        "its community still sees it"
    );
    let (status, _) = app
        .call(&grace.client, "catalog/curate", &curate("republish"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page(&anyone, &app, "/catalog/lab-stack").await.0, 200);
    let (status, body) = app
        .call(&grace.client, "catalog/curate", &curate("delete"))
        .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("action")));
});
