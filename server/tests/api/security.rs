use crate::helpers::{attr_values, on_both};

fn csp_nonce(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("nonce in CSP") + "'nonce-".len();
    csp[start..].split('\'').next().unwrap().to_owned()
}

on_both!(
    html_responses_carry_a_fresh_nonce_csp_that_matches_their_scripts,
    |app| {
        let mut nonces = Vec::new();
        for path in ["/", "/communities", "/no/such/page"] {
            let res = app.get(path).await;
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            for directive in [
                "default-src 'self'",
                "frame-ancestors 'none'",
                "object-src 'none'",
                "base-uri 'none'",
                "'wasm-unsafe-eval'",
            ] {
                assert!(
                    csp.contains(directive),
                    "{path}: {directive} missing from {csp}"
                );
            }
            assert!(!csp.contains("unsafe-inline"), "{csp}");
            let nonce = csp_nonce(&csp);
            let body = res.text().await.unwrap();
            let script_nonces = attr_values(&body, "nonce");
            assert!(
                !script_nonces.is_empty(),
                "{path}: inline scripts carry the nonce"
            );
            assert!(
                script_nonces.iter().all(|n| *n == nonce),
                "{path}: {script_nonces:?} vs {nonce}"
            );
            assert_eq!(
                body.matches("<script").count(),
                script_nonces.len(),
                "{path}: every script has the nonce"
            );
            nonces.push(nonce);
        }
        nonces.sort();
        nonces.dedup();
        assert_eq!(nonces.len(), 3, "a new nonce per response");
    }
);

