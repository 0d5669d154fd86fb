use stoa_db::Timestamp;
use stoa_db::communities::{self, NewCommunity};

use crate::helpers::on_both;

async fn html(app: &crate::helpers::TestApp, path: &str) -> (u16, String) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    (status, res.text().await.unwrap())
}

on_both!(
    home_page_is_server_rendered_with_the_newest_communities,
    |app| {
        app.seed_demo().await;
        let (status, body) = html(&app, "/").await;
        assert_eq!(status, 200);
        assert!(body.starts_with("<!DOCTYPE html>"));
        assert!(body.contains("<title>Stoa</title>"));
        assert!(body.contains("<main id=\"main\""), "landmark");
        assert!(body.contains("<nav aria-label=\"Main\""), "landmark");
        assert!(
            body.contains("Ocean Modelling Lab"),
            "newest community rendered on the server"
        );
        assert!(
            !body.contains("Materials Simulation Network"),
            "only the six newest"
        );
        assert!(body.contains(">14 communities on Stoa. "), "{body}");
        let [js, wasm, css] = crate::assets::hashed_names();
        assert!(
            body.contains(&format!("/pkg/{js}")) && body.contains(&format!("/pkg/{wasm}")),
            "hydration scripts"
        );
        assert!(body.contains(&format!("href=\"/pkg/{css}\"")));
    }
);

on_both!(directory_searches_and_pages_on_the_server, |app| {
    app.seed_demo().await;
    let (status, body) = html(&app, "/communities?q=ocean").await;
    assert_eq!(status, 200);
    assert!(body.contains("1 community matches “ocean”"), "{body}");
    assert!(body.contains("Ocean Modelling Lab") && !body.contains("Genomics Core Facility"));
    assert!(body.contains("<title>Communities · Stoa</title>"));
    let (_, body) = html(&app, "/communities").await;
    assert!(
        body.contains("14 communities") && body.contains("Page 1 of 1"),
        "{body}"
    );
    let (status, body) = html(&app, "/communities?page=2").await;
    assert_eq!(status, 200);
    assert!(body.contains("Page 2 of 1") && body.contains("No communities match."));
    // An unparsable page number is page 1, not an error.
    assert_eq!(html(&app, "/communities?page=abc").await.0, 200);
});

on_both!(bad_search_input_gets_a_specific_error_and_status, |app| {
    let long = "x".repeat(101);
    let (status, body) = html(&app, &format!("/communities?q={long}")).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Search text is limited to 100 characters."),
        "{body}"
    );
    let (status, body) = html(&app, "/communities?page=0").await;
    assert_eq!(status, 422);
    assert!(body.contains("No such page."));
});

on_both!(unknown_paths_get_the_404_page, |app| {
    let (status, body) = html(&app, "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("Page not found") && body.contains("<title>Page not found · Stoa</title>")
    );
    let [js, _, _] = crate::assets::hashed_names();
    assert!(
        body.contains(&format!("/pkg/{js}")),
        "the 404 page is a full app page"
    );
});

on_both!(user_text_is_always_rendered_as_text, |app| {
    let slug = stoa_model::Slug::parse("hostile").unwrap();
    let hostile = NewCommunity {
        slug: &slug,
        name: "<script>alert('name')</script> \"quoted\"",
        description: "<img src=x onerror=alert(1)>",
        field: "</li><b>field</b>",
        website: Some("javascript:alert(1)"),
        logo_url: Some("javascript:alert(2)"),
        institution_id: None,
        join_policy: stoa_model::JoinPolicy::Request,
    };
    let mut tx = app.db.begin().await.unwrap();
    communities::insert(tx.conn(), &hostile, Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for path in ["/", "/communities?q=%3Cscript%3E", "/communities/hostile"] {
        let (status, body) = html(&app, path).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("&lt;script&gt;alert('name')&lt;/script&gt;"),
            "{path}: {body}"
        );
        assert!(!body.contains("<script>alert"), "{path}");
        assert!(!body.contains("<img src=x"), "{path}");
        assert!(!body.contains("<b>field</b>"), "{path}");
    }
});

/// Every `href` and `src` of `html` that would run script or load inline content.
fn script_urls(html: &str) -> Vec<String> {
    ["href", "src"]
        .iter()
        .flat_map(|attr| crate::helpers::attr_values(html, attr))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| {
            ["javascript:", "vbscript:", "data:"]
                .iter()
                .any(|scheme| v.starts_with(scheme))
        })
        .collect()
}

