//! Anonymous pages served from the page cache (server/src/page_cache.rs): fresh after every
//! change, whichever Stoa made it; a nonce of their own in body and header; never a
//! signed-in person's page, and never served to one.

use reqwest::Client;

use crate::communities::{create_community, person};
use crate::helpers::{TestApp, attr_values, captured_log, on_both, require_peers};

/// An anonymous response.
struct Page {
    status: u16,
    request_id: String,
    csp: String,
    body: String,
}

impl Page {
    /// The nonce the CSP header allows.
    fn csp_nonce(&self) -> String {
        let start = self.csp.find("'nonce-").expect("nonce in CSP") + "'nonce-".len();
        self.csp[start..].split('\'').next().unwrap().to_owned()
    }

    /// Whether the server says it answered from the cache (its debug log line, which
    /// carries the request id).
    fn served_from_cache(&self) -> bool {
        served_from_cache(&self.request_id)
    }
}

fn served_from_cache(request_id: &str) -> bool {
    captured_log()
        .lines()
        .any(|l| l.contains(request_id) && l.contains("\"page_cache\":\"hit\""))
}

/// GET `url` as `client` (a client without cookies is an anonymous visitor).
async fn get(client: &Client, url: &str) -> Page {
    let res = client.get(url).send().await.expect("GET");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, request_id, csp) = (
        res.status().as_u16(),
        header("x-request-id"),
        header("content-security-policy"),
    );
    Page {
        status,
        request_id,
        csp,
        body: res.text().await.unwrap(),
    }
}

async fn anonymous(app: &TestApp, path: &str) -> Page {
    get(&Client::new(), &app.url(path)).await
}

const PAGES: [&str; 3] = ["/", "/communities", "/communities/cached-lab"];

/// Asks for each page twice: both show `text`, the second from the cache.
async fn cached_and_showing(app: &TestApp, text: &str) {
    for path in PAGES {
        let first = anonymous(app, path).await;
        assert_eq!(first.status, 200, "{path}");
        assert!(first.body.contains(text), "{path} shows “{text}”");
        let again = anonymous(app, path).await;
        assert!(again.body.contains(text), "{path} still shows “{text}”");
        assert!(
            again.served_from_cache(),
            "{path}: the second visit is a cache hit"
        );
    }
}

fn update_form(name: &str) -> Vec<(&str, &str)> {
    vec![
        ("slug", "cached-lab"),
        ("name", name),
        ("description", "A community for tests."),
        ("field", "Testing"),
        ("website", ""),
        ("join_policy", "invite"),
    ]
}

on_both!(anonymous_pages_show_every_change_at_once, |app| {
    require_peers();
    let owner = person(&app, "cache-owner").await;
    create_community(&app, &owner, "cached-lab", "invite").await;
    cached_and_showing(&app, "Test community").await;

    // Through this portal.
    let (status, body) = app
        .call(
            &owner.client,
            "community/update",
            &update_form("Renamed Here"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    cached_and_showing(&app, "Renamed Here").await;

    // Through another Stoa on the same database: this one's cache cannot know but by the
    // database.
    let other = app.another_stoa().await;
    let res = owner
        .client
        .post(other.url("/api/community/update"))
        .form(&update_form("Renamed Elsewhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for path in PAGES {
        let page = anonymous(&app, path).await;
        assert!(page.body.contains("Renamed Elsewhere"), "{path}");
        assert!(!page.body.contains("Renamed Here"), "{path}");
    }
    cached_and_showing(&app, "Renamed Elsewhere").await;

    // Directly in the database, as a script or any other process would.
    let mut tx = app.db.begin().await.unwrap();
    const RENAME: &str = "UPDATE communities SET name = 'Renamed In SQL' WHERE slug = 'cached-lab'";
    stoa_db::on!(tx.conn(), c => sqlx::query(RENAME).execute(c).await.map(|_| ())).unwrap();
    tx.commit().await.unwrap();
    cached_and_showing(&app, "Renamed In SQL").await;

    // A new community is on the home page and in the directory at once.
    create_community(&app, &owner, "second-lab", "invite").await;
    for path in ["/", "/communities"] {
        let page = anonymous(&app, path).await;
        assert!(page.body.contains("data-slug=\"second-lab\""), "{path}");
    }
    drop(other);
});

on_both!(each_cached_copy_carries_its_own_nonce, |app| {
    let mut seen = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let page = anonymous(&app, "/").await;
        assert_eq!(page.status, 200);
        let nonce = page.csp_nonce();
        let in_body = attr_values(&page.body, "nonce");
        assert!(!in_body.is_empty(), "the page has nonced scripts");
        assert!(
            in_body.iter().all(|n| *n == nonce),
            "{in_body:?} vs the header's {nonce}"
        );
        bodies.push((page.body.replace(&nonce, "NONCE"), page.served_from_cache()));
        seen.push(nonce);
    }
    assert_eq!(
        bodies[0].0, bodies[1].0,
        "a cached copy is the page rendered"
    );
    assert_eq!(bodies[1].0, bodies[2].0);
    assert!(
        !bodies[0].1 && bodies[1].1 && bodies[2].1,
        "rendered, then hits"
    );
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "a fresh nonce for every response");

    // HEAD from the cache: the page's headers, no body.
    let res = Client::new().head(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !seen.iter().any(|n| csp.contains(n.as_str())),
        "its own nonce"
    );
    assert!(res.text().await.unwrap().is_empty());
});

on_both!(signed_in_people_never_meet_the_anonymous_cache, |app| {
    require_peers();
    let reader = person(&app, "cache-reader").await;
    let signed_in = |page: &Page| page.body.contains("data-testid=\"user-name\"");

    // A signed-in visit first: rendered for them, and not kept for anyone else.
    let theirs = get(&reader.client, &app.url("/communities?q=test")).await;
    assert_eq!(theirs.status, 200);
    assert!(signed_in(&theirs) && !theirs.served_from_cache());
    let first = anonymous(&app, "/communities?q=test").await;
    assert!(
        !signed_in(&first),
        "a cached page never holds a signed-in person's data"
    );
    assert!(
        !first.served_from_cache(),
        "the signed-in render was not kept"
    );

    // The anonymous page is cached now; the signed-in person still gets their own.
    for path in ["/", "/communities?q=test"] {
        let anon = anonymous(&app, path).await;
        let _ = anonymous(&app, path).await;
        assert!(!signed_in(&anon));
        let theirs = get(&reader.client, &app.url(path)).await;
        assert_eq!(theirs.status, 200);
        assert!(signed_in(&theirs), "{path}: the person's own page");
        assert!(
            !theirs.served_from_cache(),
            "{path}: never from the anonymous cache"
        );
        let anon = anonymous(&app, path).await;
        assert!(anon.served_from_cache(), "{path}");
        assert!(!signed_in(&anon), "{path}");
        assert!(!anon.body.contains("Sign out"), "{path}");
    }

    // Any cookie at all (a form's flash message, say) bypasses the cache.
    let res = Client::new()
        .get(app.url("/"))
        .header("cookie", "something=else")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(res.status(), 200);
    assert!(!served_from_cache(&id));
});