on_both!(
    every_response_has_security_headers_and_a_request_id,
    |app| {
        let mut ids = Vec::new();
        for path in ["/", "/healthz", "/readyz", "/no/such/page", "/favicon.svg"] {
            let res = app
                .client
                .get(app.url(path))
                .header("x-request-id", "forged-id")
                .send()
                .await
                .unwrap();
            let h = res.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(
                h["referrer-policy"], "strict-origin-when-cross-origin",
                "{path}"
            );
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            let id = h["x-request-id"].to_str().unwrap().to_owned();
            assert_eq!(
                id.len(),
                36,
                "{path}: our own UUID, not the client's ({id})"
            );
            ids.push(id);
            assert!(
                h.get("strict-transport-security").is_none(),
                "no HSTS over http"
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 5);
    }
);

on_both!(compiled_site_files_are_served_with_their_types, |app| {
    let [js, wasm, css] = crate::assets::hashed_names();
    for (path, kind) in [
        (format!("/pkg/{css}"), "text/css"),
        (format!("/pkg/{js}"), "text/javascript"),
        (format!("/pkg/{wasm}"), "application/wasm"),
        ("/favicon.svg".to_owned(), "image/svg+xml"),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}"
        );
        assert!(
            res.headers().get("content-security-policy").is_none(),
            "{path}: CSP is for documents"
        );
    }
    let res = app
        .client
        .get(app.url(&format!("/pkg/{css}")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
});

async fn count(app: &crate::helpers::TestApp, table: &str) -> i64 {
    let mut conn = app.db.read().await.unwrap();
    let sql = format!("SELECT COUNT(*) FROM {table}");
    stoa_db::on!(conn.conn(), c => sqlx::query_scalar(&sql).fetch_one(c).await).unwrap()
}

/// The unauthenticated endpoints share one limiter, counted in the database: over the
/// limit the answer is 429 with Retry-After and nothing else runs; the count holds for a
/// second process on the same database; other classes and the next window are not affected.
async fn unauthenticated_endpoints_are_rate_limited(backend: stoa_db::Backend) {
    crate::helpers::require_peers();
    let app = crate::helpers::TestApp::spawn_with(backend, |s| s.rate_limit_per_minute = 3).await;
    // Start of a fresh minute, so the whole test runs in one counting window.
    let now = app.clock.now().as_datetime().timestamp();
    app.clock
        .advance(chrono::TimeDelta::seconds(60 - now.rem_euclid(60)));
    let begin = |app_url: String| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{app_url}/auth/oidc/test"))
            .form(&[("next", "/")])
            .send()
    };
    for i in 0..3 {
        assert_eq!(
            begin(app.url("")).await.unwrap().status(),
            303,
            "request {i}"
        );
    }
    assert_eq!(count(&app, "oidc_attempts").await, 3);
    let refused = begin(app.url("")).await.unwrap();
    assert_eq!(refused.status(), 429, "the fourth request is refused");
    let retry: i64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(refused.headers().get("x-request-id").is_some());
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Too many requests") && page.contains(&format!("wait {retry} seconds")),
        "{page}"
    );
    assert_eq!(count(&app, "oidc_attempts").await, 3, "nothing ran");
    // Email links share the class: refused too, and no link is stored or mailed.
    let res = app
        .client
        .post(app.url("/auth/email"))
        .form(&[("email", "limited@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(count(&app, "magic_links").await, 0);
    // Finishing a sign-in is another class, with its own budget, shared by the link page
    // and the server function it checks links with (both mounted by Leptos).
    let res = app
        .client
        .post(app.url("/auth/email/verify"))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(app.get("/signin/link?token=unknown").await.status(), 200);
    let (status, _) = app
        .call(&app.client, "account/check_link", &[("token", "unknown")])
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(&app.client, "account/check_link", &[("token", "unknown")])
        .await;
    assert_eq!(status, 429, "the fourth request of the class is refused");

    // A second Stoa process on the same database sees the same count.
    let settings = stoa_server::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..app.settings.clone()
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .unwrap();
    let other =
        stoa_server::startup::Application::build_with_clock(&settings, listener, app.clock.clone())
            .await
            .unwrap();
    let other_url = format!("http://{}", other.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(other.run_until(async {
        let _ = stopped.await;
    }));
    assert_eq!(begin(other_url.clone()).await.unwrap().status(), 429);

    // The next window starts afresh.
    app.clock.advance(chrono::TimeDelta::seconds(60));
    assert_eq!(begin(app.url("")).await.unwrap().status(), 303);
    let _ = stop.send(());
    running.await.unwrap().unwrap();
}

mod unauthenticated_endpoints_are_rate_limited {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::unauthenticated_endpoints_are_rate_limited(stoa_db::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::unauthenticated_endpoints_are_rate_limited(stoa_db::Backend::Postgres).await;
    }
}

on_both!(oversized_bodies_get_413_with_the_limit_named, |app| {
    use stoa_server::body_limit::{BULK_INVITATIONS_LIMIT, FORM_LIMIT};
    const RENAME: &str = "name=";
    const INVITE: &str = "slug=nowhere&role=member&expires_days=7&ends_on=&emails=";
    let post = |path: &str, fields: &str, size: usize| {
        // The last form field padded to exactly `size` bytes of body.
        let body = format!("{fields}{}", "a".repeat(size - fields.len()));
        app.client
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // A form (server function) one byte over its limit: 413 with a message the page shows.
    let res = post("/api/account/rename", RENAME, FORM_LIMIT + 1)
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.headers()["connection"],
        "close",
        "the unread rest of the body makes the connection unusable"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid");
    assert!(
        body["message"].as_str().unwrap().contains("at most 64 KiB"),
        "{body}"
    );
    // At the limit the request reaches the server function (which wants a signed-in person).
    let res = post("/api/account/rename", RENAME, FORM_LIMIT)
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "{}", res.text().await.unwrap());
    // The bulk paste has a larger limit: what is too much for a form is fine there...
    assert_eq!(
        post("/api/invitations/create", INVITE, FORM_LIMIT * 2)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post("/api/invitations/create", INVITE, BULK_INVITATIONS_LIMIT)
            .await
            .unwrap()
            .status(),
        401
    );
    // ...up to its own limit.
    let res = post(
        "/api/invitations/create",
        INVITE,
        BULK_INVITATIONS_LIMIT + 1,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("at most 256 KiB"),
        "{body}"
    );
    // A plain form post gets the HTML page, with the request id.
    let res = app
        .client
        .post(app.url("/auth/email"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}", "a".repeat(FORM_LIMIT)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("at most 64 KiB") && page.contains("data-testid=\"request-id\""),
        "{page}"
    );
    // Far over the limit (several socket buffers' worth): a browser sends the whole body
    // before it reads the answer, so Stoa must read it too, or the person sees a reset
    // connection instead of the message. Several times, as a race would hide in one.
    for _ in 0..5 {
        let res = post("/api/account/rename", RENAME, 4 * 1024 * 1024)
            .await
            .expect("the 413 arrives instead of a broken connection");
        assert_eq!(res.status(), 413);
    }
});