// The pages that render a community's user-supplied URLs as links or images: the directory
// cards and the community page link the website; the community frame (every community page
// and tab) shows the logo. A control community with https URLs proves each page really
// renders them, so the check of the hostile one cannot pass on a page that shows none.
// Logos are uploads served by Stoa: the control community has one (its page shows it from
// Stoa's path), and the old `logo_url` column, still filled here, is never rendered at all,
// not even an https one (a third-party image host would see every visitor).
on_both!(user_urls_become_links_and_images_only_when_http, |app| {
    let mut tx = app.db.begin().await.unwrap();
    for (slug, website, logo) in [
        (
            "safe",
            "https://safe.example/home",
            "https://safe.example/logo.png",
        ),
        ("hostile", "javascript:alert(1)", "javascript:alert(2)"),
        ("shouting", " JavaScript:alert(3)", "JAVASCRIPT:alert(4)"),
        (
            "inline",
            "data:text/html,<script>alert(5)</script>",
            "data:image/svg+xml,<svg onload=alert(6)>",
        ),
    ] {
        let parsed = stoa_model::Slug::parse(slug).unwrap();
        let new = NewCommunity {
            slug: &parsed,
            name: slug,
            description: "",
            field: "",
            website: Some(website),
            logo_url: Some(logo),
            institution_id: None,
            join_policy: stoa_model::JoinPolicy::Request,
        };
        communities::insert(tx.conn(), &new, Timestamp::now())
            .await
            .unwrap();
    }
    let safe = communities::by_slug(tx.conn(), "safe")
        .await
        .unwrap()
        .unwrap()
        .id;
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let logo = stoa_db::logos::NewLogo {
        content_type: stoa_model::logo::LogoType::Gif,
        bytes: gif,
        version: "00112233aabbccdd",
        width: 1,
        height: 1,
    };
    let nobody = stoa_db::accounts::create(tx.conn(), "Uploader", None, Timestamp::now())
        .await
        .unwrap();
    stoa_db::logos::set(tx.conn(), safe, &logo, nobody, Timestamp::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let uploaded = "src=\"/communities/safe/logo?v=00112233aabbccdd\"";

    let (_, body) = html(&app, "/communities/safe").await;
    assert!(
        body.contains(uploaded),
        "the community page shows the logo: {body}"
    );
    assert!(
        !body.contains("safe.example/logo.png"),
        "a third-party logo URL is never rendered: {body}"
    );
    assert!(
        body.contains("href=\"https://safe.example/home\""),
        "the community page links the website: {body}"
    );
    let (_, body) = html(&app, "/communities").await;
    assert!(
        body.contains("href=\"https://safe.example/home\""),
        "the directory links the website: {body}"
    );

    for path in [
        "/communities",
        "/communities/hostile",
        "/communities/shouting",
        "/communities/inline",
    ] {
        let (status, body) = html(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(script_urls(&body), Vec::<String>::new(), "{path}");
    }
    // The settings form shows them back to an admin as field values (text), never as links.
    crate::helpers::require_peers();
    let owner = crate::communities::person(&app, "owner").await;
    let mut tx = app.db.begin().await.unwrap();
    for slug in ["safe", "hostile", "shouting", "inline"] {
        let id = communities::by_slug(tx.conn(), slug)
            .await
            .unwrap()
            .unwrap()
            .id;
        stoa_db::memberships::add(
            tx.conn(),
            id,
            stoa_db::accounts::AccountId(owner.id),
            stoa_model::Role::Owner,
            None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let res = owner
        .client
        .get(app.url("/communities/safe/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(uploaded) && body.contains("value=\"https://safe.example/home\""),
        "the settings page shows the logo and the website field: {body}"
    );
    assert!(!body.contains("safe.example/logo.png"), "{body}");
    for slug in ["hostile", "shouting", "inline"] {
        let res = owner
            .client
            .get(app.url(&format!("/communities/{slug}/settings")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{slug}");
        let body = res.text().await.unwrap();
        assert_eq!(script_urls(&body), Vec::<String>::new(), "{slug} settings");
    }
});

on_both!(
    failures_show_the_error_page_with_the_request_id_and_no_internals,
    |app| {
        app.seed_demo().await;
        let mut tx = app.db.begin().await.unwrap();
        stoa_db::on!(tx.conn(), c => sqlx::query("ALTER TABLE communities RENAME TO communities_gone").execute(c).await.map(|r| r.rows_affected())).unwrap();
        tx.commit().await.unwrap();
        let res = app.get("/").await;
        assert_eq!(res.status(), 500);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body = res.text().await.unwrap();
        assert!(body.contains("Something went wrong on our side."), "{body}");
        assert!(
            body.contains(&format!(">{id}</code>")),
            "request id {id} shown: {body}"
        );
        for internal in [
            "no such table",
            "does not exist",
            "sqlx",
            "SELECT",
            "relation",
        ] {
            assert!(!body.contains(internal), "leaks {internal:?}");
        }
    }
);

on_both!(server_functions_answer_json_and_reject_bad_input, |app| {
    app.seed_demo().await;
    let res = app
        .client
        .post(app.url("/api/communities/list"))
        .form(&[("query", "lab"), ("page", "1"), ("per_page", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    assert!(body["total"].as_u64().unwrap() >= 3);

    let res = app
        .client
        .post(app.url("/api/communities/list"))
        .form(&[("query", ""), ("page", "1"), ("per_page", "500")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid");
    assert_eq!(body["field"], "per_page");
    // The bounds exactly: 1 and MAX_PER_PAGE pass, 0 and one more are refused.
    use stoa_app::serverfns::communities::MAX_PER_PAGE;
    for (per_page, status) in [
        (0, 422),
        (1, 200),
        (MAX_PER_PAGE, 200),
        (MAX_PER_PAGE + 1, 422),
    ] {
        let (got, body) = app
            .call(
                &app.client,
                "communities/list",
                &[
                    ("query", ""),
                    ("page", "1"),
                    ("per_page", &per_page.to_string()),
                ],
            )
            .await;
        assert_eq!(got, status, "per_page={per_page}: {body}");
        if status == 422 {
            assert_eq!(body["field"], "per_page", "{body}");
        }
    }

    let res = app
        .client
        .get(app.url("/api/communities/list?query=&page=1&per_page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        405,
        "server functions do not answer GET: {}",
        res.status()
    );
});
