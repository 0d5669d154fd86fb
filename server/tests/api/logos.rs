//! Community logos uploaded to Stoa: the upload form's route (multipart, no JavaScript
//! needed), what is refused and why, who may, serving with safe headers from Stoa's origin
//! and from every process on the database, and the tightened CSP. Also the daily cap on new
//! communities per account.

use reqwest::Client;
use serde_json::Value;
use stoa_db::accounts::AccountId;
use stoa_model::Role;

use crate::auth::browser;
use crate::communities::{Person, community_form, create_community, person};
use crate::helpers::{TestApp, on_both, require_peers};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
/// A 2×1 GIF.
const GIF: &[u8] = b"GIF89a\x02\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x02\x00\x01\x00\x00\x02\x02\x04\x0a\x00;";

const BOUNDARY: &str = "stoa-test-boundary-5f0c";

/// A multipart form with the file `bytes` in field `logo`, declared as `filename` of type
/// `declared` (what a client says; Stoa must not believe it).
fn form(filename: &str, declared: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{filename}\"\r\n\
         Content-Type: {declared}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts a logo upload as `client` the way a browser form does (same origin); `json` asks
/// for a JSON answer. Returns status, `Location`, and body.
pub async fn upload(
    app: &TestApp,
    client: &Client,
    slug: &str,
    filename: &str,
    declared: &str,
    bytes: &[u8],
    json: bool,
) -> (u16, Option<String>, String) {
    let res = client
        .post(app.url(&format!("/communities/{slug}/logo")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("origin", &app.settings.public_url)
        .header("sec-fetch-site", "same-origin")
        .header(
            "accept",
            if json {
                "application/json"
            } else {
                "text/html,application/xhtml+xml"
            },
        )
        .body(form(filename, declared, bytes))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, location, res.text().await.unwrap())
}

/// The logo path the community page data names.
async fn logo_path(app: &TestApp, client: &Client, slug: &str) -> Option<String> {
    let (status, body) = app.call(client, "community/get", &[("slug", slug)]).await;
    assert_eq!(status, 200, "{body}");
    body["logo"].as_str().map(str::to_owned)
}

async fn stored(app: &TestApp, slug: &str) -> Option<stoa_db::logos::Logo> {
    let mut conn = app.db.read().await.unwrap();
    stoa_db::logos::by_slug(conn.conn(), slug).await.unwrap()
}

async fn logo_audit(app: &TestApp, slug: &str) -> Vec<String> {
    let mut conn = app.db.read().await.unwrap();
    let c = stoa_db::communities::by_slug(conn.conn(), slug)
        .await
        .unwrap()
        .unwrap();
    let filter = stoa_db::audit::Filter {
        community: Some(c.id),
        action_prefix: Some("community.logo".into()),
        ..Default::default()
    };
    stoa_db::audit::list(conn.conn(), &filter, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect()
}

async fn member(app: &TestApp, slug: &str, who: &Person, role: Role) {
    let mut tx = app.db.begin().await.unwrap();
    let c = stoa_db::communities::by_slug(tx.conn(), slug)
        .await
        .unwrap()
        .unwrap();
    stoa_db::memberships::add(
        tx.conn(),
        c.id,
        AccountId(who.id),
        role,
        None,
        app.clock.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

on_both!(
    an_uploaded_logo_is_served_from_stoa_with_safe_headers,
    |app| {
        require_peers();
        let owner = person(&app, "logo-owner").await;
        create_community(&app, &owner, "logo-lab", "invite").await;
        assert_eq!(logo_path(&app, &owner.client, "logo-lab").await, None);

        // The form posts without JavaScript: back to the settings page.
        let (status, location, body) = upload(
            &app,
            &owner.client,
            "logo-lab",
            "logo.png",
            "image/png",
            PNG,
            false,
        )
        .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/communities/logo-lab/settings"));
        let path = logo_path(&app, &owner.client, "logo-lab").await.unwrap();
        assert!(path.starts_with("/communities/logo-lab/logo?v="), "{path}");

        // Anyone may fetch it (like the page), as the sniffed type, never as a document.
        let res = browser().get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "image/png");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-security-policy"], "default-src 'none'");
        assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
        let etag = h["etag"].to_str().unwrap().to_owned();
        assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
        // Without the version (or an old one) it is revalidated, and the ETag answers 304.
        let res = browser()
            .get(app.url("/communities/logo-lab/logo"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["cache-control"], "public, no-cache");
        let res = browser()
            .get(app.url("/communities/logo-lab/logo"))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304);

        // The pages show it from Stoa's origin, and the CSP allows images from nowhere else.
        let res = owner
            .client
            .get(app.url("/communities/logo-lab/settings"))
            .send()
            .await
            .unwrap();
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("img-src 'self' data:;"), "{csp}");
        assert!(!csp.contains("https:"), "{csp}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("src=\"{}\"", path.replace('&', "&amp;"))),
            "the settings page shows the logo"
        );
        assert!(html.contains("enctype=\"multipart/form-data\""));

        // Replaced by a GIF (JSON answer for scripts): a new URL; then removed.
        let (status, _, body) = upload(
            &app,
            &owner.client,
            "logo-lab",
            "x.gif",
            "image/gif",
            GIF,
            true,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let replaced: Value = serde_json::from_str(&body).unwrap();
        let new_path = replaced["logo"].as_str().unwrap();
        assert_ne!(new_path, path);
        let res = browser().get(app.url(new_path)).send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "image/gif");
        let res = owner
            .client
            .post(app.url("/communities/logo-lab/logo/remove"))
            .header("origin", &app.settings.public_url)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(logo_path(&app, &owner.client, "logo-lab").await, None);
        let res = browser().get(app.url(new_path)).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(res.text().await.unwrap(), "No such logo.");
        let res = browser()
            .get(app.url("/communities/no-such-lab/logo"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(res.text().await.unwrap(), "No such logo.");
        assert_eq!(
            logo_audit(&app, "logo-lab").await,
            [
                "community.logo_removed",
                "community.logo_set",
                "community.logo_set"
            ]
        );
    }
);

on_both!(
    svg_html_and_oversized_uploads_are_refused_and_nothing_is_stored,
    |app| {
        require_peers();
        let owner = person(&app, "logo-refused").await;
        create_community(&app, &owner, "refuse-lab", "invite").await;
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
        let html = b"<html><body><script>alert(document.cookie)</script></body></html>";
        for (name, declared, bytes) in [
            ("logo.svg", "image/svg+xml", &svg[..]),
            ("logo.png", "image/png", &html[..]),
            ("logo.png", "image/png", &svg[..]),
        ] {
            let (status, _, body) = upload(
                &app,
                &owner.client,
                "refuse-lab",
                name,
                declared,
                bytes,
                false,
            )
            .await;
            assert_eq!(status, 422, "{name} {declared}: {body}");
            assert!(
                body.contains("not a PNG, JPEG, WebP or GIF image"),
                "{body}"
            );
            assert!(body.contains("data-error-for=\"logo\""), "{body}");
            let (status, _, body) = upload(
                &app,
                &owner.client,
                "refuse-lab",
                name,
                declared,
                bytes,
                true,
            )
            .await;
            assert_eq!(status, 422);
            let json: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["field"], "logo");
            assert!(json["message"].as_str().unwrap().contains("SVG"), "{json}");
        }
        // Just over the logo limit: the domain's message. Far over: 413 before it is read.
        let mut big = PNG.to_vec();
        big.resize(256 * 1024 + 1, 0);
        let (status, _, body) = upload(
            &app,
            &owner.client,
            "refuse-lab",
            "big.png",
            "image/png",
            &big,
            true,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("a logo may be at most 256 KiB"), "{body}");
        big.resize(3 * 1024 * 1024 / 2, 0);
        let (status, _, body) = upload(
            &app,
            &owner.client,
            "refuse-lab",
            "big.png",
            "image/png",
            &big,
            false,
        )
        .await;
        assert_eq!(status, 413, "{body}");
        // The message names the limit (the route's own, or the server's body limit for the
        // route once every route's limit is set in one place).
        assert!(body.contains("at most") && body.contains("KiB"), "{body}");
        // No file at all.
        let (status, _, body) = upload(
            &app,
            &owner.client,
            "refuse-lab",
            "empty.png",
            "image/png",
            b"",
            true,
        )
        .await;
        assert_eq!(status, 422, "{body}");

        assert_eq!(stored(&app, "refuse-lab").await, None);
        assert!(logo_audit(&app, "refuse-lab").await.is_empty());
        assert_eq!(logo_path(&app, &owner.client, "refuse-lab").await, None);
    }
);

on_both!(only_admins_change_a_logo_and_only_from_stoa_pages, |app| {
    require_peers();
    let owner = person(&app, "logo-admin-owner").await;
    create_community(&app, &owner, "guarded-lab", "invite").await;
    let member_person = person(&app, "logo-member").await;
    member(&app, "guarded-lab", &member_person, Role::Member).await;
    let billing = person(&app, "logo-billing").await;
    member(&app, "guarded-lab", &billing, Role::Billing).await;
    let stranger = person(&app, "logo-stranger").await;

    for (who, client, expected) in [
        ("member", &member_person.client, 403),
        ("billing", &billing.client, 403),
        ("stranger", &stranger.client, 404),
        ("anonymous", &browser(), 401),
    ] {
        let (status, _, body) = upload(
            &app,
            client,
            "guarded-lab",
            "logo.png",
            "image/png",
            PNG,
            false,
        )
        .await;
        assert_eq!(status, expected, "{who}: {body}");
    }
    // A page on another site cannot make an admin's browser upload one.
    let res = owner
        .client
        .post(app.url("/communities/guarded-lab/logo"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .body(form("logo.png", "image/png", PNG))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(stored(&app, "guarded-lab").await, None);

    // An admin may.
    let admin = person(&app, "logo-admin").await;
    member(&app, "guarded-lab", &admin, Role::Admin).await;
    let (status, _, body) = upload(
        &app,
        &admin.client,
        "guarded-lab",
        "logo.png",
        "image/png",
        PNG,
        false,
    )
    .await;
    assert_eq!(status, 303, "{body}");
    // Removing is theirs too.
    let res = member_person
        .client
        .post(app.url("/communities/guarded-lab/logo/remove"))
        .header("origin", &app.settings.public_url)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(stored(&app, "guarded-lab").await.is_some());
});

on_both!(
    another_stoa_process_on_the_database_serves_the_same_logo,
    |app| {
        require_peers();
        let owner = person(&app, "logo-shared").await;
        create_community(&app, &owner, "shared-lab", "invite").await;
        let (status, _, body) = upload(
            &app,
            &owner.client,
            "shared-lab",
            "logo.gif",
            "image/gif",
            GIF,
            false,
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let path = logo_path(&app, &owner.client, "shared-lab").await.unwrap();

        let mut settings = app.settings.clone();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .unwrap();
        let other = stoa_server::startup::Application::build_with_clock(
            &settings,
            listener,
            app.clock.clone(),
        )
        .await
        .unwrap();
        let addr = other.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(other.run_until(async {
            let _ = stopped.await;
        }));
        let res = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/gif");
        assert_eq!(res.bytes().await.unwrap().as_ref(), GIF);
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
);

/// The sign-up form's fields for `slug`.
fn sign_up(slug: &str) -> Vec<(&str, &str)> {
    community_form(slug, "Capped community", "invite")
}

on_both!(new_communities_per_account_are_capped_per_day, |app| {
    require_peers();
    let ada = person(&app, "cap-ada").await;
    // The default cap is 3 in any 24 hours: three pass, the fourth is refused.
    for slug in ["cap-one", "cap-two", "cap-three"] {
        let (status, body) = app
            .call(&ada.client, "community/create", &sign_up(slug))
            .await;
        assert_eq!(status, 200, "{slug}: {body}");
    }
    let (status, body) = app
        .call(&ada.client, "community/create", &sign_up("cap-four"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "form");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("signed up 3 communities in the last 24 hours, the most one account may"),
        "{body}"
    );
    let first = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::communities::by_slug(conn.conn(), "cap-one")
            .await
            .unwrap()
            .unwrap()
            .created_at
    };
    let next = (first + chrono::TimeDelta::hours(24))
        .as_datetime()
        .format("from %Y-%m-%d at %H:%M UTC")
        .to_string();
    assert!(body["message"].as_str().unwrap().contains(&next), "{body}");
    let exists = |slug: &'static str| {
        let db = app.db.clone();
        async move {
            let mut conn = db.read().await.unwrap();
            stoa_db::communities::by_slug(conn.conn(), slug)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(!exists("cap-four").await, "nothing is created over the cap");
    // The cap is per account: someone else still may.
    let grace = person(&app, "cap-grace").await;
    let (status, body) = app
        .call(&grace.client, "community/create", &sign_up("cap-grace"))
        .await;
    assert_eq!(status, 200, "{body}");

    // A rolling day: until the sign-ups are 24 hours old, still refused (they were made
    // within a second, the last one at `last`); then three more are allowed, not four.
    let last = {
        let mut conn = app.db.read().await.unwrap();
        stoa_db::communities::by_slug(conn.conn(), "cap-three")
            .await
            .unwrap()
            .unwrap()
            .created_at
    };
    let to_day_end = (last + chrono::TimeDelta::hours(24))
        .as_datetime()
        .to_owned()
        - app.clock.now().as_datetime().to_owned();
    app.clock
        .advance(to_day_end - chrono::TimeDelta::seconds(3));
    let (status, _) = app
        .call(&ada.client, "community/create", &sign_up("cap-four"))
        .await;
    assert_eq!(status, 422);
    app.clock.advance(chrono::TimeDelta::seconds(4));
    for slug in ["cap-four", "cap-five", "cap-six"] {
        let (status, body) = app
            .call(&ada.client, "community/create", &sign_up(slug))
            .await;
        assert_eq!(status, 200, "{slug}: {body}");
    }
    let (status, _) = app
        .call(&ada.client, "community/create", &sign_up("cap-seven"))
        .await;
    assert_eq!(status, 422);
    assert!(!exists("cap-seven").await);
});

on_both!(sign_ups_at_the_same_moment_respect_the_cap, |app| {
    require_peers();
    let ada = person(&app, "cap-race").await;
    // Eight sign-ups at once by one person: each counts the sign-ups committed before it
    // (the account is locked for the count), so exactly three get through.
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (client, url) = (ada.client.clone(), app.url("/api/community/create"));
        calls.spawn(async move {
            let slug = format!("race-{i}");
            let res = client.post(url).form(&sign_up(&slug)).send().await.unwrap();
            res.status().as_u16()
        });
    }
    let mut statuses = calls.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 422, 422, 422, 422, 422]);
    let mut conn = app.db.read().await.unwrap();
    let made = stoa_db::communities::search(conn.conn(), "race-", 50, 0)
        .await
        .unwrap();
    assert_eq!(made.total, 3);
});
