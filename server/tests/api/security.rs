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
    assert!(
        crate::helpers::workspace_root()
            .join("target/site/pkg/stoa.css")
            .exists(),
        "build the site first: make site"
    );
    for (path, kind) in [
        ("/pkg/stoa.css", "text/css"),
        ("/pkg/stoa.js", "text/javascript"),
        ("/pkg/stoa_bg.wasm", "application/wasm"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let res = app.get(path).await;
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
        .get(app.url("/pkg/stoa.css"))
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
