//! Real hubs: a revision applied in Stoa runs on a real JupyterHub (local backend, started
//! by the test's own Stoa), and the faults a change must survive: the hub killed during a
//! change, the hub's port held by another program for a while, Stoa killed during a change.
//! Every requested change ends applied once or superseded, never out of order, and the hub
//! ends on the newest applied revision.

use std::time::{Duration, Instant};

use serde_json::Value;
use stoa_server::config::Settings;

use crate::communities::{Person, create_community, person};
use crate::helpers::{TestApp, on_both, require_peers, workspace_root};

/// Hubs of this app live in a folder of their own, on ports the system gives, run by the
/// checkout's JupyterHub environment (`scripts/hub-env.sh`).
pub fn real_hubs(settings: &mut Settings) {
    let local = &mut settings.hubs.local;
    local.python_env = workspace_root().join("target/hub-venv");
    local.proxy_command = workspace_root().join("node_modules/.bin/configurable-http-proxy");
    local.start_timeout_seconds = 120;
    assert!(
        local.python_env.join("bin/jupyterhub").exists(),
        "the JupyterHub environment is missing: run scripts/hub-env.sh (make setup does)"
    );
}

async fn hub(app: &TestApp, who: &Person, slug: &str) -> Value {
    let (status, body) = app.call(&who.client, "hub/get", &[("slug", slug)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn save_homepage(app: &TestApp, who: &Person, slug: &str, base: i64, announcement: &str) {
    let base = base.to_string();
    let form = [
        ("slug", slug),
        ("base", base.as_str()),
        ("message", ""),
        ("org_name", "Ocean Lab at Example University"),
        ("org_url", "https://ocean.example.edu"),
        ("funded_by_name", ""),
        ("funded_by_url", ""),
        ("announcement", announcement),
    ];
    let (status, body) = app.call(&who.client, "hub/save_homepage", &form).await;
    assert_eq!(status, 200, "{body}");
}

async fn apply(app: &TestApp, who: &Person, slug: &str, number: i64) {
    let number = number.to_string();
    let (status, body) = app
        .call(&who.client, "hub/apply", &[("slug", slug), ("number", &number)])
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Runs worker passes until no change of the hub is open (or the deadline).
async fn settle(app: &TestApp, who: &Person, slug: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        app.run_worker().await;
        let h = hub(app, who, slug).await;
        if !h["status"]["in_progress"].as_bool().unwrap_or(true) {
            return h;
        }
        assert!(Instant::now() < deadline, "changes did not finish: {h}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The page `path` of the hub at `url`, asked through 127.0.0.1 with the hub's own host name
/// (the test's resolver may not know `*.localhost`).
pub async fn hub_get(url: &str, path: &str) -> (u16, String) {
    let parsed = url::Url::parse(url).unwrap();
    let port = parsed.port().unwrap();
    let host = format!("{}:{port}", parsed.host_str().unwrap());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("Host", host)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

on_both!(an_applied_revision_runs_on_a_real_hub, settings = real_hubs, |app| {
    require_peers();
    let ada = person(&app, "deploy-ada").await;
    create_community(&app, &ada, "ocean-deploy", "invite").await;
    save_homepage(&app, &ada, "ocean-deploy", 0, "Homework **3** is due Friday.").await;
    apply(&app, &ada, "ocean-deploy", 1).await;
    let h = hub(&app, &ada, "ocean-deploy").await;
    assert_eq!(h["status"]["changes"][0]["state"], "requested", "{h}");

    let h = settle(&app, &ada, "ocean-deploy").await;
    let change = &h["status"]["changes"][0];
    assert_eq!(change["state"], "healthy", "{h}");
    let states: Vec<&str> = change["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_str().unwrap())
        .collect();
    assert_eq!(states, ["requested", "validated", "deploying", "deployed", "healthy"]);
    assert_eq!(h["status"]["headline"], "Running revision 1");
    let url = h["status"]["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://ocean-deploy.hub.localhost:"), "{url}");
    assert!(
        !url.contains(&app.addr.to_string()),
        "a hub never shares Stoa's host"
    );
    let (status, page) = hub_get(&url, "/hub/stoa-front-page").await;
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("Ocean Lab at Example University"), "{page}");
    assert!(page.contains("Homework <strong>3</strong> is due Friday."), "{page}");

    // A new announcement, applied: the running hub shows it.
    save_homepage(&app, &ada, "ocean-deploy", 1, "Exam on Monday.").await;
    apply(&app, &ada, "ocean-deploy", 2).await;
    let h = settle(&app, &ada, "ocean-deploy").await;
    assert_eq!(h["status"]["headline"], "Running revision 2", "{h}");
    let (_, page) = hub_get(&url, "/hub/stoa-front-page").await;
    assert!(page.contains("Exam on Monday."), "{page}");
    assert!(!page.contains("Homework"), "{page}");

    // Rolled back to revision 1 (a new revision 3) and applied: the old text is back.
    let (status, body) = app
        .call(
            &ada.client,
            "hub/rollback",
            &[("slug", "ocean-deploy"), ("base", "2"), ("to", "1")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    apply(&app, &ada, "ocean-deploy", 3).await;
    let h = settle(&app, &ada, "ocean-deploy").await;
    assert_eq!(h["status"]["headline"], "Running revision 3", "{h}");
    let (_, page) = hub_get(&url, "/hub/stoa-front-page").await;
    assert!(page.contains("Homework <strong>3</strong> is due Friday."), "{page}");

    // Stopped: the hub no longer answers; started again: it does, with revision 3.
    let (status, body) = app
        .call(&ada.client, "hub/run", &[("slug", "ocean-deploy"), ("run", "false")])
        .await;
    assert_eq!(status, 200, "{body}");
    let h = settle(&app, &ada, "ocean-deploy").await;
    assert_eq!(h["status"]["headline"], "Stopped", "{h}");
    assert_eq!(h["status"]["changes"][0]["state"], "stopped", "{h}");
    let parsed = url::Url::parse(&url).unwrap();
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", parsed.port().unwrap()))
            .await
            .is_err(),
        "nothing listens on a stopped hub's port"
    );
    let (status, body) = app
        .call(&ada.client, "hub/run", &[("slug", "ocean-deploy"), ("run", "true")])
        .await;
    assert_eq!(status, 200, "{body}");
    let h = settle(&app, &ada, "ocean-deploy").await;
    assert_eq!(h["status"]["headline"], "Running revision 3", "{h}");
    let (_, page) = hub_get(&url, "/hub/stoa-front-page").await;
    assert!(page.contains("Homework"), "{page}");
});
