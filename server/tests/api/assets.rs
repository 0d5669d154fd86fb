//! The compiled site's files: content-hashed names cached for a year, precompressed bytes
//! chosen by `Accept-Encoding`, old names gone, and no session work for any of them; and the
//! caching headers of pages.

use crate::auth::{browser, sign_in_by_mail, unique_email};
use crate::helpers::{TestApp, on_both, require_peers, workspace_root};

/// `(js, wasm, css)` file names of the built site, from its `hash.txt`.
pub(crate) fn hashed_names() -> [String; 3] {
    let site = workspace_root().join("target/site");
    let text = std::fs::read_to_string(site.join("hash.txt"))
        .expect("build the site first: make site (it writes target/site/hash.txt)");
    let hash = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{key} in hash.txt"))
            .to_owned()
    };
    [
        format!("stoa.{}.js", hash("js")),
        format!("stoa.{}.wasm", hash("wasm")),
        format!("stoa.{}.css", hash("css")),
    ]
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

async fn get_encoded(app: &TestApp, path: &str, accept: Option<&str>) -> reqwest::Response {
    // reqwest is built without decompression: the body is what went over the wire.
    let mut req = app.client.get(app.url(path));
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    req.send().await.unwrap()
}

on_both!(hashed_site_files_are_immutable_and_precompressed, |app| {
    let [js, wasm, css] = hashed_names();
    let pkg = workspace_root().join("target/site/pkg");
    for (name, kind) in [
        (&js, "text/javascript"),
        (&wasm, "application/wasm"),
        (&css, "text/css"),
    ] {
        let path = format!("/pkg/{name}");
        let raw = std::fs::read(pkg.join(name)).unwrap();
        for (accept, encoding, file) in [
            (None, None, raw.clone()),
            (
                Some("gzip"),
                Some("gzip"),
                std::fs::read(pkg.join(format!("{name}.gz"))).unwrap(),
            ),
            (
                Some("gzip, deflate, br"),
                Some("br"),
                std::fs::read(pkg.join(format!("{name}.br"))).unwrap(),
            ),
            (Some("identity"), None, raw.clone()),
        ] {
            let res = get_encoded(&app, &path, accept).await;
            assert_eq!(res.status(), 200, "{path} {accept:?}");
            assert_eq!(
                header(&res, "cache-control"),
                Some("public, max-age=31536000, immutable"),
                "{path}"
            );
            assert!(
                header(&res, "content-type").unwrap().starts_with(kind),
                "{path}"
            );
            assert_eq!(
                header(&res, "content-encoding"),
                encoding,
                "{path} {accept:?}"
            );
            assert_eq!(header(&res, "vary"), Some("accept-encoding"), "{path}");
            assert!(
                header(&res, "set-cookie").is_none(),
                "{path}: no session for files"
            );
            assert!(header(&res, "content-security-policy").is_none(), "{path}");
            assert_eq!(
                header(&res, "x-content-type-options"),
                Some("nosniff"),
                "{path}: the security headers still apply"
            );
            let body = res.bytes().await.unwrap();
            assert!(
                body.as_ref() == file.as_slice(),
                "{path} {accept:?}: the precompressed file's bytes"
            );
        }
    }
    // The brotli copy really is the file.
    assert!(
        std::fs::read(pkg.join(format!("{wasm}.br"))).unwrap().len()
            < std::fs::read(pkg.join(&wasm)).unwrap().len() / 2
    );
});

on_both!(old_or_unknown_file_names_are_404, |app| {
    let [js, _, _] = hashed_names();
    for path in [
        "/pkg/stoa.0123456789abcdef.wasm".to_owned(),
        "/pkg/stoa.js".to_owned(),
        "/pkg/stoa_bg.wasm".to_owned(),
        "/pkg/stoa.css".to_owned(),
        format!("/pkg/{}", js.replace("stoa.", "stoa.0")),
    ] {
        let res = get_encoded(&app, &path, Some("br, gzip")).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            header(&res, "cache-control").is_none(),
            "{path}: a 404 is not cached a year"
        );
    }
});

on_both!(public_files_have_a_short_cache, |app| {
    let res = app.get("/favicon.svg").await;
    assert_eq!(res.status(), 200);
    assert!(
        header(&res, "content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert_eq!(header(&res, "cache-control"), Some("public, max-age=3600"));
    assert!(header(&res, "set-cookie").is_none());
});

on_both!(files_are_served_without_touching_the_session, |app| {
    // A cookie naming a session that does not exist: a page request loads it, finds nothing
    // and clears the cookie; a file request never looks.
    let [js, _, _] = hashed_names();
    let cookie = "stoa_session=AAAAAAAAAAAAAAAAAAAAAA";
    let page = app
        .client
        .get(app.url("/communities"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert!(
        header(&page, "set-cookie").is_some_and(|c| c.starts_with("stoa_session=;")),
        "the page cleared the stale cookie: {:?}",
        header(&page, "set-cookie")
    );
    for path in [format!("/pkg/{js}"), "/favicon.svg".to_owned()] {
        let res = app
            .client
            .get(app.url(&path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(header(&res, "set-cookie").is_none(), "{path}");
    }
});

on_both!(pages_reference_the_hashed_files, |app| {
    let [js, wasm, css] = hashed_names();
    let res = app.get("/").await;
    assert_eq!(
        header(&res, "cache-control"),
        Some("no-cache"),
        "anonymous page"
    );
    let body = res.text().await.unwrap();
    for name in [&js, &wasm, &css] {
        assert!(body.contains(&format!("/pkg/{name}")), "{name} in the page");
    }
    let wasm_stem = wasm.trim_end_matches(".wasm");
    assert!(!body.contains("stoa_bg"), "no unhashed names");
    assert!(body.contains(wasm_stem));
    // Error pages too.
    let res = app
        .get(&format!("/communities?q={}", "x".repeat(101)))
        .await;
    let body = res.text().await.unwrap();
    assert!(body.contains(&format!("/pkg/{css}")));
});

on_both!(signed_in_pages_are_private, |app| {
    require_peers();
    let browser = browser();
    sign_in_by_mail(&app, &browser, &unique_email("cache")).await;
    for path in ["/account", "/dashboard", "/communities"] {
        let res = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            header(&res, "cache-control"),
            Some("private, no-cache"),
            "{path}"
        );
    }
});
